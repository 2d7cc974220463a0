"""test_docs.py - what the docs promise about the kit holds.

INSTRUCTORS.md's table under "Grading" gives each stage's own total and
its cumulative one; an instructor sets LMS assignments from it, so it must
be what tests/grade/grade.py grades. And its course plan promises a time
estimate in every handout (labs/NN-name/README.md: a "Time: about" line).
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


class TotalsTest(unittest.TestCase):
    def test_table_matches_the_grader(self) -> None:
        table = documented()
        stages = sorted(p.name for p in (ROOT / "labs").iterdir()
                        if re.match(r"\d\d-", p.name))
        self.assertEqual(len(table), len(stages))
        self.assertEqual(table, graded(len(stages)))

    def test_every_handout_has_a_time_estimate(self) -> None:
        handouts = sorted((ROOT / "labs").glob("[0-9][0-9]-*/README.md"))
        self.assertGreater(len(handouts), 1)
        missing = [str(h.relative_to(ROOT)) for h in handouts
                   if not re.search(r"^Time: about \d", h.read_text(), re.M)]
        self.assertEqual(missing, [])


if __name__ == "__main__":
    unittest.main()
