#!/usr/bin/python3
"""handin.py - pack what you hand in (`make handin [LAB=N]`).

Writes build/handin-labN.tar.gz holding exactly the files you write,
labs/NN-name/*.c of the stages 01..N (K+1..N with GIVEN=K, the stages
1..K being the released reference), your NOTES.md, and a MANIFEST
(sha256, size and name of each file), all under handin-labN/. NOTES.md
says the hours you spent on each stage and answers each handout's
questions (the list in its "## Questions" section); if you have none, a
template is written for you to fill in, and a stage missing from it is
added. The tarball is made anyway, with
a warning for each answer still missing and each stub still unfinished:
hand in what you have, then hand in again.
Usage: python3 tools/handin.py [--lab N] [--given K]
       (default: the last stage, nothing given)
"""
from __future__ import annotations
import argparse
import hashlib
import re
import shutil
import sys
import tempfile
import textwrap
from pathlib import Path

import kitfiles

UNANSWERED = "(your answer)"
# A placeholder still to fill in: one not in quotes, as the template's own
# instruction quotes it.
PLACEHOLDER = re.compile(r'(?<!")' + re.escape(UNANSWERED) + r'(?!")')
WIDTH = 76   # columns of the template's text
QUESTIONS = re.compile(r"^## Questions\s*$(.*?)(?=^## |\Z)", re.M | re.S)
ITEM = re.compile(r"^\s*(?:\d+\.|[-*])\s+(.*)$")


def questions(handout: Path) -> list[str]:
    """The list items of a handout's "## Questions" section, each item's
    wrapped lines joined."""
    section = QUESTIONS.search(handout.read_text()) if handout.is_file() \
        else None
    items: list[str] = []
    for line in section[1].splitlines() if section else []:
        item = ITEM.match(line)
        if item:
            items.append(item[1])
        elif items and line.startswith(" ") and line.strip():
            items[-1] += " " + line.strip()
    return items


def stage_notes(root: Path, stage: str) -> str:
    """The template's section for one stage."""
    lines = [f"## {stage}", "", f"Hours spent: {UNANSWERED}", ""]
    for i, question in enumerate(
            questions(root / "labs" / stage / "README.md"), 1):
        lines += [textwrap.fill(question, WIDTH, initial_indent=f"{i}. ",
                                subsequent_indent="   "),
                  "", f"   {UNANSWERED}", ""]
    return "\n".join(lines)


def template(root: Path, first: int, last: int) -> str:
    """A NOTES.md to fill in, for the stages first..last."""
    head = ("# Notes\n\nThe hours you spent on each stage, and "
            "your answers to the questions\nat the end of each handout. "
            f'Replace every "{UNANSWERED}".\n')
    sections = [stage_notes(root, s) for s in kitfiles.stages(root)
                if first <= kitfiles.stage_number(s) <= last]
    return "\n".join([head, *sections])


def ensure_notes(root: Path, first: int, last: int) -> str | None:
    """Write the NOTES.md template, or add the sections it lacks for the
    stages first..last; say what was done, if anything."""
    notes = root / "NOTES.md"
    if not notes.is_file():
        notes.write_text(template(root, first, last))
        return "wrote NOTES.md for you to fill in: the hours you spent " \
               "and the handouts' questions"
    text = notes.read_text()
    missing = [s for s in kitfiles.stages(root)
               if first <= kitfiles.stage_number(s) <= last and
               f"## {s}" not in text]
    if not missing:
        return None
    notes.write_text(text.rstrip("\n") + "\n\n" +
                     "\n".join(stage_notes(root, s) for s in missing))
    return f"added {', '.join(missing)} to NOTES.md for you to fill in"


def manifest(tree: Path) -> str:
    """One line per file under tree: sha256, size in bytes, path."""
    lines = []
    for path in sorted(p for p in tree.rglob("*") if p.is_file()):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        lines.append(f"{digest}  {path.stat().st_size:>8}  "
                     f"{path.relative_to(tree)}")
    return "\n".join(lines) + "\n"


def pack(root: Path, first: int, last: int,
         out: Path) -> tuple[Path, str]:
    """Pack the student files of stages first..last and root/NOTES.md
    into out/handin-labN.tar.gz; return its path and its MANIFEST."""
    with tempfile.TemporaryDirectory(prefix="handin-") as tmp:
        tree = Path(tmp) / f"handin-lab{last}"
        for name in kitfiles.student_files(root, last, first) + \
                ["NOTES.md"]:
            (tree / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(root / name, tree / name)
        listing = manifest(tree)
        (tree / "MANIFEST").write_text(listing)
        return (kitfiles.make_tarball(tree, out / f"{tree.name}.tar.gz"),
                listing)


def warnings(root: Path, first: int, last: int) -> list[str]:
    """What still looks unfinished: answers missing, stubs left."""
    left = len(PLACEHOLDER.findall((root / "NOTES.md").read_text()))
    found = [f"NOTES.md: {left} places still say "
             f'"{UNANSWERED}"'] if left else []
    for name in kitfiles.student_files(root, last, first):
        if "TODO(" in (root / name).read_text(errors="replace"):
            found.append(f"{name} still holds a TODO( stub")
    return found


def main() -> int:
    """Pack the hand-in the command line asks for; say what it holds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", type=int, help="the last stage to hand in")
    parser.add_argument("--given", type=int, default=0, metavar="K",
                        help="stages 1..K are the released reference: "
                             "hand in K+1..N only")
    args = parser.parse_args()
    root, numbers = kitfiles.ROOT, [kitfiles.stage_number(s)
                                    for s in kitfiles.stages()]
    last = numbers[-1] if args.lab is None else args.lab
    if last not in numbers:
        parser.error(f"--lab must be one of {numbers}")
    if not 0 <= args.given < last:
        parser.error(f"--given must be 0 to {last - 1}")
    first = args.given + 1
    done = ensure_notes(root, first, last)
    if done:
        print(f"handin: {done}")
    tarball, listing = pack(root, first, last, root / "build")
    if args.given:
        print(f"handin: stages 1-{args.given} are the released reference: "
              "only your own stages are packed")
    for warning in warnings(root, first, last):
        print(f"handin: warning: {warning}")
    print(f"handin: {tarball.relative_to(root)} holds (sha256, bytes, "
          f"file):\n{listing}", end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
