"""client.py - the graded tests' side of the proxy: what a client sends,
and how it reads and judges what comes back.

Every lab's tests use these: random paths and bodies drawn from the run's
seed, requests, a client that sends (at once or in pieces), reading a
reply byte for byte or until the end, error pages, the cache's marks, and
real client programs (curl, wget) run with the environment they need. A
lab module holds its @test functions and their fixtures; what two labs
need lives here.
"""
from __future__ import annotations
import functools
import os
import re
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass

import dates
import harness
import hints
import procs
from bytediff import quote
from harness import Context, TestTimeout, receive_to_end
from hints import Pending
from origin import Exchange, Origin, field_values, head_end, path_of, response

KIBIBYTE = 1 << 10
MEBIBYTE = 1 << 20
CACHE_STAGE = 5              # the first stage that marks responses X-Cache
MISS_MARK = b"X-Cache: MISS\r\n"  # what its glue adds after a status line
SMALL_BUFFER = 16 << 10      # socket buffers of a client that reads slowly
PIECE_PAUSE = 0.001          # seconds between the pieces of a split send
ERROR_PAGE_MAX = 1 << 20     # bytes read at most of an error page
ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
PRINTABLE = bytes(range(0x20, 0x7f))
TO_TEXT = bytes(PRINTABLE[b % len(PRINTABLE)] for b in range(256))
TEXT = [("Content-Type", "text/plain; charset=utf-8")]
BINARY = [("Content-Type", "application/octet-stream")]
STATUS_LINE = re.compile(rb"HTTP/1\.[01] (\d{3})(?: [^\r\n]*)?\r?\n")
HIT, MISS, PLAIN = "HIT", "MISS", "PLAIN"   # how the glue marks a response
VIA_NAME = b"proxylab"       # HTTP_VIA, the proxy's name in Via (http.h)
HOP_BY_HOP = {b"connection", b"proxy-connection", b"keep-alive", b"te",
              b"trailer", b"transfer-encoding", b"upgrade",
              b"proxy-authorization", b"proxy-authenticate"}
HIT_MARK = re.compile(rb"Age: (\d+)\r\nX-Cache: HIT\r\n")

# Reproduce-by-hand pieces: an origin on port 8000 (serving /tmp, or the
# tests' scripted one), and curl through the proxy.
BY_HAND = "127.0.0.1:8000"
HAND_ORIGIN = ("python3 -m http.server 8000 --bind 127.0.0.1 "
               "--directory /tmp >/dev/null 2>&1 & sleep 1;")
# The tests' own scripted origin (make origin): its paths are listed in
# tests/grade/origin_tool.py.
SCRIPTED_ORIGIN = "python3 tests/grade/origin_tool.py >/dev/null & sleep 1;"
CURL = "curl -sS -x http://127.0.0.1:{port}"


# Random content.

def token(t: Context, length: int = 10) -> str:
    """A random lower-case alphanumeric word."""
    return "".join(t.rng.choice(ALNUM) for _ in range(length))


def fresh_path(t: Context, stem: str, suffix: str = "") -> str:
    """A random path no other request of the test uses (so that no cache
    of a later stage can answer it)."""
    return f"/{stem}/{token(t)}{suffix}"


def text(t: Context, size: int) -> bytes:
    """About size bytes of printable lines of 1 to 100 bytes."""
    data = bytearray(t.rng.randbytes(size).translate(TO_TEXT))
    end = t.rng.randint(1, 100)
    while end < size:
        data[end - 1] = ord("\n")
        end += t.rng.randint(1, 100)
    data[-1] = ord("\n")
    return bytes(data)


def binary(t: Context, size: int) -> bytes:
    """size random bytes that hold every byte value and start with NUL,
    with a CRLF CRLF and a status line inside, to fool string handling."""
    values = list(range(1, 256))
    t.rng.shuffle(values)
    data = b"\0" + bytes(values) + b"\r\n\r\nHTTP/1.1 200 OK\r\n\0\0" + \
        t.rng.randbytes(size)
    return data[:size]


# Requests, and a client that sends them.

def request(method: str, target: str,
            headers: Sequence[tuple[str, str]] = (), body: bytes = b"",
            version: str = "HTTP/1.1") -> bytes:
    """The bytes of a request: request line, headers, blank line, body."""
    lines = [f"{method} {target} {version}"]
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def get(origin: Origin, path: str,
        headers: Sequence[tuple[str, str]] = (), method: str = "GET",
        body: bytes = b"") -> bytes:
    """A request for path on origin as a browser sends it to a proxy: the
    absolute URI, Host, then headers."""
    fields = [("Host", origin.authority), *headers]
    if body:
        fields.append(("Content-Length", str(len(body))))
    return request(method, origin.url(path), fields, body)


