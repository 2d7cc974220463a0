"""hints.py - name the symptom of a failed test and pick the hint for it.

A failed test ends as a Failure: a symptom (one of the names below), a
one-line summary and an optional detail (a byte diff, a valgrind excerpt).
A test that cannot run on this machine raises NotApplicable instead.
classify() turns whatever a test raised (a Failure, a time limit, a reset
connection) into one; mismatch() builds one from received and expected
bytes. hint() picks the advice for a symptom: a test's own hint first, then
its lab's, then the defaults here.
"""
from __future__ import annotations
import signal
import traceback
from dataclasses import dataclass, field

import bytediff
import dates

TIMEOUT = "timeout"              # the program said nothing before the limit
RESET = "reset"                  # the connection was reset or the pipe broke
REFUSED = "refused"              # nothing was listening
TRUNCATED = "truncated"          # a strict prefix of the expected bytes
NUL = "stops at NUL"             # the bytes end or go wrong at a NUL byte
EXTRA = "extra bytes"            # the expected bytes, then more
DIFFERS = "differs"              # different bytes at some offset
CLOSED = "closed early"          # end of file before any expected byte
STAYS_OPEN = "stays open"        # everything came, but no end of file
SIGNAL = "died by signal"        # the program was killed by a signal
PIPE = "killed by SIGPIPE"       # it wrote to a connection that had gone
NO_STOP = "ignored its stop"     # it still ran after SIGTERM or SIGINT
EXITED = "exited"                # the program exited when it should not
STUB = "starter stub"            # it exited, logging a TODO( message
MEMORY = "memory errors"         # valgrind found errors or definite leaks
SANITIZER = "sanitizer report"   # ASan, LSan or UBSan reported
RACE = "data race"               # ThreadSanitizer reported
NOT_BUILT = "not built"          # the program or a tool is missing
GRADER = "grader error"          # a bug in the grader itself

DEFAULT_HINTS = {
    TIMEOUT: "The program stopped answering. Look for a read that waits "
             "for bytes the client never sends (a fixed-size read instead "
             "of reading up to '\\n'), or a loop that never returns to "
             "accept the next client.",
    RESET: "The connection was reset: the program closed it with bytes "
           "still unread, or crashed. Read until end of file before "
           "closing, and see the program's stderr below.",
    REFUSED: "Nothing was listening any more: the program had exited or "
             "closed its listening socket. A server keeps accepting after "
             "each client; only a stop signal ends it.",
    TRUNCATED: "Part of the data never came back. A write may send fewer "
               "bytes than asked: rio_writen loops until all are sent. "
               "Write the byte count the read returned, never a guess.",
    NUL: "strlen and printf(\"%s\") stop at the first NUL byte, so binary "
         "data is cut short: use the byte count rio_readline returns, and "
         "write it with rio_writen.",
    EXTRA: "More bytes came back than were sent: write exactly the count "
           "the read returned (not sizeof the buffer), once.",
    DIFFERS: "The bytes came back changed or out of order. Write each "
             "buffer once, from its start, with the count the read "
             "returned; do not add or strip '\\r' or '\\n'.",
    CLOSED: "The program closed the connection before it answered: find "
            "the error path that ends the connection (the stderr below "
            "says why) and make sure it answers first.",
    STAYS_OPEN: "Everything came back, but the connection stayed open "
                "after the client closed its side: stop when the read "
                "returns 0 (end of file) and close the socket.",
    SIGNAL: "The program crashed. Run it under gdb, or build with "
            "SAN=asan and grade again: the sanitizer names the line.",
    PIPE: "A write to a connection whose peer had gone raised SIGPIPE, "
          "whose default action ends the program: write through "
          "rio_writen or sink_write, which send with MSG_NOSIGNAL, and "
          "never restore SIGPIPE's default (stop.c ignores it).",
    NO_STOP: "The program did not exit after its stop signal. stop.c "
             "turns SIGTERM and SIGINT into a readable stop fd: net_accept "
             "(given it) then fails with ECANCELED, and the accept loop "
             "must return; every thread the program started must end and "
             "be waited for before main returns.",
    EXITED: "The program exited on its own: the last lines of its stderr "
            "say why. A server ends only when asked to (SIGTERM, SIGINT).",
    STUB: "The program still runs a starter stub: write the function that "
          "the TODO(labN.k) line names. The handout (labs/NN-name/README.md) "
          "explains each step.",
    MEMORY: "Valgrind found memory errors or definite leaks: the excerpt "
            "names the function and line. Fix the first error first.",
    SANITIZER: "The sanitizer report names the bad access or leak and the "
               "line where it happened: fix the first report first.",
    RACE: "ThreadSanitizer saw two threads touch the same memory, at least "
          "one of them writing, with no lock or other order between them: "
          "the report names both accesses and the threads' start. Hold the "
          "lock that guards that data around both.",
    NOT_BUILT: "Build it first (make lab LAB=N), or install the missing "
               "tool (make deps).",
    GRADER: "This is a bug in the grader, not in your program: please "
            "report it with this output.",
}


class Failure(Exception):
    """Why a test failed: a symptom, a one-line summary and a detail, and
    the points earned all the same (a test made of many cases gives
    partial credit for those that passed)."""

    def __init__(self, symptom: str, summary: str, detail: str = "",
                 earned: int = 0) -> None:
        super().__init__(summary)
        self.symptom = symptom
        self.summary = summary
        self.detail = detail
        self.earned = earned


