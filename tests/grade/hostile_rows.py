"""hostile_rows.py - the hostile-case table (hostile.tsv) as Python rows.

hostile.tsv holds one case per line, tab-separated, in the columns that
COLUMNS names (its first line). Lines starting with '#' and blank lines
are comments. Instructors add cases by adding lines; no code changes.

Bytes columns (send, reply, never) are written with backslash escapes
(\\r \\n \\t \\x00 \\\\) and these placeholders, filled in per case:
  {origin}       the scripted origin's "127.0.0.1:PORT"
  {origin_port}  its port alone
  {closed}       "127.0.0.1:PORT" of a port where nothing listens
  {path}         a fresh path ("/hostile/ID/random") whose route is reply
  {N*text}       text repeated N times ({9000*a}, {101*X-F: v\\r\\n})
A column holding only "-" is empty (send: nothing at all).

An expect column that starts with "kept," (stage 07 on: "kept,400") is a
case on a kept connection: the client first sends a good GET (whose
answer must come without "Connection: close"), and right behind it, on
the same connection, the row's bytes, whose answer must then be what the
rest of the column says.

This module only reads and checks the table; hostile.py runs it.
"""
from __future__ import annotations
import re
from dataclasses import dataclass
from pathlib import Path

TABLE = Path(__file__).resolve().parent / "hostile.tsv"
COLUMNS = ("id", "stage", "category", "args", "send", "how", "reply",
           "afterwards", "expect", "never", "points", "hint", "source")
CATEGORIES = ("request-line", "headers", "framing", "smuggling", "oversize",
              "slow-client", "upstream", "concurrency", "connect", "cache")
HOWS = re.compile(r"^(once|bytes|slow|hold|half|reset|leave:\d+|"
                  r"parallel:\d+(:bytes|:slow)?|idle:\d+)$")
EXPECTS = re.compile(r"^(kept,)?(\d{3}(\|\d{3})*|relayed|framed|closed|"
                     r"tunnel|none)(\+uncached)?$")
KEPT = "kept,"         # the expect column: after a good request, kept
AFTERWARDS = re.compile(r"^(close|hold|reset)(,piece=\d+,pause=\d+)?$")
REPEAT = re.compile(r"\{(\d+)\*([^{}]*)\}")
NEVER_ANYTHING = "anything"   # the never column: no connection at all
NEVER_SEPARATOR = "||"        # between the never column's byte strings
DEFAULT_REPLY = "-"           # the reply column: a small 200 response
NO_REPLY = "none"             # the reply column: send nothing


@dataclass(frozen=True)
class Row:
    """One hostile case, its columns as written in the table."""
    id: str
    stage: int
    category: str
    args: str         # extra proxy options, "-" for none
    send: str         # what the client sends, escaped
    how: str          # once, bytes, slow, hold, half, reset, leave:N,
                      # parallel:N[:bytes|:slow], idle:N
    reply: str        # the origin's reply on {path}, escaped
    afterwards: str   # close, hold or reset, with optional piece/pause
    expect: str       # a status, relayed, framed, closed, tunnel, none,
                      # each maybe after "kept,"
    never: str        # what the origin must not receive
    points: int       # the row's weight within its stage's share
    hint: str
    source: str

    @property
    def proxy_args(self) -> list[str]:
        """The extra proxy options as a list."""
        return [] if self.args == "-" else self.args.split()

    @property
    def mode(self) -> str:
        """The how column without its counts and way: "parallel",
        "leave", "once", ..."""
        return self.how.split(":")[0]

    @property
    def clients(self) -> int:
        """How many clients send the bytes (parallel:N, idle:N)."""
        return int(self.how.split(":")[1]) \
            if self.mode in ("parallel", "idle") else 1

    @property
    def way(self) -> str:
        """How each client sends: "once", "bytes" or "slow"."""
        last = self.how.split(":")[-1]
        return last if last in ("bytes", "slow") else "once"

    @property
    def statuses(self) -> list[int]:
        """The statuses the expect column accepts (none if not a status)."""
        outcome = self.outcome
        return [int(s) for s in outcome.split("|")] if outcome[0].isdigit() \
            else []

    @property
    def outcome(self) -> str:
        """The expect column without its kept, prefix and +uncached
        flag."""
        return self.expect.split("+")[0].removeprefix(KEPT)

    @property
    def kept(self) -> bool:
        """Whether the row's bytes follow a good request on a connection
        the proxy keeps."""
        return self.expect.startswith(KEPT)

    @property
    def uncached(self) -> bool:
        """Whether a later GET of {path} must still reach the origin."""
        return self.expect.endswith("+uncached")


