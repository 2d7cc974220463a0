#!/usr/bin/python3
"""kitcheck.py - check that every lab's starter is a fair place to begin.

For each stage directory labs/NN-name, in order:
  files  labs/NN-name and solutions/NN-name hold the same .c files, each
         pair with the same header comment and includes; the starter has
         its handout README.md and a TODO( marker in its .c files; the
         solution has no TODO( anywhere;
  build  `make lab LAB=N GIVEN=N-1` builds the untouched starter, with the
         earlier stages from the reference (as a student who finished them
         has them), plainly and with SAN=tsan;
  grade  graded on its own stage, the starter scores 0: every test fails,
         each in under FAST seconds, and each failure mentions TODO(labN.,
         which proves it failed on the stub rather than for another reason;
  points the handout's table of points names every graded test of the
         stage with its points, and no other, and states their sum.
Then, for the whole kit:
  rules  every rule of the handouts' "Rules and the tests that check
         them" tables names the tests that declare it (@test(rules=...)),
         every test declares at least one rule, and no test names a rule
         that no handout states.
Prints a table, ends with "N passed, N failed" and exits 1 on any failure.
Usage: python3 tests/kitcheck.py   (or make kitcheck)
       python3 tests/kitcheck.py --weights   (each TODO's share of points)
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
FAST = 5.0          # seconds a starter's test may take at most (setting up
                    # 700 connections takes 2-4 s on a busy machine)
TAIL = 15           # lines of a failed command's output shown
STAGE = re.compile(r"^(\d\d)-")
LISTED = re.compile(r"^\d+\.\d+\s+(\w+)\s+(\d+)\s", re.M)
TABLE_ROW = re.compile(r"^\| ([a-z][a-z0-9_]*) \| (\d+) \|", re.M)
TOTAL = re.compile(r"^(\d+) points, all automatic", re.M)
CUMULATIVE = re.compile(r"Grading is cumulative:[^.]*(?:\.[^.]*)*?\(out of\s+"
                        r"(\d+)", re.S)
RULE_ROW = re.compile(r"^\| (\d+\.\d+\.[a-z]) \| .* \| (.*) \|$", re.M)
RULE_TEST = re.compile(r"`(\w+)`(?: \(lab (\d+)\))?")


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
    """Problems building the untouched starter of lab, plainly and with
    ThreadSanitizer (which the tsan_clean tests would build, slowly)."""
    for extra in ([], ["SAN=tsan"]):
        command = ["make", "lab", *make_args(lab), *extra]
        run = subprocess.run(command, cwd=ROOT, capture_output=True,
                             text=True)
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
             "--bin-dir", str(starters_dir(lab)), "--json", str(results),
             "--make-flags", " ".join(make_args(lab)[1:])],
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


def check_points(lab: int, stage: str) -> list[str]:
    """Problems with the handout's table of points against the grader's
    list of the stage's own tests."""
    run = subprocess.run(
        [sys.executable, str(GRADER), "--lab", str(lab), "--own", "--list",
         "--bin-dir", str(ROOT / "build")],
        cwd=ROOT, capture_output=True, text=True, check=True)
    graded = {name: int(points) for name, points in LISTED.findall(run.stdout)}
    handout = (ROOT / "labs" / stage / "README.md").read_text()
    table = {name: int(points) for name, points in TABLE_ROW.findall(handout)}
    problems = [f"the table gives {name} {table.get(name)} points, the "
                f"grader {points}" for name, points in graded.items()
                if table.get(name) != points]
    problems += [f"the table lists {name}, which the grader does not have"
                 for name in table if name not in graded]
    total = TOTAL.search(handout)
    if total is None or int(total[1]) != sum(graded.values()):
        problems.append(f"the handout should say '{sum(graded.values())} "
                        "points, all automatic'")
    cumulative = subprocess.run(
        [sys.executable, str(GRADER), "--lab", str(lab), "--list",
         "--bin-dir", str(ROOT / "build")],
        cwd=ROOT, capture_output=True, text=True, check=True)
    everything = sum(int(p) for _, p in LISTED.findall(cumulative.stdout))
    problems += [f"the handout says the cumulative grade is out of {said}, "
                 f"the grader's is out of {everything}"
                 for said in CUMULATIVE.findall(handout)
                 if int(said) != everything]
    return problems


