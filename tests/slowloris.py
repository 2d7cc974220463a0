#!/usr/bin/python3
"""slowloris.py - is a legitimate client served while slow clients attack?

Starts the proxy given (with --args, port 0) and a small origin on
127.0.0.1, then runs each attack of --attacks for --seconds, fetching a
page through the proxy every --every seconds meanwhile:

  heads   500 connections that send a request line, then one more header
          line each round, never the blank line (slowloris);
  bodies  100 POSTs with a complete head and a 1 MB Content-Length that
          send their body a byte each round;
  idle    5000 connections that send half a request line, then nothing;
  fds     the proxy under a descriptor limit of 256 (prlimit): 300
          connections that send half a request line, hold, then close;
          afterwards a client must be served within the head deadline
          (-t 2000) and a second.

An attack passes when every legitimate fetch gets its 200 within --within
seconds (during fds: a 200 or a 503, never a hang). Prints the latencies,
how many connections the proxy held (/proc/PID/fd) and how many threads
it ran (/proc/PID/task).

Usage: python3 tests/slowloris.py --proxy PATH [--args "-n 4"]
       [--attacks heads,bodies,idle,fds] [--seconds 5] (or make slowloris)
Exit status 0 when every attack passes, 1 when one fails.
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
from collections.abc import Callable
from dataclasses import dataclass

LISTENING = re.compile(rb"listening on [0-9.]+:(\d+)")
OK_LINE = re.compile(rb"HTTP/1\.[01] 200( |$)")
START_SECONDS = 10.0   # the proxy must say where it listens by then
CONNECT_SECONDS = 2.0  # a connect this slow: the listen queue is full
FETCH_SECONDS = 5.0    # a legitimate fetch gives up after this
BODY = b"served despite the attack\n"
ANSWERED = re.compile(rb"HTTP/1\.[01] (200|503)( |$)")
BIG_BODY = 1 << 20     # the Content-Length of the slow bodies
IDLE_CLIENTS = 5000    # the idle attack's connections
FDS_LIMIT = 256        # the fds attack's descriptor limit on the proxy
FDS_CLIENTS = 300      # ... and its half-open connections
FDS_HEAD_MS = 2000     # ... and the proxy's -t


class Page(http.server.BaseHTTPRequestHandler):
    """The origin: a short 200 for every GET, and no log lines."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args: object) -> None:
        pass


class Origin(http.server.ThreadingHTTPServer):
    """The origin's server: a client that left (the proxy closing an
    attacker's half-sent request) is no error worth a traceback, and a
    burst of connections fits its listen queue."""

    request_queue_size = 128

    def handle_error(self, request: object, client_address: object) -> None:
        pass


def start_origin() -> Origin:
    """The origin, serving in a daemon thread on a free port."""
    server = Origin(("127.0.0.1", 0), Page)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def start_proxy(path: str, args: list[str],
                nofile: int | None = None) -> tuple[subprocess.Popen, int]:
    """The proxy, started on port 0 (under a descriptor limit of nofile,
    if given), and the port it listens on. A thread reads its log, so that
    it never blocks on a full pipe."""
    limit = ["prlimit", f"--nofile={nofile}"] if nofile else []
    proxy = subprocess.Popen([*limit, path, *args, "0"],
                             stderr=subprocess.PIPE)
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


