"""test_grader.py - unit tests of the grader itself (stdlib unittest).

Run from the top of the kit: python3 -m unittest tests/grade/test_grader.py
They cover the byte diff, the naming of symptoms, the handling of programs
(small shell scripts stand in for the programs under test), the runner's
time limits and clean-up, the printed totals and the results.json schema,
including the file written when the grader crashes in the middle of a run.
"""
from __future__ import annotations
import argparse
import contextlib
import dataclasses
import io
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import types
import unittest
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bytediff  # noqa: E402  (the grader's modules sit beside this file)
import grade  # noqa: E402
import harness  # noqa: E402
import hints  # noqa: E402
import hostile  # noqa: E402
import hostile_rows  # noqa: E402
import hostile_table  # noqa: E402
import procs  # noqa: E402
import report  # noqa: E402
import builds  # noqa: E402
import client  # noqa: E402
import units  # noqa: E402
from hints import Failure, Pending  # noqa: E402

NOWHERE = Path("/nonexistent")
LISTEN = 'echo "info: listening on 127.0.0.1:4321" >&2; '


def options(**changes: object) -> harness.Options:
    """Options for a run that starts no real program."""
    return harness.Options(bin_dir=NOWHERE, graded_lab=1, **changes)


def declared(func, points: int = 5, **kwargs: object) -> harness.Test:
    """func as a collected test, numbered 1.1."""
    harness.test(points, f"{func.__name__} works", **kwargs)(func)
    return dataclasses.replace(func.grade_test, lab=1, index=1)


CUMULATIVE, OWN = report.Mode(1), report.Mode(1, own=True)


def result(passed: bool, points: int = 5, visibility: str = "visible",
           detail: str = "", missing: str | None = None) -> harness.Result:
    """A Result of a made-up test (missing: why it could not run)."""
    def sample(t: harness.Context) -> None:
        pass
    test = declared(sample, points, visibility=visibility)
    failure = None if passed else Failure(hints.DIFFERS, "reply: differs",
                                          detail)
    return harness.Result(test, failure, 0.25, [("01-echo", "info: hi")],
                          ["make grade LAB=1 T=sample"], 7, missing)


class ByteDiffTest(unittest.TestCase):
    def test_first_difference(self) -> None:
        self.assertIsNone(bytediff.first_difference(b"abc", b"abc"))
        self.assertEqual(bytediff.first_difference(b"ab", b"abc"), 2)
        self.assertEqual(bytediff.first_difference(b"abcd", b"abc"), 3)
        self.assertEqual(bytediff.first_difference(b"axc", b"abc"), 1)
        long = bytes(10000)
        self.assertEqual(bytediff.first_difference(
            long[:9000] + b"x" + long[9001:], long), 9000)

    def test_describe_shows_offset_and_both_windows(self) -> None:
        want = bytes(range(256)) * 2
        got = want[:100] + b"!" + want[101:]
        text = bytediff.describe(got, want)
        self.assertIn("first difference at byte 100", text)
        self.assertIn("expected 0x64", text)
        self.assertIn('got 0x21 "!"', text)
        self.assertEqual(text.count("> 00000060"), 2)

    def test_long_data_gets_digests_and_text_an_excerpt(self) -> None:
        want = b"x" * 5000 + b"\n"
        text = bytediff.describe(want[:-1] + b"y", want)
        self.assertIn("sha256 expected", text)
        self.assertIn("got text:", text)

    def test_position_counts_lines(self) -> None:
        self.assertEqual(bytediff.position(b"ab\ncd", 4),
                         "byte 4 (line 2, column 2)")

    def test_shell_printf_writes_every_byte_value(self) -> None:
        data = bytes(range(256))
        out = subprocess.run(["sh", "-c", bytediff.shell_printf(data)],
                             capture_output=True, check=True).stdout
        self.assertEqual(out, data)


