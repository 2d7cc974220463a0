"""lab07.py - the graded tests of lab 07, kept client connections
(labs/07-persist/chunked.c and persist.c, around the given glue
common/stage/proxy07_persist.c).

Every test talks to the proxy as a keep-alive client does: it sends a
request, reads one answer as a client finds its end (no body after HEAD,
204 or 304; Content-Length bytes; a chunked body to the end of its
trailers), and sends the next request on the same socket. A second answer
on the same TCP connection is the proof that the connection was kept; an
end of file where an answer should be is a connection closed too early,
and a connection still open (for PATIENCE seconds) after an answer that
says "Connection: close" is one closed too late. Each answer is compared
byte for byte with what the origin sent, framed for the client as
persist.h says (kept(), relayed(), rechunked(), decoded()).

The earlier labs' tests run the stage 07 program with -k 0, which closes
every connection after one answer (harness.EARLIER_MANNERS): these are the
tests that relay with keep-alive on. Hostile cases of kept connections
(smuggling after a good request) are hostile.tsv's stage 7 rows.

PROGRAM is "graded": a later stage keeps connections too.
"""
from __future__ import annotations
import select
import signal
import socket
import threading
import time
from collections.abc import Sequence

import harness
import hints
import procs
import units
from bytediff import quote, shell_printf
from client import (BINARY, BY_HAND, CURL, KIBIBYTE, MEBIBYTE, MISS_MARK,
                    SCRIPTED_ORIGIN, TEXT, Answer, binary, check_error_page,
                    first_line, fresh_path, get, kept, relayed, request, setup,
                    text, token)
from connect_target import Target
from dates import settled
from harness import Context, TestTimeout, expect_stop, test
from hints import Failure, Pending
from netutil import abort
from origin import (BROKEN_CHUNKED, CLOSE, DROP, HOLD, KEEP, RESET, Origin,
                    chunked_end,
                    both_framings, chunk, chunked, chunked_as_is,
                    close_delimited, field_values, head, head_end, last_chunk,
                    response, truncated)
from procs import fd_count, fd_targets, proc_entries
from tunnels import Tunnel, check_established, connect_request, expect, \
    round_trip

TITLE = "kept client connections"
PROGRAM = "graded"

PATIENCE = 2.0           # seconds a test waits for the next byte of an
                         # answer, or for a connection to end, before it
                         # judges what came (times the run's factors)
UNTIL_CLOSE = -1         # answer_end: the body runs to the end of file
POOL = 2                 # the -n of the idle-clients test
IDLE_CLIENTS = 50        # kept clients idling at once
SERVED_WITHIN = 1.0      # seconds a new client waits for its answer then
SHORT_KEEP_MS = 400      # the -k of the idle timeout tests
POLL = 0.005             # seconds between two looks at /proc
FD_CLIENTS = 40          # kept connections of the descriptor test
BURST = 16               # kept clients at once in the ThreadSanitizer test
EXTENSIONS = (b";lang=en", b' ; q = "a \\"b\\""', b";flag", b";x=1;y=two")
NC = "nc -N 127.0.0.1 {port}"
CLIENT_SIDE = ("-u", "0")  # the tests of lab7.1 to lab7.4 and of the
                           # waiting room: no origin connection kept, so
                           # that they need no pool (lab7.5, lab7.6)

FRAMER_HINT = "persist_framer_write gathers the head (it may come in " \
    "several writes, with body bytes behind it in the last one), sends " \
    "persist_format_head's version once it is whole, then relays the body " \
    "as persist_body_of decided: a Content-Length body up to its length, " \
    "a chunked one through chunked_decode up to chunked_done (the bytes " \
    "after it are dropped), a body without length to an HTTP/1.1 client " \
    "as one chunk per write, ended by persist_framer_end with '0\\r\\n\\r\\n'."
KEEP_HINT = "The proxy closed a connection it should have kept: " \
    "persist_client_wants is true for an HTTP/1.1 request without the " \
    "'close' option, and persist_framer_end returns true when the framer " \
    "decided to keep, its head went out and the body ended exactly (its " \
    "length, its last chunk and trailers, or the last chunk sent)."
CLOSE_HINT = "The proxy kept a connection it must close: after a request " \
    "from an HTTP/1.0 client, one with the 'close' option (any case, in " \
    "any Connection field), a body that ends with the origin's close or " \
    "that is decoded, and an answer that ended short of its framing or " \
    "broke its coding, persist_framer_end returns false (and the head " \
    "says 'Connection: close' whenever the framer does not keep)."
HEAD_HINT = "persist_format_head copies the status line and every field " \
    "line in order but Connection, Keep-Alive and Proxy-Connection (whole " \
    "names, any case: 'Connection-Info' is another field), and " \
    "Transfer-Encoding only when the body is decoded; then it adds " \
    "'Transfer-Encoding: chunked' for a re-framed body, 'Connection: " \
    "close' exactly when the connection is not kept, and the blank line."
DECODER_HINT = "chunked_decode is strict (chunked.h): a size is 1 to 16 " \
    "hex digits (no sign, no '0x', no space, no bare LF), extensions and " \
    "trailer lines follow the grammar, data is followed by exactly CRLF, " \
    "a line is at most CHUNKED_MAXLINE bytes. On a 400 the framer cuts " \
    "the answer there (nothing after the error goes out) and the " \
    "connection closes: nothing more is read from it."

HINTS = {
    hints.CLOSED: KEEP_HINT,
    hints.STAYS_OPEN: CLOSE_HINT,
    hints.DIFFERS: HEAD_HINT,
    hints.TRUNCATED: FRAMER_HINT,
    hints.EXTRA: "More bytes came than the answer's framing holds: the "
                 "framer sends at most Content-Length bytes, nothing after "
                 "a chunked body's trailers, and no body at all after HEAD, "
                 "204 or 304.",
    hints.TIMEOUT: "An answer never ended where its framing says, or a "
                   "request the client had sent was never answered. " +
                   FRAMER_HINT,
    hints.RESET: "The connection was reset: the proxy crashed, or closed "
                 "a connection with bytes unread. Its stderr below says "
                 "which.",
}


class Quiet(Exception):
    """Nothing came on a connection for PATIENCE seconds."""


# Talking on a kept connection.

def patience(t: Context, seconds: float = PATIENCE) -> float:
    """seconds, stretched as the test's limit is (--stretch, valgrind,
    ThreadSanitizer), and as valgrind's when the test runs the program
    under valgrind of its own accord."""
    factor = t.limit / t.test.timeout
    if not t.options.valgrind and any(p.valgrind_log is not None
                                      for p in t.programs):
        factor *= harness.VALGRIND_FACTOR
    return seconds * factor


class Conn:
    """A client connection that carries request after request: its
    socket, the bytes that came after the last answer read (pipelined
    answers come together), and how many answers it has had."""

    def __init__(self, t: Context, proxy: procs.Program,
                 label: str = "the client") -> None:
        self.sock = t.connect(proxy.port)
        self.label = label
        self.buf = bytearray()
        self.answers = 0

    def kept_so_far(self) -> str:
        """" (after 2 answers that kept it open)", or "" before any."""
        if not self.answers:
            return ""
        return f" (after {self.answers} answer{'s' * (self.answers > 1)} " \
            "that kept it open: no 'Connection: close')"


def send(t: Context, conn: Conn, data: bytes, what: str) -> None:
    """Send data on conn; fail if the proxy had closed it."""
    t.event(t.lane_of(conn.sock), f"sending {len(data)} bytes: "
            f"'{quote(data[:60])}'{'...' if len(data) > 60 else ''}")
    try:
        conn.sock.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        t.fail(hints.CLOSED, f"{conn.label}: the proxy had closed the "
               f"connection before {what} could be sent"
               f"{conn.kept_so_far()}")


def receive_more(t: Context, conn: Conn, within: float = PATIENCE) -> bool:
    """Append what conn's next recv brings to conn.buf; False at end of
    file (or a reset). Raises Quiet after within seconds (stretched) of
    nothing."""
    conn.sock.settimeout(patience(t, within))
    try:
        chunk = conn.sock.recv(65536)
    except TestTimeout:
        raise
    except socket.timeout:
        raise Quiet() from None
    except ConnectionResetError:
        chunk = b""
    finally:
        conn.sock.settimeout(t.limit)
    conn.buf += chunk
    return bool(chunk)


def dechunk(body: bytes) -> bytes:
    """The data of a whole, valid chunked body."""
    data, at = bytearray(), 0
    while True:
        eol = body.index(b"\r\n", at)
        size = int(body[at:eol].split(b";")[0].rstrip(b" \t"), 16)
        if size == 0:
            return bytes(data)
        data += body[eol + 2:eol + 2 + size]
        at = eol + 2 + size + 2


def answer_end(data: bytes, method: str) -> int | None:
    """Where the first answer in data ends, as a client finds it (RFC
    9112 section 6.3): None while it has not all come, UNTIL_CLOSE when
    its body runs to the end of the connection. Raises ValueError when it
    cannot be read (a bad status line, a broken chunked body)."""
    end = head_end(data)
    if not end:
        return None
    words = first_line(data).split(b" ")
    if len(words) < 2 or not words[1].isdigit():
        raise ValueError(f"the status line is '{quote(first_line(data))}'")
    status = int(words[1])
    if method == "HEAD" or status in (204, 304) or status < 200:
        return end
    codings = field_values(data[:end], "Transfer-Encoding")
    if codings:
        if codings[-1].split(",")[-1].strip().lower() == "chunked":
            return chunked_end(data, end)
        return UNTIL_CLOSE
    lengths = field_values(data[:end], "Content-Length")
    if lengths:
        if not lengths[0].isdigit():
            raise ValueError(f"its Content-Length is '{lengths[0]}'")
        return end + int(lengths[0]) if len(data) >= end + int(lengths[0]) \
            else None
    return UNTIL_CLOSE


def unmarked(data: bytes) -> bytes:
    """data without the "X-Cache: MISS" line stage 05's glue adds after
    the status line of a GET relayed from an origin."""
    cut = data.find(b"\n") + 1
    if cut and data.startswith(MISS_MARK, cut):
        return data[:cut] + data[cut + len(MISS_MARK):]
    return data


def read_answer(t: Context, conn: Conn, want: bytes, what: str,
                method: str = "GET", within: float = PATIENCE) -> bytes:
    """Read conn's next answer as a client finds its end; return it
    without the MISS mark, a Date the proxy added settled as want has it.
    Fails, comparing with want, when the connection ends or goes quiet
    for within seconds (stretched) before the answer's end."""
    pending = Pending(what, want, eof=False)
    with t.step(f"waiting for {what}", pending):
        while True:
            try:
                end = answer_end(bytes(conn.buf), method)
            except ValueError as exc:
                failure = hints.mismatch(
                    settled(unmarked(bytes(conn.buf)), want), want, what)
                raise Failure(hints.DIFFERS, f"{what}: a client cannot "
                              f"read this answer: {exc}", failure.detail)
            if end is not None and end != UNTIL_CLOSE:
                break
            pending.got[:] = settled(unmarked(bytes(conn.buf)), want)
            try:
                more = receive_more(t, conn, within)
            except Quiet:
                quiet(t, conn, want, what, end, within)
            if not more:
                if end == UNTIL_CLOSE:
                    end = len(conn.buf)
                    break
                ended(t, conn, want, what)
    got = bytes(conn.buf[:end])
    del conn.buf[:end]
    t.event(t.lane_of(conn.sock), f"received an answer of {len(got)} bytes")
    return settled(unmarked(got), want)


def quiet(t: Context, conn: Conn, want: bytes, what: str,
          end: int | None, within: float = PATIENCE) -> None:
    """Fail: the answer stopped short of its end and nothing came for
    within seconds (stretched)."""
    got = settled(unmarked(bytes(conn.buf)), want)
    waited = f"{patience(t, within):g} s"
    if end == UNTIL_CLOSE:
        t.fail(hints.STAYS_OPEN, f"{what}: the answer has neither "
               "Content-Length nor chunked framing, so only the close can "
               f"end it, but the connection stayed open ({waited}): a body "
               "without length goes to an HTTP/1.1 client in chunks "
               "(PERSIST_RECHUNK), and as it came only to a client whose "
               "connection then closes", hints.mismatch(got, want,
                                                        what).detail)
    if not got:
        failure = Failure(hints.TIMEOUT, f"{what}: nothing came for {waited}"
                          f"{conn.kept_so_far()}",
                          hints.mismatch(got, want, what).detail)
    elif got == want:
        failure = Failure(hints.TIMEOUT, f"{what}: the whole answer came, but "
                          "its framing says more is due, and nothing more "
                          f"came for {waited}")
    else:
        failure = hints.mismatch(got, want, what)
        failure.summary += f", then nothing more for {waited}"
    raise failure


