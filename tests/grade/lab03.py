"""lab03.py - the graded tests of lab 03, serving many clients at once
(labs/03-threads/threads.c and queue.c, around stage 02's forwarding).

Every test is decided by the order of events, never by how long something
took: an origin holds a request open (a gate the test opens later) and
other clients must be served meanwhile; the origin answers a burst only
once it holds several requests at once, which only a concurrent proxy can
bring about; the proxy's threads (/proc/PID/task) and file descriptors
(/proc/PID/fd) are counted while and after it works; a stop signal comes
while a request is in flight. Waits on /proc poll a state in short steps,
a bounded number of times, within the test's time limit.

Clients of a burst run on threads started together (a barrier), each with
its own random path and body, so that a proxy that mixes connections up
(a thread handed the address of a variable the accept loop reuses) gives
one client another's bytes. Under SAN=tsan the same bursts make any data
race of the queue or the thread bookkeeping show in ThreadSanitizer's
report, which fails the test.

PROGRAM is "graded": later stages still serve concurrently, so these
tests run against their programs too. The thread count allows the main
thread, the -n workers and the sanitizer's own helper thread, nothing else.
"""
from __future__ import annotations
import functools
import os
import select
import signal
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import harness
import hints
import procs
import units
from bytediff import quote
from client import (BINARY, KIBIBYTE, MEBIBYTE, SMALL_BUFFER, TEXT, binary,
                    check_error_page, drop_miss_mark, expect_error, first_line,
                    fresh_path, get, read_to_end, receive_reply, relayed,
                    request, served, setup, text, token)
from dates import settled
from harness import Context, TestTimeout, expect_stop, test
from hints import Failure, Pending
from netutil import abort
from origin import RECEIVED, Exchange, Origin, field_values, head_end, \
    response
from procs import check_alive, fd_count, fd_targets, proc_entries

TITLE = "serving many clients at once"
PROGRAM = "graded"

POLL = 0.005                 # seconds between two looks at /proc
STOP_LOOKS = 400             # looks at most for the accept loop's exit
BURST = 100                  # clients of the big bursts
SMALL_POOL = 4               # the -n of the small-pool tests
TOGETHER_POOL = 8            # requests the origin holds at once before it
                             # answers the default pool's burst
OTHERS = 10                  # clients served while one request is held
THREAD_BURST = 50            # clients queued behind the busy workers
FD_BURST = 100               # clients of the descriptor test
STACK_CACHE = 40 << 20       # bytes of ended threads' stacks glibc keeps
HELD_PREFIX = 8 * KIBIBYTE   # body bytes an origin sends before its gate
NEVER_MS = "60000"           # a -t no client of a test comes near
BUSY = 503                   # what a full queue answers

HINTS = {
    hints.TIMEOUT: "A client waited in vain while another was being "
                   "served: the accept loop must hand each connection to "
                   "another thread (a detached thread with -n 0, the "
                   "pool's queue otherwise) and go straight back to "
                   "net_accept; proxy_serve_client never runs in the "
                   "accept loop. With the pool, queue_get must wait in a "
                   "while loop (not an if) and queue_put must signal "
                   "not_empty.",
    hints.DIFFERS: "A client got bytes meant for another, or a wrong "
                   "answer: hand each thread its own heap-allocated "
                   "struct conn (never &connfd or the address of any "
                   "variable the accept loop reuses), and let exactly one "
                   "thread serve and close each connection.",
    hints.TRUNCATED: "A response was cut short: two threads may be "
                     "serving the same connection (a conn shared by "
                     "mistake), or the proxy ended while it was relaying.",
    hints.CLOSED: "The proxy closed a connection without answering: a "
                  "worker that takes NULL from queue_get before the queue "
                  "is closed (an if instead of a while around the wait), "
                  "or two threads closing the same descriptor.",
    hints.RESET: "A connection was reset: the proxy crashed, or two "
                 "threads closed the same descriptor. Its stderr below "
                 "says more.",
    hints.SIGNAL: "The proxy crashed. Build with SAN=asan (or SAN=tsan) "
                  "and grade again: the report names the line. With "
                  "threads the usual causes are a struct conn freed by one "
                  "thread while another still uses it, or a pointer to a "
                  "variable the accept loop reuses.",
    hints.NO_STOP: "The proxy did not exit after SIGTERM. Once the accept "
                   "loop returns, the pool closes the queue (queue_close "
                   "must wake every waiting get: pthread_cond_broadcast, "
                   "not signal) and joins every worker; with -n 0, "
                   "threads_serve waits until the count of live detached "
                   "threads is 0, under its lock, woken by the last "
                   "thread.",
    hints.REFUSED: "Nothing listened any more: the proxy had exited. In "
                   "pool mode start_pool must start the queue and the "
                   "workers, and only a stop signal ends the accept loop.",
    hints.EXITED: "The proxy exited on its own: the last lines of its "
                  "stderr say why. threads_serve returns only after a "
                  "stop signal, once every thread it started has ended.",
    hints.RACE: "ThreadSanitizer saw two threads touch the same memory "
                     "without a lock: every field of the queue is read and "
                     "written with q->lock held, the count of live "
                     "detached threads with d->lock held, and each thread "
                     "gets its own struct conn. The report names both "
                     "accesses.",
}

WORKER_HINT = "Fewer workers took requests after the failing clients " \
    "than the pool started: a worker serves until queue_get returns NULL " \
    "(the queue closed and empty). A client that fails ends that client " \
    "only (proxy_serve_client returns, its connection is closed); it " \
    "never ends the worker's loop, and errno after it means nothing."
COUNT_HINT = "The proxy ran more threads than the main thread and the -n " \
    "workers: in pool mode the workers are started once, by start_pool, " \
    "and every connection goes through the queue; no thread is started " \
    "per connection, and none is left behind."
FD_HINT = "Descriptors leaked: every connection the proxy accepts or " \
    "opens must be closed once, on every path. proxy_serve_client closes " \
    "the client's socket and turn_away closes a refused one (through " \
    "proxy_refuse); the origin's socket is closed by forward_request, " \
    "whatever went wrong."
