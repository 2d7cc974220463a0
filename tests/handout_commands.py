#!/usr/bin/python3
"""handout_commands.py - run, in a handout, every command its Markdown
tells a student to run, as a student who has finished every stage would
(the `commands` rows of tests/check_handout.py).

The files: the handout's README.md and every Markdown file of the handout
it names, and they name in turn (the stages' handouts, docs/DEBUGGING.md
and docs/HARDENING.md, the decks). The commands: those of their fenced
blocks (mdcommands.py), each file followed from top to bottom as a
student would type it (walkthrough.py: servers in the background on the
ports they report, demos showing what they promise, everything stopped
and reaped), WORKERS files at a time, after a build of everything the
commands build (prebuild), so that no two of them build a file at once.
The cost is kept down:
- an identical command runs once (make commands; the others when they
  run in the top folder and name no port, /tmp or process);
- `make grade LAB=N` without T= runs with the first T= the handouts name
  for lab N (`make grade LAB=N T=name`, which each stage's handout has),
  whatever its other variables (VALGRIND=1, SAN=, OWN=1, V=1, ...);
- a command that runs a whole suite and cannot be narrowed (`make unit`;
  a grade of a lab no handout names a test of) runs once per form, for
  the last stage only, which covers the others (no LAB= counts as the
  last stage): `make unit LAB=1` .. `LAB=6` and `make unit` run as
  `make unit LAB=6`.
EXCEPTED lists the lines not run as written, each with its reason; one
that matches no line fails the check, so the list cannot outlive the text.
Usage: python3 tests/handout_commands.py TREE [-v]
(TREE: an unpacked handout with the reference copied over its starters;
-v lists the slowest commands and what became of each command.)
"""
from __future__ import annotations
import argparse
import fnmatch
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import checktable  # noqa: E402
import kitfiles  # noqa: E402
import mdcommands  # noqa: E402
from mdcommands import Block, Command, make_words  # noqa: E402
from walkthrough import (INTERACTIVE, LIMIT, MAKE_LIMIT, SKIP,  # noqa: E402
                         Shared, Walkthrough, tail)

WORKERS = 3         # files followed at once (most of it is waiting)
EXPENSIVE = ("grade", "unit")   # make goals that run a whole suite


@dataclass(frozen=True)
class Excepted:
    """Lines not run as written: the files (globs), a regular expression
    searched in the line as written (comment included), what is done
    instead (walkthrough.py: SKIP, INTERACTIVE, "stop PORT"), and why."""
    files: str
    pattern: str
    action: str
    reason: str


EXCEPTED = (
    Excepted("labs/01-echo/README.md slides/01-echo.md",
             r"^curl telnet://127\.0\.0\.1:8080($|  #)", INTERACTIVE,
             "it sends what the student types, until Ctrl-C"),
    Excepted("labs/04-connect/README.md slides/04-connect.md",
             r"https://example\.org/", SKIP,
             "needs the Internet, as its comment says"),
    Excepted("docs/DEBUGGING.md", r"^gdb --args ", SKIP,
             "opens gdb's prompt, where the (gdb) lines under it are "
             "typed; the -batch command after them runs that session"),
    Excepted("docs/DEBUGGING.md", r"^gdb \$\(.*\) core\b", SKIP,
             "reads the core file a crash leaves; a finished stage does "
             "not crash"),
    Excepted("docs/DEBUGGING.md", r"^strace .* -p ", INTERACTIVE,
             "it traces the running proxy until Ctrl-C"),
    Excepted("docs/DEBUGGING.md", r"^sudo ", SKIP,
             "needs root through sudo, and packages `make deps` does not "
             "install, as the text says"),
    Excepted("docs/HARDENING.md", r"\bafl-", SKIP,
             "needs AFL++ (Debian's afl++ package), which `make deps` "
             "does not install, as the text says"),
    Excepted("labs/05-cache/README.md", r"# still a HIT$", "stop 8000",
             "the text before it stops the origin (Ctrl-C)"),
)


@dataclass
class Plan:
    """What runs, decided over every file before anything runs."""
    last: int                                   # the last stage
    tests: dict[int, str] = field(default_factory=dict)   # lab: T= named
    chosen: dict[tuple, str] = field(default_factory=dict)  # form: where
    ranks: dict[tuple, int] = field(default_factory=dict)   # form: stage
    rules: dict[str, str] = field(default_factory=dict)     # where: action
    problems: list[str] = field(default_factory=list)

    def narrowed(self, text: str) -> str:
        """A grade without T= of a lab whose test a handout names, with
        that T=; any other command as it is."""
        words = make_words(text)
        if not words or words[0] != ["grade"] or "T" in words[1]:
            return text
        lab = words[1].get("LAB", "")
        test = self.tests.get(int(lab)) if lab.isdigit() else None
        return f"{text} T={test}" if test else text

    def form(self, text: str) -> tuple | None:
        """For a command that runs a whole suite: its form (its goal and
        variables but LAB); None for any other command."""
        words = make_words(text)
        if not words or len(words[0]) != 1 or \
                words[0][0] not in EXPENSIVE or "T" in words[1]:
            return None
        return words[0][0], tuple(sorted((k, v) for k, v in words[1].items()
                                         if k != "LAB"))

    def note(self, command: Command) -> None:
        """Learn the test a grade names for its lab, the first one."""
        words = make_words(command.text)
        if words and words[0] == ["grade"] and "T" in words[1] and \
                words[1].get("LAB", "").isdigit():
            self.tests.setdefault(int(words[1]["LAB"]), words[1]["T"])

    def choose(self, command: Command) -> None:
        """Make command the one that runs for its form if its stage is the
        latest so far."""
        text = self.narrowed(command.text)
        form = self.form(text)
        if form is None:
            return
        lab = make_words(text)[1].get("LAB", str(self.last))
        stage = int(lab) if lab.isdigit() else 0
        if stage > self.ranks.get(form, -1):
            self.chosen[form], self.ranks[form] = command.where, stage

    def runs(self, command: Command) -> str | None:
        """The text to run for a command, or None when another command of
        its form runs for it."""
        text = self.narrowed(command.text)
        form = self.form(text)
        return None if form and self.chosen[form] != command.where else text

    def except_lines(self, commands: list[Command]) -> None:
        """Find the lines of each exception; one that matches none is a
        problem."""
        for rule in EXCEPTED:
            matched = [c for c in commands
                       if any(fnmatch.fnmatch(c.path, g)
                              for g in rule.files.split())
                       and re.search(rule.pattern, c.written)]
            self.rules.update((c.where, rule.action) for c in matched)
            if not matched:
                self.problems.append(f"the exception /{rule.pattern}/ of "
                                     f"{rule.files} matches no line")


