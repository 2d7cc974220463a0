"""origin.py - a scripted HTTP origin server, the fixture of the proxy labs.

A test starts an Origin (on 127.0.0.1 or ::1, port 0), tells it what to
answer on each path, points the proxy at it and then asserts both ends:
what the client received through the proxy, and what the origin received
from the proxy. The origin records every connection as an Exchange: the
exact bytes of the request head, of the body Content-Length announced, and
of anything sent after it.

Each path is served by a Route: a reply (bytes sent exactly as given, so
chunked, close-delimited and malformed responses are all just bytes),
optionally sent in small pieces with pauses (trickle), or in two parts with
a gate the test opens in between; then the connection is closed, held open
until the fixture closes, or reset; or kept, as an HTTP/1.1 origin keeps
it, for the next request (each request on it an Exchange of its own); or
its next request is read and the connection closed without an answer (an
origin whose idle timeout ends the connection as a request arrives). An
empty reply closed at once is an origin that closes before its status
line.

Every thread is a daemon and every wait is bounded (by LIFETIME, and woken
by close()), so a forgotten origin can neither hang a test nor the grader;
close() wakes and joins everything, within netutil.JOIN_GRACE s.
"""
from __future__ import annotations
import contextlib
import http
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Union

import netutil
from bytediff import quote
from netutil import LIFETIME, READ_SIZE

CLOSE = "close"            # after the reply: close the connection (FIN)
HOLD = "hold"              # after the reply: say nothing until close()
RESET = "reset"            # after the reply: reset the connection (RST)
KEEP = "keep"              # after the reply: read and serve the next request
DROP = "drop"              # after the reply: read the next request, then
                           # close without answering it
AFTER_WORDS = {CLOSE: "closed", HOLD: "held open", RESET: "reset",
               KEEP: "kept", DROP: "dropped the next request on"}
AFTERWARDS = (CLOSE, HOLD, RESET, KEEP, DROP)
ACCEPTED = "accepted"      # wait_for: the connection was accepted
RECEIVED = "received"      # wait_for: its request has been read
FINISHED = "finished"      # wait_for: the connection is over

MAX_HEAD = 256 << 10       # request head bytes read at most
MAX_BODY = 64 << 20        # request body bytes read at most
MAX_EXTRA = 1 << 20        # bytes kept of what follows the request
MAX_LINE = 4096            # a chunk size line chunked_end takes
HEADER_END = (b"\r\n\r\n", b"\n\n")

Reply = Union[bytes, Callable[["Exchange"], bytes]]


@dataclass
class Exchange:
    """One request the origin received, and the bytes that came with it.

    Until stage 07 a proxy sends one request per connection: its head
    (through the blank line), then as many body bytes as its Content-Length
    says, or a chunked body through its last CRLF (as it came). Bytes that
    come after that are kept in extra. On a connection
    the route keeps (KEEP), each next request is an Exchange of its own,
    with the same connection number.
    """
    number: int                # 1 for the first request received
    peer: tuple                # the proxy's address and port
    connection: int = 0        # 1 for the first connection accepted
    head: bytes = b""          # request line and headers, blank line too
    body: bytes = b""          # the body bytes read (Content-Length)
    extra: bytes = b""         # bytes after the body, until the end
    complete: bool = False     # the whole head and body arrived
    error: str = ""            # why reading or answering stopped early
    received: bool = False     # reading the request is over
    finished: bool = False     # the connection is over

    @property
    def raw(self) -> bytes:
        """Every byte the origin received on this connection."""
        return self.head + self.body + self.extra

    @property
    def request_line(self) -> bytes:
        """The first line of the head, without its line ending."""
        return self.head.split(b"\n", 1)[0].rstrip(b"\r")

    @property
    def target(self) -> str:
        """The request-target of the request line ("" if it has none)."""
        parts = self.request_line.split(b" ")
        return parts[1].decode("latin-1") if len(parts) == 3 else ""

    def headers(self) -> list[tuple[str, str]]:
        """The header fields of the request, in order (see fields())."""
        return fields(self.head)

    def header(self, name: str) -> list[str]:
        """The values of every header field called name (any case)."""
        return field_values(self.head, name)


