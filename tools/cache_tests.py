"""cache_tests.py - make cache-tests: the HTTP working group's cache tests
(http-cache-tests on the npm registry, the suite behind cache-tests.fyi)
run against a stage 05 or later program, used as a forward proxy.

The suite, at the version pinned in tools/cache-tests/package-lock.json,
is installed by npm ci into build/cache-tests/. Its server runs on a free
loopback port; tools/cache-tests/run.mjs sends every request of its client
through the program, in absolute form, and writes each test's result.
Then the program is stopped and the suite runs again: with no proxy,
nothing may pass, which proves that the first run went through it.

It prints a table (pass, required failure, not optimal, setup failure,
and the rest), then every required failure with its id and name. With
--strict (make test) it fails on a required failure, apart from the
tests EXCLUDED lists with their reasons, or when the proof fails.

Usage: cache_tests.py PROGRAM [--strict]
"""
from __future__ import annotations

import argparse
import collections
import filecmp
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
KIT = os.path.dirname(HERE)
PINNED = os.path.join(HERE, "cache-tests")
INSTALL = os.path.join(KIT, "build", "cache-tests")
SUITE = os.path.join(INSTALL, "node_modules", "http-cache-tests")
RUNNER = os.path.join(PINNED, "run.mjs")
START_LIMIT = 10      # seconds for the server or the program to listen
SUITE_LIMIT = 600     # seconds for one run of the suite

# Tests the strict check leaves out, by id prefix, each with its reason.
EXCLUDED = [
    ("cdn-", "written for CDNs (CDN-Cache-Control), not forward proxies"),
    ("interim-", "1xx interim responses: the suite's client reads them "
                 "from its server directly, bypassing any proxy"),
    ("surrogate-", "Surrogate-Control is addressed to CDNs; a forward "
                   "proxy leaves it alone"),
    ("age-parse-prefix", "this version wants 'Age: 0,7200' reused while "
                         "age-parse-dup-0 wants 'Age: 0, 0' stale; the kit "
                         "takes any Age list as stale"),
]
COLUMNS = ["pass", "fail", "not optimal", "setup failure"]


def install() -> None:
    """npm ci the pinned suite into INSTALL, unless it is there already."""
    lock = os.path.join(PINNED, "package-lock.json")
    installed = os.path.join(INSTALL, "package-lock.json")
    if os.path.isdir(SUITE) and os.path.exists(installed) and \
            filecmp.cmp(lock, installed, shallow=False):
        return
    os.makedirs(INSTALL, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy(os.path.join(PINNED, name), INSTALL)
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund",
                    "--ignore-scripts", "--loglevel=error"],
                   cwd=INSTALL, check=True)


def free_port() -> int:
    """A loopback port nothing listens on (for a moment)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_listening(port: int) -> None:
    """Return once something accepts on port, or raise."""
    deadline = time.monotonic() + START_LIMIT
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


def start_server(tmp: str) -> tuple[subprocess.Popen, int]:
    """The suite's own server on a free port."""
    port = free_port()
    env = dict(os.environ, npm_config_protocol="http",
               npm_config_port=str(port),
               npm_config_pidfile=os.path.join(tmp, "server.pid"))
    server = subprocess.Popen(["node", "server/server.mjs"], cwd=SUITE,
                              env=env, stdout=subprocess.DEVNULL)
    wait_listening(port)
    return server, port


def start_proxy(program: str) -> tuple[subprocess.Popen, int]:
    """The program on port 0, and the port its log says it took."""
    proxy = subprocess.Popen([program, "0"], stderr=subprocess.PIPE,
                             text=True)
    deadline = time.monotonic() + START_LIMIT
    while time.monotonic() < deadline:
        line = proxy.stderr.readline()
        if "listening on " in line:
            port = int(line.split("listening on ")[1].split()[0]
                       .rsplit(":", 1)[1])
            proxy.stderr = None  # its log is not read any further
            return proxy, port
        if not line:
            break
    proxy.kill()
    raise RuntimeError(f"{program} never said 'listening on'")


def run_suite(server_port: int, proxy_port: int, out: str) -> dict:
    """One run of the whole suite through 127.0.0.1:proxy_port, its
    results written to out."""
    subprocess.run(["node", RUNNER, SUITE, f"http://127.0.0.1:{server_port}",
                    f"127.0.0.1:{proxy_port}", out], check=True,
                   timeout=SUITE_LIMIT, stdout=subprocess.DEVNULL)
    with open(out) as f:
        return json.load(f)


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM proc and wait for it (kill it after 5 s)."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def excluded(test_id: str) -> str | None:
    """Why test_id is left out of the strict check, or None."""
    return next((why for prefix, why in EXCLUDED
                 if test_id.startswith(prefix)), None)


def report(program: str, results: dict, proof: dict) -> list[dict]:
    """Print the table and the required failures; return those that
    count (not excluded)."""
    counts = collections.Counter(t["result"] for t in results["tests"])
    others = sorted(k for k in counts if k not in COLUMNS)
    head = ["target", *COLUMNS, *others]
    row = [program, *(str(counts[k]) for k in COLUMNS + others)]
    print("| " + " | ".join(head) + " |")
    print("|---|" + "--:|" * (len(head) - 1))
    print("| " + " | ".join(row) + " |")
    print(f"\n{results['sent']} requests went through the program; with it "
          f"stopped, {sum(t['result'] == 'pass' for t in proof['tests'])} "
          f"of {len(proof['tests'])} tests passed (0 proves they go "
          "through it).")
    failing = [t for t in results["tests"] if t["result"] == "fail"]
    counted = [t for t in failing if excluded(t["id"]) is None]
    print(f"\nRequired failures: {len(failing)}, {len(counted)} outside "
          "the exclusions")
    for t in failing:
        why = excluded(t["id"])
        note = f"  [excluded: {why}]" if why else ""
        print(f"  {t['id']}: {t['name']} ({t['detail']}){note}")
    return counted


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("program", help="a stage 05 or later program")
    parser.add_argument("--strict", action="store_true",
                        help="fail on a required failure not excluded")
    args = parser.parse_args()
    install()
    with tempfile.TemporaryDirectory() as tmp:
        server, server_port = start_server(tmp)
        try:
            proxy, proxy_port = start_proxy(args.program)
            try:
                results = run_suite(server_port, proxy_port,
                                    os.path.join(tmp, "through.json"))
            finally:
                stop(proxy)
            proof = run_suite(server_port, proxy_port,
                              os.path.join(tmp, "stopped.json"))
        finally:
            stop(server)
    counted = report(args.program, results, proof)
    proven = not any(t["result"] == "pass" for t in proof["tests"])
    ok = proven and not counted
    print(f"\n{int(ok)} passed, {int(not ok)} failed")
    return 0 if ok or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())
