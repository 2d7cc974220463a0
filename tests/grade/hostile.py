#!/usr/bin/python3
"""hostile.py - the hostile cases of hostile.tsv as graded tests.

Each stage with rows in the table gets one graded test, hostileN, that
grade.py adds to lab N (so grading lab N cumulatively runs the rows of
every stage up to N, against stage N's program). The test starts the
scripted origin and as few proxies as the rows' args need, checks that
the proxy serves a good request (else it fails at once: fix the basics
first), notes its descriptors and threads, then for every row:
  1. sends the row's bytes as the row says (rawclient.py) and checks the
     answer: an error page with the status, the origin's reply relayed
     unchanged (or framed by its Content-Length), a close, or a tunnel;
     a "kept," row first sends a good GET on the same connection, whose
     answer must come kept (stage 07 on);
  2. checks that the proxy is alive and still serves a good request
     (a tunnel for CONNECT rows, a cache hit for cache rows);
  3. checks that the origin received nothing the row forbids, and that
     whatever reached it is unambiguous: CRLF lines, no NUL or bare CR,
     one Host, at most one Content-Length, no Transfer-Encoding;
  4. for +uncached rows, that a later GET of the same URL reaches the
     origin (nothing half-received was stored);
  5. that descriptors and threads come back to where they were.
The stage's test is worth STAGE_POINTS, shared among its rows in
proportion to their points; a failure lists every failing row with its
hint and source. ROWS=ID,ID (an environment variable, or a make variable)
runs only those rows.

Run as a program, it prints a stage's table (--table N), rewrites the
appendices labs/NN-*/HOSTILE.md (--update-handouts) or checks them and
the handouts' links (--check); hostile_table.py makes them.
"""
from __future__ import annotations
import argparse
import dataclasses
import os
import socket
import sys
import threading
import time

import dates
import hints
import hostile_rows
import hostile_table
import procs
import rawclient
from bytediff import quote, shell_printf
from client import (CACHE_STAGE, STATUS_LINE, check_error_page, first_line,
                    kept, relayed)
from harness import Context, Test, TestTimeout
from hints import Failure
from hostile_rows import Row
from procs import check_alive, fd_count, fd_targets, proc_entries
from netutil import abort
from origin import FINISHED, RECEIVED, Exchange, Origin, content_length, \
    head_end, response

STAGE_POINTS = 15        # each stage's hostile rows share this many points
DEADLINE_MS = 400        # the proxy's -t, -i and -c while under attack
VALGRIND_DEADLINE = 3    # ... times this under valgrind
ROW_SECONDS = 5.0        # a client of a row waits this long at most
SETTLE_SECONDS = 2.0     # descriptors and threads settle within this
POLL = 0.01              # seconds between two looks at /proc
STABLE_LOOKS = 3         # equal looks that make a baseline
CONNECT_STAGE = 4        # the first stage with CONNECT, and so with -p
HEALTH_PREFIX = "/hostile-health/"
MISS_MARK = b"X-Cache: MISS\r\n"
HIT_MARK = b"X-Cache: HIT\r\n"
GOOD_REPLY = response(200, b"hostile case served\n",   # never a cache hit
                      [("Content-Type", "text/plain"),
                       ("Cache-Control", "no-store")])
CACHEABLE = response(200, b"cacheable\n", [("Cache-Control", "max-age=60")])

HINTS = {
    hints.DIFFERS: "Each failing case above says what it sent, what was "
                   "expected and why (its hint and RFC section). Reproduce "
                   "one with ROWS=ID; the parsers' rules are in http.h.",
    hints.TIMEOUT: "A hostile case hung the proxy: every read of a client "
                   "or origin must end at a deadline (rio_set_deadline, "
                   "rio_set_idle_timeout), and a bad request ends with an "
                   "error page and a close.",
}


@dataclasses.dataclass
class Attacked:
    """A proxy under attack and its resting state."""
    proxy: procs.Program
    fds: int = 0       # descriptors open when it is idle
    tasks: int = 0     # threads when it is idle


# Declaring the tests.