@dataclass
class Route:
    """How the origin answers a request for one path.

    reply is sent as given (or computed from the Exchange, if callable);
    with piece, in pieces of that many bytes, pause seconds apart; with
    gate, reply[:gate_at] first, then the rest once the test sets gate.
    afterwards is CLOSE, HOLD or RESET.
    """
    reply: Reply = b""
    afterwards: str = CLOSE
    piece: int = 0
    pause: float = 0.0
    gate: threading.Event | None = None
    gate_at: int = 0


def reason_phrase(status: int) -> str:
    """The usual reason phrase of status ("Not Found"), or "Status"."""
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Status"


def head(status: int, headers: Sequence[tuple[str, str]] = (), *,
         reason: str | None = None, version: str = "HTTP/1.1") -> bytes:
    """A response head: the status line, the headers, the blank line."""
    phrase = reason_phrase(status) if reason is None else reason
    lines = [f"{version} {status} {phrase}"]
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def response(status: int, body: bytes = b"",
             headers: Sequence[tuple[str, str]] = (), *,
             reason: str | None = None, version: str = "HTTP/1.1") -> bytes:
    """A complete response: head, Content-Length (after headers), body."""
    framed = [*headers, ("Content-Length", str(len(body)))]
    return head(status, framed, reason=reason, version=version) + body


def close_delimited(status: int, body: bytes = b"",
                    headers: Sequence[tuple[str, str]] = (), **kw) -> bytes:
    """A response without Content-Length: its body ends when the origin
    closes the connection (RFC 9112 section 6.3)."""
    return head(status, headers, **kw) + body


def chunk(data: bytes, extension: bytes = b"") -> bytes:
    """One chunk of a chunked body: size in hex, the extension (";name=v",
    as given), CRLF, data, CRLF."""
    return b"%x%s\r\n%s\r\n" % (len(data), extension, data)


def last_chunk(trailers: Sequence[tuple[str, str]] = (),
               extension: bytes = b"") -> bytes:
    """The end of a chunked body: the chunk of size 0 (with extension),
    the trailer fields and the empty line (RFC 9112 section 7.1.2)."""
    fields = "".join(f"{name}: {value}\r\n" for name, value in trailers)
    return b"0" + extension + b"\r\n" + fields.encode("latin-1") + b"\r\n"


def chunked(status: int, pieces: Sequence[bytes],
            headers: Sequence[tuple[str, str]] = (),
            trailers: Sequence[tuple[str, str]] = (), **kw) -> bytes:
    """A response with Transfer-Encoding: chunked, one chunk per piece,
    ending with the last chunk and the trailers given (RFC 9112 section
    7.1)."""
    body = b"".join(chunk(p) for p in pieces if p) + last_chunk(trailers)
    return chunked_as_is(status, body, headers, **kw)


def chunked_as_is(status: int, body: bytes,
                  headers: Sequence[tuple[str, str]] = (), **kw) -> bytes:
    """A response with Transfer-Encoding: chunked whose body is given as
    it goes on the wire: chunks with extensions, trailers, a broken
    coding, bytes after the end."""
    framed = [*headers, ("Transfer-Encoding", "chunked")]
    return head(status, framed, **kw) + body


def both_framings(status: int, body: bytes = b"",
                  headers: Sequence[tuple[str, str]] = ()) -> bytes:
    """A response that says Content-Length and Transfer-Encoding: chunked
    at once, the body framed both ways (RFC 9112 section 6.3: a proxy
    answers 502)."""
    framed = [*headers, ("Content-Length", str(len(chunk(body)))),
              ("Transfer-Encoding", "chunked")]
    return head(status, framed) + chunk(body) + last_chunk()


def truncated(status: int, body: bytes, length: int,
              headers: Sequence[tuple[str, str]] = ()) -> bytes:
    """A response announcing Content-Length: length but holding only
    body (fewer bytes): the origin then closes mid-body."""
    return head(status, [*headers, ("Content-Length", str(length))]) + body


