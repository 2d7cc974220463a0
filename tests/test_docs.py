"""test_docs.py - what the docs promise about the kit holds.

INSTRUCTORS.md's table under "Grading" gives each stage's own total and
its cumulative one; an instructor sets LMS assignments from it, so it must
be what tests/grade/grade.py grades. And its course plan promises a time
estimate in every handout (labs/NN-name/README.md: a "Time: about" line).
Each handout's "### TODO labN.k" section states its contract in the open,
citing the RFC it comes from (unless NO_RFC says why it has none), and
folds its step-by-step guide into one <details> block, "How to go about
it", which the handout announces before its first TODO.
Run: python3 -m unittest tests/test_docs.py
"""
from __future__ import annotations
import re
import sys
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "grade"))
import grade  # noqa: E402

ROW = re.compile(r"^\| (\d\d)-[\w-]+ \| (\d+) \| (\d+) \|$", re.M)
TODO = re.compile(r"### TODO (lab\d+\.\d+)\b")
GUIDE = "How to go about it"   # the summary of each TODO's folded guide
CITES = re.compile(r"\bRFC \d|§ ?\d|\bsection\b", re.I)

# The TODOs whose contract no RFC states, each with the reason.
NO_RFC = {
    "lab1.1": "an echo server: a plain TCP byte stream, no HTTP yet",
    "lab1.2": "the echo server's accept loop and its stop",
    "lab3.1": "detached threads and their count",
    "lab3.2": "a bounded queue between threads",
    "lab6.2": "the blocklist file is the kit's own format",
    "lab6.3": "matching against the kit's own rules",
    "lab6.4": "a list replaced while threads read it",
    "lab6.5": "the Common Log Format, which no RFC defines",
    "lab6.6": "the kit's own anonymity policy",
}


def documented() -> dict[int, tuple[int, int]]:
    """The table's rows: stage -> (own total, cumulative total)."""
    text = (ROOT / "INSTRUCTORS.md").read_text()
    table = text.split("<!-- totals: begin -->")[1].split(
        "<!-- totals: end -->")[0]
    return {int(n): (int(own), int(total))
            for n, own, total in ROW.findall(table)}


def graded(last: int) -> dict[int, tuple[int, int]]:
    """What the grader totals: stage -> (own total, cumulative total)."""
    totals, cumulative = {}, 0
    for lab in range(1, last + 1):
        tests, _ = grade.load_tests(range(lab, lab + 1))
        own = sum(t.points for t in tests)
        cumulative += own
        totals[lab] = (own, cumulative)
    return totals


def handouts() -> list[Path]:
    """Every stage's handout, labs/NN-name/README.md."""
    return sorted((ROOT / "labs").glob("[0-9][0-9]-*/README.md"))


def todo_sections(text: str) -> dict[str, list[str]]:
    """Each "### TODO labN.k" section of a handout, by its labN.k: the
    lines after its heading, up to the next heading outside a code block."""
    sections: dict[str, list[str]] = {}
    current = None
    fenced = False
    for line in text.splitlines():
        heading = not fenced and line.startswith(("# ", "## ", "### "))
        if line.startswith("```"):
            fenced = not fenced
        if heading:
            match = TODO.match(line)
            current = sections.setdefault(match.group(1), []) if match \
                else None
        elif current is not None:
            current.append(line)
    return sections


def section_problems(name: str, lines: list[str]) -> list[str]:
    """What is wrong with one TODO section: it needs a contract in the
    open that cites an RFC (or a reason in NO_RFC), then one <details>
    block whose summary is GUIDE, with the blank lines that let GitHub
    render the Markdown inside, properly closed."""
    opened = [i for i, line in enumerate(lines) if "<details" in line]
    closed = [i for i, line in enumerate(lines) if "</details>" in line]
    if len(opened) != 1 or len(closed) != 1 or closed[0] < opened[0]:
        return [f"{name}: {len(opened)} <details> and {len(closed)} "
                f"</details>, not one block"]
    start, end = opened[0], closed[0]
    problems = []
    if lines[start] != "<details>" or lines[end] != "</details>":
        problems.append(f"{name}: <details> and </details> must be lines "
                        f"of their own")
    if lines[start + 1:start + 3] != [f"<summary>{GUIDE}</summary>", ""]:
        problems.append(f"{name}: <details> is not followed by "
                        f"<summary>{GUIDE}</summary> and a blank line")
    if start == 0 or lines[start - 1] or lines[end - 1]:
        problems.append(f"{name}: no blank line before <details> or before "
                        f"</details>")
    if not "".join(lines[start + 3:end]).strip():
        problems.append(f"{name}: the guide is empty")
    contract = "\n".join(lines[:start]).strip()
    if not contract:
        problems.append(f"{name}: no contract before the guide")
    elif name in NO_RFC and CITES.search(contract):
        problems.append(f"{name}: cites an RFC, so NO_RFC should not list it")
    elif name not in NO_RFC and not CITES.search(contract):
        problems.append(f"{name}: the contract cites no RFC section")
    return problems


class TotalsTest(unittest.TestCase):
    def test_table_matches_the_grader(self) -> None:
        table = documented()
        stages = sorted(p.name for p in (ROOT / "labs").iterdir()
                        if re.match(r"\d\d-", p.name))
        self.assertEqual(len(table), len(stages))
        self.assertEqual(table, graded(len(stages)))

    def test_every_handout_has_a_time_estimate(self) -> None:
        self.assertGreater(len(handouts()), 1)
        missing = [str(h.relative_to(ROOT)) for h in handouts()
                   if not re.search(r"^Time: about \d", h.read_text(), re.M)]
        self.assertEqual(missing, [])


class GuideTest(unittest.TestCase):
    def test_every_todo_states_its_contract_and_folds_its_guide(self) -> None:
        seen, problems = set(), []
        for handout in handouts():
            sections = todo_sections(handout.read_text())
            self.assertNotEqual(sections, {}, handout)
            seen.update(sections)
            problems += [f"{handout.relative_to(ROOT)}: {problem}"
                         for name, lines in sections.items()
                         for problem in section_problems(name, lines)]
        self.assertEqual(problems, [])
        self.assertEqual(sorted(set(NO_RFC) - seen), [],
                         "NO_RFC names TODOs that no handout has")

    def test_every_handout_announces_the_guides(self) -> None:
        silent = [str(h.relative_to(ROOT)) for h in handouts()
                  if f'"{GUIDE}"' not in h.read_text().split("### TODO")[0]]
        self.assertEqual(silent, [])

    def test_a_section_without_its_guide_is_found(self) -> None:
        bare = ["It returns 0 (RFC 9110 §15.6.3).", ""]
        folded = bare + ["<details>", f"<summary>{GUIDE}</summary>", "",
                         "1. Do it.", "", "</details>", ""]
        self.assertEqual(section_problems("lab9.1", folded), [])
        self.assertNotEqual(section_problems("lab9.1", bare), [])
        self.assertNotEqual(section_problems("lab9.1", folded[2:]), [])
        self.assertNotEqual(section_problems("lab9.1", folded[:-2]), [])
        self.assertNotEqual(
            section_problems("lab9.1", ["It returns 0.", *folded[1:]]), [])


if __name__ == "__main__":
    unittest.main()
