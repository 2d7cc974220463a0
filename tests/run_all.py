"""Everything `make test` checks, in order, with one summary at the end.

Steps (see docs/ARCHITECTURE.md, "What make test runs"):
  1. build every program and unit test, reference and starter alike;
  2. the unit tests against solutions/, plain and under ASan+UBSan;
  3. the grader's and the tools' own tests, under Debian's
     /usr/bin/python3 whatever PYTHON is (test_python_support.py also
     reads every .py file for what the oldest supported Python, 3.9,
     cannot run);
  4. each stage's reference graded on its own tests, then the last stage
     cumulatively (every lab's tests), all at full marks;
  5. the last stage again under ASan+UBSan, and the threaded stages
     (03 and later) under ThreadSanitizer (each lab's grade includes its
     hostile cases, tests/grade/hostile.tsv); the slow-client attacks of
     tests/slowloris.py (slow heads, slow bodies, 5000 idle connections,
     descriptor exhaustion); then each fuzz target of tests/fuzz for
     FUZZ_SECONDS;
  6. the kit check: starters build, score 0 and fail fast with TODOs; the
     grader check: every known-buggy variant in tests/mutants is caught,
     (two variants at a time), and the reference passes once more with a
     core kept busy (make check-grader RUNS=20 is the full flake check);
  7. the handout check: the students' tarball holds no solution, builds,
     and its starters score 0; with the reference copied over them,
     every command its Markdown tells a student to run works; the
     Gradescope, PrairieLearn and Autolab autograders of lab 2 on sample
     submissions (full marks, 0, a build that fails), giving the same
     points for every test; batch grading
     of the samples (sandboxed when run as root) and its class report,
     rendered by headless Chromium; the
     reference at full marks where the loopback has no IPv6 (its
     IPv6 test not applicable);
  8. the house format (clang-format) and clang-tidy's checks;
  9. the slides: every deck renders with Marp, with no broken image and
     no empty slide (tests/check_slides.py, after its own tests); a
     graded test's TRACE=1 timeline renders in headless Chromium
     (tests/check_trace.py);
 10. the HTTP working group's cache tests through the stage 05 reference
     (make cache-tests STRICT=1): no required failure outside the listed
     exclusions, and none passes once the program is stopped.
Each step's own `N passed, N failed` line is added into the totals; a step
without one (a build, the format check) counts as one check. Every step
runs even after a failure, so one report shows everything that is wrong.
"""
from __future__ import annotations
import os
import re
import subprocess
import sys
import time

TOTALS = re.compile(r"^(?:\w+: )?(\d+) passed, (\d+) failed", re.M)
UNITTEST_RAN = re.compile(r"^Ran (\d+) tests?", re.M)
UNITTEST_BAD = re.compile(r"^FAILED \((?:failures=(\d+))?(?:, )?(?:errors=(\d+))?",
                          re.M)
THREADED_FROM = 3  # the first stage with threads, graded under TSan
FUZZ_SECONDS = 10  # each fuzz target's run
SYSTEM_PYTHON = "/usr/bin/python3"  # the Python a fresh Debian machine has


def stages() -> list[str]:
    return sorted(d for d in os.listdir("labs") if re.match(r"\d\d-", d))


def make(*args: str) -> list[str]:
    return ["make", "--no-print-directory", *args]


def steps() -> list[tuple[str, list[str]]]:
    """The commands to run, each with a short title."""
    last = len(stages())
    plan = [
        ("build references", make("SOL=1", "all")),
        ("build starters", make("all")),
        ("unit tests", make("SOL=1", "unit")),
        ("unit tests, ASan+UBSan", make("SOL=1", "SAN=asan", "unit")),
        ("grader and tools self-test", [
            SYSTEM_PYTHON, "-m", "unittest", "-v",
            "tests/grade/test_grader.py", "tests/test_python_support.py",
            "tests/test_handin.py", "tests/test_docs.py",
            "tests/test_mdcommands.py"]),
    ]
    for n in range(1, last):
        plan.append((f"grade lab {n} (own tests)",
                     make("SOL=1", "OWN=1", "FULL=1", "grade", f"LAB={n}")))
    plan.append((f"grade lab {last} (all labs)",
                 make("SOL=1", "FULL=1", "grade", f"LAB={last}")))
    plan.append((f"grade lab {last}, ASan+UBSan",
                 make("SOL=1", "SAN=asan", "FULL=1", "grade", f"LAB={last}")))
    for n in range(THREADED_FROM, last + 1):
        plan.append((f"grade lab {n}, ThreadSanitizer",
                     make("SOL=1", "SAN=tsan", "OWN=1", "FULL=1", "grade",
                          f"LAB={n}")))
    plan.append(("slow clients, descriptor exhaustion (make slowloris)",
                 make("slowloris")))
    plan.append((f"fuzz the parsers, {FUZZ_SECONDS} s each",
                 make("SOL=1", "fuzz", f"FUZZ_SECONDS={FUZZ_SECONDS}")))
    plan.append(("kit check", make("kitcheck")))
    plan.append(("grader check: variants, a reference run",
                 make("check-grader", "RUNS=1")))
    plan.append(("handout check", make("check-handout")))
    plan.append(("gradescope, prairielearn, autolab graders, lab 2",
                 make("check-platforms")))
    plan.append(("batch grading, lab 2, and its class report",
                 make("check-batch")))
    plan.append(("no IPv6 on the loopback: labs 2, 4, 6",
                 make("check-no-ipv6")))
    plan.append(("format check", make("format-check")))
    plan.append(("clang-tidy", make("tidy")))
    plan.append(("slides: render, check each deck",
                 make("slides-check")))
    plan.append(("a test's timeline, rendered in Chromium",
                 make("check-trace")))
    plan.append(("HTTP WG cache tests, stage 05 reference",
                 make("SOL=1", "LAB=5", "STRICT=1", "cache-tests")))
    return plan


def counts_of(output: str) -> tuple[int, int] | None:
    """The (passed, failed) a step reported: its last "N passed, N failed"
    line, or Python unittest's "Ran N tests" and "FAILED (...)" lines."""
    totals = TOTALS.findall(output)
    if totals:
        return int(totals[-1][0]), int(totals[-1][1])
    ran = UNITTEST_RAN.search(output)
    if ran is None:
        return None
    bad = UNITTEST_BAD.search(output)
    failed = sum(int(n or 0) for n in bad.groups()) if bad else 0
    return int(ran[1]) - failed, failed


def run_step(title: str, cmd: list[str]) -> tuple[bool, int, int, float]:
    """Run one step, echoing its output; return (ok, passed, failed, secs)."""
    print(f"\n==== {title}: {' '.join(cmd)}", flush=True)
    start = time.monotonic()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True,
                          errors="replace")
    secs = time.monotonic() - start
    print(proc.stdout, end="", flush=True)
    ok = proc.returncode == 0
    counts = counts_of(proc.stdout)
    if counts is None:
        return ok, int(ok), int(not ok), secs  # a build: one check
    passed, failed = counts
    if not ok and failed == 0:
        failed = 1  # failed without saying why in its counts
    return ok, passed, failed, secs


def main() -> int:
    results = [(title, *run_step(title, cmd)) for title, cmd in steps()]
    print("\n==== summary")
    for title, ok, passed, failed, secs in results:
        mark = "ok  " if ok else "FAIL"
        print(f"{mark} {title:<34} {passed:5} passed {failed:3} failed"
              f" {secs:7.1f}s")
    passed = sum(r[2] for r in results)
    failed = sum(r[3] for r in results)
    print(f"{passed} passed, {failed} failed")
    return 0 if all(r[1] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
