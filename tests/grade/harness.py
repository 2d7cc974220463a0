"""harness.py - the test registry, the runner and the context of a test.

A lab module declares its tests xv6-style:

    @test(10, "a line holding NUL bytes comes back byte for byte")
    def echo_binary_bytes(t: Context) -> None: ...

collect() numbers them "lab.index" in declaration order, and run_test()
runs one: under a time limit (signal.setitimer, so a blocked socket call is
interrupted), with a Context that starts programs, opens connections and
compares bytes, and that stops and reaps everything the test started when
it ends. A test fails by raising; hints.classify() names the symptom. A
test that needs what this machine lacks calls t.not_applicable(reason): its
points leave the total (Result.possible), unless a program it started had
already failed.
"""
from __future__ import annotations
import contextlib
import dataclasses
import random
import shlex
import shutil
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import NoReturn, Protocol, TypeVar

import builds
import dates
import hints
import netutil
import procs
import trace
from hints import Failure, NotApplicable, Pending, status_text

DEFAULT_TIMEOUT = 10.0   # seconds a test may take, before any factor
VALGRIND_FACTOR = 10     # everything is this much slower under valgrind
TSAN_FACTOR = 3          # and this much slower under ThreadSanitizer
STOP_GRACE = 5.0         # seconds a program gets to exit after SIGTERM
MANUAL_PORT = 7000       # the port in "reproduce by hand" commands
RECEIVE_SLACK = 64 << 10  # extra bytes read to show what came after the end
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
# The options that give a stage's program the manners of the stages before
# it, for their tests: stage 07 keeps client connections open, where the
# tests of labs 1-6 expect each answer to end with a close.
EARLIER_MANNERS = {7: ("-k", "0")}
OWN_CAUSE = {hints.STUB, hints.SIGNAL, hints.PIPE, hints.MEMORY,
             hints.SANITIZER, hints.RACE, hints.GRADER,
             hints.NOT_BUILT}   # symptoms a stub cannot explain


class TestTimeout(TimeoutError):
    """The test's time limit ran out."""


@dataclass(frozen=True)
class Test:
    """One graded test: what it checks, what it is worth, how to run it."""
    func: Callable[["Context"], None]
    name: str
    points: int
    sentence: str
    timeout: float = DEFAULT_TIMEOUT
    hints: dict[str, str] = field(default_factory=dict)
    visibility: str = "visible"
    rules: tuple[str, ...] = ()  # the handout's rules it checks ("2.1.a")
    lab: int = 0
    index: int = 0
    program: int | str = "own"   # a stage number, "own" or "graded"

    @property
    def number(self) -> str:
        """The test's number, "lab.index" (e.g. "1.3")."""
        return f"{self.lab}.{self.index}"


def test(points: int, sentence: str, timeout: float = DEFAULT_TIMEOUT,
         hints: dict[str, str] | None = None,
         visibility: str = "visible",
         rules: tuple[str, ...] = ()) -> Callable:
    """Declare a graded test worth points that checks what sentence says.

    timeout is in seconds before the --stretch, valgrind and tsan factors;
    hints overrides the advice shown for a symptom; rules are the ids of
    the handout's rules it checks (its "Rules" table names the test back:
    tests/kitcheck.py holds the two together).
    """
    if not isinstance(points, int) or points < 0:
        raise ValueError(f"points must be a whole number, not {points!r}")
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {VISIBILITIES}")

    def declare(func: Callable[["Context"], None]) -> Callable:
        func.grade_test = Test(func, func.__name__, points, sentence,
                               timeout, dict(hints or {}), visibility,
                               tuple(rules))
        return func

    return declare


def collect(module: ModuleType, lab: int) -> list[Test]:
    """The tests a lab module declares, numbered in declaration order.

    The module's PROGRAM says which program they run and its HINTS dict
    gives lab-wide advice that a test's own hints override.
    """
    program = getattr(module, "PROGRAM", "own")
    lab_hints = getattr(module, "HINTS", {})
    declared = [f.grade_test for f in vars(module).values()
                if hasattr(f, "grade_test")
                and getattr(f, "__module__", "") == module.__name__]
    return [dataclasses.replace(spec, lab=lab, index=i, program=program,
                                hints={**lab_hints, **spec.hints})
            for i, spec in enumerate(declared, 1)]


