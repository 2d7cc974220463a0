"""tunnel.py - CONNECT measured: the time to open a tunnel, and how fast
one tunnel and eight at once carry a TLS download.

Opening: the time from connect() to the end of the TLS handshake with the
origin, through the proxy (TCP to the proxy, CONNECT, its 200, then TLS
through the tunnel) against direct; the median of OPENS tries each.
Throughput: curl downloads the origin's sparse 1 GiB file over TLS for at
most TRANSFER_S seconds per tunnel; MiB/s is what arrived over the time.
"""
from __future__ import annotations
import socket
import ssl
import statistics
import subprocess
import time

from load import LOAD_CPU

OPENS = 40          # tunnels opened to time the opening
TRANSFER_S = 4      # seconds each download may take at most
PARALLEL = 8        # tunnels at once in the second throughput test


def open_once(port: int, tls_port: int, proxied: bool) -> float:
    """Seconds to a finished TLS handshake with the origin."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    start = time.perf_counter()
    sock = socket.create_connection(("127.0.0.1", port), 5)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if proxied:
            sock.sendall(f"CONNECT 127.0.0.1:{tls_port} HTTP/1.1\r\n"
                         f"Host: 127.0.0.1:{tls_port}\r\n\r\n".encode())
            answer = b""
            while b"\r\n\r\n" not in answer:
                chunk = sock.recv(1)  # never read past the proxy's head
                if not chunk:
                    raise OSError("the proxy closed the tunnel")
                answer += chunk
        with ctx.wrap_socket(sock, server_hostname="127.0.0.1") as tls:
            tls.do_handshake()
            return time.perf_counter() - start
    finally:
        sock.close()


def open_ms(port: int, tls_port: int, proxied: bool) -> float:
    """The median time to open, in milliseconds."""
    times = [open_once(port, tls_port, proxied) for _ in range(OPENS)]
    return statistics.median(times) * 1000


def download_argv(port: int, tls_port: int, proxied: bool) -> list[str]:
    argv = ["taskset", "-c", str(LOAD_CPU), "curl", "-sk", "-o", "/dev/null",
            "--max-time", str(TRANSFER_S), "-w",
            "%{size_download} %{time_total}\n"]
    if proxied:
        argv += ["-x", f"http://127.0.0.1:{port}"]
    return argv + [f"https://127.0.0.1:{tls_port}/big"]


def throughput_mib_s(port: int, tls_port: int, proxied: bool,
                     tunnels: int) -> float:
    """The MiB/s that tunnels downloads at once carry in all."""
    procs = [subprocess.Popen(download_argv(port, tls_port, proxied),
                              stdout=subprocess.PIPE, text=True)
             for _ in range(tunnels)]
    total, longest = 0.0, 0.0
    for proc in procs:
        out, _ = proc.communicate(timeout=TRANSFER_S + 30)
        size, seconds = (float(x) for x in out.split())
        total += size
        longest = max(longest, seconds)
    return total / (1 << 20) / longest if longest else 0.0
