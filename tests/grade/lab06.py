"""lab06.py - the graded tests of lab 06, the proxy's policy
(labs/06-policy/blocklist.c, filter.c, accesslog.c and anonymity.c, around
the given glue common/stage/proxy06_policy.c).

Filtering: each test writes a blocklist file, starts the proxy with -f,
and asks for blocked and allowed hosts. A blocked request must get a 403
page that names the rule, and the origin must see no connection at all;
an allowed one must come back byte for byte. Hosts that must be blocked
are spelled so that they would reach the test's origin if they were not
("localhost", "LOCALHOST.", "127.0.0.1" on its port), so a proxy that
forgets to check reaches the origin and fails on that, not on a DNS error.
Reloads are driven by SIGHUP and observed through the glue's log line
"SIGHUP: reload done", never by sleeping.

Monitoring: with -a, the tests read the access log and check every line
against the format of accesslog.h, field by field. A line is written just
after its connection is closed, so the tests wait (within their time
limit) for the lines to appear.

Anonymity: with -A (and -C), the origin's record of the request shows
which headers arrived.

PROGRAM is "graded": a later stage would keep this policy.
"""
from __future__ import annotations
import os
import re
import signal
import socket
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import harness
import hints
import procs
import units
from bytediff import quote
from client import (HIT, MISS, TEXT, Answer, check_error_page, fresh_path, get,
                    read_to_end, receive_reply, relay, relayed, request, text)
from connect_target import Target
from dates import settled
from harness import Context, expect_stop, test
from origin import Origin, response
from tunnels import (end_session, expect, expect_connect_error, first_link,
                     open_tunnel, round_trip)

TITLE = "policy: filtering, monitoring and anonymity"
PROGRAM = "graded"

RELOADED = "SIGHUP: reload done"   # the glue logs it after each reload
WRITE_FAILED = "cannot write the access log"  # ... and this when
                                   # accesslog_write fails
POLL_PAUSE = 0.02                  # seconds between looks at a file or log
CONCURRENT = 100                   # clients of the concurrent log test
FIXED_AGENT = "Mozilla/5.0 (Windows NT 10.0; rv:128.0) Gecko/20100101 " \
    "Firefox/128.0"                # ANONYMITY_USER_AGENT (anonymity.h)
IDENTIFYING = ("Forwarded", "X-Forwarded-For", "X-Forwarded-Host",
               "X-Forwarded-Proto", "X-Real-IP", "Via", "From", "Referer")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
          "Oct", "Nov", "Dec")
LOG_LINE = re.compile(
    r'(?P<client>\S+) - - \[(?P<day>\d\d)/(?P<month>\w{3})/(?P<year>\d{4}):'
    r'(?P<hms>\d\d:\d\d:\d\d) \+0000\] "(?P<request>(?:[^"\\\x00-\x1f\x7f-'
    r'\xff]|\\x[0-9A-F]{2})*)" (?P<status>\d{3}) (?P<bytes>\d+|-) '
    r'(?P<ms>\d+) (?P<cache>HIT|MISS|-) (?P<up>\d+|-)\n')

FILTER_HINT = "blocklist_match normalises the request's host the way " \
    "patterns were (lower case, one trailing dot off, IPv6 in RFC 5952 " \
    "form), looks it up among the exact rules, then looks each parent " \
    "domain up among the '*.' rules; a rule with a port covers that port " \
    "only. The glue calls it, through filter_check, before anything " \
    "connects to the origin."
ANONYMITY_HINT = "anonymity_apply removes every header named in " \
    "anonymity_identifying (http_header_remove ignores case), Cookie too " \
    "when strip_cookies, and every User-Agent, then appends one " \
    "User-Agent: ANONYMITY_USER_AGENT; the glue calls it only with -A or -C."
LOG_HINT = "Each request gets one line, written whole with one locked " \
    "write loop (accesslog_write): 'CLIENT - - [dd/Mon/yyyy:hh:mm:ss " \
    "+0000] \"REQUEST LINE\" STATUS BYTES MS CACHE UP' (accesslog.h); " \
    "'-' for 0 bytes, no cache result and no up count."