DETACH_HINT = "With -n 0 nobody joins the threads, so each must be " \
    "detached (pthread_detach after pthread_create, or created detached): " \
    "a thread that is neither joined nor detached keeps its stack mapped " \
    "for ever after it ends, and a proxy that serves thousands of clients " \
    "runs out of memory."
STOP_HINT = "After SIGTERM the accept loop returns; then close the queue " \
    "(queue_close) so that queue_get returns NULL once it is empty, and " \
    "join every worker (pthread_join) before threads_serve returns; with " \
    "-n 0, wait on d.idle until d.live is 0. Returning early ends the " \
    "process and kills the requests still in flight."


# Looking into the proxy: /proc.

def thread_stacks(proxy: procs.Program) -> tuple[int, int]:
    """How many thread stacks the proxy has mapped, and their size: in
    /proc/PID/maps a stack is a guard page (---p) right below a writable
    region, both made by pthread_create."""
    page = os.sysconf("SC_PAGE_SIZE")
    check_alive(proxy, "while its memory map was read")
    regions = []
    with open(f"/proc/{proxy.pid}/maps") as maps:
        for row in maps:
            span, perms = row.split()[:2]
            low, high = (int(x, 16) for x in span.split("-"))
            regions.append((low, high, perms))
    sizes = [high - low + page for (glow, ghigh, gperms), (low, high, perms)
             in zip(regions, regions[1:])
             if gperms == "---p" and ghigh - glow == page and ghigh == low
             and perms.startswith("rw") and high - low >= 16 * page]
    return len(sizes), max(sizes, default=0)


class ThreadWatch:
    """Counts the proxy's threads whenever asked, and fails the test as
    soon as there are more than allowed."""

    def __init__(self, t: Context, proxy: procs.Program, allowed: int,
                 workers: int) -> None:
        self.t = t
        self.proxy = proxy
        self.allowed = allowed
        self.workers = workers
        self.samples = 0
        self.most = 0

    def sample(self) -> None:
        """Count the threads now; fail if there are too many."""
        count = len(proc_entries(self.proxy, "task", "while its threads "
                                 "were counted"))
        self.samples += 1
        self.most = max(self.most, count)
        if count > self.allowed:
            self.t.fail(hints.DIFFERS, f"the proxy ran {count} threads (in "
                        f"/proc/{self.proxy.pid}/task) with -n "
                        f"{self.workers}: at most {self.allowed} are "
                        f"expected, the main thread and {self.workers} "
                        "workers", COUNT_HINT)


def max_looks(t: Context) -> int:
    """Looks at /proc that fit in the test's time limit (the limit's
    alarm normally ends a wait first)."""
    return int(t.limit / POLL) + 1


def poll_until(t: Context, proxy: procs.Program, ready: Callable[[], bool],
               doing: str, quiet: Sequence["Client"] = (),
               watch: ThreadWatch | None = None) -> None:
    """Wait until ready() holds, looking every POLL seconds, and fail
    early if the proxy exits or answers one of the quiet clients (whose
    requests must still be waiting); watch, if given, counts threads at
    every look."""
    with t.step(doing):
        for _ in range(max_looks(t)):
            if ready():
                return
            check_alive(proxy, f"while {doing}")
            if watch is not None:
                watch.sample()
            waiting = {c.sock.fileno(): c for c in quiet
                       if c.sock is not None and c.sock.fileno() >= 0}
            if waiting:
                for fd in readable(list(waiting), POLL):
                    answered_early(t, waiting[fd], doing)
            else:
                time.sleep(POLL)
        t.fail(hints.TIMEOUT, f"time limit reached while {doing}")


def readable(fds: list[int], timeout: float) -> list[int]:
    """Those of fds that have something to read (or an end of file or an
    error), waiting at most timeout seconds for one."""
    poller = select.poll()
    for fd in fds:
        poller.register(fd, select.POLLIN)
    return [fd for fd, _ in poller.poll(timeout * 1000)]


def answered_early(t: Context, client: "Client", doing: str) -> None:
    """Fail: client's request should still be waiting, but the proxy
    answered it or closed it."""
    try:
        data = client.sock.recv(65536)
    except OSError as exc:
        t.fail(hints.RESET, f"{client.label}: the connection was reset "
               f"({exc.strerror}) while {doing}")
    if not data:
        t.fail(hints.CLOSED, f"{client.label}: the proxy closed the "
               f"connection without an answer while {doing}")
    t.fail(hints.DIFFERS, f"{client.label}: the proxy answered "
           f"'{quote(first_line(data))}' while {doing}, instead of "
           "letting the request wait for its turn")


def main_thread_call(proxy: procs.Program) -> str | None:
    """What the proxy's main thread is blocked in (/proc/PID/task/PID/
    syscall: the call's number and arguments, "running" when it is not
    blocked), or None when /proc does not say."""
    try:
        return Path(f"/proc/{proxy.pid}/task/{proxy.pid}/syscall") \
            .read_text().strip()
    except OSError:
        return None


def is_blocked(call: str | None) -> bool:
    """Whether a /proc syscall line shows a thread waiting in a call."""
    return call is not None and call.split()[0] not in ("running", "-1")


def accept_call(t: Context, proxy: procs.Program) -> str | None:
    """The call the idle proxy's main thread waits for clients in (its
    accept loop's poll, the same in two looks in a row), or None when
    /proc does not show it."""
    with t.step("reading what the proxy's main thread waits in"):
        last = None
        for _ in range(STOP_LOOKS):
            call = main_thread_call(proxy)
            if call is None or (is_blocked(call) and call == last):
                return call
            last = call
            time.sleep(POLL)
        return None


def signal_pending(proxy: procs.Program, sig: int) -> bool:
    """Whether sig is still pending for the proxy (not yet handled)."""
    bit = 1 << (sig - 1)
    try:
        status = Path(f"/proc/{proxy.pid}/status").read_text()
    except OSError:
        return False
    for line in status.splitlines():
        if line.startswith(("ShdPnd:", "SigPnd:")) and \
                int(line.split()[1], 16) & bit:
            return True
    return False


