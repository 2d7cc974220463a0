"""report.py - print the results and write them for grading platforms.

One list of harness.Result objects feeds every output: the table printed as
tests finish (Table), a section per failure (expected and received bytes,
the hint, the program's stderr, commands that reproduce it), the closing
"Score: x/y", "Grade: ..." and "N passed, N failed" lines (CI parses the
last), a Gradescope results.json (written atomically, also when the grader
crashed), a PrairieLearn results.json and the Autolab score line. A hidden
test's failure shows its symptom and hint only.

Every output states the Mode: own (the graded stage's own tests, scaled to
100) or cumulative (stages 1..N at their points, out of their sum). A test
that could not run here (Result.not_applicable) counts for no points: the
grade is the points earned over the points applicable, times what the mode
is out of, so it costs the student nothing.
"""
from __future__ import annotations
import json
import os
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

import hints
from harness import Result, Test

GREEN, RED, YELLOW, BOLD = "32", "31", "33", "1"
TEXT_WIDTH = 78
OWN_OUT_OF = 100   # what a stage's own tests are scaled to


@dataclass(frozen=True)
class Mode:
    """What the grade of a run of lab N is out of."""
    lab: int
    own: bool = False

    @property
    def name(self) -> str:
        """"own" or "cumulative", as every output names the mode."""
        return "own" if self.own else "cumulative"

    def out_of(self, results: list[Result]) -> int:
        """100 for a stage's own tests; else every test's points."""
        return OWN_OUT_OF if self.own else sum(r.test.points for r in results)

    def grade(self, results: list[Result]) -> float:
        """The grade: earned over applicable points, times out_of."""
        return prorated(results, self.out_of(results))

    def describe(self, results: list[Result]) -> str:
        """One line: the mode, what it covers, the grade out of what."""
        covers = f"stage {self.lab}'s own tests, scaled to {OWN_OUT_OF}" \
            if self.own else f"the tests of stages 1-{self.lab} at their " \
            "points"
        return f"Grade ({self.name}: {covers}): " \
               f"{number(self.grade(results))}/{self.out_of(results)}"


def prorated(results: list[Result], out_of: int) -> float:
    """Points earned over points applicable, times out_of (2 decimals)."""
    got, possible = score(results)
    return round(got * out_of / possible, 2) if possible else 0.0


def number(value: float) -> str:
    """A grade as people write it: 97.5, 100 (no trailing .0)."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def paint(text: str, code: str, colour: bool) -> str:
    """Wrap text in an ANSI colour code when colour is on."""
    return f"\033[{code}m{text}\033[0m" if colour else text


class Table:
    """The per-lab table of results, printed one row as each test ends."""

    def __init__(self, titles: dict[int, str], colour: bool) -> None:
        self.titles = titles      # lab number -> "echo server"
        self.colour = colour
        self.lab: int | None = None   # the lab whose rows come now
        self.lab_results: list[Result] = []

    def start(self, test: Test) -> None:
        """Before test runs: print the header of its lab if it begins one
        (so that what -v says of the test comes under it)."""
        if self.lab is not None and self.lab != test.lab:
            self.close()
        if self.lab != test.lab:
            self.lab = test.lab
            print(paint(f"lab {test.lab}: {self.titles.get(test.lab, '')}",
                        BOLD, self.colour), flush=True)

    def add(self, result: Result) -> None:
        """Print result's row, and its notes under it."""
        self.lab_results.append(result)
        print(f"  {result.test.number:<6} {result.test.name:<28} "
              f"{result.score:>3}/{result.test.points:<3} "
              f"{verdict(result, self.colour)} {result.seconds:6.2f}s",
              flush=True)
        for note in result.notes:
            print(f"         note: {note}", flush=True)

    def close(self) -> None:
        """Print the subtotal of the lab whose rows were printed last."""
        if self.lab_results:
            got, most = score(self.lab_results)
            print(f"  lab {self.lab_results[0].test.lab} subtotal: "
                  f"{got}/{most}\n")
        self.lab_results = []
        self.lab = None


