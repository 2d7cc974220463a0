"""walkthrough.py - one Markdown file's commands, typed the way a student
following it would type them (tests/handout_commands.py runs one per file).

The file is followed from top to bottom, each block typed into a terminal
of its own (terminal.py) that stays open with its jobs until the file
ends, as a student's terminals would:
- a command that starts a server (SERVERS: the stage's program, make
  origin, python3 -m http.server, an nc listener, openssl s_server) runs
  in the background on port 0 and is waited for until it listens: the
  port it prints, or else the one the kernel shows it listening on. That
  port then stands for the one written in every later line of the file. A
  server started on a port already served replaces the one there (the
  student stops it first); a port named before its server starts gets a
  free port, which its server then takes. A transcript (a block of `$ `
  prompts) runs once the ports it uses and does not serve are served, and
  its servers stop at its end;
- a command with a job (`&`) runs in the background too; when the file
  ends, its jobs stop (SIGTERM, then SIGKILL) and are reaped: the clients
  first, then the servers in the order they started (an origin before the
  proxy that waits on it);
- any other command must exit 0 within LIMIT seconds (MAKE_LIMIT for
  make), or, when it promises an HTTP status or a cache mark
  (mdcommands.py), show it; a grade must end with "N passed, 0 failed";
- /tmp is a scratch folder of the file's own; `pgrep -n NAME` and `pkill
  -f PATTERN` find only the processes this walk-through started, and a
  signal sent gets SETTLE seconds to be handled before the next line.
What the caller's plan says comes first: a command may run as another
text (narrowed), not at all (covered by another, identical to one run
before), or as its exception says (SKIP; INTERACTIVE: it runs until the
student stops it, so it must start without failing, then is stopped
before the next line; "stop PORT": that port's server is stopped first).
"""
from __future__ import annotations
import os
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import mdcommands
from mdcommands import Block, Command, make_words
from terminal import POLL, Terminal, members

LIMIT = 30          # seconds a command may take
MAKE_LIMIT = 300    # seconds a make command may take
START_LIMIT = 20    # seconds a server has to start listening
SETTLE = 0.3        # seconds a job must live to have started, or a signal
TAIL = 8            # lines of a failed command's output shown
SKIP, INTERACTIVE = "skip", "interactive"
MAKE_ENV = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")

# Programs that serve, found in a command; the port is the last argument
# of the program's that is a number or a host:number.
SERVERS = (re.compile(r"\$\(make -s path\b[^)]*\)"),
           re.compile(r"\bmake origin\b"),
           re.compile(r"\bpython3 -m http\.server\b"),
           re.compile(r"\bnc (?:-\w+ )*-\w*l"),
           re.compile(r"\bopenssl s_server\b"))
PORT_ARGUMENT = re.compile(r"^(?:[\w.\[\]:]*:)?(\d+)$")
COMMAND_END = re.compile(r"^(?:\|\|?|&&?|;|\d?>>?|<|\))")
ANNOUNCED = re.compile(r"listening on \S*?:(\d+)|Serving HTTP on \S+ port "
                       r"(\d+)|ACCEPT \S*?:(\d+)")
JOB = re.compile(r"(?<![&>|<])&(?![&>])")
QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
TMP = re.compile(r"(?<![\w./-])/tmp(?![\w.-])")
PGREP = re.compile(r"\bpgrep -n ([\w.-]+)")
PKILL = re.compile(r"\bpkill (-\w+ )?-f ('[^']*'|\"[^\"]*\"|\S+)")
TOTALS = re.compile(r"^(\d+) passed, (\d+) failed", re.M)
ENDED = "__job_ended__"


def server_span(text: str) -> tuple[int, int] | bool:
    """Where the port is in a command that starts a server; True for a
    server with no port written (make origin); False for no server."""
    for program in SERVERS:
        found = program.search(text)
        if not found:
            continue
        span = None
        for word in re.finditer(r"\S+", text[found.end():]):
            if COMMAND_END.match(word[0]):
                break
            number = PORT_ARGUMENT.match(word[0])
            if number:
                start = found.end() + word.start()
                span = (start + number.start(1), start + number.end(1))
        if span or "make origin" in found[0]:
            return span or True
    return False


def names_port(text: str, port: int) -> bool:
    """True when a command names port (as a number of its own)."""
    return re.search(rf"(?<![\w.]){port}(?!\w)", text) is not None


def has_job(text: str) -> bool:
    """True when a command starts a job with `&`."""
    return JOB.search(QUOTED.sub("", text)) is not None