def ended(t: Context, conn: Conn, want: bytes, what: str) -> None:
    """Fail: the connection ended before the answer's end."""
    got = settled(unmarked(bytes(conn.buf)), want)
    if not got:
        t.fail(hints.CLOSED, f"{what}: the proxy closed the connection "
               f"without answering{conn.kept_so_far()}")
    failure = hints.mismatch(got, want, what)
    failure.summary += ", then the proxy closed the connection"
    raise failure


def expect_answer(t: Context, conn: Conn, want: bytes, what: str,
                  method: str = "GET", within: float = PATIENCE) -> bytes:
    """Read conn's next answer and fail unless it is want, byte for byte
    (a Date the proxy added standing as want has it); within is how long
    it may keep the client waiting for a byte."""
    got = read_answer(t, conn, want, what, method, within)
    if got != want:
        raise hints.mismatch(got, want, what)
    conn.answers += 1
    return got


def ask(t: Context, conn: Conn, data: bytes, want: bytes, what: str,
        method: str = "GET") -> bytes:
    """Send a request on conn and expect its answer, want."""
    send(t, conn, data, what)
    return expect_answer(t, conn, want, what, method)


def expect_closed(t: Context, conn: Conn, what: str, why: str) -> None:
    """Fail unless the connection ends (end of file or reset) with
    nothing more: why says why it must."""
    data = bytearray(conn.buf)
    conn.buf.clear()
    with t.step(f"waiting for the proxy to close the connection after "
                f"{what}"):
        try:
            while len(data) < harness.RECEIVE_SLACK and \
                    receive_more(t, conn):
                data += conn.buf
                conn.buf.clear()
        except Quiet:
            came = f"; {len(data)} more bytes came first" if data else ""
            t.fail(hints.STAYS_OPEN, f"{what}: the connection was still "
                   f"open {patience(t):g} s after it, but {why}{came}",
                   quote(bytes(data[:300])) if data else "")
    if data:
        t.fail(hints.EXTRA, f"{what}: {len(data)} bytes came after it, "
               f"where the connection should just end ({why})",
               f"after the answer came:\n  {quote(bytes(data[:300]))}")
    t.event(t.lane_of(conn.sock), "end of file")


def read_to_close(t: Context, conn: Conn, limit: int,
                  what: str) -> tuple[bytes, bool]:
    """What comes on conn, up to limit bytes, until the proxy closes it or
    goes quiet; and whether it closed."""
    data = bytearray(conn.buf)
    conn.buf.clear()
    closed = False
    with t.step(f"waiting for {what}"):
        try:
            while len(data) < limit:
                if not receive_more(t, conn):
                    closed = True
                    break
                data += conn.buf
                conn.buf.clear()
        except Quiet:
            pass
    return bytes(data), closed


def expect_cut(t: Context, conn: Conn, want: bytes, valid: int,
               what: str, why: str, least: int = 0) -> None:
    """The answer breaks its framing after valid bytes of want: fail
    unless what comes is a prefix of want no longer than valid (and no
    shorter than least), then the end of the connection."""
    data, closed = read_to_close(t, conn, len(want) + harness.RECEIVE_SLACK,
                                 f"{what} and the end of the connection")
    got = settled(unmarked(data), want)
    if not want.startswith(got[:valid]):
        raise hints.mismatch(got, want, what)
    if len(got) > valid:
        failure = hints.mismatch(got, want[:valid], what)
        t.fail(hints.EXTRA, f"{what}: {len(got) - valid} bytes came past "
               f"the point where {why}: nothing from there on may reach the "
               "client", failure.detail)
    if len(got) < least:
        failure = hints.mismatch(got, want[:least], what)
        failure.summary += f": the head and the {least - head_end(want)} " \
            "bytes of whole chunks before the error must come first"
        raise failure
    if not closed:
        t.fail(hints.STAYS_OPEN, f"{what}: the connection was still open "
               f"{patience(t):g} s after the answer was cut short ({why}): "
               "a client could not tell where the next answer starts, so "
               "the connection must close", quote(got[-200:]))


def still_open(t: Context, conn: Conn, what: str) -> None:
    """Fail if the proxy has closed conn, or sent more, by now."""
    readable, _, _ = select.select([conn.sock], [], [], 0)
    if not readable:
        return
    try:
        data = conn.sock.recv(65536, socket.MSG_PEEK)
    except ConnectionResetError:
        data = b""
    if not data:
        t.fail(hints.CLOSED, f"{conn.label}: the proxy closed the connection "
               f"after {what}{conn.kept_so_far()}")
    t.fail(hints.EXTRA, f"{conn.label}: {len(data)} bytes came after {what}, "
           "before any other request", quote(data[:300]))


# What a client receives, framed for its connection.

def rechunked_head(reply: bytes) -> bytes:
    """The head an HTTP/1.1 client receives of a reply without length,
    which the proxy re-frames in chunks: kept()'s, with
    'Transfer-Encoding: chunked' before its blank line."""
    want = kept(reply)
    end = head_end(want)
    return want[:end - 2] + b"Transfer-Encoding: chunked\r\n\r\n"


def decoded(reply: bytes) -> bytes:
    """What an HTTP/1.0 client receives of a chunked reply: relayed()'s
    head without Transfer-Encoding, and the data of the chunks."""
    want = relayed(reply)
    end = head_end(want)
    lines = want[:end].split(b"\r\n")
    kept_lines = [line for line in lines
                  if not line.lower().startswith(b"transfer-encoding:")]
    return b"\r\n".join(kept_lines) + dechunk(want[end:])


def get10(origin: Origin, path: str,
          headers: Sequence[tuple[str, str]] = ()) -> bytes:
    """An HTTP/1.0 GET of path on origin, as a browser sends it to a
    proxy."""
    return request("GET", origin.url(path),
                   [("Host", origin.authority), *headers],
                   version="HTTP/1.0")


def closing(origin: Origin, path: str,
            option: str = "close") -> bytes:
    """An HTTP/1.1 GET of path that asks the proxy to close afterwards."""
    return get(origin, path, [("Connection", option)])


# Reproduce-by-hand lines: requests typed at the proxy, to the scripted
# origin (make origin, tests/grade/origin_tool.py).

def hand_get(path: str, headers: Sequence[tuple[str, str]] = (),
             version: str = "HTTP/1.1", method: str = "GET") -> bytes:
    """A request for path on the scripted origin, typed by hand."""
    return request(method, f"http://{BY_HAND}{path}",
                   [("Host", BY_HAND), *headers], version=version)


def typed(*requests: bytes) -> str:
    """The shell command that types requests at the proxy on one
    connection, with the scripted origin running."""
    return f"{SCRIPTED_ORIGIN} {shell_printf(b''.join(requests))} | {NC}"


def reuse_line(*paths: str) -> str:
    """curl fetching paths on one connection: it says 'Re-using existing
    connection' for each after the first."""
    urls = " ".join(f"http://{BY_HAND}{p} -o /dev/null" for p in paths)
    return f"{SCRIPTED_ORIGIN} {CURL} -v {urls} 2>&1 | grep -i -e '^< ' " \
        "-e 're-us' -e 'closing connection'"


# The tests: one connection, request after request.

@test(9, "request after request on one connection (GET, a 20 KiB binary "
         "POST, a 404, an empty body): each answer byte for byte as the "
         "origin sent it, without 'Connection: close', and the connection "
         "carries the next request",
      rules=("7.2.a",))
def keepalive_sequential(t: Context) -> None:
    proxy, origin = setup(t, CLIENT_SIDE)
    t.reproduce(reuse_line("/hello.txt", "/binary.bin", "/hello.txt"))
    conn = Conn(t, proxy)
    first = fresh_path(t, "seq", ".txt")
    origin.route(first, response(200, text(t, 2000), TEXT))
    ask(t, conn, get(origin, first), kept(origin.direct(first)),
        "the answer to the first GET")
    still_open(t, conn, "the first answer")
    upload = fresh_path(t, "upload")
    body = binary(t, 20 * KIBIBYTE)
    origin.route(upload, lambda e: response(200, e.body, BINARY))
    ask(t, conn, get(origin, upload, [("Content-Type", BINARY[0][1])],
                     method="POST", body=body),
        kept(response(200, body, BINARY)), "the answer to a 20 KiB POST, the "
        "second request on the connection")
    lost = fresh_path(t, "lost")
    ask(t, conn, get(origin, lost), kept(origin.direct(lost)),
        "the origin's 404, the third request on the connection")
    empty = fresh_path(t, "empty")
    origin.route(empty, response(200, b"", [("X-Token", token(t))]))
    ask(t, conn, get(origin, empty), kept(origin.direct(empty)),
        "an answer with Content-Length: 0, the fourth")
    ask(t, conn, get(origin, first), kept(origin.direct(first)),
        "the answer to the fifth request, the first GET again")
    targets = [e.target for e in origin.exchanges]
    want = [origin.url(p) for p in (first, upload, lost, empty, first)]
    if [path_only(x) for x in targets] != [path_only(x) for x in want]:
        t.fail(hints.DIFFERS, "the origin did not receive the five requests "
               "once each, in order", f"it received: {targets}")
    conn.sock.shutdown(socket.SHUT_WR)
    expect_closed(t, conn, "the client's end of file on an idle kept "
                  "connection", "a client that closes its side sends no "
                  "more requests")


def path_only(target: str) -> str:
    """The path of an absolute or origin-form target."""
    return "/" + target.split("/", 3)[3] if "://" in target else target


@test(5, "a request saying 'Connection: close' (any case, among other "
         "options, in a second Connection field) gets 'Connection: close' "
         "and the close right after its answer, even on a connection kept "
         "so far; a request sent behind it never reaches the origin",
      hints={hints.STAYS_OPEN: "persist_client_wants is false when any "
                               "Connection field of the request lists "
                               "'close', in any case "
                               "(http_is_connection_option looks at every "
                               "field and ignores case)."},
      rules=("7.2.b",))
def close_when_asked(t: Context) -> None:
    proxy, origin = setup(t, CLIENT_SIDE)
    t.reproduce(typed(hand_get("/hello.txt"),
                      hand_get("/hello.txt", [("Connection", "CLOSE")]),
                      hand_get("/binary.bin")))
    options = (["close"], ["Close"], ["keep-alive, CLOSE"],
               ["x-trace", "close"])
    for fields in options:
        said = ", then ".join(f"'Connection: {f}'" for f in fields)
        conn = Conn(t, proxy, f"the client that says {said}")
        path, last, never = (fresh_path(t, s) for s in ("a", "b", "never"))
        for p in (path, last, never):
            origin.route(p, response(200, text(t, 300), TEXT))
        ask(t, conn, get(origin, path), kept(origin.direct(path)),
            "the answer to a plain GET first")
        data = get(origin, last, [("Connection", f) for f in fields])
        ask(t, conn, data + get(origin, never), relayed(origin.direct(last)),
            f"the answer to a GET with {said} (a GET sent right behind it)")
        expect_closed(t, conn, f"the answer to the request with {said}",
                      "the request asked for the close (RFC 9112 section "
                      "9.6)")
        if any(path_only(e.target) == never for e in origin.exchanges):
            t.fail(hints.DIFFERS, f"the request sent behind the one with "
                   f"{said} reached the origin: after a 'close' request "
                   "nothing more is read from the connection")


@test(5, "an HTTP/1.0 request gets 'Connection: close' and the close after "
         "its answer, even with 'Connection: keep-alive' and an origin that "
         "says keep-alive; a request sent behind it never reaches the "
         "origin",
      hints={hints.STAYS_OPEN: "A proxy must not keep an HTTP/1.0 client's "
                               "connection (RFC 9112 section 9.3): "
                               "persist_client_wants is false unless "
                               "req->minor_version >= 1, whatever its "
                               "Connection field says."},
      rules=("7.2.b",))
