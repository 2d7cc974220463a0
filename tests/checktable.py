"""checktable.py - the table the instructor's checks print.

Each check is a name and its problems (none means it passed); the table
has a PASS or FAIL row per check with its problems under it, then the
line "N passed, N failed" that tests/run_all.py counts.
"""
from __future__ import annotations

Check = tuple[str, list[str]]


def print_row(title: str, problems: list[str]) -> None:
    """One check's row, and its problems indented below it."""
    print(f"{title:<32} {'FAIL' if problems else 'PASS'}", flush=True)
    for problem in problems:
        print(f"    {problem}")


def summary(checks: list[Check]) -> int:
    """Print the closing line; return the exit status: 1 on any failure."""
    failed = sum(bool(problems) for _, problems in checks)
    print(f"{len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0


def report(checks: list[Check]) -> int:
    """Print every row and the summary; return the exit status."""
    for title, problems in checks:
        print_row(title, problems)
    return summary(checks)