class ClassifyTest(unittest.TestCase):
    def test_mismatch_symptoms(self) -> None:
        cases = [(b"abc", b"abcdef", hints.TRUNCATED),
                 (b"ab", b"ab\0cd\n", hints.NUL),
                 (b"abcdef", b"abc", hints.EXTRA),
                 (b"abX", b"abc", hints.DIFFERS),
                 (b"", b"abc", hints.CLOSED)]
        for got, want, symptom in cases:
            with self.subTest(got=got, want=want):
                self.assertEqual(hints.mismatch(got, want, "x").symptom,
                                 symptom)

    def test_a_body_that_never_came_is_truncation_not_nul(self) -> None:
        want = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n\0ab"
        failure = hints.mismatch(want[:-3], want, "the response")
        self.assertEqual(failure.symptom, hints.TRUNCATED)
        self.assertIn("none of the body", failure.summary)
        self.assertEqual(hints.mismatch(b"a", b"a\0b", "x").symptom,
                         hints.NUL)

    def test_truncation_names_the_byte(self) -> None:
        failure = hints.mismatch(b"abc", b"abcdef", "the echo")
        self.assertIn("truncated at byte 3 of 6", failure.summary)

    def test_timeouts_use_what_came(self) -> None:
        def pending(got: bytes) -> Pending:
            return Pending("the echo", b"abcdef", True, bytearray(got))
        cases = [(None, hints.TIMEOUT), (pending(b""), hints.TIMEOUT),
                 (pending(b"abc"), hints.TRUNCATED),
                 (pending(b"abcdef"), hints.STAYS_OPEN)]
        for waiting, symptom in cases:
            with self.subTest(waiting=waiting):
                failure = hints.classify(TimeoutError(), waiting,
                                         "waiting", 10)
                self.assertEqual(failure.symptom, symptom)

    def test_socket_errors(self) -> None:
        self.assertEqual(hints.classify(ConnectionRefusedError(), None,
                                        "connecting", 10).symptom,
                         hints.REFUSED)
        reset = ConnectionResetError(104, "Connection reset by peer")
        self.assertEqual(hints.classify(reset, None, "x", 10).symptom,
                         hints.RESET)
        wrong = Pending("the echo", b"abc", True, bytearray(b"aX"))
        self.assertEqual(hints.classify(reset, wrong, "x", 10).symptom,
                         hints.DIFFERS)

    def test_anything_else_is_a_grader_error(self) -> None:
        try:
            raise ValueError("oops")
        except ValueError as exc:
            failure = hints.classify(exc, None, "x", 10)
        self.assertEqual(failure.symptom, hints.GRADER)
        self.assertIn("Traceback", failure.detail)

    def test_hint_precedence(self) -> None:
        self.assertEqual(hints.hint(hints.NUL, {hints.NUL: "mine"}), "mine")
        self.assertIn("strlen", hints.hint(hints.NUL, {}))
        for symptom in hints.DEFAULT_HINTS:
            self.assertTrue(hints.hint(symptom, {}))

    def test_signal_names(self) -> None:
        self.assertEqual(hints.signal_text(signal.SIGSEGV),
                         "SIGSEGV (Segmentation fault)")
        self.assertEqual(hints.status_text(-signal.SIGABRT),
                         "signal SIGABRT (Aborted)")
        self.assertEqual(hints.status_text(3), "status 3")


def shell(script: str, grace: float = 5.0) -> procs.Program:
    """A shell script run as a program under test ("0" becomes its $0)."""
    return procs.Program(Path("/bin/sh"), ["-c", script], grace=grace)