def http10_closes(t: Context) -> None:
    proxy, origin = setup(t, CLIENT_SIDE)
    t.reproduce(typed(hand_get("/hello.txt", [("Connection", "keep-alive")],
                               version="HTTP/1.0"), hand_get("/hello.txt")))
    cases = (((), "an HTTP/1.0 GET"),
             ((("Connection", "keep-alive"),), "an HTTP/1.0 GET that says "
              "'Connection: keep-alive'"))
    for headers, label in cases:
        conn = Conn(t, proxy, f"the client of {label}")
        path, never = fresh_path(t, "old"), fresh_path(t, "never")
        origin.route(path, response(200, text(t, 400), [
            *TEXT, ("Connection", "keep-alive"),
            ("Keep-Alive", "timeout=30, max=100")]))
        origin.route(never, response(200, b"never\n", TEXT))
        ask(t, conn, get10(origin, path, headers) + get(origin, never),
            relayed(origin.direct(path)), f"the answer to {label}")
        expect_closed(t, conn, f"the answer to {label}", "a proxy must not "
                      "keep an HTTP/1.0 client's connection (RFC 9112 "
                      "section 9.3)")
        if any(path_only(e.target) == never for e in origin.exchanges):
            t.fail(hints.DIFFERS, f"the request sent behind {label} reached "
                   "the origin: the connection closes after the answer, and "
                   "nothing more is read from it")


# The tests: framing.

def chunked_with_everything(t: Context, data: bytes) -> bytes:
    """A chunked body of data in chunks of random sizes, with chunk
    extensions, upper-case and zero-padded sizes, and trailers."""
    body, at, n = bytearray(), 0, 0
    while at < len(data):
        size = min(len(data) - at, t.rng.randint(1, 700))
        piece = data[at:at + size]
        if n % 3 == 1:
            body += b"%X" % size + EXTENSIONS[n % len(EXTENSIONS)] + \
                b"\r\n" + piece + b"\r\n"
        elif n % 3 == 2:
            body += b"00%x\r\n" % size + piece + b"\r\n"
        else:
            body += chunk(piece, EXTENSIONS[n % len(EXTENSIONS)])
        at, n = at + size, n + 1
    return bytes(body) + last_chunk([("X-Checksum", token(t)),
                                     ("X-Empty", "")], b";end=1")


@test(7, "chunked answers go to an HTTP/1.1 client as they came, up to the "
         "end of their trailers (extensions, upper-case and zero-padded "
         "sizes, a body trickled in 7-byte pieces, bytes the origin sends "
         "after the end), and the connection carries the next request",
      hints={hints.TIMEOUT: "The answer's end never came: the framer "
                            "relays a chunked body up to chunked_done, the "
                            "empty line after the trailers included. "
                            + DECODER_HINT,
             hints.TRUNCATED: DECODER_HINT,
             hints.CLOSED: "The proxy closed the connection after a "
                           "chunked answer it should have kept: the "
                           "decoder must read extensions and trailers "
                           "(they are valid), and persist_framer_end keeps "
                           "once chunked_done is true. " + DECODER_HINT},
      rules=("7.1.a",))
def relay_chunked_kept(t: Context) -> None:
    proxy, origin = setup(t, CLIENT_SIDE)
    t.reproduce(typed(hand_get("/chunked-trailers"), hand_get("/chunked"),
                      hand_get("/hello.txt")))
    conn = Conn(t, proxy)
    full = fresh_path(t, "chunked-full")
    reply = chunked_as_is(200, chunked_with_everything(t, text(t, 3000)),
                          TEXT)
    origin.route(full, reply)
    ask(t, conn, get(origin, full), kept(reply), "a chunked answer with "
        "extensions and trailers")
    trickled = fresh_path(t, "chunked-trickled")
    reply = chunked(200, [binary(t, 200), binary(t, 1), binary(t, 150)],
                    BINARY, [("X-Sum", token(t))])
    origin.route(trickled, reply, piece=7, pause=0.001)
    ask(t, conn, get(origin, trickled), kept(reply), "a chunked binary "
        "answer the origin sends in 7-byte pieces")
    extra = fresh_path(t, "chunked-extra")
    reply = chunked(200, [text(t, 500)], TEXT)
    origin.route(extra, reply + b"HTTP/1.1 200 OK\r\nContent-Length: "
                 b"9\r\n\r\nsmuggled!")
    ask(t, conn, get(origin, extra), kept(reply), "a chunked answer the "
        "origin follows with bytes of its own (dropped: they are not part "
        "of the answer)")
    last = fresh_path(t, "after-chunked")
    origin.route(last, response(200, text(t, 300), TEXT))
    ask(t, conn, get(origin, last), kept(origin.direct(last)),
        "the answer to a GET after three chunked answers")


@test(7, "a chunked answer that breaks the coding (a bare LF, a size "
         "'0x5', ' 5' or '+5', one of 17 digits, no CRLF after the data, a "
         "bad trailer, a 5000-byte line) is cut there and the connection "
         "closes: nothing after the error reaches the client and the "
         "request sent behind it never reaches the origin",
      hints={hints.EXTRA: DECODER_HINT,
             hints.STAYS_OPEN: DECODER_HINT,
             hints.DIFFERS: DECODER_HINT},
      rules=("7.1.b",))
def chunked_malformed_closes(t: Context) -> None:
    proxy, origin = setup(t, CLIENT_SIDE)
    t.reproduce(typed(hand_get("/chunked-bad/hex-prefix"),
                      hand_get("/hello.txt")))
    for case in BROKEN_CHUNKED:
        conn = Conn(t, proxy, f"the client of the '{case.name}' case")
        path, never = fresh_path(t, case.name), fresh_path(t, "never")
        reply = chunked_as_is(200, case.body, TEXT)
        origin.route(path, reply)
        origin.route(never, response(200, b"never\n", TEXT))
        send(t, conn, get(origin, path) + get(origin, never),
             f"a GET whose chunked answer has {case.wrong}")
        want = kept(reply)
        valid = head_end(want) + case.valid
        expect_cut(t, conn, want, valid, f"the answer whose chunked body "
                   f"has {case.wrong}", f"the body breaks the coding "
                   f"({case.wrong})", head_end(want) + case.good)
        if any(path_only(e.target) == never for e in origin.exchanges):
            t.fail(hints.DIFFERS, f"after the answer with {case.wrong}, the "
                   "request sent behind it reached the origin: once an "
                   "answer is cut, nothing more is read from the "
                   "connection")


@test(5, "answers without a body (HEAD with Content-Length 5000, 204 and "
         "304 from an origin that then keeps its connection open) come "
         "without one, and the connection carries the next request",
      hints={hints.CLOSED: "An answer to HEAD and a 1xx, 204 or 304 has no "
                           "body whatever its Content-Length says: "
                           "persist_body_of returns PERSIST_NONE for them "
                           "(RFC 9112 section 6.3, rule 1), and such an "
                           "answer ends with its head.",
             hints.TIMEOUT: "An answer without a body never ended: "
                            "persist_body_of returns PERSIST_NONE for HEAD "
                            "and for 1xx, 204 and 304, before it looks at "
                            "Content-Length."},
      rules=("7.2.c",))
def bodiless_kept(t: Context) -> None:
    proxy, origin = setup(t, CLIENT_SIDE)
    t.reproduce(typed(hand_get("/head-held", method="HEAD"),
                      hand_get("/no-content"), hand_get("/not-modified"),
                      hand_get("/hello.txt")))
    conn = Conn(t, proxy)
    headed = fresh_path(t, "head")
    origin.route(headed, head(200, [*TEXT, ("Content-Length", "5000")]),
                 HOLD)
    ask(t, conn, get(origin, headed, method="HEAD"),
        kept(origin.direct(headed)), "the answer to HEAD (Content-Length: "
        "5000, no body)", method="HEAD")
    empty = fresh_path(t, "no-content")
    origin.route(empty, head(204, [("X-Token", token(t))]), HOLD)
    ask(t, conn, get(origin, empty), kept(origin.direct(empty)),
        "a 204 No Content")
    same = fresh_path(t, "not-modified")
    origin.route(same, head(304, [("ETag", f'"{token(t)}"'),
                                  ("Content-Length", "1234")]), HOLD)
    ask(t, conn, get(origin, same, [("If-None-Match", '"x"')]),
        kept(origin.direct(same)), "a 304 Not Modified (Content-Length: "
        "1234, no body)")
    last = fresh_path(t, "after")
    origin.route(last, response(200, text(t, 500), TEXT))
    ask(t, conn, get(origin, last), kept(origin.direct(last)),
        "the answer to a GET after three answers without a body")


def read_rechunked(t: Context, conn: Conn, reply: bytes, what: str,
                   gate: threading.Event | None = None) -> None:
    """Expect an answer re-framed in chunks: kept()'s head with
    'Transfer-Encoding: chunked', then chunks whose data is the reply's
    body. With gate, the origin holds the body until the head has come."""
    want_head = rechunked_head(reply)
    body = reply[head_end(reply):]
    pending = Pending(what, want_head, eof=False)
    with t.step(f"waiting for the head of {what}", pending):
        while not head_end(conn.buf):
            pending.got[:] = unmarked(bytes(conn.buf))
            try:
                more = receive_more(t, conn)
            except Quiet:
                quiet(t, conn, want_head, what, None)
            if not more:
                ended(t, conn, want_head, what)
    got_head = settled(unmarked(bytes(conn.buf[:head_end(conn.buf)])),
                       want_head)
    if got_head != want_head:
        raise hints.mismatch(got_head, want_head, f"the head of {what}")
    if gate is not None:
        gate.set()
    sample = want_head + chunk(body) + last_chunk() if body else \
        want_head + last_chunk()
    got = read_answer(t, conn, sample, what)
    data = dechunk(got[head_end(got):])
    if data != body:
        failure = hints.mismatch(data, body, f"the data of the chunks of "
                                 f"{what}")
        failure.detail = f"the chunked body received:\n  " \
            f"{quote(got[head_end(got):][:400])}\n" + failure.detail
        raise failure
    conn.answers += 1


@test(6, "a body without length (the origin's close ends it) goes to an "
         "HTTP/1.1 client in chunks, with 'Transfer-Encoding: chunked' and "
         "a last chunk, and the connection is kept: an empty one, one whose "
         "head comes before its body, one trickled in; to an HTTP/1.0 "
         "client it goes as it came and the connection closes, and so does "
         "a body with a transfer coding other than chunked",
      hints={hints.TIMEOUT: "A re-framed body must end with the last chunk "
                            "'0\\r\\n\\r\\n', which persist_framer_end "
                            "sends once the writer says the body is "
                            "complete.",
             hints.DIFFERS: "A body without length to an HTTP/1.1 client "
                            "is PERSIST_RECHUNK: the head gets "
                            "'Transfer-Encoding: chunked' (and no "
                            "'Connection: close'), each write of body "
                            "bytes goes out as one chunk, and a write of "
                            "0 bytes sends nothing (an empty chunk is the "
                            "last chunk). " + HEAD_HINT},
      rules=("7.2.c",))
def rechunked_until_close(t: Context) -> None:
    proxy, origin = setup(t, CLIENT_SIDE)
    t.reproduce(typed(hand_get("/no-length"), hand_get("/hello.txt")))
    conn = Conn(t, proxy)
    empty = fresh_path(t, "no-length-empty")
    origin.route(empty, close_delimited(200, b"", [("X-Token", token(t))]))
    send(t, conn, get(origin, empty), "a GET of a body without length")
    read_rechunked(t, conn, origin.direct(empty), "an empty answer without "
                   "length, re-framed in chunks")
    gated = fresh_path(t, "no-length-gated")
    reply = close_delimited(200, text(t, 3000), TEXT)
    gate = threading.Event()
    origin.route(gated, reply, gate=gate, gate_at=head_end(reply))
    send(t, conn, get(origin, gated), "a GET of a body without length")
    read_rechunked(t, conn, reply, "an answer without length whose head "
                   "the origin sends before its body", gate)
    trickled = fresh_path(t, "no-length-trickled")
    reply = close_delimited(200, binary(t, 4000), BINARY, version="HTTP/1.0")
    origin.route(trickled, reply, piece=500, pause=0.002)
    send(t, conn, get(origin, trickled), "a GET of a body without length")
    read_rechunked(t, conn, reply, "a binary answer without length the "
                   "origin sends in 500-byte pieces")
    last = fresh_path(t, "after")
    origin.route(last, response(200, text(t, 300), TEXT))
    ask(t, conn, get(origin, last), kept(origin.direct(last)),
        "the answer to a GET after three re-framed answers")

    old = Conn(t, proxy, "the HTTP/1.0 client")
    plain = fresh_path(t, "no-length-old")
    origin.route(plain, close_delimited(200, text(t, 1000), TEXT))
    ask(t, old, get10(origin, plain), relayed(origin.direct(plain)),
        "an answer without length to an HTTP/1.0 client (as it came)")
    expect_closed(t, old, "an answer without length to HTTP/1.0", "only "
                  "the close ends that body for this client")

    coded = Conn(t, proxy, "the client of a gzip-coded answer")
    gzip = fresh_path(t, "gzip")
    origin.route(gzip, head(200, [*TEXT, ("Transfer-Encoding", "gzip")]) +
                 binary(t, 300))
    ask(t, coded, get(origin, gzip), relayed(origin.direct(gzip)),
        "an answer with 'Transfer-Encoding: gzip' (only the close ends it)")
    expect_closed(t, coded, "an answer with 'Transfer-Encoding: gzip'",
                  "a body whose last transfer coding is not chunked ends "
                  "with the close (RFC 9112 section 6.3, rule 3), so the "
                  "client's connection ends with it")


