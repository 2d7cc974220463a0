"""test_python_support.py - the kit's Python runs on the oldest Python the
kit supports, and unpacks a hand-in safely on every one of them.

The kit runs Debian's /usr/bin/python3 (the Makefile's PYTHON), 3.9 or
later: Debian 11 ships 3.9, Debian 12 3.11.2, Ubuntu 22.04 3.10. These
tests read every .py file of the kit for what 3.9 cannot run (syntax,
annotations evaluated at import, calls and names added later), and unpack
hostile tarballs with and without tarfile's extraction filters.
Run from the top of the kit:
/usr/bin/python3 -m unittest tests/test_python_support.py
"""
from __future__ import annotations
import ast
import io
import subprocess
import sys
import tarfile
import tempfile
import unittest
import zipfile
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import kitfiles  # noqa: E402  (the kit's tools)
import submission  # noqa: E402

OLDEST = (3, 9)
# Keyword arguments added after 3.9: (the called name, the keyword).
NEWER_KEYWORDS = {
    ("extractall", "filter"): "3.11.4", ("extract", "filter"): "3.11.4",
    ("add", "filter"): None,     # TarFile.add's filter is old: allowed
    ("Popen", "process_group"): "3.11", ("run", "process_group"): "3.11",
    ("Popen", "pipesize"): "3.10", ("zip", "strict"): "3.10",
    ("dataclass", "slots"): "3.10", ("dataclass", "kw_only"): "3.10",
    ("rmtree", "onexc"): "3.12", ("glob", "root_dir"): "3.10",
    ("bisect", "key"): "3.10", ("bisect_left", "key"): "3.10",
    ("bisect_right", "key"): "3.10", ("insort", "key"): "3.10",
}
# Names imported or read from a module, added after 3.9.
NEWER_MODULE_NAMES = {
    ("itertools", "pairwise"): "3.10", ("contextlib", "chdir"): "3.11",
    ("contextlib", "aclosing"): "3.10", ("datetime", "UTC"): "3.11",
    ("sys", "exception"): "3.11", ("asyncio", "TaskGroup"): "3.11",
    ("asyncio", "timeout"): "3.11", ("enum", "StrEnum"): "3.11",
    ("hashlib", "file_digest"): "3.11", ("typing", "Self"): "3.11",
    ("typing", "TypeAlias"): "3.10", ("typing", "ParamSpec"): "3.10",
    ("typing", "TypeGuard"): "3.10", ("typing", "Never"): "3.11",
    ("typing", "assert_never"): "3.11", ("typing", "LiteralString"): "3.11",
    ("logging", "getLevelNamesMapping"): "3.11",
}
NEWER_MODULES = {"tomllib": "3.11"}
NEWER_BUILTINS = {"aiter": "3.10", "anext": "3.10",
                  "ExceptionGroup": "3.11", "BaseExceptionGroup": "3.11"}
NEWER_METHODS = {"bit_count": "3.10", "add_note": "3.11",
                 "with_segments": "3.12"}
# Called with one argument, these need 3.10 (before: type, value, tb).
ONE_ARGUMENT_NEWER = {"format_exception", "print_exception"}
BUILTIN_TYPES = {"bytes", "str", "int", "float", "bool", "list", "dict",
                 "tuple", "set", "frozenset", "type", "object"}


def called_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else \
        getattr(func, "id", "")


def is_type_expression(node: ast.AST) -> bool:
    """A name of a built-in type, None, or a subscripted generic."""
    return (isinstance(node, ast.Name) and node.id in BUILTIN_TYPES) or \
        (isinstance(node, ast.Constant) and node.value is None) or \
        isinstance(node, ast.Subscript)


def annotations_of(tree: ast.AST) -> list[ast.AST]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args
            every = args.posonlyargs + args.args + args.kwonlyargs + \
                [a for a in (args.vararg, args.kwarg) if a]
            found += [a.annotation for a in every if a.annotation]
            found += [node.returns] if node.returns else []
        elif isinstance(node, ast.AnnAssign):
            found.append(node.annotation)
    return found


