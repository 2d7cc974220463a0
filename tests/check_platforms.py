#!/usr/bin/python3
"""check_platforms.py - run each platform's autograder on sample
submissions, on this machine, and compare them (`make check-platforms`, a
step of `make test`; `make check-gradescope` runs Gradescope's alone).

Builds each platform's package of a lab (tools/graders.py) and runs it as
the platform does, on each sample of samples.py (the reference as a `make
handin` tarball, the starters loose, starters with a syntax error):
  gradescope    the zip unpacked into a scratch /autograder/source
                (AUTOGRADER_DIR), run_autograder, results/results.json;
  prairielearn  the tarball unpacked into a scratch /grade (GRADE_DIR),
                tests/run, results/results.json;
  autolab       autograde.tar, autograde-Makefile as Makefile and the
                hand-in in a scratch directory, make, its last line.
Each result must have the keys the platform reads, state its mode, and
give the expected verdict: full marks; 0; or every test at 0 (more than
one) with the compiler's message once. Then the platforms must agree:
the same points for every test of each sample.
Prints a table and "N passed, N failed"; exits 1 on any failure.
Usage: python3 tests/check_platforms.py [--lab N] [--platform P]...
       (default: lab 2, every platform)
"""
from __future__ import annotations
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import autograde  # noqa: E402
import checktable  # noqa: E402
import graders  # noqa: E402
import kitfiles  # noqa: E402
import samples  # noqa: E402

TIME_LIMIT = 900   # seconds one run of a platform's grader may take
COMPILER_ERROR = "error: expected"   # what the broken sample's build says
ROW = re.compile(r"^  (\d+\.\d+)\s+\S+\s+(\d+)/(\d+)\s+(?:PASS|FAIL|N/A)",
                 re.M)


@dataclass
class Run:
    """What one platform said about one submission, made comparable."""
    grade: float = 0.0          # what the platform records
    out_of: float = 0.0         # what that is out of
    mode: str = ""
    points: dict[str, int] = field(default_factory=dict)   # number -> points
    output: str = ""            # what the student reads, all of it
    problems: list[str] = field(default_factory=list)


def unzip(archive: Path, dest: Path) -> None:
    """Unpack archive into dest, keeping each file's mode as unzip does."""
    with zipfile.ZipFile(archive) as zipped:
        for info in zipped.infolist():
            path = Path(zipped.extract(info, dest))
            mode = info.external_attr >> 16 & 0o777
            if mode:
                path.chmod(mode)


def put(submission: Path, dest: Path) -> None:
    """The submission in dest: a folder's content, or the file itself."""
    dest.mkdir(parents=True, exist_ok=True)
    if submission.is_dir():
        shutil.copytree(submission, dest, dirs_exist_ok=True)
    else:
        shutil.copy(submission, dest)


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> str:
    """Run a platform's command; its output."""
    done = subprocess.run(argv, cwd=cwd, env={**os.environ, **env},
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, errors="replace", timeout=TIME_LIMIT)
    return done.stdout


