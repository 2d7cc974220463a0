"""lab05.py - the graded tests of lab 05, a shared web cache
(labs/05-cache/cache.c and freshness.c, around the given glue
common/stage/proxy05_cache.c).

The glue marks what it sends a client: a GET response relayed from the
origin carries "X-Cache: MISS" right after its status line, one answered
from the cache "Age: N" and "X-Cache: HIT" there; everything else must be
the origin's bytes, unchanged. Each test starts its own proxy and scripted
origin (origin.py) and decides by events and bytes: whether a fetch reached
the origin (the requests the origin recorded for that path), which mark
came back, and whether the rest is byte for byte what the origin sent.
Every test that checks what must never be stored also checks that a
storable sibling is a hit, so that a cache that stores nothing passes none.

Time is never measured, with one exception: expiry. A response fresh for
one second is fetched, the test sleeps EXPIRY_WAIT seconds, then fetches
it again, and the origin must see that second request. The cache counts
whole seconds (time(NULL)), so that wait always outlasts the lifetime,
however the threads are scheduled; nothing can fail for being slow.

PROGRAM is "graded": the stages after 05 still cache, so these tests run
against their programs too.
"""
from __future__ import annotations
import base64
import signal
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import harness
import hints
import procs
import units
from client import (BINARY, BY_HAND, CURL, HAND_ORIGIN, HIT, KIBIBYTE,
                    MEBIBYTE, MISS, MISS_MARK, PLAIN, SMALL_BUFFER, TEXT,
                    Answer, binary, fresh_path, get, read_to_end, relayed,
                    setup, text, token)
from dates import http_date
from harness import Context, TestTimeout, expect_stop, test
from hints import Pending
from netutil import send_buffer_max
from origin import RESET, HOLD, RECEIVED, Exchange, Origin, head, path_of, \
    response

TITLE = "a shared web cache"
PROGRAM = "graded"

EXPIRY_WAIT = 2.2            # seconds that outlast a lifetime of 1 s
LRU_OBJECT = 10000           # bytes of each response of the LRU test,
LRU_ARGS = ["-m", "35000", "-o", "10000"]   # of which exactly 3 fit
OBJECT_LIMIT = 20000         # the -o of the object size test
HELD = 64 * KIBIBYTE         # bytes a slow client reads of a hit, then stops
ROOM = 256 * KIBIBYTE        # cache bytes besides the slow test's object
FILLERS = 5                  # responses that overflow ROOM ...
FILLER_SIZE = 64 * KIBIBYTE  # ... each this large
BURST = 50                   # clients of each wave of the concurrent test
MIXED_ARGS = ["-m", "200000", "-o", "65536"]   # so that waves evict
AUTHORIZATION = ("Authorization",
                 "Basic " + base64.b64encode(b"alice:secret").decode())
# A Last-Modified long ago makes a response fresh for a tenth of its age
# (RFC 9111 section 4.2.2): the responses of these tests carry it unless a
# test says otherwise, since one that gives no clue at all is not reused.
LONG_AGO = ("Last-Modified", "Sat, 01 Jan 2000 00:00:00 GMT")
KEPT = (LONG_AGO,)
CSAPP_ARGS = ["-e", "300"]   # the CS:APP lab's rule: keep what says nothing
TINY_HEAD = "HTTP/1.0 200 OK\r\nServer: Tiny Web Server\r\nConnection: " \
    "close\r\nContent-length: {length}\r\nContent-type: {type}\r\n\r\n"

# Reproduce by hand: python's http.server sends Last-Modified, and a file
# modified a day ago is fresh for 10% of that (RFC 9111 section 4.2.2).
HAND_FILE = "printf 'hello\\n' > /tmp/hello.txt; touch -d '1 day ago' " \
    "/tmp/hello.txt; "
HAND_UP = f"{HAND_FILE}{HAND_ORIGIN} sleep 1; "   # it takes a while to start
HAND_TWICE = f"{HAND_UP}for i in 1 2; do {CURL} -si " \
    f"http://{BY_HAND}/hello.txt; done"


def hand_server(fields: Sequence[str], count: int = 2, length: int = 6,
                status: str = "200 OK") -> str:
    """The shell command that starts, in the background, an origin on
    port 8000 that answers up to count requests (for 10 s at most), each
    with status whose header lines are fields, then Content-Length
    (length) and the body 'hello', for the by-hand lines."""
    lines = [f"HTTP/1.0 {status}", *fields, f"Content-Length: {length}", "",
             "hello\\n"]
    reply = "\\r\\n".join(lines)
    return ("python3 -c \"import socket; s = socket.create_server(("
            "'127.0.0.1', 8000)); s.settimeout(10); [(c := s.accept()[0], "
            f"c.recv(65536), c.sendall(b'{reply}'), c.close()) for _ in "
            f"range({count})]\" 2>/dev/null & sleep 0.5; ")


def by_hand_twice(fields: Sequence[str], pause: str = "") -> str:
    """By hand: an origin answering with fields, fetched twice through the
    proxy (with pause between), showing the X-Cache lines."""
    fetch_one = f"{CURL} -si http://{BY_HAND}/ | grep X-Cache"
    return f"{hand_server(fields)}{fetch_one}; {pause}{fetch_one}"


LOCK_HINT = "Clients waited while another was served: the cache's lock " \
    "must never be held across network I/O. cache_lookup takes a " \
    "reference under the lock and returns; the glue sends the object " \
    "without the lock; cache_release drops the reference with an atomic " \
    "decrement, without the lock. Hold the lock only while pointers and " \
    "counts change (copy the response in before locking)."
REFERENCE_HINT = "An object must live as long as anyone is sending it: " \
    "eviction, replacement and cache_remove only unlink it (dropping the " \
    "cache's reference); whoever drops the last reference (cache_release) " \
    "frees it. Freeing it on eviction cuts off, or corrupts, a hit another " \
    "thread is still sending."
LRU_HINT = "LRU order: every hit makes its object the most recently used " \
    "(move it to the head in cache_lookup, not only on insert), and an " \
    "insert evicts from the least recently used end until the new object " \
    "fits. Count each object's size (len, the whole response) once: add " \
    "it when it is linked, subtract it when it is evicted, replaced or " \
    "removed; 'fits' means bytes + len <= max_bytes."
STORE_HINT = "freshness_of decides what may be stored (freshness.h): never " \
    "with Cache-Control no-store or private (any case, anywhere in the " \
    "list), 'Vary: *' or a Set-Cookie header, nor, unless the response " \
    "has a validator (ETag, Last-Modified) to be revalidated with, when " \
    "the lifetime is 0 (no-cache, max-age=0, an Expires that is not a " \
    "valid date or not later than Date). A date is valid only in one of " \
    "the three exact forms of RFC 9110 section 5.6.7 (httpdate_parse, " \
    "common/httpdate.c): 'Thu, 01 Jan 2037 1:00:00 GMT' is none, so as " \
    "Expires it means already expired (RFC 9111 section 5.3)."

HINTS = {
    hints.DIFFERS: "A miss is the origin's response with 'X-Cache: MISS' "
                   "after its status line, a hit the stored bytes with "
                   "'Age' and 'X-Cache: HIT' there (the glue adds both): "
                   "store and return the response exactly as cache_insert "
                   "got it, all len bytes (binary: memcpy, never strcpy), "
                   "under its whole key (compare keys with strcmp, not a "
                   "prefix or a hash alone).",
    hints.TIMEOUT: LOCK_HINT,
    hints.NUL: "The bytes stop or go wrong at a NUL byte: a response is "
               "binary, so cache_insert copies all len bytes with memcpy "
               "(never strcpy, strdup or strlen) and cache_object_size "
               "returns len.",
    hints.TRUNCATED: "A response was cut short. If it was a hit: "
                     + REFERENCE_HINT,
    hints.CLOSED: "The proxy closed the connection without an answer: it "
                  "may have crashed while looking the URI up (its stderr "
                  "below says more).",
    hints.SIGNAL: "The proxy crashed. In a cache the usual causes are an "
                  "object freed while another thread still sends it, a "
                  "list pointer left dangling after an unlink, or a key "
                  "copied into a buffer too small for it. Build with "
                  "SAN=asan and grade again: the report names the line. "
                  + REFERENCE_HINT,
    hints.RACE: "ThreadSanitizer: two threads touched the cache without "
                     "its lock; every access to the table, the LRU list "
                     "and the byte count happens with cache->lock held, "
                     "and the reference count is atomic. AddressSanitizer "
                     "heap-use-after-free: " + REFERENCE_HINT,
    hints.MEMORY: "Valgrind: an 'Invalid read' in serve_hit is an object "
                  "freed while still being sent (" + REFERENCE_HINT + "). "
                  "'Definitely lost' is an object never freed: one evicted, "
                  "replaced or removed whose last reference was dropped, "
                  "or one still stored when cache_free runs.",
}


# Responses.

