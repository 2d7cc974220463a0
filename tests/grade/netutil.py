"""netutil.py - socket and thread plumbing shared by the fixtures and labs.

The grader's servers (origin.Origin, connect_target.Target and
connect_target.TlsOrigin) all listen on port 0, accept connections in a
daemon thread, run a daemon thread per connection, and on close() shut
every socket down and join their threads within JOIN_GRACE seconds; the
tests reset connections and size payloads by the kernel's largest send
buffer. Each of these is written once, here.
"""
from __future__ import annotations
import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable

LIFETIME = 120.0           # seconds any single wait of a fixture lasts
JOIN_GRACE = 2.0           # seconds close() waits for all its threads
READ_SIZE = 65536          # bytes asked of each recv
WMEM = "/proc/sys/net/ipv4/tcp_wmem"  # min, default, max send buffer
DEFAULT_WMEM = 4 << 20     # tcp_wmem's usual maximum
WMEM_CAP = 32 << 20        # the largest send buffer planned for


def family(host: str) -> socket.AddressFamily:
    """The address family of a numeric host: IPv6 if it has a colon."""
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def ipv6_loopback_missing() -> str | None:
    """Why this machine cannot listen on [::1] (IPv6 off on its loopback,
    or no IPv6 at all), or None when it can."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError as exc:
        return f"IPv6 is off on this machine's loopback (cannot listen " \
               f"on [::1]: {exc.strerror})"
    return None


def authority(host: str, port: int) -> str:
    """"host:port" as a URI writes it ("[::1]:port" for IPv6)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def listen(host: str, port: int, backlog: int,
           rcvbuf: int | None = None) -> socket.socket:
    """A TCP socket listening on host:port (0: any free port). rcvbuf, if
    given, is set before listening, so that accepted connections inherit
    it. The socket is closed again if anything fails."""
    listener = socket.socket(family(host), socket.SOCK_STREAM)
    try:
        if port:    # a fixed port (by hand): free again at once after a stop
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if rcvbuf is not None:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        listener.bind((host, port))
        listener.listen(backlog)
    except OSError:
        listener.close()
        raise
    return listener


def spawn(threads: list[threading.Thread], target: Callable, name: str,
          *args: object) -> None:
    """Start a daemon thread and add it to threads (for join_all)."""
    thread = threading.Thread(target=target, args=args, name=name,
                              daemon=True)
    threads.append(thread)
    thread.start()


def accept_loop(listener: socket.socket, stopping: threading.Event,
                lock: threading.Condition,
                admit: Callable[[socket.socket, tuple],
                                Callable[[], None]]) -> None:
    """Accept connections until listener is shut down or stopping is set.

    Each connection gets LIFETIME as its timeout; admit(conn, peer),
    called under lock, records it and returns what to do for it once the
    lock is released (start its thread). A connection accepted after
    stopping was set is closed instead, and the loop ends.
    """
    while not stopping.is_set():
        try:
            conn, peer = listener.accept()
        except OSError:
            return
        conn.settimeout(LIFETIME)
        with lock:
            if stopping.is_set():
                conn.close()
                return
            start = admit(conn, peer)
        start()


def shutdown_all(sockets: Iterable[socket.socket]) -> None:
    """Shut every socket down both ways, waking the threads blocked on it
    (one already closed or unconnected is passed over)."""
    for sock in sockets:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def join_all(threads: list[threading.Thread],
             grace: float = JOIN_GRACE) -> None:
    """Join threads for at most grace seconds in all. The list is read as
    it goes, so a thread added to it while joining is joined too."""
    deadline = time.monotonic() + grace
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))


def linger_zero(sock: socket.socket) -> None:
    """Make closing sock reset the connection (SO_LINGER 0: an RST)."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                    struct.pack("ii", 1, 0))


def abort(sock: socket.socket) -> None:
    """Close sock with a reset, as a client that crashes does."""
    linger_zero(sock)
    sock.close()


def send_buffer_max(cap: int = WMEM_CAP) -> int:
    """The largest a socket's send buffer can grow to (tcp_wmem's
    maximum, capped at cap)."""
    try:
        with open(WMEM) as limits:
            return min(int(limits.read().split()[2]), cap)
    except (OSError, IndexError, ValueError):
        return DEFAULT_WMEM