HINTS = {
    hints.DIFFERS: FILTER_HINT,
    hints.CLOSED: "The proxy closed the connection without an answer: a "
                  "blocked request gets a complete 403 page (return 403 "
                  "from the check; the glue sends the page).",
    hints.EXITED: "The proxy exited on its own: its stderr says why. A "
                  "blocklist that cannot be loaded at start-up is fatal "
                  "(the glue exits), but a bad reload keeps the old list.",
    hints.RACE: "ThreadSanitizer: the current snapshot pointer is read "
                     "or swapped without the filter's lock, or a reference "
                     "count is not atomic; or two threads write the access "
                     "log without its lock.",
}


# Set-up.

def blocklist(t: Context, lines: Sequence[str], name: str = "blocklist") \
        -> Path:
    """A blocklist file in the test's scratch directory."""
    path = t.tmpdir() / name
    path.write_text("".join(f"{line}\n" for line in lines))
    return path


def start(t: Context, *args: str) -> tuple[procs.Program, Origin]:
    """Start the proxy with args, and an origin."""
    proxy = t.start(list(args))
    return proxy, t.use(Origin())


def at(origin: Origin, host: str, path: str) -> str:
    """The absolute URI of path on origin's port, under another name for
    its host ("localhost", "LOCALHOST.")."""
    return f"http://{host}:{origin.port}{path}"


# Filtering.

def send_get(t: Context, proxy: procs.Program, target: str) -> socket.socket:
    """A new client of the proxy that has sent GET target, with its Host."""
    sock = t.connect(proxy.port)
    sock.sendall(request("GET", target, [("Host", target.split("/")[2])]))
    return sock


def expect_blocked(t: Context, proxy: procs.Program, origin: Origin,
                   target: str, rule: str) -> None:
    """GET target through the proxy: expect a complete 403 page that
    names rule, and no connection at the origin."""
    before = origin.connections
    what = f"the answer to GET {target}"
    sock = send_get(t, proxy, target)
    page = read_to_end(t, sock, what)
    harness.close_socket(sock)
    reached = origin.connections > before
    if reached:
        t.fail(hints.DIFFERS, f"{what}: the origin received the request, "
               f"but the rule '{rule}' blocks it")
    check_error_page(t, page, 403, what)
    check_rule_named(t, page, rule, what)


def check_rule_named(t: Context, page: bytes, rule: str, what: str) -> None:
    """Fail unless the 403 page names rule, in normal form."""
    named = re.search(rb"<code>([^<]*)</code>", page)
    if named is None or named[1] != rule.encode():
        got = named[1].decode(errors="replace") if named else "no rule"
        t.fail(hints.DIFFERS, f"{what}: the 403 page must name the rule "
               f"that matched, '{rule}' in normal form, but it names {got}: "
               "blocklist_match returns the rule's text as format_rule "
               "wrote it (lower case, '*.' for suffixes, brackets around "
               "IPv6, ':PORT' if the rule has one)",
               f"received:\n  {quote(page[:600])}")


def expect_allowed(t: Context, proxy: procs.Program, origin: Origin,
                   target: str, what: str) -> None:
    """GET target, which names origin, and expect its reply back whole."""
    path = "/" + target.split("/", 3)[3]
    reply = response(200, text(t, 200), TEXT)
    origin.route(path, reply)
    before = origin.connections
    sock = send_get(t, proxy, target)
    receive_reply(t, sock, relayed(reply), what, origin,
                  if_rejected="no rule blocks this host")
    harness.close_socket(sock)
    if origin.connections == before:
        t.fail(hints.DIFFERS, f"{what}: the reply came, but not from the "
               "origin")


def wait_reload(t: Context, proxy: procs.Program) -> None:
    """Send SIGHUP and wait for the glue to log that the reload is over."""
    done = proxy.stderr().count(RELOADED)
    os.kill(proxy.pid, signal.SIGHUP)
    with t.step("waiting for the proxy to log 'SIGHUP: reload done'"):
        while proxy.stderr().count(RELOADED) == done:
            if not proxy.alive():
                t.fail(hints.EXITED, "the proxy exited on SIGHUP: the glue's "
                       "thread waits for it; every other thread must keep it "
                       "blocked (threads made after the policy's start do)")
            time.sleep(POLL_PAUSE)


