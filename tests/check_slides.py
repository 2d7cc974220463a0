"""Render each lecture deck with Marp and check what came out.

Usage: check_slides.py --marp CMD --diagrams DIR DECK.md...

Each deck is rendered to HTML in a scratch directory in which diagrams/
stands for DIR (the SVGs `make slides` drew from slides/diagrams/*.dot),
as in build/slides/. A deck fails when:
  - Marp exits non-zero, writes no HTML, or the HTML holds no slide;
  - an image it shows is not a local file that exists, or an SVG that
    does not parse or draws nothing (Graphviz failed or was interrupted);
  - a slide shows no text and no image;
  - a slide's content runs off its page, at the bottom or the right
    (slide_overflow.py: laid out by headless Chromium);
  - its first slide has no presenter note (an HTML comment that is not
    a Marp directive): the lecture's plan, INSTRUCTORS.md promises one.
Every problem is one line naming the deck, the slide and what is wrong.
The last line is `N passed, N failed`, one check per deck. `make
slides-check` runs it; tests/test_check_slides.py tests it.
"""
from __future__ import annotations
import argparse
import re
import shlex
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import slide_overflow

RENDER_TIMEOUT_S = 120
SVG_NS = "{http://www.w3.org/2000/svg}"
SVG_MARKS = {f"{SVG_NS}{tag}" for tag in
             ("text", "path", "polygon", "polyline", "ellipse", "rect")}
BACKGROUND_URL = re.compile(r"url\(\s*[\"']?([^\"')]+)")
SKIPPED_TAGS = {"header", "footer", "style", "script"}
COMMENT = re.compile(r"<!--(.*?)-->", re.S)
DIRECTIVE = re.compile(r"^\s*_?(?:theme|paginate|header|footer|class|"
                       r"backgroundColor|backgroundImage|backgroundPosition|"
                       r"backgroundRepeat|backgroundSize|color|size|style|"
                       r"headingDivider|math|lang|title|transition)\s*:")


class Slide:
    """What one rendered slide shows: its text and its image sources."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.text: list[str] = []
        self.images: list[str] = []

    def title(self) -> str:
        words = " ".join(" ".join(self.text).split())
        return words[:40]


class SlideParser(HTMLParser):
    """Collects the slides of Marp's HTML: each <section> is one slide,
    except Marp's extra sections for advanced backgrounds, which join the
    slide with the same id."""

    def __init__(self) -> None:
        super().__init__()
        self.slides: dict[str, Slide] = {}
        self.current: Slide | None = None
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attr = {name: value or "" for name, value in attrs}
        if tag == "section":
            key = attr.get("id") or str(len(self.slides) + 1)
            self.current = self.slides.setdefault(
                key, Slide(len(self.slides) + 1))
        elif self.current is None:
            return
        elif tag in SKIPPED_TAGS:
            self.skipping += 1
        elif tag == "img":
            self.current.images.append(attr.get("src", ""))
        self.current.images.extend(
            BACKGROUND_URL.findall(attr.get("style", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self.current = None
        elif tag in SKIPPED_TAGS and self.skipping > 0:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if self.current is not None and not self.skipping and data.strip():
            self.current.text.append(data.strip())


def svg_problem(path: Path) -> str | None:
    """Why the SVG at path would show nothing, or None if it draws."""
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as err:
        return f"is not a rendered SVG ({err})"
    if root.tag != f"{SVG_NS}svg":
        return f"is not an SVG (root element {root.tag})"
    if not any(el.tag in SVG_MARKS for el in root.iter()):
        return "is an SVG that draws nothing"
    return None


def image_problem(src: str, site: Path) -> str | None:
    """Why the image src, relative to the rendered deck, would not show."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", src, re.I) or src.startswith("//"):
        return "is not a local file: decks must render offline"
    path = site / src
    if not path.is_file():
        return "does not exist (is its .dot in slides/diagrams/?)"
    if path.suffix == ".svg":
        return svg_problem(path)
    return None


def slide_problems(slide: Slide, site: Path) -> list[str]:
    """Everything wrong with one slide."""
    where = f"slide {slide.number}"
    if slide.text:
        where += f' ("{slide.title()}")'
    if not slide.text and not slide.images:
        return [f"{where}: empty: no text and no image"]
    problems = []
    for src in slide.images:
        why = image_problem(src, site)
        if why:
            problems.append(f"{where}: image {src} {why}")
    return problems


def note_problems(deck: Path) -> list[str]:
    """A problem unless the deck's first slide has a presenter note."""
    text = deck.read_text(errors="replace")
    body = text.split("\n---\n", 1)[1] if text.startswith("---\n") else text
    first = body.split("\n---\n", 1)[0]
    notes = [c for c in COMMENT.findall(first)
             if not all(DIRECTIVE.match(line)
                        for line in c.strip().splitlines())]
    return [] if notes else ["slide 1: no presenter note (an HTML comment: "
                             "the lecture's plan and what to show live)"]


def render(marp: list[str], deck: Path, site: Path) -> tuple[Path, str]:
    """Render deck to HTML in site; return the HTML path and Marp's words."""
    html = site / (deck.stem + ".html")
    try:
        proc = subprocess.run([*marp, str(deck), "-o", str(html)],
                              stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True,
                              errors="replace", timeout=RENDER_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as err:
        return html, str(err)
    if proc.returncode != 0:
        return html, f"exit status {proc.returncode}: {proc.stdout.strip()}"
    return html, ""


def deck_problems(marp: list[str], deck: Path, diagrams: Path) -> list[str]:
    """Render one deck in a scratch directory; list what is wrong with it."""
    with tempfile.TemporaryDirectory(prefix="slides-check-") as scratch:
        site = Path(scratch)
        (site / "diagrams").symlink_to(diagrams.resolve())
        html, failure = render(marp, deck, site)
        if failure:
            return [f"does not render: {failure}"]
        if not html.is_file():
            return ["does not render: Marp wrote no HTML"]
        parser = SlideParser()
        parser.feed(html.read_text(errors="replace"))
        if not parser.slides:
            return ["does not render: the HTML holds no slide"]
        return [p for slide in parser.slides.values()
                for p in slide_problems(slide, site)] + \
            slide_overflow.problems(marp, deck, site) + note_problems(deck)


def main(argv: list[str]) -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--marp", required=True,
                      help="the Marp command, with its options")
    args.add_argument("--diagrams", required=True, type=Path,
                      help="the directory of rendered diagrams")
    args.add_argument("decks", nargs="+", type=Path)
    opts = args.parse_args(argv)
    failed = 0
    for deck in opts.decks:
        problems = deck_problems(shlex.split(opts.marp), deck, opts.diagrams)
        print(f"{'FAIL' if problems else 'ok  '} {deck}")
        for problem in problems:
            print(f"  {deck}: {problem}")
        failed += bool(problems)
    print(f"{len(opts.decks) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
