"""Run the CUnit test programs given on the command line and total them.

Each program prints CUnit's verbose report and exits non-zero when an
assertion failed (see tests/unit/unit.h). This runner shows one line per
program, naming the stage and file it tests; for a program that failed,
its first failing tests with their first assertions, the starter stubs
that ran, and how to see the whole report. It ends with the line
`N passed, N failed` counted in tests, as CI reads it.
"""
from __future__ import annotations
import re
import subprocess
import sys
from pathlib import Path

TIME_LIMIT = 120  # seconds per test program
SHOWN = 5         # failing tests shown per program
SUMMARY = re.compile(r"^\s*tests\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", re.M)
FAILED_TEST = re.compile(r"^  Test: (.*?) \.\.\.(?:.*\n)*?FAILED\n"
                         r"((?: +\d+\. .*\n)*)", re.M)
STUB = re.compile(r"TODO\(lab[0-9.]+\)[^\n]*")


def tested_file(program: str) -> str:
    """What test_X tests: "stage 02, http.c" for a student's module,
    "given, common/rio.c" for the kit's own."""
    module = Path(program).name.removeprefix("test_")
    for path in sorted(Path("labs").glob(f"[0-9][0-9]-*/{module}.c")):
        return f"stage {path.parent.name[:2]}, {path.name}"
    for path in (Path("common") / f"{module}.c",
                 Path("common") / "stage" / f"proxy_{module}.c"):
        if path.is_file():
            return f"given, {path}"
    return "given"


def failures(report: str) -> list[str]:
    """The first SHOWN failing tests of a report, each with its first two
    assertions, and a count of the rest."""
    found = FAILED_TEST.findall(report)
    lines = []
    for name, asserts in found[:SHOWN]:
        lines.append(f"    {name}")
        lines += [f"      {a.strip()}" for a in asserts.splitlines()[:2]]
    if len(found) > SHOWN:
        lines.append(f"    ... and {len(found) - SHOWN} more failing tests")
    return lines


def run_one(path: str) -> tuple[int, int]:
    """Run one test program; return (tests passed, tests failed)."""
    label = f"{path} ({tested_file(path)})"
    try:
        proc = subprocess.run([path], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True,
                              errors="replace", timeout=TIME_LIMIT)
    except subprocess.TimeoutExpired:
        print(f"FAIL {label}: no result within {TIME_LIMIT} s")
        return 0, 1
    found = SUMMARY.search(proc.stdout)
    passed, failed = (int(found[3]), int(found[4])) if found else (0, 0)
    if proc.returncode != 0 and failed == 0:
        failed = 1  # crashed, or failed before CUnit could count
    status = "ok  " if proc.returncode == 0 else "FAIL"
    print(f"{status} {label}: {passed} passed, {failed} failed")
    if proc.returncode != 0:
        print("\n".join(failures(proc.stdout)))
        stubs = list(dict.fromkeys(STUB.findall(proc.stdout)))
        if stubs:
            print(f"    starter stubs ran: {'; '.join(stubs[:3])}"
                  f"{' ...' if len(stubs) > 3 else ''}")
        if proc.returncode < 0:
            print(f"    killed by signal {-proc.returncode}")
        print(f"    every failure in full: {path}")
    return passed, failed


def main(paths: list[str]) -> int:
    passed = failed = 0
    for path in paths:
        p, f = run_one(path)
        passed += p
        failed += f
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