def setup(t: Context, args: Sequence[str] = (),
          host: str = "127.0.0.1") -> tuple[procs.Program, Origin]:
    """Start the proxy and an origin on host."""
    proxy = t.start(list(args))
    return proxy, t.use(Origin(host))


def client(t: Context, proxy: procs.Program, data: bytes, piece: int = 0,
           bufsize: int | None = None) -> socket.socket:
    """A new client of the proxy (with socket buffers of bufsize, if
    given) that has sent data: at once, or in pieces of piece bytes, each
    in a TCP segment of its own."""
    sock = t.connect(proxy.port, bufsize=bufsize)
    t.event(t.lane_of(sock), f"sending {len(data)} bytes: "
            f"'{quote(data[:60])}'{'...' if len(data) > 60 else ''}"
            f"{f' in pieces of {piece}' if piece else ''}")
    if not piece:
        sock.sendall(data)
        return sock
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for start in range(0, len(data), piece):
        sock.sendall(data[start:start + piece])
        time.sleep(PIECE_PAUSE)
    return sock


# What the client receives of an origin's response.

def relayed(reply: bytes) -> bytes:
    """What a client receives of the origin's reply (or of its first
    bytes, head included): the head rewritten as http_format_response does
    (http.h: the proxy's own HTTP/1.1, the hop-by-hop headers and those
    Connection names dropped but Transfer-Encoding, each header as 'Name:
    value', then Via with the origin's version and 'Connection: close',
    every line in CRLF), the body unchanged; a head without Date gets the
    one the proxy adds (dates.ADDED) before Via. Bytes without a whole
    head come back as they are."""
    end = head_end(reply)
    if not end or not reply.startswith(b"HTTP/1."):
        return reply
    lines = [line.rstrip(b"\r") for line in reply[:end].split(b"\n")]
    status, fields = lines[0], [f for f in lines[1:] if f]
    pairs = [(n, v.strip(b" \t")) for n, _, v in
             (f.partition(b":") for f in fields)]
    named = {item.strip().lower() for n, v in pairs
             if n.lower() == b"connection" for item in v.split(b",")}
    kept = [n + b": " + v + b"\r\n" for n, v in pairs
            if n.lower() not in named and
            (n.lower() not in HOP_BY_HOP or n.lower() == b"transfer-encoding")]
    if not any(n.lower() == b"date" for n, _ in pairs):
        kept.append(b"Date: " + dates.ADDED + b"\r\n")
    code, _, reason = status[9:].partition(b" ")
    return (b"HTTP/1.1 " + code + b" " + reason + b"\r\n" + b"".join(kept) +
            b"Via: 1." + status[7:8] + b" " + VIA_NAME + b"\r\n"
            b"Connection: close\r\n\r\n" + reply[end:])


CLOSE_LINE = b"Connection: close\r\n"   # the last line relayed() writes


def kept(reply: bytes) -> bytes:
    """What a client whose connection the proxy keeps (stage 07: an
    HTTP/1.1 request without "close", and an answer whose end it can find)
    receives of the origin's reply: relayed(reply) without its
    'Connection: close' line."""
    want = relayed(reply)
    end = head_end(want)
    if not end or not want[:end].endswith(CLOSE_LINE + b"\r\n"):
        return want
    return want[:end - len(CLOSE_LINE) - 2] + b"\r\n" + want[end:]


# Reading what comes back.

def receive_reply(t: Context, sock: socket.socket, want: bytes, what: str,
                  origin: Origin | None = None, eof: bool = True,
                  if_rejected: str = "") -> bytes:
    """t.expect_reply, whose failure also says what the proxy answered
    instead (an error page?) and whether the origin was reached;
    if_rejected is added when the proxy answered with a 4xx status."""
    pending = Pending(what, want, eof)
    with t.step(f"waiting for {what}", pending):
        dropped = False
        try:
            harness.receive(sock, pending)
            dropped = drop_miss_mark(t, pending)
            if dropped and not eof:
                harness.receive(sock, pending)   # the bytes the mark displaced
        finally:
            if not dropped:                      # a failure's diff skips it
                drop_miss_mark(t, pending)
    got = bytes(pending.got)
    t.event(t.lane_of(sock), f"received {len(got)} bytes"
            f"{', then end of file' if eof else ''}")
    if got != want:
        failure = hints.mismatch(got, want, what)
        failure.summary += answered_instead(got, want, origin)
        if if_rejected and re.match(rb"HTTP/1\.[01] 4", got):
            failure.summary += f" ({if_rejected})"
        raise failure
    return got