@test(5, "a chunked answer to an HTTP/1.0 client (which cannot read "
         "chunks) comes decoded, without Transfer-Encoding, and the "
         "connection closes; 'gzip, chunked' comes as it came",
      hints={hints.DIFFERS: "To an HTTP/1.0 client a body whose one coding "
                            "is chunked is PERSIST_DECHUNK: the head loses "
                            "Transfer-Encoding (persist_format_head), the "
                            "data of each chunk goes out (chunked_decode's "
                            "piece.data), and the connection closes. "
                            "With another coding too, the body goes as it "
                            "came (PERSIST_CLOSE)."},
      rules=("7.2.c",))
def dechunked_for_http10(t: Context) -> None:
    proxy, origin = setup(t, CLIENT_SIDE)
    t.reproduce(typed(hand_get("/chunked-trailers", version="HTTP/1.0")))
    conn = Conn(t, proxy, "the HTTP/1.0 client")
    path = fresh_path(t, "chunked-old")
    reply = chunked_as_is(200, chunked_with_everything(t, binary(t, 5000)),
                          BINARY)
    origin.route(path, reply, piece=333, pause=0.001)
    ask(t, conn, get10(origin, path), decoded(reply), "a chunked answer to "
        "an HTTP/1.0 client, decoded")
    expect_closed(t, conn, "the decoded answer", "an HTTP/1.0 client's "
                  "connection is never kept")
    conn = Conn(t, proxy, "the HTTP/1.0 client of 'gzip, chunked'")
    coded = fresh_path(t, "gzip-chunked")
    reply = chunked_as_is(200, chunk(binary(t, 100)) + last_chunk(),
                          [("Transfer-Encoding", "gzip")])
    origin.route(coded, reply)
    ask(t, conn, get10(origin, coded), relayed(reply), "an answer with "
        "'Transfer-Encoding: gzip' and 'chunked' to an HTTP/1.0 client, as "
        "it came")
    expect_closed(t, conn, "the 'gzip, chunked' answer", "the body ends "
                  "with the close for this client")


@test(5, "the proxy owns the connection's fields: the origin's Connection, "
         "Keep-Alive and Proxy-Connection never reach the client (but "
         "Connection-Info and Keep-Alive-Info do), Transfer-Encoding "
         "stays once on a chunked answer, and 'Connection: close' is there "
         "exactly when the proxy closes",
      hints={hints.DIFFERS: HEAD_HINT},
      rules=("7.3.a",))
def head_owned(t: Context) -> None:
    proxy, origin = setup(t, CLIENT_SIDE)
    t.reproduce(typed(hand_get("/hello.txt"), hand_get("/chunked"),
                      hand_get("/hello.txt", [("Connection", "close")])))
    fields = [("Connection", "keep-alive, X-Hop"), ("X-Hop", "secret"),
              ("Keep-Alive", "timeout=5, max=100"),
              ("Proxy-Connection", "keep-alive"),
              ("Connection-Info", token(t)), ("keep-alive-info", token(t)),
              ("X-Connection", "kept"), ("Date", "Sun, 06 Nov 1994 "
                                                 "08:49:37 GMT")]
    conn = Conn(t, proxy)
    path = fresh_path(t, "owned")
    origin.route(path, response(200, text(t, 200), [*TEXT, *fields]))
    ask(t, conn, get(origin, path), kept(origin.direct(path)),
        "an answer whose origin sent Connection, Keep-Alive and "
        "Proxy-Connection (and fields whose names start so)")
    coded = fresh_path(t, "owned-chunked")
    reply = chunked(200, [text(t, 300)], [*fields[:4], ("X-After", "te")])
    origin.route(coded, reply)
    ask(t, conn, get(origin, coded), kept(reply), "a chunked answer: its "
        "Transfer-Encoding stays, once")
    ask(t, conn, closing(origin, path), relayed(origin.direct(path)),
        "the same answer to a request that says 'Connection: close': the "
        "proxy's own 'Connection: close' last, once")
    expect_closed(t, conn, "the answer to 'Connection: close'",
                  "the request asked for it")


# The tests: what comes on one connection.

@test(7, "pipelined requests (five in one write: GET, a POST with a body, "
         "a chunked answer, HEAD, GET; then three sent in 9-byte pieces) "
         "are answered in order, each once, and no byte read past a "
         "request is lost",
      hints={hints.DIFFERS: "Answers come in the order of the requests, "
                            "each once. The glue serves the requests "
                            "already read at once; bytes the framer or the "
                            "decoder see past an answer's end belong to no "
                            "one and are dropped, never sent."},
      rules=("7.4.a",))
def pipelined_in_order(t: Context) -> None:
    proxy, origin = setup(t, CLIENT_SIDE)
    t.reproduce(typed(hand_get("/hello.txt"), hand_get("/chunked"),
                      hand_get("/hello.txt", method="HEAD"),
                      hand_get("/binary.bin")))
    first = fresh_path(t, "pipe")
    origin.route(first, response(200, text(t, 1500), TEXT))
    upload = fresh_path(t, "pipe-upload")
    body = binary(t, 5000)
    origin.route(upload, lambda e: response(200, e.body, BINARY))
    coded = fresh_path(t, "pipe-chunked")
    origin.route(coded, chunked(200, [text(t, 400), text(t, 90)], TEXT,
                                [("X-Trailer", token(t))]))
    headed = fresh_path(t, "pipe-head")
    origin.route(headed, response(200, text(t, 700), TEXT))
    last = fresh_path(t, "pipe-last")
    origin.route(last, response(200, binary(t, 3000), BINARY))
    requests = [
        (get(origin, first), kept(origin.direct(first)), "GET", first),
        (get(origin, upload, [("Content-Type", BINARY[0][1])],
             method="POST", body=body), kept(response(200, body, BINARY)),
         "POST", upload),
        (get(origin, coded), kept(origin.direct(coded)), "GET", coded),
        (get(origin, headed, method="HEAD"),
         kept(origin.direct(headed)[:head_end(origin.direct(headed))]),
         "HEAD", headed),
        (get(origin, last), kept(origin.direct(last)), "GET", last),
    ]
    conn = Conn(t, proxy)
    send(t, conn, b"".join(r[0] for r in requests), "five pipelined "
         "requests")
    for n, (_, want, method, path) in enumerate(requests, 1):
        expect_answer(t, conn, want, f"answer {n} of 5 pipelined ({method} "
                      f"{path})", method)
    check_order(t, origin, [r[3] for r in requests])
    again = requests[:3]
    data = b"".join(r[0] for r in again)
    with t.step("sending three more requests in 9-byte pieces"):
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for at in range(0, len(data), 9):
            send(t, conn, data[at:at + 9], "the pipelined requests")
            time.sleep(0.0005)
    for n, (_, want, method, path) in enumerate(again, 1):
        expect_answer(t, conn, want, f"answer {n} of 3 requests sent in "
                      f"9-byte pieces ({method} {path})", method)
    check_order(t, origin, [r[3] for r in requests + again])


def check_order(t: Context, origin: Origin, paths: list[str]) -> None:
    """Fail unless the origin received requests for paths, in order, each
    once."""
    got = [path_only(e.target) for e in origin.wait_for(
        len(paths), timeout=patience(t))]
    if got != paths:
        t.fail(hints.DIFFERS, "the origin did not receive the pipelined "
               "requests once each, in order",
               f"expected: {paths}\nreceived: {got}")


@test(5, "bodies go on byte for byte on a kept connection: a 3 MiB binary "
         "answer, a 1 MiB POST echoed back, an answer whose head and body "
         "the origin sends in 11-byte pieces, one with a 20 KiB head, then a "
         "small one",
      hints={hints.TRUNCATED: FRAMER_HINT, hints.DIFFERS: FRAMER_HINT},
      rules=("7.4.b",))
def relay_large_kept(t: Context) -> None:
    proxy, origin = setup(t, CLIENT_SIDE)
    t.reproduce(reuse_line("/binary.bin", "/binary.bin", "/hello.txt"))
    conn = Conn(t, proxy)
    big = fresh_path(t, "big", ".bin")
    origin.route(big, response(200, binary(t, 3 * MEBIBYTE), BINARY))
    ask(t, conn, get(origin, big), kept(origin.direct(big)), "a 3 MiB "
        "binary answer")
    upload = fresh_path(t, "upload")
    body = binary(t, MEBIBYTE)
    origin.route(upload, lambda e: response(200, e.body, BINARY))
    ask(t, conn, get(origin, upload, [("Content-Type", BINARY[0][1])],
                     method="POST", body=body),
        kept(response(200, body, BINARY)), "a 1 MiB POST body echoed back")
    split = fresh_path(t, "split")
    origin.route(split, response(200, text(t, 1000), TEXT), piece=11,
                 pause=0.0005)
    ask(t, conn, get(origin, split), kept(origin.direct(split)),
        "an answer the origin sends in 11-byte pieces, head included")
    large_head = fresh_path(t, "large-head")
    origin.route(large_head, response(200, text(t, 2000), [
        *TEXT, *((f"X-Large-{n}", token(t, 5000)) for n in range(4))]))
    ask(t, conn, get(origin, large_head), kept(origin.direct(large_head)),
        "an answer with a 20 KiB head (it reaches the framer in more than "
        "one write)")
    small = fresh_path(t, "small")
    origin.route(small, response(200, b"small\n", TEXT))
    ask(t, conn, get(origin, small), kept(origin.direct(small)),
        "a small answer after the large ones")


@test(4, "a cache hit (Age, X-Cache: HIT) then a miss go on the same kept "
         "connection, the hit byte for byte as stored and without "
         "'Connection: close'",
      hints={hints.DIFFERS: "A hit is written through the same framer as "
                            "a miss: the stored head (with the "
                            "'Connection: close' the proxy wrote then) and "
                            "the lines the cache adds come in several "
                            "writes; the framer gathers them, drops the "
                            "connection's fields and relays the body. " +
                            HEAD_HINT},
      rules=("7.4.b",))
def cache_hit_kept(t: Context) -> None:
    proxy, origin = setup(t, CLIENT_SIDE)
    t.reproduce(reuse_line("/cacheable", "/cacheable", "/hello.txt"))
    conn = Conn(t, proxy)
    path = fresh_path(t, "cached", ".txt")
    reply = response(200, text(t, 1500), [*TEXT, ("Cache-Control",
                                                  "max-age=600")])
    origin.route(path, reply)
    ask(t, conn, get(origin, path), kept(reply), "the first GET (a miss)")
    want = kept(reply)
    got = read_hit(t, conn, get(origin, path), want, "the second GET of "
                   "the same URL, a hit")
    answer = Answer(got)
    bare = settled(answer.bare, want)
    if answer.kind != "HIT" or bare != want:
        failure = hints.mismatch(bare, want, "the second GET of the same URL")
        failure.summary = f"the second GET of {path}: expected a hit (Age, " \
            f"X-Cache: HIT) with the stored bytes, but " \
            f"{answer.describe()}; {failure.summary}"
        raise failure
    conn.answers += 1
    other = fresh_path(t, "other")
    origin.route(other, response(200, text(t, 700), TEXT))
    ask(t, conn, get(origin, other), kept(origin.direct(other)),
        "a miss after the hit, on the same connection")
    hits = [e for e in origin.exchanges if path_only(e.target) == path]
    if len(hits) != 1:
        t.fail(hints.DIFFERS, f"the origin received {len(hits)} requests "
               f"for {path}: the second should have been a cache hit")


def read_hit(t: Context, conn: Conn, data: bytes, want: bytes,
             what: str) -> bytes:
    """Send data on conn and read its answer as it came (marks and all)."""
    send(t, conn, data, what)
    pending = Pending(what, want, eof=False)
    with t.step(f"waiting for {what}", pending):
        while (end := answer_end(bytes(conn.buf), "GET")) is None or \
                end == UNTIL_CLOSE:
            pending.got[:] = bytes(conn.buf)
            try:
                more = receive_more(t, conn)
            except Quiet:
                quiet(t, conn, want, what, end)
            if not more:
                ended(t, conn, want, what)
    got = bytes(conn.buf[:end])
    del conn.buf[:end]
    return got


