#!/usr/bin/python3
"""check_batch.py - prove batch grading works and is sandboxed
(`make check-batch`; run as root to see the user switch).

  sandbox  a command run through sandbox.py runs as proxylab-grader (as
           root), with the open-files limit set, and, where the machine
           allows, sees no network interface but lo;
  batch    batch.py grades the three samples of samples.py (reference
           tarball, starters, a syntax error) and the reference as a zip,
           two at a time: full marks, 0, 0 with build "failed", full
           marks; a progress line for each; a log for each;
  no overwrite  a second run into the same directory is refused;
  report   the class report, rendered by headless Chromium into a
           screenshot, shows the histogram's and the failure rates' bars
           (pixels of their colours).
Prints a table and "N passed, N failed"; exits 1 on any failure.
Usage: python3 tests/check_batch.py [--lab N]   (default 2: quick)
"""
from __future__ import annotations
import argparse
import contextlib
import csv
import io
import pwd
import resource
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import autograde  # noqa: E402
import batch  # noqa: E402
import checktable  # noqa: E402
import classreport  # noqa: E402
import kitfiles  # noqa: E402
import pngcolours  # noqa: E402
import samples  # noqa: E402
import sandbox  # noqa: E402

PROBE = "id -un; ulimit -n; tail -n +3 /proc/net/dev | cut -d: -f1"
EXPECTED = {"full": ("full", "ok"), "starter": ("zero", "ok"),
            "broken": ("zero", "failed"), "zipped": ("full", "ok")}
CHROMIUM = "chromium"
PLOT_PIXELS = 500   # pixels of each plot's colour the screenshot must have


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


def zipped(full: Path, folder: Path) -> Path:
    """The reference's hand-in as a zip, as a student may upload it."""
    with tempfile.TemporaryDirectory() as tmp:
        kitfiles.safe_extract(full, Path(tmp))
        target = folder / "zipped.zip"
        with zipfile.ZipFile(target, "w") as archive:
            for path in sorted(Path(tmp).rglob("*")):
                archive.write(path, path.relative_to(tmp))
    return target


def row_problems(table: dict[str, dict[str, str]]) -> list[str]:
    """What is wrong with the CSV's rows, against EXPECTED."""
    problems = []
    for student, (score, build) in EXPECTED.items():
        row = table.get(student)
        if row is None:
            problems.append(f"{student}: no row")
            continue
        want = float(row["out_of"]) if score == "full" else 0.0
        if (float(row["grade"]), row["build"]) != (want, build) or \
                float(row["out_of"]) == 0 or row["mode"] != "cumulative":
            problems.append(f"{student}: {row['grade']}/{row['out_of']} "
                            f"{row['mode']} build {row['build']}, expected "
                            f"{score}, build {build}")
    return problems


def check_batch(lab: int, scratch: Path) -> tuple[list[str], Path]:
    """Problems with a batch run of the samples; the run's directory."""
    folder = scratch / "submissions"
    folder.mkdir()
    made = samples.make_all(folder, lab)
    zipped(made["full"], folder)
    out = scratch / "run"
    said = io.StringIO()
    with contextlib.redirect_stdout(said):
        batch.grade_all(folder, autograde.Settings(lab), 2, out)
    with open(out / "grades.csv", newline="") as rows:
        table = {row["student"]: row for row in csv.DictReader(rows)}
    problems = row_problems(table)
    progress = [line for line in said.getvalue().splitlines()
                if line.startswith("[")]
    if len(progress) != len(EXPECTED):
        problems.append(f"{len(progress)} progress lines, not "
                        f"{len(EXPECTED)}")
    logs = sorted(p.stem for p in (out / "logs").iterdir())
    if logs != sorted(EXPECTED):
        problems.append(f"logs {logs}")
    return problems, out


def check_no_overwrite(lab: int, out: Path) -> list[str]:
    """Problems unless a second run into out is refused untouched."""
    before = (out / "grades.csv").read_bytes()
    try:
        batch.grade_all(out, autograde.Settings(lab), 1, out)
    except FileExistsError:
        pass
    else:
        return ["a second run into the same directory was not refused"]
    if (out / "grades.csv").read_bytes() != before:
        return ["the first run's CSV changed"]
    if batch.fresh_out(lab) == batch.fresh_out(lab).parent:
        return ["fresh_out names no new directory"]
    return []


def check_report(out: Path) -> list[str]:
    """Problems unless Chromium draws the report's two plots."""
    if shutil.which(CHROMIUM) is None:
        return [f"{CHROMIUM} is not installed (apt-get install chromium)"]
    shot = out / "report.png"
    run = subprocess.run(
        [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu",
         "--hide-scrollbars", "--window-size=800,1400",
         f"--screenshot={shot}", (out / "report.html").resolve().as_uri()],
        capture_output=True, text=True, timeout=120)
    if not shot.is_file():
        return [f"no screenshot: {run.stderr[-2000:]}"]
    counts = pngcolours.colours(shot)
    problems = []
    for what, colour in (("histogram", classreport.BAR_COLOUR),
                         ("failure rates", classreport.FAIL_COLOUR)):
        if counts[colour] < PLOT_PIXELS:
            problems.append(f"the {what} drew {counts[colour]} pixels of "
                            f"{colour}, not {PLOT_PIXELS} or more")
    return problems


def main() -> int:
    """Run every check; print the table; exit 1 on any failure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", type=int, default=2)
    lab = parser.parse_args().lab
    checks = [("batch sandbox", check_sandbox())]
    checktable.print_row(*checks[-1])
    with tempfile.TemporaryDirectory(prefix="check-batch-") as tmp:
        problems, out = check_batch(lab, Path(tmp))
        checks.append((f"batch lab {lab}", problems))
        checktable.print_row(*checks[-1])
        checks.append(("batch: no overwrite", check_no_overwrite(lab, out)))
        checktable.print_row(*checks[-1])
        checks.append(("batch: class report", check_report(out)))
        checktable.print_row(*checks[-1])
    return checktable.summary(checks)


if __name__ == "__main__":
    sys.exit(main())