def page(t: Context, size: int,
         headers: Sequence[tuple[str, str]] = KEPT) -> bytes:
    """A 200 response with about size bytes of random text."""
    return response(200, text(t, size), [*TEXT, ("X-Token", token(t)),
                                         *headers])


def sized(t: Context, size: int,
          headers: Sequence[tuple[str, str]] = KEPT) -> bytes:
    """A 200 response with a random binary body that the proxy relays,
    and stores, as exactly size bytes, head included."""
    fields = [*BINARY, ("X-Token", token(t)), *headers]
    bare = len(relayed(head(200, [*fields, ("Content-Length", "")])))
    length = next(n for n in (size - bare - d for d in range(1, 9))
                  if len(str(n)) == size - bare - n)
    reply = response(200, binary(t, length), fields)
    assert len(relayed(reply)) == size
    return reply


def tiny_file(body: bytes, kind: str) -> bytes:
    """A response as the CS:APP Tiny web server sends it: HTTP/1.0, no
    Date, no freshness header at all."""
    return TINY_HEAD.format(length=len(body), type=kind).encode() + body


class Versions:
    """A route's reply that changes: the n-th request for the path gets
    replies[n - 1], and the last one once they run out."""

    def __init__(self, replies: Sequence[bytes]) -> None:
        self.replies = list(replies)
        self.count = 0
        self.lock = threading.Lock()

    def __call__(self, exchange: Exchange) -> bytes:
        with self.lock:
            reply = self.replies[min(self.count, len(self.replies) - 1)]
            self.count += 1
        return reply


def by_method(replies: dict[str, bytes]) -> Callable[[Exchange], bytes]:
    """A route's reply that depends on the request's method."""
    def answer(exchange: Exchange) -> bytes:
        method = exchange.request_line.split(b" ", 1)[0].decode("latin-1")
        return replies.get(method, replies["GET"])

    return answer


# What came back.

def marked(reply: bytes, kind: str, age: int = 0) -> bytes:
    """The origin's reply as the proxy sends it on: relayed (its head
    rewritten), then with the miss mark, or with Age and the hit mark,
    after its status line (PLAIN: no mark)."""
    reply = relayed(reply)
    if kind == PLAIN:
        return reply
    cut = reply.find(b"\n") + 1
    mark = MISS_MARK if kind == MISS else \
        b"Age: %d\r\nX-Cache: HIT\r\n" % age
    return reply[:cut] + mark + reply[cut:]


def requests(origin: Origin, path: str, method: str = "GET") -> int:
    """How many method requests for path the origin has received."""
    return sum(1 for e in origin.exchanges if path_of(e.target) == path
               and e.request_line.startswith(method.encode() + b" "))


def receive_answer(t: Context, sock: socket.socket, want: bytes,
                   what: str) -> Answer:
    """Read sock until end of file (a little more than want at most),
    hang up, and return what came. want is what the origin sent."""
    pending = Pending(what, marked(want, MISS), eof=True)
    try:
        with t.step(f"waiting for {what}", pending):
            harness.receive(sock, pending)
    except TestTimeout:
        answer = Answer(bytes(pending.got))
        if answer.bare == relayed(want):
            t.fail(hints.STAYS_OPEN, f"{what}: all {len(answer.raw)} bytes "
                   "came, but the connection was never closed")
        if not answer.raw:
            t.fail(hints.TIMEOUT, f"{what}: nothing came back before the "
                   f"time limit ({t.limit:g} s)")
        failure = hints.mismatch(answer.bare, relayed(want), what)
        failure.summary += ", then nothing more before the time limit"
        raise failure from None
    harness.close_socket(sock)
    return Answer(bytes(pending.got))


def check(t: Context, answer: Answer, reached: int, expect: str | None,
          want: bytes, what: str, aged: int = 0) -> None:
    """Fail unless the answer is what was expected: a HIT (the origin not
    reached), a MISS (the origin reached once), PLAIN (unmarked), or
    either of HIT and MISS (None); and the rest byte for byte want. A hit
    is at most a few seconds older than aged, the age it arrived with."""
    if expect == HIT and (answer.kind != HIT or reached):
        came = answer.describe() + (" and the origin received the request"
                                    if reached else "")
        t.fail(hints.DIFFERS, f"{what}: expected a hit (answered from the "
               f"cache, 'X-Cache: HIT'), but {came}")
    if expect == MISS and (answer.kind == HIT or not reached):
        t.fail(hints.DIFFERS, f"{what}: expected the request to reach the "
               f"origin (a miss), but {answer.describe()}")
    if expect is None and answer.kind == PLAIN:
        t.fail(hints.DIFFERS, f"{what}: expected a hit or a miss, but "
               f"{answer.describe()}")
    if expect == PLAIN and answer.kind != PLAIN:
        t.fail(hints.DIFFERS, f"{what}: expected the origin's answer "
               f"unmarked, but {answer.describe()}")
    t.expect_bytes(answer.raw, marked(want, answer.kind, answer.age), what)
    if answer.kind == HIT and answer.age > aged + t.limit + 1:
        t.fail(hints.DIFFERS, f"{what}: 'Age: {answer.age}', but the "
               f"response was stored less than {t.limit:g} s ago, "
               f"{aged} s old: cache_object_stored_at returns the "
               "stored_at that cache_insert got")


def fetch(t: Context, proxy: procs.Program, origin: Origin, path: str,
          expect: str | None, what: str, want: bytes | None = None,
          headers: Sequence[tuple[str, str]] = (), method: str = "GET",
          body: bytes = b"", aged: int = 0) -> Answer:
    """One client: send a request for path (GET unless method says
    otherwise), read the answer to its end, and check it as check()
    says. want is what the origin sends (its route's reply by default)."""
    want = origin.direct(path) if want is None else want
    before = requests(origin, path, method)
    sock = t.connect(proxy.port)
    sock.sendall(get(origin, path, headers, method, body))
    answer = receive_answer(t, sock, want, what)
    check(t, answer, requests(origin, path, method) - before, expect, want,
          what, aged)
    t.log(f"{what}: {answer.kind}")
    return answer


def route_all(origin: Origin, replies: dict[str, bytes]) -> None:
    """Serve each reply on its path."""
    for path, reply in replies.items():
        origin.route(path, reply)


def hit_control(t: Context, proxy: procs.Program, origin: Origin,
                headers: Sequence[tuple[str, str]] = KEPT,
                label: str = "a storable response") -> str:
    """Fetch a storable response twice: a miss, then a hit. Returns its
    path."""
    path = fresh_path(t, "control", ".txt")
    origin.route(path, page(t, 3000, headers))
    fetch(t, proxy, origin, path, MISS, f"the first fetch of {label}")
    fetch(t, proxy, origin, path, HIT, f"the second fetch of {label}")
    return path


def never_stored(t: Context, proxy: procs.Program, origin: Origin,
                 path: str, label: str, fetches: int = 2) -> None:
    """Fetch path several times: each must reach the origin."""
    for i in range(1, fetches + 1):
        fetch(t, proxy, origin, path, MISS, f"fetch {i} of {label}, which "
              "must never be stored")


# The tests: hits and misses.

@test(8, "the first fetch of a URL is the origin's response byte for byte "
         "with 'X-Cache: MISS'; the second is a hit ('Age', 'X-Cache: "
         "HIT', the same bytes) that never reaches the origin, and is still "
         "served after the origin has stopped",
      hints={hints.DIFFERS: "A hit must be the stored response exactly: "
                            "cache_insert copies all len bytes (memcpy: "
                            "the body is binary) and cache_object_data and "
                            "cache_object_size return them. If no fetch is "
                            "ever a hit, freshness_of must say storable "
                            "for a plain 200 (with a lifetime > 0), and "
                            "cache_lookup must find what cache_insert "
                            "stored under the same key."},
      rules=("5.3.a",))
def miss_then_hit(t: Context) -> None:
    proxy, origin = setup(t)
    files = {fresh_path(t, "docs", ".txt"): ("the text file",
                                             page(t, 20 * KIBIBYTE)),
             fresh_path(t, "img", ".bin"): ("the binary file", response(
                 200, binary(t, 60 * KIBIBYTE), [*BINARY, LONG_AGO]))}
    t.reproduce(HAND_TWICE)
    for path, (label, reply) in files.items():
        origin.route(path, reply)
        fetch(t, proxy, origin, path, MISS, f"the first fetch of {label}")
        fetch(t, proxy, origin, path, HIT, f"the second fetch of {label}")
    origin.close()
    t.log("the origin is stopped")
    for path, (label, _) in files.items():
        fetch(t, proxy, origin, path, HIT, f"the fetch of {label} after the "
              "origin had stopped")


@test(3, "URLs that differ only in their last byte after 3000 equal ones, "
         "in their query, or in their origin's port are different objects, "
         "each hit with its own bytes",
      hints={hints.DIFFERS: "The key is the whole absolute URI, which can "
                            "be thousands of bytes: copy all of it (strlen "
                            "+ 1, into the object's allocation) and compare "
                            "keys with strcmp, whatever their hashes say."},
      rules=("5.3.a",))
