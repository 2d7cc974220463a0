#!/usr/bin/python3
"""check_trace.py - the timeline of a graded test renders in a browser.

Grades one test of the stage 03 reference with TRACE=1 (ten clients
served at once while the origin holds an eleventh), then checks the page
it wrote: it has a lane for each client and each origin connection, and
headless Chromium renders it to a screenshot in which both lane colours
are drawn (the screenshot is kept beside the page). Ends with
"N passed, N failed". Usage: python3 tests/check_trace.py (make
check-trace).
"""
from __future__ import annotations
import re
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEST = "detached_slow_origin"
PAGE = ROOT / "build" / "trace" / f"3.1-{TEST}.html"
SCREENSHOT = PAGE.with_suffix(".png")
LANE_COLOURS = {"client": (0x1f, 0x6f, 0xb2), "origin": (0x2e, 0x8b, 0x57)}
BROWSER_SECONDS = 60


def grade_with_trace() -> list[str]:
    """Grade the test with TRACE=1; problems if it did not pass."""
    PAGE.unlink(missing_ok=True)
    run = subprocess.run(["make", "-s", "--no-print-directory", "SOL=1",
                          "grade", "LAB=3", f"T={TEST}", "TRACE=1"],
                         cwd=ROOT, capture_output=True, text=True)
    if run.returncode != 0 or not PAGE.is_file():
        return [f"make grade T={TEST} TRACE=1 wrote no {PAGE.name}:\n"
                f"{run.stdout[-800:]}{run.stderr[-800:]}"]
    return []


def check_page() -> list[str]:
    """Problems with the page's lanes."""
    text = PAGE.read_text()
    clients = set(re.findall(r">(client \d+[^<]*)</text>", text))
    origins = set(re.findall(r">(origin conn \d+)</text>", text))
    problems = []
    if len(clients) < 11:
        problems.append(f"{len(clients)} client lanes, expected 11")
    if len(origins) < 11:
        problems.append(f"{len(origins)} origin lanes, expected 11")
    return problems


def pixels(png: bytes) -> set[tuple[int, int, int]]:
    """The colours of an 8-bit RGB or RGBA PNG (filters undone)."""
    width, height, depth, kind = struct.unpack(">IIBB", png[16:26])
    if depth != 8 or kind not in (2, 6):
        raise ValueError(f"PNG of bit depth {depth}, colour type {kind}")
    step = 3 if kind == 2 else 4
    data, at = bytearray(), 8
    while at < len(png):
        length, name = struct.unpack(">I4s", png[at:at + 8])
        if name == b"IDAT":
            data += png[at + 8:at + 8 + length]
        at += 12 + length
    raw = zlib.decompress(bytes(data))
    stride = width * step
    colours, previous = set(), bytearray(stride)
    for row in range(height):
        start = row * (stride + 1)
        line = bytearray(raw[start + 1:start + 1 + stride])
        unfilter(raw[start], line, previous, step)
        colours.update(tuple(line[i:i + 3]) for i in range(0, stride, step))
        previous = line
    return colours


def unfilter(kind: int, line: bytearray, above: bytearray, step: int) -> None:
    """Undo a PNG row filter in place (RFC 2083 section 6)."""
    for i in range(len(line)):
        a = line[i - step] if i >= step else 0
        b = above[i]
        c = above[i - step] if i >= step else 0
        if kind == 1:
            line[i] = (line[i] + a) & 0xff
        elif kind == 2:
            line[i] = (line[i] + b) & 0xff
        elif kind == 3:
            line[i] = (line[i] + (a + b) // 2) & 0xff
        elif kind == 4:
            p = a + b - c
            nearest = min((abs(p - a), 0, a), (abs(p - b), 1, b),
                          (abs(p - c), 2, c))[2]
            line[i] = (line[i] + nearest) & 0xff


def check_render() -> list[str]:
    """Problems rendering the page in headless Chromium."""
    with tempfile.TemporaryDirectory(prefix="check-trace-") as profile:
        run = subprocess.run(
            ["chromium", "--headless=new", "--no-sandbox", "--hide-scrollbars",
             f"--user-data-dir={profile}", "--window-size=1300,1200",
             f"--screenshot={SCREENSHOT}", PAGE.as_uri()],
            capture_output=True, text=True, timeout=BROWSER_SECONDS)
    if not SCREENSHOT.is_file():
        return [f"chromium wrote no screenshot: {run.stderr[-600:]}"]
    colours = pixels(SCREENSHOT.read_bytes())
    return [f"the screenshot ({SCREENSHOT}) shows no {lane} lane: colour "
            f"#{'%02x%02x%02x' % rgb} not drawn"
            for lane, rgb in LANE_COLOURS.items() if rgb not in colours]


def main() -> int:
    results = [("trace written", grade_with_trace())]
    if not results[0][1]:
        results += [("lanes", check_page()),
                    ("renders in chromium", check_render())]
    for name, problems in results:
        print(f"{'FAIL' if problems else 'ok  '} {name}")
        for problem in problems:
            print(f"    {problem}")
    failed = sum(1 for _, problems in results if problems)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