def raise_fd_limit(wanted: int) -> int:
    """Raise this process's descriptor limit (and so the proxy's, which
    inherits it) to wanted, within the hard limit; the limit it got."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        soft = min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return soft


def open_slow(port: int, count: int, first: Callable[[int], bytes]) -> \
        list[socket.socket]:
    """Up to count connections that have sent first(i); fewer when the
    proxy stops accepting (a connect that takes CONNECT_SECONDS means the
    listen queue is full)."""
    socks = []
    for i in range(count):
        try:
            sock = socket.create_connection(("127.0.0.1", port),
                                            timeout=CONNECT_SECONDS)
            sock.sendall(first(i))
        except OSError as exc:
            print(f"  the proxy stopped accepting after {i} slow "
                  f"connections: {exc}")
            break
        socks.append(sock)
    return socks


def drip(socks: list[socket.socket], data: bytes) -> int:
    """Send each slow connection data; how many are still open (the proxy
    may have answered and closed some)."""
    alive = 0
    for sock in socks:
        try:
            sock.sendall(data)
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
            # read to the end: the answer's close (stage 07 would keep
            # the connection open for the next request otherwise)
            sock.sendall(f"GET http://{origin}/ HTTP/1.1\r\nHost: {origin}"
                         "\r\nConnection: close\r\n\r\n".encode())
            while chunk := sock.recv(65536):
                data += chunk
    except OSError as exc:
        data = f"no answer: {exc}".encode()
    return time.monotonic() - started, data.split(b"\r\n", 1)[0]


def proc_count(pid: int, what: str) -> int:
    """How many entries /proc/PID/what (fd or task) has."""
    try:
        return len(os.listdir(f"/proc/{pid}/{what}"))
    except OSError:
        return -1   # prlimit's child, or gone


@dataclass
class Attack:
    """One attack: how many slow connections, what each sends first, and
    what it sends each round after (None: nothing, it stays silent)."""
    clients: int
    first: Callable[[str, int], bytes]
    each_round: Callable[[int], bytes] | None


ATTACKS = {
    "heads": Attack(500, lambda origin, i: (
        f"GET http://{origin}/slow/{i} HTTP/1.1\r\nHost: {origin}\r\n"
    ).encode(), lambda n: f"X-Drip-{n}: a\r\n".encode()),
    "bodies": Attack(100, lambda origin, i: (
        f"POST http://{origin}/slow/{i} HTTP/1.1\r\nHost: {origin}\r\n"
        f"Content-Length: {BIG_BODY}\r\n\r\n"
    ).encode(), lambda n: b"x"),
    "idle": Attack(IDLE_CLIENTS, lambda origin, i: b"GET http://", None),
}


def fetch_while(args: argparse.Namespace, pid: int, port: int, origin: str,
                socks: list[socket.socket],
                each_round: Callable[[int], bytes] | None) -> \
        list[tuple[float, bytes]]:
    """Fetch every args.every seconds for args.seconds, sending the slow
    connections each_round's bytes in between; the fetches' (seconds,
    status line)."""
    results = []
    started = time.monotonic()
    rounds = 0
    while time.monotonic() - started < args.seconds:
        results.append(fetch(port, origin))
        rounds += 1
        alive = drip(socks, each_round(rounds)) if each_round else len(socks)
        print(f"  t={time.monotonic() - started:4.1f}s slow connections "
              f"open {alive}, proxy fds {proc_count(pid, 'fd')}, "
              f"threads {proc_count(pid, 'task')}, fetch "
              f"{results[-1][0] * 1000:.0f} ms "
              f"'{results[-1][1].decode(errors='replace')}'", flush=True)
        time.sleep(args.every)
    return results


def verdict(name: str, results: list[tuple[float, bytes]], within: float,
            ok: re.Pattern[bytes] = OK_LINE) -> bool:
    """Print how the fetches of an attack went; True if each got an ok
    status line within the limit."""
    times = [secs for secs, _ in results]
    good = [secs for secs, line in results
            if ok.match(line) and secs <= within]
    print(f"slowloris {name}: {len(good)} of {len(results)} legitimate "
          f"fetches answered within {within:g} s; latency min "
          f"{min(times) * 1000:.0f} ms, median "
          f"{statistics.median(times) * 1000:.0f} ms, max "
          f"{max(times) * 1000:.0f} ms", flush=True)
    return bool(results) and len(good) == len(results)


def run_attack(args: argparse.Namespace, name: str, origin: str) -> bool:
    """One attack of ATTACKS against a fresh proxy; True if it passed."""
    attack = ATTACKS[name]
    proxy, port = start_proxy(args.proxy, shlex.split(args.args))
    print(f"slowloris {name}: {attack.clients} slow clients against "
          f"{args.proxy} {args.args} for {args.seconds:g} s", flush=True)
    socks = open_slow(port, attack.clients,
                      lambda i: attack.first(origin, i))
    try:
        results = fetch_while(args, proxy.pid, port, origin, socks,
                              attack.each_round)
    finally:
        for sock in socks:
            sock.close()
        proxy.terminate()
        proxy.wait(10)
    return verdict(name, results, args.within)


def run_fds(args: argparse.Namespace, origin: str) -> bool:
    """The descriptor-exhaustion attack; True if it passed: during it, each
    fetch is answered (200 or 503); after it, one is served within the
    head deadline and a second."""
    proxy, port = start_proxy(args.proxy, ["-t", str(FDS_HEAD_MS),
                                           *shlex.split(args.args)],
                              nofile=FDS_LIMIT)
    print(f"slowloris fds: {FDS_CLIENTS} half-open clients against "
          f"{args.proxy} limited to {FDS_LIMIT} descriptors", flush=True)
    socks = open_slow(port, FDS_CLIENTS, lambda i: b"GET http://")
    try:
        during = [fetch(port, origin) for _ in range(3)]
    finally:
        for sock in socks:
            sock.close()
    after = time.monotonic()
    served = fetch(port, origin)
    while not OK_LINE.match(served[1]) and \
            time.monotonic() - after < FDS_HEAD_MS / 1000 + 1:
        time.sleep(0.05)
        served = fetch(port, origin)
    served = (time.monotonic() - after, served[1])
    proxy.terminate()
    proxy.wait(10)
    ok_during = verdict("fds (during)", during, FETCH_SECONDS, ANSWERED)
    return verdict("fds (after)", [served], FDS_HEAD_MS / 1000 + 1) and \
        ok_during


def main() -> int:
    """Run the attacks; print the numbers; 0 if every one passed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--proxy", required=True, help="the proxy program")
    parser.add_argument("--args", default="",
                        help="the proxy's options (default: none, the "
                             "default pool)")
    parser.add_argument("--attacks", default="heads,bodies,idle,fds")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--every", type=float, default=0.5)
    parser.add_argument("--within", type=float, default=1.0)
    args = parser.parse_args()
    names = args.attacks.split(",")
    unknown = [n for n in names if n not in ATTACKS and n != "fds"]
    if unknown:
        parser.error(f"unknown attacks {unknown}: heads, bodies, idle, fds")
    got = raise_fd_limit(2 * IDLE_CLIENTS + 256)
    if got < 2 * IDLE_CLIENTS + 256 and "idle" in names:
        print(f"slowloris: the descriptor limit is {got}, too low for "
              f"{IDLE_CLIENTS} idle clients and the proxy's descriptors")
        return 1
    origin = start_origin()
    where = f"127.0.0.1:{origin.server_address[1]}"
    try:
        passed = [run_fds(args, where) if name == "fds" else
                  run_attack(args, name, where) for name in names]
    finally:
        origin.shutdown()
    print(f"{sum(passed)} passed, {len(passed) - sum(passed)} failed")
    return 0 if all(passed) else 1


if __name__ == "__main__":
    sys.exit(main())
