#!/usr/bin/python3
"""handout.py - build the tarball students get (`make handout [LAB=N]`).

The handout is the kit without anything private (kitfiles.PRIVATE: no
solutions/, no known-buggy variants, no instructor tools) and without the
grader's hidden tests; with --lab N, only the stages 01..N (their starters,
decks, graded and unit tests, and glue). It unpacks into one directory,
proxylab-handout[-labN]/, whose Makefile works as in the full kit for
everything that does not need the reference. Its README.md is the kit's,
cut for students: it leads with their commands and leaves out the
sections of commands that need the reference or are the instructor's
(DROPPED).
Usage: python3 tools/handout.py [--lab N] [--out DIR]
Prints the tarball's path. tests/check_handout.py proves it is clean.
"""
from __future__ import annotations
import re
import sys
import tempfile
from pathlib import Path

import kitfiles

OUT = kitfiles.ROOT / "build" / "handout"
DROPPED = ("## Two commands", "## For instructors")


def name_of(lab: int | None) -> str:
    """The handout's directory name: proxylab-handout[-labN]."""
    return "proxylab-handout" + (f"-lab{lab}" if lab else "")


def students_readme(text: str, lab: int | None) -> str:
    """The kit's README without the DROPPED sections, and a line saying
    what this copy is."""
    parts = re.split(r"^(?=## )", text, flags=re.M)
    kept = [part for part in parts if not part.startswith(DROPPED)]
    stages = f"stages 01 to {lab:02d}" if lab else "every stage"
    note = (f"This is your course's handout of {stages}: the starters, the "
            "handouts, the decks and the grader, without the reference. "
            "Start with `labs/01-echo/README.md`.\n\n")
    return kept[0] + note + "".join(kept[1:])


def build(lab: int | None, out: Path) -> Path:
    """Build the handout of stages up to lab (all when None) in out; return
    the tarball's path."""
    with tempfile.TemporaryDirectory(prefix="handout-") as tmp:
        tree = Path(tmp) / name_of(lab)
        kitfiles.copy_kit(kitfiles.kit_files(lab), tree, public=True)
        readme = tree / "README.md"
        readme.write_text(students_readme(readme.read_text(), lab))
        return kitfiles.make_tarball(tree, out / f"{tree.name}.tar.gz")


def main() -> int:
    """Build what the command line asks for; print its path."""
    return kitfiles.pack_command(__doc__, OUT, build, lab_required=False)


if __name__ == "__main__":
    sys.exit(main())