def verdict(result: Result, colour: bool) -> str:
    """PASS, FAIL or N/A (not applicable here), painted."""
    if result.not_applicable:
        return paint("N/A ", YELLOW, colour)
    return paint("PASS", GREEN, colour) if result.passed \
        else paint("FAIL", RED, colour)


def score(results: list[Result]) -> tuple[int, int]:
    """Points earned and points applicable (a test that could not run
    here counts for none)."""
    return (sum(r.score for r in results),
            sum(r.possible for r in results))


def not_applicable_text(result: Result) -> str:
    """Why a test did not run here, and what that costs: nothing."""
    return f"{result.test.number} {result.test.name}: not applicable " \
           f"here: {result.not_applicable}; its {result.test.points} " \
           "points are not counted"


def indent(text: str, prefix: str = "    ") -> str:
    """Indent every line of text."""
    return textwrap.indent(text, prefix, lambda line: True)


def failure_text(result: Result) -> str:
    """Everything a student needs about one failed test, as plain text.

    A test that is not visible shows its symptom and hint only (and the
    starter stub's TODO line, which is the student's own): its inputs and
    expected bytes stay hidden.
    """
    test, failure = result.test, result.failure
    advice = hints.hint(failure.symptom, test.hints)
    lines = [f"{test.number} {test.name}: {test.sentence}",
             f"  symptom: {failure.symptom}"]
    if test.rules:
        lines.append(f"  rules: {', '.join(test.rules)} (the handout's "
                     "table 'Rules and the tests that check them')")
    if test.visibility != "visible":
        lines += [f"  the program logged: {line.strip()}"
                  for _, tail in result.stderr
                  for line in tail.splitlines() if "TODO(" in line][:1]
        lines.append(wrapped_hint(advice))
        return "\n".join(lines)
    lines.append(indent(failure.summary, "  "))
    if failure.detail:
        lines.append(indent(failure.detail))
    lines.append(wrapped_hint(advice))
    for name, tail in result.stderr:
        if tail:
            lines += [f"  stderr of {name} (last lines):", indent(tail)]
    lines.append(f"  random data from seed {result.seed} "
                 f"(grade.py --seed {result.seed} repeats it)")
    lines.append(f"  reproduce: {result.reproduce[0]}")
    lines += [f"  by hand:   {c}" if i == 0 else f"             {c}"
              for i, c in enumerate(result.reproduce[1:])]
    return "\n".join(lines)


def wrapped_hint(advice: str) -> str:
    """The hint line, wrapped and indented under the failure."""
    return indent(textwrap.fill("hint: " + advice, TEXT_WIDTH - 2,
                                subsequent_indent="  "), "  ")


def print_failures(results: list[Result], colour: bool) -> None:
    """Print a line for each test that could not run, then a section for
    each failed test."""
    for result in results:
        if result.not_applicable:
            print(paint("N/A  ", YELLOW, colour) + not_applicable_text(result)
                  + "\n")
    for result in results:
        if result.failed:
            text = failure_text(result)
            head, _, body = text.partition("\n")
            print(paint("FAIL " + head, RED, colour))
            print(body + "\n")


def totals(results: list[Result], mode: Mode) -> str:
    """The closing lines: "Score: x/y" (of the applicable points), what
    could not run here, the grade in the mode, "N passed, N failed"."""
    got, most = score(results)
    passed = sum(r.passed for r in results)
    failed = sum(r.failed for r in results)
    skipped = [r for r in results if r.not_applicable]
    lines = [f"Score: {got}/{most}"]
    if skipped:
        lines.append(f"Not applicable here, not counted: "
                     f"{sum(r.test.points for r in skipped)} points (" +
                     ", ".join(r.test.name for r in skipped) + ")")
    lines.append(mode.describe(results))
    lines.append(f"{passed} passed, {failed} failed" +
                 (f", {len(skipped)} not applicable" if skipped else ""))
    return "\n".join(lines)


def overall(results: list[Result], mode: Mode, preface: str) -> str:
    """A results file's output: the preface, if any, then the totals."""
    return "\n\n".join(filter(None, [preface, totals(results, mode)]))


