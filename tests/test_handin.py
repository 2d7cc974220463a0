"""test_handin.py - make handin's warnings (an unanswered placeholder is
counted, the template's own instruction that names it is not) and what
GIVEN=K leaves out.
Run from the top of the kit: /usr/bin/python3 -m unittest tests/test_handin.py
"""
from __future__ import annotations
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import handin  # noqa: E402  (the kit's tools)
import kitfiles  # noqa: E402


class WarningsTest(unittest.TestCase):
    def notes_warnings(self, notes: str) -> list[str]:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            (root / "labs").mkdir()
            (root / "NOTES.md").write_text(notes)
            return [w for w in handin.warnings(root, 1, 0)
                    if w.startswith("NOTES.md")]

    def test_a_fresh_template_counts_only_its_placeholders(self) -> None:
        template = handin.template(kitfiles.ROOT, 1, 1)
        places = template.count(f"\n   {handin.UNANSWERED}") + \
            template.count(f": {handin.UNANSWERED}")
        self.assertEqual(self.notes_warnings(template),
                         [f'NOTES.md: {places} places still say '
                          f'"{handin.UNANSWERED}"'])

    def test_answered_notes_give_no_warning(self) -> None:
        template = handin.template(kitfiles.ROOT, 1, 1)
        answered = template.replace(f"\n   {handin.UNANSWERED}", "\n   yes")
        answered = answered.replace(f": {handin.UNANSWERED}", ": 6")
        self.assertEqual(self.notes_warnings(answered), [])


class GivenTest(unittest.TestCase):
    def test_given_stages_are_not_packed(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            for name in ("01-echo/echo.c", "02-forward/http.c",
                         "03-threads/queue.c"):
                (root / "labs" / name).parent.mkdir(parents=True)
                (root / "labs" / name).write_text("int x;\n")
            (root / "NOTES.md").write_text("# Notes\n")
            _, listing = handin.pack(root, 3, 3, root / "out")
        names = [line.split()[-1] for line in listing.splitlines()]
        self.assertEqual(names, ["NOTES.md", "labs/03-threads/queue.c"])


if __name__ == "__main__":
    unittest.main()
