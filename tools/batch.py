#!/usr/bin/python3
"""batch.py - grade a folder of submissions into one CSV and a class
report (`make batch DIR=submissions/ [LAB=N] [OWN=1] [GIVEN=K] [JOBS=2]
[OUT=dir]`).

DIR holds one entry per student: a folder, a tarball such as `make
handin` writes, or a zip; the entry's name (without its suffix) names the
student. Each submission is graded as every platform's grader does
(autograde.py: its files put into a fresh copy of the package's kit, the
same for every student, made by graders.py with the hidden tests and
without the reference but what GIVEN takes), in the sandbox of sandbox.py
(unprivileged user, resource limits, private network where possible),
JOBS submissions at a time.
Each run writes a directory of its own, never over an earlier run's
(build/batch/labN-DATE-TIME/, or OUT, which must not exist yet):
  grades.csv    student, grade, out_of, mode, build (ok, failed,
                timeout), sandbox, then one column of points per test
                (n/a where a test could not run); a row is written, and a
                progress line printed, as each submission is done;
  logs/         each student's make output, STUDENT.log;
  report.html   the class report (classreport.py): grade histogram,
                each test's failure rate.
Usage: python3 tools/batch.py DIR [--lab N] [--own] [--given K]
                              [--jobs J] [--out DIR]
"""
from __future__ import annotations
import argparse
import csv
import os
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import autograde
import classreport
import graders
import kitfiles
import sandbox
import submission

OUT = kitfiles.ROOT / "build" / "batch"


@dataclass
class Setup:
    """What every submission's grading shares."""
    settings: autograde.Settings
    pristine: Path                   # the kit as graded, before overlay
    logs: Path
    user: tuple[int, int] | None     # (uid, gid) to run as
    private_net: bool


@dataclass
class Row:
    """One student's line of the CSV."""
    student: str
    grade: float = 0.0
    build: str = "failed"
    points: dict[str, int | str] = field(default_factory=dict)
    failed: set[str] = field(default_factory=set)
    seconds: float = 0.0


@dataclass
class Sheet:
    """The CSV being written, a row as each submission is done."""
    out: IO[str]
    tests: list[str]
    out_of: float
    note: str
    mode: str
    total: int
    rows: list[Row] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def header(self) -> None:
        """The column names: fixed ones, then one per test in order."""
        csv.writer(self.out).writerow(
            ["student", "grade", "out_of", "mode", "build", "sandbox",
             *self.tests])
        self.out.flush()

    def add(self, row: Row) -> None:
        """Write row at once, and print a progress line for it."""
        with self.lock:
            self.rows.append(row)
            csv.writer(self.out).writerow(
                [row.student, row.grade, self.out_of, self.mode, row.build,
                 self.note, *(row.points.get(t, 0) for t in self.tests)])
            self.out.flush()
            print(f"[{len(self.rows)}/{self.total}] {row.student}: "
                  f"{shown(row.grade)}/{self.out_of:g} "
                  f"{row.build} ({row.seconds:.0f} s)", flush=True)


