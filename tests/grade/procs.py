"""procs.py - start, watch and reap the programs under test.

A Program is one process the grader started: in a session of its own (so
its whole process group can be killed), with port 0 on its command line,
its stderr read by a thread so that the "listening on HOST:PORT" line is
waited for as an event, never guessed with a sleep. Every Program is
tracked until it is reaped; reap_all() ends whatever is left, at exit or
when the grader itself is stopped.

Memory checking lives here too: a Program may run under valgrind memcheck
or be a sanitizer build, and its finish() turns their reports (and a death
by signal) into a Failure.
"""
from __future__ import annotations
import os
import re
import select
import shlex
import shutil
import signal
import subprocess
import threading
from pathlib import Path

from hints import (EXITED, MEMORY, NOT_BUILT, PIPE, RACE, SANITIZER,
                   SIGNAL, STUB, Failure, NotApplicable, status_text)

LISTENING = re.compile(rb"listening on (\[[0-9A-Fa-f:.]+\]|[0-9.]+):(\d+)")
OUTPUT_CAP = 4 << 20     # stderr bytes kept at most: the head and the tail
OUTPUT_HEAD = 64 << 10   # bytes kept from the start when trimming
DEATH_GRACE = 0.5        # seconds a failed test waits for a dying program
MAIN_THREADS = 1         # a proxy's main thread: accept loop, waiting room
SANITIZER_THREADS = {"tsan": 1}  # ThreadSanitizer's background thread
VALGRIND_STATUS = 99     # valgrind's exit status when it found errors
VALGRIND = ("valgrind", "--leak-check=full",
            "--errors-for-leak-kinds=definite", "--show-leak-kinds=definite",
            f"--error-exitcode={VALGRIND_STATUS}")
VALGRIND_ERROR = re.compile(
    r"^(Invalid |Conditional jump|Use of uninitialised|Syscall param|"
    r"Mismatched free|Source and destination overlap|Argument .* fishy|"
    r".* definitely lost in )")
VALGRIND_PREFIX = re.compile(r"^==\d+== ?", re.MULTILINE)
SANITIZER_ENV = {
    "asan": {"ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0",
             "UBSAN_OPTIONS": "print_stacktrace=1"},
    "tsan": {"TSAN_OPTIONS": "halt_on_error=0:second_deadlock_stack=1",
             "UBSAN_OPTIONS": "print_stacktrace=1"},
}
SANITIZER_PID = re.compile(r"^==\d+==")
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                   "WARNING: ThreadSanitizer", "runtime error:")
BLOCK_LINES = 14         # lines kept of each valgrind error block
REPORT_BLOCKS = 3        # valgrind error blocks quoted at most
REPORT_LINES = 40        # lines quoted of a sanitizer report

KILL_GRACE = 0.2         # seconds before SIGKILL once a program ignored
                         # SIGTERM: later hangs cost their test only
HUNG_FRACTION = 0.05     # of the grace a stop test then waits,
HUNG_GRACE_MIN = 1.0     # and at least this many seconds

_live: set["Program"] = set()
_ignores_sigterm = threading.Event()   # a program of this run did


def find_program(bin_dir: Path, stage: int) -> Path:
    """The program of stage in bin_dir: the file named "NN-...".

    Raises a NOT_BUILT Failure when there is none.
    """
    found = sorted(p for p in bin_dir.glob(f"{stage:02d}-*") if p.is_file())
    if not found:
        raise Failure(NOT_BUILT, f"no program {stage:02d}-* in {bin_dir}: "
                      f"build it with make lab LAB={stage}")
    return found[0]


def reap_all() -> None:
    """Stop and reap every program still tracked (at exit, on a signal)."""
    for program in list(_live):
        program.reap()


