#!/usr/bin/python3
"""gradescope_zip.py - build Gradescope's autograder for a lab
(`make gradescope LAB=N`).

Writes build/gradescope/proxylab-labN-autograder.zip holding:
  setup.sh         installs the Debian packages (the kit's tools/deps.sh);
  run_autograder   grades /autograder/submission (tools/gradescope/);
  LAB              the lab number, N;
  kit/             the kit of stages 01..N as students have it, plus the
                   hidden tests, and without the reference.
Upload it as a "Zip file upload" autograder on an Ubuntu base image.
Usage: python3 tools/gradescope_zip.py --lab N [--out DIR]
"""
from __future__ import annotations
import sys
import tempfile
import zipfile
from pathlib import Path

import kitfiles

OUT = kitfiles.ROOT / "build" / "gradescope"
SCRIPTS = kitfiles.ROOT / "tools" / "gradescope"
EXECUTABLE = 0o100755 << 16   # a zip entry's mode, for setup.sh and the rest


def add_tree(archive: zipfile.ZipFile, tree: Path) -> None:
    """Add every file under tree, at its path relative to tree's parent,
    keeping the executable bit."""
    for path in sorted(p for p in tree.rglob("*") if p.is_file()):
        info = zipfile.ZipInfo.from_file(path, path.relative_to(tree.parent))
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, path.read_bytes())


def build(lab: int, out: Path) -> Path:
    """Build the autograder zip of lab in out; return its path."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"proxylab-lab{lab}-autograder.zip"
    with tempfile.TemporaryDirectory(prefix="gradescope-") as tmp:
        kit = Path(tmp) / "kit"
        kitfiles.copy_kit(kitfiles.kit_files(lab), kit, public=False)
        with zipfile.ZipFile(target, "w") as archive:
            for script in ("setup.sh", "run_autograder"):
                info = zipfile.ZipInfo(script)
                info.external_attr = EXECUTABLE
                archive.writestr(info, (SCRIPTS / script).read_bytes())
            archive.writestr("LAB", f"{lab}\n")
            add_tree(archive, kit)
    return target


def main() -> int:
    """Build what the command line asks for; print its path."""
    return kitfiles.pack_command(__doc__, OUT, build, lab_required=True)


if __name__ == "__main__":
    sys.exit(main())