def distinct_keys(t: Context) -> None:
    proxy = t.start()
    first, second = t.use(Origin()), t.use(Origin())
    stem = f"/keys/{token(t, 3000)}"
    cases = [(first, stem + "a"), (first, stem + "b"),
             (first, stem + "a?q=1"), (first, stem + "a?q=2"),
             (second, stem + "a")]
    labels = ["long path ...a", "long path ...b", "long path ...a?q=1",
              "long path ...a?q=2", "long path ...a on another origin"]
    for (origin, path), label in zip(cases, labels):
        origin.route(path, page(t, 2000))
        fetch(t, proxy, origin, path, MISS, f"the first fetch of the {label}")
    for (origin, path), label in zip(cases, labels):
        fetch(t, proxy, origin, path, HIT, f"the second fetch of the {label}")


@test(7, f"with -o {OBJECT_LIMIT}, a response of exactly {OBJECT_LIMIT} "
         "bytes is a hit, while one byte more and a 300 KiB one reach the "
         "origin every time and still come through byte for byte",
      hints={hints.DIFFERS: "cache_insert refuses len > max_object (EFBIG) "
                            "and stores len == max_object. An object over "
                            "the limit is never stored, but the glue still "
                            "relays it whole."},
      rules=("5.4.a",))
def object_limit(t: Context) -> None:
    proxy, origin = setup(t, ["-o", str(OBJECT_LIMIT), "-m", "100000"])
    exact, over, huge = (fresh_path(t, stem, ".bin")
                         for stem in ("exact", "over", "huge"))
    route_all(origin, {exact: sized(t, OBJECT_LIMIT),
                       over: sized(t, OBJECT_LIMIT + 1),
                       huge: response(200, binary(t, 300 * KIBIBYTE),
                                      BINARY)})
    t.reproduce(f"head -c 30000 /dev/urandom > /tmp/big.bin; "
                f"touch -d '1 day ago' /tmp/big.bin; {HAND_ORIGIN} sleep 1; "
                f"for i in 1 2; do {CURL} -si http://{BY_HAND}/big.bin | "
                f"grep -a X-Cache; done   # with -o 20000")
    fetch(t, proxy, origin, exact, MISS, f"the first fetch of the "
          f"{OBJECT_LIMIT}-byte response")
    fetch(t, proxy, origin, exact, HIT, f"the second fetch of the "
          f"{OBJECT_LIMIT}-byte response, which fits -o {OBJECT_LIMIT}")
    for i in (1, 2, 3):
        fetch(t, proxy, origin, over, MISS, f"fetch {i} of the "
              f"{OBJECT_LIMIT + 1}-byte response, over -o {OBJECT_LIMIT}")
    for i in (1, 2):
        fetch(t, proxy, origin, huge, MISS, f"fetch {i} of the 300 KiB "
              "response")


@test(10, "with room for exactly 3 objects: after A, B and C, a hit on A "
          "and then D, B has been evicted (its fetch reaches the origin) "
          "while A and C are still hits; B's return then evicts D",
      hints={hints.DIFFERS: LRU_HINT},
      rules=("5.4.a",))
def lru_order(t: Context) -> None:
    proxy, origin = setup(t, LRU_ARGS)
    paths = {name: fresh_path(t, f"lru-{name}", ".bin") for name in "ABCD"}
    route_all(origin, {p: sized(t, LRU_OBJECT) for p in paths.values()})
    t.reproduce(f"for f in A B C D; do head -c 9700 /dev/urandom > /tmp/$f; "
                f"touch -d '1 day ago' /tmp/$f; done; {HAND_ORIGIN} sleep 1; "
                f"for f in A B C A D B; do echo $f; {CURL} -si "
                f"http://{BY_HAND}/$f | grep -a X-Cache; done")
    steps = [("A", MISS, "the first fetch of A"),
             ("B", MISS, "the first fetch of B"),
             ("C", MISS, "the first fetch of C"),
             ("A", HIT, "the second fetch of A (A, B and C fit)"),
             ("D", MISS, "the first fetch of D, which evicts the least "
                         "recently used object, B"),
             ("A", HIT, "the fetch of A after D was stored (A was used "
                        "after B and C: it must still be there)"),
             ("C", HIT, "the fetch of C after D was stored (only B had to "
                        "go)"),
             ("B", MISS, "the fetch of B after D was stored (B was the "
                         "least recently used: it was evicted)"),
             ("A", HIT, "the fetch of A after B came back (D was the "
                        "least recently used then)"),
             ("C", HIT, "the fetch of C after B came back"),
             ("B", HIT, "the fetch of B after it came back"),
             ("D", MISS, "the fetch of D after B came back (B's return "
                         "evicted D)")]
    for name, expect, what in steps:
        fetch(t, proxy, origin, paths[name], expect, what)


# The tests: what is never stored, and what is never answered from it.

@test(6, "responses with Cache-Control no-store, private or no-cache (in "
         "any case), max-age=0, 'Expires: 0', an Expires that is almost a "
         "date (a one-digit hour, two spaces) or one not later than Date "
         "are never hits, while a public max-age response is",
      hints={hints.DIFFERS: STORE_HINT},
      rules=("5.1.a",))
def never_stored_responses(t: Context) -> None:
    proxy, origin = setup(t)
    hit_control(t, proxy, origin, [("Cache-Control", "public, max-age=600")],
                "a 'public, max-age=600' response")
    now = http_date(time.time())
    cases = {"no-store": [("Cache-Control", "no-store")],
             "max-age=600, No-Store": [("Cache-Control",
                                        "max-age=600, No-Store")],
             "private, max-age=600": [("Cache-Control",
                                       "private, max-age=600")],
             "no-cache": [("Cache-Control", "no-cache")],
             "max-age=0": [("Cache-Control", "max-age=0")],
             "Expires: 0": [("Expires", "0")],
             "Expires: Thu, 01 Jan 2037 1:00:00 GMT": [
                 ("Expires", "Thu, 01 Jan 2037 1:00:00 GMT")],
             "Expires: Thu, 01 Jan 2037  01:00:00 GMT": [
                 ("Expires", "Thu, 01 Jan 2037  01:00:00 GMT")],
             "Expires equal to Date": [("Date", now), ("Expires", now)]}
    t.reproduce(by_hand_twice(["Cache-Control: no-store"]))
    for label, headers in cases.items():
        path = fresh_path(t, "never", ".txt")
        origin.route(path, page(t, 1500, headers))
        never_stored(t, proxy, origin, path, f"a '{label}' response")


@test(4, "responses with 'Vary: *' or a Set-Cookie header are never hits, "
         "while a plain one is",
      hints={hints.DIFFERS: STORE_HINT},
      rules=("5.1.b",))
def vary_and_cookies(t: Context) -> None:
    proxy, origin = setup(t)
    t.reproduce(by_hand_twice(["Vary: *", "Cache-Control: max-age=600"]))
    hit_control(t, proxy, origin)
    cases = {"Vary: *": [("Cache-Control", "max-age=600"), ("Vary", "*")],
             "Vary: Accept, *": [("Cache-Control", "max-age=600"),
                                 ("Vary", "Accept, *")],
             "Set-Cookie": [("Cache-Control", "max-age=600"),
                            ("Set-Cookie", f"id={token(t)}; Path=/")],
             "set-cookie (lower case)": [("set-cookie", f"id={token(t)}")]}
    for label, headers in cases.items():
        path = fresh_path(t, "personal", ".txt")
        origin.route(path, page(t, 1500, headers))
        never_stored(t, proxy, origin, path, f"a response with {label}")


@test(6, "a request with Authorization is never answered from the cache, "
         "and its response is stored only if it says public",
      hints={hints.DIFFERS: "freshness_allows_hit is false for a request "
                            "with Authorization; freshness_of stores the "
                            "answer to such a request only when the "
                            "response says public, s-maxage or "
                            "must-revalidate (RFC 9111 section 3.5)."},
      rules=("5.1.b",))
def authorization(t: Context) -> None:
    proxy, origin = setup(t)
    stored = hit_control(t, proxy, origin, [("Cache-Control", "max-age=600")],
                         "a 'max-age=600' response")
    fetch(t, proxy, origin, stored, MISS, "a fetch with Authorization of "
          "the stored response (it must not be answered from the cache)",
          headers=[AUTHORIZATION])
    t.reproduce(f"{HAND_UP}{CURL} -s "
                f"http://{BY_HAND}/hello.txt >/dev/null; {CURL} -si -u "
                f"alice:secret http://{BY_HAND}/hello.txt | grep X-Cache")
    private = fresh_path(t, "auth", ".txt")
    origin.route(private, page(t, 2000, [("Cache-Control", "max-age=600")]))
    fetch(t, proxy, origin, private, MISS, "the first fetch, with "
          "Authorization, of a 'max-age=600' response",
          headers=[AUTHORIZATION])
    fetch(t, proxy, origin, private, MISS, "the fetch without "
          "Authorization that follows it (the answer to Authorization "
          "must not have been stored)")
    public = fresh_path(t, "auth-public", ".txt")
    origin.route(public, page(t, 2000, [("Cache-Control",
                                          "public, max-age=600")]))
    fetch(t, proxy, origin, public, MISS, "the first fetch, with "
          "Authorization, of a 'public, max-age=600' response",
          headers=[AUTHORIZATION])
    fetch(t, proxy, origin, public, HIT, "the fetch without Authorization "
          "that follows it (public allows storing it)")


