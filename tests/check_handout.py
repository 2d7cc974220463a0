#!/usr/bin/python3
"""check_handout.py - prove that the handout is safe to give and works
(`make check-handout`; a step of `make test`).

Builds the handout of every stage (handout.py) in a scratch directory and
checks, each a row of the table:
  private   no private file (kitfiles.PRIVATE) and no solutions/ inside;
  instructor  neither the handout nor any grader's package (graders.py:
            Gradescope, PrairieLearn, Autolab) holds instructor material:
            no private file (INSTRUCTORS.md, bench/, ...) and no file
            naming a variant of tests/mutants (the table of classic
            mistakes);
  leaks     no function body of solutions/*/*.c appears in any file of the
            tarball, compared as token streams (ctokens.py: comments and
            white space dropped, so reformatting does not hide a copy).
            Exempt: bodies under MIN_TOKENS tokens (`{ return c == ' ' ||
            c == '\\t'; }` is an idiom, not a solution), and bodies the kit
            gives anyway: in full in the starter of the same file, or in
            the given code of common/ (listed with -v);
  planted   the leak check fails on a handout with a solution file planted
            in labs/, and on one solution function pasted, re-indented and
            commented, into a Markdown file;
  hidden    no test marked hidden is left in the handout's lab modules,
            and removing them from a sample module keeps the visible one;
  cut       the handout of stage 01 only holds that stage and its tests,
            and builds on its own (no later stage's unit test or glue);
  build     unpacked, `make all` builds every starter and unit test;
  grade     every starter scores 0 on every lab's tests;
  readme    the handout's README leads with the students' commands: none
            of the sections whose commands need the reference or are the
            instructor's (handout.DROPPED), no `make run` or `make test`;
  guard     `make run` says the reference is missing instead of failing
            obscurely;
  commands  every command the Markdown a student follows tells them to
            run works as written (handout_commands.py: README.md and the
            files it leads to: the stages' handouts, docs/DEBUGGING.md
            and HARDENING.md, the decks), run in a copy of the built
            handout with the reference copied over its starters, as a
            student who has finished every stage: servers started in
            the background on the ports they report, later lines sent
            there, every process stopped and reaped; each other command
            must exit 0 in time, or show the HTTP status or cache mark it
            promises; a grade must pass. To keep it short (about 30 s
            more; 37 s of CPU, a third of it the sanitizer builds, the
            rest about 190 commands): identical commands run once, `make
            grade LAB=N` runs the test the handouts name for lab N
            (`T=name`), `make unit` runs once, for the last stage. One
            row per stage (its handout and deck) and per other file, and
            a row for the exceptions (lines not run as written, each
            with its reason), which fails when one matches no line;
  release   with `make release` of stages 1..N-1 unpacked into it, stage
            N builds on that reference (GIVEN=N-1).
Prints a table and "N passed, N failed"; exits 1 on any failure.
Usage: python3 tests/check_handout.py [-v]   (-v: the exempt bodies, and
the slowest commands the handouts name and what became of each)
"""
from __future__ import annotations
import argparse
import ast
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import autograde  # noqa: E402
import checktable  # noqa: E402
import ctokens  # noqa: E402
import graders  # noqa: E402
import handout  # noqa: E402
import handout_commands  # noqa: E402
import kitfiles  # noqa: E402
import release  # noqa: E402

MIN_TOKENS = 12     # shorter bodies are idioms, exempt from the leak check
TAIL = 15           # lines of a failed command's output shown
MAKE_LIMIT = 600    # seconds a make command may take


def tarball_texts(tarball: Path) -> dict[str, str]:
    """Every regular file of tarball, by its path inside, as text."""
    with tarfile.open(tarball) as tar:
        return {m.name.split("/", 1)[1]: tar.extractfile(m).read().decode(
                    errors="replace") for m in tar.getmembers() if m.isfile()}


def package_texts(platform: str, lab: int, scratch: Path) -> \
        dict[str, str]:
    """Every file of a platform's package under its kit/, by its path
    inside kit/, as text."""
    built = graders.build(platform, autograde.Settings(lab),
                          scratch / platform)
    archive = built / "autograde.tar" if built.is_dir() else built
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as zipped:
            files = {i.filename: zipped.read(i) for i in zipped.infolist()
                     if not i.is_dir()}
    else:
        with tarfile.open(archive) as tar:
            files = {m.name: tar.extractfile(m).read()
                     for m in tar.getmembers() if m.isfile()}
    return {name.split("kit/", 1)[1]: data.decode(errors="replace")
            for name, data in files.items() if "kit/" in name}


def instructor_material(texts: dict[str, str], where: str) -> list[str]:
    """Problems: private files, or files naming a known-buggy variant (the
    mistakes table), among texts."""
    variants = [p.stem for p in (kitfiles.ROOT / "tests" / "mutants")
                .glob("*.patch")]
    problems = [f"{where} holds {n}" for n in texts
                if n.startswith(kitfiles.PRIVATE)]
    problems += [f"{where}: {n} names the variant {v}"
                 for n, text in texts.items() for v in variants if v in text]
    if not texts:
        problems.append(f"{where}: no file read")
    return problems[:20]