def result_text(result: Result) -> str:
    """What a platform shows for one test: passed, the failure, or why it
    could not run here."""
    test = result.test
    notes = "".join(f"\n  note: {note}" for note in result.notes)
    if result.failure:
        return failure_text(result) + notes
    if result.not_applicable:
        return not_applicable_text(result) + notes
    return f"{test.number} {test.name}: {test.sentence}\n  passed{notes}"


def test_entry(result: Result) -> dict:
    """One test as a Gradescope results.json test object (a test that
    could not run here is worth 0 of 0, and has no status)."""
    test = result.test
    entry = {
        "name": test.name,
        "number": test.number,
        "score": result.score,
        "max_score": result.possible,
        "status": "passed" if result.passed else "failed",
        "output": result_text(result),
        "visibility": test.visibility,
        "extra_data": {"seconds": round(result.seconds, 3),
                       "symptom": result.failure.symptom
                       if result.failure else None,
                       "not_applicable": result.not_applicable},
    }
    if result.not_applicable:
        del entry["status"]
    return entry


def summary_data(results: list[Result], mode: Mode) -> dict:
    """The mode and the totals, as every results file records them."""
    got, possible = score(results)
    return {"mode": mode.name, "lab": mode.lab,
            "out_of": mode.out_of(results), "grade": mode.grade(results),
            "earned": got, "applicable": possible,
            "not_applicable": {r.test.name: r.not_applicable
                               for r in results if r.not_applicable}}


def results_json(results: list[Result], mode: Mode, seconds: float,
                 crash: str | None = None, preface: str = "") -> dict:
    """The Gradescope results.json object (its score is the grade in the
    mode); crash is the traceback when the grader failed before it
    finished; preface goes before the totals (a failed build's messages)."""
    tests = [test_entry(r) for r in results]
    output = overall(results, mode, preface)
    if crash is not None:
        note = f"The grader crashed or was stopped after {len(results)} " \
               f"tests; the scores are for those tests only.\n{crash}"
        tests.append({"name": "grader crashed", "number": "0.0",
                      "score": 0, "max_score": 0, "status": "failed",
                      "output": note, "visibility": "visible"})
        output = f"{output}\n{note}"
    return {"score": mode.grade(results),
            "execution_time": round(seconds, 3), "output": output,
            "extra_data": summary_data(results, mode), "tests": tests}


def prairielearn_json(results: list[Result], mode: Mode,
                      preface: str = "") -> dict:
    """PrairieLearn's external grader results: score from 0 to 1 (the
    grade over what the mode is out of), one entry per test; preface goes
    before the totals."""
    out_of = mode.out_of(results)
    return {"gradable": True,
            "score": round(mode.grade(results) / out_of, 4) if out_of else 0,
            "message": mode.describe(results),
            "output": overall(results, mode, preface),
            "extra_data": summary_data(results, mode),
            "tests": [{"name": f"{r.test.number} {r.test.name}",
                       "description": r.test.sentence,
                       "points": r.score, "max_points": r.possible,
                       "message": "not applicable here"
                       if r.not_applicable else
                       "passed" if r.passed else "failed",
                       "output": result_text(r)} for r in results]}


def write_json(path: Path, data: dict) -> None:
    """Write data to path atomically: a reader sees the old or new file."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent or ".", prefix=path.name,
                               suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as out:
            json.dump(data, out, indent=2)
            out.write("\n")
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def autolab_line(results: list[Result], mode: Mode) -> str:
    """Autolab's score line. own: {"scores": {"lab03": grade}}, out of
    100; cumulative: one key per lab, each lab's points earned over its
    applicable points times its points, {"lab01": 100, "lab02": 137}."""
    if mode.own:
        return json.dumps({"scores": {f"lab{mode.lab:02d}":
                                      mode.grade(results)}})
    labs: dict[str, list[Result]] = {}
    for result in results:
        labs.setdefault(f"lab{result.test.lab:02d}", []).append(result)
    return json.dumps({"scores": {
        key: prorated(own, sum(r.test.points for r in own))
        for key, own in labs.items()}})