@dataclass
class Options:
    """How the whole run grades: which programs, which checks, which limits."""
    bin_dir: Path
    graded_lab: int
    stretch: float = 1.0
    valgrind: bool = False
    sanitizer: str | None = None
    verbose: bool = False
    make_flags: str = ""
    seed: int = 0
    trace_dir: Path | None = None   # where each test's timeline goes


@dataclass
class Result:
    """How one test went."""
    test: Test
    failure: Failure | None
    seconds: float
    stderr: list[tuple[str, str]]   # (program, the tail of its stderr)
    reproduce: list[str]            # commands that replay the test
    seed: int
    not_applicable: str | None = None   # why it could not run here
    notes: list[str] = field(default_factory=list)  # what did not run, ...

    @property
    def passed(self) -> bool:
        """True when the test ran and raised nothing."""
        return self.failure is None and self.not_applicable is None

    @property
    def failed(self) -> bool:
        """True when the test ran and failed."""
        return self.failure is not None

    @property
    def score(self) -> int:
        """The points earned: all, what the failure still earned, or none
        when the test could not run here."""
        if self.failure is not None:
            return self.failure.earned
        return 0 if self.not_applicable else self.test.points

    @property
    def possible(self) -> int:
        """The points the test counts for: none when it could not run."""
        return 0 if self.not_applicable else self.test.points


class Fixture(Protocol):
    """Anything a test starts that must end with it (an origin server)."""

    def close(self) -> None: ...


F = TypeVar("F", bound=Fixture)


