"""pngcolours.py - count the colours of a PNG screenshot, standard library
only, so that a check can prove a page drew what it should (check_batch.py:
the class report's plots).

Reads 8-bit RGB and RGBA PNGs without interlacing (what Chromium's
--screenshot writes): the IDAT chunks inflated, each row's filter undone.
"""
from __future__ import annotations
import struct
import zlib
from collections import Counter
from pathlib import Path

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {2: 3, 6: 4}   # colour type -> bytes a pixel (RGB, RGBA)


def chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """The PNG's chunks, (type, data), in order."""
    if not data.startswith(SIGNATURE):
        raise ValueError("not a PNG")
    found, at = [], len(SIGNATURE)
    while at + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        found.append((kind, data[at + 8:at + 8 + length]))
        at += 12 + length
        if kind == b"IEND":
            break
    return found


def paeth(left: int, up: int, corner: int) -> int:
    """The PNG Paeth predictor."""
    guess = left + up - corner
    a, b, c = abs(guess - left), abs(guess - up), abs(guess - corner)
    if a <= b and a <= c:
        return left
    return up if b <= c else corner


def unfilter(kind: int, row: bytearray, prior: bytes, step: int) -> None:
    """Undo one row's filter in place, given the row above it."""
    for i in range(len(row)):
        left = row[i - step] if i >= step else 0
        up = prior[i]
        corner = prior[i - step] if i >= step else 0
        if kind == 1:
            row[i] = (row[i] + left) & 0xFF
        elif kind == 2:
            row[i] = (row[i] + up) & 0xFF
        elif kind == 3:
            row[i] = (row[i] + (left + up) // 2) & 0xFF
        elif kind == 4:
            row[i] = (row[i] + paeth(left, up, corner)) & 0xFF


def colours(path: Path) -> Counter:
    """How many pixels of each "#rrggbb" colour the PNG has."""
    parts = chunks(path.read_bytes())
    width, height, depth, colour_type, _, _, interlace = struct.unpack(
        ">IIBBBBB", parts[0][1])
    if depth != 8 or colour_type not in CHANNELS or interlace:
        raise ValueError("only 8-bit RGB or RGBA PNGs, not interlaced")
    step = CHANNELS[colour_type]
    raw = zlib.decompress(b"".join(d for k, d in parts if k == b"IDAT"))
    stride = width * step
    prior, counts = bytes(stride), Counter()
    for y in range(height):
        start = y * (stride + 1)
        row = bytearray(raw[start + 1:start + 1 + stride])
        unfilter(raw[start], row, prior, step)
        counts.update("#%02x%02x%02x" % tuple(row[x:x + 3])
                      for x in range(0, stride, step))
        prior = bytes(row)
    return counts