def free_port() -> int:
    """A port nothing listens on now, on the loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def listening_ports(pids: list[int]) -> set[int]:
    """The TCP ports the processes pids listen on (the kernel's tables)."""
    sockets = set()
    for pid in pids:
        try:
            links = [os.readlink(f"/proc/{pid}/fd/{fd}")
                     for fd in os.listdir(f"/proc/{pid}/fd")]
        except OSError:
            continue
        sockets |= {link[8:-1] for link in links
                    if link.startswith("socket:[")}
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            fields = row.split()
            if fields[3] == "0A" and fields[9] in sockets:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def proc_text(pid: int, name: str) -> str:
    """A /proc file of a process as text, NULs as spaces ("" if gone)."""
    try:
        return Path(f"/proc/{pid}/{name}").read_bytes() \
            .replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def read(path: Path) -> str:
    """A file's text, "" while it does not exist."""
    return path.read_text(errors="replace") if path.exists() else ""


def tail(output: str) -> str:
    """The last lines of an output, indented under a problem."""
    return "\n".join("      " + line for line in output.splitlines()[-TAIL:])


def environment(tmp: Path) -> dict[str, str]:
    """A student's environment: no proxy, no outer make's flags; the
    temporary files of tools in the scratch folder; Python unbuffered, so
    that a server's line saying where it listens comes at once."""
    env = {k: v for k, v in os.environ.items()
           if k not in MAKE_ENV and not k.lower().endswith("_proxy")}
    env.update(PYTHONUNBUFFERED="1", TMPDIR=str(tmp))
    return env


def graded(text: str, output: str) -> str:
    """Why a grade did not pass every test, or "" (or not a grade)."""
    words = make_words(text)
    totals = TOTALS.findall(output)
    if words and "grade" in words[0] and \
            (not totals or totals[-1][1] != "0" or totals[-1][0] == "0"):
        return "a finished stage's grade must end with N passed, 0 failed"
    return ""


@dataclass
class Shared:
    """What the walk-throughs of every file share (each in a thread): the
    plan (runs: the text a command runs as, or None; rules: the action of
    an excepted command, by file:line), what ran once, and whether to
    stop (Ctrl-C: each walk-through then stops its jobs and ends)."""
    tree: Path
    scratch: Path
    runs: Callable[[Command], str | None]
    rules: dict[str, str]
    origin_port: int                          # make origin's, as written
    done: set = field(default_factory=set)    # commands run once: keys
    counts: dict[str, int] = field(default_factory=dict)
    times: list = field(default_factory=list)  # (seconds, where, text)
    lock: threading.Lock = field(default_factory=threading.Lock)
    cancelled: threading.Event = field(default_factory=threading.Event)

    def claim(self, key: tuple | None) -> bool:
        """True unless key is that of a command that ran already."""
        with self.lock:
            if key in self.done:
                return False
            if key:
                self.done.add(key)
            return True

    def count(self, what: str) -> None:
        """Count a command by what became of it."""
        with self.lock:
            self.counts[what] = self.counts.get(what, 0) + 1

    def took(self, seconds: float, where: str, text: str) -> None:
        """Note how long something took."""
        with self.lock:
            self.times.append((seconds, where, text))


@dataclass
class Job:
    """A command running in the background."""
    terminal: Terminal
    pgid: int
    log: Path
    command: Command
    written: int | None = None   # the port it serves, as written


class Walkthrough:
    """One Markdown file, followed from top to bottom."""

    def __init__(self, shared: Shared, path: str, blocks: list[Block]):
        self.shared, self.path, self.blocks = shared, path, blocks
        self.scratch = shared.scratch / re.sub(r"\W", "-", path)
        self.tmp = self.scratch / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.env = environment(self.tmp)
        self.written = {self.written_port(c.text) for b in blocks
                        for c in b.commands} - {None}
        self.ports: dict[int, int] = {}       # as written: the real one
        self.reserved: set[int] = set()       # named, not served yet
        self.served: dict[int, Job] = {}      # as written: its server
        self.jobs: list[Job] = []
        self.terminals: list[Terminal] = []
        self.problems: list[str] = []

    def written_port(self, text: str) -> int | None:
        """The port as written of the server a command starts, or None."""
        span = server_span(text)
        if span is True:
            return self.shared.origin_port
        return int(text[span[0]:span[1]]) if span else None

    def follow(self) -> list[str]:
        """Run every block in order (a transcript once its ports are
        served); stop everything; return the problems."""
        waiting, began = [], time.monotonic()
        try:
            for block in self.blocks:
                if block.transcript and self.unserved(block):
                    waiting.append(block)
                    continue
                self.block(block)
                for ready in [b for b in waiting if not self.unserved(b)]:
                    waiting.remove(ready)
                    self.scene(ready)
            for block in waiting:
                self.scene(block)
        finally:
            self.close()
        self.shared.took(time.monotonic() - began, self.path, "(the file)")
        return self.problems

    def terminal(self) -> Terminal:
        """A new terminal, in the top folder of the tree."""
        logs = self.scratch / f"terminal{len(self.terminals) + 1}"
        self.terminals.append(Terminal(self.shared.tree, self.env, logs))
        return self.terminals[-1]

    def block(self, block: Block) -> None:
        """Type a block's commands into a terminal of its own."""
        terminal = self.terminal()
        for command in block.commands:
            if not self.shared.cancelled.is_set():
                self.command(terminal, command, scoped=False)

    def scene(self, block: Block) -> None:
        """A transcript: its commands, then its jobs stopped, and the ports
        it served given back to the file's servers."""
        saved = dict(self.ports), set(self.reserved), dict(self.served)
        terminal = self.terminal()
        for command in block.commands:
            if not self.shared.cancelled.is_set():
                self.command(terminal, command, scoped=True)
        for job in reversed([j for j in self.jobs if j.terminal is terminal]):
            self.stop(job)
        self.ports, self.reserved, self.served = saved

    def unserved(self, block: Block) -> bool:
        """True when a transcript names a port it does not serve and no
        server of the file serves yet."""
        own = {self.written_port(c.text) for c in block.commands}
        named = {port for c in block.commands for port in self.written
                 if names_port(c.text, port)}
        return any(port not in self.served for port in named - own)

    def command(self, terminal: Terminal, command: Command,
                scoped: bool) -> None:
        """Run one command as the plan and the exceptions say."""
        rule = self.shared.rules.get(command.where, "")
        if rule == SKIP:
            self.shared.count("excepted")
            return
        if rule.startswith("stop "):
            self.stop_server(int(rule.split()[1]))
        text = self.shared.runs(command)
        if text is None:
            self.shared.count("covered by another stage's")
        elif server_span(text):
            self.start_server(terminal, command, text, scoped)
        elif rule == INTERACTIVE or has_job(text):
            job = self.start_job(terminal, command, text)
            if job and rule == INTERACTIVE:
                self.stop(job)
        else:
            self.foreground(terminal, command, text)

    def substitute(self, command: Command, text: str) -> str | None:
        """text with the ports, /tmp and the processes of a student's
        machine replaced by this check's; None when a process it names is
        not one of this check's (a problem then)."""
        for port in sorted(self.written):
            text = re.sub(rf"(?<![\w.]){port}(?!\w)",
                          lambda _, p=port: str(self.real_port(p)), text)
        text = TMP.sub(str(self.tmp), text)
        missing: list[str] = []
        text = PGREP.sub(lambda m: "echo " + self.pids(m[1], False, missing),
                         text)
        text = PKILL.sub(lambda m: f"kill {m[1] or ''}" + self.pids(
            m[2].strip("'\""), True, missing), text)
        if missing:
            self.problem(command, text, "no process of this check matches "
                         + ", ".join(missing), "")
            return None
        return text

    def real_port(self, port: int) -> int:
        """The port a written one stands for; a free one, kept for its
        server, if nothing served it yet."""
        if port not in self.ports:
            self.ports[port] = free_port()
            self.reserved.add(port)
        return self.ports[port]

    def pids(self, pattern: str, full: bool, missing: list[str]) -> str:
        """The newest process of this walk-through whose name matches
        pattern; with full, every one whose command line does."""
        found = []
        for job in self.jobs:
            for pid in members(job.pgid, living=True):
                name = proc_text(pid, "cmdline" if full else "comm")
                stat = proc_text(pid, "stat").rsplit(")", 1)[-1].split()
                if re.search(pattern, name) and len(stat) > 19:
                    found.append((int(stat[19]), pid))
        if not found:
            missing.append(pattern)
            return "0"
        found.sort()
        pids = [pid for _, pid in found] if full else [found[-1][1]]
        return " ".join(map(str, pids))

    def foreground(self, terminal: Terminal, command: Command,
                   text: str) -> None:
        """Run a command to its end and judge it; once only if it does the
        same wherever it is typed."""
        if not self.shared.claim(self.once_key(terminal, text)):
            self.shared.count("identical to one run before")
            return
        ran = self.substitute(command, text)
        if ran is None:
            return
        limit = MAKE_LIMIT if ran.startswith("make ") else LIMIT
        began = time.monotonic()
        status, output = terminal.run(ran, limit)
        self.shared.count("run")
        self.shared.took(time.monotonic() - began, command.where, ran)
        if PKILL.search(text) or re.match(r"kill\b", text):
            time.sleep(SETTLE)
        why = self.verdict(command, ran, status, output, limit)
        if why:
            self.problem(command, ran, why, output)

    def once_key(self, terminal: Terminal, text: str) -> tuple | None:
        """What identifies a command that does the same wherever it is
        typed (in the top folder, naming no port, /tmp or process)."""
        if terminal.cwd != self.shared.tree or TMP.search(text) or \
                PGREP.search(text) or PKILL.search(text) or \
                any(names_port(text, port) for port in self.written):
            return None
        words = make_words(text)
        return ("make", tuple(words[0]), tuple(sorted(words[1].items()))) \
            if words else ("sh", text)

    def verdict(self, command: Command, text: str, status: int | None,
                output: str, limit: float) -> str:
        """Why a command that ran did not work, or ""."""
        if status is None:
            return f"did not end within {limit:g} s"
        if mdcommands.promises(command):
            missing = mdcommands.unkept_promises(command, output)
            return f"does not show {', '.join(missing)}" if missing else ""
        if status:
            return f"exited with status {status}"
        return graded(text, output)

    def start_server(self, terminal: Terminal, command: Command, text: str,
                     scoped: bool) -> None:
        """Start a server in the background and wait until it listens; its
        port as written then stands for the one it listens on."""
        written = self.written_port(text)
        if not scoped:
            self.stop_server(written)
        port = self.ports[written] if written in self.reserved else 0
        span = server_span(text)
        text = text[:span[0]] + "\0" + text[span[1]:] if span is not True \
            else text.replace("make origin", "make origin PORT=\0", 1)
        ran = self.substitute(command, re.sub(r"\s*&\s*$", "", text))
        job = self.start(terminal, command, ran.replace("\0", str(port))) \
            if ran else None
        listening = self.listening(job) if job else None
        if job and listening is None:
            self.stop(job)
        elif job:
            job.written = written
            self.ports[written], self.served[written] = listening, job
            self.reserved.discard(written)

    def start(self, terminal: Terminal, command: Command,
              text: str) -> Job | None:
        """Start a command as a background job; its log ends with its exit
        status when it ends on its own."""
        started = terminal.start(f"{text}\nprintf '\\n%s %s\\n' {ENDED} $?")
        self.shared.count("run")
        if started is None:
            self.problem(command, text, "bash did not start it", "")
            return None
        self.jobs.append(Job(terminal, started[0], started[1], command))
        return self.jobs[-1]

    def listening(self, job: Job) -> int | None:
        """The port a server listens on: the one it prints, or the one the
        kernel shows; None (a problem) if it ends or is slow to listen."""
        deadline = time.monotonic() + START_LIMIT
        while time.monotonic() < deadline:
            log = read(job.log)
            announced = ANNOUNCED.search(log)
            if announced:
                return int(next(g for g in announced.groups() if g))
            living = members(job.pgid, living=True)
            ports = listening_ports(living)
            if ports:
                return min(ports)
            if not living or ENDED in log:
                self.problem(job.command, "", "ended before it listened", log)
                return None
            time.sleep(POLL)
        self.problem(job.command, "", f"not listening after {START_LIMIT} s",
                     read(job.log))
        return None

    def start_job(self, terminal: Terminal, command: Command,
                  text: str) -> Job | None:
        """Start a command in the background; it must not fail at once."""
        ran = self.substitute(command, re.sub(r"\s*&\s*$", "", text))
        job = self.start(terminal, command, ran) if ran else None
        if job is None:
            return None
        time.sleep(SETTLE)
        ended = re.search(rf"{ENDED} (\d+)", read(job.log))
        if ended and ended[1] != "0":
            self.problem(command, ran, f"exited with status {ended[1]}",
                         read(job.log))
        return job

    def stop_server(self, written: int) -> None:
        """Stop the server of a port as written, if one runs."""
        job = self.served.pop(written, None)
        if job:
            self.stop(job)

    def stop(self, job: Job) -> None:
        """Stop a background job and reap it."""
        job.terminal.stop(job.pgid)
        self.jobs.remove(job)
        if job.written is not None and self.served.get(job.written) is job:
            del self.served[job.written]

    def close(self) -> None:
        """Stop every job, clients first (the latest first), then servers
        (the first first), and close every terminal."""
        servers = [job for job in self.jobs if job.written is not None]
        for job in [j for j in reversed(self.jobs) if j not in servers] + \
                servers:
            self.stop(job)
        for terminal in self.terminals:
            terminal.close()

    def problem(self, command: Command, ran: str, why: str,
                output: str) -> None:
        """Record what went wrong with a command."""
        shown = f" (ran: {ran.strip()})" if ran and ran != command.text \
            else ""
        lines = f"{command.where}: {command.text}{shown}\n    {why}"
        self.problems.append(lines + ("\n" + tail(output) if output.strip()
                                      else ""))
