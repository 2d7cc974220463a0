"""idle.py - many idle keep-alive clients held at once by the stage 07
reference: what they cost it (threads, resident memory), whether they are
still kept, and whether a new client is served meanwhile.

Each client opens a connection, gets one cache hit on it and then sends
nothing more; the proxy keeps them all in its waiting room, where a client
costs a descriptor and a slot, never a thread.
"""
from __future__ import annotations
import resource
import socket
import time
from dataclasses import dataclass

from load import read_response
from procs import Proc

CLIENTS = 10_000   # idle clients held at once
BATCH = 500        # connections opened, then answered, at a time
PROBES = 100       # kept clients asked again at the end
SETTLE_S = 1.0     # after the last answer, before measuring
NOFILE = CLIENTS + 4096  # descriptors for this process and for the proxy
IDLE_MS = 120_000  # the proxy's -k: longer than the run


@dataclass
class IdleResult:
    clients: int      # idle clients held
    threads: int      # the proxy's threads while they are held
    rss_kib: int      # its resident memory then (VmRSS)
    new_ms: float     # a new client's request answered in this long
    kept: int         # of PROBES idle clients, those answered again


def raise_nofile() -> None:
    """Let this process hold NOFILE sockets (the kit runs as root)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(NOFILE, soft)
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(want, hard)))


def status_of(pid: int, key: str) -> int:
    """A number from /proc/pid/status ("Threads", "VmRSS"), or 0."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def ask(sock: socket.socket, request: bytes) -> bool:
    sock.sendall(request)
    return bool(read_response(sock))


def open_batch(port: int, request: bytes, count: int) -> list[socket.socket]:
    """count clients, each answered once and left connected."""
    socks = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), 10)
        sock.sendall(request)
        socks.append(sock)
    for sock in socks:
        if not read_response(sock):
            raise RuntimeError("an idle client's first request failed")
    return socks


def hold(port: int, origin_port: int, proc: Proc) -> IdleResult:
    """Open CLIENTS kept connections through the proxy on port, then
    measure it while they are idle."""
    host = f"127.0.0.1:{origin_port}"
    request = f"GET http://{host}/1k HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    raise_nofile()
    socks: list[socket.socket] = []
    try:
        while len(socks) < CLIENTS:
            socks += open_batch(port, request, min(BATCH, CLIENTS - len(socks)))
        time.sleep(SETTLE_S)
        pid = proc.popen.pid
        threads, rss = status_of(pid, "Threads"), status_of(pid, "VmRSS")
        began = time.monotonic()
        with socket.create_connection(("127.0.0.1", port), 10) as fresh:
            ask(fresh, request)
        new_ms = (time.monotonic() - began) * 1000
        step = max(1, len(socks) // PROBES)
        kept = sum(ask(s, request) for s in socks[::step][:PROBES])
        return IdleResult(len(socks), threads, rss, new_ms, kept)
    finally:
        for sock in socks:
            sock.close()
