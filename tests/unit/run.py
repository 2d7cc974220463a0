"""Run the CUnit test programs given on the command line and total them.

Each program prints CUnit's verbose report and exits non-zero when an
assertion failed (see tests/unit/unit.h). This runner shows each program's
summary, the full report of any program that failed, and ends with the line
`N passed, N failed` counted in tests, as CI reads it.
"""
from __future__ import annotations
import re
import subprocess
import sys

TIME_LIMIT = 120  # seconds per test program
SUMMARY = re.compile(r"^\s*tests\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", re.M)


def run_one(path: str) -> tuple[int, int]:
    """Run one test program; return (tests passed, tests failed)."""
    try:
        proc = subprocess.run([path], capture_output=True, text=True,
                              errors="replace", timeout=TIME_LIMIT)
    except subprocess.TimeoutExpired:
        print(f"FAIL {path}: no result within {TIME_LIMIT} s")
        return 0, 1
    found = SUMMARY.search(proc.stdout)
    passed, failed = (int(found[3]), int(found[4])) if found else (0, 0)
    if proc.returncode != 0 and failed == 0:
        failed = 1  # crashed, or failed before CUnit could count
    status = "ok  " if proc.returncode == 0 else "FAIL"
    print(f"{status} {path}: {passed} passed, {failed} failed")
    if proc.returncode != 0:
        print(proc.stdout + proc.stderr)
        if proc.returncode < 0:
            print(f"  (killed by signal {-proc.returncode})")
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