def wait_stopped_accepting(t: Context, proxy: procs.Program,
                           accepting: str | None) -> None:
    """After a stop signal, wait until the accept loop has ended: the main
    thread waits in another call than accepting (joining the workers, say)
    or the proxy has exited. Where /proc does not show the call, wait until
    the signal is no longer pending. At most STOP_LOOKS looks: this only
    orders the test's next step, it decides nothing."""
    with t.step("waiting for the proxy to stop accepting after SIGTERM"):
        for _ in range(STOP_LOOKS):
            if not proxy.alive():
                return
            call = main_thread_call(proxy) if accepting is not None else None
            if call is None:
                if not signal_pending(proxy, signal.SIGTERM):
                    return
            elif is_blocked(call) and call != accepting:
                return
            time.sleep(POLL)


# Clients of a burst, each on a thread of its own.

@dataclass
class Client:
    """One client: what it sends and the origin's reply to it, want, of
    which it must get what a client receives (relayed: it is kept so).
    With status, a complete error page with that status is expected
    instead of want; with vanish, the client reads that many bytes of want
    and resets; with hang_up, it resets as soon as it has sent data."""
    label: str
    data: bytes
    want: bytes = b""
    status: int = 0
    vanish: int = 0
    hang_up: bool = False
    bufsize: int | None = None
    sock: socket.socket | None = None
    pending: Pending = field(init=False)
    done: bool = field(default=False, init=False)   # its thread is over
    event: Callable[[str], None] = lambda what: None  # V=1, TRACE=1

    def __post_init__(self) -> None:
        self.want = relayed(self.want)
        self.pending = Pending(f"the response to {self.label}",
                               self.want, eof=True)


def talk(port: int, client: Client, barrier: threading.Barrier,
         limit: float) -> None:
    """The body of a client's thread: connect (once every client of the
    burst is ready), send, then read to the end of file or vanish. What
    goes wrong is kept in client.pending.error."""
    pending = client.pending
    try:
        barrier.wait(limit)
        client.sock.connect(("127.0.0.1", port))
        client.event("connected")
        client.sock.sendall(client.data)
        client.event(f"sent {len(client.data)} bytes")
        if client.hang_up:
            abort(client.sock)
            client.event("reset the connection")
            return
        if client.vanish:
            while len(pending.got) < client.vanish:
                chunk = client.sock.recv(65536)
                if not chunk:
                    break
                pending.got += chunk
            abort(client.sock)
            client.event(f"received {len(pending.got)} bytes, then reset "
                         "the connection")
            return
        harness.receive(client.sock, pending)
        client.event(f"received {len(pending.got)} bytes, then end of file")
        harness.close_socket(client.sock)   # the answer is in: hang up
    except Exception as exc:
        pending.error = exc
    finally:
        client.done = True


def start(t: Context, proxy: procs.Program,
          clients: list[Client]) -> list[threading.Thread]:
    """Start a thread per client; they all connect at once (a barrier)."""
    barrier = threading.Barrier(len(clients))
    threads = []
    for client in clients:
        client.sock = t.open_socket(client.bufsize)
        client.event = functools.partial(t.event, client.label)
        thread = threading.Thread(target=talk, daemon=True,
                                  args=(proxy.port, client, barrier, t.limit))
        threads.append(thread)
    for thread in threads:
        thread.start()
    return threads


def finish(t: Context, threads: list[threading.Thread],
           clients: list[Client], what: str,
           watch: ThreadWatch | None = None) -> None:
    """Wait for every client's thread, then check each client's answer.
    watch, if given, counts the proxy's threads while waiting."""
    try:
        with t.step(f"waiting for {what}"):
            for thread in threads:
                while thread.is_alive():
                    thread.join(POLL if watch is not None else None)
                    if watch is not None:
                        watch.sample()
    except TestTimeout:
        waiting = [c for c in clients if not c.done]
        if waiting:
            unfinished(t, waiting, len(clients), what)
    for client in clients:
        check_client(t, client, clients)


def unfinished(t: Context, waiting: list[Client], total: int,
               what: str) -> None:
    """Fail for the time limit: say how many clients were still waiting."""
    first = waiting[0]
    failure = hints.timed_out(first.pending, f"waiting for {what}")
    got = len(first.pending.got)
    raise Failure(failure.symptom, f"{len(waiting)} of {total} "
                  f"clients had no complete answer when the time limit "
                  f"({t.limit:g} s) was reached, among them {first.label} "
                  f"({got} of {len(first.want) or 'an error page'}"
                  f"{' bytes' if first.want else ''} had come)",
                  failure.detail)


def check_client(t: Context, client: Client, clients: list[Client]) -> None:
    """Fail unless client got what it should have."""
    pending = client.pending
    drop_miss_mark(t, pending)
    got = settled(bytes(pending.got), client.want)
    if pending.error is not None:
        with t.step(f"talking as {client.label}", pending):
            raise pending.error
    if client.hang_up:
        return
    if client.vanish:
        if not client.want.startswith(got):
            raise hints.mismatch(got, client.want[:len(got)],
                                 f"the first bytes of {pending.what}")
        return
    if client.status:
        check_error_page(t, got, client.status, pending.what)
        return
    if got == client.want:
        return
    failure = hints.mismatch(got, client.want, pending.what)
    other = next((c for c in clients if c is not client and c.want
                  and got == c.want), None)
    if other is not None:
        failure.summary = f"{client.label} received the response meant " \
            f"for {other.label}: two threads served the wrong connections"
    raise failure


def run(t: Context, proxy: procs.Program, clients: list[Client],
        what: str) -> None:
    """Start the clients together and check every answer."""
    finish(t, start(t, proxy, clients), clients, what)


def together(origin: Origin, count: int, limit: float,
             reply: bytes | Callable[[Exchange], bytes]) -> \
        Callable[[Exchange], bytes]:
    """A reply that the origin sends only once it has received count
    requests in all: the first count requests must be in flight at once,
    which a proxy serving one client at a time never brings about."""
    def answer(exchange: Exchange) -> bytes:
        origin.wait_for(count, RECEIVED, timeout=limit)
        return reply(exchange) if callable(reply) else reply

    return answer


def echo_body(exchange: Exchange) -> bytes:
    """The origin's answer to a POST: its body, sent back."""
    return response(200, exchange.body, BINARY)


