"""kitfiles.py - which files of the kit go where.

The stages (found from labs/NN-name), the files a student writes, and the
tree a student or an autograder receives: every file of the kit except the
instructor's own (the reference in solutions/, the known-buggy variants,
the tools that need them), cut to the stages 01..N when asked. Used by
handout.py, release.py, handin.py, graders.py and batch.py.
"""
from __future__ import annotations
import argparse
import ast
import os
import re
import shutil
import stat
import subprocess
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGE = re.compile(r"^(\d\d)-")
TARBALLS = (".tar.gz", ".tgz", ".tar")   # how a tarball's name ends
ARCHIVES = (*TARBALLS, ".zip")            # what a hand-in may come as
FILTERS = hasattr(tarfile, "data_filter")  # Python 3.11.4, 3.10.12 on
# A stage's own file elsewhere: slides/05-cache.md, tests/grade/lab05.py,
# common/stage/stage05.c, common/stage/proxy05_cache.c.
STAGE_FILE = re.compile(r"^(?:lab|stage|proxy)?(\d\d)(?=[-_.])")
# What only an instructor has: the reference, the variants that are diffs
# of it, and the tools that read them or build what students get.
PRIVATE = ("solutions/", "tests/mutants/", ".ci/",
           # the course guide (with the table of classic mistakes and the
           # test that catches each) and the benchmark's tools
           "INSTRUCTORS.md", "bench/",
           # the tools that build what students and graders get
           "tools/handout.py", "tools/release.py", "tools/graders.py",
           "tools/gradescope/", "tools/prairielearn/", "tools/autolab/",
           "tools/batch.py", "tools/sandbox.py", "tools/classreport.py",
           # the kit's self-checks, which need the reference
           "tests/check_grader.py", "tests/kitcheck.py", "tests/run_all.py",
           "tests/ctokens.py", "tests/check_handout.py",
           "tests/check_platforms.py", "tests/samples.py",
           "tests/check_batch.py", "tests/checktable.py",
           "tests/check_no_ipv6.py", "tests/test_docs.py",
           "tests/pngcolours.py", "tests/handout_commands.py",
           "tests/mdcommands.py", "tests/test_mdcommands.py",
           "tests/terminal.py", "tests/walkthrough.py")


def stages(root: Path = ROOT) -> list[str]:
    """The stage directories of root/labs, in order: 01-echo 02-forward..."""
    return sorted(p.name for p in (root / "labs").iterdir()
                  if p.is_dir() and STAGE.match(p.name))


def stage_number(name: str) -> int:
    """The number of a stage directory: 2 for 02-forward."""
    return int(STAGE.match(name)[1])


def student_files(root: Path = ROOT, last: int | None = None,
                  first: int = 1) -> list[str]:
    """The files a student writes, relative to root: labs/NN-name/*.c of
    the stages first..last (all stages from first when last is None)."""
    return [f"labs/{stage}/{path.name}" for stage in stages(root)
            if first <= stage_number(stage) and
            (last is None or stage_number(stage) <= last)
            for path in sorted((root / "labs" / stage).glob("*.c"))]


def tracked_files(root: Path = ROOT) -> list[str]:
    """The kit's files: those git tracks or would track (not ignored), or
    every file outside build/ where root is not a git checkout."""
    run = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                          "--exclude-standard"], cwd=root,
                         capture_output=True, text=True)
    if run.returncode == 0 and run.stdout:
        names = run.stdout.split("\0")
        return sorted(n for n in names if n and (root / n).is_file())
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if p.is_file() and p.relative_to(root).parts[0] != "build"
                  and "__pycache__" not in p.parts)


def later_modules(root: Path, last: int) -> set[str]:
    """Student modules (http, cache...) that only stages after last have."""
    early = {Path(f).stem for f in student_files(root, last)}
    return {Path(f).stem for f in student_files(root)} - early


def belongs_to_later_stage(name: str, last: int, later: set[str]) -> bool:
    """True when the file name is part of a stage after last: its own
    directory, deck, tests or glue, or a unit test of its modules."""
    for part in Path(name).parts:
        found = STAGE_FILE.match(part)
        if found and int(found[1]) > last:
            return True
    unit = re.match(r"^tests/unit/test_(\w+)\.c$", name)
    return bool(unit and unit[1] in later)


def kit_files(last: int | None = None, root: Path = ROOT) -> list[str]:
    """The files of the tree a student receives, relative to root: no
    private file, and only stages up to last when last is given."""
    later = later_modules(root, last) if last else set()
    return [name for name in tracked_files(root)
            if not name.startswith(PRIVATE)
            and not (last and belongs_to_later_stage(name, last, later))]


def is_hidden_test(node: ast.stmt) -> bool:
    """True when node is a test function declared with a visibility other
    than "visible" (@test(..., visibility="hidden"))."""
    if not isinstance(node, ast.FunctionDef):
        return False
    for decorator in node.decorator_list:
        for keyword in getattr(decorator, "keywords", []):
            if keyword.arg == "visibility" and \
                    getattr(keyword.value, "value", "visible") != "visible":
                return True
    return False