@test(5, "an answer that ends short of its framing (Content-Length 1000 "
         "and 20 bytes, a chunked body cut mid-chunk, an origin that resets "
         "mid-body) is cut and the connection closes: the request sent "
         "behind it never reaches the origin",
      hints={hints.EXTRA: "After an answer that ended short, the client "
                          "would read the next answer as the rest of this "
                          "one: persist_framer_end returns false unless "
                          "the body ended exactly (f->left is 0, "
                          "chunked_done, or the writer's complete for a "
                          "body ended by the close).",
             hints.STAYS_OPEN: "persist_framer_end returns false unless the "
                               "body ended exactly (f->left is 0, "
                               "chunked_done, or the writer's complete for "
                               "a body ended by the close)."},
      rules=("7.4.c",))
def truncated_closes(t: Context) -> None:
    proxy, origin = setup(t, CLIENT_SIDE)
    t.reproduce(typed(hand_get("/cut-long"), hand_get("/hello.txt")))
    body = text(t, 20)
    cases = (
        ("Content-Length 1000 and 20 bytes",
         truncated(200, body, 1000, TEXT), "close"),
        ("a chunked body cut in the middle of a chunk",
         chunked_as_is(200, chunk(text(t, 100)) + b"200\r\n" +
                       text(t, 50), TEXT), "close"),
        ("an origin that resets mid-body",
         truncated(200, text(t, 3000), 9000, TEXT), RESET),
    )
    for label, reply, afterwards in cases:
        conn = Conn(t, proxy, f"the client of {label}")
        path, never = fresh_path(t, "cut"), fresh_path(t, "never")
        origin.route(path, reply, afterwards)
        origin.route(never, response(200, b"never\n", TEXT))
        send(t, conn, get(origin, path) + get(origin, never), f"a GET "
             f"whose answer is {label}, and a GET behind it")
        want = kept(reply)
        expect_cut(t, conn, want, len(want), f"the answer ({label})",
                   "the origin ended it short")
        if any(path_only(e.target) == never for e in origin.wait_for(
                origin.connections, timeout=patience(t))):
            t.fail(hints.DIFFERS, f"after the answer ({label}), the request "
                   "sent behind it reached the origin: a connection whose "
                   "answer ended short closes, and nothing more is read")
    served_anew(t, proxy, origin)


def served_anew(t: Context, proxy: procs.Program, origin: Origin) -> None:
    """A new client's GET is answered, kept."""
    conn = Conn(t, proxy, "a new client")
    path = fresh_path(t, "fresh")
    origin.route(path, response(200, text(t, 200), TEXT))
    ask(t, conn, get(origin, path), kept(origin.direct(path)),
        "the answer to a new client")


# The tests: the program as a whole.

def count_threads(t: Context, proxy: procs.Program, allowed: int,
                  when: str) -> int:
    """The proxy's threads now; fail if more than allowed."""
    count = len(proc_entries(proxy, "task", when))
    if count > allowed:
        t.fail(hints.DIFFERS, f"the proxy ran {count} threads (in "
               f"/proc/{proxy.pid}/task) {when}: at most {allowed} are "
               f"expected, the main thread and the -n {POOL} workers: a kept "
               "connection waits in the waiting room, not on a thread")
    return count


def idle_clients(t: Context, proxy: procs.Program, origin: Origin,
                 count: int, label: str) -> list[Conn]:
    """count clients, each with one GET answered and kept, now idle."""
    conns = []
    for n in range(1, count + 1):
        conn = Conn(t, proxy, f"{label} {n}")
        path = fresh_path(t, "idle")
        origin.route(path, response(200, text(t, 100), TEXT))
        ask(t, conn, get(origin, path), kept(origin.direct(path)),
            f"the answer to {label} {n}")
        conns.append(conn)
    return conns


@test(7, f"idle kept connections wait in the waiting room, not on a thread: "
         f"with -n {POOL}, {IDLE_CLIENTS} clients that each had an answer "
         f"and now idle hold no worker, the thread count stays at the "
         f"pool's, a new client is served at once, and the idle ones are "
         "served when they send again",
      hints={hints.TIMEOUT: "A new client waited while every worker was "
                            "taken: an answer must end (its framing found, "
                            "persist_framer_end called) as soon as its last "
                            "byte is out, and a kept connection with "
                            "nothing more to read goes back to the waiting "
                            "room (the glue does it when keep_ms > 0).",
             hints.CLOSED: KEEP_HINT},
      rules=("7.0.a",))