class Program:
    """A program under test, started with port 0 and tracked until reaped.

    After wait_listening(), host and port say where it listens.
    """

    def __init__(self, path: Path, args: list[str], *,
                 valgrind_log: Path | None = None,
                 sanitizer: str | None = None, grace: float = 5.0,
                 nofile: int | None = None) -> None:
        self.name = path.name
        self.path = path
        self.args = list(args)
        self.nofile = nofile        # its descriptor limit, if one is set
        self.valgrind_log = valgrind_log
        self.sanitizer = sanitizer
        self.grace = grace          # seconds to wait for an asked-for exit
        self.host = ""
        self.port = 0
        self.exit_expected = False  # an exit now is no news (asked for, seen)
        self._output = bytearray()
        self._eof = False
        self._changed = threading.Condition()
        self.popen = subprocess.Popen(
            self.argv(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, start_new_session=True,
            env=dict(os.environ, **SANITIZER_ENV.get(sanitizer or "", {})))
        _live.add(self)
        self.pid = self.popen.pid
        self._pidfd = os.pidfd_open(self.pid)
        self._reader = threading.Thread(target=self._read_output, daemon=True)
        self._reader.start()

    def argv(self) -> list[str]:
        """The command line: the program with port 0, under a descriptor
        limit or not, under valgrind or not.

        Options go before the port: with _POSIX_C_SOURCE, getopt stops at
        the first operand.
        """
        argv = [str(self.path), *self.args, "0"]
        if self.nofile:   # prlimit execs the program: its pid stays
            if shutil.which("prlimit") is None:
                raise NotApplicable("prlimit (util-linux) is not installed "
                                    "here: no descriptor limit can be set")
            argv = ["prlimit", f"--nofile={self.nofile}:{self.nofile}", *argv]
        if self.valgrind_log is None:
            return argv
        if shutil.which(VALGRIND[0]) is None:
            raise Failure(NOT_BUILT, "valgrind is not installed")
        return [*VALGRIND, f"--log-file={self.valgrind_log}", *argv]

    def command(self, port: int) -> str:
        """The shell command that starts this program by hand on port."""
        path = os.path.relpath(self.path)
        if path.startswith(".."):
            path = str(self.path.resolve())
        limit = ["prlimit", f"--nofile={self.nofile}"] if self.nofile else []
        return shlex.join([*limit, path, *self.args, str(port)])

    def _read_output(self) -> None:
        """Collect stderr (and stdout) until end of file; runs in a thread."""
        fd = self.popen.stdout.fileno()
        while chunk := os.read(fd, 65536):
            with self._changed:
                self._output += chunk
                if len(self._output) > OUTPUT_CAP:
                    del self._output[OUTPUT_HEAD:-(OUTPUT_CAP // 2)]
                self._changed.notify_all()
        with self._changed:
            self._eof = True
            self._changed.notify_all()

    def stderr(self) -> str:
        """Everything the program wrote to stderr so far, as text."""
        with self._changed:
            return self._output.decode(errors="replace")

    def wait_output_end(self, timeout: float) -> str:
        """Wait up to timeout seconds for the program to close its stderr
        (it has exited, say); everything it wrote."""
        with self._changed:
            self._changed.wait_for(lambda: self._eof, timeout)
        return self.stderr()

    def stderr_tail(self, lines: int = 15) -> str:
        """The last lines of the program's stderr."""
        return "\n".join(self.stderr().splitlines()[-lines:])

    def wait_listening(self) -> None:
        """Wait for the "listening on HOST:PORT" line and set host and port.

        Raises a Failure if the program exits (or closes stderr) first. The
        test's time limit bounds the wait.
        """
        with self._changed:
            self._changed.wait_for(
                lambda: self._eof or LISTENING.search(self._output))
            match = LISTENING.search(self._output)
        if match is None:
            self.exit_expected = True
            status = self.wait_exit(self.grace)
            raise self.exit_failure(status, "before it logged 'listening on'")
        self.host = match[1].decode().strip("[]")
        self.port = int(match[2])

    def status(self) -> int | None:
        """The exit status, without reaping (negative: killed by that
        signal), or None while the program runs."""
        if self.popen.returncode is not None:
            return self.popen.returncode
        info = os.waitid(os.P_PID, self.pid,
                         os.WEXITED | os.WNOHANG | os.WNOWAIT)
        if info is None:
            return None
        return info.si_status if info.si_code == os.CLD_EXITED \
            else -info.si_status

    def alive(self) -> bool:
        """True while the program runs."""
        return self.status() is None

    def wait_exit(self, timeout: float) -> int | None:
        """Wait up to timeout seconds for the program to exit; its status,
        or None if it still runs."""
        if self.status() is None:
            select.select([self._pidfd], [], [], timeout)
        return self.status()

    def stop(self, sig: int = signal.SIGTERM,
             timeout: float | None = None) -> int | None:
        """Send sig and wait for the exit (grace seconds by default).

        Returns the exit status, or None if the program still runs. An
        exit that came before the signal stays unexpected.
        """
        if self.status() is None:
            self.exit_expected = True
            os.kill(self.pid, sig)
        return self.wait_exit(self.stop_grace() if timeout is None
                              else timeout)

    def stop_grace(self) -> float:
        """How long to wait for an exit after a stop signal: the grace, or
        HUNG_FRACTION of it (HUNG_GRACE_MIN at least) once a program of
        this run has ignored its stop signal (the same bug then costs each
        stop test little)."""
        if _ignores_sigterm.is_set():
            return min(self.grace, max(self.grace * HUNG_FRACTION,
                                       HUNG_GRACE_MIN))
        return self.grace

    def reap(self) -> int | None:
        """End the program for good: SIGTERM, a bounded wait, then SIGKILL
        for its whole process group; reap it. Returns its exit status."""
        if self not in _live:
            return self.popen.returncode
        if self.status() is None:
            os.kill(self.pid, signal.SIGTERM)
            self.wait_exit(KILL_GRACE if _ignores_sigterm.is_set()
                           else self.grace)
            if self.status() is None and not _ignores_sigterm.is_set():
                _ignores_sigterm.set()
                print(f"  note: {self.name} still ran {self.grace:g} s after "
                      f"SIGTERM; from now on, a program is killed "
                      f"{KILL_GRACE:g} s after it (see the stop tests' "
                      "hints)", flush=True)
        try:
            # The unreaped process keeps its pid, so the group is still ours.
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            status = self.popen.wait(self.grace)
        except subprocess.TimeoutExpired:
            status = None
        self._reader.join(self.grace)
        if status is not None:
            os.close(self._pidfd)
            _live.discard(self)
        if not self._reader.is_alive():
            self.popen.stdout.close()
        return status

    def finish(self, test_failed: bool) -> Failure | None:
        """After a test: note a death the test did not ask for, reap the
        program and read the memory checker's verdict. Returns the Failure
        that explains the program's state best, or None.

        A death by signal always counts. A plain exit counts only when the
        test failed (it then explains the failure): after a passing test,
        whether a server that exits after its client is already gone is a
        race, and scores must not depend on races.
        """
        if test_failed:
            self.wait_exit(DEATH_GRACE)
        status = self.status()
        died = None
        news = status is not None and (status < 0 or test_failed)
        if news and not self.exit_expected:
            died = self.exit_failure(status, "before the test asked it "
                                     "to stop")
        final = self.reap()
        return self.memory_failure(final) or died

    def exit_failure(self, status: int | None, when: str) -> Failure:
        """The Failure for an exit or death that should not have happened;
        a starter stub's TODO( log line, if any, is quoted."""
        if status is None:
            return Failure(EXITED, f"{self.name} closed its stderr {when}")
        if status < 0:
            return Failure(PIPE if -status == signal.SIGPIPE else SIGNAL,
                           f"{self.name} died by {status_text(status)} "
                           f"{when}")
        summary = f"{self.name} exited with {status_text(status)} {when}"
        if self.todo_line():
            return Failure(STUB, f"{summary}: {self.todo_line()}")
        return Failure(EXITED, summary)

    def todo_line(self) -> str:
        """The first line the program logged with a TODO( marker (a starter
        stub ran), or ""."""
        for line in self.stderr().splitlines():
            if "TODO(" in line:
                return line.strip()
        return ""

    def memory_failure(self, status: int | None) -> Failure | None:
        """The valgrind or sanitizer Failure, if the checker reported."""
        if self.valgrind_log is not None:
            try:
                log = self.valgrind_log.read_text(errors="replace")
            except FileNotFoundError:
                log = ""
            return valgrind_failure(log, status == VALGRIND_STATUS)
        if self.sanitizer is not None:
            return sanitizer_failure(self.stderr())
        return None


def valgrind_failure(log: str, failed: bool) -> Failure | None:
    """The MEMORY Failure for a valgrind log, quoting its error blocks;
    None when clean. failed: valgrind's exit status said errors."""
    blocks = [block.splitlines() for block in
              VALGRIND_PREFIX.sub("", log).split("\n\n")]
    errors = [b for b in blocks if b and VALGRIND_ERROR.match(b[0])]
    if not errors and not failed:
        return None
    if not errors:
        return Failure(MEMORY, "valgrind reported errors",
                       "\n".join(log.splitlines()[-BLOCK_LINES:]))
    excerpt = "\n\n".join("\n".join(b[:BLOCK_LINES])
                          for b in errors[:REPORT_BLOCKS])
    more = len(errors) - REPORT_BLOCKS
    if more > 0:
        excerpt += f"\n\n... and {more} more errors"
    return Failure(MEMORY, f"valgrind: {errors[0][0].strip()}", excerpt)


def sanitizer_failure(stderr: str) -> Failure | None:
    """The SANITIZER (or, for ThreadSanitizer, RACE) Failure quoting the
    first report in stderr, or None."""
    found = [stderr.find(m) for m in SANITIZER_MARKS if m in stderr]
    if not found:
        return None
    start = stderr.rfind("\n", 0, min(found)) + 1
    report = stderr[start:].split("Shadow bytes around")[0]
    lines = report.rstrip().splitlines()[:REPORT_LINES]
    summary = SANITIZER_PID.sub("", lines[0]).strip()
    symptom = RACE if "ThreadSanitizer" in lines[0] else SANITIZER
    return Failure(symptom, summary, "\n".join(lines))


# What /proc says of a running program.

def check_alive(proxy: Program, when: str) -> None:
    """Raise the proxy's exit as a Failure if it has ended."""
    status = proxy.status()
    if status is not None:
        raise proxy.exit_failure(status, when)


def threads_allowed(proxy: Program, workers: int) -> int:
    """The threads a proxy with this many workers may run: its main thread
    (the accept loop and the waiting room), the workers, and its
    sanitizer's own (ThreadSanitizer has a background thread)."""
    return MAIN_THREADS + workers + \
        SANITIZER_THREADS.get(proxy.sanitizer or "", 0)


def proc_entries(proxy: Program, what: str, when: str) -> list[str]:
    """The names in /proc/PID/what (task or fd) of the running proxy."""
    check_alive(proxy, when)
    try:
        return os.listdir(f"/proc/{proxy.pid}/{what}")
    except OSError:
        check_alive(proxy, when)
        raise


def fd_count(proxy: Program, when: str) -> int:
    """How many file descriptors the proxy has open."""
    return len(proc_entries(proxy, "fd", when))


def fd_targets(proxy: Program) -> list[str]:
    """What each descriptor of the proxy is ("socket:[123]", ...)."""
    found = []
    for fd in sorted(proc_entries(proxy, "fd", "listing its descriptors"),
                     key=int):
        try:
            target = os.readlink(f"/proc/{proxy.pid}/fd/{fd}")
        except OSError:
            continue
        found.append(f"{fd} -> {target}")
    return found