@test(8, "a blocked host gets a 403 page naming the rule and the origin "
         "sees no connection, while an allowed host on the same origin is "
         "relayed byte for byte",
      rules=("6.3.a",))
def blocked_exact_host(t: Context) -> None:
    rules = blocklist(t, ["# hosts nobody may reach", "localhost"])
    proxy, origin = start(t, "-f", str(rules))
    t.reproduce("printf 'localhost\\n' > /tmp/blocklist; "
                "curl -si -x http://127.0.0.1:{port} http://localhost:8000/")
    expect_blocked(t, proxy, origin, at(origin, "localhost", "/a"),
                   "localhost")
    expect_allowed(t, proxy, origin, at(origin, "127.0.0.1", "/b"),
                   "GET to 127.0.0.1, not in the list")


@test(8, "a '*.' rule blocks every host under the domain, however deep, "
         "but not the domain itself; the longest matching suffix is named",
      rules=("6.3.a",))
def blocked_suffix(t: Context) -> None:
    rules = blocklist(t, ["*.localhost", "*.b.localhost  # deeper",
                          "\t*.example.test"])
    proxy, origin = start(t, "-f", str(rules))
    expect_blocked(t, proxy, origin, at(origin, "www.localhost", "/a"),
                   "*.localhost")
    expect_blocked(t, proxy, origin, at(origin, "a.b.localhost", "/b"),
                   "*.b.localhost")
    expect_blocked(t, proxy, origin, at(origin, "x.y.z.example.test", "/c"),
                   "*.example.test")
    expect_allowed(t, proxy, origin, at(origin, "localhost", "/d"),
                   "GET to localhost itself: '*.localhost' covers only "
                   "hosts under it")


@test(6, "hosts are compared after normalising: upper case and a trailing "
         "dot in the request or in the file do not matter",
      rules=("6.1.a",))
def blocked_normalised(t: Context) -> None:
    rules = blocklist(t, ["LocalHost."])
    proxy, origin = start(t, "-f", str(rules))
    for host in ("LOCALHOST", "localhost.", "LocalHost."):
        expect_blocked(t, proxy, origin, at(origin, host, f"/{host}"),
                       "localhost")
    expect_allowed(t, proxy, origin, at(origin, "127.0.0.1", "/ok"),
                   "GET to 127.0.0.1, not in the list")


@test(6, "IP literal rules: an IPv4 rule with a port blocks that port "
         "only, and an IPv6 rule blocks the address however it is written",
      rules=("6.3.a",))
def blocked_ip_literals(t: Context) -> None:
    other = t.use(Origin())
    rules = blocklist(t, [f"127.0.0.1:{other.port}", "::1"])
    proxy, origin = start(t, "-f", str(rules))
    expect_blocked(t, proxy, other, at(other, "127.0.0.1", "/a"),
                   f"127.0.0.1:{other.port}")
    expect_allowed(t, proxy, origin, at(origin, "127.0.0.1", "/b"),
                   f"GET to 127.0.0.1 on port {origin.port}, which the "
                   "rule's port does not cover")
    for host in ("[::1]", "[0:0::1]", "[0000:0000:0000:0000:0000:0000:0:1]"):
        expect_blocked(t, proxy, origin, at(origin, host, "/c"), "[::1]")


@test(6, "CONNECT is filtered too: a blocked host gets 403 and no "
         "connection is made, while an allowed one tunnels",
      rules=("6.3.b",))
def blocked_connect(t: Context) -> None:
    target = t.use(Target())
    rules = blocklist(t, ["localhost", "*.localhost"])
    proxy = t.start(["-f", str(rules), "-p", str(target.port)])
    for host in ("localhost", "www.localhost"):
        expect_connect_error(t, proxy, f"{host}:{target.port}", 403)
    if target.links:
        t.fail(hints.DIFFERS, "the proxy connected to the target of a "
               "blocked CONNECT: check the host before tunnel_serve runs")
    tun = open_tunnel(t, proxy, target.authority)
    link = first_link(t, target)
    round_trip(t, tun, t.rng.randbytes(1000), "the echo through a tunnel "
               "to 127.0.0.1, which no rule blocks")
    end_session(t, tun, link)


