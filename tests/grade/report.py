"""report.py - print the results and write them for grading platforms.

One list of harness.Result objects feeds every output: the table printed as
tests finish (Table), a section per failure (expected and received bytes,
the hint, the program's stderr, commands that reproduce it), the closing
"Score: x/y" and "N passed, N failed" lines that CI parses, a Gradescope
results.json (written atomically, also when the grader crashed) and the
Autolab score line. A hidden test's failure shows its symptom and hint only.
"""
from __future__ import annotations
import json
import os
import tempfile
import textwrap
from pathlib import Path

import hints
from harness import Result, Test

GREEN, RED, BOLD = "32", "31", "1"
TEXT_WIDTH = 78


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
        verdict = paint("PASS", GREEN, self.colour) if result.passed \
            else paint("FAIL", RED, self.colour)
        print(f"  {result.test.number:<6} {result.test.name:<28} "
              f"{result.score:>3}/{result.test.points:<3} {verdict} "
              f"{result.seconds:6.2f}s", flush=True)
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


def score(results: list[Result]) -> tuple[int, int]:
    """Points earned and points possible."""
    return (sum(r.score for r in results),
            sum(r.test.points for r in results))


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
    """Print a section for each failed test."""
    for result in results:
        if not result.passed:
            text = failure_text(result)
            head, _, body = text.partition("\n")
            print(paint("FAIL " + head, RED, colour))
            print(body + "\n")


def totals(results: list[Result]) -> str:
    """The closing lines: "Score: x/y", then "N passed, N failed"."""
    got, most = score(results)
    passed = sum(r.passed for r in results)
    return f"Score: {got}/{most}\n{passed} passed, {len(results) - passed} " \
           "failed"


def test_entry(result: Result) -> dict:
    """One test as a Gradescope results.json test object."""
    test = result.test
    output = failure_text(result) if result.failure else \
        f"{test.number} {test.name}: {test.sentence}\n  passed"
    output += "".join(f"\n  note: {note}" for note in result.notes)
    return {
        "name": test.name,
        "number": test.number,
        "score": result.score,
        "max_score": test.points,
        "status": "passed" if result.passed else "failed",
        "output": output,
        "visibility": test.visibility,
        "extra_data": {"seconds": round(result.seconds, 3),
                       "symptom": result.failure.symptom
                       if result.failure else None},
    }


def results_json(results: list[Result], seconds: float,
                 crash: str | None = None) -> dict:
    """The Gradescope results.json object; crash is the traceback when the
    grader failed before it finished."""
    tests = [test_entry(r) for r in results]
    output = totals(results)
    if crash is not None:
        note = f"The grader crashed or was stopped after {len(results)} " \
               f"tests; the scores are for those tests only.\n{crash}"
        tests.append({"name": "grader crashed", "number": "0.0",
                      "score": 0, "max_score": 0, "status": "failed",
                      "output": note, "visibility": "visible"})
        output = f"{output}\n{note}"
    return {"score": score(results)[0], "execution_time": round(seconds, 3),
            "output": output, "tests": tests}


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


def autolab_line(results: list[Result]) -> str:
    """Autolab's score line: {"scores": {"lab01": x, ...}}."""
    scores: dict[str, int] = {}
    for result in results:
        key = f"lab{result.test.lab:02d}"
        scores[key] = scores.get(key, 0) + result.score
    return json.dumps({"scores": scores})