@test(6, "a request with Cache-Control: no-cache or Pragma: no-cache goes "
         "to the origin and its response replaces the stored one; a "
         "request with Cache-Control: no-store leaves nothing stored",
      hints={hints.DIFFERS: "freshness_allows_hit is false when a "
                            "Cache-Control header of the request says "
                            "no-cache or no-store, or Pragma says no-cache; "
                            "the response is then stored as usual (unless "
                            "the request said no-store), and cache_insert "
                            "replaces what was stored under the key."},
      rules=("5.2.a",))
def request_no_cache(t: Context) -> None:
    proxy, origin = setup(t)
    path = fresh_path(t, "reload", ".txt")
    versions = [page(t, 2500, [("Cache-Control", "max-age=600")])
                for _ in range(3)]
    origin.route(path, Versions(versions))
    t.reproduce(f"{HAND_UP}{CURL} -s http://{BY_HAND}/"
                f"hello.txt >/dev/null; {CURL} -si -H 'Cache-Control: "
                f"no-cache' http://{BY_HAND}/hello.txt | grep X-Cache")
    fetch(t, proxy, origin, path, MISS, "the first fetch", versions[0])
    fetch(t, proxy, origin, path, HIT, "the second fetch", versions[0])
    fetch(t, proxy, origin, path, MISS, "a fetch with 'Cache-Control: "
          "no-cache'", versions[1], headers=[("Cache-Control", "no-cache")])
    fetch(t, proxy, origin, path, HIT, "the fetch after it (the origin's "
          "new response replaced the stored one)", versions[1])
    fetch(t, proxy, origin, path, MISS, "a fetch with 'Pragma: no-cache'",
          versions[2], headers=[("Pragma", "no-cache")])
    fetch(t, proxy, origin, path, HIT, "the fetch after it", versions[2])
    fresh = fresh_path(t, "no-store-request", ".txt")
    origin.route(fresh, page(t, 2500, [("Cache-Control", "max-age=600")]))
    fetch(t, proxy, origin, fresh, MISS, "a first fetch with "
          "'Cache-Control: no-store'", headers=[("Cache-Control",
                                                 "no-store")])
    fetch(t, proxy, origin, fresh, MISS, "the plain fetch after it (a "
          "no-store request's response must not be stored)")
    fetch(t, proxy, origin, fresh, HIT, "the plain fetch after that")


VARY_HINT = "A response with Vary is reused only for a request whose " \
    "fields named in it are those of the request it answered (RFC 9111 " \
    "section 4.1): freshness_variant writes, for each name Vary lists, " \
    "the name in lower case, ':', the request's values of that field " \
    "joined by ', ' and a newline; the glue stores that key with the " \
    "response (cache_insert's variant) and compares it on each lookup " \
    "(cache_object_variant). Copy the variant into the object as you " \
    "copy the key."


class ByLanguage:
    """A route whose reply depends on the request's Accept-Language:
    replies[value], replies[""] without one."""

    def __init__(self, replies: dict[str, bytes]) -> None:
        self.replies = replies

    def __call__(self, exchange: Exchange) -> bytes:
        for line in exchange.head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"accept-language":
                return self.replies[value.strip().decode()]
        return self.replies[""]


@test(6, "a response with 'Vary: Accept-Language' is reused only for the "
         "same Accept-Language (RFC 9111 section 4.1), whatever the case of "
         "the field's name: en, en (a hit), fr (the origin; its answer "
         "replaces the stored one), fr (a hit), en (the origin), none (the "
         "origin), none (a hit)",
      hints={hints.DIFFERS: VARY_HINT},
      rules=("5.9.a",))
def vary_selects(t: Context) -> None:
    proxy, origin = setup(t)
    path = fresh_path(t, "vary", ".txt")
    replies = {lang: page(t, 2000, [("Cache-Control", "max-age=600"),
                                    ("Vary", "Accept-Language"),
                                    ("Content-Language", lang or "en")])
               for lang in ("en", "fr", "")}
    origin.route(path, ByLanguage(replies))
    t.reproduce(f"{HAND_UP}for l in en en fr; do {CURL} -si -H "
                f"\"Accept-Language: $l\" http://{BY_HAND}/hello.txt | "
                "grep X-Cache; done")
    steps = [("en", "Accept-Language", MISS), ("en", "accept-language", HIT),
             ("fr", "Accept-Language", MISS), ("fr", "ACCEPT-LANGUAGE", HIT),
             ("en", "Accept-Language", MISS), ("", "", MISS), ("", "", HIT)]
    for i, (lang, name, expect) in enumerate(steps, 1):
        headers = [(name, lang)] if lang else []
        said = f"'{name}: {lang}'" if lang else "no Accept-Language"
        fetch(t, proxy, origin, path, expect, f"fetch {i}, with {said}",
              replies[lang], headers=headers)


# The tests: freshness.

@test(4, "a response with a Last-Modified a day old is stored (for a "
         "tenth of a day): the second fetch is a hit; one with no freshness "
         "information at all (as the CS:APP Tiny server sends), or with "
         "only Date, is never reused, unless -e says for how long (with -e "
         "300, the CS:APP lab's rule, it is a hit)",
      hints={hints.DIFFERS: "Without s-maxage, max-age or Expires, the "
                            "lifetime is heuristic (RFC 9111 section "
                            "4.2.2): 10% of Date minus Last-Modified when "
                            "there is a valid Last-Modified before Date, "
                            "else heuristic_s (-e; 0 by default, and a "
                            "lifetime of 0 is not storable). A missing "
                            "Date means 'now'."},
      rules=("5.1.a",))
def heuristic_freshness(t: Context) -> None:
    proxy, origin = setup(t)
    keeping = t.start(CSAPP_ARGS)
    now = time.time()
    path = fresh_path(t, "heuristic", ".txt")
    origin.route(path, page(t, 3000, [("Date", http_date(now)),
                                      ("Last-Modified",
                                       http_date(now - 86400))]))
    fetch(t, proxy, origin, path, MISS, "the first fetch of a response with "
          "a day-old Last-Modified")
    fetch(t, proxy, origin, path, HIT, "the second fetch of it")
    clueless = {"a Tiny-style response": tiny_file(text(t, 3000),
                                                   "text/plain"),
                "a response with only Date": page(t, 3000, [
                    ("Date", http_date(now))])}
    t.reproduce(by_hand_twice([]))
    for label, reply in clueless.items():
        path = fresh_path(t, "heuristic", ".txt")
        origin.route(path, reply)
        never_stored(t, proxy, origin, path, f"{label}, without -e")
        fetch(t, keeping, origin, path, MISS, f"the first fetch of {label} "
              "through a proxy started with -e 300")
        fetch(t, keeping, origin, path, HIT, f"the second fetch of {label} "
              "through the proxy started with -e 300")


STATUS_HINT = "freshness_of stores the statuses a cache may store " \
    "without being told (RFC 9110 section 15.1, RFC 9111 section 4.2.2): " \
    "200, 203, 204, 300, 301, 308, 404, 405, 410, 414 and 501 (206 too, " \
    "but the kit does not combine parts), and no other, whatever its " \
    "Cache-Control says. Read the three digits after 'HTTP/1.x '."


@test(4, "responses with status 404, 410 or 301 (with max-age=600 or an "
         "old Last-Modified) are hits, each with its own status line, "
         "while 302, 201 and 500 with max-age=600 are never stored",
      hints={hints.DIFFERS: STATUS_HINT},
      rules=("5.1.c",))
def cacheable_statuses(t: Context) -> None:
    proxy, origin = setup(t)
    forever = ("Cache-Control", "max-age=600")
    kept = {"404 Not Found": [forever], "410 Gone": [forever],
            "301 Moved Permanently": [LONG_AGO, ("Location", "/moved")]}
    never = ["302 Found", "201 Created", "500 Internal Server Error"]
    t.reproduce(hand_server(["Cache-Control: max-age=600"],
                            status="404 Not Found") + f"for i in 1 2; do "
                f"{CURL} -si http://{BY_HAND}/ | head -3; done")
    for status, headers in kept.items():
        path = fresh_path(t, "status", ".txt")
        origin.route(path, response(int(status[:3]), text(t, 500),
                                    [*TEXT, *headers], reason=status[4:]))
        fetch(t, proxy, origin, path, MISS, f"the first fetch of a "
              f"'{status}'")
        fetch(t, proxy, origin, path, HIT, f"the second fetch of the "
              f"'{status}'")
    for status in never:
        path = fresh_path(t, "status", ".txt")
        origin.route(path, response(int(status[:3]), text(t, 500),
                                    [*TEXT, forever], reason=status[4:]))
        never_stored(t, proxy, origin, path, f"a '{status}' with "
                     "max-age=600")