@test(4, "a blocklist with an invalid line stops the proxy at start-up, "
         "with a message naming the line's number",
      hints={hints.DIFFERS: "blocklist_parse rejects a line that is not a "
                            "pattern (errno EINVAL) and sets *bad_line to "
                            "its number, counting from 1; the glue prints "
                            "it and exits."},
      rules=("6.2.a",))
def invalid_blocklist(t: Context) -> None:
    for bad in ("*.", "exa mple.com", "host:99999", "*.10.0.0.1"):
        rules = blocklist(t, ["# comment", "good.example", bad, "ok.test"])
        program = procs.Program(procs.find_program(
            t.options.bin_dir, t.options.graded_lab), ["-f", str(rules)],
            sanitizer=t.options.sanitizer, grace=t.limit)
        t.programs.append(program)
        program.exit_expected = True
        status = program.wait_exit(t.limit / 2)
        if status is None or status == 0:
            t.fail(hints.DIFFERS, f"with the line '{bad}' in its blocklist "
                   "the proxy did not exit with a failure status")
        if "line 3" not in program.wait_output_end(t.limit / 2):
            t.fail(hints.DIFFERS, f"with the line '{bad}' as line 3 of its "
                   "blocklist, the proxy exited but did not name line 3",
                   f"its stderr:\n{program.stderr_tail()}")


@test(10, "SIGHUP reloads the blocklist while clients are connected: new "
          "rules apply to the next requests, and a response and a tunnel "
          "in flight go on undisturbed",
      rules=("6.4.a",))
def reload_on_sighup(t: Context) -> None:
    target = t.use(Target())
    rules = blocklist(t, ["localhost"])
    proxy = t.start(["-f", str(rules), "-p", str(target.port)])
    origin = t.use(Origin())
    reply = response(200, text(t, 20000), TEXT)
    gate = threading.Event()
    held = origin.route("/held", reply, gate=gate, gate_at=1000)
    slow = t.connect(proxy.port)
    slow.sendall(request("GET", held, [("Host", origin.authority)]))
    tun = open_tunnel(t, proxy, target.authority)
    link = first_link(t, target)
    origin.wait_for(1, timeout=t.limit)

    rules.write_text(f"127.0.0.1:{origin.port}\n")
    wait_reload(t, proxy)
    expect_blocked(t, proxy, origin, at(origin, "127.0.0.1", "/now"),
                   f"127.0.0.1:{origin.port}")
    expect_allowed(t, proxy, origin, at(origin, "localhost", "/free"),
                   "GET to localhost, which the reloaded list no longer "
                   "blocks")
    round_trip(t, tun, t.rng.randbytes(5000), "the echo through the tunnel "
               "opened before the reload")
    gate.set()
    receive_reply(t, slow, relayed(reply), "the response that was in flight "
                  "during the reload")
    end_session(t, tun, link)


@test(5, "a reload from a file that has become invalid keeps the rules in "
         "use, and the proxy goes on serving",
      rules=("6.4.a",))
def reload_invalid_keeps_list(t: Context) -> None:
    rules = blocklist(t, ["localhost"])
    proxy, origin = start(t, "-f", str(rules))
    rules.write_text("fine.example\nnot a host\n")
    wait_reload(t, proxy)
    expect_blocked(t, proxy, origin, at(origin, "localhost", "/a"),
                   "localhost")
    expect_allowed(t, proxy, origin, at(origin, "127.0.0.1", "/b"),
                   "GET to 127.0.0.1 after the failed reload")


# Monitoring.

def wait_lines(t: Context, proxy: procs.Program, path: Path,
               count: int) -> list[str]:
    """The first count lines of the log at path, waiting for them (a
    failed write ends the wait: the glue logs WRITE_FAILED)."""
    with t.step(f"waiting for {count} lines in the access log"):
        deadline = time.monotonic() + t.limit
        data = b""
        while time.monotonic() < deadline and \
                WRITE_FAILED not in proxy.stderr():
            data = path.read_bytes() if path.exists() else b""
            if data.count(b"\n") >= count:
                break
            time.sleep(POLL_PAUSE)
    lines = data.decode("latin-1").splitlines(keepends=True)
    if len(lines) < count or not data.endswith(b"\n"):
        complete = data.count(b"\n")
        t.fail(hints.DIFFERS, f"the access log should have {count} lines, "
               f"but it has {complete} complete ones: "
               "accesslog_write writes one whole line per request",
               f"the log:\n{quote(data[-1500:])}")
    return lines


