"""bench.py - `make bench`: the reference proxy against direct, tinyproxy
and squid, on this machine, in one run.

Starts nginx (origin.py) in a temp folder, then each target (targets.py)
in turn on its own core, drives it with wrk (load.py) at every file size,
client mode and connection count, measures CONNECT tunnels (tunnel.py),
and writes docs/performance.md and docs/performance.svg (report.py).
Usage: python3 bench/bench.py [--full] [--seconds N] [--only NAME ...]
"""
from __future__ import annotations
import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

import idle
import load
import origin
import report
import targets
import tunnel

CONNS = [16]
FULL_CONNS = [1, 16, 128]
DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs")


def version(argv: list[str]) -> str:
    """The first line a program prints about its version, or "-"."""
    if shutil.which(argv[0]) is None:
        return "-"
    out = subprocess.run(argv, capture_output=True, text=True, check=False)
    lines = (out.stdout + out.stderr).strip().splitlines()
    return lines[0] if lines else "-"


def machine() -> str:
    with open("/proc/cpuinfo") as f:
        cpu = next((ln.split(":", 1)[1].strip() for ln in f
                    if ln.startswith("model name")), "unknown")
    tools = [["nginx", "-v"], ["wrk", "-v"], ["tinyproxy", "-v"],
             ["squid", "-v"], ["cc", "--version"], ["curl", "--version"]]
    return (f"- CPU: {cpu}, {os.cpu_count()} cores; Linux "
            f"{platform.release()}\n" +
            "".join(f"- {version(t)}\n" for t in tools))


def measure_http(name: str, port: int, setup: targets.Setup,
                 target: targets.Target | None, opts, proc) -> list:
    """Every size, mode and connection count through one target."""
    rows = []
    for size in targets.SIZES:
        path = targets.path_of(target, size)
        if target is not None and target.hits:
            targets.warm(port, setup.origin_port, size)
        for keepalive in (False, True):
            for conns in opts.conns:
                before = origin.counts(setup.origin_port)
                result = load.run_wrk(port, setup.origin_port, path,
                                      target is not None, keepalive, conns,
                                      opts.seconds)
                after = origin.counts(setup.origin_port)
                rss = proc.peak_rss_kib() if target is not None else 0
                rows.append(report.Row(name, size, keepalive, conns, result,
                                       rss, after[0] - before[0] - 1,
                                       after[1] - before[1] - 1))
                print(f"  {size:>4} {report.mode_name(keepalive)[:10]:10} "
                      f"c={conns:<3} {result.rps:9,.0f} req/s "
                      f"p99 {result.p99_ms:7.2f} ms errors {result.errors}",
                      flush=True)
    return rows


def measure_tunnels(name: str, port: int, setup: targets.Setup,
                    proxied: bool, proc) -> report.TunnelRow:
    opened = tunnel.open_ms(port, setup.tls_port, proxied)
    one = tunnel.throughput_mib_s(port, setup.tls_port, proxied, 1)
    many = tunnel.throughput_mib_s(port, setup.tls_port, proxied,
                                   tunnel.PARALLEL)
    rss = proc.peak_rss_kib() if proxied else 0
    print(f"  tunnels: open {opened:.2f} ms, 1: {one:,.0f} MiB/s, "
          f"{tunnel.PARALLEL}: {many:,.0f} MiB/s", flush=True)
    return report.TunnelRow(name, opened, one, many, rss)


def run_direct(nginx, setup, opts, http, tunnels, alive) -> None:
    """The origin alone, moved to the server's core while measured."""
    print("direct", flush=True)
    nginx.pin(targets.SERVER_CPU)
    try:
        alive["direct"] = load.keeps_alive(setup.origin_port,
                                           setup.origin_port, False)
        http += measure_http("direct", setup.origin_port, setup, None, opts,
                             nginx)
        tunnels.append(measure_tunnels("direct", setup.tls_port, setup,
                                       False, nginx))
    finally:
        nginx.pin(load.LOAD_CPU)


def run_target(t, setup, opts, http, tunnels, alive) -> None:
    print(t.name, flush=True)
    proc, port = t.start(setup)
    try:
        alive[t.name] = load.keeps_alive(port, setup.origin_port, True)
        http += measure_http(t.name, port, setup, t, opts, proc)
        if t.tunnels:
            tunnels.append(measure_tunnels(t.name, port, setup, True, proc))
    finally:
        proc.stop()


def run_idle(setup):
    """Stage 07 holding idle.CLIENTS idle kept clients."""
    print("07-persist idle clients", flush=True)
    idle.raise_nofile()  # the proxy inherits it
    proc, port = targets.start_kit(
        "07-persist", "-k", str(idle.IDLE_MS), *targets.cache_flags(setup))(
            setup)
    try:
        targets.warm(port, setup.origin_port, "1k")
        result = idle.hold(port, setup.origin_port, proc)
        print(f"  {result.clients:,} idle: {result.threads} threads, "
              f"{result.rss_kib / 1024:.1f} MiB, a new client in "
              f"{result.new_ms:.1f} ms, {result.kept} kept of the probed",
              flush=True)
        return result
    finally:
        proc.stop()


