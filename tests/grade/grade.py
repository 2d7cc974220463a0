#!/usr/bin/python3
"""grade.py - grade a lab of the proxy kit: run its tests, report the score.

Usage: grade.py --lab N --bin-dir DIR [--own] [--only NAME] [--json FILE]
                [--prairielearn FILE] [--autolab] [--build-failed LOG]
                [--valgrind] [--sanitizer asan|tsan]
                [--require-full] [--stretch FACTOR] [--seed N]
                [--make-flags FLAGS] [-v] [--list]

Grading lab N runs the tests of labs 1..N, graded out of their points
(cumulative); --own runs lab N's only, graded out of 100. The tests of
lab K live in labKK.py beside this file, followed by the hostile cases of
stage K (hostile.tsv, run by hostile.py); a lab with neither adds no
tests. The program of stage K is the file in DIR named "KK-...". Usually
run through `make grade LAB=N` (T=name runs one test, V=1 is -v, OWN=1 is
--own). --build-failed LOG runs nothing: every test fails at 0, and the
results say why with the compiler's messages from LOG (what the graders of
tools/ do when `make grade` could not build).
The last stdout line is "N passed, N failed" (or, with --autolab, the
Autolab score line after it). Exit status 0, or 1 with --require-full
unless every test passed or was not applicable here.
"""
from __future__ import annotations
import argparse
import atexit
import dataclasses
import importlib
import importlib.util
import random
import re
import signal
import sys
import time
import traceback
from pathlib import Path

import harness
import hints
import hostile_rows
import procs
import report

BUILD_LOG_LINES = 30   # compiler lines a build failure shows
DIAGNOSTIC = re.compile(r": (?:fatal )?error: |: warning: |undefined ref|"
                        r"\*\*\* ")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line, checked."""
    parser = argparse.ArgumentParser(
        description="Grade a lab of the proxy kit.")
    parser.add_argument("--lab", type=int, required=True,
                        help="the lab to grade (labs before it run too)")
    parser.add_argument("--bin-dir", type=Path, required=True,
                        help="where the programs NN-name are")
    parser.add_argument("--own", action="store_true",
                        help="run only the graded lab's own tests")
    parser.add_argument("--only", metavar="NAME",
                        help="run one test, by name or number (1.3)")
    parser.add_argument("--json", type=Path, metavar="FILE",
                        help="write Gradescope results.json to FILE")
    parser.add_argument("--prairielearn", type=Path, metavar="FILE",
                        help="write PrairieLearn's results.json to FILE")
    parser.add_argument("--build-failed", type=Path, metavar="LOG",
                        help="the build failed (LOG holds its output): "
                             "every test fails at 0, nothing runs")
    parser.add_argument("--autolab", action="store_true",
                        help="end with Autolab's score line")
    parser.add_argument("--valgrind", action="store_true",
                        help="run every program under valgrind memcheck")
    parser.add_argument("--sanitizer", choices=("asan", "tsan"),
                        help="the programs are this sanitizer's build")
    parser.add_argument("--require-full", action="store_true",
                        help="exit 1 unless every test passed")
    parser.add_argument("--stretch", type=float, default=1.0,
                        metavar="FACTOR", help="multiply every time limit")
    parser.add_argument("--seed", type=int,
                        help="seed of the random test data (default: new)")
    parser.add_argument("--make-flags", default="", metavar="FLAGS",
                        help='make variables for the reproduce line '
                             '("SOL=1")')
    parser.add_argument("--trace", type=Path, metavar="DIR",
                        help="write a timeline of each test to DIR/"
                             "NUMBER-NAME.html")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="say what each test does")
    parser.add_argument("--list", action="store_true",
                        help="list the tests and exit")
    args = parser.parse_args(argv)
    if args.lab < 1:
        parser.error("--lab must be 1 or more")
    if args.stretch <= 0:
        parser.error("--stretch must be positive")
    if args.valgrind and args.sanitizer:
        parser.error("valgrind cannot run a sanitizer build: pick one")
    return args


def hostile_tests(lab: int) -> list[harness.Test]:
    """The hostile test of stage lab, if hostile.tsv has rows for it.
    hostile.py is imported only then: it builds on lab 02's helpers, which
    a handout of stage 01 alone does not have."""
    if not hostile_rows.of_stage(hostile_rows.load(), lab):
        return []
    return importlib.import_module("hostile").tests_for(lab)


def load_tests(labs: range) -> tuple[list[harness.Test], dict[int, str]]:
    """The tests of the given labs, in order, and each lab's title."""
    tests, titles = [], {}
    for lab in labs:
        name = f"lab{lab:02d}"
        own = []
        if importlib.util.find_spec(name) is not None:
            module = importlib.import_module(name)
            titles[lab] = getattr(module, "TITLE", name)
            own = harness.collect(module, lab)
        extra = hostile_tests(lab)
        tests += own + [dataclasses.replace(test, index=len(own) + i)
                        for i, test in enumerate(extra, 1)]
        if extra:
            titles.setdefault(lab, name)
    return tests, titles


