#!/usr/bin/python3
"""handout.py - build the tarball students get (`make handout [LAB=N]`).

The handout is the kit without anything private (kitfiles.PRIVATE: no
solutions/, no known-buggy variants, no instructor tools) and without the
grader's hidden tests; with --lab N, only the stages 01..N (their starters,
decks, graded and unit tests, and glue). It unpacks into one directory,
proxylab-handout[-labN]/, whose Makefile works as in the full kit for
everything that does not need the reference.
Usage: python3 tools/handout.py [--lab N] [--out DIR]
Prints the tarball's path. tests/check_handout.py proves it is clean.
"""
from __future__ import annotations
import sys
import tempfile
from pathlib import Path

import kitfiles

OUT = kitfiles.ROOT / "build" / "handout"


def name_of(lab: int | None) -> str:
    """The handout's directory name: proxylab-handout[-labN]."""
    return "proxylab-handout" + (f"-lab{lab}" if lab else "")


def build(lab: int | None, out: Path) -> Path:
    """Build the handout of stages up to lab (all when None) in out; return
    the tarball's path."""
    with tempfile.TemporaryDirectory(prefix="handout-") as tmp:
        tree = Path(tmp) / name_of(lab)
        kitfiles.copy_kit(kitfiles.kit_files(lab), tree, public=True)
        return kitfiles.make_tarball(tree, out / f"{tree.name}.tar.gz")


def main() -> int:
    """Build what the command line asks for; print its path."""
    return kitfiles.pack_command(__doc__, OUT, build, lab_required=False)


if __name__ == "__main__":
    sys.exit(main())