def burst(t: Context, origin: Origin, count: int, stem: str,
          hold_until: int = 0, small: bool = False) -> list[Client]:
    """count clients, each with a path of its own: even ones GET a random
    body of 20 to 200 KiB (1 to 16 KiB if small), odd ones POST one and
    get it back. With hold_until, the origin answers nobody before it
    holds that many requests at once."""
    low, high = (KIBIBYTE, 16 * KIBIBYTE) if small else \
        (20 * KIBIBYTE, 200 * KIBIBYTE)
    clients = []
    for i in range(1, count + 1):
        path = fresh_path(t, stem, f"/{i}.bin")
        body = binary(t, t.rng.randint(low, high))
        if i % 2:
            reply: bytes | Callable[[Exchange], bytes] = echo_body
            data = get(origin, path, [("Content-Type", BINARY[0][1])],
                       method="POST", body=body)
            want = response(200, body, BINARY)
        else:
            reply = want = response(200, body, [*BINARY,
                                                ("X-Token", token(t))])
            data = get(origin, path)
        if hold_until:
            reply = together(origin, hold_until, t.limit, reply)
        origin.route(path, reply)
        clients.append(Client(f"client {i} ({path})", data, want))
    return clients


# Holding requests at the origin.

def hold(t: Context, origin: Origin, gate: threading.Event, stem: str,
         prefix: int = 0) -> tuple[str, bytes, int]:
    """A path whose response the origin sends up to a point (prefix body
    bytes after the head; 0: nothing at all), then holds until gate is
    set. Returns the path, the whole response and the point."""
    path = fresh_path(t, stem, ".bin")
    reply = response(200, binary(t, 64 * KIBIBYTE), BINARY)
    at = head_end(reply) + prefix if prefix else 0
    origin.route(path, reply, gate=gate, gate_at=at)
    return path, reply, at


def start_held(t: Context, proxy: procs.Program, origin: Origin,
               gate: threading.Event, label: str) -> \
        tuple[socket.socket, bytes, int]:
    """A client whose request the origin holds: it has received the head
    and the first HELD_PREFIX body bytes when this returns, so the proxy
    is relaying its response. Returns the socket, the response and how
    much of it came."""
    path, reply, at = hold(t, origin, gate, "held", HELD_PREFIX)
    sock = t.connect(proxy.port)
    sock.sendall(get(origin, path))
    receive_reply(t, sock, relayed(reply[:at]), f"what the client receives "
                  f"of the first {at} bytes of the response to {label}, "
                  "which the origin then holds", origin, eof=False)
    return sock, reply, at


def complete(t: Context, sock: socket.socket, want: bytes, what: str,
             origin: Origin) -> None:
    """Receive the rest of a response, want, then end of file; hang up."""
    receive_reply(t, sock, want, what, origin)
    harness.close_socket(sock)


def still_open(t: Context, sock: socket.socket, label: str,
               doing: str) -> None:
    """Fail if the proxy has sent more to sock or closed it."""
    if readable([sock.fileno()], 0):
        try:
            data = sock.recv(65536, socket.MSG_PEEK)
        except OSError as exc:
            t.fail(hints.RESET, f"{label}: the connection was reset "
                   f"({exc.strerror}) while {doing}")
        if not data:
            t.fail(hints.CLOSED, f"{label}: the proxy closed the connection "
                   f"while {doing}, although its origin had not finished")
        t.fail(hints.EXTRA, f"{label}: {len(data)} bytes came while its "
               f"origin was holding the rest ({doing})")


def accepted(t: Context, proxy: procs.Program, count: int, base: int,
             quiet: Sequence[Client], doing: str,
             watch: ThreadWatch | None = None) -> None:
    """Wait until the proxy holds count more descriptors than base: it
    has accepted (and holds) that many more connections."""
    poll_until(t, proxy, lambda: fd_count(proxy, doing) >= base + count,
               doing, quiet, watch)


def quiet_clients(t: Context, proxy: procs.Program, origin: Origin,
                  paths: list[str], label: str) -> list[Client]:
    """A client per path, connected and with its request sent, whose
    answer the test will wait for later (the origin holds it)."""
    clients = []
    for i, path in enumerate(paths, 1):
        client = Client(f"{label} {i} ({path})", get(origin, path),
                        origin.direct(path))
        client.sock = t.open_socket()
        client.sock.connect((proxy.host, proxy.port))
        client.sock.sendall(client.data)
        clients.append(client)
    return clients


def listen(client: Client) -> None:
    """The body of a quiet client's thread: read to the end of file, then
    hang up. What goes wrong is kept in client.pending.error."""
    try:
        harness.receive(client.sock, client.pending)
        harness.close_socket(client.sock)
    except Exception as exc:
        client.pending.error = exc
    finally:
        client.done = True


def read_quiet(t: Context, clients: list[Client], what: str,
               watch: ThreadWatch | None = None) -> None:
    """Read every quiet client's answer on threads and check them."""
    threads = []
    for client in clients:
        thread = threading.Thread(target=listen, args=(client,),
                                  daemon=True)
        thread.start()
        threads.append(thread)
    finish(t, threads, clients, what, watch)


# The tests: one slow party does not hold up the others.

def slow_origin(t: Context, args: list[str], mode: str) -> None:
    """While the origin holds one client's response half-sent, OTHERS
    clients at once get theirs whole; then the held one completes."""
    proxy, origin = setup(t, args)
    gate = threading.Event()
    held, reply, at = start_held(t, proxy, origin, gate, "the first client")
    t.log(f"{mode}: the origin holds the first response after {at} bytes")
    others = burst(t, origin, OTHERS, "other", small=True)
    run(t, proxy, others, f"the responses to {OTHERS} other clients while "
        "the origin held the first one")
    still_open(t, held, "the first client", f"{OTHERS} other clients were "
               "served")
    gate.set()
    complete(t, held, reply[at:], "the rest of the first client's "
             "response, once the origin let it go", origin)