def select(args: argparse.Namespace) -> \
        tuple[list[harness.Test], dict[int, str]]:
    """The tests this run grades, and the titles of their labs."""
    first = args.lab if args.own else 1
    tests, titles = load_tests(range(first, args.lab + 1))
    if args.only:
        tests = [t for t in tests if args.only in (t.name, t.number)]
        if not tests:
            sys.exit(f"grade.py: no test named {args.only} in labs "
                     f"{first}..{args.lab} (--list shows them)")
    return tests, titles


def print_list(tests: list[harness.Test]) -> None:
    """Print one line per test: number, name, points, sentence."""
    for test in tests:
        print(f"{test.number:<6} {test.name:<28} {test.points:>3}  "
              f"{test.sentence}")


def stop_on_signal(signum: int, frame: object) -> None:
    """SIGTERM/SIGHUP of the grader: unwind, so programs are reaped."""
    raise SystemExit(128 + signum)


def build_errors(log: Path) -> str:
    """The build's messages that say what is wrong, at most
    BUILD_LOG_LINES of them (its last lines when none is recognised)."""
    lines = log.read_text(errors="replace").splitlines()
    said = [line for line in lines if DIAGNOSTIC.search(line)] or lines
    return "\n".join(said[:BUILD_LOG_LINES])


def unbuilt(test: harness.Test, options: harness.Options) -> harness.Result:
    """test failed at 0 because the build failed (its messages are said
    once, before the results)."""
    return harness.Result(
        test, hints.Failure(hints.NOT_BUILT, "the build failed: nothing was "
                            "graded (the compiler's messages are above)"),
        0.0, [], [harness.make_command(test, options)], options.seed)


def run_all(tests: list[harness.Test], titles: dict[int, str],
            options: harness.Options, args: argparse.Namespace,
            results: list[harness.Result]) -> None:
    """Run the tests (or, after a failed build, fail them all), printing
    each lab's heading before its first test and each row as it ends, and
    appending it to results."""
    table = report.Table(titles, sys.stdout.isatty())
    for test in tests:
        table.start(test)
        results.append(unbuilt(test, options) if args.build_failed
                       else harness.run_test(test, options))
        table.add(results[-1])
    table.close()


def write_results(args: argparse.Namespace, results: list[harness.Result],
                  mode: report.Mode, seconds: float,
                  crash: str | None = None) -> None:
    """Write the results files the command line asks for."""
    preface = build_preface(args)
    built = {"built": not args.build_failed}
    if args.json:
        data = report.results_json(results, mode, seconds, crash, preface)
        data["extra_data"].update(built)
        report.write_json(args.json, data)
    if args.prairielearn:
        data = report.prairielearn_json(results, mode, preface)
        data["extra_data"].update(built)
        report.write_json(args.prairielearn, data)


def build_preface(args: argparse.Namespace) -> str:
    """What the results say first: after a failed build, the compiler's
    messages (once); else nothing."""
    if not args.build_failed:
        return ""
    return "The build failed: every test scores 0. The compiler said:\n" + \
        report.indent(build_errors(args.build_failed))


def grade(tests: list[harness.Test], titles: dict[int, str],
          options: harness.Options, args: argparse.Namespace) -> int:
    """Run the tests, print the report, write the results; exit status."""
    results: list[harness.Result] = []
    started = time.monotonic()
    mode = report.Mode(options.graded_lab, args.own)
    try:
        if args.build_failed:
            print(build_preface(args) + "\n", flush=True)
        run_all(tests, titles, options, args, results)
        if not args.build_failed:
            report.print_failures(results, sys.stdout.isatty())
        print(report.totals(results, mode), flush=True)
    except BaseException:
        write_results(args, results, mode, time.monotonic() - started,
                      traceback.format_exc())
        raise
    finally:
        procs.reap_all()
    write_results(args, results, mode, time.monotonic() - started)
    if args.autolab:
        print(report.autolab_line(results, mode))
    failed = any(r.failed for r in results)
    return 1 if args.require_full and failed else 0


def main(argv: list[str] | None = None) -> int:
    """Grade as the command line says; return the exit status."""
    args = parse_args(argv)
    tests, titles = select(args)
    if args.list:
        print_list(tests)
        return 0
    options = harness.Options(
        bin_dir=args.bin_dir, graded_lab=args.lab, stretch=args.stretch,
        valgrind=args.valgrind, sanitizer=args.sanitizer,
        verbose=args.verbose, make_flags=args.make_flags,
        trace_dir=args.trace,
        seed=random.randrange(1, 1 << 31) if args.seed is None
        else args.seed)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, stop_on_signal)
    signal.signal(signal.SIGHUP, stop_on_signal)
    atexit.register(procs.reap_all)
    return grade(tests, titles, options, args)


if __name__ == "__main__":
    sys.exit(main())
