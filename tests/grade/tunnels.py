"""tunnels.py - the graded tests' side of a CONNECT tunnel: open one
through the proxy, send through it, expect the far end's echo, end it,
and expect the error page of a CONNECT the proxy refuses.

Used by lab04's tests and by the later stages' (lab06's blocklist refuses
CONNECT too). The far end is a connect_target.Target.
"""
from __future__ import annotations
import re
import socket
from dataclasses import dataclass

import harness
import hints
import procs
from bytediff import quote
from client import check_error_page, first_line, read_to_end
from connect_target import Link, Target
from harness import Context
from hints import Pending
from origin import head_end

STATUS = re.compile(rb"HTTP/1\.[01] (\d{3})(?: [^\r\n]*)?\r\n")
MAX_HEAD = 64 << 10          # bytes of an answer's head read at most


@dataclass
class Tunnel:
    """An open tunnel: the client's socket, the bytes that came after the
    200 head in the same reads, and the authority it goes to."""
    sock: socket.socket
    early: bytes
    authority: str


# Opening a tunnel.

def connect_request(authority: str, host: str | None = None) -> bytes:
    """The CONNECT request a browser sends for authority."""
    return (f"CONNECT {authority} HTTP/1.1\r\nHost: {host or authority}\r\n"
            "User-Agent: lab04\r\n\r\n").encode("latin-1")


def read_head(t: Context, sock: socket.socket,
              what: str) -> tuple[bytes, bytes]:
    """Read an answer's head through its blank line: (head, the bytes
    that came after it in the same reads)."""
    with t.step(f"waiting for {what}"):
        data = bytearray()
        while not head_end(data):
            if len(data) > MAX_HEAD:
                t.fail(hints.DIFFERS, f"{what}: no blank line in the first "
                       f"{MAX_HEAD} bytes", quote(bytes(data[:600])))
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                if not data:
                    t.fail(hints.CLOSED, f"{what}: the proxy closed the "
                           "connection without answering")
                t.fail(hints.TRUNCATED, f"{what}: the connection ended inside "
                       f"the head '{quote(bytes(data[:200]))}'")
            data += chunk
        end = head_end(data)
        return bytes(data[:end]), bytes(data[end:])


def open_tunnel(t: Context, proxy: procs.Program, authority: str,
                first: bytes = b"", bufsize: int | None = None) -> Tunnel:
    """Send CONNECT authority (and first, in the same send) and expect
    the 200 head that opens the tunnel; bufsize sets the client's socket
    buffers."""
    sock = t.connect(proxy.port, bufsize=bufsize)
    sock.sendall(connect_request(authority) + first)
    what = f"the answer to CONNECT {authority}"
    head, early = read_head(t, sock, what)
    check_established(t, head, what)
    return Tunnel(sock, early, authority)


def check_established(t: Context, head: bytes, what: str) -> None:
    """Fail unless head is a 200 answer in CRLF lines, without a body's
    framing."""
    shown = f"received:\n  {quote(head[:600])}"
    match = STATUS.match(head)
    if match is None or match[1] != b"200":
        t.fail(hints.DIFFERS, f"{what}: expected 'HTTP/1.1 200 Connection "
               f"Established', got '{quote(first_line(head))}'", shown)
    if head.count(b"\n") != head.count(b"\r\n"):
        t.fail(hints.DIFFERS, f"{what}: every line of the answer must end "
               "in CRLF (ESTABLISHED in tunnel.c)", shown)
    for name in (b"content-length", b"transfer-encoding"):
        if re.search(rb"\n" + name + rb"\s*:", head.lower()):
            t.fail(hints.DIFFERS, f"{what}: a 200 answer to CONNECT must "
                   f"not carry {name.decode().title()} (RFC 9110 section "
                   "9.3.6): the tunnel starts right after the blank line",
                   shown)


# Through the tunnel, and its end.

def expect(t: Context, tun: Tunnel, want: bytes, what: str,
           eof: bool = False) -> None:
    """Receive want through the tunnel (counting the early bytes first);
    with eof, then its end of file. Fails, describing the difference."""
    pending = Pending(what, want, eof)
    pending.got += tun.early
    tun.early = b""
    with t.step(f"waiting for {what}", pending):
        harness.receive(tun.sock, pending)
    t.expect_bytes(bytes(pending.got), want, what)


def expect_end(t: Context, tun: Tunnel, what: str) -> None:
    """Expect the tunnel's connection to end (end of file or reset) with
    no more bytes."""
    pending = Pending(what, b"", True)
    pending.got += tun.early
    tun.early = b""
    with t.step(f"waiting for {what}", pending):
        try:
            while len(pending.got) < MAX_HEAD and \
                    (chunk := tun.sock.recv(65536)):
                pending.got += chunk
        except ConnectionResetError:
            pass
    t.expect_bytes(bytes(pending.got), b"", what)


def round_trip(t: Context, tun: Tunnel, data: bytes, what: str) -> None:
    """Send data through the tunnel and expect the target's echo of it."""
    tun.sock.sendall(data)
    expect(t, tun, data, what)


def end_session(t: Context, tun: Tunnel, link: Link) -> None:
    """Close the client's side and expect the echo target to pass the end
    of file back: the tunnel is over at both ends."""
    tun.sock.shutdown(socket.SHUT_WR)
    expect(t, tun, b"", "the end of file after the echo", eof=True)
    wait_ended(t, link, "the target to see the client's end of file")


def wait_ended(t: Context, link: Link, what: str) -> None:
    """Wait (within the test's limit) for the target's input to end."""
    with t.step(f"waiting for {what}"):
        link.wait_ended(t.limit)
    if not link.ended:
        t.fail(hints.TIMEOUT, f"time limit reached while waiting for {what}")


def first_link(t: Context, target: Target, number: int = 1) -> Link:
    """The target's connection number (1 for the first), waiting for it."""
    with t.step(f"waiting for the proxy to connect to the target "
                f"(connection {number})"):
        links = target.wait_for(number, t.limit)
    if len(links) < number:
        t.fail(hints.TIMEOUT, "the proxy answered 200 but never connected "
               "to the target")
    return links[number - 1]


# A CONNECT the proxy refuses.

def expect_connect_error(t: Context, proxy: procs.Program, authority: str,
                         status: int | None) -> None:
    """CONNECT authority; expect a complete error page with status (None:
    any status from 400 on). A wrong status fails at once, without
    waiting for the end of a tunnel opened by mistake."""
    sock = t.connect(proxy.port)
    sock.sendall(connect_request(authority, "127.0.0.1"))
    what = f"the answer to CONNECT {authority}"
    head, rest = read_head(t, sock, what)
    match = STATUS.match(head)
    got = int(match[1]) if match else 0
    if got < 400 or got != (status or got):
        t.fail(hints.DIFFERS, f"{what}: expected "
               f"{status or 'an error'} response, got "
               f"'{quote(first_line(head))}'",
               f"received:\n  {quote(head[:600])}")
    page = head + rest + read_to_end(t, sock, what)
    harness.close_socket(sock)
    check_error_page(t, page, got, what)
