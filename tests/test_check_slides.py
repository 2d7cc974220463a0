"""Tests of tests/check_slides.py: it must pass a good deck and name the
slide and the fault of a broken image, an unrendered SVG, an empty slide,
a slide whose content runs off the page, a first slide without a
presenter note and a deck that does not render.

Run from the top of the kit after `make slides-check` has installed Marp:
python3 -m unittest tests/test_check_slides.py
"""
from __future__ import annotations
import contextlib
import io
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import check_slides  # noqa: E402

MARP_BIN = Path("slides/node_modules/.bin/marp")
MARP = [str(MARP_BIN), "--theme", "slides/theme.css"]
FRONT = "---\nmarp: true\n---\n\n"
GOOD_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
            '<text x="1" y="9">a</text></svg>')
NOTE = "\n\n<!--\nThe plan of the lecture.\n-->"
BLANK_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'


class CheckSlidesTest(unittest.TestCase):
    """Each test writes decks and diagrams into a scratch directory."""

    @classmethod
    def setUpClass(cls) -> None:
        if not MARP_BIN.exists():
            raise RuntimeError(f"{MARP_BIN} is missing: run make slides-check")

    def setUp(self) -> None:
        scratch = tempfile.TemporaryDirectory(prefix="test-slides-")
        self.addCleanup(scratch.cleanup)
        self.root = Path(scratch.name)
        self.diagrams = self.root / "diagrams"
        self.diagrams.mkdir()
        (self.diagrams / "good.svg").write_text(GOOD_SVG)

    def deck(self, *slides: str, note: str = NOTE) -> Path:
        """A deck of slides, its first with note after it."""
        path = self.root / "01-test.md"
        first = slides[0] + note
        path.write_text(FRONT + "\n\n---\n\n".join((first, *slides[1:])) +
                        "\n")
        return path

    def problems(self, deck: Path, marp: list[str] = MARP) -> list[str]:
        return check_slides.deck_problems(marp, deck, self.diagrams)

    def test_good_deck_passes(self) -> None:
        deck = self.deck("# Title\n\nwords",
                         "## A diagram\n\n![the path](diagrams/good.svg)",
                         "![only a picture](diagrams/good.svg)")
        self.assertEqual(self.problems(deck), [])

    def test_broken_images_are_named_with_their_slide(self) -> None:
        (self.diagrams / "empty.svg").write_text("")
        (self.diagrams / "blank.svg").write_text(BLANK_SVG)
        deck = self.deck("# Title",
                         "## Missing\n\n![x](diagrams/missing.svg)",
                         "## Unrendered\n\n![x](diagrams/empty.svg)",
                         "## Blank\n\n![x](diagrams/blank.svg)",
                         "## Remote\n\n![x](https://example.org/a.png)")
        problems = self.problems(deck)
        self.assertEqual(len(problems), 4, problems)
        self.assertRegex(problems[0], r"^slide 2 .*missing\.svg does not exist")
        self.assertRegex(problems[1], r"^slide 3 .*is not a rendered SVG")
        self.assertRegex(problems[2], r"^slide 4 .*draws nothing")
        self.assertRegex(problems[3], r"^slide 5 .*not a local file")

    def test_empty_slide_fails(self) -> None:
        deck = self.deck("# Title", "", "## After")
        self.assertEqual(self.problems(deck),
                         ["slide 2: empty: no text and no image"])

    def test_slide_with_only_a_footer_is_empty(self) -> None:
        parser = check_slides.SlideParser()
        parser.feed('<section id="1"><footer>ProxyLab</footer></section>'
                    '<section id="2"><h1>Hi</h1></section>')
        slides = list(parser.slides.values())
        self.assertEqual([s.text for s in slides], [[], ["Hi"]])

    def test_content_off_the_page_fails(self) -> None:
        long = "## Too long\n\n" + "\n".join(f"- line {n}" for n in range(30))
        wide = "## Too wide\n\n|" + " heading |" * 30 + "\n|" + "---|" * 30
        deck = self.deck("# Title", long, "## Fits\n\n- one line", wide)
        problems = self.problems(deck)
        self.assertEqual(len(problems), 2, problems)
        self.assertRegex(problems[0], r"^slide 2: runs [1-9]\d* px off the "
                         r"bottom")
        self.assertRegex(problems[1], r"^slide 4: runs .* [1-9]\d* px off "
                         r"the right")

    def test_first_slide_needs_a_presenter_note(self) -> None:
        for note in ("", "\n\n<!-- _class: dense -->"):
            with self.subTest(note=note):
                self.assertEqual(
                    self.problems(self.deck("# Title", "## Two", note=note)),
                    ["slide 1: no presenter note (an HTML comment: the "
                     "lecture's plan and what to show live)"])

    def test_marp_failing_is_a_render_failure(self) -> None:
        deck = self.deck("# Title")
        problems = self.problems(deck, marp=["false"])
        self.assertEqual(len(problems), 1)
        self.assertIn("does not render: exit status 1", problems[0])

    def test_marp_writing_nothing_is_a_render_failure(self) -> None:
        deck = self.deck("# Title")
        self.assertEqual(self.problems(deck, marp=["true"]),
                         ["does not render: Marp wrote no HTML"])

    def test_main_fails_and_counts_a_bad_deck(self) -> None:
        deck = self.deck("# Title", "")
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = check_slides.main(["--marp", " ".join(MARP),
                                        "--diagrams", str(self.diagrams),
                                        str(deck)])
        self.assertEqual(status, 1)
        self.assertIn("FAIL", out.getvalue())
        self.assertTrue(out.getvalue().endswith("0 passed, 1 failed\n"))


if __name__ == "__main__":
    unittest.main()