def tests_for(lab: int) -> list[Test]:
    """The hostile test of stage lab (none if the table has no rows for
    it), numbered after first_index - 1 by the caller."""
    rows = hostile_rows.of_stage(hostile_rows.load(), lab)
    if not rows:
        return []
    categories = ", ".join(dict.fromkeys(row.category for row in rows))
    budget = 10.0 + sum(2.0 if row.clients == 1 else 4.0 for row in rows)

    def run(t: Context) -> None:
        run_stage(t, rows)

    return [Test(run, f"hostile{lab}", STAGE_POINTS,
                 f"the {len(rows)} hostile cases of stage {lab:02d} in "
                 f"hostile.tsv ({categories}): each answered as the table "
                 "says, the origin never sees an ambiguous message, and the "
                 "proxy serves on without leaking descriptors or threads",
                 timeout=budget, hints=dict(HINTS), lab=lab,
                 program="graded", rules=(f"{lab}.0.h",))]


def selected(rows: list[Row]) -> list[Row]:
    """The rows the ROWS environment variable names (all if unset)."""
    wanted = {w for w in os.environ.get("ROWS", "").split(",") if w}
    return [row for row in rows if not wanted or row.id in wanted]


# Running a stage's rows.

def run_stage(t: Context, rows: list[Row]) -> None:
    """Run rows against the graded program; fail listing those that
    failed, with the points the others earned."""
    origin = t.use(Origin())
    closed = closed_port()
    fill = {"origin": origin.authority, "origin_port": str(origin.port),
            "closed": f"127.0.0.1:{closed}"}
    proxies: dict[str, Attacked] = {}
    failed: list[tuple[Row, Failure]] = []
    todo = selected(rows)
    for index, row in enumerate(todo):
        if row.args not in proxies:
            proxies[row.args] = attack(t, origin, closed, row)
        attacked = proxies[row.args]
        fill["path"] = path_of(t, row)
        fill["good"] = f"{HEALTH_PREFIX}good/{t.rng.randrange(1 << 40):x}"
        try:
            run_row(t, attacked, origin, row, fill)
        except TestTimeout:
            raise
        except Exception as exc:
            failed.append((row, hints.classify(exc, *t.where(exc),
                                               ROW_SECONDS)))
            if attacked.proxy.status() is not None:
                gone = Failure(hints.EXITED, "not run: the proxy had exited")
                failed += [(later, gone) for later in todo[index + 1:]]
                break
            # A leak is reported once, not again by every later row.
            attacked.fds, attacked.tasks = resting_state(t, attacked.proxy)
    if failed:
        raise verdict(todo, failed)


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound, then closed)."""
    with socket.create_server(("127.0.0.1", 0)) as sock:
        return sock.getsockname()[1]


def path_of(t: Context, row: Row) -> str:
    """A fresh path for row, which no cache can have seen."""
    return f"/hostile/{row.id}/{t.rng.randrange(1 << 40):x}"


def deadline_ms(t: Context) -> str:
    """The proxy's -t, -i and -c under attack, stretched as the run is."""
    factor = t.options.stretch * (VALGRIND_DEADLINE if t.options.valgrind
                                  else 1)
    return str(int(DEADLINE_MS * factor))


def attack(t: Context, origin: Origin, closed: int, row: Row) -> Attacked:
    """Start a proxy with row's args, check that it serves a good request
    and note its resting descriptors and threads."""
    limit = deadline_ms(t)
    args = ["-t", limit, "-i", limit, "-c", limit, *row.proxy_args]
    if t.options.graded_lab >= CONNECT_STAGE:   # -p is stage 04's option
        args += ["-p", f"{origin.port},{closed},443"]
    attacked = Attacked(t.start(args))
    with t.step("checking that the proxy serves a good request, before any "
                "hostile case"):
        health(t, attacked, origin, row.category)
    attacked.fds, attacked.tasks = resting_state(t, attacked.proxy)
    return attacked


def resting_state(t: Context, proxy: procs.Program) -> tuple[int, int]:
    """(descriptors, threads) once STABLE_LOOKS looks in a row agree."""
    looks: list[tuple[int, int]] = []
    deadline = time.monotonic() + SETTLE_SECONDS * t.options.stretch
    while time.monotonic() < deadline:
        looks.append(counts(proxy))
        if len(looks) >= STABLE_LOOKS and \
                len(set(looks[-STABLE_LOOKS:])) == 1:
            break
        time.sleep(POLL)
    return looks[-1]


def counts(proxy: procs.Program) -> tuple[int, int]:
    """The proxy's open descriptors and threads now."""
    when = "while its descriptors and threads were counted"
    return fd_count(proxy, when), len(proc_entries(proxy, "task", when))


