"""slide_overflow.py - find the slides whose content runs off the page,
for tests/check_slides.py.

Marp fits nothing: a slide with too many lines loses the last ones off the
bottom, in the HTML and in the PDF alike. This renders a deck with Marp's
bare template (every slide laid out, as the PDF has them), adds to a
scratch copy a script that compares the box of everything each slide
shows with the slide's page (1280x720), and finds what a box that clips
or scrolls (a code block) hides, and lets headless Chromium lay it
out at its own size (no scaling, which could wrap a line differently)
and run it once the page and its fonts are in and a second of its
virtual time has passed (--dump-dom prints the page with the measures in
it). The decks themselves hold no script.
"""
from __future__ import annotations
import html
import json
import re
import subprocess
from pathlib import Path

CHROMIUM = "chromium"
TIMEOUT_S = 120
SLACK_PX = 2        # rounding: past the page by more than this is over
MEASURE = """<style>
svg[data-marpit-svg] { display: block; width: 1280px !important;
                       height: 720px !important; }
</style><script>
function measure() {
  const found = [];
  const pages = document.querySelectorAll(
    'svg[data-marpit-svg] > foreignObject > section');
  pages.forEach(page => {
    if (page.hasAttribute('data-marpit-advanced-background')) return;
    const box = page.getBoundingClientRect();
    const scale = box.height / 720;
    let below = 0, right = 0, what = '';
    page.querySelectorAll('*').forEach(el => {
      if (el.closest('header, footer')) return;
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) return;
      // its box or its content (a word too long to wrap) past the page,
      // or content scrolled or clipped inside its own box
      const clips = getComputedStyle(el).overflow !== 'visible';
      const down = Math.max(
        (Math.max(r.bottom, r.top + el.scrollHeight * scale) - box.bottom)
          / scale, clips ? el.scrollHeight - el.clientHeight : 0);
      const across = Math.max(
        (Math.max(r.right, r.left + el.scrollWidth * scale) - box.right)
          / scale, clips ? el.scrollWidth - el.clientWidth : 0);
      if (Math.max(down, across) > Math.max(below, right)) {
        below = down;
        right = across;
        what = (el.textContent || el.tagName).trim().slice(0, 50);
      }
    });
    found.push([found.length + 1, Math.round(below), Math.round(right),
                what]);
  });
  document.body.setAttribute('data-overflow', JSON.stringify(found));
}
window.addEventListener('load', () => document.fonts.ready.then(
  () => setTimeout(measure, 1000)));
</script>"""
RESULT = re.compile(r'data-overflow="([^"]*)"')


def measure(page: Path) -> list[list] | str:
    """[slide, px past the bottom, px past the right edge, what sticks
    out] for every slide of page, or why it could not be measured."""
    probe = page.with_name(page.stem + "-measured.html")
    probe.write_text(page.read_text().replace("</body>", MEASURE + "</body>",
                                              1))
    try:
        run = subprocess.run(
            [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu",
             "--window-size=1280,720", "--hide-scrollbars",
             "--virtual-time-budget=5000",
             "--dump-dom", probe.resolve().as_uri()],
            capture_output=True, text=True, errors="replace",
            timeout=TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"{CHROMIUM} did not lay the slides out: {err} (apt-get " \
               "install chromium)"
    found = RESULT.search(run.stdout)
    if found is None:
        return f"{CHROMIUM} measured nothing: {run.stderr.strip()[-300:]}"
    return json.loads(html.unescape(found[1]))


def problems(marp: list[str], deck: Path, site: Path) -> list[str]:
    """One line per slide of deck whose content runs off its page."""
    page = site / (deck.stem + "-bare.html")
    run = subprocess.run([*marp, "--template", "bare", str(deck), "-o",
                          str(page)], capture_output=True, text=True,
                         errors="replace", timeout=TIMEOUT_S)
    if run.returncode != 0 or not page.is_file():
        return [f"does not render with the bare template: "
                f"{run.stdout.strip()} {run.stderr.strip()}"]
    measured = measure(page)
    if isinstance(measured, str):
        return [measured]
    return [f'slide {number}: runs {below} px off the bottom and {right} '
            f'px off the right of the page or of its box ("{what}"): cut '
            f'it or split it'
            for number, below, right, what in measured
            if below > SLACK_PX or right > SLACK_PX]
