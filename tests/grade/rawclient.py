"""rawclient.py - a client that sends exact bytes, the way an attacker does.

send() writes the bytes of a hostile case to a connected socket in one of
three ways: all at once, one byte per TCP segment, or one byte every
SLOW_PAUSE seconds until the peer answers (slowloris). read_to_end()
collects the answer until the peer closes. Nothing here interprets HTTP:
the bytes go out as given, NULs, bare CRs and all.
"""
from __future__ import annotations
import select
import socket
import time

BYTE_PAUSE = 0.001   # seconds between the segments of a byte-wise send
SLOW_PAUSE = 0.05    # seconds between the bytes of a slow send
READ_SIZE = 65536    # bytes asked of each recv


def send_once(sock: socket.socket, data: bytes) -> None:
    """Send data whole; a peer that closed early ends the send quietly
    (its answer, if any, is still there to read)."""
    try:
        sock.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass


def send_bytewise(sock: socket.socket, data: bytes) -> None:
    """Send data one byte per TCP segment, BYTE_PAUSE apart."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for i in range(len(data)):
        send_once(sock, data[i:i + 1])
        time.sleep(BYTE_PAUSE)


def send_slowly(sock: socket.socket, data: bytes,
                pause: float = SLOW_PAUSE) -> None:
    """Send data one byte every pause seconds, and stop as soon as the peer
    has something to say (an answer, or its close)."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for i in range(len(data)):
        send_once(sock, data[i:i + 1])
        readable, _, _ = select.select([sock], [], [], pause)
        if readable:
            return


def send(sock: socket.socket, data: bytes, way: str) -> None:
    """Send data "once", "bytes" (one per segment) or "slow"."""
    senders = {"once": send_once, "bytes": send_bytewise,
               "slow": send_slowly}
    senders[way](sock, data)


def read_to_end(sock: socket.socket, most: int = 1 << 20) -> bytes:
    """What sock receives until the peer closes (at most most bytes and a
    read). A reset after some bytes ends the stream as a close would; a
    reset before any byte, or the socket's timeout, propagates."""
    data = bytearray()
    try:
        while len(data) < most:
            chunk = sock.recv(READ_SIZE)
            if not chunk:
                break
            data += chunk
    except ConnectionResetError:
        if not data:
            raise
    return bytes(data)


def read_some(sock: socket.socket, count: int) -> bytes:
    """At least count bytes from sock, or fewer if the peer closes first."""
    data = bytearray()
    while len(data) < count:
        chunk = sock.recv(READ_SIZE)
        if not chunk:
            break
        data += chunk
    return bytes(data)