def handout_rules(stages: list[str]) -> dict[str, set[tuple[int, str]]]:
    """Each rule of the handouts' tables, with the tests it names as
    (lab, name): a test of the rule's own lab unless "(lab NN)" says."""
    rules = {}
    for stage in stages:
        lab = int(STAGE.match(stage)[1])
        text = (ROOT / "labs" / stage / "README.md").read_text()
        for rule, cell in RULE_ROW.findall(text):
            rules[rule] = {(int(other or lab), name)
                           for name, other in RULE_TEST.findall(cell)}
    return rules


def check_rules(stages: list[str]) -> list[str]:
    """Problems between the handouts' rules and the tests' declarations."""
    sys.path.insert(0, str(GRADER.parent))
    import grade   # noqa: E402  (the grader's modules sit beside it)
    tests, _ = grade.load_tests(range(1, len(stages) + 1))
    declared: dict[str, set[tuple[int, str]]] = {}
    problems = []
    for test in tests:
        if not test.rules:
            problems.append(f"{test.number} {test.name} checks no rule "
                            "(@test(rules=...))")
        for rule in test.rules:
            declared.setdefault(rule, set()).add((test.lab, test.name))
    stated = handout_rules(stages)
    for rule in sorted(set(stated) | set(declared)):
        named, claim = stated.get(rule), declared.get(rule, set())
        if named is None:
            problems.append(f"tests name rule {rule}, which no handout "
                            f"states: {sorted(claim)}")
        elif not claim:
            problems.append(f"rule {rule} has no test")
        elif named != claim:
            problems.append(f"rule {rule}: the handout names {sorted(named)}"
                            f", the tests that declare it are "
                            f"{sorted(claim)}")
    return problems


def check_stage(stage: str) -> list[tuple[str, list[str]]]:
    """Every check of one stage: (check name, problems)."""
    lab = int(STAGE.match(stage)[1])
    checks = [("files", check_files(stage)), ("build", check_build(lab))]
    if checks[1][1]:
        checks.append(("grade", ["not graded: the starter did not build"]))
    else:
        checks.append(("grade", check_grade(lab)))
    checks.append(("points", check_points(lab, stage)))
    return checks


def print_weights(stages: list[str]) -> None:
    """Each TODO's share of its stage's points: a test's points are shared
    among the TODOs of the rules it checks (N.0: the program as a whole)."""
    sys.path.insert(0, str(GRADER.parent))
    import grade   # noqa: E402  (the grader's modules sit beside it)
    tests, _ = grade.load_tests(range(1, len(stages) + 1))
    for lab in range(1, len(stages) + 1):
        shares: dict[str, float] = {}
        own = [t for t in tests if t.lab == lab]
        for test in own:
            todos = sorted({rule.rsplit(".", 1)[0] for rule in test.rules})
            for todo in todos:
                shares[todo] = shares.get(todo, 0) + test.points / len(todos)
        total = sum(t.points for t in own)
        cells = ", ".join(f"{todo} {points:.0f}"
                          for todo, points in sorted(shares.items()))
        print(f"lab {lab}: {total} points: {cells}")


def main() -> int:
    """Check every stage; print the table; exit status 1 on any failure."""
    stages = sorted(p.name for p in (ROOT / "labs").iterdir()
                    if p.is_dir() and STAGE.match(p.name))
    if sys.argv[1:] == ["--weights"]:
        print_weights(stages)
        return 0
    passed = failed = 0
    for stage in stages:
        for name, problems in check_stage(stage):
            verdict = "FAIL" if problems else "PASS"
            print(f"{stage:<14} {name:<6} {verdict}", flush=True)
            for problem in problems:
                print(f"    {problem}")
            passed += not problems
            failed += bool(problems)
    problems = check_rules(stages)
    print(f"{'all':<14} {'rules':<6} {'FAIL' if problems else 'PASS'}")
    for problem in problems:
        print(f"    {problem}")
    passed += not problems
    failed += bool(problems)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not stages else 0


if __name__ == "__main__":
    sys.exit(main())
