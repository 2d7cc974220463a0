"""procs.py - the programs the benchmark starts: pinned, measured, reaped.

Every program runs under `taskset` on one core, its output in a log file
in the run's temp folder. Its peak memory is the sum of VmHWM (the
resident set's high-water mark) over its process tree, read from /proc.
"""
from __future__ import annotations
import os
import signal
import socket
import subprocess
import time

START_LIMIT = 10.0   # seconds a server may take to start listening
STOP_LIMIT = 5.0     # seconds it may take to stop after SIGTERM


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on just now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """A started program, pinned to a core, with its output in a log."""

    def __init__(self, name: str, argv: list[str], cpu: int, logdir: str):
        self.name = name
        self.log = os.path.join(logdir, f"{name}.out")
        with open(self.log, "ab") as out:
            self.popen = subprocess.Popen(
                ["taskset", "-c", str(cpu), *argv], stdin=subprocess.DEVNULL,
                stdout=out, stderr=subprocess.STDOUT)

    def tree(self) -> list[int]:
        """The pids of the program and of all its descendants."""
        pids, todo = [], [self.popen.pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            try:
                with open(f"/proc/{pid}/task/{pid}/children") as f:
                    todo.extend(int(p) for p in f.read().split())
            except OSError:
                continue
        return pids

    def pin(self, cpu: int) -> None:
        """Move every thread of every process of the tree to cpu."""
        for pid in self.tree():
            subprocess.run(["taskset", "-a", "-p", "-c", str(cpu), str(pid)],
                           check=False, capture_output=True)

    def peak_rss_kib(self) -> int:
        """The sum of the tree's VmHWM, in KiB (0 if none is readable)."""
        total = 0
        for pid in self.tree():
            try:
                with open(f"/proc/{pid}/status") as f:
                    for line in f:
                        if line.startswith("VmHWM:"):
                            total += int(line.split()[1])
            except OSError:
                continue
        return total

    def running(self) -> bool:
        return self.popen.poll() is None

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers; always reaped."""
        if self.running():
            self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(STOP_LIMIT)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


def wait_listening(port: int, proc: Proc) -> None:
    """Return once 127.0.0.1:port accepts connections; raise if proc dies
    or START_LIMIT passes first."""
    end = time.monotonic() + START_LIMIT
    while time.monotonic() < end:
        if not proc.running():
            raise RuntimeError(f"{proc.name} exited; see {proc.log}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{proc.name} is not listening on port {port}")