def check_instructor(texts: dict[str, str], last: int,
                     scratch: Path) -> list[str]:
    """Problems: instructor material in the handout or a grader's package;
    and the check must find the mistakes table where it is."""
    problems = instructor_material(texts, "the handout")
    for platform in graders.PLATFORMS:
        problems += instructor_material(
            package_texts(platform, last, scratch), platform)
    guide = {"INSTRUCTORS.md": (kitfiles.ROOT / "INSTRUCTORS.md").read_text()}
    if len(instructor_material(guide, "planted")) < 2:
        problems.append("the check does not see the mistakes table in "
                        "INSTRUCTORS.md")
    return problems


def given_code(solution: Path) -> str:
    """The joined tokens of what the kit gives anyway beside a solution
    file: its starter, and the C files of common/."""
    starter = kitfiles.ROOT / "labs" / solution.parent.name / solution.name
    files = [starter, *sorted((kitfiles.ROOT / "common").rglob("*.c"))]
    return "\n".join(ctokens.joined(ctokens.tokens(f.read_text()))
                   for f in files if f.is_file())


def solution_bodies(verbose: bool) -> list[tuple[str, ctokens.Body]]:
    """(file, body) for every function body of the reference that must
    not leak: long enough, and not given anyway (given_code)."""
    found = []
    for path in sorted((kitfiles.ROOT / "solutions").glob("*/*.c")):
        name = str(path.relative_to(kitfiles.ROOT))
        given = given_code(path)
        for body in ctokens.function_bodies(path.read_text()):
            if len(body.tokens) < MIN_TOKENS:
                continue
            if ctokens.joined(body.tokens) in given:
                if verbose:
                    print(f"    exempt: {name} {body.name} (given)")
                continue
            found.append((name, body))
    return found


def leaks(texts: dict[str, str],
          bodies: list[tuple[str, ctokens.Body]]) -> list[str]:
    """Where a solution body appears in texts: one line per finding."""
    streams = {name: ctokens.joined(ctokens.tokens(text))
               for name, text in texts.items()}
    return [f"{source}: {body.name} appears in {name}"
            for source, body in bodies
            for name, stream in streams.items()
            if ctokens.joined(body.tokens) in stream]


def check_planted(texts: dict[str, str],
                  bodies: list[tuple[str, ctokens.Body]]) -> list[str]:
    """Problems if the leak check misses solutions planted in texts."""
    source, body = max(bodies, key=lambda found: len(found[1].tokens))
    starter = source.replace("solutions/", "labs/", 1)
    whole_file = {**texts, starter: (kitfiles.ROOT / source).read_text()}
    half = len(body.tokens) // 2
    pasted = "\n    ".join(body.tokens[:half]) + " /* mine */\n" + \
        "\t".join(body.tokens[half:])
    in_prose = {**texts, "docs/NOTES.md": f"# Notes\n\n```c\n{pasted}\n```\n"}
    problems = []
    if not leaks(whole_file, bodies):
        problems.append(f"{source} planted as {starter} was not found")
    if not leaks(in_prose, bodies):
        problems.append(f"{body.name} pasted into docs/NOTES.md was not found")
    return problems


SAMPLE_LAB = '''
@test(5, "a visible test")
def shown(t): pass


@test(5, "a hidden test",
      visibility="hidden")
def secret(t): pass
'''


def check_hidden(texts: dict[str, str]) -> list[str]:
    """Problems if a hidden test is left in the handout, or if removing
    hidden tests removes anything else."""
    problems = [f"{name} still holds the hidden test {node.name}"
                for name, text in texts.items()
                if name.startswith("tests/grade/lab")
                for node in ast.parse(text).body
                if kitfiles.is_hidden_test(node)]
    left = kitfiles.without_hidden_tests(SAMPLE_LAB)
    names = [n.name for n in ast.parse(left).body]
    if names != ["shown"]:
        problems.append(f"a sample module kept {names}, not ['shown']")
    return problems


def run(command: list[str], cwd: Path) -> tuple[int, str]:
    """Run a command in cwd; return its exit status and its output."""
    proc = subprocess.run(command, cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True,
                          errors="replace", timeout=MAKE_LIMIT)
    return proc.returncode, proc.stdout


def failed_command(command: list[str], output: str) -> str:
    """A problem line for a command that failed, with its last lines."""
    last = "\n".join("    " + line for line in output.splitlines()[-TAIL:])
    return f"{' '.join(command)} failed:\n{last}"


def check_build(tree: Path) -> list[str]:
    """Problems building everything in the unpacked handout."""
    command = ["make", "-j2", "all"]
    status, output = run(command, tree)
    return [failed_command(command, output)] if status else []