@dataclass(frozen=True)
class BrokenChunked:
    """A chunked body that breaks the coding: its bytes (after the head),
    how many of them are whole valid chunks (a proxy relays at least
    those), how many come before the first byte that breaks it (a strict
    decoder stops there at the latest: nothing from there on may reach a
    client), and what is wrong, for a failure message."""
    name: str
    body: bytes
    good: int
    valid: int
    wrong: str


def broken(name: str, good: bytes, bad: bytes, within: int,
           wrong: str) -> BrokenChunked:
    """A BrokenChunked: valid chunks good, then bad, whose byte within is
    the first that breaks the coding, then a chunk and a last chunk that
    a lenient decoder would go on to read."""
    return BrokenChunked(name, good + bad + b"5\r\nlater\r\n0\r\n\r\n",
                         len(good), len(good) + within, wrong)


# Chunked bodies a strict decoder (chunked.h) rejects but a lenient one
# reads as a whole body: each would make a proxy and the server behind it
# disagree on where the body ends.
BROKEN_CHUNKED = (
    broken("bare-lf", b"6\r\nhello\n\r\n", b"5\nhello\r\n", 1,
           "a size line ended by a bare LF"),
    broken("hex-prefix", b"", b"0x5\r\nhello\r\n", 1,
           "a size written '0x5' (strtoull's base 16 takes it)"),
    broken("space-before-size", b"3\r\nabc\r\n", b" 5\r\nhello\r\n", 0,
           "a space before the size (strtoull skips it)"),
    broken("signed-size", b"", b"+5\r\nhello\r\n", 0,
           "a size with a sign (strtoull takes '+')"),
    broken("overflowing-size", b"2\r\nab\r\n",
           b"10000000000000005\r\nhello\r\n", 16,
           "a size of 17 digits, 2^64 + 5: it wraps to 5 in 64 bits"),
    broken("no-crlf-after-data", b"5\r\nhello", b"XY", 0,
           "chunk data followed by 'XY' instead of CRLF"),
    broken("bad-trailer", b"4\r\nwxyz\r\n0\r\n", b"Bad Trailer: x\r\n\r\n",
           3, "a trailer line with a space in its name"),
    broken("long-line", b"", b"5;" + b"e" * 5000 + b"\r\nhello\r\n", 4094,
           "a size line of 5000 bytes, longer than CHUNKED_MAXLINE (4096 "
           "with its CRLF)"),
    broken("bare-lf-at-end", b"5\r\nhello\r\n", b"0\n\n", 1,
           "a last chunk and trailer section ended by bare LFs"),
)


def fields(head_bytes: bytes) -> list[tuple[str, str]]:
    """The header fields of a request or response head, in order, as
    (name, value) with the value's surrounding SP and HTAB removed; lines
    without a colon are left out."""
    found = []
    for line in head_bytes.split(b"\n")[1:]:
        name, colon, value = line.rstrip(b"\r").partition(b":")
        if colon:
            found.append((name.decode("latin-1"),
                          value.strip(b" \t").decode("latin-1")))
    return found


def field_values(head_bytes: bytes, name: str) -> list[str]:
    """The values of every header field of a head called name (any case)."""
    return [v for n, v in fields(head_bytes) if n.lower() == name.lower()]


def head_end(data: bytes | bytearray) -> int:
    """The length of the head at the start of data (through its blank
    line, CRLF or bare LF), or 0 when the blank line has not come yet."""
    ends = [data.find(mark) + len(mark) for mark in HEADER_END
            if mark in data]
    return min(ends) if ends else 0