@test(6, f"with -e 1, responses fresh for 1 second (max-age=1, s-maxage=1 "
         f"with max-age=3600, Expires one second after Date, Last-Modified "
         f"10 s before Date, no freshness at all) reach the origin again "
         f"after {EXPIRY_WAIT} s, while max-age=3600 and 's-maxage=3600, "
         "max-age=0' are still hits, with an Age of at least 2",
      hints={hints.DIFFERS: "The lifetime is s-maxage, else max-age, else "
                            "Expires minus Date, else the heuristic (10% "
                            "of Date minus Last-Modified, else -e); "
                            "cache_insert gets expires = now + lifetime, "
                            "and cache_lookup treats an object as stale "
                            "once now >= expires: it removes it and "
                            "misses."},
      rules=("5.1.a", "5.2.a"))
def expiry(t: Context) -> None:
    proxy, origin = setup(t, ["-e", "1"])
    now = time.time()
    lasting = {"'max-age=3600'": [("Cache-Control", "max-age=3600")],
               "'s-maxage=3600, max-age=0'": [("Cache-Control",
                                               "s-maxage=3600, max-age=0")]}
    brief = {"'max-age=1'": [("Cache-Control", "max-age=1")],
             "'max-age=3600, s-maxage=1'": [("Cache-Control",
                                             "max-age=3600, s-maxage=1")],
             "an Expires one second after Date": [
                 ("Date", http_date(now)), ("Expires", http_date(now + 1))],
             "a Last-Modified 10 s before Date": [
                 ("Date", http_date(now)),
                 ("Last-Modified", http_date(now - 10))],
             "no freshness information (-e 1)": []}
    paths = {}
    for label, headers in {**lasting, **brief}.items():
        paths[label] = fresh_path(t, "expiry", ".txt")
        origin.route(paths[label], page(t, 2000, headers))
    t.reproduce(by_hand_twice(["Cache-Control: max-age=1"], "sleep 2.2; "))
    for label in lasting:
        fetch(t, proxy, origin, paths[label], MISS, f"the first fetch of "
              f"the {label} response")
        fetch(t, proxy, origin, paths[label], HIT, f"the second fetch of "
              f"the {label} response")
    for label in brief:
        fetch(t, proxy, origin, paths[label], MISS, f"the first fetch of "
              f"the response with {label}")
    with t.step(f"letting {EXPIRY_WAIT} s pass"):
        time.sleep(EXPIRY_WAIT)
    for label in brief:
        fetch(t, proxy, origin, paths[label], MISS, f"the fetch of the "
              f"response with {label}, {EXPIRY_WAIT} s later (it has "
              "expired)")
    for label in lasting:
        answer = fetch(t, proxy, origin, paths[label], HIT, f"the fetch of "
                       f"the {label} response, {EXPIRY_WAIT} s later")
        if answer.age < 2:
            t.fail(hints.DIFFERS, f"the hit on the {label} response stored "
                   f"over {EXPIRY_WAIT} s before came with 'Age: "
                   f"{answer.age}': cache_object_stored_at must return when "
                   "it was stored")


AGE_HINT = "A response may arrive already old (RFC 9111 section 4.2.3): " \
    "freshness_of sets age to the larger of received minus Date (if " \
    "positive) and the Age value (2^31 unless it is exactly one " \
    "non-negative integer) plus received minus requested, " \
    "and says storable only while that age is below the lifetime. The " \
    "glue counts a hit's Age from it and sends that one Age in place of " \
    "the origin's (section 5.1)."


@test(5, "a response's age counts (RFC 9111 section 4.2.3): a max-age=600 "
         "response with 'Age: 600', 'Age: 0, 0' or a Date an hour old is "
         "never a hit; one with 'Age: 30' is, carrying one Age, at least 30, in "
         "place of the origin's",
      hints={hints.DIFFERS: AGE_HINT},
      rules=("5.6.a",))
def origin_age(t: Context) -> None:
    proxy, origin = setup(t)
    path = fresh_path(t, "aged", ".txt")
    aged = page(t, 2000, [("Cache-Control", "max-age=600"), ("Age", "30")])
    origin.route(path, aged)
    t.reproduce(by_hand_twice(["Cache-Control: max-age=600", "Age: 600"]))
    fetch(t, proxy, origin, path, MISS, "the first fetch of a 'max-age=600' "
          "response with 'Age: 30'")
    answer = fetch(t, proxy, origin, path, HIT, "the second fetch of it (the "
                   "origin's 'Age: 30' replaced by the cache's one Age)",
                   aged.replace(b"\r\nAge: 30\r\n", b"\r\n", 1), aged=30)
    if answer.age < 30:
        t.fail(hints.DIFFERS, f"the hit on a response that arrived with "
               f"'Age: 30' came with 'Age: {answer.age}': its Age is 30 "
               "plus the time it has been stored")
    stale = {"'Age: 600'": [("Age", "600")],
             "'Age: 0, 0' (not one integer)": [("Age", "0, 0")],
             "a Date an hour old": [("Date", http_date(time.time() - 3600))]}
    for label, headers in stale.items():
        path = fresh_path(t, "aged", ".txt")
        origin.route(path, page(t, 2000, [("Cache-Control", "max-age=600"),
                                          *headers]))
        never_stored(t, proxy, origin, path, f"a 'max-age=600' response "
                     f"with {label} (stale when it arrives)")


# The tests: revalidation.

class Revalidating:
    """A route that answers a request whose head has the line condition
    with a 304 (its fields: Date, max-age=600, validator, a fresh X-Check),
    and any other request with reply, or with replacement once given. The
    last 304 it sent is kept in not_modified."""

    def __init__(self, t: Context, reply: bytes, condition: str,
                 validator: tuple[str, str]) -> None:
        self.t, self.reply, self.validator = t, reply, validator
        self.condition = condition.encode().lower() + b"\r\n"
        self.replacement: bytes | None = None
        self.not_modified = b""
        self.conditional = 0

    def __call__(self, exchange: Exchange) -> bytes:
        if self.condition not in exchange.head.lower():
            return self.reply
        self.conditional += 1
        if self.replacement is not None:
            return self.replacement
        self.not_modified = head(304, [
            ("Date", http_date(time.time())),
            ("Cache-Control", "max-age=600"), self.validator,
            ("X-Check", token(self.t))])
        return self.not_modified


def fields_of(reply: bytes) -> tuple[bytes, list[bytes], bytes]:
    """A relayed reply's status line, header lines (CRLF included) and
    body."""
    end = reply.index(b"\r\n\r\n") + 2
    lines = reply[:end].splitlines(keepends=True)
    return lines[0], lines[1:], reply[end + 2:]


# The fields a 304 does not update: they describe the stored body, which
# it did not send (RFC 9111 section 3.2).
BODY_FIELDS = {b"content-length", b"content-encoding", b"content-md5",
               b"content-range", b"etag"}


def field_name(line: bytes) -> bytes:
    """The name of a header line, in lower case."""
    return line.split(b":", 1)[0].lower()


def updated(stored: bytes, not_modified: bytes) -> bytes:
    """What the client gets of a stored response refreshed by a 304 (RFC
    9111 section 3.2), both as relayed: the stored status line, the stored
    fields the 304 does not replace, the 304's fields (those describing
    the stored body aside), the stored body."""
    status, old, body = fields_of(stored)
    _, new, _ = fields_of(not_modified)
    replaced = {field_name(f) for f in new} - BODY_FIELDS
    kept = [f for f in old if field_name(f) not in replaced]
    fresh = [f for f in new if field_name(f) not in BODY_FIELDS]
    return status + b"".join(kept + fresh) + b"\r\n" + body


REVALIDATE_HINT = "A response past its lifetime that has a validator (an " \
    "ETag, or a Last-Modified that is a date) is still stored " \
    "(freshness_of: storable, lifetime 0 for no-cache) and cache_lookup " \
    "returns it stale or fresh (the glue compares cache_object_expires " \
    "with now). To reuse it, the glue asks the origin with the request " \
    "freshness_add_validators makes: If-None-Match with the ETag's value, " \
    "If-Modified-Since with the Last-Modified (RFC 9111 section 4.3.1), " \
    "each added with http_parse_header. A 304 then updates the stored " \
    "head and the client gets the stored body; a 200 replaces it."


@test(8, "a stale response with an ETag or a Last-Modified is revalidated "
         "(RFC 9111 section 4.3): the origin gets If-None-Match or "
         "If-Modified-Since; after its 304 the client gets the stored body "
         "under the updated head, as a hit, and the next fetch is a hit "
         "without the origin; a 200 instead replaces what was stored",
      hints={hints.DIFFERS: REVALIDATE_HINT},
      rules=("5.7.a",))
