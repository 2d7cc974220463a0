"""load.py - wrk runs through a target, and what each proxy does with a
client's keep-alive.

wrk runs pinned to the load generator's core with proxy.lua, which makes
every request an absolute-form GET when a proxy is in between, and prints
one "BENCH ..." line that run_wrk turns into a Result.
"""
from __future__ import annotations
import os
import re
import socket
import subprocess
from dataclasses import dataclass

LOAD_CPU = 0               # the core of wrk, the curl clients and nginx
LUA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "proxy.lua")
SUMMARY = re.compile(r"^BENCH (.*)$", re.M)


@dataclass
class Result:
    requests: int
    seconds: float
    mib: float          # MiB read by wrk, heads included
    errors: int         # socket errors, timeouts and non-2xx/3xx answers
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def mib_s(self) -> float:
        return self.mib / self.seconds if self.seconds else 0.0


def wrk_threads(conns: int) -> int:
    """wrk threads: two keep the one core busy while others wait."""
    return min(conns, 2)


def run_wrk(port: int, origin_port: int, path: str, proxied: bool,
            keepalive: bool, conns: int, seconds: int) -> Result:
    """Drive 127.0.0.1:port for seconds with conns connections."""
    host = f"127.0.0.1:{origin_port}"
    target = f"http://{host}{path}" if proxied else path
    argv = ["taskset", "-c", str(LOAD_CPU), "wrk", "-t",
            str(wrk_threads(conns)), "-c", str(conns), "-d", f"{seconds}s",
            "--timeout", "5s", "-s", LUA, f"http://127.0.0.1:{port}", "--",
            target, host, "keep-alive" if keepalive else "close"]
    out = subprocess.run(argv, capture_output=True, text=True,
                         timeout=seconds + 30, check=True).stdout
    match = SUMMARY.search(out)
    if match is None:
        raise RuntimeError(f"wrk printed no summary:\n{out}")
    v = {k: int(x) for k, x in
         (kv.split("=") for kv in match.group(1).split())}
    return Result(requests=v["requests"], seconds=v["duration_us"] / 1e6,
                  mib=v["bytes"] / (1 << 20),
                  errors=sum(v[k] for k in ("connect", "read", "write",
                                            "status", "timeout")),
                  p50_ms=v["p50_us"] / 1000, p99_ms=v["p99_us"] / 1000)


def read_response(sock: socket.socket) -> bytes:
    """One response with a Content-Length body, or b"" if none came."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?im)^content-length:\s*(\d+)", head).group(1))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return b""
        body += chunk
    return head


def keeps_alive(port: int, origin_port: int, proxied: bool) -> bool:
    """Whether a second request on the same client connection is answered."""
    host = f"127.0.0.1:{origin_port}"
    target = f"http://{host}/nocache/1k" if proxied else "/nocache/1k"
    request = f"GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    try:
        with socket.create_connection(("127.0.0.1", port), 5) as sock:
            sock.sendall(request)
            if not read_response(sock):
                return False
            sock.sendall(request)
            return bool(read_response(sock))
    except OSError:
        return False