def drop_miss_mark(t: Context, pending: Pending) -> bool:
    """From stage 05 on, the cache's glue adds "X-Cache: MISS" right after
    the status line of each GET response it relays from an origin: take
    that one line out of what the client received (pending.got), so that
    everything else is still compared byte for byte. True if it was
    there."""
    if t.options.graded_lab < CACHE_STAGE:
        return False
    start = pending.got.find(b"\n") + 1
    if not start or not pending.got.startswith(MISS_MARK, start):
        return False
    del pending.got[start:start + len(MISS_MARK)]
    return True


def answered_instead(got: bytes, want: bytes, origin: Origin | None) -> str:
    """"; the proxy answered '502 Bad Gateway' and the origin received no
    request", or what part of that applies."""
    note = ""
    if got.startswith(b"HTTP/") and first_line(got) != first_line(want):
        note = f"; the proxy answered '{quote(first_line(got))}'"
    if origin is not None and origin.connections == 0:
        note += " and" if note else ";"
        note += " the origin received no request"
    return note


def first_line(data: bytes) -> bytes:
    """The first line of data, without its line ending."""
    return data.split(b"\n", 1)[0].rstrip(b"\r")


def read_to_end(t: Context, sock: socket.socket, what: str,
                most: int = ERROR_PAGE_MAX, answered: bool = True,
                detail: str = "") -> bytes:
    """What sock receives until its end (most bytes at most): end of file,
    or a reset once bytes have come. answered says an answer must come:
    without it, a reset before any byte ends the stream too, and nothing
    may come. Fails when the time limit comes first: nothing came although
    an answer must (TIMEOUT), or the connection stayed open after what came
    (STAYS_OPEN; detail says more)."""
    data = bytearray()
    with t.step(f"waiting for {what}"):
        try:
            receive_to_end(sock, data, most)
        except TestTimeout:
            if answered and not data:
                t.fail(hints.TIMEOUT, f"{what}: nothing came back before the "
                       f"time limit ({t.limit:g} s)")
            came = f"'{quote(first_line(data))}' came" if data else \
                "nothing came"
            t.fail(hints.STAYS_OPEN, f"{what}: {came}, but the connection "
                   f"was still open when the time limit ({t.limit:g} s) was "
                   "reached", detail or f"received {len(data)} bytes:\n  "
                   f"{quote(bytes(data[:600]))}")
        except (ConnectionResetError, BrokenPipeError):
            if answered and not data:
                raise
    t.event(t.lane_of(sock), f"received {len(data)} bytes, then the end "
            "of the connection")
    return bytes(data)


@dataclass
class Answer:
    """What a client received: raw, and the cache glue's marks read out of
    it (from stage 05 on, a hit carries Age and "X-Cache: HIT", a miss
    "X-Cache: MISS", right after the status line)."""
    raw: bytes
    kind: str = PLAIN          # HIT, MISS or PLAIN (no mark)
    age: int = 0               # the Age of a hit
    bare: bytes = b""          # raw without the marks

    def __post_init__(self) -> None:
        cut = self.raw.find(b"\n") + 1
        self.bare = self.raw
        if not cut:
            return
        if self.raw.startswith(MISS_MARK, cut):
            self.kind = MISS
            self.bare = self.raw[:cut] + self.raw[cut + len(MISS_MARK):]
        elif match := HIT_MARK.match(self.raw, cut):
            self.kind, self.age = HIT, int(match[1])
            self.bare = self.raw[:cut] + self.raw[match.end():]

    def describe(self) -> str:
        """How the answer came: "a miss (X-Cache: MISS)", ..."""
        if self.kind == HIT:
            return "the proxy answered from the cache (X-Cache: HIT)"
        if self.kind == MISS:
            return "it was a miss (X-Cache: MISS)"
        if not self.raw:
            return "nothing came back"
        return f"the proxy answered '{quote(first_line(self.raw))}'"


# A request relayed whole, and what the origin received.

