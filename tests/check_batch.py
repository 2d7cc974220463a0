#!/usr/bin/python3
"""check_batch.py - prove batch grading works and is sandboxed
(`make check-batch`; run as root to see the user switch).

  sandbox  a command run through sandbox.py runs as proxylab-grader (as
           root), with the open-files limit set, and, where the machine
           allows, sees no network interface but lo;
  batch    batch.py grades the three samples of samples.py (reference,
           starters, a syntax error) two at a time into a CSV: full
           marks, 0, and 0 with build "failed".
Prints a table and "N passed, N failed"; exits 1 on any failure.
Usage: python3 tests/check_batch.py [--lab N]   (default 2: quick)
"""
from __future__ import annotations
import argparse
import csv
import pwd
import resource
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import batch  # noqa: E402
import checktable  # noqa: E402
import samples  # noqa: E402
import sandbox  # noqa: E402

PROBE = "id -un; ulimit -n; tail -n +3 /proc/net/dev | cut -d: -f1"
EXPECTED = {"full": ("full", "ok"), "starter": ("zero", "ok"),
            "broken": ("zero", "failed")}


def check_sandbox() -> list[str]:
    """Problems with what a sandboxed command can do."""
    user = sandbox.grader_user()
    private_net = sandbox.private_network_works()
    status, output = sandbox.run(["sh", "-c", PROBE], "/", user,
                                 private_net, 30)
    lines = output.split()
    expected_user = sandbox.USER if user else pwd.getpwuid(0)[0]
    problems = [] if status == 0 else [f"the probe failed: {output}"]
    if lines[:1] != [expected_user]:
        problems.append(f"ran as {lines[:1]}, not {expected_user}")
    if lines[1:2] != [str(sandbox.LIMITS[resource.RLIMIT_NOFILE])]:
        problems.append(f"open files limit is {lines[1:2]}")
    if private_net and lines[2:] != ["lo"]:
        problems.append(f"network interfaces {lines[2:]}, not just lo")
    return problems


def check_batch(lab: int) -> list[str]:
    """Problems with the CSV of the three samples."""
    with tempfile.TemporaryDirectory(prefix="check-batch-") as tmp:
        folder = Path(tmp) / "submissions"
        folder.mkdir()
        samples.make_all(folder, lab)
        out = Path(tmp) / "grades.csv"
        batch.grade_all(folder, lab, 2, out)
        with open(out, newline="") as rows:
            table = {row["student"]: row for row in csv.DictReader(rows)}
    problems = []
    for student, (score, build) in EXPECTED.items():
        row = table.get(student)
        if row is None:
            problems.append(f"{student}: no row")
            continue
        want = row["max_score"] if score == "full" else "0"
        if (row["score"], row["build"]) != (want, build) or \
                int(row["max_score"]) == 0:
            problems.append(f"{student}: {row['score']}/{row['max_score']}"
                            f" build {row['build']}, expected {score}, "
                            f"build {build}")
    return problems


def main() -> int:
    """Run both checks; print the table; exit 1 on any failure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", type=int, default=2)
    lab = parser.parse_args().lab
    return checktable.report([("batch sandbox", check_sandbox()),
                              (f"batch lab {lab}", check_batch(lab))])


if __name__ == "__main__":
    sys.exit(main())