@test(10, "lab3.1, a thread per connection (-n 0): while the origin holds "
          "one response half-sent, 10 other clients at once are served "
          "whole; then the held one completes too",
      hints={hints.TIMEOUT: "With -n 0, start_detached starts a thread per "
                            "connection (pthread_create, then "
                            "pthread_detach) that serves it and frees its "
                            "struct job and struct conn; the accept loop "
                            "goes straight back to net_accept."},
      rules=("3.1.a",))
def detached_slow_origin(t: Context) -> None:
    slow_origin(t, ["-n", "0"], "-n 0")


@test(10, "lab3.3, the worker pool (the default): while the origin holds "
          "one response half-sent, 10 other clients at once are served "
          "whole; then the held one completes too",
      hints={hints.TIMEOUT: "In pool mode the accept loop only puts each "
                            "connection in the queue (enqueue); the workers "
                            "(start_pool) take them with queue_get, which "
                            "waits in a while loop, and serve them."},
      rules=("3.3.a",))
def pool_slow_origin(t: Context) -> None:
    slow_origin(t, [], "the pool")


@test(8, "a client that sent half a request head and stays silent does "
         "not stop another client from being served; then it finishes its "
         "request and is served too",
      hints={hints.TIMEOUT: "A silent client must hold up only the thread "
                            "serving it: the accept loop hands every "
                            "connection over at once and never reads from "
                            "a client itself."},
      rules=("3.3.a",))
