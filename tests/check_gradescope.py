#!/usr/bin/python3
"""check_gradescope.py - run the Gradescope autograder on sample
submissions, on this machine (a step of `make test`).

Builds the autograder zip of a lab (gradescope_zip.py), unpacks it as
Gradescope does into a scratch /autograder (AUTOGRADER_DIR), and runs its
run_autograder on each sample of samples.py: the reference as a `make
handin` tarball, the starters loose, and starters with a syntax error.
Each results.json must load, have the keys Gradescope reads (score; each
test's name, score, max_score), a score equal to the sum of the tests'
scores, and the expected verdict: full marks, 0, or 0 with the compiler's
message in its output.
Prints a table and "N passed, N failed"; exits 1 on any failure.
Usage: python3 tests/check_gradescope.py [--lab N]   (default 2: quick)
"""
from __future__ import annotations
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import checktable  # noqa: E402
import gradescope_zip  # noqa: E402
import kitfiles  # noqa: E402
import samples  # noqa: E402

TIME_LIMIT = 900   # seconds one run_autograder may take


def unzip(archive: Path, dest: Path) -> None:
    """Unpack archive into dest, keeping each file's mode as unzip does."""
    with zipfile.ZipFile(archive) as zipped:
        for info in zipped.infolist():
            path = Path(zipped.extract(info, dest))
            mode = info.external_attr >> 16 & 0o777
            if mode:
                path.chmod(mode)


def run_autograder(autograder: Path, submission: Path) -> dict | str:
    """Run run_autograder on submission; its results, or what went
    wrong."""
    shutil.rmtree(autograder / "submission", ignore_errors=True)
    shutil.rmtree(autograder / "results", ignore_errors=True)
    (autograder / "results").mkdir()
    if submission.is_dir():
        shutil.copytree(submission, autograder / "submission")
    else:
        (autograder / "submission").mkdir()
        shutil.copy(submission, autograder / "submission")
    subprocess.run([str(autograder / "source" / "run_autograder")],
                   env={**os.environ, "AUTOGRADER_DIR": str(autograder)},
                   stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                   timeout=TIME_LIMIT)
    try:
        return json.loads((autograder / "results" / "results.json")
                          .read_text())
    except (OSError, ValueError) as error:
        return f"no valid results.json: {error}"


def problems_of(results: dict | str, expected: str) -> list[str]:
    """What is wrong with one results.json, given the expected verdict."""
    if isinstance(results, str):
        return [results]
    tests = results.get("tests", [])
    if "score" not in results or not tests or any(
            not {"name", "score", "max_score"} <= t.keys() for t in tests):
        return ["results.json lacks score, tests, or a test's name, "
                "score or max_score"]
    got = sum(t["score"] for t in tests)
    most = sum(t["max_score"] for t in tests)
    problems = [] if got == results["score"] else \
        [f"score {results['score']} is not the tests' sum {got}"]
    if expected == "full" and (got != most or most == 0):
        problems.append(f"scored {got}/{most}, not full marks")
    if expected != "full" and got != 0:
        problems.append(f"scored {got}, not 0")
    if expected == "build failed" and "error" not in results["output"]:
        problems.append("the output does not show the compiler's error")
    return problems


def main() -> int:
    """Check every sample; print the table; exit 1 on any failure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", type=int, help="default: 2, or 1 if the "
                        "kit has one stage")
    last = kitfiles.stage_number(kitfiles.stages()[-1])
    lab = parser.parse_args().lab or min(2, last)
    checks: list[checktable.Check] = []
    with tempfile.TemporaryDirectory(prefix="check-gradescope-") as tmp:
        scratch, autograder = Path(tmp), Path(tmp) / "autograder"
        unzip(gradescope_zip.build(lab, scratch), autograder / "source")
        for name, path in samples.make_all(scratch, lab).items():
            expected = samples.EXPECTED[name]
            problems = problems_of(run_autograder(autograder, path),
                                   expected)
            checks.append((f"gradescope lab {lab} {name} ({expected})",
                           problems))
            checktable.print_row(*checks[-1])
    return checktable.summary(checks)


if __name__ == "__main__":
    sys.exit(main())