def shown(value: float) -> str:
    """A grade as people write it: 97.5, 100."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def student_of(entry: Path) -> str:
    """The student an entry of DIR is: its name without archive suffixes."""
    name = entry.name
    for suffix in kitfiles.ARCHIVES:
        name = name.removesuffix(suffix)
    return name


def prepare(entry: Path, work: Path, setup: Setup) -> Path:
    """A kit in work with the student's files in it, owned by the user
    the grading runs as; return the kit."""
    kit = work / "kit"
    shutil.copytree(setup.pristine, kit)
    taken = submission.overlay(entry, kit, setup.settings.lab,
                               work / "unpacked")
    shutil.rmtree(work / "unpacked", ignore_errors=True)
    (work / "files.txt").write_text("\n".join(
        autograde.given_line(line, setup.settings.given)
        for line in taken) + "\n")
    if setup.user:
        for path in [work, *work.rglob("*")]:
            os.chown(path, *setup.user, follow_symlinks=False)
    return kit


def sandboxed(setup: Setup) -> autograde.Runner:
    """An autograde Runner that runs commands in the sandbox."""
    def run(argv: list[str], cwd: Path) -> tuple[int | None, str]:
        return sandbox.run(argv, str(cwd), setup.user, setup.private_net,
                           setup.settings.time_limit)
    return run


def grade_one(entry: Path, scratch: Path, setup: Setup) -> Row:
    """Build and grade one submission in the sandbox; its row."""
    started = time.monotonic()
    row = Row(student_of(entry))
    work = scratch / row.student
    work.mkdir()
    kit = prepare(entry, work, setup)
    outputs = autograde.Outputs(work / "results.json")
    row.build, output = autograde.grade(kit, setup.settings, outputs,
                                       sandboxed(setup))
    files = (work / "files.txt").read_text()
    (setup.logs / f"{row.student}.log").write_text(f"{files}\n{output}")
    if outputs.gradescope.is_file() and row.build != "timeout":
        data = autograde.read_json(outputs.gradescope)
        row.grade = data["score"]
        for test in data["tests"]:
            key = f"{test['number']} {test['name']}"
            skipped = test.get("extra_data", {}).get("not_applicable")
            row.points[key] = "n/a" if skipped else test["score"]
            if test.get("status") == "failed":
                row.failed.add(key)
    shutil.rmtree(work, ignore_errors=True)
    row.seconds = time.monotonic() - started
    return row


def listed_tests(setup: Setup) -> tuple[list[str], float]:
    """The tests every submission is graded on ("2.3 name"), and what the
    grade is out of, from grade.py --list in the pristine kit."""
    settings = setup.settings
    status, output = autograde.local_run(60)(
        [autograde.PYTHON, "tests/grade/grade.py", *settings.grade_flags(),
         "--bin-dir", autograde.UNBUILT, "--list"], setup.pristine)
    if status != 0:
        sys.exit(f"batch: cannot list the tests:\n{output}")
    rows = [line.split()[:3] for line in output.splitlines() if line.strip()]
    total = sum(int(points) for _, _, points in rows)
    return [f"{number} {name}" for number, name, _ in rows], \
        100.0 if settings.own else float(total)


def entries_of(folder: Path) -> list[Path]:
    """The submissions in folder: folders and archives, no links."""
    return sorted(p for p in folder.iterdir() if not p.is_symlink() and
                  (p.is_dir() or p.name.endswith(kitfiles.ARCHIVES)))


def make_setup(settings: autograde.Settings, scratch: Path,
               out: Path) -> Setup:
    """The pristine kit in scratch, the logs folder, the sandbox's user
    and network."""
    graders.make_package(settings, scratch / "package")
    setup = Setup(settings, scratch / "package" / "kit", out / "logs",
                  sandbox.grader_user(), sandbox.private_network_works())
    setup.logs.mkdir(parents=True)
    return setup


def grade_all(folder: Path, settings: autograde.Settings, jobs: int,
              out: Path) -> list[Row]:
    """Grade every entry of folder, jobs at a time, into the new directory
    out (grades.csv, logs/, report.html); return the rows."""
    entries = entries_of(folder)
    out.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="batch-") as tmp:
        scratch = Path(tmp)
        scratch.chmod(0o711)   # the grading user enters its own work dir
        setup = make_setup(settings, scratch, out)
        tests, out_of = listed_tests(setup)
        with open(out / "grades.csv", "w", newline="") as csv_file:
            sheet = Sheet(csv_file, tests, out_of, sandbox.describe(
                setup.user, setup.private_net),
                "own" if settings.own else "cumulative", len(entries))
            sheet.header()
            with ThreadPoolExecutor(max_workers=jobs) as pool:
                for done in as_completed(pool.submit(grade_one, e, scratch,
                                                     setup) for e in entries):
                    sheet.add(done.result())
    rows = sorted(sheet.rows, key=lambda r: r.student)
    write_report(out, settings, rows, tests, out_of)
    return rows


def write_report(out: Path, settings: autograde.Settings, rows: list[Row],
                 tests: list[str], out_of: float) -> None:
    """report.html: the class report of the rows."""
    mode = "own tests" if settings.own else "cumulative"
    given = f", GIVEN={settings.given}" if settings.given else ""
    title = f"Lab {settings.lab} ({mode}{given}): class report"
    students = [classreport.Student(r.grade, r.build == "ok", r.failed)
                for r in rows]
    (out / "report.html").write_text(
        classreport.page(title, students, tests, out_of))


def fresh_out(lab: int) -> Path:
    """A directory name no earlier run has: labN-DATE-TIME."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out, n = OUT / f"lab{lab}-{stamp}", 1
    while out.exists():
        n += 1
        out = OUT / f"lab{lab}-{stamp}-{n}"
    return out


def parse_args() -> tuple[Path, autograde.Settings, int, Path]:
    """The folder, the settings, the jobs and the output directory."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path,
                        help="one folder, tarball or zip per student")
    parser.add_argument("--lab", type=int, help="default: the last stage")
    parser.add_argument("--own", action="store_true",
                        help="the stage's own tests, out of 100")
    parser.add_argument("--given", type=int, metavar="K",
                        help="stages 1..K from the reference")
    parser.add_argument("--jobs", type=int, default=2,
                        help="submissions graded at once (default 2)")
    parser.add_argument("--out", type=Path,
                        help="the run's directory: must not exist")
    args = parser.parse_args()
    numbers = [kitfiles.stage_number(s) for s in kitfiles.stages()]
    lab = numbers[-1] if args.lab is None else args.lab
    if lab not in numbers or args.jobs < 1 or not args.folder.is_dir():
        parser.error(f"need a folder, --lab in {numbers}, --jobs >= 1")
    if args.given is not None and not 1 <= args.given < lab:
        parser.error("--given must be from 1 to LAB-1")
    if args.out and args.out.exists():
        parser.error(f"{args.out} exists: batch never writes over an "
                     "earlier run; name a new OUT")
    return args.folder, autograde.Settings(lab, args.own, args.given), \
        args.jobs, args.out or fresh_out(lab)


def main() -> int:
    """Grade the folder the command line names; print where it went."""
    folder, settings, jobs, out = parse_args()
    print(f"batch: grading {len(entries_of(folder))} submissions of lab "
          f"{settings.lab} into {out}/", flush=True)
    grade_all(folder, settings, jobs, out)
    print(f"{out / 'grades.csv'}\n{out / 'report.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
