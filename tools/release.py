#!/usr/bin/python3
"""release.py - release the reference of stages 1..K to students
(`make release LAB=K`).

Writes build/release/proxylab-solutions-labK.tar.gz, holding
solutions/NN-name/*.c for the stages 01..K and nothing else. A student
unpacks it at the top of their kit (`tar -xzf FILE`), which creates
solutions/, and can then build on it with GIVEN=K: `make grade LAB=K+1
GIVEN=K` takes stages 1..K from the reference and the later ones from
their own labs/. Stages 1..K all go together because GIVEN=K uses them all.
Usage: python3 tools/release.py --lab K [--out DIR]
"""
from __future__ import annotations
import shutil
import sys
import tempfile
from pathlib import Path

import kitfiles

OUT = kitfiles.ROOT / "build" / "release"


def build(lab: int, out: Path) -> Path:
    """Pack the reference of stages 1..lab into out; return the tarball."""
    with tempfile.TemporaryDirectory(prefix="release-") as tmp:
        tree = Path(tmp) / "solutions"
        for stage in kitfiles.stages():
            if kitfiles.stage_number(stage) <= lab:
                shutil.copytree(kitfiles.ROOT / "solutions" / stage,
                                tree / stage)
        return kitfiles.make_tarball(
            tree, out / f"proxylab-solutions-lab{lab}.tar.gz")


def main() -> int:
    """Build what the command line asks for; print its path."""
    return kitfiles.pack_command(__doc__, OUT, build, lab_required=True)


if __name__ == "__main__":
    sys.exit(main())