def load(path: Path) -> dict | str:
    """A results file's object, or what is wrong with it."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as error:
        return f"no valid {path.name}: {error}"


def gradescope(package: Path, submission: Path, scratch: Path) -> Run:
    """Gradescope: /autograder/source, submission, run_autograder."""
    root = scratch / "autograder"
    unzip(package, root / "source")
    put(submission, root / "submission")
    run([str(root / "source" / "run_autograder")], scratch,
        {"AUTOGRADER_DIR": str(root)})
    data = load(root / "results" / "results.json")
    if isinstance(data, str):
        return Run(problems=[data])
    tests = data.get("tests", [])
    if "score" not in data or not tests or any(
            not {"name", "score", "max_score"} <= t.keys() for t in tests):
        return Run(problems=["results.json lacks score, tests, or a "
                             "test's name, score or max_score"])
    extra = data.get("extra_data", {})
    return Run(data["score"], extra.get("out_of", 0), extra.get("mode", ""),
               {t["number"]: t["score"] for t in tests},
               data.get("output", "") + "".join(t["output"] for t in tests))


def prairielearn(package: Path, submission: Path, scratch: Path) -> Run:
    """PrairieLearn: /grade/tests, /grade/student, tests/run."""
    root = scratch / "grade"
    with tarfile.open(package) as tar:
        tar.extractall(root)
    put(submission, root / "student")
    run([str(root / "tests" / "run")], scratch, {"GRADE_DIR": str(root)})
    data = load(root / "results" / "results.json")
    if isinstance(data, str):
        return Run(problems=[data])
    tests = data.get("tests", [])
    if not data.get("gradable") or not 0 <= data.get("score", -1) <= 1 or \
            not tests or any(not {"name", "points", "max_points", "output"}
                             <= t.keys() for t in tests):
        return Run(problems=["results.json is not gradable, has no score "
                             "from 0 to 1, or a test lacks name, points, "
                             "max_points or output"])
    extra = data.get("extra_data", {})
    return Run(data["score"], 1, extra.get("mode", ""),
               {t["name"].split()[0]: t["points"] for t in tests},
               data.get("output", "") + "".join(t["output"] for t in tests))


def autolab(package: Path, submission: Path, scratch: Path) -> Run:
    """Autolab: autograde.tar, Makefile and the hand-in; make."""
    root = scratch / "autolab"
    put(submission, root)
    shutil.copy(package / "autograde.tar", root)
    shutil.copy(package / "autograde-Makefile", root / "Makefile")
    output = run(["make", "--no-print-directory"], root, {})
    last = (output.strip().splitlines() or [""])[-1]
    try:
        scores = json.loads(last)["scores"]
    except (ValueError, KeyError, TypeError):
        return Run(problems=[f"the last line is not a score line: {last}"])
    settings = autograde.Settings.load(
        scratch / "autolab" / "proxylab-autograder" / "grading.json")
    points = {number: int(got) for number, got, _ in ROW.findall(output)}
    return Run(sum(scores.values()), 0, "own" if settings.own and
               list(scores) == [f"lab{settings.lab:02d}"] else "cumulative",
               points, output)


PLATFORMS = {"gradescope": gradescope, "prairielearn": prairielearn,
             "autolab": autolab}


def verdict_problems(got: Run, expected: str) -> list[str]:
    """What is wrong with a run, given the sample's expected verdict."""
    problems = list(got.problems)
    if problems:
        return problems
    if got.mode != "cumulative":
        problems.append(f"mode {got.mode!r}, not 'cumulative'")
    total = sum(got.points.values())
    if expected == "full" and (total == 0 or got.out_of and
                               got.grade != got.out_of):
        problems.append(f"graded {got.grade}/{got.out_of}, not full marks")
    if expected != "full" and (got.grade != 0 or total != 0):
        problems.append(f"graded {got.grade}, points {total}, not 0")
    if expected == "build failed":
        if len(got.points) < 2:
            problems.append(f"{len(got.points)} tests listed, not all")
        if got.output.count(COMPILER_ERROR) != 1:
            problems.append(f"the compiler's message appears "
                            f"{got.output.count(COMPILER_ERROR)} times, "
                            "not once")
    return problems


def agreement(runs: dict[str, Run]) -> list[str]:
    """Problems: tests whose points differ between the platforms."""
    first, *others = runs
    problems = []
    for other in others:
        a, b = runs[first].points, runs[other].points
        if a != b:
            differ = sorted(n for n in a.keys() | b.keys()
                            if a.get(n) != b.get(n))
            problems.append(f"{first} and {other} differ on "
                            f"{', '.join(differ[:10])}")
    return problems


def run_platforms(platforms, packages, sample: Path, scratch: Path) -> dict:
    """Each platform's run of one sample, the platforms at once: a grade
    mostly waits on sockets, and each runs in a scratch directory of its
    own, on ports the kernel picks."""
    def run(platform: str):
        work = Path(tempfile.mkdtemp(dir=scratch))
        return PLATFORMS[platform](packages[platform], sample, work)

    with concurrent.futures.ThreadPoolExecutor(len(platforms)) as pool:
        return dict(zip(platforms, pool.map(run, platforms)))


def main() -> int:
    """Check every platform on every sample; exit 1 on any failure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", type=int, help="default: 2, or 1 if the "
                        "kit has one stage")
    parser.add_argument("--platform", action="append",
                        choices=sorted(PLATFORMS))
    args = parser.parse_args()
    last = kitfiles.stage_number(kitfiles.stages()[-1])
    lab, platforms = args.lab or min(2, last), args.platform or PLATFORMS
    checks: list[checktable.Check] = []
    with tempfile.TemporaryDirectory(prefix="check-platforms-") as tmp:
        scratch = Path(tmp)
        packages = {p: graders.build(p, autograde.Settings(lab),
                                     scratch / "packages")
                    for p in platforms}
        for name, path in samples.make_all(scratch, lab).items():
            expected = samples.EXPECTED[name]
            runs = run_platforms(platforms, packages, path, scratch)
            for platform in platforms:
                checks.append((f"{platform} lab {lab} {name} ({expected})",
                               verdict_problems(runs[platform], expected)))
                checktable.print_row(*checks[-1])
            if len(runs) > 1:
                checks.append((f"same points: lab {lab} {name}",
                               agreement(runs)))
                checktable.print_row(*checks[-1])
    return checktable.summary(checks)


if __name__ == "__main__":
    sys.exit(main())
