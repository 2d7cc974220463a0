"""bytediff.py - describe how received bytes differ from the expected ones.

For two byte strings, describe() writes what a student needs to find the bug:
both lengths, the first offset where they differ (with its line and column
when the data has lines), a hexdump with ASCII of both around that offset, a
quoted excerpt when the bytes are text, and SHA-256 digests when the data is
too long to read. The helpers that render bytes as text (quote, shell_printf)
live here too.
"""
from __future__ import annotations
import hashlib

ROW = 16             # bytes per hexdump row
CONTEXT_ROWS = 2     # hexdump rows shown before and after the differing row
EXCERPT = 32         # bytes quoted on either side of the difference
DIGEST_FROM = 4096   # from this length on, show SHA-256 digests as well
BLOCK = 4096         # compare this many bytes at a time before going bytewise

_ESCAPES = {0: "\\0", 9: "\\t", 10: "\\n", 13: "\\r", 34: '\\"', 92: "\\\\"}


def first_difference(got: bytes, want: bytes) -> int | None:
    """Return the offset of the first byte where got and want differ.

    When one is a prefix of the other, that is the shorter one's length.
    Returns None when they are equal.
    """
    if got == want:
        return None
    start = 0
    while got[start:start + BLOCK] == want[start:start + BLOCK]:
        start += BLOCK
    end = min(len(got), len(want), start + BLOCK)
    for i in range(start, end):
        if got[i] != want[i]:
            return i
    return end


def byte_name(data: bytes, offset: int) -> str:
    """Name the byte at offset ("0x00 (NUL)", "0x61 'a'"), or "the end"."""
    if offset >= len(data):
        return "the end"
    value = data[offset]
    if value == 0:
        return "0x00 (NUL)"
    return f'0x{value:02x} "{quote(bytes([value]))}"'


def quote(data: bytes) -> str:
    """Render bytes as C-style text: printable ASCII as is, others escaped."""
    out = []
    for value in data:
        if value in _ESCAPES:
            out.append(_ESCAPES[value])
        elif 0x20 <= value < 0x7f:
            out.append(chr(value))
        else:
            out.append(f"\\x{value:02x}")
    return "".join(out)


def shell_printf(data: bytes) -> str:
    """Return a shell command, printf '...', that writes exactly data."""
    out = []
    for value in data:
        if 0x20 <= value < 0x7f and chr(value) not in "'\\%":
            out.append(chr(value))
        else:
            out.append(f"\\{value:03o}")
    return "printf '" + "".join(out) + "'"


def is_text(data: bytes) -> bool:
    """True when every byte is printable ASCII, tab, CR or LF."""
    return all(0x20 <= b < 0x7f or b in (9, 10, 13) for b in data)


def hexdump(data: bytes, start: int, end: int, mark: int) -> list[str]:
    """Hexdump rows of data[start:end], start a multiple of ROW; the row
    holding offset mark is flagged with '>'."""
    rows = []
    for offset in range(start, min(end, len(data)), ROW):
        chunk = data[offset:offset + ROW]
        hexes = " ".join(f"{b:02x}" for b in chunk)
        text = "".join(chr(b) if 0x20 <= b < 0x7f else "." for b in chunk)
        flag = ">" if offset <= mark < offset + ROW else " "
        rows.append(f"{flag} {offset:08x}  {hexes:<{ROW * 3 - 1}}  |{text}|")
    if len(data) < end:
        rows.append(f"  (ends at byte {len(data)})")
    return rows


def position(data: bytes, offset: int) -> str:
    """Describe offset as "byte N", adding "line L, column C" when the data
    before it has line breaks."""
    line = data.count(b"\n", 0, offset) + 1
    if line == 1:
        return f"byte {offset}"
    column = offset - data.rfind(b"\n", 0, offset)
    return f"byte {offset} (line {line}, column {column})"


def describe(got: bytes, want: bytes) -> str:
    """Describe, in lines of text, how got differs from want."""
    offset = first_difference(got, want)
    if offset is None:
        return f"the {len(got)} bytes are identical"
    lines = [
        f"expected {len(want)} bytes, got {len(got)} bytes",
        f"first difference at {position(want, offset)}: expected "
        f"{byte_name(want, offset)}, got {byte_name(got, offset)}",
    ]
    if max(len(got), len(want)) >= DIGEST_FROM:
        lines.append(f"sha256 expected {hashlib.sha256(want).hexdigest()}")
        lines.append(f"sha256 got      {hashlib.sha256(got).hexdigest()}")
    start = max(0, offset // ROW - CONTEXT_ROWS) * ROW
    end = (offset // ROW + CONTEXT_ROWS + 1) * ROW
    lines.append("expected:")
    lines += hexdump(want, start, end, offset)
    lines.append("got:")
    lines += hexdump(got, start, end, offset)
    if is_text(got) and is_text(want):
        lines += excerpts(got, want, offset)
    return "\n".join(lines)


def excerpts(got: bytes, want: bytes, offset: int) -> list[str]:
    """Quote both around offset, for text that reads better than hex."""
    start = max(0, offset - EXCERPT)
    lead = "..." if start else ""

    def cut(data: bytes) -> str:
        tail = "..." if len(data) > offset + EXCERPT else ""
        return f'{lead}"{quote(data[start:offset + EXCERPT])}"{tail}'

    return [f"expected text: {cut(want)}", f"got text:      {cut(got)}"]