def chunked_end(data: bytes, start: int) -> int | None:
    """Where the chunked body that starts at data[start] ends (after its
    trailer section), or None while it has not all come. Raises
    ValueError, saying where, when it breaks the coding."""
    at = start
    while True:
        eol = data.find(b"\r\n", at)
        if eol < 0:
            if len(data) - at > MAX_LINE:
                raise ValueError(f"a chunk size line at byte {at} runs on "
                                 f"for more than {MAX_LINE} bytes")
            return None
        size, semi, _ = data[at:eol].partition(b";")
        size = size.rstrip(b" \t") if semi else size   # BWS before ';'
        if not 1 <= len(size) <= 16 or size.strip(b"0123456789abcdefABCDEF"):
            raise ValueError(f"the chunk size line at byte {at} is "
                             f"'{quote(data[at:eol][:40])}'")
        at = eol + 2
        if int(size, 16) == 0:
            break
        at += int(size, 16)
        if len(data) < at + 2:
            return None
        if data[at:at + 2] != b"\r\n":
            raise ValueError(f"the chunk data ending at byte {at} is not "
                             "followed by CRLF")
        at += 2
    while True:     # the trailer section, up to its empty line
        eol = data.find(b"\r\n", at)
        if eol < 0:
            return None
        if eol == at:
            return at + 2
        at = eol + 2


def is_chunked(head_bytes: bytes) -> bool:
    """Whether a request head says its body comes in chunks: a
    Transfer-Encoding field whose last coding is chunked."""
    return any(value.split(",")[-1].strip().lower() == "chunked"
               for value in field_values(head_bytes, "Transfer-Encoding"))


def content_length(head_bytes: bytes) -> int:
    """The Content-Length of a head, 0 when it has none.

    Raises ValueError when it is not one decimal number.
    """
    for line in head_bytes.split(b"\n")[1:]:
        name, colon, value = line.partition(b":")
        if colon and name.strip().lower() == b"content-length":
            value = value.strip()
            if not value.isdigit():
                raise ValueError(f"Content-Length {value!r}")
            return int(value)
    return 0


def path_of(target: str) -> str:
    """The path and query of a request-target, absolute-form or not."""
    if "://" in target:
        rest = target.split("://", 1)[1]
        slash = rest.find("/")
        return rest[slash:] if slash >= 0 else "/"
    return target