def without_hidden_tests(source: str) -> str:
    """A lab module's source with its hidden tests' functions removed."""
    lines = source.splitlines(keepends=True)
    hidden = [node for node in ast.parse(source).body if is_hidden_test(node)]
    for node in reversed(hidden):
        first = min(d.lineno for d in node.decorator_list)
        del lines[first - 1:node.end_lineno]
    return "".join(lines)


def copy_kit(files: list[str], dest: Path, public: bool,
             root: Path = ROOT) -> None:
    """Copy files from root into dest, keeping modes; public drops the
    hidden tests from the grader's lab modules."""
    for name in files:
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if public and re.match(r"^tests/grade/lab\d\d\.py$", name):
            source = (root / name).read_text()
            target.write_text(without_hidden_tests(source))
            shutil.copymode(root / name, target)
        else:
            shutil.copy2(root / name, target)


def make_tarball(tree: Path, out: Path) -> Path:
    """Pack the directory tree into the gzip tarball out, under tree's own
    name, files in sorted order; return out."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(out, "w:gz") as tar:
        tar.add(tree, arcname=tree.name, filter=without_owner)
    return out


def without_owner(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """A tar member that unpacks as whoever unpacks it."""
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


class UnsafeArchive(tarfile.TarError):
    """An archive refused whole: a member would land outside the folder,
    or is not a plain file, folder or link."""


def inside(dest: Path, path: str) -> bool:
    """True when path, relative to the real folder dest, stays in it."""
    return os.path.commonpath([dest, os.path.realpath(dest / path)]) \
        == str(dest)


def check_name(name: str, dest: Path) -> None:
    """Raise UnsafeArchive unless a member called name lands in dest."""
    if os.path.isabs(name) or ".." in Path(name).parts or \
            not inside(dest, name):
        raise UnsafeArchive(f"member '{name}' would land outside the folder")


def check_member(member: tarfile.TarInfo, dest: Path) -> None:
    """Raise UnsafeArchive unless member unpacks inside dest as a file, a
    folder or a link that stays inside dest (what filter="data" allows)."""
    name = member.name
    check_name(name, dest)
    if not (member.isfile() or member.isdir() or member.issym() or
            member.islnk()):
        raise UnsafeArchive(f"member '{name}' is a device or a pipe")
    if member.issym():
        target = os.path.join(os.path.dirname(name), member.linkname)
    else:
        target = member.linkname
    if (member.issym() or member.islnk()) and \
            (os.path.isabs(member.linkname) or not inside(dest, target)):
        raise UnsafeArchive(f"member '{name}' links outside the folder, "
                            f"to '{member.linkname}'")


def safe_extract(tarball: Path, dest: Path) -> None:
    """Unpack tarball into dest, refusing the whole archive (UnsafeArchive)
    if any member is absolute, climbs out with '..', links outside dest
    or is a device. Files come out owned by whoever unpacks them, without
    set-id bits. The checks are the kit's own on every Python; where
    tarfile has extraction filters (3.11.4, 3.10.12), "data" runs too."""
    dest = Path(os.path.realpath(dest))
    with tarfile.open(tarball) as tar:
        members = tar.getmembers()
        for member in members:
            check_member(member, dest)
            member.uid, member.gid = os.getuid(), os.getgid()
            member.uname = member.gname = ""
            member.mode &= 0o777
        options = {"filter": "data"} if FILTERS else {}
        tar.extractall(dest, members, **options)


def safe_unzip(archive: Path, dest: Path) -> None:
    """Unpack a zip into dest, refusing the whole archive (UnsafeArchive)
    if any member is absolute, climbs out with '..' or is a link."""
    dest = Path(os.path.realpath(dest))
    with zipfile.ZipFile(archive) as zipped:
        members = zipped.infolist()
        for member in members:
            check_name(member.filename, dest)
            if stat.S_ISLNK(member.external_attr >> 16):
                raise UnsafeArchive(f"member '{member.filename}' is a link")
        zipped.extractall(dest, members)


def unpack_archive(archive: Path, dest: Path) -> None:
    """Unpack a hand-in (a tarball or a zip) into dest, safely."""
    if archive.name.endswith(".zip"):
        safe_unzip(archive, dest)
    else:
        safe_extract(archive, dest)


def pack_command(doc: str, out: Path, build: Callable[[int, Path], Path],
                 lab_required: bool) -> int:
    """The command line of a tool that packs something for a lab
    (--lab N, --out DIR): check it, run build(lab, dir), print the path
    it returns. lab is None when not required and not given."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--lab", type=int, required=lab_required,
                        help="the stage: stages 1..LAB go in")
    parser.add_argument("--out", type=Path, default=out,
                        help=f"the directory to write to ({out})")
    args = parser.parse_args()
    numbers = [stage_number(s) for s in stages()]
    if args.lab is not None and args.lab not in numbers:
        parser.error(f"--lab must be one of {numbers}")
    print(build(args.lab, args.out))
    return 0
