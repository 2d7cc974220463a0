"""autograde.py - grade one submission the way every platform's grader does.

Gradescope's run_autograder, PrairieLearn's and Autolab's entry points
(tools/gradescope/, tools/prairielearn/, tools/autolab/) and batch.py all come here, so every platform gives the
same per-test points:
  1. the student's files go into a fresh copy of the kit (submission.py);
  2. `make grade` runs with the assignment's Settings (LAB, OWN=1,
     GIVEN=K), writing the results files the platform reads;
     when the build fails, `make grade` still writes them (grade.py
     --build-failed: every test listed at 0, the compiler's messages
     once).
A platform's package holds grading.json (the Settings) beside kit/ (the
kit of stages 1..N with the hidden tests, without the reference but the
stages GIVEN takes from it); grade_submission() grades one submission
from it.
"""
from __future__ import annotations
import json
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import kitfiles
import submission

PYTHON = "/usr/bin/python3"   # the Makefile's, which the kit is tested on
UNBUILT = "build/unbuilt"     # --bin-dir of a run that builds nothing
# run(argv, cwd) -> (exit status, or None when it ran out of time; output)
Runner = Callable[[list[str], Path], "tuple[int | None, str]"]


@dataclass(frozen=True)
class Settings:
    """How an assignment is graded: which lab, in which mode, and whether
    stages 1..given come from the reference (GIVEN, INSTRUCTORS.md)."""
    lab: int
    own: bool = False
    given: int | None = None
    time_limit: int = 1500   # seconds one submission's build and grading
                             # may take: set the platform's a little above

    def make_words(self) -> list[str]:
        """The variables of `make grade` that say so."""
        return [f"LAB={self.lab}", *(["OWN=1"] if self.own else []),
                *([f"GIVEN={self.given}"] if self.given else [])]

    def grade_flags(self) -> list[str]:
        """The same for grade.py."""
        return ["--lab", str(self.lab), *(["--own"] if self.own else []),
                *(["--make-flags", f"GIVEN={self.given}"]
                  if self.given else [])]

    def save(self, path: Path) -> None:
        """Write the settings as grading.json."""
        path.write_text(json.dumps(asdict(self)) + "\n")

    @classmethod
    def load(cls, path: Path) -> "Settings":
        """The settings a package's grading.json holds."""
        return cls(**json.loads(path.read_text()))


@dataclass
class Outputs:
    """The results files to write: Gradescope's (always: it says whether
    grade.py ran), PrairieLearn's, and Autolab's score line."""
    gradescope: Path
    prairielearn: Path | None = None
    autolab: bool = False
    words: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.words = [f"JSON={self.gradescope}"]
        if self.prairielearn:
            self.words.append(f"PL={self.prairielearn}")
        if self.autolab:
            self.words.append("AUTOLAB=1")


def write_json(path: Path, data: dict) -> None:
    """Write data to path whole, or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(data, indent=2) + "\n")
    partial.replace(path)


def read_json(path: Path) -> dict:
    """The object a JSON file holds."""
    return json.loads(path.read_text())


def local_run(timeout: float) -> Runner:
    """A Runner that runs commands here, output and errors together."""
    def run(argv: list[str], cwd: Path) -> tuple[int | None, str]:
        try:
            done = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True,
                                  errors="replace", timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            return None, exc.stdout or ""
        return done.returncode, done.stdout
    return run


def grade(kit: Path, settings: Settings, outputs: Outputs,
          run: Runner) -> tuple[str, str]:
    """Build and grade the kit with `make grade`, which grades a failed
    build too (every test at 0); (build, output): build is "ok", "failed"
    or "timeout"; output is make's and the grader's."""
    status, output = run(["make", "--no-print-directory", "grade",
                          *settings.make_words(), *outputs.words], kit)
    if status is None:
        return "timeout", output
    if not outputs.gradescope.is_file():
        return "failed", output   # not even grade.py ran: make says why
    built = read_json(outputs.gradescope)["extra_data"]["built"]
    return "ok" if built else "failed", output


def given_line(line: str, given: int | None) -> str:
    """A line of submission.overlay() ("labs/01-echo/echo.c: from ..."),
    saying so when GIVEN takes that stage from the reference."""
    name = line.split(":")[0]
    stage = kitfiles.STAGE.match(Path(name).parent.name)
    if given and stage and int(stage[1]) <= given:
        return f"{name}: from the reference (GIVEN={given}), not the " \
               "submission"
    return line


@dataclass
class Graded:
    """One submission graded: build ("ok", "failed" or "timeout"), make's
    and the grader's output, where each student file came from, and the
    settings it was graded with."""
    build: str
    output: str
    taken: list[str]
    settings: Settings


def grade_submission(package: Path, source: Path, scratch: Path,
                     outputs: Outputs) -> Graded:
    """Grade the submission at source as package/grading.json says, in a
    fresh copy of package/kit under scratch."""
    settings = Settings.load(package / "grading.json")
    kit = scratch / "kit"
    shutil.copytree(package / "kit", kit)
    taken = [given_line(line, settings.given) for line in
             submission.overlay(source, kit, settings.lab,
                                scratch / "unpacked")]
    build, output = grade(kit, settings, outputs,
                          local_run(settings.time_limit))
    return Graded(build, output, taken, settings)