def run_row(t: Context, attacked: Attacked, origin: Origin, row: Row,
            fill: dict[str, str]) -> None:
    """One hostile case and the checks after it."""
    data = hostile_rows.unescape(row.send, fill)
    reply = route(origin, row, fill)
    before = origin.connections
    good = b""
    if row.kept:
        origin.route(fill["good"], GOOD_REPLY)
        good = get(origin, fill["good"], close=False)
    with t.step(f"case {row.id}"):
        if row.mode == "parallel":
            in_parallel(t, attacked, row, data, reply)
        elif row.mode == "idle":
            while_idle(t, attacked, origin, row, data, reply)
        else:
            judge(t, row, one_client(attacked.proxy, row, data, good),
                  reply)
        if row.mode == "leave":
            wait_origin_closed(t, origin, before, row)
        health(t, attacked, origin, row.category)
        check_origin(t, origin, before, row, fill)
        if row.uncached:
            check_uncached(t, attacked, origin, fill["path"])
        settle(t, attacked)


def route(origin: Origin, row: Row, fill: dict[str, str]) -> bytes:
    """Make the origin answer {path} as row says; return the reply."""
    if row.reply == hostile_rows.DEFAULT_REPLY:
        reply = GOOD_REPLY
    elif row.reply == hostile_rows.NO_REPLY:
        reply = b""
    else:
        reply = hostile_rows.unescape(row.reply, fill)
    mode, _, pacing = row.afterwards.partition(",")
    options = dict(part.split("=") for part in pacing.split(",") if part)
    origin.route(fill["path"], reply, mode,
                 piece=int(options.get("piece", 0)),
                 pause=int(options.get("pause", 0)) / 1000)
    return reply


# The clients of a row.

def one_client(proxy: procs.Program, row: Row, data: bytes,
               good: bytes = b"") -> bytes | None:
    """One client: send good at once (a kept row's good request), then
    data as row.how says, and return what came back (None for a client
    that resets or leaves without reading it all)."""
    sock = socket.create_connection(("127.0.0.1", proxy.port),
                                    timeout=ROW_SECONDS)
    try:
        if good:
            rawclient.send_once(sock, good)
        rawclient.send(sock, data, row.way)
        if row.mode == "reset":
            return None
        if row.mode == "leave":
            rawclient.read_some(sock, int(row.how.split(":")[1]))
            return None
        if row.mode == "half":
            sock.shutdown(socket.SHUT_WR)
        return rawclient.read_to_end(sock)
    finally:
        if row.mode in ("reset", "leave"):
            abort(sock)
        else:
            sock.close()