def shown(line: str) -> str:
    """A log line as a failure message shows it."""
    return quote(line.encode("latin-1"))


def parse_line(t: Context, line: str, what: str) -> dict[str, str]:
    """The fields of one log line; fail unless it is well formed."""
    match = LOG_LINE.fullmatch(line)
    if match is None:
        t.fail(hints.DIFFERS, f"{what}: the access log line is not in the "
               "format of accesslog.h", f"the line:\n  {shown(line)}")
    return match.groupdict()


def expect_line(t: Context, line: str, what: str, started: float,
                **want: str) -> None:
    """Fail unless line is well formed, from 127.0.0.1, dated between
    started and now, and has the wanted fields."""
    fields = parse_line(t, line, what)
    stamp = time.gmtime(time.time())
    oldest = time.gmtime(started - 1)
    dated = [time.strftime("%d/", s) + MONTHS[s.tm_mon - 1]
             + time.strftime("/%Y:", s) for s in (oldest, stamp)]
    got_date = f"{fields['day']}/{fields['month']}/{fields['year']}:"
    if got_date not in dated:
        t.fail(hints.DIFFERS, f"{what}: the line is dated {got_date}, not "
               f"today in UTC ({dated[-1]}): gmtime_r of started_ms / 1000",
               f"the line:\n  {shown(line)}")
    want = {"client": "127.0.0.1", **want}
    for name, value in want.items():
        if fields[name] != value:
            t.fail(hints.DIFFERS, f"{what}: the log's {name} field is "
                   f"'{fields[name]}', expected '{value}'",
                   f"the line:\n  {shown(line)}")


def fetch_as(t: Context, proxy: procs.Program, origin: Origin, path: str,
             kind: str) -> bytes:
    """GET path and expect the answer to be a kind (MISS or HIT)."""
    sock = t.connect(proxy.port)
    sock.sendall(get(origin, path))
    answer = Answer(read_to_end(t, sock, f"the answer to GET {path}"))
    harness.close_socket(sock)
    want = relayed(origin.direct(path))
    if answer.kind != kind or settled(answer.bare, want) != want:
        t.fail(hints.DIFFERS, f"GET {path}: expected a {kind} with the "
               f"origin's bytes, but {answer.describe()}")
    return answer.raw


@test(7, "the access log has one line per request in the Common Log Format "
         "with duration, cache result and upload count: a miss, a hit, a "
         "404, a 403 and a 400, each field as accesslog.h says",
      hints={hints.DIFFERS: LOG_HINT},
      rules=("6.5.a",))
def log_fields(t: Context) -> None:
    log = t.tmpdir() / "access.log"
    rules = blocklist(t, ["localhost"])
    started = time.time()
    proxy, origin = start(t, "-f", str(rules), "-a", str(log))
    t.reproduce("curl -s -o /dev/null -x http://127.0.0.1:{port} "
                "http://127.0.0.1:8000/; cat /tmp/access.log")
    path = fresh_path(t, "page", ".txt")
    reply = response(200, text(t, 500), [*TEXT, ("Cache-Control",
                                                  "max-age=600")])
    origin.route(path, reply)
    url = origin.url(path)
    # A line is written after its connection closes, so each request waits
    # for its line before the next: the order of the lines is then known.
    size = len(fetch_as(t, proxy, origin, path, MISS))
    expect_line(t, wait_lines(t, proxy, log, 1)[0], "the first fetch",
                started, request=f"GET {url} HTTP/1.1", status="200",
                bytes=str(size), cache="MISS", up="-")
    size = len(fetch_as(t, proxy, origin, path, HIT))
    expect_line(t, wait_lines(t, proxy, log, 2)[1], "the second fetch",
                started, request=f"GET {url} HTTP/1.1", status="200",
                bytes=str(size), cache="HIT", up="-")
    lost = at(origin, "127.0.0.1", "/lost")
    missing = read_to_end(t, send_get(t, proxy, lost), "the 404 of /lost")
    expect_line(t, wait_lines(t, proxy, log, 3)[2], "the 404", started,
                request=f"GET {lost} HTTP/1.1", status="404",
                bytes=str(len(missing)), cache="MISS")
    blocked = at(origin, "localhost", "/no")
    expect_blocked(t, proxy, origin, blocked, "localhost")
    expect_line(t, wait_lines(t, proxy, log, 4)[3], "the blocked request",
                started, request=f"GET {blocked} HTTP/1.1", status="403",
                cache="-")
    bad = t.connect(proxy.port)
    bad.sendall(b"GET http://x/ HTTP/1.1\r\nBad Header\r\n\r\n")
    refused = read_to_end(t, bad, "the 400 answer")
    lines = wait_lines(t, proxy, log, 5)
    expect_line(t, lines[4], "the bad request", started,
                request="GET http://x/ HTTP/1.1", status="400",
                bytes=str(len(refused)), cache="-")
    if len(lines) > 5:
        t.fail(hints.DIFFERS, "the access log has more lines than requests",
               "".join(lines))