def relay(t: Context, proxy: procs.Program, origin: Origin, data: bytes,
          want: bytes, what: str, piece: int = 0,
          if_rejected: str = "") -> bytes:
    """One client: send data (in pieces of piece bytes, if given), expect
    what it receives of the origin's reply, want (relayed(want)), then end
    of file, and close. if_rejected is added to the failure when the proxy
    answered with a 4xx status instead."""
    sock = client(t, proxy, data, piece)
    got = receive_reply(t, sock, relayed(want), what, origin,
                        if_rejected=if_rejected)
    harness.close_socket(sock)
    return got


def fetch(t: Context, proxy: procs.Program, origin: Origin, path: str,
          reply: bytes, what: str, **route) -> Exchange:
    """Serve reply on path, GET it through the proxy, expect it back byte
    for byte, and return what the origin received."""
    origin.route(path, reply, **route)
    relay(t, proxy, origin, get(origin, path), reply, what)
    return origin_request(t, origin, path)


def origin_request(t: Context, origin: Origin, path: str) -> Exchange:
    """The request the origin received for path. The origin answers only
    once it has read a request, so after its reply came there is nothing
    to wait for."""
    exchanges = origin.exchanges
    for exchange in reversed(exchanges):
        if path_of(exchange.target) == path and exchange.complete:
            return exchange
    seen = [quote(e.request_line) for e in exchanges] or ["nothing"]
    t.fail(hints.DIFFERS, f"the origin received no request for {path}",
           "request lines the origin received:\n  " + "\n  ".join(seen))


def served(t: Context, proxy: procs.Program, origin: Origin,
           who: str = "the next client") -> None:
    """Check that the proxy still relays a GET, for a new client."""
    path = fresh_path(t, "next", ".txt")
    fetch(t, proxy, origin, path, response(200, text(t, 300), TEXT),
          f"the response to {who}")


# Error pages.

def expect_error(t: Context, proxy: procs.Program, data: bytes,
                 status: int, what: str) -> None:
    """One client: send data, expect a complete error page with status,
    then end of file, and close."""
    sock = client(t, proxy, data)
    page = read_to_end(t, sock, what)
    harness.close_socket(sock)
    check_error_page(t, page, status, what)


def check_error_page(t: Context, page: bytes, status: int,
                     what: str) -> None:
    """Fail unless page is one complete response with status: a status
    line, a head, one Content-Length that matches the body."""
    shown = f"received {len(page)} bytes:\n  {quote(page[:600])}"
    if not page:
        t.fail(hints.CLOSED, f"{what}: the proxy closed the connection "
               f"without answering (expected a {status} response)")
    match = STATUS_LINE.match(page)
    if match is None or int(match[1]) != status:
        t.fail(hints.DIFFERS, f"{what}: expected a {status} response, got "
               f"'{quote(first_line(page))}'", shown)
    end = head_end(page)
    if not end:
        t.fail(hints.TRUNCATED, f"{what}: the {status} response's head "
               "never ends (no blank line before the close)", shown)
    lengths = field_values(page[:end], "Content-Length")
    body = len(page) - end
    if lengths != [str(body)]:
        t.fail(hints.DIFFERS, f"{what}: the {status} response has "
               f"Content-Length {lengths or 'missing'} but {body} body "
               "bytes before the close", shown)


def closed_port(t: Context) -> int:
    """A port of 127.0.0.1 that refuses connections for the whole test:
    bound (so no one else gets it) but not listening."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.add_cleanup(sock.close)
    sock.bind(("127.0.0.1", 0))
    return sock.getsockname()[1]


# Real client programs.

def run_tool(t: Context, argv: list[str], env: dict[str, str]) -> bytes:
    """Run a client program to the end; its stdout. Fails if it is not
    installed or exits with an error."""
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env,
                                start_new_session=True)
    except FileNotFoundError:
        t.fail(hints.NOT_BUILT, f"{argv[0]} is not installed: install "
               f"{argv[0]} (make deps)")
    t.add_cleanup(functools.partial(end_tool, proc))
    with t.step(f"waiting for {argv[0]} to finish"):
        out, err = proc.communicate()
    if proc.returncode != 0:
        t.fail(hints.DIFFERS, f"{argv[0]} failed with status "
               f"{proc.returncode}", f"$ {' '.join(argv)}\n"
               f"{err.decode(errors='replace').strip()}")
    return out


def end_tool(proc: subprocess.Popen) -> None:
    """Kill a client program if it still runs, and reap it."""
    if proc.poll() is None:
        proc.kill()
    proc.communicate()


def tool_env(**settings: str) -> dict[str, str]:
    """The environment without any proxy settings but these."""
    env = {k: v for k, v in os.environ.items()
           if not k.lower().endswith("_proxy")}
    env.update(settings)
    return env
