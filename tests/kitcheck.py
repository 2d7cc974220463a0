#!/usr/bin/python3
"""kitcheck.py - check that every lab's starter is a fair place to begin.

For each stage directory labs/NN-name, in order:
  files  labs/NN-name and solutions/NN-name hold the same .c files, each
         pair with the same header comment and includes; the starter has
         its handout README.md and a TODO( marker in its .c files; the
         solution has no TODO( anywhere;
  build  `make lab LAB=N GIVEN=N-1` builds the untouched starter, with the
         earlier stages from the reference (as a student who finished them
         has them);
  grade  graded on its own stage, the starter scores 0: every test fails,
         each in under FAST seconds, and each failure mentions TODO(labN.,
         which proves it failed on the stub rather than for another reason.
Prints a table, ends with "N passed, N failed" and exits 1 on any failure.
Usage: python3 tests/kitcheck.py   (or make kitcheck)
"""
from __future__ import annotations
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRADER = ROOT / "tests" / "grade" / "grade.py"
FAST = 3.0          # seconds a starter's test may take at most
TAIL = 15           # lines of a failed command's output shown
STAGE = re.compile(r"^(\d\d)-")


def c_files(directory: Path) -> set[str]:
    """The names of the .c files in directory (none if it does not exist)."""
    return {p.name for p in directory.glob("*.c")}


def preamble(path: Path) -> list[str]:
    """The file's header comment and its #include lines: what a starter
    and its solution must share word for word."""
    lines = path.read_text(errors="replace").splitlines()
    end = next((i for i, line in enumerate(lines)
                if line.startswith("#include")), len(lines))
    return lines[:end] + [line for line in lines if line.startswith("#include")]


def has_todo(files: list[Path]) -> bool:
    """True when any of files holds a TODO( marker."""
    return any("TODO(" in f.read_text(errors="replace") for f in files)


def check_files(stage: str) -> list[str]:
    """Problems with the starter's and the solution's files."""
    starter, solution = ROOT / "labs" / stage, ROOT / "solutions" / stage
    problems = []
    if c_files(starter) != c_files(solution):
        only = sorted(c_files(starter) ^ c_files(solution))
        problems.append(f"labs/ and solutions/ differ in .c files: {only}")
    for name in sorted(c_files(starter) & c_files(solution)):
        if preamble(starter / name) != preamble(solution / name):
            problems.append(f"{name}: the starter's header comment or "
                            f"includes differ from the solution's")
    if not (starter / "README.md").is_file():
        problems.append(f"labs/{stage} has no README.md")
    if not has_todo(sorted(starter.glob("*.c"))):
        problems.append(f"labs/{stage} has no TODO( marker in its .c files")
    if has_todo(sorted(p for p in solution.glob("*") if p.is_file())):
        problems.append(f"solutions/{stage} still holds a TODO( marker")
    return problems


def tail(text: str) -> str:
    """The last TAIL lines of text, indented."""
    return "\n".join("    " + line for line in text.splitlines()[-TAIL:])


def make_args(lab: int) -> list[str]:
    """The make variables that build lab's starter on complete earlier
    stages."""
    return [f"LAB={lab}", f"GIVEN={lab - 1}"] if lab > 1 else [f"LAB={lab}"]


def check_build(lab: int) -> list[str]:
    """Problems building the untouched starter of lab."""
    command = ["make", "lab", *make_args(lab)]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if run.returncode != 0:
        return [f"{' '.join(command)} failed:\n"
                f"{tail(run.stdout + run.stderr)}"]
    return []


def starters_dir(lab: int) -> Path:
    """Where make put the programs check_build built."""
    run = subprocess.run(["make", "-s", "path", *make_args(lab)], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return (ROOT / run.stdout.strip()).parent


def check_grade(lab: int) -> list[str]:
    """Problems with how the starter of lab fails its own tests."""
    with tempfile.TemporaryDirectory(prefix="kitcheck-") as tmp:
        results = Path(tmp) / "results.json"
        run = subprocess.run(
            [sys.executable, str(GRADER), "--lab", str(lab), "--own",
             "--bin-dir", str(starters_dir(lab)), "--json", str(results)],
            cwd=ROOT, capture_output=True, text=True)
        if not results.is_file():
            return [f"the grader wrote no results (exit status "
                    f"{run.returncode}):\n{tail(run.stdout + run.stderr)}"]
        data = json.loads(results.read_text())
    return judge(data, lab)


def judge(data: dict, lab: int) -> list[str]:
    """Problems in a starter's results.json: it must score 0 with every
    test failing fast on a TODO(labN. message (but those that cannot run
    on this machine)."""
    tests = data["tests"]
    if not tests:
        return [f"lab {lab} has no graded tests (tests/grade/"
                f"lab{lab:02d}.py)"]
    problems = []
    if data["score"] != 0:
        problems.append(f"the starter scored {data['score']}, not 0")
    marker = f"TODO(lab{lab}."
    for test in tests:
        label = f"{test['number']} {test['name']}"
        if test.get("extra_data", {}).get("not_applicable"):
            continue   # it cannot run on this machine: nothing to judge
        if test["status"] != "failed":
            problems.append(f"{label} passed on the starter")
        elif marker not in test["output"]:
            problems.append(f"{label} failed without a {marker} message")
        seconds = test.get("extra_data", {}).get("seconds", 0)
        if seconds >= FAST:
            problems.append(f"{label} took {seconds:.1f} s (limit {FAST:g})")
    return problems


def check_stage(stage: str) -> list[tuple[str, list[str]]]:
    """Every check of one stage: (check name, problems)."""
    lab = int(STAGE.match(stage)[1])
    checks = [("files", check_files(stage)), ("build", check_build(lab))]
    if checks[1][1]:
        checks.append(("grade", ["not graded: the starter did not build"]))
    else:
        checks.append(("grade", check_grade(lab)))
    return checks


def main() -> int:
    """Check every stage; print the table; exit status 1 on any failure."""
    stages = sorted(p.name for p in (ROOT / "labs").iterdir()
                    if p.is_dir() and STAGE.match(p.name))
    passed = failed = 0
    for stage in stages:
        for name, problems in check_stage(stage):
            verdict = "FAIL" if problems else "PASS"
            print(f"{stage:<14} {name:<6} {verdict}", flush=True)
            for problem in problems:
                print(f"    {problem}")
            passed += not problems
            failed += bool(problems)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not stages else 0


if __name__ == "__main__":
    sys.exit(main())