def revalidation(t: Context) -> None:
    proxy, origin = setup(t)
    t.reproduce(f"printf 'new\\n' > /tmp/new.txt; {HAND_ORIGIN} sleep 1; "
                f"for i in 1 2; do {CURL} -si http://{BY_HAND}/new.txt | "
                "grep X-Cache; done")
    for label, validator, condition in (
            ("an ETag", ("ETag", f'"{token(t)}"'), "If-None-Match"),
            ("a Last-Modified", LONG_AGO, "If-Modified-Since")):
        path = fresh_path(t, "stale", ".txt")
        stored = page(t, 2000, [("Date", http_date(time.time())),
                                ("Cache-Control", "no-cache"), validator])
        route = Revalidating(t, stored, f"{condition}: {validator[1]}",
                             validator)
        origin.route(path, route)
        what = f"a 'no-cache' response with {label}"
        fetch(t, proxy, origin, path, MISS, f"the first fetch of {what}",
              stored)
        sock = t.connect(proxy.port)
        sock.sendall(get(origin, path))
        answer = receive_answer(t, sock, stored, f"the second fetch of {what}")
        if not route.conditional:
            t.fail(hints.DIFFERS, f"the second fetch of {what}: the origin "
                   f"never received '{condition}: {validator[1]}', so it "
                   "could not answer 304 (RFC 9111 section 4.3.1)")
        want = updated(relayed(stored), relayed(route.not_modified))
        if answer.kind != HIT:
            t.fail(hints.DIFFERS, f"the second fetch of {what}: after the "
                   "origin's 304, expected the stored response as a hit, "
                   f"but {answer.describe()}")
        t.expect_bytes(answer.bare, want, f"the second fetch of {what}, "
                       "refreshed by the origin's 304")
        sock = t.connect(proxy.port)
        sock.sendall(get(origin, path))
        again = receive_answer(t, sock, stored, f"the third fetch of {what}")
        if again.kind != HIT or route.conditional != 1:
            t.fail(hints.DIFFERS, f"the third fetch of {what}: the 304 made "
                   "it fresh for 600 s, so expected a hit without the "
                   f"origin, but {again.describe()}")
        t.expect_bytes(again.bare, want, f"the third fetch of {what}")
    path = fresh_path(t, "stale", ".txt")
    etag = ("ETag", f'"{token(t)}"')
    route = Revalidating(t, page(t, 2000, [("Cache-Control", "no-cache"),
                                           etag]),
                         f"If-None-Match: {etag[1]}", etag)
    route.replacement = page(t, 2000, [("Cache-Control", "max-age=600")])
    origin.route(path, route)
    fetch(t, proxy, origin, path, MISS, "the first fetch of another "
          "'no-cache' response with an ETag", route.reply)
    fetch(t, proxy, origin, path, MISS, "its revalidation, which the "
          "origin answers with a new 200", route.replacement)
    fetch(t, proxy, origin, path, HIT, "the fetch after it (the new 200 "
          "replaced the stored response)", route.replacement)


# The fields of a stored response that a 304 carries (RFC 9110 section
# 15.4.5), and the proxy's own Via and Connection.
NOT_MODIFIED_FIELDS = {b"date", b"etag", b"vary", b"cache-control",
                       b"expires", b"content-location", b"via",
                       b"connection"}
CONDITIONAL_HINT = "A client that sends its own If-None-Match or " \
    "If-Modified-Since with a fresh hit gets 304 Not Modified when its " \
    "copy is current (RFC 9111 section 4.3.2): freshness_not_modified is " \
    "true when If-None-Match is * or lists the stored ETag, W/ prefixes " \
    "aside (weak comparison, RFC 9110 section 8.8.3.2), and, only when " \
    "there is no If-None-Match, when If-Modified-Since is a valid date " \
    "not earlier than the stored Last-Modified (else Date)."


@test(5, "a client's own conditions on a fresh hit (RFC 9111 section "
         "4.3.2): If-None-Match with the stored ETag (weakly compared) or "
         "an If-Modified-Since not earlier than Last-Modified get 304 Not "
         "Modified from the cache; another tag, an earlier date, or a "
         "non-matching If-None-Match with a matching date get the stored "
         "response",
      hints={hints.DIFFERS: CONDITIONAL_HINT},
      rules=("5.8.a",))
def client_conditionals(t: Context) -> None:
    proxy, origin = setup(t)
    path = fresh_path(t, "conditional", ".txt")
    etag = f'"{token(t)}"'
    stored = page(t, 2000, [("Date", http_date(time.time())), ("ETag", etag),
                            LONG_AGO, ("Cache-Control", "max-age=600")])
    origin.route(path, stored)
    _, fields, _ = fields_of(relayed(stored))
    not_modified = b"HTTP/1.1 304 Not Modified\r\n" + b"".join(
        f for f in fields if field_name(f) in NOT_MODIFIED_FIELDS) + b"\r\n"
    t.reproduce(f"{HAND_UP}{CURL} -s http://{BY_HAND}/hello.txt >/dev/null; "
                f"{CURL} -si -H \"If-Modified-Since: $(date -uR)\" "
                f"http://{BY_HAND}/hello.txt")
    fetch(t, proxy, origin, path, MISS, "the first fetch")
    long_ago = LONG_AGO[1]
    cases = [([("If-None-Match", etag)], True),
             ([("If-None-Match", f'"x", W/{etag}')], True),
             ([("If-Modified-Since", long_ago)], True),
             ([("If-None-Match", '"other"')], False),
             ([("If-Modified-Since", "Fri, 31 Dec 1999 00:00:00 GMT")],
              False),
             ([("If-None-Match", '"other"'), ("If-Modified-Since", long_ago)],
              False)]
    for headers, current in cases:
        what = "a fetch with " + " and ".join(f"'{n}: {v}'"
                                              for n, v in headers)
        before = requests(origin, path)
        sock = t.connect(proxy.port)
        sock.sendall(get(origin, path, headers))
        answer = receive_answer(t, sock, stored, what)
        if answer.kind != HIT or requests(origin, path) != before:
            t.fail(hints.DIFFERS, f"{what}: expected an answer from the "
                   f"fresh stored response, but {answer.describe()}")
        want = not_modified if current else relayed(stored)
        t.expect_bytes(answer.bare, want, what + (
            ": the client's copy is current, so 304 Not Modified" if current
            else ": the stored response, which the client does not have"))


# The tests: what must come whole, and what makes a stored object old.

@test(6, "a response cut short (Content-Length 10000, the origin closes or "
         "resets after 5000 body bytes) is relayed as far as it came but "
         "never stored: the next fetch reaches the origin",
      hints={hints.DIFFERS: "The glue stores only a response that "
                            "forward_request reports complete: "
                            "res->complete must be true only when the body "
                            "ended as its framing says (all Content-Length "
                            "bytes, the last chunk), never when the origin "
                            "closed or failed early."},
      rules=("5.4.b",))
def incomplete_never_stored(t: Context) -> None:
    proxy, origin = setup(t)
    hit_control(t, proxy, origin)
    body = binary(t, 10000)
    cut = head(200, [*BINARY, ("Content-Length", "10000")]) + body[:5000]
    t.reproduce(hand_server([], length=10000) + f"for i in 1 2; do {CURL} "
                f"-si http://{BY_HAND}/ | grep X-Cache; done")
    for how, afterwards in (("closes", "close"), ("resets", RESET)):
        path = fresh_path(t, "cut", ".bin")
        origin.route(path, cut, afterwards=afterwards)
        for i in (1, 2):
            what = f"fetch {i} of a response whose origin {how} after " \
                   "5000 of its 10000 body bytes"
            sock = t.connect(proxy.port)
            sock.sendall(get(origin, path))
            got = Answer(read_to_end(t, sock, what, len(cut) + 20000,
                                     answered=False))
            reached = requests(origin, path)
            if got.kind == HIT or reached != i:
                came = got.describe() if got.kind == HIT else \
                    f"the origin received {reached} requests in all"
                t.fail(hints.DIFFERS, f"{what}: expected the request to "
                       f"reach the origin (a miss), but {came}")
            want = marked(cut, MISS)
            if not want.startswith(got.raw):
                t.expect_bytes(got.raw, want[:len(got.raw)], what)


@test(5, "a POST or a DELETE to a stored URI that gets a 2xx answer "
         "removes it, and the URI its Location names: the next GET reaches "
         "the origin (and is stored again), while other URIs stay hits",
      hints={hints.DIFFERS: "The glue calls cache_remove(key) after a "
                            "POST, PUT, DELETE or PATCH answered 2xx or "
                            "3xx, for its URI and for those its Location "
                            "and Content-Location name on the same origin: "
                            "unlink that key's object (from its chain and "
                            "the LRU list, bytes and count too), and only "
                            "that one."},
      rules=("5.5.a",))