def slow_client(t: Context) -> None:
    proxy, origin = setup(t, ["-t", NEVER_MS])
    base = fd_count(proxy, "before the first client")
    path = fresh_path(t, "slow-client", ".txt")
    reply = response(200, text(t, 3000), TEXT)
    origin.route(path, reply)
    data = get(origin, path, [("Accept", "*/*"), ("X-Token", token(t))])
    slow = Client("the silent client", data[:len(data) // 2], reply)
    slow.sock = t.open_socket()
    slow.sock.connect((proxy.host, proxy.port))
    slow.sock.sendall(slow.data)
    accepted(t, proxy, 1, base, [slow], "waiting for the proxy to accept "
             "the silent client")
    t.log("the proxy holds the silent client's connection")
    served(t, proxy, origin, "the client after the silent one")
    still_open(t, slow.sock, "the silent client", "another client was "
               "served")
    slow.sock.sendall(data[len(data) // 2:])
    complete(t, slow.sock, relayed(reply), "the response to the silent "
             "client, once it sent the rest of its head", origin)


# The tests: many clients at once.

@test(10, f"{BURST} clients at once (the default pool), each with its own "
          "path and a 20-200 KiB body (GET or POST), all get byte-exact "
          f"responses; the origin answers only once it holds "
          f"{TOGETHER_POOL} requests at once", timeout=20,
      rules=("3.3.a",))
def many_clients(t: Context) -> None:
    proxy, origin = setup(t)
    clients = burst(t, origin, BURST, "many", hold_until=TOGETHER_POOL)
    run(t, proxy, clients, f"the responses to {BURST} clients")


@test(10, f"{BURST} clients at once with -n {SMALL_POOL} -q 128 (more "
          "clients than workers: the queue holds the rest) all get "
          f"byte-exact responses; the origin answers only once all "
          f"{SMALL_POOL} workers are at it", timeout=20,
      hints={hints.TIMEOUT: "Clients waiting in the queue were never "
                            "served: queue_get must wait in a while loop "
                            "on not_empty (a wakeup only means 'look "
                            "again'), queue_put must signal not_empty, and "
                            "each worker loops until queue_get returns "
                            "NULL.",
             hints.CLOSED: "A queued client was closed unanswered: a worker "
                           "must take an item only when the queue holds "
                           "one (while, not if, around the wait) and "
                           "queue_get returns NULL only once the queue is "
                           "closed and empty."},
      rules=("3.3.a",))
def many_clients_small_pool(t: Context) -> None:
    proxy, origin = setup(t, ["-n", str(SMALL_POOL), "-q", "128"])
    clients = burst(t, origin, BURST, "queued", hold_until=SMALL_POOL)
    run(t, proxy, clients, f"the responses to {BURST} clients served by "
        f"{SMALL_POOL} workers")


@test(10, "back-pressure (-n 1 -q 1): with the worker busy and the queue "
          "full, the next client gets a complete 503 with Retry-After "
          "once -w 300 ms have passed, then the held clients finish and "
          "the proxy serves on; with a long -w, a client waiting for a "
          "slot gets it when one frees",
      hints={hints.TIMEOUT: "With the queue full, the accept loop must not "
                            "wait for ever: queue_put takes a deadline "
                            "(deadline_after(opt->queue_wait_ms)) and fails "
                            "with ETIMEDOUT once it passes; enqueue then "
                            "calls turn_away (503). A queue without a bound "
                            "never fills, and a put without a deadline "
                            "blocks every later client.",
             hints.DIFFERS: "When the queue is full, queue_put waits on "
                            "not_full until a slot frees or the deadline "
                            "passes (pthread_cond_timedwait, in a while "
                            "loop); only then is the client turned away "
                            "with 503 (turn_away, which answers through "
                            "proxy_refuse, with Retry-After)."},
      rules=("3.2.a", "3.3.b"))
def back_pressure(t: Context) -> None:
    proxy, origin = setup(t, ["-n", "1", "-q", "1", "-w", "300"])
    gate = threading.Event()
    busy, reply, at = start_held(t, proxy, origin, gate, "the first client")
    path = fresh_path(t, "queued", ".txt")
    origin.route(path, response(200, text(t, 2000), TEXT))
    queued = quiet_clients(t, proxy, origin, [path], "the queued client")
    third = t.connect(proxy.port)
    third.sendall(get(origin, fresh_path(t, "turned-away")))
    page = read_to_end(t, third, "the answer to the third client, with the "
                    "worker busy and the queue full")
    check_error_page(t, page, BUSY, "the answer to the third client, with "
                     "the worker busy and the queue full")
    retry = field_values(page[:head_end(page)], "Retry-After")
    if len(retry) != 1 or not retry[0].isdigit():
        t.fail(hints.DIFFERS, f"the 503 for a full queue has Retry-After "
               f"{retry or 'missing'}: answer it with proxy_refuse, which "
               "adds 'Retry-After: 1'", quote(page[:600]))
    t.log("the third client was turned away with 503")
    gate.set()
    complete(t, busy, reply[at:], "the rest of the first client's "
             "response, once the origin let it go", origin)
    read_quiet(t, queued, "the response to the client that waited in the "
               "queue")
    served(t, proxy, origin, "a new client once the queue had room again")
    waits_for_a_slot(t)


def waits_for_a_slot(t: Context) -> None:
    """With -n 1 -q 1 and a long -w: the worker busy, the queue full, a
    third client is accepted and waits; a slot frees, and it is served."""
    proxy, origin = setup(t, ["-n", "1", "-q", "1", "-w", NEVER_MS])
    base = fd_count(proxy, "before the first client")
    gate = threading.Event()
    busy, reply, at = start_held(t, proxy, origin, gate, "the first client "
                                 "(long -w)")
    paths = [fresh_path(t, "wait", f"/{i}.txt") for i in (1, 2)]
    for path in paths:
        origin.route(path, response(200, text(t, 1500), TEXT))
    waiting = quiet_clients(t, proxy, origin, paths, "the client behind "
                            "the busy worker (long -w)")
    # The first client and its origin connection, then the queued client
    # and the one waiting for a slot: four descriptors more than base.
    accepted(t, proxy, 4, base, waiting, "waiting for the proxy to accept "
             "the client that waits for a slot in the full queue")
    t.log("the third client is accepted and waits for a slot")
    gate.set()
    complete(t, busy, reply[at:], "the rest of the first client's "
             "response (long -w)", origin)
    read_quiet(t, waiting, "the responses to the queued client and to the "
               "one that waited for a slot")


@test(6, f"with -n {SMALL_POOL}, after 16 clients that fail every way "
         "(unknown hosts, malformed requests, clients that vanish "
         "mid-request and mid-response), the pool still has all its "
         f"workers: {SMALL_POOL} requests are then at the origin at once",
      timeout=20, hints={hints.TIMEOUT: WORKER_HINT},
      rules=("3.3.c",))
def pool_survives_errors(t: Context) -> None:
    proxy, origin = setup(t, ["-n", str(SMALL_POOL)])
    run(t, proxy, troubled_clients(t, origin), "the answers to 16 clients "
        "that fail")
    gate = threading.Event()
    paths = [hold(t, origin, gate, "after")[0] for _ in range(SMALL_POOL)]
    held = quiet_clients(t, proxy, origin, paths, "held client")
    poll_until(t, proxy, lambda: sum(
        e.received for e in origin.exchanges) >= SMALL_POOL,
        f"waiting for {SMALL_POOL} requests to be at the origin at once, "
        "one per worker", held)
    gate.set()
    read_quiet(t, held, f"the responses to {SMALL_POOL} held clients")


@test(8, f"with -n {SMALL_POOL}, while {SMALL_POOL} requests are held at "
         f"the origin and {THREAD_BURST} more wait in the queue, and until "
         "all are served, the proxy never runs more threads than the main "
         f"thread and its {SMALL_POOL} workers (/proc/PID/task)",
      timeout=15, hints={hints.DIFFERS: COUNT_HINT},
      rules=("3.3.c",))
def thread_count(t: Context) -> None:
    proxy, origin = setup(t, ["-n", str(SMALL_POOL)])
    watch = ThreadWatch(t, proxy, procs.threads_allowed(proxy, SMALL_POOL),
                        SMALL_POOL)
    watch.sample()
    base = fd_count(proxy, "before the first client")
    gate = threading.Event()
    paths = [hold(t, origin, gate, "busy")[0] for _ in range(SMALL_POOL)]
    busy = quiet_clients(t, proxy, origin, paths, "busy client")
    poll_until(t, proxy, lambda: sum(
        e.received for e in origin.exchanges) >= SMALL_POOL,
        f"waiting for {SMALL_POOL} requests to be at the origin at once",
        busy, watch)
    t.log(f"the origin holds {SMALL_POOL} requests")
    paths = [hold(t, origin, gate, "queued")[0] for _ in range(THREAD_BURST)]
    queued = quiet_clients(t, proxy, origin, paths, "queued client")
    # Each busy client has two descriptors (its own and its origin's).
    accepted(t, proxy, 2 * SMALL_POOL + THREAD_BURST, base, busy + queued,
             f"waiting for the proxy to accept {THREAD_BURST} more clients",
             watch)
    t.log(f"{THREAD_BURST} clients wait in the queue; {watch.samples} "
          f"samples so far, at most {watch.most} threads")
    gate.set()
    read_quiet(t, busy + queued, f"the responses to {len(busy + queued)} "
               "clients", watch)
    watch.sample()
    t.log(f"{watch.samples} samples, at most {watch.most} threads")


@test(4, f"lab3.1 (-n 0): {THREAD_BURST} clients held at the origin at "
         f"once run on {THREAD_BURST} threads; once all are served, every "
         "thread has ended and its stack was given back (the threads are "
         "detached)", timeout=15,
      hints={hints.DIFFERS: DETACH_HINT},
      rules=("3.1.a",))
def detached_threads_end(t: Context) -> None:
    proxy, origin = setup(t, ["-n", "0"])
    stacks, _ = thread_stacks(proxy)
    gate = threading.Event()
    paths = [hold(t, origin, gate, "detached")[0]
             for _ in range(THREAD_BURST)]
    held = quiet_clients(t, proxy, origin, paths, "held client")
    poll_until(t, proxy, lambda: sum(
        e.received for e in origin.exchanges) >= THREAD_BURST,
        f"waiting for {THREAD_BURST} requests to be at the origin at once",
        held)
    gate.set()
    read_quiet(t, held, f"the responses to {THREAD_BURST} clients")
    alone = procs.threads_allowed(proxy, 0)
    ended = f"waiting for the proxy's {THREAD_BURST} threads to end"
    poll_until(t, proxy, lambda: len(proc_entries(
        proxy, "task", ended)) <= alone, ended)
    # One more thread, so that the C library trims its cache of the
    # stacks of ended threads (it frees only those whose threads are gone).
    served(t, proxy, origin, "one more client")
    poll_until(t, proxy, lambda: len(proc_entries(
        proxy, "task", ended)) <= alone, ended)
    now, size = thread_stacks(proxy)
    t.log(f"{now - stacks} thread stacks of {size >> 10} KiB more than "
          "before the burst")
    if now - stacks >= THREAD_BURST and size * THREAD_BURST > 2 * STACK_CACHE:
        t.fail(hints.DIFFERS, f"{now - stacks} thread stacks of "
               f"{size >> 10} KiB stay mapped (/proc/PID/maps) after "
               f"{THREAD_BURST + 1} threads have ended: they were neither "
               "detached nor joined", DETACH_HINT)


def troubled_clients(t: Context, origin: Origin) -> list[Client]:
    """16 clients whose requests fail every way: 4 unknown hosts (502), 4
    malformed requests (400), 4 that vanish mid-request and 4 that vanish
    mid-response."""
    clients = []
    for i in range(4):
        host = f"no-such-host-{token(t, 8)}.invalid"
        clients.append(Client(f"unknown host {i + 1} ({host})",
                               request("GET", f"http://{host}/",
                                       [("Host", host)]), status=502))
    for i, line in enumerate((b"NONSENSE", b"GET  / HTTP/1.1",
                              b"GET / HTTP/one", b"GET /\x01 HTTP/1.1")):
        clients.append(Client(f"malformed request {i + 1} "
                              f"('{quote(line)}')", line + b"\r\n\r\n",
                              status=400))
    for i in range(4):
        path = fresh_path(t, "upload")
        origin.route(path, response(200, b"unused\n", TEXT))
        data = get(origin, path, method="POST",
                   body=binary(t, 256 * KIBIBYTE))
        clients.append(Client(f"client vanishing mid-request {i + 1}",
                              data[:len(data) // 2], hang_up=True))
    for i in range(4):
        path = fresh_path(t, "vanish", ".bin")
        reply = response(200, t.rng.randbytes(2 * MEBIBYTE), BINARY)
        origin.route(path, reply)
        clients.append(Client(f"client vanishing mid-response {i + 1}",
                              get(origin, path), reply,
                              vanish=16 * KIBIBYTE, bufsize=SMALL_BUFFER))
    return clients


@test(10, f"after a burst of {FD_BURST} clients at once (fetches, POSTs, "
          "unknown hosts, malformed requests, clients that vanish "
          "mid-request and mid-response), the proxy's open descriptors "
          "(/proc/PID/fd) come back to what they were before",
      timeout=20, hints={hints.DIFFERS: FD_HINT},
      rules=("3.0.a",))
def no_fd_leak(t: Context) -> None:
    proxy, origin = setup(t)
    base = fd_count(proxy, "before the first client")
    before = fd_targets(proxy)
    clients = burst(t, origin, FD_BURST - 16, "fd", small=True)
    clients += troubled_clients(t, origin)
    run(t, proxy, clients, f"the answers to {len(clients)} clients")
    doing = "waiting for the proxy to close every connection of the burst"
    try:
        poll_until(t, proxy, lambda: fd_count(proxy, doing) <= base, doing)
    except (TestTimeout, Failure) as exc:
        if isinstance(exc, Failure) and exc.symptom != hints.TIMEOUT:
            raise
        now = fd_targets(proxy)
        t.fail(hints.DIFFERS, f"the proxy had {base} descriptors open before "
               f"the burst and still {len(now)} once every client was done "
               f"(time limit {t.limit:g} s)",
               "before:\n  " + "\n  ".join(before) + "\nafter:\n  " +
               "\n  ".join(now))


# The tests: stopping.

def stop_with_request_in_flight(t: Context, args: list[str],
                                mode: str) -> None:
    """SIGTERM while the origin holds a response; the origin then lets it
    go: the client gets all of it and the proxy exits with status 0."""
    proxy, origin = setup(t, ["-g", "5", *args])
    gate = threading.Event()
    sock, reply, at = start_held(t, proxy, origin, gate, f"the client "
                                 f"({mode})")
    accepting = accept_call(t, proxy)
    proxy.stop(signal.SIGTERM, timeout=0)
    wait_stopped_accepting(t, proxy, accepting)
    t.log(f"{mode}: SIGTERM taken, the accept loop has ended")
    gate.set()
    complete(t, sock, reply[at:], f"the rest of the response in "
             f"flight at SIGTERM ({mode}), which the grace period "
             "(-g 5) lets finish", origin)
    expect_exit(t, proxy, f"SIGTERM ({mode}), once the request in flight "
                "had finished")


def expect_exit(t: Context, proxy: procs.Program, after: str) -> None:
    """Wait (the program's stop grace) for the proxy to exit; fail unless
    its status is 0."""
    with t.step(f"waiting for the proxy to exit after {after}"):
        status = proxy.wait_exit(proxy.stop_grace())
    if status is None:
        t.fail(hints.NO_STOP, f"the proxy still ran {proxy.stop_grace():g} "
               f"s after {after}", STOP_HINT)
    if status != 0:
        t.fail(hints.EXITED, f"the proxy ended with "
               f"{hints.status_text(status)} after {after}; expected "
               "status 0")


@test(3, "a request whose target is the proxy itself gets 508 Loop "
         "Detected at once: its second pass, served by another thread, "
         "sees the proxy's own Via (lab2.3); the proxy serves the next "
         "client",
      hints={hints.DIFFERS: "http_parse_target: a Via header whose entry "
                            "names HTTP_VIA means the request has come "
                            "round through this proxy: return 508.",
             hints.TIMEOUT: "A request for the proxy itself goes round and "
                            "round: http_parse_target must return 508 "
                            "when a Via entry names HTTP_VIA."},
      rules=("2.3.c",))
def request_loop(t: Context) -> None:
    proxy, origin = setup(t)
    itself = f"127.0.0.1:{proxy.port}"
    sent = request("GET", f"http://{itself}/", [("Host", itself)])
    t.reproduce("curl -si -x http://127.0.0.1:{port} "
                "http://127.0.0.1:{port}/")
    sock = t.connect(proxy.port)
    sock.sendall(sent)
    page = read_to_end(t, sock, "the answer to a request for the proxy "
                       "itself")
    check_error_page(t, page, 508, "the answer to a request for the proxy "
                     "itself")
    served(t, proxy, origin)


@test(6, "SIGTERM with a request in flight (-g 5), in pool mode and with "
         "-n 0: the accept loop ends, the origin then finishes, the client "
         "gets the whole response and the proxy exits with status 0",
      hints={hints.TRUNCATED: STOP_HINT, hints.CLOSED: STOP_HINT,
             hints.RESET: STOP_HINT, hints.TIMEOUT: STOP_HINT},
      rules=("3.1.b", "3.3.d"))
def stop_lets_requests_finish(t: Context) -> None:
    stop_with_request_in_flight(t, [], "pool")
    stop_with_request_in_flight(t, ["-n", "0"], "-n 0")


def stop_abandons(t: Context, args: list[str], mode: str) -> None:
    """SIGTERM while the origin holds a response for good: after the grace
    (-g 1) the client's connection ends, a new client is not served, and
    the proxy exits with status 0."""
    proxy, origin = setup(t, ["-g", "1", *args])
    gate = threading.Event()   # never set: the origin holds for good
    sock, reply, at = start_held(t, proxy, origin, gate, f"the client "
                                 f"({mode})")
    accepting = accept_call(t, proxy)
    proxy.stop(signal.SIGTERM, timeout=0)
    wait_stopped_accepting(t, proxy, accepting)
    rest = read_to_end(t, sock, f"the end of the held client's connection "
                       f"({mode}), abandoned once the grace period (-g 1) "
                       "ended", MEBIBYTE, answered=False, detail=STOP_HINT)
    if rest:
        t.fail(hints.DIFFERS, f"the held client ({mode}) received "
               f"{len(rest)} more bytes after SIGTERM, which the origin "
               "never sent", quote(rest[:300]))
    t.log(f"{mode}: the held request was abandoned after the grace")
    path = fresh_path(t, "after-stop", ".txt")
    origin.route(path, response(200, text(t, 200), TEXT))
    late = refused_or_accepted(t, proxy, get(origin, path))
    expect_exit(t, proxy, f"SIGTERM ({mode}) and the grace period (-g 1)")
    if late is not None:
        answer = read_to_end(t, late, f"the end of a connection made after "
                             f"the stop ({mode})", MEBIBYTE, answered=False,
                             detail=STOP_HINT)
        if answer:
            t.fail(hints.DIFFERS, f"a client that connected after the proxy "
                   f"had stopped accepting ({mode}) was answered "
                   f"'{quote(first_line(answer))}': once SIGTERM comes, "
                   "no new connection is served",
                   "net_accept fails with ECANCELED once stop_fd is "
                   "readable: the accept loop must return then.")


def refused_or_accepted(t: Context, proxy: procs.Program,
                        data: bytes) -> socket.socket | None:
    """Connect to the stopping proxy and send data: the socket, or None
    when the connection was refused (or reset at once)."""
    sock = t.open_socket()
    with t.step("connecting to the proxy after it stopped accepting"):
        try:
            sock.connect((proxy.host, proxy.port))
            sock.sendall(data)
        except (ConnectionRefusedError, ConnectionResetError, BrokenPipeError):
            return None
        return sock


@test(6, "SIGTERM with a request the origin never finishes (-g 1), in pool "
         "mode and with -n 0: the request is abandoned after the grace, a "
         "client connecting after the stop is not served, and the proxy "
         "exits with status 0",
      hints={hints.TIMEOUT: STOP_HINT + " The glue abandons the requests "
                            "still in flight when the grace period ends: "
                            "their threads then return, so join them as "
                            "usual."},
      rules=("3.3.d",))
def stop_abandons_after_grace(t: Context) -> None:
    stop_abandons(t, [], "pool")
    stop_abandons(t, ["-n", "0"], "-n 0")


@test(8, "under valgrind, a pool of 4 and then -n 0 each serve 10 clients "
         "at once, an error and a vanishing client, then stop on SIGTERM "
         "with a silent client connected: no memory errors, no definite "
         "leaks", timeout=60,
      rules=("3.0.a",))
def valgrind_clean(t: Context) -> None:
    for args, mode in ((["-n", "4"], "pool of 4"), (["-n", "0"], "-n 0")):
        proxy = t.start(["-g", "1", *args], valgrind=True)
        origin = t.use(Origin())
        clients = burst(t, origin, 10, "vg", small=True)
        run(t, proxy, clients, f"the responses to 10 clients ({mode})")
        expect_error(t, proxy, b"NONSENSE\r\n\r\n", 400, "the answer to a "
                     f"malformed request ({mode})")
        path = fresh_path(t, "vg-big", ".bin")
        reply = response(200, t.rng.randbytes(MEBIBYTE), BINARY)
        origin.route(path, reply)
        sock = t.connect(proxy.port, bufsize=SMALL_BUFFER)
        sock.sendall(get(origin, path))
        receive_reply(t, sock, relayed(reply[:16 * KIBIBYTE]), "the first "
                      f"16 KiB of a 1 MiB response ({mode})", origin,
                      eof=False)
        abort(sock)
        served(t, proxy, origin, f"the client after the vanishing one "
               f"({mode})")
        silent = t.connect(proxy.port)
        silent.sendall(get(origin, fresh_path(t, "silent"))[:20])
        expect_stop(t, proxy, signal.SIGTERM, f"with a silent client "
                    f"connected ({mode})")


@test(10, "under ThreadSanitizer (a build made for the test), a slow "
         "origin with -n 0, 100 clients at once with the default pool and "
         "with -n 4 -q 128, back-pressure with -n 1 -q 1, and a stop with "
         "requests in flight show no data race: every shared field is read "
         "and written under its lock", timeout=150,
      rules=("3.1.b", "3.2.b"))
def tsan_clean(t: Context) -> None:
    with t.under_tsan():
        detached_slow_origin(t)
        many_clients(t)
        many_clients_small_pool(t)
        back_pressure(t)
        stop_lets_requests_finish(t)


unit_queue = units.suite_test(
    __name__, 20, "queue",
    "the bounded queue of lab3.2: order, bounds, blocking, "
    "deadlines and close",
    ("3.2.a", "3.2.b"))