class NotApplicable(Exception):
    """The test needs what this machine lacks (IPv6 on the loopback, a
    tool): it is not graded here, and its points leave the total. Raised
    before the test asks anything of the student's program, so that it
    never hides a failure where the feature exists."""


@dataclass
class Pending:
    """A receive in progress: what the test waits for and what came so far."""
    what: str
    want: bytes
    eof: bool                            # the test reads until end of file
    got: bytearray = field(default_factory=bytearray)
    error: BaseException | None = None   # what a background reader hit


def hint(symptom: str, overrides: dict[str, str]) -> str:
    """The advice for symptom: overrides first, then the defaults."""
    return overrides.get(symptom, DEFAULT_HINTS.get(symptom, ""))


def signal_text(signum: int) -> str:
    """Name a signal with its description: "SIGSEGV (Segmentation fault)"."""
    try:
        name = signal.Signals(signum).name
    except ValueError:
        name = f"signal {signum}"
    return f"{name} ({signal.strsignal(signum) or 'unknown signal'})"


def status_text(status: int) -> str:
    """Describe an exit status as Popen reports it (negative: a signal)."""
    if status < 0:
        return f"signal {signal_text(-status)}"
    return f"status {status}"


def mismatch(got: bytes, want: bytes, what: str) -> Failure:
    """The Failure for got != want: truncated, extra, differs or closed."""
    offset = bytediff.first_difference(got, want)
    if not got:
        return Failure(CLOSED, f"{what}: nothing came back "
                       f"(expected {len(want)} bytes)",
                       bytediff.describe(got, want))
    if offset == len(got) and at_body_start(want, offset):
        symptom = TRUNCATED
        how = f"the head came, then none of the body (byte {offset} of " \
              f"{len(want)})"
    elif at_nul(want, offset):
        symptom, how = NUL, f"went wrong at a NUL byte (byte {offset})"
    elif offset == len(got):
        symptom = TRUNCATED
        how = f"truncated at byte {offset} of {len(want)}"
    elif offset == len(want):
        symptom = EXTRA
        how = f"{len(got) - len(want)} extra bytes after the {len(want)} " \
              f"expected"
    else:
        symptom, how = DIFFERS, f"differs at byte {offset}"
    return Failure(symptom, f"{what}: {how}{dates.explain(want, offset)}",
                   bytediff.describe(got, want))


def at_body_start(want: bytes, offset: int | None) -> bool:
    """True when offset is where the body of the HTTP message want starts,
    just past the blank line of its head."""
    return offset is not None and want.startswith(b"HTTP/") and \
        want[:offset].endswith(b"\r\n\r\n") and \
        want.find(b"\r\n\r\n") + 4 == offset


def at_nul(want: bytes, offset: int | None) -> bool:
    """True when the expected byte at offset, or the one before, is NUL."""
    if offset is None:
        return False
    return b"\0" in want[max(0, offset - 1):offset + 1]


def classify(exc: BaseException, pending: Pending | None, doing: str,
             limit: float) -> Failure:
    """Turn what a test raised into a Failure.

    pending is the receive that was in progress, if any; doing says what
    the test was doing ("connecting to 127.0.0.1 port 4321"); limit is the
    test's time limit in seconds.
    """
    if isinstance(exc, Failure):
        return exc
    if isinstance(exc, TimeoutError):
        return timed_out(pending, f"{doing} (limit {limit:g} s)")
    if isinstance(exc, ConnectionRefusedError):
        return Failure(REFUSED, f"connection refused while {doing}")
    if isinstance(exc, (ConnectionResetError, BrokenPipeError,
                        ConnectionAbortedError)):
        return reset(exc, pending, doing)
    return Failure(GRADER, f"the grader raised {type(exc).__name__}: {exc}",
                   "".join(traceback.format_exception(
                       type(exc), exc, exc.__traceback__)))


def reset(exc: OSError, pending: Pending | None, doing: str) -> Failure:
    """The Failure for a reset connection: the wrong bytes that came
    before it, if any, say more than the reset."""
    why = exc.strerror or type(exc).__name__
    if pending is None:
        return Failure(RESET, f"{why} while {doing}")
    got = bytes(pending.got)
    if not pending.want.startswith(got):
        failure = mismatch(got, pending.want, pending.what)
        failure.summary += ", then the connection was reset"
        return failure
    return Failure(RESET, f"{why} after {len(got)} of "
                   f"{len(pending.want)} bytes of {pending.what}")


def timed_out(pending: Pending | None, doing: str) -> Failure:
    """The Failure for a time limit, using what had been received."""
    if pending is None:
        return Failure(TIMEOUT, f"time limit reached while {doing}")
    got = bytes(pending.got)
    if got == pending.want:
        came = f"all {len(got)} bytes came, but " if got else ""
        return Failure(STAYS_OPEN, f"{pending.what}: {came}the connection "
                       "was never closed")
    if not got:
        return Failure(TIMEOUT, f"{pending.what}: nothing came back before "
                       "the time limit")
    failure = mismatch(got, pending.want, pending.what)
    failure.summary += ", then nothing more before the time limit"
    return failure