def build_kit() -> str:
    for lab in (2, 3, 5, 7):
        subprocess.run(["make", "-s", "--no-print-directory", "SOL=1",
                        "lab", f"LAB={lab}"], check=True)
    out = subprocess.run(["make", "-s", "--no-print-directory", "SOL=1",
                          "path", "LAB=5"], check=True, capture_output=True,
                         text=True)
    return os.path.dirname(out.stdout.strip())


def write_docs(opts, http, tunnels, alive, started, loads, held) -> str:
    command = "make bench" + (" FULL=1" if opts.full else "")
    keep = ", ".join(f"{k}: {'yes' if v else 'no'}" for k, v in alive.items())
    text = (
        "# Performance\n\n"
        "Measured by `make bench` (bench/bench.py); "
        "see \"How it measures\" below.\n\n"
        f"Command: `{command}` ({opts.seconds} s per run), "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(started))}, "
        f"{(time.time() - started) / 60:.1f} minutes; load average "
        f"{loads[0]} before, {loads[1]} after.\n\n"
        f"{machine()}\n"
        "## Against the targets of the issue\n\n"
        f"{report.targets(http, tunnels, targets.CACHE_BYTES, held)}\n"
        "## HTTP\n\n![req/s by target](performance.svg)\n\n"
        f"Client keep-alive honoured (a second request on one connection "
        f"answered): {keep}.\n\n"
        f"{report.http_tables(http)}\n"
        "## CONNECT tunnels to a TLS origin\n\n"
        f"{report.tunnel_table(tunnels)}\n"
        f"{METHOD}")
    with open(os.path.join(DOCS, "performance.md"), "w") as f:
        f.write(text)
    headline = [r for r in http if r.conns == 16 and not r.keepalive]
    with open(os.path.join(DOCS, "performance.svg"), "w") as f:
        f.write(report.svg_chart(
            headline, "req/s, 16 connections, a new connection per request"))
    return text


METHOD = f"""\
## How it measures

- Origin: nginx, one process, serving 1 KiB, 100 KiB and 1 MiB files;
  misses are requests for `/nocache/...` (`Cache-Control: no-store`), hits
  are requests for the cacheable path after one warming request. The
  tunnels reach nginx's TLS server (self-signed certificate).
- Load: wrk with bench/proxy.lua (absolute-form requests through a proxy),
  two threads (one with one connection), `Connection: close` for "a new
  connection per request". A proxy that closes after each response turns
  keep-alive into a new connection per request too: see the line above
  the tables for who honours it.
- Cores: the server under test (the proxy, or nginx for direct) runs on
  core {targets.SERVER_CPU}; wrk, curl, the tunnel client and nginx (when
  a proxy is measured) on core {load.LOAD_CPU}.
- The kit's stages: the reference (`make lab SOL=1`), logging at
  `-l {targets.KIT_LOG_LEVEL}`, stage 05 with `-m {targets.CACHE_BYTES}
  -o {targets.CACHE_OBJECT}`; squid with the same memory cache size
  (`cache deny all` for the misses); tinyproxy with its defaults.
- Origin connections: nginx's own counts (stub_status at `/status`,
  asked directly before and after each run) of the connections it
  accepted and the requests it served during the run: a proxy that
  reuses its origin connections serves many requests on each.
- Peak RSS: VmHWM from /proc, summed over the target's processes, after
  the run of the row (so it grows down a target's rows).
- Tunnels: "open" is the median of {tunnel.OPENS} times from connect() to
  the end of the TLS handshake; throughput is curl downloading for at most
  {tunnel.TRANSFER_S} s per tunnel, one tunnel, then {tunnel.PARALLEL} at
  once.
- Errors: tinyproxy answers a request with `Connection: close` but
  leaves that header out of its response and then closes, so wrk's next
  request on the connection fails and counts as a read error: a
  reconnect, not a lost response.
- The numbers are only comparable within one run on one machine; compare
  the ratios.
"""


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--full", action="store_true",
                   help="also 1 and 128 connections")
    p.add_argument("--seconds", type=int, default=5, help="per wrk run")
    p.add_argument("--only", nargs="*", default=None,
                   help="measure only these targets (and direct)")
    opts = p.parse_args()
    opts.conns = FULL_CONNS if opts.full else CONNS
    return opts


def main() -> int:
    opts = parse_args()
    if shutil.which("wrk") is None or shutil.which("nginx") is None:
        print("bench: wrk and nginx are needed: make bench-deps",
              file=sys.stderr)
        return 1
    started, load_before = time.time(), os.getloadavg()[0]
    kit_bin = build_kit()
    tmp = tempfile.mkdtemp(prefix="proxylab-bench-")
    nginx, port, tls_port = origin.start(tmp, load.LOAD_CPU)
    setup = targets.Setup(tmp, port, tls_port, kit_bin)
    http, tunnels, alive, held = [], [], {}, None
    try:
        run_direct(nginx, setup, opts, http, tunnels, alive)
        for t in targets.all_targets():
            if opts.only is None or t.name in opts.only:
                run_target(t, setup, opts, http, tunnels, alive)
        if opts.only is None or "07-persist idle" in opts.only:
            held = run_idle(setup)
    finally:
        nginx.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    loads = (f"{load_before:.2f}", f"{os.getloadavg()[0]:.2f}")
    print(write_docs(opts, http, tunnels, alive, started, loads, held))
    return 0


if __name__ == "__main__":
    sys.exit(main())
