#!/usr/bin/python3
"""check_no_ipv6.py - the reference keeps full marks where the loopback has
no IPv6 (`make check-no-ipv6`, a step of `make test`).

Container platforms often run without IPv6. This check makes such a
machine: a network namespace of its own (`unshare -rn`, which needs no
root where unprivileged user namespaces are allowed), its lo up, IPv6 off
on it (`sysctl -w net.ipv6.conf.lo.disable_ipv6=1`); as root, a plain
`unshare -n` where user namespaces are not allowed. In it, the reference
is graded: lab 2 cumulatively (its ipv6_origin test must be reported not
applicable, its points out of the total), lab 4 on its own tests (its
tunnel_ipv6_target too), and lab 6 on its own (its blocklists name
[::1]). Each run must exit 0 with FULL=1, fail nothing, and grade full
marks of what applies.
Prints a table and "N passed, N failed"; exits 1 on any failure.
Usage: python3 tests/check_no_ipv6.py
"""
from __future__ import annotations
import re
import subprocess
import sys
from pathlib import Path

import checktable

ROOT = Path(__file__).resolve().parent.parent
NO_IPV6 = "ip link set lo up && sysctl -q -w net.ipv6.conf.lo.disable_ipv6=1" \
          ' && exec "$@"'
RUNS = {   # lab -> (make grade's extra words, tests that must be N/A)
    2: ((), ("ipv6_origin",)),
    4: (("OWN=1",), ("tunnel_ipv6_target",)),
    6: (("OWN=1",), ()),
}
GRADE_LINE = re.compile(r"^Grade \([^)]*\): ([\d.]+)/(\d+)$", re.M)
TIME_LIMIT = 600   # seconds one lab's grading may take


UNSHARE = (["unshare", "-rn"], ["unshare", "-n"])   # unprivileged, root


def namespace_command() -> list[str] | None:
    """The first way to make a network namespace that works here: as an
    unprivileged user (a user namespace too), or as root."""
    for command in UNSHARE:
        probe = subprocess.run([*command, "--", "sh", "-c", NO_IPV6, "sh",
                                "true"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return command
    return None


def without_ipv6(unshare: list[str], argv: list[str]) -> list[str]:
    """argv run in a new network namespace whose lo has no IPv6."""
    return [*unshare, "--", "sh", "-c", NO_IPV6, "sh", *argv]


def make(*words: str) -> list[str]:
    """A make command of the kit, quiet."""
    return ["make", "-s", "--no-print-directory", "-C", str(ROOT), *words]


def problems_of(lab: int, status: int, output: str,
                skipped: tuple[str, ...]) -> list[str]:
    """What is wrong with one lab's grading without IPv6."""
    problems = [] if status == 0 else [f"make grade exited {status}"]
    tail = output.strip().splitlines()[-1:] or ["(no output)"]
    if not re.match(r"\d+ passed, 0 failed", tail[0]):
        problems.append(f"last line: {tail[0]}")
    grade = GRADE_LINE.search(output)
    if grade is None or float(grade[1]) != float(grade[2]):
        problems.append(f"not full marks: {grade[0] if grade else 'no grade'}")
    for name in skipped:
        if not re.search(rf"^N/A .*{name}: not applicable here", output,
                         re.M):
            problems.append(f"{name} was not reported not applicable")
    return problems


def check(lab: int, unshare: list[str]) -> list[str]:
    """Grade the reference of lab without IPv6; the problems found."""
    extra, skipped = RUNS[lab]
    built = subprocess.run(make("SOL=1", "lab", f"LAB={lab}"),
                           capture_output=True, text=True)
    if built.returncode != 0:
        return [f"the reference of lab {lab} did not build:",
                built.stdout + built.stderr]
    run = subprocess.run(
        without_ipv6(unshare, make("SOL=1", "FULL=1", "grade", f"LAB={lab}",
                                   *extra)),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        errors="replace", timeout=TIME_LIMIT)
    problems = problems_of(lab, run.returncode, run.stdout, skipped)
    return problems + ([run.stdout[-3000:]] if problems else [])


def main() -> int:
    """Check each lab of RUNS; print the table; exit 1 on any failure."""
    checks: list[checktable.Check] = []
    unshare = namespace_command()
    if unshare is None:
        return checktable.report([("no IPv6: a network namespace", [
            "neither `unshare -rn` nor `unshare -n` (as root) can make a "
            "network namespace here, with lo up and IPv6 off on it"])])
    for lab in RUNS:
        checks.append((f"no IPv6: lab {lab} reference", check(lab, unshare)))
        checktable.print_row(*checks[-1])
    return checktable.summary(checks)


if __name__ == "__main__":
    sys.exit(main())
