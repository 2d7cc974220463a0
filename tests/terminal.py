"""terminal.py - a shell that a check types commands into, the way a
student types them into a terminal (tests/handout_commands.py).

One bash with job control (set -m), so that what a command changes (the
folder, a variable, ulimit) holds for the next, and each job has a process
group of its own. A command runs in the foreground with a time limit, its
output kept; or as a background job, its output in a file, until it is
stopped. Every command reads /dev/null. Nothing is left behind: a job that
is stopped gets SIGTERM, then SIGKILL, and bash reaps it; a closed
terminal stops its jobs and its bash is reaped.
"""
from __future__ import annotations
import os
import select
import shlex
import signal
import subprocess
import time
from pathlib import Path

STOP_LIMIT = 5.0   # seconds a process group has to end after each signal
TYPE_LIMIT = 30.0  # seconds bash has to answer a builtin (a loaded machine)
POLL = 0.05        # seconds between looks at /proc


def processes() -> list[tuple[int, int, int, str]]:
    """(pid, parent pid, process group, state) of every process."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        found.append((int(entry), int(fields[1]), int(fields[2]),
                      fields[0]))
    return found


def members(pgid: int, living: bool = False) -> list[int]:
    """The processes of a group (living: not the zombies)."""
    return [pid for pid, _, group, state in processes()
            if group == pgid and not (living and state == "Z")]


def end_group(pgid: int) -> bool:
    """Stop a process group: SIGTERM, then SIGKILL once STOP_LIMIT has
    passed; wait until every process of it is gone (reaped). True when
    SIGTERM was enough."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return True
        deadline = time.monotonic() + STOP_LIMIT
        while members(pgid) and time.monotonic() < deadline:
            time.sleep(POLL)
        if not members(pgid):
            return sig == signal.SIGTERM
    return False


class Terminal:
    """A bash a check types commands into."""

    def __init__(self, cwd: Path, env: dict[str, str], logs: Path):
        logs.mkdir(parents=True, exist_ok=True)
        self.logs, self.cwd, self.count = logs, cwd, 0
        self.jobs: list[int] = []    # process groups of background jobs
        self.marker = f"__typed_{os.getpid()}_{logs.name}_"
        self.token, self.said, self.pending = "", 0, b""
        with open(logs / "bash.log", "wb") as errors:
            self.bash = subprocess.Popen(
                ["bash", "--norc", "--noprofile"], cwd=cwd, env=env,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=errors, start_new_session=True)
        self.say("set -m", "$?", TYPE_LIMIT)

    def say(self, script: str, value: str, limit: float) -> str | None:
        """Type a script, then have bash print value (a shell word) after a
        token of its own; return what it printed, or None if the script
        did not end within limit."""
        self.said += 1
        self.token = f"{self.marker}{self.said}"
        line = f"printf '\\n%s %s %s\\n' {self.token} {value} \"$PWD\"\n"
        self.bash.stdin.write(f"{script}\n{line}".encode())
        self.bash.stdin.flush()
        return self.answer(time.monotonic() + limit)

    def answer(self, deadline: float) -> str | None:
        """The value bash printed after the last script's token, once it
        has (any earlier, late answer is dropped); None if deadline passes
        first."""
        fd, token = self.bash.stdout.fileno(), f"{self.token} ".encode()
        while token not in self.pending:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 4096)
            if not chunk:
                return None
            self.pending += chunk
        _, after = self.pending.split(token, 1)
        line, _, self.pending = after.partition(b"\n")
        value, _, cwd = line.decode(errors="replace").strip().partition(" ")
        self.cwd = Path(cwd) if cwd else self.cwd
        return value

    def run(self, text: str, limit: float) -> tuple[int | None, str]:
        """Run a command in the foreground: its exit status (None if it did
        not end within limit, then it is stopped) and its output."""
        self.count += 1
        out = self.logs / f"{self.count}.out"
        script = f"{{ {text}\n}} > {shlex.quote(str(out))} 2>&1 < /dev/null"
        value = self.say(script, "$?", limit)
        if value is None:
            self.end_foreground()
            self.answer(time.monotonic() + 2 * STOP_LIMIT + 1)
        output = out.read_text(errors="replace") if out.exists() else ""
        return (int(value) if value and value.isdigit() else None), output

    def end_foreground(self) -> None:
        """Stop what runs in the foreground (bash's children that are not
        background jobs)."""
        groups = {group for _, parent, group, _ in processes()
                  if parent == self.bash.pid and group not in self.jobs}
        for group in groups - {self.bash.pid}:
            end_group(group)

    def start(self, text: str) -> tuple[int, Path] | None:
        """Start a command as a background job, in a process group of its
        own, its output in a file: (the group, the file), or None if bash
        did not say it started."""
        self.count += 1
        log = self.logs / f"{self.count}.log"
        script = (f"{{ trap : TERM; {text}\nuntil wait; do :; done; }} "
                  f"> {shlex.quote(str(log))} 2>&1 < /dev/null &")
        value = self.say(script, "$!", TYPE_LIMIT)
        if not value or not value.isdigit():
            return None
        self.jobs.append(int(value))
        return int(value), log

    def stop(self, pgid: int) -> bool:
        """Stop a background job; True when SIGTERM was enough."""
        if pgid in self.jobs:
            self.jobs.remove(pgid)
        return end_group(pgid)

    def close(self) -> None:
        """Stop every job, then end bash and reap it."""
        for pgid in reversed(list(self.jobs)):
            self.stop(pgid)
        try:
            self.bash.stdin.write(b"exit\n")
            self.bash.stdin.close()
        except OSError:
            pass
        try:
            self.bash.wait(STOP_LIMIT)
        except subprocess.TimeoutExpired:
            end_group(self.bash.pid)
            self.bash.wait()
        self.bash.stdout.close()
