"""trace.py - a picture of one test run: `make grade LAB=N T=name TRACE=1`.

Each connection the test sees is a lane on a time axis: every client the
test opens to the proxy, and every connection the proxy opens to the
scripted origin. A lane shows when the connection opened, what was sent
and received on it, and when it ended, so a glance tells one client
served at a time (stage 02: the origin's lanes follow each other) from
many at once (stage 03: they overlap), or where a hang sits. The page is
self-contained HTML with inline SVG and no script: hover a dot for what
happened then.
"""
from __future__ import annotations
import html
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

WIDTH = 1000          # pixels of the time axis
LANE = 26             # pixels between lanes
LEFT = 150            # pixels for the lane names
TOP = 40              # pixels above the first lane
TICKS = 10            # marks on the time axis, about
COLOURS = {"client": "#1f6fb2", "origin": "#2e8b57"}


@dataclass
class Event:
    """Something that happened on a lane, seconds after the trace began."""
    at: float
    lane: str
    what: str


@dataclass
class Trace:
    """The events of one test, in the order they happened."""
    title: str
    started: float = field(default_factory=time.monotonic)
    events: list[Event] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, lane: str, what: str) -> None:
        """Record that what happened on lane now (any thread)."""
        with self.lock:
            self.events.append(Event(time.monotonic() - self.started, lane,
                                     what))

    def lanes(self) -> dict[str, list[Event]]:
        """Each lane's events, lanes in the order they began."""
        lanes: dict[str, list[Event]] = {}
        with self.lock:
            for event in sorted(self.events, key=lambda e: e.at):
                lanes.setdefault(event.lane, []).append(event)
        return lanes

    def write(self, path: Path) -> Path:
        """Write the page to path; return it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page(self.title, self.lanes()))
        return path


def tick_step(span: float) -> float:
    """A round step (1, 2 or 5 times a power of ten) for about TICKS
    marks over span seconds."""
    step = 1e-3
    while span / step > TICKS:
        for factor in (2, 2.5, 2):
            step *= factor
            if span / step <= TICKS:
                break
    return step


def svg(lanes: dict[str, list[Event]]) -> str:
    """The timeline: an axis, then a line and dots per lane."""
    span = max((e.at for events in lanes.values() for e in events),
               default=0.0) or 1e-3
    x = lambda at: LEFT + at / span * WIDTH   # noqa: E731
    height = TOP + LANE * (len(lanes) + 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="'
             f'{LEFT + WIDTH + 40}" height="{height}" font-family="sans-serif"'
             f' font-size="12">']
    step = tick_step(span)
    mark = 0.0
    while mark <= span + 1e-9:
        parts.append(f'<line x1="{x(mark):.1f}" y1="{TOP - 14}" '
                     f'x2="{x(mark):.1f}" y2="{height - LANE}" '
                     'stroke="#ddd"/>')
        parts.append(f'<text x="{x(mark):.1f}" y="{TOP - 18}" '
                     f'text-anchor="middle">{mark * 1000:g} ms</text>')
        mark += step
    for row, (lane, events) in enumerate(lanes.items()):
        y = TOP + row * LANE
        colour = COLOURS["origin" if lane.startswith("origin") else "client"]
        parts.append(f'<text x="{LEFT - 8}" y="{y + 4}" text-anchor="end">'
                     f'{html.escape(lane)}</text>')
        parts.append(f'<line x1="{x(events[0].at):.1f}" y1="{y}" '
                     f'x2="{x(events[-1].at) + 2:.1f}" y2="{y}" '
                     f'stroke="{colour}" stroke-width="6" '
                     'stroke-linecap="round"/>')
        for event in events:
            label = f"{event.at * 1000:.1f} ms: {event.what}"
            parts.append(f'<circle cx="{x(event.at):.1f}" cy="{y}" r="5" '
                         f'fill="white" stroke="{colour}" stroke-width="2">'
                         f'<title>{html.escape(label)}</title></circle>')
    parts.append("</svg>")
    return "\n".join(parts)


def page(title: str, lanes: dict[str, list[Event]]) -> str:
    """The whole HTML page: title, legend, timeline, and every event as a
    table (for reading, and for when a picture is not shown)."""
    rows = "\n".join(
        f"<tr><td>{e.at * 1000:.1f}</td><td>{html.escape(lane)}</td>"
        f"<td>{html.escape(e.what)}</td></tr>"
        for lane, events in lanes.items() for e in events)
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em}}
td{{padding:0 1em 0 0;vertical-align:top}}
.client{{color:{COLOURS['client']}}}.origin{{color:{COLOURS['origin']}}}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p><b class="client">Blue</b>: a client's connection to the proxy.
<b class="origin">Green</b>: a connection from the proxy to the origin.
Each dot is an event: hover it.</p>
{svg(lanes)}
<h2>Every event</h2>
<table><tr><th>ms</th><th>lane</th><th>event</th></tr>
{rows}
</table></body></html>
"""
