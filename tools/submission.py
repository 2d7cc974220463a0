"""submission.py - put a student's files from a submission into a kit tree.

A submission is a folder (Gradescope's /autograder/submission, or one
student's folder in a batch) or an archive: a tarball (what `make handin`
writes) or a zip (a folder may hold one too). The files a student writes are
labs/NN-name/*.c. In a submission each may be at labs/NN-name/FILE at any
depth (a whole kit, or a handin tarball's content), or loose: FILE
anywhere, for the latest stage that has a file of that name. Only regular
files count (no links), and only those names: anything else a submission
holds is never copied. A file the submission lacks stays the starter.
"""
from __future__ import annotations
import shutil
import tarfile
import zipfile
from pathlib import Path

import kitfiles


def unpack(submission: Path, scratch: Path) -> tuple[list[Path], list[str]]:
    """The folders to search: the submission (or its archive unpacked) and
    every archive directly inside it, unpacked under scratch; and a line
    for each archive that was refused or unreadable, saying why."""
    tarballs = [submission] if submission.is_file() else \
        sorted(p for p in submission.iterdir() if p.is_file() and
               not p.is_symlink() and p.name.endswith(kitfiles.ARCHIVES))
    roots = [] if submission.is_file() else [submission]
    notes = []
    for i, tarball in enumerate(tarballs):
        dest = scratch / f"tarball{i}"
        dest.mkdir(parents=True)
        try:
            kitfiles.unpack_archive(tarball, dest)
        except (tarfile.TarError, zipfile.BadZipFile, OSError) as exc:
            notes.append(f"{tarball.name}: not unpacked ({exc}); "
                         f"nothing in it is graded")
            continue   # the folder itself still counts
        roots.append(dest)
    return roots, notes


def candidates(roots: list[Path], name: str) -> list[Path]:
    """Regular files called name under roots, shallowest first."""
    found = [p for root in roots for p in root.rglob(name)
             if p.is_file() and not p.is_symlink()]
    return sorted(found, key=lambda p: (len(p.parts), str(p)))


def find(roots: list[Path], stage: str, name: str,
         loose_ok: bool) -> Path | None:
    """The submission's file for labs/stage/name: at .../stage/name, else
    (when loose_ok) the shallowest file called name."""
    files = candidates(roots, name)
    exact = [p for p in files if p.parent.name == stage]
    if exact:
        return exact[0]
    return files[0] if loose_ok and files else None


def overlay(submission: Path, kit: Path, last: int,
            scratch: Path) -> list[str]:
    """Copy the student's files of stages 1..last from submission over
    the starters in kit; return one line per file saying where it came
    from."""
    roots, report = unpack(submission, scratch)
    wanted = kitfiles.student_files(kit, last)
    latest = {Path(f).name: f for f in wanted}   # a later stage wins
    for name in wanted:
        stage, file = Path(name).parent.name, Path(name).name
        found = find(roots, stage, file, latest[file] == name)
        if found is None:
            report.append(f"{name}: not in the submission (the starter "
                          f"is graded)")
            continue
        shutil.copyfile(found, kit / name)
        shown = found.relative_to(next(r for r in roots if r in found.parents))
        report.append(f"{name}: from {shown}")
    return report