class Context:
    """What a test function works with, passed to it as t.

    Everything it starts or opens (programs, sockets, fixtures) is tracked
    and ended when the test ends, pass or fail.
    """

    def __init__(self, test: Test, options: Options) -> None:
        self.test = test
        self.options = options
        self.rng = random.Random(f"{options.seed}:{test.name}")
        self.programs: list[procs.Program] = []
        self.pending: Pending | None = None   # the receive in progress
        self.doing = "running the test"       # what a timeout interrupted
        self.manual: list[str] = []
        self.notes: list[str] = []   # said beside the result, pass or fail
        self._cleanups: list[Callable[[], None]] = []
        self._tmp: Path | None = None
        self.tsan = options.sanitizer == "tsan"  # programs run under TSan
        self.trace = trace.Trace(f"{test.number} {test.name}: "
                                 f"{test.sentence}") \
            if options.trace_dir else None
        self._lanes: dict[int, str] = {}   # id of a client socket -> lane

    @property
    def limit(self) -> float:
        """The test's time limit in seconds, all factors applied."""
        limit = self.test.timeout * self.options.stretch
        if self.options.valgrind:
            limit *= VALGRIND_FACTOR
        if self.tsan:
            limit *= TSAN_FACTOR
        return limit

    @contextlib.contextmanager
    def under_tsan(self) -> Iterator[None]:
        """Within the block, programs start from a ThreadSanitizer build
        of the graded stage (built for the occasion), whose reports fail
        the test, and time limits stretch as under SAN=tsan."""
        before = self.tsan
        self.tsan = True
        try:
            yield
        finally:
            self.tsan = before

    def log(self, message: str) -> None:
        """Print message when the grader runs with -v."""
        if self.options.verbose:
            print(f"    [{self.test.number}] {message}", flush=True)

    def event(self, lane: str, what: str) -> None:
        """Something that happened on a connection: logged with -v, and a
        dot on the timeline with --trace."""
        self.log(f"{lane}: {what}")
        if self.trace is not None:
            self.trace.add(lane, what)

    def lane_of(self, sock: socket.socket) -> str:
        """The timeline lane of a client socket: "client 3"."""
        return self._lanes.setdefault(id(sock),
                                      f"client {len(self._lanes) + 1}")

    @contextlib.contextmanager
    def step(self, doing: str,
             pending: Pending | None = None) -> Iterator[None]:
        """A step of the test, for the block it runs: a timeout or an error
        in it is reported as happening while doing this, with what pending
        had received so far (the innermost step an exception leaves is
        kept with it: where(exc)). With -v the step is logged as it
        starts. When the block ends, the step around it is current again."""
        outer = self.pending, self.doing
        self.pending, self.doing = pending, doing
        self.log(doing)
        try:
            yield
        except BaseException as exc:
            if not hasattr(exc, "step"):
                exc.step = (pending, doing)  # type: ignore[attr-defined]
            raise
        finally:
            self.pending, self.doing = outer

    def where(self, exc: BaseException) -> tuple[Pending | None, str]:
        """(pending, doing) of the step exc left: what the test was doing
        when it was raised."""
        return getattr(exc, "step", (self.pending, self.doing))

    def fail(self, symptom: str, summary: str, detail: str = "") -> NoReturn:
        """End the test with a Failure of the given symptom."""
        raise Failure(symptom, summary, detail)

    def not_applicable(self, reason: str) -> NoReturn:
        """End the test as not applicable here, for reason (what this
        machine lacks): call it before asking the program anything."""
        raise NotApplicable(reason)

    def add_cleanup(self, cleanup: Callable[[], None]) -> None:
        """Call cleanup when the test ends (last added, first called)."""
        self._cleanups.append(cleanup)

    def use(self, fixture: F) -> F:
        """Track fixture so that it is closed when the test ends; one
        that can narrate (an origin) says what it does under -v."""
        self.add_cleanup(fixture.close)
        if hasattr(fixture, "narrate"):
            fixture.narrate = lambda number, what: self.event(
                f"origin conn {number}", what)
        return fixture

    def start(self, args: list[str] | tuple = (), stage: int | None = None,
              valgrind: bool | None = None,
              nofile: int | None = None) -> procs.Program:
        """Start a program on port 0 and wait until it listens.

        stage defaults to the lab module's PROGRAM; valgrind to --valgrind
        (sanitizer builds never run under valgrind: the sanitizer checks;
        under_tsan, the program is the stage's ThreadSanitizer build);
        nofile, if given, limits its open descriptors (soft and hard).
        """
        stage = stage or self._stage()
        path = procs.find_program(self.options.bin_dir, stage)
        args = self._manners(stage) + list(args)
        sanitizer = "tsan" if self.tsan else self.options.sanitizer
        if sanitizer != self.options.sanitizer:
            path = builds.build(self, builds.tsan_program(self.options, path),
                                sanitizer, "the ThreadSanitizer build")
        memcheck = self.options.valgrind if valgrind is None else valgrind
        if memcheck and sanitizer:
            note = f"valgrind did not run: this is a SAN={sanitizer} build"
            if note not in self.notes:
                self.notes.append(note)
        memcheck = memcheck and not sanitizer
        log = self.tmpdir() / f"valgrind.{len(self.programs)}" \
            if memcheck else None
        grace = STOP_GRACE * self.options.stretch * (
            VALGRIND_FACTOR if memcheck else 1)
        program = procs.Program(path, list(args), valgrind_log=log,
                                sanitizer=sanitizer, grace=grace,
                                nofile=nofile)
        self.programs.append(program)
        with self.step(f"waiting for {path.name} to log 'listening on'"):
            program.wait_listening()
        self.log(f"started {program.command(program.port)} "
                 f"(pid {program.pid}{', valgrind' if memcheck else ''})")
        return program

    def _manners(self, stage: int) -> list[str]:
        """The options (EARLIER_MANNERS) this test's lab needs in stage's
        program: those of every later stage up to it."""
        return [option for later, options in sorted(EARLIER_MANNERS.items())
                if self.test.lab < later <= stage for option in options]

    def _stage(self) -> int:
        """The stage whose program this test runs by default."""
        if self.test.program == "graded":
            return self.options.graded_lab
        if self.test.program == "own":
            return self.test.lab
        return int(self.test.program)

    def tmpdir(self) -> Path:
        """A scratch directory for this test, removed when it ends."""
        if self._tmp is None:
            self._tmp = Path(tempfile.mkdtemp(prefix="grade-"))
        return self._tmp

    def connect(self, port: int, host: str = "127.0.0.1",
                bufsize: int | None = None) -> socket.socket:
        """A TCP connection to host:port, closed when the test ends.

        Its timeout is the test's limit, which also bounds background
        reads. bufsize, if given, sets both socket buffers (before the
        connection is made, so that the window matches).
        """
        sock = self.open_socket(bufsize, netutil.family(host))
        self.doing = f"connecting to {host} port {port}"
        sock.connect((host, port))
        self.doing = f"talking to {host} port {port}"
        self.event(self.lane_of(sock), f"connected to port {port} (from "
                   f"port {sock.getsockname()[1]})")
        return sock

    def open_socket(self, bufsize: int | None = None,
                    family: socket.AddressFamily = socket.AF_INET) -> \
            socket.socket:
        """An unconnected TCP socket, closed when the test ends, whose
        timeout is the test's limit. bufsize, if given, sets both socket
        buffers (before it connects, so that the window matches)."""
        sock = socket.socket(family, socket.SOCK_STREAM)
        self.add_cleanup(lambda: close_socket(sock))
        if bufsize is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, bufsize)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, bufsize)
        sock.settimeout(self.limit)
        return sock

    def expect_bytes(self, got: bytes, want: bytes, what: str) -> None:
        """Fail, describing the difference, unless got == want (a Date the
        proxy added standing as want has it: dates.settled)."""
        got = dates.settled(got, want)
        if got != want:
            raise hints.mismatch(got, want, what)

    def expect_reply(self, sock: socket.socket, want: bytes, what: str,
                     eof: bool = True) -> bytes:
        """Receive want from sock and fail unless it came, byte for byte.

        With eof, read on until the peer closes (so that extra bytes and a
        connection left open are caught); without, read len(want) bytes.
        """
        pending = Pending(what, want, eof)
        with self.step(f"waiting for {what}", pending):
            receive(sock, pending)
        self.event(self.lane_of(sock), f"received {len(pending.got)} bytes"
                   f"{', then end of file' if eof else ''}")
        return self._settle(pending)

    def drain(self, sock: socket.socket, want: bytes,
              what: str) -> Callable[[], bytes]:
        """Read sock until end of file in a background thread, so that the
        test can go on sending. Returns the function that waits for the
        reader and checks that want came back."""
        pending = Pending(what, want, eof=True)
        self.pending = pending
        reader = threading.Thread(target=receive_quietly,
                                  args=(sock, pending), daemon=True)
        reader.start()

        def finish() -> bytes:
            with self.step(f"waiting for {what}", pending):
                reader.join()
                return self._settle(pending)

        return finish

    def _settle(self, pending: Pending) -> bytes:
        """Re-raise what the reader hit, or compare what it received."""
        if pending.error is not None:
            raise pending.error
        got = bytes(pending.got)
        self.expect_bytes(got, pending.want, pending.what)
        return got

    def reproduce(self, command: str) -> None:
        """Attach a shell command that replays the test by hand; "{port}"
        in it stands for the port the program is started on."""
        command = command.replace("{port}", str(MANUAL_PORT))
        if self.programs:
            self.manual = [self.programs[-1].command(MANUAL_PORT) + " &"]
        self.manual.append(command)

    def finish(self, failure: Failure | None) -> Failure | None:
        """End everything the test started; return the Failure that best
        explains the test (a crash or memory error beats a wrong reply)."""
        self.doing = "cleaning up"
        for cleanup in reversed(self._cleanups):
            cleanup()
        for program in self.programs:
            failure = outranked(program.finish(failure is not None), failure)
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
        return self._blame_stub(failure)

    def _blame_stub(self, failure: Failure | None) -> Failure | None:
        """A failure while a program logged a TODO( line is the stub's: say
        so (a stub may answer wrongly rather than exit)."""
        todo = next((p.todo_line() for p in self.programs if p.todo_line()),
                    "")
        if failure is None or not todo or failure.symptom in OWN_CAUSE:
            return failure
        return Failure(hints.STUB, f"{failure.summary}; a starter stub ran: "
                       f"{todo}", failure.detail)