def plan_of(files: dict[str, list[Block]], last: int) -> Plan:
    """The plan over every file's commands, in order."""
    plan = Plan(last)
    commands = [c for blocks in files.values() for b in blocks
                for c in b.commands]
    for command in commands:
        plan.note(command)
    for command in commands:
        plan.choose(command)
    plan.except_lines(commands)
    return plan


def prebuild(tree: Path, files: dict[str, list[Block]]) -> list[str]:
    """Build, two jobs at a time, all the commands build (make all, and
    with each SAN= they name); problems if a build fails."""
    texts = [c.text for blocks in files.values() for b in blocks
             for c in b.commands]
    sanitizers = sorted({san for text in texts
                         for san in re.findall(r"\bSAN=(\w+)", text)})
    problems = []
    for variables in [[]] + [[f"SAN={san}"] for san in sanitizers]:
        command = ["make", "-j2", *variables, "all"]
        run = subprocess.run(command, cwd=tree, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True,
                             errors="replace", timeout=MAKE_LIMIT)
        if run.returncode:
            problems.append(f"{' '.join(command)} failed:\n"
                            + tail(run.stdout))
    return problems


def follow(shared: Shared, files: dict[str, list[Block]]) -> \
        dict[str, list[str]]:
    """Follow every file that has commands, WORKERS at a time, the
    longest first; the problems of each, in the files' order."""
    paths = sorted((p for p in files if files[p]),
                   key=lambda p: -sum(len(b.commands) for b in files[p]))
    with ThreadPoolExecutor(WORKERS) as pool:
        found = {p: pool.submit(Walkthrough(shared, p, files[p]).follow)
                 for p in paths}
        try:
            wait(found.values())
        except KeyboardInterrupt:
            shared.cancelled.set()   # each stops its jobs, then ends
            raise
    return {p: outcome(found[p]) for p in files if p in found}


def outcome(future: Future) -> list[str]:
    """A walk-through's problems, or the error that stopped it."""
    error = future.exception()
    return [f"the walk-through stopped: {error!r}"] if error else \
        future.result()


def ordered(paths: list[str]) -> list[str]:
    """README.md first, then the stages' handouts, then the rest."""
    return sorted(paths, key=lambda p: (p != "README.md",
                                        not p.startswith("labs/"), p))


def label(path: str) -> str:
    """A file's row: its stage (NN-name) or its own name."""
    stage = re.search(r"(?:^|/)(\d\d-[\w-]+?)(?:\.md)?(?:/|$)", path)
    return stage[1] if stage else Path(path).name


def origin_port(tree: Path) -> int:
    """The port `make origin` listens on, as the Makefile says."""
    run = subprocess.run(["make", "-s", "-n", "origin"], cwd=tree,
                         capture_output=True, text=True, timeout=LIMIT)
    found = re.search(r"--port (\d+)", run.stdout)
    if not found:
        raise RuntimeError(f"make -n origin names no port: {run.stdout}")
    return int(found[1])


def report(shared: Shared, files: dict[str, list[Block]],
           seconds: float) -> None:
    """Say what ran (-v): the slowest commands and files, and counts."""
    for took, where, ran in sorted(shared.times)[-12:]:
        print(f"    {took:5.1f} s  {where}  {ran[:60]}")
    counts = ", ".join(f"{n} {what}" for what, n in shared.counts.items())
    print(f"    commands of {', '.join(p for p in files if files[p])}: "
          f"{counts}; {seconds:.1f} s with the build")


def check(tree: Path, scratch: Path, verbose: bool = False) -> \
        list[tuple[str, list[str]]]:
    """Run every command the handout in tree tells a student to run; a
    row per stage (and per other file), then the exceptions' row."""
    began = time.monotonic()
    paths = ordered(mdcommands.named_files(tree))
    files = {path: mdcommands.blocks(path, (tree / path).read_text())
             for path in paths}
    plan = plan_of(files, kitfiles.stage_number(kitfiles.stages(tree)[-1]))
    problems = prebuild(tree, files)
    if problems:
        return [("commands", problems)]
    shared = Shared(tree.resolve(), scratch, plan.runs, plan.rules,
                    origin_port(tree))
    rows: dict[str, list[str]] = {}
    for path, found in follow(shared, files).items():
        rows.setdefault(label(path), []).extend(found)
    if verbose:
        report(shared, files, time.monotonic() - began)
    return [(f"commands {name}", found) for name, found in rows.items()] \
        + [("commands excepted", plan.problems)]


def main() -> int:
    """Check the tree the command line names; print a row per check."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree", type=Path)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="handout-commands-") as tmp:
        rows = check(args.tree.resolve(), Path(tmp), args.verbose)
    return checktable.report(rows)


if __name__ == "__main__":
    sys.exit(main())