class Origin:
    """A threaded HTTP origin server on port 0 that answers as told.

    Use it as a fixture: origin = t.use(Origin()); origin.close() ends it.
    host is "127.0.0.1" or "::1"; port 0 (the tests' choice) picks a free
    one, and port is set once it listens.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        # said of each connection as it goes (V=1, TRACE=1): number, what
        self.narrate: Callable[[int, str], None] = lambda number, what: None
        self._listener = netutil.listen(host, port, 64)
        self.port: int = self._listener.getsockname()[1]
        self._routes: dict[str, Route] = {}
        self._fallback = Route(response(404, b"origin: no such path\n"))
        self._exchanges: list[Exchange] = []
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        netutil.spawn(self._threads, netutil.accept_loop, "origin accept",
                      self._listener, self._stopping, self._changed,
                      self._admit)

    @property
    def authority(self) -> str:
        """"host:port" as a URI writes it ("[::1]:port" for IPv6)."""
        return netutil.authority(self.host, self.port)

    def url(self, path: str) -> str:
        """The absolute URI of path on this origin."""
        return f"http://{self.authority}{path}"

    def route(self, path: str, reply: Reply = b"", afterwards: str = CLOSE,
              **options) -> str:
        """Answer requests for path (the origin-form target, query
        included) as Route(reply, afterwards, **options) says; returns the
        path's absolute URI."""
        if afterwards not in AFTERWARDS:
            raise ValueError(f"afterwards must be one of {AFTERWARDS}")
        with self._changed:
            self._routes[path] = Route(reply, afterwards, **options)
        return self.url(path)

    def direct(self, path: str) -> bytes:
        """The bytes a client fetching path straight from this origin
        receives: what a proxy must relay unchanged."""
        reply = self._route_for(path).reply
        if callable(reply):
            raise TypeError(f"the reply for {path} is computed per request")
        return reply

    @property
    def connections(self) -> int:
        """How many connections the origin has accepted."""
        with self._changed:
            return self._connection_count()

    @property
    def exchanges(self) -> list[Exchange]:
        """Every request so far (one per connection accepted, and each
        next request on a kept one), in order."""
        with self._changed:
            return list(self._exchanges)

    def wait_for(self, count: int, until: str = RECEIVED,
                 timeout: float = LIFETIME) -> list[Exchange]:
        """Wait until count exchanges are ACCEPTED (their connection, or
        their first byte on a kept one), have their request RECEIVED (read,
        whole or not) or are FINISHED, and return the exchanges so far. Returns early, with fewer, after timeout seconds
        or once the origin is closed."""

        def ready(e: Exchange) -> bool:
            return until == ACCEPTED or getattr(e, until)

        def done() -> bool:
            return self._stopping.is_set() or \
                sum(map(ready, self._exchanges)) >= count

        if until not in (ACCEPTED, RECEIVED, FINISHED):
            raise ValueError(f"cannot wait until {until!r}")
        with self._changed:
            self._changed.wait_for(done, timeout)
            return list(self._exchanges)

    def close(self) -> None:
        """Stop: wake every thread (held replies end, gates open), close
        every socket, and join the threads for at most JOIN_GRACE s."""
        self._stopping.set()
        with self._changed:
            sockets = [self._listener, *self._sockets]
            gates = [r.gate for r in self._routes.values() if r.gate]
            self._changed.notify_all()
        for gate in gates:
            gate.set()
        netutil.shutdown_all(sockets)
        # The accept thread comes first: once it has ended, no thread is
        # added, and join_all sees any it added before.
        netutil.join_all(self._threads)
        for sock in sockets:
            sock.close()

    def _admit(self, conn: socket.socket,
               peer: tuple) -> Callable[[], None]:
        """Record a connection just accepted (under the lock); returns
        what starts its thread."""
        exchange = Exchange(len(self._exchanges) + 1, peer,
                            connection=self._connection_count() + 1)
        self._exchanges.append(exchange)
        self.narrate(exchange.number, f"accepted the proxy's connection "
                     f"from port {peer[1]}")
        self._sockets.add(conn)
        self._changed.notify_all()
        return lambda: netutil.spawn(
            self._threads, self._serve, f"origin conn {exchange.number}",
            conn, exchange)

    def _connection_count(self) -> int:
        """connections, for a caller that holds the lock."""
        return len({e.connection for e in self._exchanges})

    def _next_on(self, conn: socket.socket,
                 last: Exchange) -> Exchange | None:
        """Wait for the next request on a kept connection: the Exchange it
        starts (once its first byte is in), or None when the proxy closed
        the connection (or the origin is closing)."""
        try:
            if not conn.recv(1, socket.MSG_PEEK):
                return None
        except OSError:
            return None
        with self._changed:
            if self._stopping.is_set():
                return None
            exchange = Exchange(len(self._exchanges) + 1, last.peer,
                                connection=last.connection)
            self._exchanges.append(exchange)
            self._changed.notify_all()
        self._note(last, finished=True)
        self.narrate(exchange.number, "a next request on the kept "
                     f"connection {last.connection}")
        return exchange

    def _route_for(self, target: str) -> Route:
        """The route of a request-target, or the fallback 404."""
        with self._changed:
            return self._routes.get(path_of(target), self._fallback)

    def _note(self, exchange: Exchange, **changes) -> None:
        """Update exchange under the lock and wake the waiters."""
        with self._changed:
            for name, value in changes.items():
                setattr(exchange, name, value)
            self._changed.notify_all()

    def _serve(self, conn: socket.socket, exchange: Exchange) -> None:
        """One connection: read the request, answer as its route says,
        then close, hold, reset, serve the next request (KEEP) or read it
        and close (DROP); every failure ends just this one."""
        afterwards = CLOSE
        try:
            while self._read_request(conn, exchange):
                route = self._route_for(exchange.target)
                afterwards = route.afterwards
                self._answer(conn, route, exchange)
                if afterwards not in (KEEP, DROP):
                    break
                following = self._next_on(conn, exchange)
                if following is None:
                    break
                exchange = following
                if afterwards == DROP:
                    self._read_request(conn, exchange)
                    break
            if afterwards in (CLOSE, DROP):
                self._finish_reading(conn, exchange)
            elif afterwards == HOLD:
                self._stopping.wait(LIFETIME)
        except OSError as exc:
            if not exchange.error:
                self._note(exchange, error=f"{type(exc).__name__}: {exc}")
        finally:
            if afterwards == RESET:
                with contextlib.suppress(OSError):
                    netutil.linger_zero(conn)
            with self._changed:
                self._sockets.discard(conn)
            conn.close()
            self._note(exchange, received=True, finished=True)
            self.narrate(exchange.number, "connection over")

    def _read_request(self, conn: socket.socket, exchange: Exchange) -> bool:
        """Read one request head and its Content-Length body into
        exchange; False (with exchange.error) when it did not all come."""
        data = bytearray()
        end = 0
        try:
            while not (end := head_end(data)):
                if len(data) > MAX_HEAD or not self._recv(conn, data):
                    raise EOFError("the request head ended early")
            if is_chunked(bytes(data[:end])):
                length = self._read_chunked(conn, data, end)
            else:
                length = content_length(bytes(data[:end]))
            if length > MAX_BODY:
                raise ValueError(f"a body of {length} bytes is too long")
            while len(data) < end + length:
                if not self._recv(conn, data, end + length - len(data)):
                    raise EOFError("the request body ended early")
        except (EOFError, ValueError) as exc:
            self._note(exchange, head=bytes(data[:end or len(data)]),
                       body=bytes(data[end:]) if end else b"",
                       error=str(exc), received=True)
            return False
        self._note(exchange, head=bytes(data[:end]),
                   body=bytes(data[end:end + length]),
                   extra=bytes(data[end + length:]), complete=True,
                   received=True)
        self.narrate(exchange.number, f"received "
                     f"'{exchange.request_line.decode('latin-1')}' "
                     f"({end} bytes of head, {length} of body)")
        return True

    def _read_chunked(self, conn: socket.socket, data: bytearray,
                      end: int) -> int:
        """Read a chunked request body (the head ends at end) through its
        last CRLF; returns its length on the wire. Raises ValueError when
        it breaks the coding, EOFError when it ends early."""
        while (body_end := chunked_end(bytes(data), end)) is None:
            if len(data) - end > MAX_BODY:
                raise ValueError("a chunked body too long")
            if not self._recv(conn, data):
                raise EOFError("the request's chunked body ended early")
        return body_end - end

    @staticmethod
    def _recv(conn: socket.socket, data: bytearray,
              most: int = READ_SIZE) -> bool:
        """Append what one recv returns to data; False at end of file."""
        chunk = conn.recv(min(most, READ_SIZE))
        data += chunk
        return bool(chunk)

    def _answer(self, conn: socket.socket, route: Route,
                exchange: Exchange) -> None:
        """Send the route's reply: whole, trickled, or around its gate."""
        reply = route.reply(exchange) if callable(route.reply) \
            else route.reply
        if route.gate is not None:
            self._send(conn, reply[:route.gate_at], route)
            self.narrate(exchange.number, f"sent {route.gate_at} bytes, "
                         "holds the rest")
            route.gate.wait(LIFETIME)
            reply = reply[route.gate_at:]
        self._send(conn, reply, route)
        self.narrate(exchange.number, f"sent {len(reply)} bytes, then "
                     f"{AFTER_WORDS[route.afterwards]} the connection")

    def _send(self, conn: socket.socket, data: bytes, route: Route) -> None:
        """Send data, in route.piece-byte pieces when it says so."""
        if route.piece <= 0:
            conn.sendall(data)
            return
        for start in range(0, len(data), route.piece):
            conn.sendall(data[start:start + route.piece])
            if self._stopping.wait(route.pause):
                return

    def _finish_reading(self, conn: socket.socket,
                        exchange: Exchange) -> None:
        """Close our side, then read what the proxy still sends until it
        closes too, keeping it in exchange.extra; closing with unread
        bytes would reset the connection and could destroy the reply."""
        conn.shutdown(socket.SHUT_WR)
        extra = bytearray(exchange.extra)
        while len(extra) < MAX_EXTRA and self._recv(conn, extra):
            pass
        self._note(exchange, extra=bytes(extra))