def unsafe_methods_invalidate(t: Context) -> None:
    proxy, origin = setup(t)
    posted, deleted, other, named = (
        fresh_path(t, stem, ".txt")
        for stem in ("posted", "deleted", "other", "named"))
    answers = {posted: page(t, 2000), deleted: page(t, 2000),
               other: page(t, 2000), named: page(t, 2000)}
    created = response(201, b"created\n", [*TEXT, ("Location", named)])
    origin.route(named, answers[named])
    origin.route(posted, by_method({"GET": answers[posted],
                                    "POST": created}))
    origin.route(deleted, by_method({"GET": answers[deleted],
                                     "DELETE": head(204)}))
    origin.route(other, answers[other])
    t.reproduce(f"{HAND_UP}{CURL} -s http://{BY_HAND}/"
                f"hello.txt >/dev/null; {CURL} -s -X DELETE http://"
                f"{BY_HAND}/hello.txt >/dev/null; {CURL} -si http://"
                f"{BY_HAND}/hello.txt | grep X-Cache")
    for path in answers:
        fetch(t, proxy, origin, path, MISS, f"the first fetch of {path}",
              answers[path])
        fetch(t, proxy, origin, path, HIT, f"the second fetch of {path}",
              answers[path])
    fetch(t, proxy, origin, posted, PLAIN, "the answer to a POST to the "
          "first URI", created, method="POST", body=binary(t, 3000))
    fetch(t, proxy, origin, posted, MISS, "the GET after the POST",
          answers[posted])
    fetch(t, proxy, origin, posted, HIT, "the second GET after the POST "
          "(stored again)", answers[posted])
    fetch(t, proxy, origin, named, MISS, "a GET of the URI the POST's "
          "answer named in Location (RFC 9111 section 4.4)", answers[named])
    fetch(t, proxy, origin, other, HIT, "a GET of another URI after the "
          "POST", answers[other])
    fetch(t, proxy, origin, deleted, PLAIN, "the answer to a DELETE",
          head(204), method="DELETE")
    fetch(t, proxy, origin, deleted, MISS, "the GET after the DELETE",
          answers[deleted])
    fetch(t, proxy, origin, other, HIT, "a GET of another URI after the "
          "DELETE", answers[other])


# The tests: many clients at once.

@dataclass
class Fetcher:
    """One client of a wave, run on a thread of its own."""
    label: str
    path: str
    data: bytes
    want: bytes                 # what the origin sends
    storable: bool
    sock: socket.socket | None = None
    got: bytearray = field(default_factory=bytearray)
    error: BaseException | None = None
    done: bool = False


def run_fetcher(proxy: procs.Program, fetcher: Fetcher,
                barrier: threading.Barrier, limit: float) -> None:
    """The body of a fetcher's thread: connect once all are ready, send,
    read to the end of file. What goes wrong is kept in fetcher.error."""
    try:
        barrier.wait(limit)
        fetcher.sock.connect((proxy.host, proxy.port))
        fetcher.sock.sendall(fetcher.data)
        most = len(fetcher.want) + harness.RECEIVE_SLACK
        while len(fetcher.got) < most:
            chunk = fetcher.sock.recv(65536)
            if not chunk:
                break
            fetcher.got += chunk
        harness.close_socket(fetcher.sock)
    except Exception as exc:
        fetcher.error = exc
    finally:
        fetcher.done = True


def wave(t: Context, proxy: procs.Program, fetchers: list[Fetcher],
         what: str) -> None:
    """Run the fetchers together and check each answer: a hit or a miss
    (a miss for what may not be stored) whose bytes, marks aside, are the
    origin's."""
    barrier = threading.Barrier(len(fetchers))
    threads = []
    for fetcher in fetchers:
        fetcher.sock = t.open_socket()
        threads.append(threading.Thread(target=run_fetcher, daemon=True,
                                        args=(proxy, fetcher, barrier,
                                              t.limit)))
    for thread in threads:
        thread.start()
    try:
        with t.step(f"waiting for {what}"):
            for thread in threads:
                thread.join()
    except TestTimeout:
        waiting = [f for f in fetchers if not f.done]
        if waiting:
            t.fail(hints.TIMEOUT, f"{what}: {len(waiting)} of "
                   f"{len(fetchers)} clients had no complete answer when "
                   f"the time limit ({t.limit:g} s) was reached, among them "
                   f"{waiting[0].label} ({len(waiting[0].got)} bytes had "
                   "come)", LOCK_HINT)
        raise
    for fetcher in fetchers:
        if fetcher.error is not None:
            with t.step(f"talking as {fetcher.label}"):
                raise fetcher.error
        answer = Answer(bytes(fetcher.got))
        if fetcher.storable:
            check(t, answer, 0, None, fetcher.want, f"{what}: "
                  f"{fetcher.label}")
        else:
            check(t, answer, 1, MISS, fetcher.want, f"{what}: "
                  f"{fetcher.label}")


@test(10, f"two waves of {BURST} clients at once (-m 200000 -o 65536), over "
          "10 URLs of 1 to 90 KiB, some storable and some not, all get the "
          "origin's bytes (hits and misses alike) while objects are stored, "
          "hit and evicted; the uncacheable URLs reach the origin every "
          "time", timeout=20,
      hints={hints.TIMEOUT: LOCK_HINT,
             hints.DIFFERS: "A client got a wrong answer while many "
                            "threads used the cache: every access to the "
                            "table, the LRU list and the counts must hold "
                            "the lock, and an object must never change "
                            "once stored (a replacement is a new object). "
                            + REFERENCE_HINT},
      rules=("5.0.a",))
def many_clients(t: Context) -> None:
    proxy, origin = setup(t, MIXED_ARGS)
    now = http_date(time.time())
    kinds = [("plain", [LONG_AGO], True), ("max-age", [("Cache-Control",
                                                 "max-age=600")], True),
             ("tiny", None, True), ("dated", [("Date", now)], True),
             ("public", [("Cache-Control", "public, max-age=60")], True),
             ("small", [LONG_AGO], True),
             ("no-store", [("Cache-Control", "no-store")], False),
             ("cookie", [("Set-Cookie", f"id={token(t)}")], False),
             ("private", [("Cache-Control", "private")], False),
             ("too-big", [], False)]
    urls = []
    for label, headers, storable in kinds:
        path = fresh_path(t, f"mix-{label}", ".bin")
        size = {"small": KIBIBYTE, "too-big": 90 * KIBIBYTE}.get(
            label, t.rng.randint(KIBIBYTE, 60 * KIBIBYTE if storable
                                 else 90 * KIBIBYTE))
        body = binary(t, size)
        reply = tiny_file(body, "application/octet-stream") \
            if headers is None else response(200, body, [*BINARY, *headers])
        origin.route(path, reply)
        urls.append((label, path, reply, storable))
    fetched: dict[str, int] = {}
    for round_ in (1, 2):
        fetchers = []
        for i in range(BURST):
            label, path, reply, storable = urls[i % len(urls)]
            fetched[path] = fetched.get(path, 0) + 1
            fetchers.append(Fetcher(f"client {i + 1} ({label}, {path})",
                                    path, get(origin, path), reply,
                                    storable))
        wave(t, proxy, fetchers, f"wave {round_} of {BURST} clients")
        t.log(f"wave {round_}: every client got the origin's bytes")
    for label, path, _, storable in urls:
        count = requests(origin, path)
        if not storable and count != fetched[path]:
            t.fail(hints.DIFFERS, f"the origin received {count} requests for "
                   f"the {label} URL {path}, fetched {fetched[path]} times: "
                   "it must never be stored", STORE_HINT)
    label, path, reply, _ = urls[0]
    fetch(t, proxy, origin, path, None, f"a fetch of the {label} URL after "
          "the waves")
    fetch(t, proxy, origin, path, HIT, f"the fetch of the {label} URL right "
          "after it")


def start_slow_hit(t: Context, proxy: procs.Program, origin: Origin,
                   path: str, want: bytes, label: str) -> \
        tuple[socket.socket, Answer]:
    """A client with small socket buffers that fetches path, reads the
    first HELD bytes (which must be the start of a hit on want), then
    stops reading: the proxy is then stuck sending the rest."""
    sock = t.open_socket(SMALL_BUFFER)
    sock.connect((proxy.host, proxy.port))
    sock.sendall(get(origin, path))
    what = f"the first {HELD} bytes of {label}"
    pending = Pending(what, marked(want, HIT)[:HELD], eof=False)
    with t.step(f"waiting for {what}", pending):
        harness.receive(sock, pending)
    start = Answer(bytes(pending.got))
    if start.kind != HIT:
        t.fail(hints.DIFFERS, f"{what}: expected a hit, but "
               f"{start.describe()}")
    t.expect_bytes(start.bare, relayed(want)[:len(start.bare)], what)
    return sock, start


