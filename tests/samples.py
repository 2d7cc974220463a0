"""samples.py - sample submissions for checking the graders end to end.

Three students, as an instructor receives them:
  full     the reference of stages 01..N as `make handin` packs it (a
           tarball: labs/NN-name/*.c, NOTES.md, MANIFEST): full marks;
  starter  the untouched starters, loose in a folder: score 0;
  broken   the starters in labs/NN-name/, one with a syntax error: the
           build fails, score 0.
Used by check_platforms.py and check_batch.py.
"""
from __future__ import annotations
import shutil
import tempfile
from pathlib import Path

import handin
import kitfiles

EXPECTED = {"full": "full", "starter": "zero", "broken": "build failed"}


def full(dest: Path, last: int) -> Path:
    """A handin tarball of the reference, in dest."""
    with tempfile.TemporaryDirectory(prefix="sample-") as tmp:
        tree = Path(tmp)
        for name in kitfiles.student_files(kitfiles.ROOT, last):
            source = kitfiles.ROOT / name.replace("labs/", "solutions/", 1)
            (tree / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, tree / name)
        (tree / "NOTES.md").write_text(handin.template(kitfiles.ROOT, 1,
                                                       last))
        tarball, _ = handin.pack(tree, 1, last, tree / "out")
        return Path(shutil.move(tarball, dest / "full.tar.gz"))


def starter(dest: Path, last: int) -> Path:
    """A folder of the starters' files, loose."""
    folder = dest / "starter"
    folder.mkdir()
    for name in kitfiles.student_files(kitfiles.ROOT, last):
        shutil.copyfile(kitfiles.ROOT / name, folder / Path(name).name)
    return folder


def broken(dest: Path, last: int) -> Path:
    """A folder of the starters in labs/NN-name/, the last one broken."""
    folder = dest / "broken"
    names = kitfiles.student_files(kitfiles.ROOT, last)
    for name in names:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(kitfiles.ROOT / name, folder / name)
    with open(folder / names[-1], "a") as out:
        out.write("\nint broken(void) { return 0 }\n")
    return folder


def make_all(dest: Path, last: int) -> dict[str, Path]:
    """Every sample for lab last, made in dest, by name."""
    return {"full": full(dest, last), "starter": starter(dest, last),
            "broken": broken(dest, last)}