def unescape(text: str, fill: dict[str, str]) -> bytes:
    """The bytes an escaped column stands for, placeholders filled in."""
    if text == "-":
        return b""
    raw = text.encode("latin-1").decode("unicode_escape")
    for name, value in fill.items():
        raw = raw.replace("{" + name + "}", value)
    while REPEAT.search(raw):   # innermost first: {6*X: {6800*b}\r\n}
        raw = REPEAT.sub(lambda m: m[2] * int(m[1]), raw)
    return raw.encode("latin-1")


def never_strings(row: Row, fill: dict[str, str]) -> list[bytes]:
    """The byte strings the origin must not receive (the never column
    other than "anything")."""
    if row.never in ("-", NEVER_ANYTHING):
        return []
    return [unescape(part, fill) for part in row.never.split(NEVER_SEPARATOR)]


def problems(row: Row) -> list[str]:
    """What is wrong with a row, as sentences (none when it is good)."""
    checks = [
        (row.category in CATEGORIES, f"category {row.category!r} is not "
                                     f"one of {', '.join(CATEGORIES)}"),
        (bool(HOWS.match(row.how)), f"how {row.how!r} is unknown"),
        (bool(EXPECTS.match(row.expect)), f"expect {row.expect!r} is "
                                          "unknown"),
        (bool(AFTERWARDS.match(row.afterwards)), f"afterwards "
                                                 f"{row.afterwards!r} is "
                                                 "unknown"),
        (row.points > 0, "points must be 1 or more"),
        (bool(row.hint) and bool(row.source), "hint and source are "
                                              "required"),
        (all(c.isascii() for c in row.send + row.reply + row.never),
         "send, reply and never are ASCII (write other bytes as \\xNN)"),
    ]
    return [why for ok, why in checks if not ok]


def parse_line(line: str, number: int) -> Row:
    """One table line as a Row; ValueError names the line if it is bad."""
    cells = line.split("\t")
    if len(cells) != len(COLUMNS):
        raise ValueError(f"{TABLE.name} line {number}: {len(cells)} "
                         f"columns, expected {len(COLUMNS)}")
    values = dict(zip(COLUMNS, cells))
    try:
        row = Row(**{**values, "stage": int(values["stage"]),
                     "points": int(values["points"])})
    except ValueError as exc:
        raise ValueError(f"{TABLE.name} line {number}: {exc}") from exc
    bad = problems(row)
    if bad:
        raise ValueError(f"{TABLE.name} line {number} ({row.id}): "
                         + "; ".join(bad))
    return row


def load(path: Path = TABLE) -> list[Row]:
    """Every row of the table, in order; ValueError if any is malformed
    or two share an id."""
    rows, seen = [], set()
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or tuple(lines[0].split("\t")) != COLUMNS:
        raise ValueError(f"{path.name}: the first line must name the "
                         f"columns: {' '.join(COLUMNS)}")
    for number, line in enumerate(lines[1:], 2):
        if not line.strip() or line.startswith("#"):
            continue
        row = parse_line(line, number)
        if row.id in seen:
            raise ValueError(f"{path.name} line {number}: id {row.id} "
                             "is used twice")
        seen.add(row.id)
        rows.append(row)
    return rows


def of_stage(rows: list[Row], stage: int) -> list[Row]:
    """The rows that first apply to stage."""
    return [row for row in rows if row.stage == stage]