def in_parallel(t: Context, attacked: Attacked, row: Row, data: bytes,
                reply: bytes) -> None:
    """row.clients clients at once, each judged on its own."""
    results: list[bytes | None | BaseException] = [None] * row.clients
    start = threading.Barrier(row.clients)

    def client(i: int) -> None:
        try:
            start.wait(ROW_SECONDS)
            results[i] = one_client(attacked.proxy, row, data)
        except BaseException as exc:
            results[i] = exc

    threads = [threading.Thread(target=client, args=(i,), daemon=True)
               for i in range(row.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(2 * ROW_SECONDS)
    for i, got in enumerate(results):
        if isinstance(got, BaseException):
            raise got
        judge(t, row, got, reply, f"client {i + 1} of {row.clients}")


def while_idle(t: Context, attacked: Attacked, origin: Origin, row: Row,
               data: bytes, reply: bytes) -> None:
    """row.clients clients send data and wait; meanwhile a good request
    must be served. Then each client's answer is judged."""
    socks = []
    try:
        for _ in range(row.clients):
            sock = socket.create_connection(
                ("127.0.0.1", attacked.proxy.port), timeout=ROW_SECONDS)
            socks.append(sock)
            rawclient.send_once(sock, data)
        wait_accepted(t, attacked, row.clients)
        health(t, attacked, origin, row.category,
               f"while {row.clients} clients of case {row.id} wait")
        for i, sock in enumerate(socks):
            judge(t, row, rawclient.read_to_end(sock), reply,
                  f"client {i + 1} of {row.clients}")
    finally:
        for sock in socks:
            sock.close()


def wait_accepted(t: Context, attacked: Attacked, clients: int) -> None:
    """Wait until the proxy holds a descriptor for each of clients (it
    has accepted them), within SETTLE_SECONDS."""
    deadline = time.monotonic() + SETTLE_SECONDS * t.options.stretch
    while counts(attacked.proxy)[0] < attacked.fds + clients:
        if time.monotonic() > deadline:
            t.fail(hints.TIMEOUT, f"the proxy did not accept {clients} "
                   f"clients within {SETTLE_SECONDS:g} s")
        time.sleep(POLL)


# What a client must get.

def seen(t: Context, got: bytes | None, want: bytes) -> bytes:
    """got as it is compared with want: without the X-Cache: MISS line the
    stage 05 glue adds after the status line, and with a Date the proxy
    added standing as want has it (dates.settle)."""
    data = got or b""
    start = data.find(b"\n") + 1
    if t.options.graded_lab >= CACHE_STAGE and start and \
            data.startswith(MISS_MARK, start):
        data = data[:start] + data[start + len(MISS_MARK):]
    return dates.settled(data, want)


def framed(reply: bytes) -> bytes:
    """The response at the start of reply, as its Content-Length frames
    it: what a proxy relays of an origin that sends too much."""
    end = head_end(reply)
    return reply[:end + content_length(reply[:end])]


def judge(t: Context, row: Row, got: bytes | None, reply: bytes,
          who: str = "the client") -> None:
    """Fail unless got is what row expects (after the kept answer to the
    good request, for a kept row)."""
    what = f"case {row.id}, {who}"
    outcome = row.outcome
    if row.kept and got is not None:
        got = after_kept(t, got, what)
    if row.statuses:
        status = STATUS_LINE.match(got or b"")
        code = int(status[1]) if status else 0
        check_error_page(t, got or b"", code if code in row.statuses
                         else row.statuses[0], what)
    elif outcome in ("relayed", "framed"):
        want = relayed(reply if outcome == "relayed" else framed(reply))
        if seen(t, got, want) != want:
            raise hints.mismatch(seen(t, got, want), want, what)
    elif outcome == "closed":
        want = relayed(reply)
        if not want.startswith(seen(t, got, want)):
            raise hints.mismatch(seen(t, got, want), want, what)
    elif outcome == "tunnel":
        judge_tunnel(t, got or b"", reply, what)


def after_kept(t: Context, got: bytes, what: str) -> bytes:
    """What came after the answer to a kept row's good request, which
    must start got: GOOD_REPLY, kept (no 'Connection: close')."""
    want = kept(GOOD_REPLY)
    first = seen(t, got, want)
    if not first.startswith(want):
        raise hints.mismatch(first[:len(want)], want, f"{what}: the answer "
                             "to the good request before the case's bytes, "
                             "on a connection the proxy keeps")
    return got[len(got) - len(first) + len(want):]


def judge_tunnel(t: Context, got: bytes, reply: bytes, what: str) -> None:
    """Fail unless got is a 200 head, then reply, byte for byte."""
    end = head_end(got)
    status = STATUS_LINE.match(got)
    if not end or status is None or status[1] != b"200":
        t.fail(hints.DIFFERS, f"{what}: expected '200' and a tunnel, got "
               f"'{quote(first_line(got))}'")
    if got[end:] != reply:
        raise hints.mismatch(got[end:], reply, f"{what}, through the tunnel")


# The checks after each case.

def health(t: Context, attacked: Attacked, origin: Origin, category: str,
           when: str = "") -> None:
    """Fail unless the proxy is alive and serves a good request: a
    tunnel for CONNECT cases, a miss then a hit for cache cases, a
    relayed GET otherwise."""
    check_alive(attacked.proxy, "after a hostile case")
    path = f"{HEALTH_PREFIX}{t.rng.randrange(1 << 40):x}"
    what = f"a good request{' ' + when if when else ''}"
    if category == "connect":
        origin.route(path, GOOD_REPLY)
        judge_tunnel(t, exchange(attacked.proxy,
                                 connect_then_get(origin, path)),
                     GOOD_REPLY, what)
        return
    reply = CACHEABLE if category == "cache" else GOOD_REPLY
    origin.route(path, reply)
    want = relayed(reply)
    got = seen(t, exchange(attacked.proxy, get(origin, path)), want)
    if got != want:
        raise hints.mismatch(got, want, what)
    if category == "cache":
        check_hit(t, attacked.proxy, origin, path)


def check_hit(t: Context, proxy: procs.Program, origin: Origin,
              path: str) -> None:
    """Fail unless a second GET of path is a cache hit."""
    asked = origin.connections
    got = exchange(proxy, get(origin, path))
    if HIT_MARK not in got or origin.connections != asked:
        t.fail(hints.DIFFERS, "a good cacheable response fetched twice was "
               "not a cache hit the second time", f"received:\n  "
               f"{quote(got[:300])}")


def get(origin: Origin, path: str, close: bool = True) -> bytes:
    """A plain GET of path on origin, as a browser sends it to a proxy;
    with close, one that asks for the close after its answer (a proxy
    that keeps connections would otherwise keep the checker waiting)."""
    ask = "Connection: close\r\n" if close else ""
    return (f"GET {origin.url(path)} HTTP/1.1\r\nHost: {origin.authority}"
            f"\r\n{ask}\r\n").encode()


def connect_then_get(origin: Origin, path: str) -> bytes:
    """CONNECT to origin, with a GET of path right behind it."""
    return (f"CONNECT {origin.authority} HTTP/1.1\r\nHost: "
            f"{origin.authority}\r\n\r\nGET {path} HTTP/1.0\r\n\r\n").encode()


def exchange(proxy: procs.Program, data: bytes) -> bytes:
    """Send data to the proxy at once and read the answer to the end."""
    with socket.create_connection(("127.0.0.1", proxy.port),
                                  timeout=ROW_SECONDS) as sock:
        sock.sendall(data)
        return rawclient.read_to_end(sock)


def case_exchanges(origin: Origin, before: int) -> list[Exchange]:
    """The connections the origin accepted since before, other than the
    health checks', once each has been read."""
    count = origin.connections
    found = origin.wait_for(count, RECEIVED, ROW_SECONDS)[before:count]
    return [e for e in found if not e.target.startswith(HEALTH_PREFIX)]


def check_origin(t: Context, origin: Origin, before: int, row: Row,
                 fill: dict[str, str]) -> None:
    """Fail if the origin received what row forbids, or anything
    ambiguous."""
    found = case_exchanges(origin, before)
    if row.never == hostile_rows.NEVER_ANYTHING and found:
        t.fail(hints.DIFFERS, f"case {row.id}: the origin received a "
               "request; this one must be answered by the proxy alone",
               "the origin received:\n  " + quote(found[0].raw[:600]))
    for text in hostile_rows.never_strings(row, fill):
        for e in found:
            if text in e.raw:
                t.fail(hints.DIFFERS, f"case {row.id}: the origin received "
                       f"'{quote(text)}'", "the origin received:\n  "
                       + quote(e.raw[:600]))
    if row.category != "connect":   # a tunnel carries the client's bytes
        for e in found:
            check_unambiguous(t, row, e)


def check_unambiguous(t: Context, row: Row, e: Exchange) -> None:
    """Fail unless a complete head the origin received has CRLF lines, no
    NUL or bare CR, one Host, at most one Content-Length, and no
    Transfer-Encoding (the kit never forwards one)."""
    if not e.complete:
        return
    lines = e.head.split(b"\n")[:-1]
    problems = [
        (any(not line.endswith(b"\r") or b"\r" in line[:-1]
             for line in lines), "a line that does not end in CRLF"),
        (b"\0" in e.head, "a NUL byte"),
        (len(e.header("Host")) != 1, "not exactly one Host"),
        (len(e.header("Content-Length")) > 1, "two Content-Length headers"),
        (bool(e.header("Transfer-Encoding")), "Transfer-Encoding"),
    ]
    for bad, what in problems:
        if bad:
            t.fail(hints.DIFFERS, f"case {row.id}: the origin received "
                   f"{what} in the request head", "the origin received:\n  "
                   + quote(e.head[:600]))


def wait_origin_closed(t: Context, origin: Origin, before: int,
                       row: Row) -> None:
    """Fail unless the proxy closed its connections to the origin after
    the client left (an endless response must not be relayed to nobody)."""
    count = origin.connections
    found = origin.wait_for(count, FINISHED, SETTLE_SECONDS *
                            t.options.stretch)[before:count]
    if not all(e.finished for e in found):
        t.fail(hints.DIFFERS, f"case {row.id}: the client left, but the "
               f"proxy still held the origin's connection "
               f"{SETTLE_SECONDS:g} s later")


def check_uncached(t: Context, attacked: Attacked, origin: Origin,
                   path: str) -> None:
    """Fail unless a GET of path, now answered well, reaches the origin:
    nothing of the hostile answer was stored."""
    origin.route(path, CACHEABLE)
    asked = origin.connections
    want = relayed(CACHEABLE)
    got = seen(t, exchange(attacked.proxy, get(origin, path)), want)
    if origin.connections == asked:
        t.fail(hints.DIFFERS, f"a later GET of {path} was answered from the "
               "cache: a response that did not arrive whole (or a rejected "
               "request) was stored", f"received:\n  {quote(got[:300])}")
    if got != want:
        raise hints.mismatch(got, want, f"a later GET of {path}")


def settle(t: Context, attacked: Attacked) -> None:
    """Fail unless descriptors and threads come back to their resting
    counts within SETTLE_SECONDS."""
    deadline = time.monotonic() + SETTLE_SECONDS * t.options.stretch
    fds, tasks = counts(attacked.proxy)
    while (fds > attacked.fds or tasks > attacked.tasks) and \
            time.monotonic() < deadline:
        time.sleep(POLL)
        fds, tasks = counts(attacked.proxy)
    if fds > attacked.fds:
        t.fail(hints.DIFFERS, f"{fds - attacked.fds} more descriptors open "
               f"than before the case, {SETTLE_SECONDS:g} s after it: close "
               "every socket on every path", "\n".join(fd_targets(
                   attacked.proxy)))
    if tasks > attacked.tasks:
        t.fail(hints.DIFFERS, f"{tasks - attacked.tasks} more threads than "
               f"before the case, {SETTLE_SECONDS:g} s after it")


# The verdict.

def verdict(rows: list[Row], failed: list[tuple[Row, Failure]]) -> Failure:
    """One Failure that lists every failed row, carrying the points that
    the rows that passed earned."""
    total = sum(row.points for row in rows)
    lost = sum(row.points for row, _ in failed)
    names = ", ".join(row.id for row, _ in failed)
    return Failure(failed[0][1].symptom, f"{len(failed)} of {len(rows)} "
                   f"hostile cases failed: {names}; first: "
                   f"{failed[0][1].summary}",
                   "\n\n".join(describe(row, f) for row, f in failed),
                   earned=STAGE_POINTS * (total - lost) // total)


def describe(row: Row, failure: Failure) -> str:
    """What a failed row was, what went wrong, and why it matters."""
    fill = {"origin": "127.0.0.1:8000", "origin_port": "8000",
            "closed": "127.0.0.1:9", "path": f"/hostile/{row.id}"}
    data = hostile_rows.unescape(row.send, fill)
    if row.kept:
        data = (b"GET http://127.0.0.1:8000/hello.txt HTTP/1.1\r\nHost: "
                b"127.0.0.1:8000\r\n\r\n") + data
    lines = [f"{row.id} ({row.category}): sent {row.how}: "
             f"'{quote(data[:160])}{'...' if len(data) > 160 else ''}'",
             f"  expected: {row.expect}; got: {failure.summary}",
             f"  why: {row.hint} ({row.source})",
             f"  again: make grade LAB={row.stage} T=hostile{row.stage} "
             f"ROWS={row.id}"]
    if row.how == "once" and len(data) < 400:
        lines.append("  by hand: make origin  # in another terminal: "
                     "the reply of this case is on its path")
        lines.append(f"           {shell_printf(data)} | nc -N 127.0.0.1 "
                     "7000")
    if failure.detail:
        lines.append("  " + failure.detail.replace("\n", "\n  "))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """The command line: --table N, --update-handouts or --check."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--table", type=int, metavar="STAGE",
                       help="print the Markdown table of a stage's rows")
    group.add_argument("--update-handouts", action="store_true",
                       help="rewrite labs/NN-*/HOSTILE.md")
    group.add_argument("--check", action="store_true",
                       help="exit 1 if a handout's table is out of date")
    args = parser.parse_args(argv)
    if args.table is not None:
        print(hostile_table.table(args.table))
    elif args.update_handouts:
        hostile_table.update_handouts()
    else:
        stale = hostile_table.stale_handouts()
        for path in stale:
            print(f"{path}: out of date: run "
                  "python3 tests/grade/hostile.py --update-handouts")
        return 1 if stale else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