@test(5, "a tunnel's line counts the bytes sent to the client and those "
         "from it (the last field), and a request line with '\"', '\\' "
         "or bytes outside ASCII is escaped as \\xHH",
      hints={hints.DIFFERS: LOG_HINT},
      rules=("6.5.a",))
def log_tunnel_and_escapes(t: Context) -> None:
    log = t.tmpdir() / "access.log"
    greeting = t.rng.randbytes(123)
    target = t.use(Target(greeting=greeting))
    started = time.time()
    proxy = t.start(["-a", str(log), "-p", str(target.port)])
    tun = open_tunnel(t, proxy, target.authority)
    link = first_link(t, target)
    upload = t.rng.randbytes(4000)
    tun.sock.sendall(upload)
    expect(t, tun, greeting + upload, "the greeting and the echo through "
           "the tunnel")
    end_session(t, tun, link)
    harness.close_socket(tun.sock)
    tunnel_line = wait_lines(t, proxy, log, 1)[0]
    expect_line(t, tunnel_line, "the tunnel", started,
                request=f"CONNECT {target.authority} HTTP/1.1",
                status="200", bytes=str(len(greeting) + len(upload)),
                cache="-", up=str(len(upload)))

    origin = t.use(Origin())
    odd = t.connect(proxy.port)
    odd.sendall(b'GET ' + origin.url('/"q\\').encode() +
                b'\xe9 HTTP/1.1\r\n\r\n')
    read_to_end(t, odd, "the answer to a request with odd bytes")
    line = wait_lines(t, proxy, log, 2)[1]
    expect_line(t, line, "the request with odd bytes", started,
                request=f"GET {origin.url('/')}\\x22q\\x5C\\xE9 HTTP/1.1")


@test(10, f"{CONCURRENT} clients at once: the access log has exactly one "
          "whole, well-formed line per request, none mixed with another",
      hints={hints.DIFFERS: LOG_HINT},
      rules=("6.5.b",))
def log_concurrent(t: Context) -> None:
    log = t.tmpdir() / "access.log"
    started = time.time()
    proxy, origin = start(t, "-a", str(log), "-q", str(CONCURRENT * 2))
    paths = [fresh_path(t, f"c{n}-", ".txt") for n in range(CONCURRENT)]
    for path in paths:
        origin.route(path, response(200, text(t, t.rng.randrange(50, 3000)),
                                    TEXT))
    socks = [t.connect(proxy.port) for _ in paths]
    for sock, path in zip(socks, paths):
        sock.sendall(get(origin, path))
    for sock, path in zip(socks, paths):
        receive_reply(t, sock, relayed(origin.direct(path)),
                      f"the reply to {path}")
        harness.close_socket(sock)
    lines = wait_lines(t, proxy, log, CONCURRENT)
    seen = []
    for line in lines:
        fields = parse_line(t, line, "a line of the concurrent requests")
        seen.append(fields["request"])
        expect_line(t, line, "a line of the concurrent requests", started,
                    status="200", cache=MISS)
    want = sorted(f"GET {origin.url(p)} HTTP/1.1" for p in paths)
    if sorted(seen) != want or len(lines) != CONCURRENT:
        missing = sorted(set(want) - set(seen))[:5]
        t.fail(hints.DIFFERS, f"the access log has {len(lines)} lines for "
               f"{CONCURRENT} requests, not one each",
               f"missing, for example: {missing}")