def check_grade(tree: Path, last: int) -> list[str]:
    """Problems with the starters' grades: each test must fail."""
    command = ["make", "grade", f"LAB={last}", "JSON=results.json"]
    status, output = run(command, tree)
    if not (tree / "results.json").is_file():
        return [failed_command(command, output)]
    data = json.loads((tree / "results.json").read_text())
    passed = [t["name"] for t in data["tests"]   # none: failed or N/A
              if t.get("status", "failed") != "failed"]
    problems = [f"the starters scored {data['score']}, not 0"] \
        if data["score"] else []
    if passed:
        problems.append(f"passed on the starters: {', '.join(passed)}")
    if not data["tests"]:
        problems.append("no test ran")
    return problems


def check_guard(tree: Path) -> list[str]:
    """Problems if a target that needs solutions/ fails obscurely."""
    status, output = run(["make", "run"], tree)
    if status != 0 and "solutions/" in output and "make release" in output:
        return []
    return [failed_command(["make", "run"], output) +
            "\n    (expected: a message that solutions/ is missing)"]


def check_release(tree: Path, last: int, scratch: Path) -> list[str]:
    """Problems building stage last on the released reference of the
    stages before it."""
    if last < 2:
        return []
    kitfiles.safe_extract(release.build(last - 1, scratch), tree)
    command = ["make", "lab", f"LAB={last}", f"GIVEN={last - 1}"]
    status, output = run(command, tree)
    return [failed_command(command, output)] if status else []


def check_commands(tree: Path, scratch: Path, verbose: bool) -> \
        list[tuple[str, list[str]]]:
    """Rows: every command the handout's Markdown tells a student to run,
    run (handout_commands.py) in a copy of the built handout with the
    reference copied over its starters: a student who finished them."""
    copy = scratch / "commands" / tree.name
    shutil.copytree(tree, copy, symlinks=True)
    for source in sorted((kitfiles.ROOT / "solutions").glob("*/*.c")):
        shutil.copyfile(source, copy / "labs" / source.parent.name /
                        source.name)
    try:
        return handout_commands.check(copy, scratch / "commands", verbose)
    except (OSError, RuntimeError, subprocess.SubprocessError) as error:
        return [("commands", [f"could not run them: {error}"])]


def check_cut(scratch: Path) -> list[str]:
    """Problems in the handout of stage 01 alone: it must hold that stage
    and its tests only, build on its own, and grade its starter."""
    kitfiles.safe_extract(handout.build(1, scratch / "cut"), scratch / "cut")
    tree = scratch / "cut" / handout.name_of(1)
    problems = []
    if kitfiles.stages(tree) != kitfiles.stages()[:1]:
        problems.append(f"holds the stages {kitfiles.stages(tree)}")
    graded = sorted(p.name for p in (tree / "tests/grade").glob("lab*.py"))
    if graded != ["lab01.py"]:
        problems.append(f"holds the graded tests {graded}")
    return problems + check_build(tree) + check_grade(tree, 1)


def check_readme(texts: dict[str, str]) -> list[str]:
    """Problems with the students' README."""
    readme = texts.get("README.md", "")
    problems = [f"README.md has the section '{heading}'"
                for heading in handout.DROPPED if heading in readme]
    problems += [f"README.md names {command}, which needs the reference"
                 for command in ("make run", "make test")
                 if f"{command} " in readme or f"`{command}`" in readme]
    return problems


def checks(scratch: Path, verbose: bool) -> list[tuple[str, list[str]]]:
    """Every check, in order, as (name, problems)."""
    tarball = handout.build(None, scratch)
    texts = tarball_texts(tarball)
    bodies = solution_bodies(verbose)
    last = kitfiles.stage_number(kitfiles.stages()[-1])
    private = [n for n in texts if n.startswith(kitfiles.PRIVATE)]
    results = [("private", [f"holds {n}" for n in private]),
               ("leaks", leaks(texts, bodies)),
               ("planted", check_planted(texts, bodies)),
               ("instructor", check_instructor(texts, last, scratch)),
               ("hidden", check_hidden(texts)),
               ("readme", check_readme(texts)),
               ("cut", check_cut(scratch))]
    if verbose:
        print(f"    {len(bodies)} solution bodies checked in "
              f"{len(texts)} files")
    kitfiles.safe_extract(tarball, scratch)
    tree = scratch / handout.name_of(None)
    results.append(("build", check_build(tree)))
    results.append(("grade", check_grade(tree, last)))
    results.append(("guard", check_guard(tree)))
    results += check_commands(tree, scratch, verbose)
    results.append(("release", check_release(tree, last, scratch)))
    return results


def main() -> int:
    """Run the checks; print the table; exit status 1 on any failure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="list the exempt bodies, and the slowest "
                        "commands the handouts name")
    verbose = parser.parse_args().verbose
    with tempfile.TemporaryDirectory(prefix="check-handout-") as tmp:
        results = checks(Path(tmp), verbose)
    return checktable.report([(f"handout {name}", problems)
                              for name, problems in results])


if __name__ == "__main__":
    sys.exit(main())
