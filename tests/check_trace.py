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
import subprocess
import sys
import tempfile
from pathlib import Path

import pngcolours

ROOT = Path(__file__).resolve().parent.parent
TEST = "detached_slow_origin"
PAGE = ROOT / "build" / "trace" / f"3.1-{TEST}.html"
SCREENSHOT = PAGE.with_suffix(".png")
LANE_COLOURS = {"client": "#1f6fb2", "origin": "#2e8b57"}  # trace.COLOURS
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
    colours = pngcolours.colours(SCREENSHOT)
    return [f"the screenshot ({SCREENSHOT}) shows no {lane} lane: colour "
            f"{colour} not drawn"
            for lane, colour in LANE_COLOURS.items() if not colours[colour]]


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