def receive(sock: socket.socket, pending: Pending) -> None:
    """Receive into pending.got until len(want) bytes (or, with eof, until
    end of file, reading at most RECEIVE_SLACK bytes too many); then a
    Date the proxy added stands as want has it (dates.settle)."""
    cap = len(pending.want) + (RECEIVE_SLACK if pending.eof else 0)
    try:
        while len(pending.got) < cap:
            chunk = sock.recv(min(65536, cap - len(pending.got)))
            if not chunk:
                break
            pending.got += chunk
    except ConnectionResetError:
        # A peer that closes with unread input resets instead of closing;
        # once everything expected has come, that ends the stream too.
        if not pending.eof or len(pending.got) < len(pending.want):
            raise
    finally:
        dates.settle(pending.got, pending.want)


def receive_to_end(sock: socket.socket, data: bytearray, most: int) -> None:
    """Append to data what sock receives until end of file, or until data
    holds most bytes or more. A timeout or a connection error propagates,
    data keeping what came before it."""
    while len(data) < most:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk


def receive_quietly(sock: socket.socket, pending: Pending) -> None:
    """receive() for a background thread: keep what it raised in pending."""
    try:
        receive(sock, pending)
    except Exception as exc:
        pending.error = exc


def expect_stop(t: Context, server: procs.Program, sig: signal.Signals,
                when: str) -> None:
    """Send sig to server and fail unless it exits with status 0."""
    with t.step(f"waiting for the server to exit after {sig.name}"):
        status = server.stop(sig)
    if status is None:
        t.fail(hints.NO_STOP, f"{server.name} still ran {server.grace:g} s "
               f"after {sig.name} {when}")
    if status != 0:
        t.fail(hints.EXITED, f"{server.name} ended with "
               f"{status_text(status)} after {sig.name} {when}; "
               "expected status 0")