@test(5, "after the log file is renamed, SIGHUP makes the proxy write the "
         "next lines to a new file of the old name (log rotation)",
      hints={hints.DIFFERS: LOG_HINT},
      rules=("6.5.b",))
def log_reopened(t: Context) -> None:
    log = t.tmpdir() / "access.log"
    old = t.tmpdir() / "access.log.1"
    started = time.time()
    proxy, origin = start(t, "-a", str(log))
    first = fresh_path(t, "before", ".txt")
    origin.route(first, response(200, text(t, 100), TEXT))
    relay(t, proxy, origin, get(origin, first), origin.direct(first),
          "the reply before the rotation")
    wait_lines(t, proxy, log, 1)
    log.rename(old)
    wait_reload(t, proxy)
    second = fresh_path(t, "after", ".txt")
    origin.route(second, response(200, text(t, 100), TEXT))
    relay(t, proxy, origin, get(origin, second), origin.direct(second),
          "the reply after the rotation")
    line = wait_lines(t, proxy, log, 1)[0]
    expect_line(t, line, "the new file's line", started,
                request=f"GET {origin.url(second)} HTTP/1.1")
    kept = old.read_text("latin-1").splitlines()
    if len(kept) != 1 or origin.url(first) not in kept[0]:
        t.fail(hints.DIFFERS, "the renamed file should keep exactly the line "
               "written before the rotation", "\n".join(kept))


# Anonymity.

IDENTITY = [("Forwarded", "for=192.0.2.60;proto=http;by=203.0.113.43"),
            ("X-Forwarded-For", "192.0.2.60"),
            ("X-Forwarded-Host", "intranet.example"),
            ("X-Forwarded-Proto", "https"),
            ("X-Real-IP", "192.0.2.60"),
            ("Via", "1.1 corporate-proxy"),
            ("from", "alice@example.org"),
            ("Referer", "http://intranet.example/secret-project"),
            ("User-Agent", "curl/7.88.1 (alice's laptop)"),
            ("Cookie", "session=alice-1234")]


def anonymous_request(t: Context, args: Sequence[str]) -> dict[str, list]:
    """GET through a proxy started with args, with identifying headers
    among others; the headers the origin received, by lower-case name."""
    proxy, origin = start(t, *args)
    path = fresh_path(t, "anon", ".txt")
    reply = response(200, text(t, 100), TEXT)
    origin.route(path, reply)
    kept = [("Accept", "text/plain"), ("X-Token", t.rng.randbytes(4).hex())]
    data = get(origin, path, [kept[0], *IDENTITY[:5], kept[1],
                              *IDENTITY[5:]])
    relay(t, proxy, origin, data, reply, "the reply to the request")
    exchange = next(e for e in origin.exchanges if e.complete)
    received: dict[str, list] = {}
    for name, value in exchange.headers():
        received.setdefault(name.lower(), []).append(value)
    order = [n.lower() for n, _ in exchange.headers()]
    if [n for n in order if n in ("accept", "x-token")] != \
            ["accept", "x-token"]:
        t.fail(hints.DIFFERS, "the headers that identify nobody must reach "
               "the origin unchanged and in order (Accept, then X-Token)",
               f"the origin received:\n  {quote(exchange.raw[:800])}")
    for name, value in exchange.headers():
        if name.lower() != "host" and "127.0.0.1" in value:
            t.fail(hints.DIFFERS, f"the origin received '{name}: {value}', "
                   "which carries the client's address")
    return received


def expect_absent(t: Context, received: dict[str, list],
                  names: Sequence[str]) -> None:
    """Fail if the origin received any header in names."""
    leaked = [n for n in names if n.lower() in received]
    if leaked:
        t.fail(hints.DIFFERS, f"with -A the origin still received "
               f"{', '.join(leaked)}: anonymity_apply removes every header "
               "named in anonymity_identifying (http_header_remove ignores "
               "case)")


