#!/usr/bin/python3
"""slowloris.py - is a legitimate client served while slow clients attack?

Starts the proxy given (with --args, port 0) and a small origin on
127.0.0.1, opens --clients connections that each send a request line and
then one more header line every --drip seconds, never the blank line (the
slowloris attack), and meanwhile fetches a page through the proxy every
--every seconds. Passes when every legitimate fetch gets its 200 within
--within seconds. Prints the latencies, how many slow connections the
proxy held (/proc/PID/fd) and how many threads it ran (/proc/PID/task).

Usage: python3 tests/slowloris.py --proxy PATH [--args "-n 4"]
       [--clients 500] [--seconds 5] (or make slowloris)
Exit status 0 when the check passes, 1 when it fails.
"""
from __future__ import annotations
import argparse
import http.server
import os
import re
import queue
import resource
import shlex
import socket
import statistics
import subprocess
import sys
import threading
import time

LISTENING = re.compile(rb"listening on [0-9.]+:(\d+)")
OK_LINE = re.compile(rb"HTTP/1\.[01] 200( |$)")
START_SECONDS = 10.0   # the proxy must say where it listens by then
CONNECT_SECONDS = 2.0  # a connect this slow: the listen queue is full
FETCH_SECONDS = 5.0    # a legitimate fetch gives up after this
BODY = b"served despite the attack\n"


class Page(http.server.BaseHTTPRequestHandler):
    """The origin: a short 200 for every GET, and no log lines."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args: object) -> None:
        pass


def start_origin() -> http.server.ThreadingHTTPServer:
    """The origin, serving in a daemon thread on a free port."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def start_proxy(path: str, args: list[str]) -> tuple[subprocess.Popen, int]:
    """The proxy, started on port 0, and the port it listens on. A thread
    reads its log, so that it never blocks on a full pipe."""
    proxy = subprocess.Popen([path, *args, "0"], stderr=subprocess.PIPE)
    lines: queue.Queue[bytes] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in
                                     iter(proxy.stderr.readline, b"")],
                     daemon=True).start()
    deadline = time.monotonic() + START_SECONDS
    last = b""
    while time.monotonic() < deadline:
        try:
            last = lines.get(timeout=deadline - time.monotonic())
        except queue.Empty:
            break
        match = LISTENING.search(last)
        if match:
            return proxy, int(match[1])
    proxy.kill()
    proxy.wait()
    sys.exit(f"slowloris: the proxy did not start: {last!r}")


def raise_fd_limit(wanted: int) -> None:
    """Raise this process's descriptor limit (and so the proxy's, which
    inherits it) to wanted, within the hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


def open_slow(port: int, origin: str, count: int) -> list[socket.socket]:
    """Up to count connections that have sent a request line and one
    header; fewer when the proxy stops accepting (a connect that takes
    CONNECT_SECONDS means the listen queue is full)."""
    socks = []
    for i in range(count):
        try:
            sock = socket.create_connection(("127.0.0.1", port),
                                            timeout=CONNECT_SECONDS)
            sock.sendall(f"GET http://{origin}/slow/{i} HTTP/1.1\r\n"
                         f"Host: {origin}\r\n".encode())
        except OSError as exc:
            print(f"  the proxy stopped accepting after {i} slow "
                  f"connections: {exc}")
            break
        socks.append(sock)
    return socks


def drip(socks: list[socket.socket], number: int) -> int:
    """Send each slow connection one more header line; how many are
    still open (the proxy may have answered and closed some)."""
    alive = 0
    for sock in socks:
        try:
            sock.sendall(f"X-Drip-{number}: a\r\n".encode())
            alive += 1
        except OSError:
            pass
    return alive


def fetch(port: int, origin: str) -> tuple[float, bytes]:
    """One legitimate GET through the proxy: (seconds, status line, or
    what went wrong)."""
    started = time.monotonic()
    data = b""
    try:
        with socket.create_connection(("127.0.0.1", port),
                                      timeout=FETCH_SECONDS) as sock:
            sock.sendall(f"GET http://{origin}/ HTTP/1.1\r\nHost: {origin}"
                         "\r\n\r\n".encode())
            while chunk := sock.recv(65536):
                data += chunk
    except OSError as exc:
        data = f"no answer: {exc}".encode()
    return time.monotonic() - started, data.split(b"\r\n", 1)[0]


def proc_count(pid: int, what: str) -> int:
    """How many entries /proc/PID/what (fd or task) has."""
    return len(os.listdir(f"/proc/{pid}/{what}"))


def attack(args: argparse.Namespace, pid: int, port: int,
           origin: str) -> list[tuple[float, bytes]]:
    """Hold the slow connections open for args.seconds while fetching
    every args.every seconds; the fetches' (seconds, status line)."""
    socks = open_slow(port, origin, args.clients)
    results = []
    try:
        started = time.monotonic()
        drips = 0
        while time.monotonic() - started < args.seconds:
            results.append(fetch(port, origin))
            drips += 1
            alive = drip(socks, drips)
            print(f"  t={time.monotonic() - started:4.1f}s slow connections "
                  f"open {alive}, proxy fds {proc_count(pid, 'fd')}, "
                  f"threads {proc_count(pid, 'task')}, fetch "
                  f"{results[-1][0] * 1000:.0f} ms "
                  f"'{results[-1][1].decode(errors='replace')}'",
                  flush=True)
            time.sleep(args.every)
    finally:
        for sock in socks:
            sock.close()
    return results


def main() -> int:
    """Run the check; print the numbers; 0 if it passed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--proxy", required=True, help="the proxy program")
    parser.add_argument("--args", default="",
                        help="the proxy's options (default: none, the "
                             "default pool)")
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--every", type=float, default=0.5)
    parser.add_argument("--within", type=float, default=1.0)
    args = parser.parse_args()
    raise_fd_limit(2 * args.clients + 256)
    origin = start_origin()
    where = f"127.0.0.1:{origin.server_address[1]}"
    proxy, port = start_proxy(args.proxy, shlex.split(args.args))
    print(f"slowloris: {args.clients} slow clients against {args.proxy} "
          f"{args.args} for {args.seconds:g} s")
    try:
        results = attack(args, proxy.pid, port, where)
    finally:
        proxy.terminate()
        proxy.wait(10)
        origin.shutdown()
    times = [secs for secs, _ in results]
    good = [secs for secs, line in results
            if OK_LINE.match(line) and secs <= args.within]
    print(f"slowloris: {len(good)} of {len(results)} legitimate fetches got "
          f"200 within {args.within:g} s; latency min "
          f"{min(times) * 1000:.0f} ms, median "
          f"{statistics.median(times) * 1000:.0f} ms, max "
          f"{max(times) * 1000:.0f} ms")
    return 0 if results and len(good) == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