def idle_kept_no_threads(t: Context) -> None:
    proxy, origin = setup(t, [*CLIENT_SIDE, "-n", str(POOL)])
    allowed = procs.threads_allowed(proxy, POOL)
    count_threads(t, proxy, allowed, "before any client")
    try:
        idle = idle_clients(t, proxy, origin, IDLE_CLIENTS, "idle client")
        count_threads(t, proxy, allowed, f"with {IDLE_CLIENTS} idle kept "
                      "clients")
        fresh = Conn(t, proxy, "a new client")
        path = fresh_path(t, "new")
        origin.route(path, response(200, text(t, 300), TEXT))
        send(t, fresh, get(origin, path), "the new client's GET")
        expect_answer(t, fresh, kept(origin.direct(path)), f"the answer to "
                      f"a new client while {IDLE_CLIENTS} kept clients idle",
                      within=SERVED_WITHIN)
    except Failure as failure:
        if failure.symptom == hints.TIMEOUT:
            failure.summary += f": with -n {POOL}, the kept connections " \
                "that idle before it seem to hold the workers"
        raise
    for conn in idle[::IDLE_CLIENTS // 5]:
        path = fresh_path(t, "again")
        origin.route(path, response(200, text(t, 100), TEXT))
        ask(t, conn, get(origin, path), kept(origin.direct(path)),
            f"the answer to {conn.label}'s second request")
    count_threads(t, proxy, allowed, "once the idle clients were served "
                  "again")


@test(4, f"a kept connection idle longer than -k ({SHORT_KEEP_MS} ms) is "
         "closed quietly (no bytes, no 408); one whose next head starts "
         "within -k is served even if it ends later",
      hints={hints.EXTRA: "An idle kept connection is closed without a "
                          "word: the waiting room does it once -k has "
                          "passed; the answer before must be complete and "
                          "end exactly."},
      rules=("7.0.b",))
def idle_timeout_closes(t: Context) -> None:
    proxy, origin = setup(t, [*CLIENT_SIDE, "-k", str(SHORT_KEEP_MS)])
    t.reproduce(f"{SCRIPTED_ORIGIN} (printf 'GET http://{BY_HAND}/hello.txt"
                f" HTTP/1.1\\r\\nHost: {BY_HAND}\\r\\n\\r\\n'; sleep 2) | "
                f"{NC}  # closed 0.4 s after the answer")
    sleepy, busy = idle_clients(t, proxy, origin, 2, "kept client")
    answered = time.monotonic()
    path = fresh_path(t, "late-head")
    origin.route(path, response(200, text(t, 300), TEXT))
    data = get(origin, path)
    time.sleep(SHORT_KEEP_MS / 4000)
    send(t, busy, data[:5], "the first bytes of the next head, within -k")
    expect_closed(t, sleepy, f"an answer, then {SHORT_KEEP_MS} ms of "
                  "silence", f"-k {SHORT_KEEP_MS} ends an idle kept "
                  "connection (quietly: no 408, nothing at all)")
    idle = time.monotonic() - answered
    if idle < SHORT_KEEP_MS / 2000:
        t.fail(hints.CLOSED, f"the idle kept connection was closed "
               f"{idle:.2f} s after its answer, long before -k "
               f"{SHORT_KEEP_MS} ms")
    time.sleep(max(0.0, answered + 1.5 * SHORT_KEEP_MS / 1000 -
                   time.monotonic()))
    send(t, busy, data[5:], "the rest of the head, after -k")
    expect_answer(t, busy, kept(origin.direct(path)), "the answer to a head "
                  "that started within -k and ended after it")


SMUGGLED = "/smuggled"


def smuggling_cases(origin: Origin,
                    path: str) -> list[tuple[str, bytes, tuple[int, ...]]]:
    """(what, the bytes after a good request, the statuses allowed): a
    bad request with a request hidden behind it."""
    url, host = origin.url(path), f"Host: {origin.authority}\r\n"
    hidden = f"GET {origin.url(SMUGGLED)} HTTP/1.1\r\n{host}\r\n".encode()
    post = f"POST {url} HTTP/1.1\r\n{host}".encode()
    return [
        ("Content-Length and Transfer-Encoding", post + b"Content-Length: "
         b"5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + hidden,
         (400,)),
        ("two Content-Lengths", post + b"Content-Length: 5\r\nContent-"
         b"Length: %d\r\n\r\nhello" % (5 + len(hidden)) + hidden, (400,)),
        ("a header line without a colon", f"GET {url} HTTP/1.1\r\n{host}"
         "Bad Header\r\n\r\n".encode() + hidden, (400,)),
        ("a bad chunk size in a chunked request", post + b"Transfer-"
         b"Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n" + hidden,
         (400, 501)),
        ("Transfer-Encoding (501: chunked requests are not relayed)", post +
         b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" +
         hidden, (501,)),
    ]


def expect_error_then_close(t: Context, conn: Conn, statuses: tuple,
                            what: str) -> None:
    """Read the rest of conn to its end: one complete error page with one
    of statuses, then the end of the connection."""
    page, closed = read_to_close(t, conn, harness.RECEIVE_SLACK, what)
    match = first_line(page).split(b" ")
    status = int(match[1]) if len(match) > 1 and match[1].isdigit() else 0
    check_error_page(t, page, status if status in statuses else statuses[0],
                     what)
    if not closed:
        t.fail(hints.STAYS_OPEN, f"{what}: the connection was still open "
               f"{patience(t):g} s after the error page: after a request "
               "it rejects, the proxy reads nothing more from the "
               "connection (its next bytes could be a hidden request)")


@test(6, "after a request the proxy rejects on a kept connection (400 for "
         "Content-Length with Transfer-Encoding, two Content-Lengths, a bad "
         "header; 400 or 501 for a bad chunk size; 501 for "
         "Transfer-Encoding), the connection closes and the request hidden "
         "behind it never reaches the origin; an origin answer with both "
         "framings is 502",
      hints={hints.STAYS_OPEN: "The proxy answers an error page itself "
                               "(the glue's proxy_send_error) and closes: "
                               "a rejected request's body cannot be told "
                               "from the next request."},
      rules=("7.0.c",))
def smuggling_closes(t: Context) -> None:
    proxy, origin = setup(t, CLIENT_SIDE)
    t.reproduce(typed(hand_get("/hello.txt"), hand_get(
        "/echo", [("Content-Length", "5"), ("Transfer-Encoding", "chunked")],
        method="POST"), b"0\r\n\r\n", hand_get("/smuggled")))
    origin.route(SMUGGLED, response(200, b"smuggled\n", TEXT))
    bad = fresh_path(t, "bad")
    origin.route(bad, response(200, b"bad\n", TEXT))
    for what, data, statuses in smuggling_cases(origin, bad):
        conn = Conn(t, proxy, f"the client sending {what}")
        good = fresh_path(t, "good")
        origin.route(good, response(200, text(t, 200), TEXT))
        ask(t, conn, get(origin, good) + data, kept(origin.direct(good)),
            f"the answer to a good GET, with a request with {what} behind "
            "it")
        expect_error_then_close(t, conn, statuses, f"the answer to the "
                                f"request with {what}")
        reached = [e for e in origin.exchanges
                   if path_only(e.target) in (SMUGGLED, bad)]
        if reached:
            t.fail(hints.DIFFERS, f"after a request with {what}, the origin "
                   f"received '{quote(reached[0].request_line)}': the "
                   "rejected request and what follows it must never reach "
                   "an origin", quote(reached[0].raw[:400]))
    conn = Conn(t, proxy, "the client of an origin that sends both framings")
    good, both = fresh_path(t, "good"), fresh_path(t, "both")
    origin.route(good, response(200, text(t, 200), TEXT))
    origin.route(both, both_framings(200, text(t, 100), TEXT))
    ask(t, conn, get(origin, good) + get(origin, both) + get(origin,
                                                              SMUGGLED),
        kept(origin.direct(good)), "the answer to a good GET")
    expect_error_then_close(t, conn, (502,), "the answer from an origin "
                            "that sends Content-Length and "
                            "Transfer-Encoding")
    if any(path_only(e.target) == SMUGGLED for e in origin.exchanges):
        t.fail(hints.DIFFERS, "after the 502, the request sent behind it "
               "reached the origin: the connection closes after an error "
               "page")


@test(3, "CONNECT on a connection that already carried requests (sent "
         "after them, or pipelined behind one) becomes a tunnel: bytes both "
         "ways as in stage 04",
      hints={hints.CLOSED: KEEP_HINT},
      rules=("7.0.d",))
def connect_after_requests(t: Context) -> None:
    target = t.use(Target())
    proxy = t.start([*CLIENT_SIDE, "-p", str(target.port)])
    origin = t.use(Origin())
    t.reproduce(f"{SCRIPTED_ORIGIN} (printf 'GET http://{BY_HAND}/hello.txt "
                f"HTTP/1.1\\r\\nHost: {BY_HAND}\\r\\n\\r\\nCONNECT "
                f"{BY_HAND} HTTP/1.1\\r\\nHost: {BY_HAND}\\r\\n\\r\\n"
                f"GET /hello.txt HTTP/1.0\\r\\n\\r\\n'; sleep 1) | {NC}  "
                "# with -p 8000")
    for pipelined in (False, True):
        how = "pipelined behind a GET" if pipelined else "after two GETs"
        conn = Conn(t, proxy, f"the client sending CONNECT {how}")
        paths = [fresh_path(t, "before") for _ in range(2)]
        for path in paths:
            origin.route(path, response(200, text(t, 300), TEXT))
        if not pipelined:
            ask(t, conn, get(origin, paths[0]), kept(origin.direct(paths[0])),
                "the answer to the first GET")
        first = t.rng.randbytes(100)
        send(t, conn, get(origin, paths[1]) + connect_request(
            target.authority) + first, f"a GET and CONNECT {how}")
        expect_answer(t, conn, kept(origin.direct(paths[1])),
                      "the answer to the GET before CONNECT")
        tunnel_after(t, conn, target, first, how)


def tunnel_after(t: Context, conn: Conn, target: Target, first: bytes,
                 how: str) -> None:
    """Expect conn's CONNECT (first sent behind it) to open a tunnel to
    the echo target: first comes back, then more both ways."""
    what = f"the answer to CONNECT {how}"
    with t.step(f"waiting for {what}"):
        while not head_end(conn.buf):
            try:
                if not receive_more(t, conn):
                    ended(t, conn, b"HTTP/1.1 200 Connection Established"
                          b"\r\n\r\n", what)
            except Quiet:
                quiet(t, conn, b"HTTP/1.1 200 Connection Established\r\n"
                      b"\r\n", what, None)
    end = head_end(conn.buf)
    check_established(t, bytes(conn.buf[:end]), what)
    tun = Tunnel(conn.sock, bytes(conn.buf[end:]), target.authority)
    conn.buf.clear()
    expect(t, tun, first, f"the echo of the bytes sent behind CONNECT {how}")
    round_trip(t, tun, t.rng.randbytes(5000), f"the echo through the tunnel "
               f"opened {how}")


@test(3, "SIGTERM with 20 idle kept clients: each is closed with nothing "
         "sent (no 503), and the program exits with status 0",
      hints={hints.EXTRA: "Idle kept connections are closed without a word "
                          "when the program stops: they have no request "
                          "to answer."},
      rules=("7.0.e",))
def stops_with_idle_clients(t: Context) -> None:
    proxy, origin = setup(t, [*CLIENT_SIDE, "-g", "1"])
    idle = idle_clients(t, proxy, origin, 20, "idle client")
    proxy.stop(signal.SIGTERM, timeout=0)
    for conn in idle:
        expect_closed(t, conn, f"SIGTERM, for {conn.label}", "the program "
                      "stops, and an idle kept connection is closed as it "
                      "is, quietly")
    with t.step("waiting for the proxy to exit after SIGTERM"):
        status = proxy.wait_exit(proxy.stop_grace())
    if status is None:
        t.fail(hints.NO_STOP, f"the proxy still ran {proxy.stop_grace():g} s "
               "after SIGTERM with 20 idle kept clients")
    if status != 0:
        t.fail(hints.EXITED, f"the proxy ended with "
               f"{hints.status_text(status)} after SIGTERM with 20 idle kept "
               "clients; expected status 0")


@test(4, f"{FD_CLIENTS} kept connections come and go every way (a 'close' "
         "request, the client closing or resetting while idle, -k, an "
         "answer cut short; requests pipelined or not): the proxy's "
         "descriptors come back to what they were",
      timeout=20,
      hints={hints.DIFFERS: "Descriptors leaked: every connection is "
                            "closed once, on every path; a kept one is the "
                            "waiting room's, which closes it when the "
                            "client leaves or -k passes."},
      rules=("7.0.e",))
def no_fd_leak_kept(t: Context) -> None:
    proxy, origin = setup(t, [*CLIENT_SIDE, "-k", str(SHORT_KEEP_MS)])
    base = fd_count(proxy, "before the first client")
    before = fd_targets(proxy)
    cut = fresh_path(t, "cut")
    origin.route(cut, truncated(200, b"short", 50, TEXT))
    for n in range(1, FD_CLIENTS + 1):
        conn = Conn(t, proxy, f"client {n}")
        paths = [fresh_path(t, "fd") for _ in range(2)]
        for path in paths:
            origin.route(path, response(200, text(t, 200), TEXT))
        wants = [kept(origin.direct(p)) for p in paths]
        if n % 2:
            send(t, conn, get(origin, paths[0]) + get(origin, paths[1]),
                 "two pipelined GETs")
            for want in wants:
                expect_answer(t, conn, want, f"an answer to {conn.label}")
        else:
            for path, want in zip(paths, wants):
                ask(t, conn, get(origin, path), want,
                    f"an answer to {conn.label}")
        mode = n % 5
        if mode == 0:
            ask(t, conn, closing(origin, paths[0]),
                relayed(origin.direct(paths[0])), "the answer to 'close'")
            expect_closed(t, conn, "the answer to 'close'", "it was asked")
        elif mode == 1:
            harness.close_socket(conn.sock)
        elif mode == 2:
            abort(conn.sock)
        elif mode == 4:
            send(t, conn, get(origin, cut), "a GET whose answer is cut")
            expect_cut(t, conn, kept(origin.direct(cut)),
                       len(kept(origin.direct(cut))), "an answer cut short",
                       "the origin ended it short")
    doing = "waiting for the proxy to close every connection"
    with t.step(doing):
        while fd_count(proxy, doing) > base:
            try:
                time.sleep(POLL)
            except TestTimeout:
                now = fd_targets(proxy)
                t.fail(hints.DIFFERS, f"the proxy had {base} descriptors "
                       f"open before the clients and still {len(now)} once "
                       f"every one was gone (-k {SHORT_KEEP_MS} ms closes "
                       "those left idle)", "before:\n  " +
                       "\n  ".join(before) + "\nafter:\n  " +
                       "\n  ".join(now))


@test(4, "under valgrind: kept connections with every framing (length, "
         "chunked, re-framed, decoded, none), pipelined requests, a cache "
         "hit, a broken chunked answer, a rejected request, then SIGTERM "
         "with an idle kept client: no memory errors, no leaks",
      timeout=60,
      rules=("7.0.f",))
def valgrind_clean(t: Context) -> None:
    proxy = t.start([], valgrind=True)
    origin = t.use(Origin())
    conn = Conn(t, proxy)
    length, coded, open_ended, cached = (fresh_path(t, s) for s in (
        "vg-length", "vg-chunked", "vg-no-length", "vg-cached"))
    origin.route(length, response(200, binary(t, 3000), BINARY))
    origin.route(coded, chunked_as_is(200, chunked_with_everything(
        t, text(t, 2000)), TEXT))
    origin.route(open_ended, close_delimited(200, text(t, 1000), TEXT))
    origin.route(cached, response(200, text(t, 500), [
        *TEXT, ("Cache-Control", "max-age=600")]))
    ask(t, conn, get(origin, length), kept(origin.direct(length)),
        "a Content-Length answer")
    ask(t, conn, get(origin, coded), kept(origin.direct(coded)),
        "a chunked answer")
    send(t, conn, get(origin, open_ended), "a GET")
    read_rechunked(t, conn, origin.direct(open_ended), "an answer without "
                   "length, re-framed")
    ask(t, conn, get(origin, length, method="HEAD"),
        kept(origin.direct(length)[:head_end(origin.direct(length))]),
        "the answer to HEAD", method="HEAD")
    send(t, conn, get(origin, cached) + get(origin, coded), "two pipelined "
         "GETs")
    expect_answer(t, conn, kept(origin.direct(cached)), "a pipelined GET")
    expect_answer(t, conn, kept(origin.direct(coded)), "a pipelined GET")
    hit = read_hit(t, conn, get(origin, cached), kept(origin.direct(cached)),
                   "a cache hit")
    if Answer(hit).kind != "HIT":
        t.fail(hints.DIFFERS, "the second GET of a cacheable URL was not a "
               "cache hit", quote(hit[:300]))
    old = Conn(t, proxy, "an HTTP/1.0 client")
    ask(t, old, get10(origin, coded), decoded(origin.direct(coded)),
        "a chunked answer decoded for HTTP/1.0")
    expect_closed(t, old, "the decoded answer", "HTTP/1.0 is never kept")
    bad = Conn(t, proxy, "the client of a broken chunked answer")
    case = BROKEN_CHUNKED[0]
    broken_path = fresh_path(t, "vg-broken")
    origin.route(broken_path, chunked_as_is(200, case.body, TEXT))
    send(t, bad, get(origin, broken_path), "a GET")
    want = kept(origin.direct(broken_path))
    expect_cut(t, bad, want, head_end(want) + case.valid, "a broken chunked "
               "answer", case.wrong)
    smuggler = Conn(t, proxy, "a client sending a request with two framings")
    what, data, statuses = smuggling_cases(origin, length)[0]
    ask(t, smuggler, get(origin, length) + data, kept(origin.direct(length)),
        "a good GET")
    expect_error_then_close(t, smuggler, statuses, f"the answer to a "
                            f"request with {what}")
    idle = Conn(t, proxy, "an idle kept client")
    ask(t, idle, get(origin, length), kept(origin.direct(length)),
        "a GET, then nothing")
    expect_stop(t, proxy, signal.SIGTERM, "with an idle kept client")


def kept_client(sock: socket.socket, requests: list[tuple[bytes, bytes]],
                limit: float, errors: list[str], label: str) -> None:
    """The body of a burst client's thread: each request in turn on sock,
    each answer read by its framing and compared; what goes wrong is
    added to errors."""
    buf = bytearray()
    try:
        sock.settimeout(limit)
        for n, (data, want) in enumerate(requests, 1):
            sock.sendall(data)
            while (end := answer_end(bytes(buf), "GET")) is None or \
                    end == UNTIL_CLOSE:
                chunk_in = sock.recv(65536)
                if not chunk_in:
                    errors.append(f"{label}: the connection ended before "
                                  f"answer {n}")
                    return
                buf += chunk_in
            got = settled(unmarked(bytes(buf[:end])), want)
            del buf[:end]
            if got != want:
                errors.append(f"{label}: answer {n} differs: "
                              f"{hints.mismatch(got, want, 'it').summary}")
                return
    except Exception as exc:   # reported by the test, with the others
        errors.append(f"{label}: {type(exc).__name__}: {exc}")


def kept_burst(t: Context) -> None:
    """BURST clients at once, each with four requests on its connection
    (GET, POST, chunked, GET), two of them pipelined, to an origin that
    keeps its connections: the pool is shared by them all."""
    proxy, origin = setup(t)
    errors: list[str] = []
    threads = []
    for n in range(1, BURST + 1):
        paths = [fresh_path(t, f"burst{n}-") for _ in range(3)]
        origin.route(paths[0], response(200, binary(t, 8000), BINARY), KEEP)
        origin.route(paths[1], lambda e: response(200, e.body, BINARY), KEEP)
        origin.route(paths[2], chunked(200, [text(t, 700), text(t, 300)]),
                     KEEP)
        body = binary(t, 3000)
        requests = [
            (get(origin, paths[0]), kept(origin.direct(paths[0]))),
            (get(origin, paths[1], method="POST", body=body) +
             get(origin, paths[2]), kept(response(200, body, BINARY))),
            (b"", kept(origin.direct(paths[2]))),
            (get(origin, paths[0]), kept(origin.direct(paths[0]))),
        ]
        sock = t.connect(proxy.port)
        threads.append(threading.Thread(target=kept_client, daemon=True, args=(
            sock, requests, patience(t, 5), errors, f"client {n}")))
    for thread in threads:
        thread.start()
    with t.step(f"waiting for {BURST} kept clients' answers"):
        for thread in threads:
            thread.join()
    if errors:
        t.fail(hints.DIFFERS, f"{len(errors)} of {BURST} kept clients at "
               f"once did not get their answers: {errors[0]}",
               "\n".join(errors[:5]))


@test(5, "under ThreadSanitizer (a build made for the test): idle kept "
         "clients with a pool of 2, pipelined requests, and 16 kept "
         "clients at once show no data race",
      timeout=150,
      rules=("7.0.f",))
def tsan_clean(t: Context) -> None:
    with t.under_tsan():
        idle_kept_no_threads(t)
        pipelined_in_order(t)
        kept_burst(t)


# The origin's side: kept origin connections (lab7.5, lab7.6).

POOL_HINT = "The pool (pool.c) keeps an origin connection once its " \
    "answer ended exactly (pool_give) and hands it to the next request " \
    "for the same host and port (pool_take), newest first; " \
    "upstream_exchange says end->reusable only after an exact end of an " \
    "HTTP/1.1 answer without 'close', with no byte past it."
UNSURE_HINT = "A connection goes back to the pool only when the answer " \
    "ended exactly where its framing says and the origin will take " \
    "another request: not after a body that ran to the close, an answer " \
    "saying 'Connection: close' (any case, among other options), an " \
    "HTTP/1.0 answer, bytes past the end of the body, or a body cut short."
ORIGIN_IDLE_MS = 300      # the -K of the idle origin connection test
SETTLE = 0.2              # seconds for a close, or a connection going back
                          # to the pool, to be done (stretched)


def requests_by_connection(origin: Origin) -> str:
    """Every request the origin received, and the connection it came on,
    one a line: the detail of a failure."""
    return "\n".join(f"connection {e.connection}: "
                     f"{e.request_line.decode('latin-1')}"
                     for e in origin.exchanges) or "(none)"


def connection_of(t: Context, origin: Origin, path: str) -> int:
    """The connection the last request for path came on; fails if the
    origin never received it."""
    on = [e.connection for e in origin.exchanges
          if path_only(e.target) == path]
    if not on:
        t.fail(hints.DIFFERS, f"the origin never received the request "
               f"for {path}", requests_by_connection(origin))
    return on[-1]


def expect_connections(t: Context, origin: Origin, want: int,
                       what: str) -> None:
    """Fail unless the origin accepted exactly want connections."""
    if origin.connections != want:
        t.fail(hints.DIFFERS, f"{what}: the origin accepted "
               f"{origin.connections} connection(s), want {want}",
               requests_by_connection(origin))


def settle(t: Context) -> None:
    """Give the proxy SETTLE s (stretched) to finish what follows an
    answer already received: a connection back to the pool, a close."""
    time.sleep(patience(t, SETTLE))


@test(8, "requests for one origin, one after another, go on one kept "
         "origin connection: five on one client connection, then two from "
         "new clients; each answer byte for byte",
      hints={hints.DIFFERS: POOL_HINT},
      rules=("7.5.a",))
def origin_reused(t: Context) -> None:
    proxy, origin = setup(t)
    paths = [fresh_path(t, "pooled") for _ in range(4)]
    for path in paths:
        origin.route(path, response(200, text(t, 400), TEXT), KEEP)
    conn = Conn(t, proxy)
    for n, path in enumerate([*paths, paths[0]], 1):
        ask(t, conn, get(origin, path), kept(origin.direct(path)),
            f"request {n} on one client connection")
    expect_connections(t, origin, 1, "five requests one after another on "
                       "one client connection")
    for n in (1, 2):
        settle(t)
        fresh = Conn(t, proxy, f"new client {n}")
        ask(t, fresh, get(origin, paths[n]), kept(origin.direct(paths[n])),
            f"a request from new client {n}")
    expect_connections(t, origin, 1, "seven requests one after another "
                       "(the last two from new clients)")


@test(4, "requests go to the origin in HTTP/1.1 without 'Connection: "
         "close': the request line says HTTP/1.1, hop-by-hop fields are "
         "dropped, the others kept in order, Via added; a POST body follows "
         "its head",
      hints={hints.DIFFERS: "upstream_format_request takes "
                            "http_format_request's head, changes the "
                            "request line's HTTP/1.0 to HTTP/1.1 and takes "
                            "out the 'Connection: close' line, nothing "
                            "else."},
      rules=("7.6.a",))
def upstream_http11(t: Context) -> None:
    proxy, origin = setup(t)
    path = fresh_path(t, "head")
    origin.route(path, lambda e: response(200, e.body, TEXT), KEEP)
    tok = token(t)
    conn = Conn(t, proxy)
    ask(t, conn, get(origin, path, [("Accept", "*/*"),
                                    ("Connection", "keep-alive, X-Hop"),
                                    ("X-Hop", "1"), ("X-Token", tok),
                                    ("Proxy-Connection", "keep-alive"),
                                    ("Keep-Alive", "300")]),
        kept(response(200, b"", TEXT)), "a GET with hop-by-hop fields")
    body = text(t, 700)
    ask(t, conn, get(origin, path, method="POST", body=body),
        kept(response(200, body, TEXT)), "a POST with a body")
    heads = [e.head for e in origin.exchanges]
    want = [(f"GET {path} HTTP/1.1\r\nHost: {origin.authority}\r\n"
             f"Accept: */*\r\nX-Token: {tok}\r\nVia: 1.1 proxylab\r\n\r\n"
             ).encode(),
            (f"POST {path} HTTP/1.1\r\nHost: {origin.authority}\r\n"
             f"Content-Length: {len(body)}\r\nVia: 1.1 proxylab\r\n\r\n"
             ).encode()]
    for got, wanted, what in zip(heads, want, ("GET", "POST")):
        if got != wanted:
            raise hints.mismatch(got, wanted, f"the head of the {what} the "
                                 "origin received")
    if len(heads) != 2:
        t.fail(hints.DIFFERS, f"the origin received {len(heads)} requests, "
               "want 2", requests_by_connection(origin))


@test(6, "a kept origin connection carries the next request after every "
         "exact end: Content-Length, chunked with extensions and trailers, "
         "an empty chunked body, HEAD, 204, 304, a 100 KiB binary",
      hints={hints.DIFFERS: POOL_HINT, hints.TIMEOUT: POOL_HINT},
      rules=("7.6.b",))
def reuse_after_exact_end(t: Context) -> None:
    proxy, origin = setup(t)
    routes = [
        ("length", response(200, text(t, 900), TEXT), "GET"),
        ("chunked", chunked_as_is(200, chunked_with_everything(
            t, text(t, 1500)), TEXT), "GET"),
        ("empty-chunked", chunked(200, []), "GET"),
        ("head", head(200, [*TEXT, ("Content-Length", "5000")]), "HEAD"),
        ("no-content", head(204, [("X-Token", token(t))]), "GET"),
        ("not-modified", head(304, [("ETag", '"v1"')]), "GET"),
        ("large", response(200, binary(t, 100 * KIBIBYTE), BINARY), "GET"),
    ]
    conn = Conn(t, proxy)
    for stem, reply, method in routes:
        path = fresh_path(t, stem)
        origin.route(path, reply, KEEP)
        ask(t, conn, get(origin, path, method=method), kept(reply),
            f"the answer to {method} {stem}", method=method)
    expect_connections(t, origin, 1, f"{len(routes)} answers that each "
                       "ended exactly where their framing says")


def unsure_cases(t: Context) -> list[tuple[str, bytes, str]]:
    """Answers after which an origin connection must not carry another
    request: what, the reply, and what the origin does after it."""
    body = text(t, 300)
    return [
        ("a body that ends with the close", close_delimited(
            200, body, TEXT), CLOSE),
        ("'Connection: close' (among other options, in a second field)",
         response(200, body, [*TEXT, ("Connection", "x-a"),
                              ("Connection", "keep-alive, CLOSE")]), HOLD),
        ("an HTTP/1.0 answer with Content-Length", response(
            200, body, TEXT, version="HTTP/1.0"), HOLD),
        ("bytes after the Content-Length body", response(200, body, TEXT) +
         b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", HOLD),
        ("bytes after the last chunk", chunked(200, [body], TEXT) +
         b"HTTP/1.1 200 OK\r\n", HOLD),
        ("a body short of its Content-Length", truncated(
            200, body, len(body) + 100, TEXT), CLOSE),
    ]


@test(7, "no origin connection is reused unless its answer ended exactly "
         "and the origin keeps it: after a body to the close, 'Connection: "
         "close', an HTTP/1.0 answer, bytes past the end of a length or "
         "chunked body, or a body cut short, the next request goes on a new "
         "connection",
      hints={hints.DIFFERS: UNSURE_HINT, hints.TIMEOUT: UNSURE_HINT},
      rules=("7.6.b",))
def no_reuse_when_unsure(t: Context) -> None:
    proxy, origin = setup(t, ["-i", "1500"])
    for what, reply, after in unsure_cases(t):
        first, second = fresh_path(t, "unsure"), fresh_path(t, "next")
        origin.route(first, reply, after)
        origin.route(second, response(200, text(t, 200), TEXT), KEEP)
        conn = Conn(t, proxy, f"the client of {what}")
        send(t, conn, get(origin, first, [("Connection", "close")]),
             "a GET")
        read_to_close(t, conn, len(reply) + 1024, f"the answer with {what}")
        settle(t)
        other = Conn(t, proxy, "a next client")
        ask(t, other, get(origin, second), kept(origin.direct(second)),
            f"a GET for the same origin after {what}")
        if connection_of(t, origin, second) == connection_of(t, origin,
                                                             first):
            t.fail(hints.DIFFERS, f"after {what}, the next request went on "
                   "the same origin connection", requests_by_connection(
                       origin))


@test(6, "a reused origin connection that the origin closes as the request "
         "arrives: a GET is sent once more on a new connection and answered; "
         "if that fails too, 502 (never a third try)",
      hints={hints.DIFFERS: "When upstream_exchange on a reused connection "
                            "returns 502 with end->silent (the origin closed "
                            "or reset it before a byte of answer), the glue "
                            "sends the request once more on a new "
                            "connection: silent must be set only then, and "
                            "only for the first head.",
             hints.CLOSED: "A reused connection found closed before any "
                           "answer is not the client's fault: "
                           "end->silent makes the glue try a new one."},
      rules=("7.6.c",))
def retry_idempotent_once(t: Context) -> None:
    proxy, origin = setup(t)
    first, again, dead = (fresh_path(t, s) for s in ("first", "again",
                                                      "dead"))
    origin.route(first, response(200, text(t, 300), TEXT), DROP)
    origin.route(again, response(200, text(t, 300), TEXT), DROP)
    origin.route(dead, b"")
    conn = Conn(t, proxy)
    ask(t, conn, get(origin, first), kept(origin.direct(first)),
        "a GET on a connection the origin then drops")
    ask(t, conn, get(origin, again), kept(origin.direct(again)),
        "a GET that meets the dropped connection first")
    on = [e.connection for e in origin.exchanges
          if path_only(e.target) == again]
    if len(on) != 2 or on[0] == on[1]:
        t.fail(hints.DIFFERS, "the GET that met a dropped connection should "
               "reach the origin twice, on two connections",
               requests_by_connection(origin))
    send(t, conn, get(origin, dead), "a GET whose new connection fails too")
    want = read_answer(t, conn, b"", "the answer when both tries fail")
    if not want.startswith(b"HTTP/1.1 502"):
        t.fail(hints.DIFFERS, "a GET that failed on the reused connection "
               "and on a new one should get 502", quote(want[:200]))
    tries = sum(path_only(e.target) == dead for e in origin.exchanges)
    if tries != 2:
        t.fail(hints.DIFFERS, f"the GET was sent {tries} times, want 2 (the "
               "reused connection, then one new one)",
               requests_by_connection(origin))


@test(4, "a POST, or a PUT with a body, never goes on a reused origin "
         "connection: it cannot be sent twice, so it takes a new one even "
         "when one is idle, and is sent exactly once",
      hints={hints.DIFFERS: "upstream_may_reuse is true only for an "
                            "idempotent method (GET, HEAD, PUT, DELETE, "
                            "OPTIONS, TRACE) without a body."},
      rules=("7.6.c",))
def unsafe_on_new_connection(t: Context) -> None:
    proxy, origin = setup(t)
    first, post, put = (fresh_path(t, s) for s in ("idle", "post", "put"))
    origin.route(first, response(200, text(t, 300), TEXT), DROP)
    origin.route(post, lambda e: response(200, e.body, TEXT), KEEP)
    origin.route(put, lambda e: response(201, e.body, TEXT), KEEP)
    conn = Conn(t, proxy)
    ask(t, conn, get(origin, first), kept(origin.direct(first)),
        "a GET whose connection the origin keeps, and would drop")
    body = text(t, 500)
    ask(t, conn, get(origin, post, method="POST", body=body),
        kept(response(200, body, TEXT)), "a POST with a connection idle")
    ask(t, conn, get(origin, put, method="PUT", body=body),
        kept(response(201, body, TEXT)), "a PUT with a body")
    exchanges = origin.exchanges
    for path, method in ((post, "POST"), (put, "PUT")):
        at = [n for n, e in enumerate(exchanges)
              if path_only(e.target) == path]
        used = {e.connection for e in exchanges[:at[0]]} if at else set()
        if len(at) != 1 or exchanges[at[0]].connection in used:
            t.fail(hints.DIFFERS, f"the {method} went on a reused "
                   "connection, or more than once",
                   requests_by_connection(origin))


@test(4, "interim answers from the origin (100 Continue, 103 Early Hints) "
         "are dropped: the client gets the final answer only, and the "
         "connection is kept on both sides",
      hints={hints.DIFFERS: "upstream_exchange reads heads until one is "
                            "final (status 200 or more, or 101), dropping "
                            "the interim ones."},
      rules=("7.6.d",))
def interim_dropped(t: Context) -> None:
    proxy, origin = setup(t)
    path = fresh_path(t, "hints")
    final = response(200, text(t, 300), TEXT)
    origin.route(path, head(100) + head(103, [("Link", "</s.css>; "
                                                "rel=preload")]) + final,
                 KEEP)
    conn = Conn(t, proxy)
    for n in (1, 2):
        ask(t, conn, get(origin, path), kept(final),
            f"answer {n}, after two interim ones")
    expect_connections(t, origin, 1, "two answers after interim ones")


@test(5, "-u 2 -U 3: after four requests at once for one origin, two of "
         "its connections stay idle and two are closed; two more for "
         "another origin close the oldest idle one (the total is 3)",
      hints={hints.DIFFERS: "pool_give closes the origin's oldest idle "
                            "connection when it has per_origin already, "
                            "else the oldest of all when the pool holds "
                            "total."},
      rules=("7.5.b",))
def pool_limits(t: Context) -> None:
    proxy, first = setup(t, ["-n", "8", "-u", "2", "-U", "3"])
    second = t.use(Origin())

    def wave(origin: Origin, count: int) -> None:
        gate = threading.Event()
        path = fresh_path(t, "wave")
        reply = response(200, text(t, 300), TEXT)
        origin.route(path, reply, KEEP, gate=gate, gate_at=10)
        conns = [Conn(t, proxy, f"client {n}") for n in range(count)]
        for conn in conns:
            send(t, conn, get(origin, path), "a GET")
        with t.step(f"waiting for {count} requests at the origin at once"):
            origin.wait_for(count, timeout=patience(t, 5))
        gate.set()
        for conn in conns:
            expect_answer(t, conn, kept(reply), "the answer")
        settle(t)

    def open_ones(origin: Origin) -> int:
        return sum(not e.finished for e in origin.exchanges)

    wave(first, 4)
    if first.connections != 4 or open_ones(first) != 2:
        t.fail(hints.DIFFERS, f"after 4 requests at once, "
               f"{first.connections} connections, {open_ones(first)} still "
               "open: want 4, of which 2 kept (-u 2)",
               requests_by_connection(first))
    wave(second, 2)
    if open_ones(first) != 1 or open_ones(second) != 2:
        t.fail(hints.DIFFERS, f"after 2 more for another origin, "
               f"{open_ones(first)} and {open_ones(second)} kept: want 1 "
               "and 2 (-U 3 closes the oldest of all)",
               requests_by_connection(first))


@test(4, "an idle origin connection the origin has closed is never used: "
         "the next request goes on a new connection, and nothing is sent "
         "on the closed one",
      hints={hints.DIFFERS: "pool_take looks at a connection before it "
                            "hands it out: recv(MSG_PEEK | MSG_DONTWAIT) "
                            "must fail with EAGAIN; end of file or a byte "
                            "means the origin closed it or spoke unasked."},
      rules=("7.5.c",))
def origin_closed_idle(t: Context) -> None:
    proxy, origin = setup(t)
    first, second = fresh_path(t, "closes"), fresh_path(t, "after")
    origin.route(first, response(200, text(t, 300), TEXT))
    origin.route(second, response(200, text(t, 300), TEXT), KEEP)
    conn = Conn(t, proxy)
    ask(t, conn, get(origin, first), kept(origin.direct(first)),
        "a GET whose origin closes after answering")
    settle(t)
    ask(t, conn, get(origin, second), kept(origin.direct(second)),
        "the next GET for the same origin")
    settle(t)
    closed = origin.exchanges[0]
    if closed.extra:
        t.fail(hints.DIFFERS, "a request was sent on the connection the "
               "origin had closed", quote(closed.extra[:200]))


@test(3, f"an origin connection idle longer than -K ({ORIGIN_IDLE_MS} ms, "
         "the pool's idle timeout) is closed, not reused",
      hints={hints.DIFFERS: "Every pool_take and pool_give first closes "
                            "the connections given back more than idle_ms "
                            "ago."},
      rules=("7.5.c",))
def origin_idle_expires(t: Context) -> None:
    proxy, origin = setup(t, ["-K", str(ORIGIN_IDLE_MS)])
    first, second = fresh_path(t, "old"), fresh_path(t, "later")
    for path in (first, second):
        origin.route(path, response(200, text(t, 300), TEXT), KEEP)
    conn = Conn(t, proxy)
    ask(t, conn, get(origin, first), kept(origin.direct(first)), "a GET")
    time.sleep(ORIGIN_IDLE_MS / 1000 + patience(t, 0.3))
    ask(t, conn, get(origin, second), kept(origin.direct(second)),
        f"a GET {ORIGIN_IDLE_MS} ms later")
    if connection_of(t, origin, second) == connection_of(t, origin, first):
        t.fail(hints.DIFFERS, "a connection idle longer than the pool's "
               "idle timeout was reused", requests_by_connection(origin))
    settle(t)
    if not origin.exchanges[0].finished:
        t.fail(hints.DIFFERS, "the expired connection was not closed")


CHUNKED_REQUEST_HINT = "upstream_body_length says a chunked body for an " \
    "HTTP/1.1 request whose one Transfer-Encoding field is 'chunked'; " \
    "upstream_format_request then ends the head with 'Transfer-Encoding: " \
    "chunked', and upstream_exchange relays the body as it came, a line " \
    "(rio_readline) or a run of data (rio_read, at most dec.left bytes) at " \
    "a time through chunked_decode, so that no byte after the body's last " \
    "CRLF is read: the next request starts there."


@test(6, "a chunked request body (extensions, a trailer, every byte value) "
         "goes to the origin as it came, with 'Transfer-Encoding: chunked'; "
         "the request pipelined right behind it is answered next, on the "
         "same client connection",
      hints={hints.DIFFERS: CHUNKED_REQUEST_HINT,
             hints.TIMEOUT: CHUNKED_REQUEST_HINT},
      rules=("7.6.e",))
def chunked_request_relayed(t: Context) -> None:
    proxy, origin = setup(t)
    upload, after = fresh_path(t, "upload"), fresh_path(t, "after")
    origin.route(upload, lambda e: response(200, e.body, BINARY), KEEP)
    origin.route(after, response(200, text(t, 300), TEXT), KEEP)
    data = binary(t, 5000)
    body = chunk(data[:1000], b";part=1") + chunk(data[1000:]) + \
        last_chunk([("X-Checksum", token(t))])
    post = request("POST", origin.url(upload), [
        ("Host", origin.authority), ("Transfer-Encoding", "chunked")], body)
    conn = Conn(t, proxy)
    send(t, conn, post + get(origin, after), "a chunked POST and a GET "
         "right behind it")
    expect_answer(t, conn, kept(response(200, body, BINARY)), "the answer "
                  "to the chunked POST (the origin echoes the body it got)")
    expect_answer(t, conn, kept(origin.direct(after)), "the answer to the "
                  "GET sent right behind the chunked body")
    got = [e for e in origin.exchanges if path_only(e.target) == upload]
    if len(got) != 1 or got[0].header("Transfer-Encoding") != ["chunked"]:
        t.fail(hints.DIFFERS, "the origin should receive the POST once, with "
               "'Transfer-Encoding: chunked'", requests_by_connection(origin))


@test(5, "a chunked request body that breaks the coding (a size that is "
         "not hexadecimal, data longer than its size, a bare LF), "
         "Transfer-Encoding from an HTTP/1.0 client or in two fields (400), "
         "or a coding other than chunked (501): an error page and the "
         "close; the request hidden behind it never reaches the origin",
      hints={hints.DIFFERS: CHUNKED_REQUEST_HINT,
             hints.STAYS_OPEN: "After a request it rejects, the proxy reads "
                               "nothing more from the connection."},
      rules=("7.6.e",))
def chunked_request_rejected(t: Context) -> None:
    proxy, origin = setup(t)
    path = fresh_path(t, "target")
    origin.route(path, response(200, text(t, 200), TEXT), KEEP)
    url, host = origin.url(path), f"Host: {origin.authority}\r\n"
    hidden = f"GET {origin.url(SMUGGLED)} HTTP/1.1\r\n{host}\r\n".encode()
    te = b"Transfer-Encoding: chunked\r\n"
    post = f"POST {url} HTTP/1.1\r\n{host}".encode()
    cases = [
        ("a chunk size 'zz'", post + te + b"\r\nzz\r\nhello\r\n0\r\n\r\n",
         (400,)),
        ("data longer than its size", post + te + b"\r\n5\r\nhello" + hidden +
         b"\r\n0\r\n\r\n", (400,)),
        ("a bare LF after a size", post + te + b"\r\n5\nhello\r\n0\r\n\r\n",
         (400,)),
        ("Transfer-Encoding from HTTP/1.0", f"POST {url} HTTP/1.0\r\n"
         f"{host}".encode() + te + b"\r\n0\r\n\r\n", (400,)),
        ("Transfer-Encoding in two fields", post + te + te +
         b"\r\n0\r\n\r\n", (400,)),
        ("'Transfer-Encoding: gzip, chunked'", post + b"Transfer-Encoding: "
         b"gzip, chunked\r\n\r\n0\r\n\r\n", (501,)),
    ]
    for what, data, statuses in cases:
        conn = Conn(t, proxy, f"the client sending {what}")
        ask(t, conn, get(origin, path), kept(origin.direct(path)),
            "a good GET first")
        send(t, conn, data + hidden, f"a request with {what}, and a GET "
             "behind it")
        expect_error_then_close(t, conn, statuses, f"the answer to a "
                                f"request with {what}")
    if any(path_only(e.target) == SMUGGLED for e in origin.exchanges):
        t.fail(hints.DIFFERS, "a request hidden behind a rejected one "
               "reached the origin", requests_by_connection(origin))


unit_chunked = units.suite_test(
    __name__, 8, "chunked",
    "the strict chunked decoder of lab7.1: sizes, extensions, data, "
    "trailers and bounds, fed in pieces of every size",
    ("7.1.a", "7.1.b"))


unit_persist = units.suite_test(
    __name__, 10, "persist",
    "the decisions, the head and the framer of lab7.2 to lab7.4",
    ("7.2.a", "7.2.b", "7.2.c", "7.3.a", "7.4.c"))


unit_pool = units.suite_test(
    __name__, 8, "pool",
    "the origin pool of lab7.5: by origin, newest first, the limits, the "
    "idle timeout, connections the origin closed, threads at once",
    ("7.5.a", "7.5.b", "7.5.c"))


unit_upstream = units.suite_test(
    __name__, 10, "upstream",
    "the HTTP/1.1 exchange of lab7.6: the head, which requests may be "
    "reused, exact ends, what is left of the connection",
    ("7.6.a", "7.6.b", "7.6.c", "7.6.d", "7.6.e"))