@test(11, "with -A the origin receives none of the headers that identify "
          "the user (Forwarded, X-Forwarded-*, X-Real-IP, Via from others, "
          "From, Referer), exactly one User-Agent, the fixed one, and the "
          "others unchanged in order; without -A all arrive as sent",
      hints={hints.DIFFERS: ANONYMITY_HINT},
      rules=("6.6.a",))
def anonymous_mode(t: Context) -> None:
    received = anonymous_request(t, ["-A"])
    expect_absent(t, received, IDENTIFYING[:5] + ("From", "Referer"))
    via = received.get("via", [])
    if via != ["1.1 proxylab"]:
        t.fail(hints.DIFFERS, f"with -A the only Via must be the proxy's own "
               f"('1.1 proxylab'), but the origin received {via}")
    if received.get("user-agent") != [FIXED_AGENT]:
        t.fail(hints.DIFFERS, "with -A the origin must receive exactly one "
               f"User-Agent, '{FIXED_AGENT}', but it received "
               f"{received.get('user-agent')}")
    if received.get("cookie") != ["session=alice-1234"]:
        t.fail(hints.DIFFERS, "-A alone keeps Cookie (only -C removes it), "
               f"but the origin received {received.get('cookie')}")
    received = anonymous_request(t, [])
    for name, value in IDENTITY[6:]:
        if received.get(name.lower()) != [value]:
            t.fail(hints.DIFFERS, f"without -A the origin must receive "
                   f"'{name}: {value}', as the client sent it, but got "
                   f"{received.get(name.lower())}: anonymity applies only "
                   "when -A is given")


@test(4, "with -C the Cookie header goes too",
      hints={hints.DIFFERS: ANONYMITY_HINT},
      rules=("6.6.a",))
def anonymous_cookies(t: Context) -> None:
    received = anonymous_request(t, ["-C"])
    expect_absent(t, received, ("Cookie", "Referer", "From"))


@test(5, "under valgrind: blocked and allowed requests, a reload, a "
         "rotation, log lines and anonymous requests, then SIGTERM, show "
         "no memory error and no leak",
      timeout=60,
      rules=("6.0.a",))
def valgrind_clean(t: Context) -> None:
    log = t.tmpdir() / "access.log"
    rules = blocklist(t, ["localhost", "*.localhost", "::1"])
    proxy = t.start(["-f", str(rules), "-a", str(log), "-A"], valgrind=True)
    origin = t.use(Origin())
    for n in range(3):
        expect_blocked(t, proxy, origin, at(origin, "localhost", f"/b{n}"),
                       "localhost")
        expect_allowed(t, proxy, origin, at(origin, "127.0.0.1", f"/a{n}"),
                       "an allowed GET")
        rules.write_text(f"localhost\n*.test\n# reload {n}\n")
        wait_reload(t, proxy)
    wait_lines(t, proxy, log, 6)
    expect_stop(t, proxy, signal.SIGTERM, "a session of every policy")


@test(6, "under ThreadSanitizer (a build made for the test), 100 "
         "clients logging at once and reloads on SIGHUP while clients are "
         "served show no data race on the log or the blocklist snapshot",
      timeout=150,
      rules=("6.4.a", "6.5.b"))
def tsan_clean(t: Context) -> None:
    with t.under_tsan():
        log_concurrent(t)
        reload_on_sighup(t)


unit_blocklist = units.suite_test(
    __name__, 8, "blocklist",
    "the host normalisation, rule parsing and matching of lab6.1 to "
    "lab6.3",
    ("6.1.a", "6.2.a", "6.3.a"))


unit_filter = units.suite_test(
    __name__, 4, "filter",
    "the replaceable filter snapshot of lab6.4",
    ("6.4.a",))


unit_accesslog = units.suite_test(
    __name__, 5, "accesslog",
    "the access log line of lab6.5",
    ("6.5.a",))


unit_anonymity = units.suite_test(
    __name__, 4, "anonymity",
    "the header rewrite of lab6.6",
    ("6.6.a",))
