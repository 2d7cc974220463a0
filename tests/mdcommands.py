"""mdcommands.py - the shell commands a Markdown text tells its reader to
run, and what each promises to show (tests/handout_commands.py runs them).

A command comes from a fenced code block: each line of a block marked sh,
bash, shell or console, or of an unmarked block whose every line reads as
a command (its first word is make, $(...) or a program on PATH). A block
with `$ ` prompts is a transcript, a session shown with its output: only
the prompted lines are commands, and the lines after each are what it
printed. A line ending in `\\` goes on on the next; an unquoted `#` starts
the comment; a line such as `(gdb) bt` is typed at another program's
prompt, not the shell's, and is left out.
A command promises HTTP statuses (`# 403`, `# a 505 page`; a shown
`HTTP/1.1 200 OK` or `<h1>403 Forbidden</h1>`) and cache marks (`# X-Cache:
HIT`, `# MISS each time`: the first one a comment names; every shown
`X-Cache:` line).
"""
from __future__ import annotations
import re
import shutil
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path

SHELL_BLOCKS = ("sh", "bash", "shell", "console")
OPENING = re.compile(r"^\s*(`{3,}|~{3,})\s*([\w+-]*)")
PROMPT = re.compile(r"^\s*\$ ")
OTHER_PROMPT = re.compile(r"^\s*\([\w-]+\) ")
MARKDOWN_PATH = re.compile(r"[\w./-]+\.md\b")
STATUSES = {status.value for status in HTTPStatus}
COMMENT_STATUS = re.compile(r"(?<![\w.:/-])(\d{3})(?![\w.])")
SHOWN_STATUS = re.compile(r"HTTP/\d(?:\.\d)? (\d{3})\b|<h1>(\d{3}) ")
COMMENT_MARK = re.compile(r"\b(HIT|MISS)\b")
SHOWN_MARK = re.compile(r"X-Cache: (HIT|MISS)\b")


@dataclass
class Command:
    """One command as a Markdown file writes it."""
    path: str                 # the file, relative to the tree
    line: int                 # its first line, from 1
    text: str                 # the command, its lines joined, no comment
    comment: str = ""         # what follows its `#`
    shown: list[str] = field(default_factory=list)  # a transcript's output

    @property
    def where(self) -> str:
        """file:line, for a problem's line."""
        return f"{self.path}:{self.line}"

    @property
    def written(self) -> str:
        """The command with its comment, as the file writes it."""
        return f"{self.text}  # {self.comment}" if self.comment else \
            self.text


@dataclass
class Block:
    """The commands of one fenced block."""
    path: str
    line: int
    transcript: bool
    commands: list[Command]


def make_words(text: str) -> tuple[list[str], dict[str, str]] | None:
    """The goals and the variables of a plain make command (no shell
    syntax in it), or None."""
    if not re.fullmatch(r"make(?: [\w./-]+(?:=[\w./-]*)?)+", text):
        return None
    words = text.split()[1:]
    return [w for w in words if "=" not in w], \
        dict(w.split("=", 1) for w in words if "=" in w)


def split_comment(line: str) -> tuple[str, str]:
    """A shell line's code and its comment (after an unquoted `#` that
    starts a word)."""
    quote = ""
    for i, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip(), line[i + 1:].strip()
    return line.rstrip(), ""


def fenced_blocks(text: str) -> list[tuple[int, str, list[str]]]:
    """(the line of its first content line, its info word, its lines) for
    each fenced code block of a Markdown text."""
    blocks, current, fence = [], None, ""
    for number, line in enumerate(text.splitlines(), 1):
        opening = OPENING.match(line)
        if current is None and opening:
            fence = opening[1]
            current = (number + 1, opening[2].lower(), [])
        elif current is not None and line.strip().startswith(fence) and \
                not line.strip().strip(fence[0]):
            blocks.append(current)
            current = None
        elif current is not None:
            current[2].append(line)
    return blocks


def joined(start: int, lines: list[str]) -> list[tuple[int, str]]:
    """(first line number, text) of each logical line: a line ending in
    a backslash goes on on the next."""
    found, pending, first = [], "", start
    for number, line in enumerate(lines, start):
        if not pending:
            first = number
        stripped = line.strip()
        if stripped.endswith("\\"):
            pending += stripped[:-1].rstrip() + " "
            continue
        found.append((first, pending + stripped))
        pending = ""
    if pending:
        found.append((first, pending.strip()))
    return found


