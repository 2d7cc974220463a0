"""units.py - a stage's CUnit suites as graded tests.

Each unit test program (tests/unit/test_X.c) is built against the
student's X.c, the way `make unit` builds it, and run. Every test of the
suite (but those of a "(given)" suite, which test the functions the
starter gives) is one share of the points: it counts when CUnit says it
passed and no starter stub ran during it (a stub can return what a test
expects). A crash costs the test it happened in and those it never
reached, never another suite; a build failure costs this suite alone.
"""
from __future__ import annotations
import os
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import builds
import hints
from harness import Context, test
from hints import Failure

SHOWN = 5                # failing tests shown in full
SUITE_START = re.compile(r"^Suite: (.*)$", re.M)
TEST_START = re.compile(r"^  Test: (.*?) \.\.\.", re.M)
GIVEN = " (given)"       # a suite of the starter's given functions: not graded
RESULT = re.compile(r"^(passed|FAILED)$", re.M)
ASSERTION = re.compile(r"^ +\d+\. .*$", re.M)
STUB_RAN = re.compile(r"TODO\(lab[0-9.]+\)[^\n]*")
HINTS = {
    hints.DIFFERS: "Each line above names a failing test and its first "
                   "assertions (file:line, what the function returned and "
                   "what the contract in common/stage/*.h wants). Run the "
                   "suite by hand to see them all.",
    hints.STUB: "A starter stub ran during these tests: write the function "
                "its TODO(labN.k) line names.",
    hints.SIGNAL: "The suite crashed inside your code: run the suite's "
                  "program under gdb, or build with SAN=asan (make unit "
                  "SAN=asan) to see the bad access and its line.",
    hints.NOT_BUILT: "The unit tests call your functions as the header in "
                     "common/stage/ declares them: keep every signature as "
                     "it is, and fix the compiler's first error.",
}


@dataclass
class Outcome:
    """What one unit test did."""
    name: str
    passed: bool = False
    lines: list[str] = field(default_factory=list)  # why it failed


def run(t: Context, path: Path) -> tuple[str, int, list[str]]:
    """Run the suite's program: its merged output (CUnit's report and the
    program's log lines, in order), its exit status, and the names of all
    its tests."""
    names = subprocess.run([str(path)], capture_output=True, text=True,
                           errors="replace", timeout=t.limit,
                           env={**os.environ, "UNIT_LIST": "1"}).stdout
    with t.step(f"running {path}"):
        done = subprocess.run([str(path)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True,
                              errors="replace", timeout=t.limit)
    listed = [test for suite, _, test in
              (line.partition(": ") for line in names.splitlines())
              if not suite.endswith(GIVEN)]
    return done.stdout, done.returncode, listed


def graded_part(report: str) -> str:
    """The report without the suites of given functions."""
    parts = SUITE_START.split(report)   # text, name, text, name, text...
    return parts[0] + "".join(text for name, text in zip(parts[1::2],
                                                          parts[2::2])
                              if not name.endswith(GIVEN))


def outcomes(report: str) -> list[Outcome]:
    """Each graded test the report shows, in order, with how it went."""
    report = graded_part(report)
    starts = list(TEST_START.finditer(report))
    found = []
    for i, start in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(report)
        body = report[start.end():end]
        result = RESULT.search(body)
        stub = STUB_RAN.search(body)
        outcome = Outcome(start[1], result is not None and
                          result[1] == "passed" and stub is None)
        if result is None:
            outcome.lines.append("it never finished: the program died "
                                 "during it")
        elif stub is not None:
            outcome.lines.append(f"a starter stub ran: {stub[0]}")
        outcome.lines += [line.strip() for line in
                          ASSERTION.findall(body)[:3]]
        found.append(outcome)
    return found


def grade_suite(t: Context, module: str, what: str) -> None:
    """Build and run tests/unit/test_<module>.c against the student's
    <module>.c; fail with partial credit, one share a test, unless every
    test passed."""
    path = builds.build(t, builds.unit_program(t.options, module),
                        t.options.sanitizer, f"the unit tests of {what}")
    t.reproduce(f"make unit  # or just the suite: {path}")
    report, status, names = run(t, path)
    seen = outcomes(report)
    ran = {o.name for o in seen}
    missed = [Outcome(n, lines=["never ran: the program died before it"])
              for n in names if n not in ran]
    results = seen + missed
    failed = [o for o in results if not o.passed]
    if not failed and status == 0:
        return
    if not failed:       # every test passed, yet the program failed at exit
        failed = [Outcome("at exit", lines=[f"the program ended with "
                                            f"{hints.status_text(status)}: "
                                            "see its report"])]
    total = max(len(results), 1)
    passed = total - len(failed)
    summary = f"{passed} of {total} unit tests of {what} pass"
    if status < 0:
        summary += f"; the suite died by {hints.signal_text(-status)}"
    detail = [f"{o.name}:" + "".join(f"\n  {line}" for line in o.lines)
              for o in failed[:SHOWN]]
    if len(failed) > SHOWN:
        detail.append(f"... and {len(failed) - SHOWN} more failing tests")
    symptom = hints.SIGNAL if status < 0 else hints.DIFFERS
    if any(o.lines and "stub" in o.lines[0] for o in failed):
        symptom = hints.STUB
    raise Failure(symptom, summary, "\n".join(detail),
                  earned=t.test.points * passed // total)


def suite_test(lab_module: str, points: int, module: str, checks: str,
               rules: tuple[str, ...]) -> Callable[[Context], None]:
    """The graded test unit_<module> of lab_module (its __name__): the
    suite of <module>.c, which checks what checks says (the handout's
    rules), one share a test."""
    def grade(t: Context) -> None:
        grade_suite(t, module, f"{module}.c")

    grade.__name__ = grade.__qualname__ = f"unit_{module}"
    grade.__module__ = lab_module
    return test(points, f"the unit tests of {module}.c (tests/unit/"
                f"test_{module}.c) pass: {checks}; each test is one share "
                "of the points", timeout=90, hints=HINTS, rules=rules)(grade)