def problems(source: str, name: str = "<source>") -> list[str]:
    """What in source would fail on Python 3.9, one line each."""
    try:
        tree = ast.parse(source, name, feature_version=OLDEST)
    except SyntaxError as exc:
        return [f"{name}:{exc.lineno}: syntax newer than 3.9: {exc.msg}"]
    found = []

    def say(node: ast.AST, what: str, version: str) -> None:
        found.append(f"{name}:{node.lineno}: {what} needs Python {version}")

    future = any(isinstance(n, ast.ImportFrom) and n.module == "__future__"
                 and any(a.name == "annotations" for a in n.names)
                 for n in tree.body)
    in_annotations = {id(n) for a in annotations_of(tree) for n in ast.walk(a)}
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr) \
                and is_type_expression(node.left) | \
                is_type_expression(node.right):
            if id(node) not in in_annotations:
                say(node, "'X | Y' of types outside an annotation", "3.10")
            elif not future:
                say(node, "'X | Y' in an annotation without "
                    "'from __future__ import annotations'", "3.10")
        elif isinstance(node, ast.Call):
            for keyword in node.keywords:
                version = NEWER_KEYWORDS.get((called_name(node), keyword.arg))
                if version:
                    say(node, f"{called_name(node)}({keyword.arg}=...)",
                        version)
            if called_name(node) in ONE_ARGUMENT_NEWER and \
                    len(node.args) == 1:
                say(node, f"{called_name(node)}(exc)", "3.10")
        elif isinstance(node, ast.Attribute):
            owner = getattr(node.value, "id", None)
            version = NEWER_MODULE_NAMES.get((owner, node.attr)) or \
                NEWER_METHODS.get(node.attr)
            if version:
                say(node, f"{owner or '...'}.{node.attr}", version)
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                version = NEWER_MODULE_NAMES.get((node.module, alias.name)) \
                    or NEWER_MODULES.get(node.module or "")
                if version:
                    say(node, f"from {node.module} import {alias.name}",
                        version)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in NEWER_MODULES:
                    say(node, f"import {alias.name}",
                        NEWER_MODULES[alias.name])
        elif isinstance(node, ast.Name) and node.id in NEWER_BUILTINS:
            say(node, node.id, NEWER_BUILTINS[node.id])
    return found


def kit_python_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "*.py", "tools/gradescope/run_autograder",
         "tools/prairielearn/run", "tools/autolab/run"],
        cwd=kitfiles.ROOT, stdout=subprocess.PIPE, text=True, check=False)
    names = listed.stdout.split() if listed.returncode == 0 else \
        [str(p.relative_to(kitfiles.ROOT))
         for p in kitfiles.ROOT.rglob("*.py") if "node_modules" not in
         p.parts and "build" not in p.parts]
    return [kitfiles.ROOT / n for n in names if (kitfiles.ROOT / n).is_file()]


class OldestPythonTest(unittest.TestCase):
    def test_every_kit_file_runs_on_python_3_9(self) -> None:
        files = kit_python_files()
        self.assertGreater(len(files), 20, "the kit's .py files not found")
        found = [line for path in files
                 for line in problems(path.read_text(),
                                      str(path.relative_to(kitfiles.ROOT)))]
        self.assertEqual(found, [], "\n" + "\n".join(found))

    def test_the_check_sees_each_kind_of_newer_code(self) -> None:
        newer = {
            "match x:\n    case 1: pass\n": "syntax",
            "A = bytes | None\n": "outside an annotation",
            "def f(x: int | None): pass\n": "__future__",
            "t.extractall(d, filter='data')\n": "extractall(filter",
            "subprocess.run(c, process_group=0)\n": "process_group",
            "traceback.format_exception(exc)\n": "format_exception(exc)",
            "from itertools import pairwise\n": "pairwise",
            "import tomllib\n": "tomllib",
            "n = x.bit_count()\n": "bit_count",
            "zip(a, b, strict=True)\n": "zip(strict",
        }
        for source, said in newer.items():
            with self.subTest(source=source):
                found = problems(source)
                self.assertEqual(len(found), 1, found)
                self.assertIn(said, found[0])

    def test_the_check_lets_3_9_code_be(self) -> None:
        fine = ("from __future__ import annotations\n"
                "def f(x: int | None) -> list[str]: pass\n"
                "flags = re.M | re.S\n"
                "tar.add(tree, filter=clean)\n"
                "traceback.format_exception(type(e), e, e.__traceback__)\n")
        self.assertEqual(problems(fine), [])