def command(path: str, number: int, line: str) -> Command | None:
    """The command of a logical shell line, or None for a blank line, a
    comment or a line typed at another program's prompt."""
    if OTHER_PROMPT.match(line):
        return None
    text, comment = split_comment(line)
    return Command(path, number, text, comment) if text else None


def reads_as_command(line: str) -> bool:
    """True when a line's first word (past VAR=value words) is make, a
    $(...) or a program on PATH."""
    words = [w for w in line.split() if not re.match(r"^\w+=", w)]
    if not words:
        return False
    first = words[0]
    return first == "make" or first.startswith("$(") or \
        shutil.which(first) is not None


def plain_commands(lines: list[str]) -> bool:
    """True when an unmarked block reads as commands: every line that is
    not blank or a comment does."""
    code = [split_comment(line)[0].strip() for line in lines]
    code = [line for line in code if line]
    return bool(code) and all(reads_as_command(line) for line in code)


def transcript(path: str, start: int, lines: list[str]) -> list[Command]:
    """The prompted commands of a transcript, each with the lines it
    printed."""
    found: list[Command] = []
    continued = False
    for number, line in enumerate(lines, start):
        if continued:
            found[-1].text += " " + line.strip()
        elif PROMPT.match(line):
            found.append(Command(path, number, PROMPT.sub("", line)))
        elif found and line.strip():
            found[-1].shown.append(line.strip())
        continued = found[-1].text.endswith("\\") if found else False
        if continued:
            found[-1].text = found[-1].text[:-1].rstrip()
    for each in found:
        each.text, each.comment = split_comment(each.text.strip())
    return found


def block_of(path: str, start: int, info: str,
             lines: list[str]) -> Block | None:
    """The commands of a fenced block, or None when it holds none."""
    if any(PROMPT.match(line) for line in lines):
        return Block(path, start, True, transcript(path, start, lines))
    if info in SHELL_BLOCKS or (not info and plain_commands(lines)):
        commands = [command(path, n, line) for n, line in
                    joined(start, lines)]
        return Block(path, start, False, [c for c in commands if c])
    return None


def blocks(path: str, text: str) -> list[Block]:
    """Every block of commands of a Markdown text, in order."""
    found = [block_of(path, *fenced) for fenced in fenced_blocks(text)]
    return [block for block in found if block and block.commands]


def named_files(tree: Path, start: str = "README.md") -> list[str]:
    """start and every Markdown file of tree it names, and they name in
    turn (relative to tree, or to the naming file's folder)."""
    found, queue = [start], [start]
    while queue:
        name = queue.pop(0)
        folder = Path(name).parent
        for mention in MARKDOWN_PATH.findall((tree / name).read_text()):
            for candidate in (Path(mention), folder / mention):
                path = str(candidate)
                if path not in found and (tree / path).is_file():
                    found.append(path)
                    queue.append(path)
    return found


def promised_statuses(command: Command) -> list[int]:
    """The HTTP statuses a command's comment or shown output promises."""
    found = [int(n) for n in COMMENT_STATUS.findall(command.comment)
             if int(n) in STATUSES]
    for line in command.shown:
        found += [int(a or b) for a, b in SHOWN_STATUS.findall(line)]
    return found


def promised_marks(command: Command) -> list[str]:
    """The X-Cache marks a command's comment or shown output promises."""
    found = COMMENT_MARK.findall(command.comment)[:1]
    for line in command.shown:
        found += SHOWN_MARK.findall(line)
    return found


def unkept_promises(command: Command, output: str) -> list[str]:
    """What a command promises that its output does not show."""
    missing = [f"the status {n}" for n in promised_statuses(command)
               if not re.search(rf"(?<!\d){n}(?!\d)", output)]
    return missing + [f"X-Cache: {mark}" for mark in promised_marks(command)
                      if f"X-Cache: {mark}" not in output]


def promises(command: Command) -> bool:
    """True when a command promises something to show."""
    return bool(promised_statuses(command) or promised_marks(command))