def gone(pid: int) -> bool:
    """True when pid no longer runs (a zombie awaiting reaping counts)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


class ProgramTest(unittest.TestCase):
    def tearDown(self) -> None:
        procs.reap_all()

    def test_listening_line_gives_host_and_port(self) -> None:
        program = shell('echo "info: listening on [::1]:4321" >&2; '
                        'exec sleep 30')
        program.wait_listening()
        self.assertEqual((program.host, program.port), ("::1", 4321))
        self.assertTrue(program.alive())
        self.assertEqual(program.stop(), -signal.SIGTERM)
        self.assertIsNone(program.finish(test_failed=False))

    def test_exit_before_listening(self) -> None:
        cases = [("exit 3", hints.EXITED, "status 3"),
                 ('echo "error: TODO(lab9.1): f is not written" >&2; exit 1',
                  hints.STUB, "TODO(lab9.1)")]
        for script, symptom, text in cases:
            with self.subTest(script=script):
                with self.assertRaises(Failure) as caught:
                    shell(script).wait_listening()
                self.assertEqual(caught.exception.symptom, symptom)
                self.assertIn(text, caught.exception.summary)

    def test_death_by_signal_is_reported(self) -> None:
        program = shell(LISTEN + "kill -SEGV $$")
        program.wait_listening()
        program.wait_exit(5)
        failure = program.finish(test_failed=False)
        self.assertEqual(failure.symptom, hints.SIGNAL)
        self.assertIn("SIGSEGV (Segmentation fault)", failure.summary)

    def test_plain_exit_counts_only_when_the_test_failed(self) -> None:
        for failed, expected in ((False, None), (True, hints.EXITED)):
            program = shell(LISTEN + "exit 0")
            program.wait_listening()
            program.wait_exit(5)
            failure = program.finish(test_failed=failed)
            self.assertEqual(failure and failure.symptom, expected)

    def test_reap_kills_the_whole_group(self) -> None:
        program = shell(LISTEN + "trap '' TERM; sleep 30 & "
                        "echo \"child $!\" >&2; wait", grace=0.2)
        program.wait_listening()
        with program._changed:
            program._changed.wait_for(lambda: b"child" in program._output)
        child = int(program.stderr().split("child ")[1].split()[0])
        program.reap()
        self.assertTrue(gone(program.pid))
        self.assertTrue(gone(child))
        self.assertNotIn(program, procs._live)

    def test_after_an_ignored_sigterm_programs_are_killed_fast(self) -> None:
        procs._ignores_sigterm.clear()
        self.addCleanup(procs._ignores_sigterm.clear)
        # the trap first: set after "listening", SIGTERM could come before
        stubborn = "trap '' TERM; " + LISTEN + "sleep 30 & wait"
        out = io.StringIO()
        for grace_passes, note_count in ((True, 1), (False, 1)):
            program = shell(stubborn, grace=1.0)
            program.wait_listening()
            started = time.monotonic()
            with contextlib.redirect_stdout(out):
                program.reap()
            took = time.monotonic() - started
            self.assertEqual(took >= 1.0, grace_passes, f"reap took {took}")
            self.assertEqual(out.getvalue().count("still ran"), note_count)

    def test_valgrind_log_is_quoted(self) -> None:
        log = ("==12== Memcheck, a memory error detector\n==12== \n"
               "==12== Invalid read of size 1\n"
               "==12==    at 0x1: echo_lines (echo.c:20)\n==12== \n"
               "==12== 64 bytes in 1 blocks are definitely lost in loss "
               "record 1 of 1\n==12==    at 0x2: malloc\n==12== \n")
        failure = procs.valgrind_failure(log, failed=True)
        self.assertEqual(failure.symptom, hints.MEMORY)
        self.assertIn("Invalid read of size 1", failure.summary)
        self.assertIn("echo_lines (echo.c:20)", failure.detail)
        self.assertIn("definitely lost", failure.detail)
        self.assertIsNone(procs.valgrind_failure("==1== clean\n", False))

    def test_sanitizer_report_is_quoted(self) -> None:
        stderr = ("info: listening\n==9==ERROR: AddressSanitizer: "
                  "heap-buffer-overflow on address 0x1\n    #0 echo_lines\n")
        failure = procs.sanitizer_failure(stderr)
        self.assertEqual(failure.symptom, hints.SANITIZER)
        self.assertIn("heap-buffer-overflow", failure.summary)
        self.assertIn("#0 echo_lines", failure.detail)
        self.assertIsNone(procs.sanitizer_failure("info: all fine\n"))
        race = procs.sanitizer_failure("==9==WARNING: ThreadSanitizer: "
                                       "data race (pid=9)\n  Write of size 8")
        self.assertEqual(race.symptom, hints.RACE)


class RunnerTest(unittest.TestCase):
    def test_collect_numbers_tests_and_merges_hints(self) -> None:
        module = types.ModuleType("lab03")
        module.PROGRAM = 1
        module.HINTS = {hints.NUL: "lab", hints.EXTRA: "lab"}

        def first(t: harness.Context) -> None:
            pass

        def second(t: harness.Context) -> None:
            pass

        for func, own in ((first, {}), (second, {hints.NUL: "own"})):
            func.__module__ = "lab03"
            harness.test(5, "it works", hints=own)(func)
            setattr(module, func.__name__, func)
        tests = harness.collect(module, 3)
        self.assertEqual([t.number for t in tests], ["3.1", "3.2"])
        self.assertEqual(tests[1].hints,
                         {hints.NUL: "own", hints.EXTRA: "lab"})
        self.assertEqual(tests[0].program, 1)

    def test_outcomes(self) -> None:
        def passes(t: harness.Context) -> None:
            t.expect_bytes(b"same", b"same", "x")

        def fails(t: harness.Context) -> None:
            t.fail(hints.DIFFERS, "it differs")

        def breaks(t: harness.Context) -> None:
            raise KeyError("bug")

        expected = [(passes, None), (fails, hints.DIFFERS),
                    (breaks, hints.GRADER)]
        for func, symptom in expected:
            with self.subTest(func=func.__name__):
                done = harness.run_test(declared(func), options())
                self.assertEqual(done.failure and done.failure.symptom,
                                 symptom)
                self.assertEqual(done.score, 5 if symptom is None else 0)

    def test_time_limit_interrupts_a_blocking_receive(self) -> None:
        def hangs(t: harness.Context) -> None:
            near, far = socket.socketpair()
            t.add_cleanup(near.close)
            t.add_cleanup(far.close)
            near.recv(1)

        done = harness.run_test(declared(hangs, timeout=0.2), options())
        self.assertEqual(done.failure.symptom, hints.TIMEOUT)
        self.assertLess(done.seconds, 2)

    def test_receive_reads_to_end_of_file(self) -> None:
        def replies(extra: bytes):
            def check(t: harness.Context) -> None:
                near, far = socket.socketpair()
                t.add_cleanup(near.close)
                far.sendall(b"hello\n" + extra)
                far.close()
                t.expect_reply(near, b"hello\n", "the reply")
            return check

        self.assertIsNone(harness.run_test(declared(replies(b"")),
                                           options()).failure)
        done = harness.run_test(declared(replies(b"more")), options())
        self.assertEqual(done.failure.symptom, hints.EXTRA)

    def test_cleanups_and_fixtures_end_with_the_test(self) -> None:
        calls = []

        class Fixture:
            def close(self) -> None:
                calls.append("fixture")

        def uses(t: harness.Context) -> None:
            t.use(Fixture())
            t.add_cleanup(lambda: calls.append("cleanup"))
            t.fail(hints.DIFFERS, "failed anyway")

        harness.run_test(declared(uses), options())
        self.assertEqual(calls, ["cleanup", "fixture"])

    def test_make_command_carries_the_flags(self) -> None:
        def sample(t: harness.Context) -> None:
            pass
        command = harness.make_command(
            declared(sample), options(make_flags="SOL=1", sanitizer="asan"))
        self.assertEqual(command, "make grade LAB=1 T=sample SOL=1 SAN=asan")


class UnitSuiteTest(unittest.TestCase):
    REPORT = ("Suite: http\n"
              "  Test: parses ...passed\n"
              "  Test: rejects ...FAILED\n"
              "    1. tests/unit/test_http.c:9  - got 0, want 400\n"
              "  Test: stub passes ...error: TODO(lab2.1): x is stubbed\n"
              "passed\n"
              "Suite: http (given)\n"
              "  Test: given ...passed\n"
              "Suite: more\n"
              "  Test: crashes ...")

    def test_outcomes_of_a_report(self) -> None:
        found = units.outcomes(self.REPORT)
        self.assertEqual([(o.name, o.passed) for o in found],
                         [("parses", True), ("rejects", False),
                          ("stub passes", False), ("crashes", False)])
        self.assertIn("want 400", found[1].lines[0])
        self.assertIn("starter stub", found[2].lines[0])
        self.assertIn("died", found[3].lines[0])

    def test_builds_come_from_the_programs_tree(self) -> None:
        self.assertEqual(builds.tree_flags("labs"), [])
        self.assertEqual(builds.tree_flags("solutions"), ["SOL=1"])
        self.assertEqual(builds.tree_flags("labs-given3"), ["GIVEN=3"])

    def test_partial_credit_counts_unreached_tests(self) -> None:
        t = mock.Mock()
        t.test.points = 10
        t.options = dataclasses.replace(
            options(), bin_dir=Path("build/debug/bin/labs"))
        names = ["parses", "rejects", "stub passes", "crashes", "unreached"]
        with mock.patch.object(units.builds, "build", return_value=NOWHERE), \
                mock.patch.object(units, "run",
                                  return_value=(self.REPORT, -11, names)):
            with self.assertRaises(Failure) as caught:
                units.grade_suite(t, "http", "http.c")
        self.assertEqual(caught.exception.earned, 2)    # 1 of 5
        self.assertEqual(caught.exception.symptom, hints.STUB)
        self.assertIn("1 of 5", caught.exception.summary)
        self.assertIn("SIGSEGV", caught.exception.summary)


class ReportTest(unittest.TestCase):
    def test_results_json_schema(self) -> None:
        data = report.results_json([result(True), result(False)],
                                   CUMULATIVE, 1.5)
        json.dumps(data)
        self.assertEqual(data["score"], 5)
        self.assertIsInstance(data["execution_time"], float)
        self.assertIn("1 passed, 1 failed", data["output"])
        for test in data["tests"]:
            self.assertEqual(set(test) - {"extra_data"},
                             {"name", "number", "score", "max_score",
                              "status", "output", "visibility"})
            self.assertIn(test["status"], ("passed", "failed"))
            self.assertRegex(test["number"], r"^\d+\.\d+$")
            self.assertIn(test["visibility"], harness.VISIBILITIES)
        self.assertEqual([t["status"] for t in data["tests"]],
                         ["passed", "failed"])

    def test_hidden_failure_shows_symptom_and_hint_only(self) -> None:
        hidden = result(False, visibility="hidden", detail="SECRET BYTES")
        hidden.stderr = [("02-forward", "GET /secret\nerror: TODO(lab2.1): "
                          "parse is not written yet")]
        text = report.failure_text(hidden)
        for secret in ("SECRET", "reply: differs", "/secret", "reproduce"):
            self.assertNotIn(secret, text)
        self.assertIn(f"symptom: {hints.DIFFERS}", text)
        self.assertIn("hint:", text)
        self.assertIn("logged: error: TODO(lab2.1)", text)

    def test_visible_failure_has_everything(self) -> None:
        text = report.failure_text(result(False, detail="the diff"))
        for part in ("reply: differs", "the diff", "hint:", "info: hi",
                     "reproduce: make grade LAB=1 T=sample", "seed 7"):
            self.assertIn(part, text)

    def test_totals_and_autolab_line(self) -> None:
        results = [result(True), result(False)]
        self.assertEqual(report.totals(results, CUMULATIVE).splitlines(),
                         ["Score: 5/10", "Grade (cumulative: the tests of "
                          "stages 1-1 at their points): 5/10",
                          "1 passed, 1 failed"])
        self.assertEqual(json.loads(report.autolab_line(results,
                                                        CUMULATIVE)),
                         {"scores": {"lab01": 5}})
        self.assertEqual(json.loads(report.autolab_line(results, OWN)),
                         {"scores": {"lab01": 50}})

    def test_not_applicable_costs_nothing_in_every_format(self) -> None:
        results = [result(True, 6), result(False, 2),
                   result(True, 2, missing="no IPv6 here")]
        self.assertEqual(report.score(results), (6, 8))
        lines = report.totals(results, CUMULATIVE).splitlines()
        self.assertEqual(lines[0], "Score: 6/8")
        self.assertIn("not counted: 2 points (sample)", lines[1])
        self.assertTrue(lines[2].endswith("7.5/10"))
        self.assertEqual(lines[3], "1 passed, 1 failed, 1 not applicable")
        gradescope = report.results_json(results, OWN, 1.0)
        self.assertEqual(gradescope["score"], 75)
        self.assertEqual(gradescope["extra_data"]["mode"], "own")
        skipped = gradescope["tests"][2]
        self.assertEqual((skipped["score"], skipped["max_score"]), (0, 0))
        self.assertNotIn("status", skipped)
        self.assertIn("no IPv6 here", skipped["output"])
        prairie = report.prairielearn_json(results, OWN)
        self.assertEqual(prairie["score"], 0.75)
        self.assertEqual([(t["points"], t["max_points"])
                          for t in prairie["tests"]], [(6, 6), (0, 2),
                                                       (0, 0)])
        self.assertEqual(json.loads(report.autolab_line(results, OWN)),
                         {"scores": {"lab01": 75}})

    def test_not_applicable_never_hides_a_crash(self) -> None:
        def lacks(t: harness.Context) -> None:
            t.not_applicable("no IPv6 here")

        done = harness.run_test(declared(lacks), options())
        self.assertEqual((done.not_applicable, done.score, done.possible),
                         ("no IPv6 here", 0, 0))
        with mock.patch.object(harness.Context, "finish",
                               return_value=Failure(hints.SIGNAL, "died")):
            crashed = harness.run_test(declared(lacks), options())
        self.assertIsNone(crashed.not_applicable)
        self.assertEqual((crashed.score, crashed.possible), (0, 5))

    def test_crashed_grader_still_writes_results(self) -> None:
        def sample(t: harness.Context) -> None:
            pass
        tests = [declared(sample)] * 3
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "results.json"
            args = argparse.Namespace(json=path, autolab=False,
                                      require_full=False, own=False,
                                      prairielearn=None, build_failed=None)
            crash = [result(True), RuntimeError("simulated crash")]
            with mock.patch.object(harness, "run_test", side_effect=crash), \
                    contextlib.redirect_stdout(io.StringIO()), \
                    self.assertRaises(RuntimeError):
                grade.grade(tests, {1: "sample"}, options(), args)
            data = json.loads(path.read_text())
            self.assertEqual(os.listdir(tmp), ["results.json"])
        self.assertEqual(data["score"], 5)
        self.assertEqual([t["name"] for t in data["tests"]],
                         ["sample", "grader crashed"])
        self.assertIn("simulated crash", data["tests"][1]["output"])
        self.assertIn("Traceback", data["output"])


class CommandLineTest(unittest.TestCase):
    def run_grader(self, *argv: str) -> tuple[int, str]:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = grade.main(list(argv))
        return status, out.getvalue()

    def test_list_and_only(self) -> None:
        status, out = self.run_grader("--lab", "1", "--bin-dir", "x",
                                      "--list")
        self.assertEqual(status, 0)
        self.assertIn("1.3", out)
        args = grade.parse_args(["--lab", "1", "--bin-dir", "x",
                                 "--only", "1.3"])
        tests, _ = grade.select(args)
        self.assertEqual(len(tests), 1)

    def test_missing_program_fails_and_last_line_counts(self) -> None:
        with tempfile.TemporaryDirectory() as empty:
            status, out = self.run_grader(
                "--lab", "1", "--own", "--only", "1.1", "--bin-dir", empty,
                "--require-full")
        self.assertEqual(status, 1)
        self.assertIn(f"symptom: {hints.NOT_BUILT}", out)
        self.assertEqual(out.splitlines()[-1], "0 passed, 1 failed")

    def test_build_failed_fails_every_test_with_one_log(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            log, out = Path(tmp) / "build.log", Path(tmp) / "pl.json"
            log.write_text("cc -c echo.c\necho.c:3:1: error: expected ';'"
                           "\nmake: *** [Makefile:9] Error 1\n")
            status, text = self.run_grader(
                "--lab", "1", "--bin-dir", "x", "--build-failed", str(log),
                "--prairielearn", str(out), "--own")
            data = json.loads(out.read_text())
        self.assertEqual(status, 0)
        self.assertGreater(len(data["tests"]), 1)
        self.assertEqual({t["points"] for t in data["tests"]}, {0})
        self.assertEqual(data["score"], 0)
        self.assertEqual(text.count("expected ';'"), 1)
        self.assertIn("expected ';'", data["output"])
        self.assertNotIn("expected ';'", data["tests"][0]["output"])
        self.assertNotIn("cc -c echo.c", text)


class HostileTableTest(unittest.TestCase):
    def test_table_loads_with_every_category(self) -> None:
        rows = hostile_rows.load()
        self.assertGreaterEqual(len(rows), 80)
        self.assertEqual({r.category for r in rows},
                         set(hostile_rows.CATEGORIES))

    def test_handouts_quote_the_table(self) -> None:
        self.assertEqual(hostile_table.stale_handouts(), [])

    def test_bad_row_names_its_line(self) -> None:
        cells = ["X1", "2", "nonsense", "-", "GET", "once", "-", "close",
                 "400", "-", "1", "hint", "RFC 9112"]
        with self.assertRaisesRegex(ValueError, r"line 7 \(X1\).*category"):
            hostile_rows.parse_line("\t".join(cells), 7)

    def test_unescape_fills_and_repeats(self) -> None:
        got = hostile_rows.unescape(r"GET {path}\r\n{2*X: {3*a}\r\n}\x00",
                                    {"path": "/p"})
        self.assertEqual(got, b"GET /p\r\nX: aaa\r\nX: aaa\r\n\0")

    def test_kept_rows_expect_after_a_good_answer(self) -> None:
        cells = ["X1", "7", "smuggling", "-", "GET", "once", "-", "close",
                 "kept,400|501", "-", "1", "hint", "RFC 9112"]
        row = hostile_rows.parse_line("\t".join(cells), 7)
        self.assertTrue(row.kept)
        self.assertEqual(row.statuses, [400, 501])
        self.assertEqual(row.outcome, "400|501")
        self.assertFalse(hostile_rows.parse_line("\t".join(
            cells[:8] + ["400"] + cells[9:]), 7).kept)

    def test_kept_answer_drops_only_the_close(self) -> None:
        reply = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        self.assertEqual(client.kept(reply), client.relayed(reply).replace(
            b"Connection: close\r\n", b""))

    def test_framed_cuts_at_content_length(self) -> None:
        reply = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA"
        self.assertEqual(hostile.framed(reply), reply[:-5])

    def test_failed_rows_keep_the_others_points(self) -> None:
        rows = [hostile_rows.Row("A", 2, "framing", "-", "x", "once", "-",
                                 "close", "400", "-", points, "h", "s")
                for points in (1, 2, 3)]
        failure = hostile.verdict(rows, [(rows[2], Failure(hints.DIFFERS,
                                                           "bad"))])
        self.assertEqual(failure.earned, hostile.STAGE_POINTS * 3 // 6)
        result = harness.Result(declared(lambda t: None, 15), failure, 1.0,
                                [], [], 1)
        self.assertEqual(result.score, failure.earned)


if __name__ == "__main__":
    unittest.main()