def close_socket(sock: socket.socket) -> None:
    """Shut down and close sock, waking any thread blocked on it."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def outranked(found: Failure | None, failure: Failure | None) -> \
        Failure | None:
    """Combine a program's state (found) with the test's own failure: the
    program's crash, exit or memory error explains more, so it comes first."""
    if found is None:
        return failure
    if failure is not None:
        found.detail = (found.detail + "\n" if found.detail else "") + \
            f"(what the test saw: {failure.summary})"
    return found


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise TestTimeout in the main thread once seconds have passed."""
    armed = True

    def expire(signum: int, frame: object) -> None:
        if armed:
            raise TestTimeout(f"time limit of {seconds:g} s reached")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def make_command(test: Test, options: Options) -> str:
    """The make command that runs this one test again."""
    words = ["make", "grade", f"LAB={options.graded_lab}", f"T={test.name}",
             *shlex.split(options.make_flags)]
    if options.sanitizer and not any(w.startswith("SAN=") for w in words):
        words.append(f"SAN={options.sanitizer}")
    if options.valgrind:
        words.append("VALGRIND=1")
    return " ".join(words)


def run_test(test: Test, options: Options) -> Result:
    """Run one test under its time limit and clean up after it."""
    t = Context(test, options)
    started = time.monotonic()
    failure, missing = None, None
    try:
        try:
            with time_limit(t.limit):
                test.func(t)
        except NotApplicable as exc:
            missing = str(exc)
        except Exception as exc:
            failure = hints.classify(exc, *t.where(exc), t.limit)
    finally:
        failure = t.finish(failure)
    if t.trace is not None and options.trace_dir is not None:
        written = t.trace.write(options.trace_dir /
                                f"{test.number}-{test.name}.html")
        t.notes.append(f"timeline: {written}")
    return Result(test, failure, time.monotonic() - started,
                  [(p.name, p.stderr_tail()) for p in t.programs],
                  [make_command(test, options), *t.manual], options.seed,
                  None if failure else missing, t.notes)
