"""classreport.py - the class report of a batch run: one HTML page, so
that staff see what to re-teach.

Plain HTML with inline SVG and no script (it opens from a file, prints,
and mails as it is): the histogram of the grades (ten bins of a tenth of
the total each), then each test's failure rate as a bar, worst first,
among the submissions that built. batch.py writes it beside the CSV.
"""
from __future__ import annotations
import html
from dataclasses import dataclass

BINS = 10
BAR_COLOUR = "#2a6fdb"    # the histogram's bars
FAIL_COLOUR = "#d9534f"   # the failure rates' bars
WIDTH = 640               # px of each plot
ROW_HEIGHT = 18           # px a test's row takes


@dataclass
class Student:
    """What the report needs of one graded submission."""
    grade: float
    built: bool
    failed: set[str]   # the tests it failed ("2.3 name")


def histogram(grades: list[float], out_of: float) -> list[int]:
    """How many grades fall in each tenth of out_of (full marks in the
    last)."""
    counts = [0] * BINS
    for grade in grades:
        share = grade / out_of if out_of else 0
        counts[min(BINS - 1, max(0, int(share * BINS)))] += 1
    return counts


def histogram_svg(counts: list[int], out_of: float) -> str:
    """The histogram as an SVG: a bar per bin, its count above it."""
    height, base, most = 220, 190, max(counts + [1])
    width = WIDTH // BINS
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" '
             f'height="{height}" role="img" aria-label="grade histogram">']
    for i, count in enumerate(counts):
        bar = round(160 * count / most)
        x = i * width
        parts.append(f'<rect x="{x + 4}" y="{base - bar}" width="{width - 8}"'
                     f' height="{bar}" fill="{BAR_COLOUR}"/>')
        parts.append(f'<text x="{x + width / 2}" y="{base - bar - 4}" '
                     f'text-anchor="middle" font-size="12">{count}</text>')
        low = out_of * i / BINS
        parts.append(f'<text x="{x + width / 2}" y="{base + 16}" '
                     f'text-anchor="middle" font-size="11">{low:g}-</text>')
    parts.append("</svg>")
    return "".join(parts)


def failure_rates(students: list[Student], tests: list[str]) -> \
        list[tuple[str, float]]:
    """Each test's share of failures among the submissions that built,
    worst first."""
    built = [s for s in students if s.built]
    if not built:
        return []
    rates = [(test, sum(test in s.failed for s in built) / len(built))
             for test in tests]
    return sorted(rates, key=lambda rate: -rate[1])


def failures_svg(rates: list[tuple[str, float]]) -> str:
    """The failure rates as an SVG: one row per test, a bar and its %."""
    label, bar_room = 260, WIDTH - 260 - 50
    height = ROW_HEIGHT * len(rates) + 4
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" '
             f'height="{height}" role="img" aria-label="failure rates">']
    for i, (test, rate) in enumerate(rates):
        y = i * ROW_HEIGHT + 2
        parts.append(f'<text x="0" y="{y + 13}" font-size="12">'
                     f'{html.escape(test)}</text>')
        parts.append(f'<rect x="{label}" y="{y + 2}" height="{ROW_HEIGHT - 4}"'
                     f' width="{max(1, round(bar_room * rate))}" '
                     f'fill="{FAIL_COLOUR}"/>')
        parts.append(f'<text x="{label + bar_room + 6}" y="{y + 13}" '
                     f'font-size="12">{rate:.0%}</text>')
    parts.append("</svg>")
    return "".join(parts)


def page(title: str, students: list[Student], tests: list[str],
         out_of: float) -> str:
    """The whole report: a heading, the histogram, the failure rates."""
    built = sum(s.built for s in students)
    grades = [s.grade for s in students]
    mean = sum(grades) / len(grades) if grades else 0
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>body {{ font-family: sans-serif; margin: 2em; background: #fff; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p>{len(students)} submissions, {built} built; mean grade {mean:.1f} of
{out_of:g}.</p>
<h2>Grades</h2>
{histogram_svg(histogram(grades, out_of), out_of)}
<h2>Failure rate of each test (submissions that built), worst first</h2>
{failures_svg(failure_rates(students, tests))}
</body></html>
"""