def finish_slow_hit(t: Context, sock: socket.socket, start: Answer,
                    want: bytes, what: str) -> None:
    """Read the rest of a slow client's hit: all of want, as first sent."""
    pending = Pending(what, marked(want, HIT, start.age), eof=True)
    pending.got += start.raw
    with t.step(f"waiting for {what}", pending):
        harness.receive(sock, pending)
    t.expect_bytes(bytes(pending.got), pending.want, what)
    harness.close_socket(sock)


@test(8, "while clients read large hits slowly, other clients are served "
         "(hits and misses), and the objects being read are replaced or "
         "evicted; yet each slow client gets every byte of the version it "
         "asked for", timeout=20,
      hints={hints.TIMEOUT: LOCK_HINT,
             hints.TRUNCATED: REFERENCE_HINT,
             hints.DIFFERS: "If a slow client's bytes went wrong: "
                            + REFERENCE_HINT,
             hints.CLOSED: REFERENCE_HINT,
             hints.RESET: REFERENCE_HINT},
      rules=("5.5.a",))
def slow_reader(t: Context) -> None:
    big = send_buffer_max() + 2 * MEBIBYTE
    versions = [response(200, t.rng.randbytes(big), [*BINARY, LONG_AGO])
                for _ in range(3)]
    stored = len(relayed(versions[0]))   # what the cache keeps of one
    proxy, origin = setup(t, ["-o", str(stored), "-m", str(stored + ROOM)])
    path = fresh_path(t, "large", ".bin")
    origin.route(path, Versions(versions))
    size = f"{len(versions[0]) / MEBIBYTE:.1f} MiB"
    fetch(t, proxy, origin, path, MISS, f"the first fetch of the {size} "
          "response", versions[0])
    first, start = start_slow_hit(t, proxy, origin, path, versions[0],
                                  f"the first slow client's hit on the "
                                  f"{size} response")
    t.log("the first slow client has stopped reading its hit")
    small = fresh_path(t, "small", ".txt")
    origin.route(small, page(t, 2000))
    fetch(t, proxy, origin, small, MISS, "a fetch of another URL while a "
          "hit is being sent")
    fetch(t, proxy, origin, small, HIT, "the second fetch of that URL while "
          "a hit is being sent")
    fetch(t, proxy, origin, path, MISS, "a fetch with 'Cache-Control: "
          f"no-cache' of the {size} URL, whose response replaces the "
          "object being sent", versions[1],
          headers=[("Cache-Control", "no-cache")])
    second, restart = start_slow_hit(t, proxy, origin, path, versions[1],
                                     "the second slow client's hit, on the "
                                     "new version")
    for i in range(1, FILLERS + 1):
        filler = fresh_path(t, "filler", ".bin")
        origin.route(filler, sized(t, FILLER_SIZE))
        fetch(t, proxy, origin, filler, MISS, f"the first fetch of filler "
              f"{i} of {FILLERS}, which overflow the cache")
    fetch(t, proxy, origin, path, MISS, f"the fetch of the {size} URL after "
          "the fillers (they evicted it)", versions[2])
    finish_slow_hit(t, first, start, versions[0], "the rest of the first "
                    "slow client's hit (its object was replaced meanwhile)")
    finish_slow_hit(t, second, restart, versions[1], "the rest of the second "
                    "slow client's hit (its object was evicted meanwhile)")


@test(6, "as the CS:APP driver checks, with -e 300 (its cache keeps "
         "responses that say nothing): five files from a Tiny-style origin "
         "come through equal to direct fetches; with a request held by an "
         "origin that never answers, another file is still served; then, "
         "with the origin stopped, all come from the cache",
      hints={hints.TIMEOUT: "A request held by a silent origin must not "
                            "stop other clients: it occupies one worker "
                            "only (stage 03), and the cache's lock is "
                            "never held while waiting for an origin."},
      rules=("5.3.a",))
def csapp_driver(t: Context) -> None:
    proxy, tiny = setup(t, CSAPP_ARGS)
    nop = t.use(Origin())
    stem = f"/{token(t, 6)}"
    files = {f"{stem}/home.html": tiny_file(text(t, 2 * KIBIBYTE),
                                            "text/html"),
             f"{stem}/csapp.c": tiny_file(text(t, 40 * KIBIBYTE),
                                          "text/plain"),
             f"{stem}/tiny.c": tiny_file(text(t, 10 * KIBIBYTE),
                                         "text/plain"),
             f"{stem}/godzilla.jpg": tiny_file(binary(t, 60 * KIBIBYTE),
                                               "image/jpeg"),
             f"{stem}/tiny": tiny_file(binary(t, 90 * KIBIBYTE),
                                       "application/octet-stream")}
    route_all(tiny, files)
    t.reproduce(HAND_TWICE)
    for path in files:
        fetch(t, proxy, tiny, path, MISS, f"{path} through the proxy "
              "(compared with a direct fetch)")
    nop.route("/nop", b"", afterwards=HOLD)
    held = t.connect(proxy.port)
    held.sendall(get(nop, "/nop"))
    with t.step("waiting for the held request to reach the silent origin"):
        if not any(e.received for e in nop.wait_for(1, RECEIVED, t.limit)):
            t.fail(hints.TIMEOUT, "the request for the silent origin never "
                   "reached it")
    extra = f"{stem}/index.html"
    tiny.route(extra, tiny_file(text(t, 5 * KIBIBYTE), "text/html"))
    fetch(t, proxy, tiny, extra, MISS, f"{extra} while another request "
          "waits for an origin that never answers")
    tiny.close()
    t.log("the Tiny-style origin is stopped")
    for path in [*files, extra]:
        fetch(t, proxy, tiny, path, HIT, f"{path} after the origin stopped")


@test(5, "under valgrind, a session of misses, hits, evictions, a POST, "
         "responses never stored and one cut short, then SIGTERM, shows no "
         "memory errors and no definite leaks", timeout=60,
      rules=("5.0.a",))
def valgrind_clean(t: Context) -> None:
    proxy = t.start(LRU_ARGS, valgrind=True)
    origin = t.use(Origin())
    paths = {name: fresh_path(t, f"vg-{name}", ".bin") for name in "ABCD"}
    replies = {name: sized(t, LRU_OBJECT) for name in "ABCD"}
    origin.route(paths["A"], replies["A"])
    fetch(t, proxy, origin, paths["A"], MISS, "the first fetch of A")
    fetch(t, proxy, origin, paths["A"], HIT, "the second fetch of A")
    for name in "BCD":
        origin.route(paths[name], by_method({"GET": replies[name],
                                             "POST": head(204)}))
        fetch(t, proxy, origin, paths[name], MISS, f"the first fetch of "
              f"{name}", replies[name])
    fetch(t, proxy, origin, paths["A"], MISS, "the fetch of A after D "
          "evicted it", replies["A"])
    fetch(t, proxy, origin, paths["C"], HIT, "the second fetch of C",
          replies["C"])
    fetch(t, proxy, origin, paths["C"], PLAIN, "the answer to a POST to C",
          head(204), method="POST", body=b"x=1")
    fetch(t, proxy, origin, paths["C"], MISS, "the fetch of C after the "
          "POST", replies["C"])
    fetch(t, proxy, origin, paths["C"], HIT, "the next fetch of C",
          replies["C"])
    never = fresh_path(t, "vg-never", ".txt")
    origin.route(never, page(t, 2000, [("Cache-Control", "no-store")]))
    never_stored(t, proxy, origin, never, "a no-store response")
    over = fresh_path(t, "vg-over", ".bin")
    origin.route(over, sized(t, LRU_OBJECT + 1))
    never_stored(t, proxy, origin, over, "a response over -o")
    cut = fresh_path(t, "vg-cut", ".bin")
    origin.route(cut, head(200, [*BINARY, ("Content-Length", "9000")]) +
                 binary(t, 3000))
    sock = t.connect(proxy.port)
    sock.sendall(get(origin, cut))
    read_to_end(t, sock, "a response cut short", 20000, answered=False)
    expect_stop(t, proxy, signal.SIGTERM, "at the end of the session")


@test(8, "under ThreadSanitizer (a build made for the test), two waves "
         "of 50 clients over storable and unstorable URLs, and slow "
         "readers of hits that are replaced and evicted meanwhile, show "
         "no data race in the cache", timeout=150,
      rules=("5.0.a",))
def tsan_clean(t: Context) -> None:
    with t.under_tsan():
        many_clients(t)
        slow_reader(t)


unit_freshness = units.suite_test(
    __name__, 15, "freshness",
    "the freshness rules of lab5.1, lab5.2 and lab5.6 to lab5.9",
    ("5.1.a", "5.1.b", "5.1.c", "5.2.a", "5.6.a", "5.7.a", "5.8.a",
     "5.9.a"))


unit_cache = units.suite_test(
    __name__, 10, "cache",
    "the cache's lookup, insert, eviction and reference rules of "
    "lab5.3 to lab5.5",
    ("5.3.a", "5.4.a", "5.5.a"))