def tarball_with(*members: tuple[tarfile.TarInfo, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for info, data in members:
            info.size = len(data) if info.isfile() else 0
            tar.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return out.getvalue()


def member(name: str, kind: bytes = tarfile.REGTYPE,
           link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode = kind, link, 0o644
    return info


HOSTILE = {
    "absolute path": [(member("/tmp/kit-escape"), b"x")],
    "'..' in a name": [(member("a/../../kit-escape"), b"x")],
    "symlink out": [(member("out", tarfile.SYMTYPE, "../.."), b"")],
    "absolute symlink": [(member("etc", tarfile.SYMTYPE, "/etc"), b"")],
    "hard link out": [(member("pw", tarfile.LNKTYPE, "/etc/passwd"), b"")],
    "device": [(member("null", tarfile.CHRTYPE), b"")],
    "pipe": [(member("fifo", tarfile.FIFOTYPE), b"")],
}


class ArchiveTest(unittest.TestCase):
    """A scratch folder to unpack hand-ins in."""

    def setUp(self) -> None:
        scratch = tempfile.TemporaryDirectory(prefix="kit-extract-")
        self.addCleanup(scratch.cleanup)
        self.scratch = Path(scratch.name)

    def unpack(self, name: str, data: bytes) -> Path:
        archive = self.scratch / name
        archive.write_bytes(data)
        dest = self.scratch / "dest"
        dest.mkdir(exist_ok=True)
        kitfiles.unpack_archive(archive, dest)
        return dest


class SafeExtractTest(ArchiveTest):
    def extract(self, data: bytes) -> Path:
        return self.unpack("handin.tar.gz", data)

    def each_python(self):
        """Run the body with tarfile's filters, where this Python has them,
        and with the kit's own checks alone, as on Python 3.9 to 3.11.3."""
        for filters in sorted({kitfiles.FILTERS, False}):
            with self.subTest(filters=filters), \
                    mock.patch.object(kitfiles, "FILTERS", filters):
                yield filters

    def test_refuses_every_member_that_leaves_the_folder(self) -> None:
        for _ in self.each_python():
            for what, members in HOSTILE.items():
                with self.subTest(what=what):
                    with self.assertRaises(kitfiles.UnsafeArchive) as said:
                        self.extract(tarball_with(*members))
                    self.assertIn(members[0][0].name.strip("/"),
                                  str(said.exception))
                    self.assertFalse((self.scratch.parent /
                                      "kit-escape").exists())

    def test_refuses_the_whole_archive_not_just_the_bad_member(self) -> None:
        for _ in self.each_python():
            data = tarball_with((member("handin/echo.c"), b"int x;\n"),
                                (member("../escape.c"), b"x"))
            with self.assertRaises(kitfiles.UnsafeArchive):
                self.extract(data)
            self.assertFalse((self.scratch / "dest" / "handin").exists())

    def test_unpacks_files_folders_and_links_inside(self) -> None:
        for _ in self.each_python():
            setuid = member("handin/run.sh")
            setuid.mode = 0o4755
            dest = self.extract(tarball_with(
                (member("handin", tarfile.DIRTYPE), b""),
                (member("handin/echo.c"), b"int x;\n"), (setuid, b"#!\n"),
                (member("handin/same.c", tarfile.SYMTYPE, "echo.c"), b"")))
            self.assertEqual((dest / "handin/echo.c").read_bytes(), b"int x;\n")
            self.assertEqual((dest / "handin/same.c").read_bytes(), b"int x;\n")
            self.assertEqual((dest / "handin/run.sh").stat().st_mode & 0o7000,
                             0, "a set-id bit survived")

    def test_a_refused_tarball_is_named_in_the_files_report(self) -> None:
        folder = self.scratch / "submission"
        folder.mkdir()
        (folder / "handin.tar.gz").write_bytes(
            tarball_with((member("/etc/cron.d/x"), b"x")))
        roots, notes = submission.unpack(folder, self.scratch / "unpacked")
        self.assertEqual(roots, [folder])
        self.assertEqual(len(notes), 1, notes)
        self.assertIn("handin.tar.gz: not unpacked", notes[0])
        self.assertIn("outside the folder", notes[0])



def zip_with(*members: tuple[str, bytes, int]) -> bytes:
    """A zip of (name, data, unix mode) members."""
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        for name, content, mode in members:
            info = zipfile.ZipInfo(name)
            info.external_attr = mode << 16
            archive.writestr(info, content)
    return data.getvalue()


class SafeUnzipTest(ArchiveTest):
    def unzip(self, data: bytes) -> Path:
        return self.unpack("handin.zip", data)

    def test_refuses_members_that_leave_the_folder_or_link(self) -> None:
        for name, mode in (("/tmp/kit-escape", 0o100644),
                           ("a/../../kit-escape", 0o100644),
                           ("out", 0o120777)):
            with self.subTest(name=name), \
                    self.assertRaises(kitfiles.UnsafeArchive):
                self.unzip(zip_with(("handin/echo.c", b"int x;\n",
                                     0o100644), (name, b"../..", mode)))
            self.assertFalse((self.scratch / "dest" / "handin").exists())

    def test_unpacks_a_zipped_hand_in_the_graders_find(self) -> None:
        folder = self.scratch / "submission"
        folder.mkdir()
        (folder / "handin.zip").write_bytes(zip_with(
            ("labs/01-echo/echo.c", b"int x;\n", 0o100644)))
        roots, notes = submission.unpack(folder, self.scratch / "unpacked")
        self.assertEqual(notes, [])
        self.assertEqual(submission.find(roots, "01-echo", "echo.c", False)
                         .read_bytes(), b"int x;\n")


if __name__ == "__main__":
    unittest.main()
