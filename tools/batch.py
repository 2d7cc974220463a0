#!/usr/bin/python3
"""batch.py - grade a folder of submissions into one CSV
(`make batch DIR=submissions/ [LAB=N] [JOBS=2]`).

DIR holds one entry per student: a folder, or a tarball such as `make
handin` writes; the entry's name (without .tar.gz) names the student.
Each submission is graded as Gradescope's run_autograder does: its files
(submission.py) go into a fresh copy of the kit of stages 01..N (hidden
tests included, no reference), then `make grade LAB=N JSON=...` builds and
grades it, in the sandbox of sandbox.py (unprivileged user, resource
limits, private network where possible), JOBS submissions at a time.
Writes build/batch/grades-labN.csv: student, score, max_score, build
(ok, failed, timeout), sandbox, then one column of points per test; and
each student's make output in build/batch/logs/STUDENT.log.
Usage: python3 tools/batch.py DIR [--lab N] [--jobs J] [--out FILE]
"""
from __future__ import annotations
import argparse
import csv
import json
import os
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import kitfiles
import sandbox
import submission

OUT = kitfiles.ROOT / "build" / "batch"
TIME_LIMIT = 1800    # seconds one submission's build and grading may take


@dataclass
class Setup:
    """What every submission's grading shares."""
    lab: int
    pristine: Path                   # the kit as graded, before overlay
    logs: Path
    user: tuple[int, int] | None     # (uid, gid) to run as
    private_net: bool


@dataclass
class Row:
    """One student's line of the CSV."""
    student: str
    score: int = 0
    max_score: int = 0
    build: str = "failed"
    points: dict[str, int] = field(default_factory=dict)


def student_of(entry: Path) -> str:
    """The student an entry of DIR is: its name without tarball suffixes."""
    name = entry.name
    for suffix in kitfiles.TARBALLS:
        name = name.removesuffix(suffix)
    return name


def prepare(entry: Path, work: Path, setup: Setup) -> Path:
    """A kit in work with the student's files in it, owned by the user
    the grading runs as; return the kit."""
    kit = work / "kit"
    shutil.copytree(setup.pristine, kit)
    taken = submission.overlay(entry, kit, setup.lab, work / "unpacked")
    shutil.rmtree(work / "unpacked", ignore_errors=True)
    (work / "files.txt").write_text("\n".join(taken) + "\n")
    if setup.user:
        for path in [work, *work.rglob("*")]:
            os.chown(path, *setup.user, follow_symlinks=False)
    return kit


def grade_one(entry: Path, scratch: Path, setup: Setup) -> Row:
    """Build and grade one submission in the sandbox; its row."""
    row = Row(student_of(entry))
    work = scratch / row.student
    work.mkdir()
    kit = prepare(entry, work, setup)
    status, output = sandbox.run(
        ["make", "--no-print-directory", "grade", f"LAB={setup.lab}",
         f"JSON={work / 'results.json'}"], str(kit), setup.user,
        setup.private_net, TIME_LIMIT)
    files = (work / "files.txt").read_text()
    (setup.logs / f"{row.student}.log").write_text(
        f"{files}\n{output}")
    results = work / "results.json"
    if status is None:
        row.build = "timeout"
    elif results.is_file():
        row.build = "ok"
        data = json.loads(results.read_text())
        row.score = data["score"]
        row.points = {f"{t['number']} {t['name']}": t["score"]
                      for t in data["tests"]}
        row.max_score = sum(t["max_score"] for t in data["tests"])
    shutil.rmtree(work, ignore_errors=True)
    return row


def write_csv(path: Path, rows: list[Row], note: str) -> None:
    """The CSV: fixed columns, then one column per test in order."""
    tests = list(dict.fromkeys(t for r in rows for t in r.points))
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["student", "score", "max_score", "build",
                         "sandbox", *tests])
        for r in rows:
            writer.writerow([r.student, r.score, r.max_score, r.build, note,
                             *(r.points.get(t, 0) for t in tests)])


def grade_all(folder: Path, lab: int, jobs: int, out: Path) -> list[Row]:
    """Grade every entry of folder, jobs at a time; write the CSV at out
    and return its rows."""
    entries = sorted(p for p in folder.iterdir() if not p.is_symlink()
                     and (p.is_dir() or p.name.endswith(kitfiles.TARBALLS)))
    with tempfile.TemporaryDirectory(prefix="batch-") as tmp:
        scratch = Path(tmp)
        scratch.chmod(0o711)   # the grading user enters its own work dir
        setup = Setup(lab, scratch / "pristine", out.parent / "logs",
                      sandbox.grader_user(), sandbox.private_network_works())
        kitfiles.copy_kit(kitfiles.kit_files(lab), setup.pristine,
                          public=False)
        setup.logs.mkdir(parents=True, exist_ok=True)
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            rows = list(pool.map(lambda e: grade_one(e, scratch, setup),
                                 entries))
    most = max((r.max_score for r in rows), default=0)
    for row in rows:
        row.max_score = most   # the lab's, also where the build failed
    write_csv(out, rows, sandbox.describe(setup.user, setup.private_net))
    return rows


def main() -> int:
    """Grade the folder the command line names; print the CSV's path."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path,
                        help="one folder or tarball per student")
    parser.add_argument("--lab", type=int, help="default: the last stage")
    parser.add_argument("--jobs", type=int, default=2,
                        help="submissions graded at once (default 2)")
    parser.add_argument("--out", type=Path, help="the CSV to write")
    args = parser.parse_args()
    numbers = [kitfiles.stage_number(s) for s in kitfiles.stages()]
    lab = numbers[-1] if args.lab is None else args.lab
    if lab not in numbers or args.jobs < 1 or not args.folder.is_dir():
        parser.error(f"need a folder, --lab in {numbers}, --jobs >= 1")
    out = args.out or OUT / f"grades-lab{lab}.csv"
    rows = grade_all(args.folder, lab, args.jobs, out)
    for row in rows:
        print(f"{row.student:<24} {row.score:>4}/{row.max_score:<4} "
              f"{row.build}")
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
