"""lab04.py - the graded tests of lab 04, CONNECT tunnels
(labs/04-connect/tunnel.c, called by the given glue).

Each test starts its own proxy and the far end of its tunnels: a raw TCP
target (connect_target.Target) that echoes, records, half-closes or resets
as the test says, or an HTTPS origin (connect_target.TlsOrigin) that curl
fetches through the proxy. The proxy's allow-list (-p) names the target's
port. Tests check both ends: what the client gets back through the tunnel
and what the target received (every byte, in order, and its end of file).
Data is random, drawn from the run's seed. Tests wait for events (bytes,
an end of file, a connection at the target), never for a length of time.
Two checks cannot be events: how much CPU an idle tunnel burns, measured
over half a second against a bound generous enough for any loaded
machine, and the proxy's descriptor count, which drops a moment after the
last tunnel ends and is polled for a bounded while.

PROGRAM is "graded": grading a later lab runs these tests against its
program, which must still tunnel.
"""
from __future__ import annotations
import hashlib
import os
import re
import signal
import socket
import threading
import time

import harness
import hints
import procs
import units
from client import (KIBIBYTE, MEBIBYTE, closed_port, run_tool, served,
                    tool_env)
from connect_target import WAIT, CertificateError, Target, TlsOrigin
from harness import Context, expect_stop, test
from netutil import abort, ipv6_loopback_missing, send_buffer_max
from origin import Origin
from tunnels import (end_session, expect, expect_connect_error, expect_end,
                     first_link, open_tunnel, round_trip, wait_ended)

TITLE = "CONNECT tunnels"
PROGRAM = "graded"

BULK = 10 * MEBIBYTE         # bytes each way of the bulk test
ROUND_TRIPS = (1, 17, 1000, 8192, 65536, 3)  # sizes of the echo test
PIPELINED = 20000            # bytes sent in the CONNECT request's segment
STALL_AT = 64 << 10          # bytes the stalled target reads, then stops
SMALL_BUFFER = 16 << 10      # socket buffers of the stalled target (its
                             # receive side) and of the bulk test's client
IDLE_MS = 500                # the -i of the idle test
IDLE_WATCH = 0.5             # seconds the CPU test lets a tunnel idle
CPU_SHARE = 0.5              # the share of those an idle proxy may burn
FD_TUNNELS = 200             # sessions of the fd leak test
FD_SLACK = 2                 # descriptors above the baseline tolerated
                             # (one a library might open once, lazily)
SETTLE_SHARE = 0.1           # share of the limit fds may take to close
POLL_PAUSE = 0.01            # seconds between looks at /proc or the log
TUNNEL_LOG = re.compile(r'"CONNECT ([^"]+)" tunnel: (\d+) bytes up, '
                        r'(\d+) down')
NC = "nc 127.0.0.1 {port}"

RIO_HINT = "rio read ahead: the bytes the client sent right after its " \
    "CONNECT head are in client's buffer, not in the socket. Before the " \
    "relay loop, send rio_buffered(client) bytes (rio_read them) to the " \
    "target; poll() on client->fd never sees them."
HALF_CLOSE_HINT = "An end of file is one direction ending, not the " \
    "tunnel: when recv returns 0 on one side, first write what that " \
    "direction still holds, then shutdown(other, SHUT_WR), and keep " \
    "relaying the other direction until it ends too. Close both sockets " \
    "only when both directions are done (or on an error or the idle " \
    "timeout). poll() may report POLLHUP (or POLLERR) without POLLIN once " \
    "the peer is gone: treat it as readable, and let recv say 0 or the " \
    "error."
BLOCKING_HINT = "The tunnel stalled with both directions full: a " \
    "blocking send to one side while that side is itself waiting to " \
    "send to you never returns. Poll for POLLOUT and send with " \
    "MSG_DONTWAIT; while a direction's buffer holds bytes, wait to write " \
    "them rather than read more, and keep serving the other direction."
BULK_HINT = "Part of the echo never came back. Either the tunnel ended at " \
    "the client's end of file, before the target's last bytes had come " \
    "back (an end of file ends one direction only: pass it on with " \
    "shutdown(SHUT_WR) and keep relaying the other way), or a short send " \
    "lost the rest of a buffer (keep an offset and send the rest when " \
    "poll() says POLLOUT)."
STALL_HINT = "The upload stopped short after the target read again: " \
    "while a direction waits for POLLOUT it keeps its buffer and offset, " \
    "and sends the rest once the receiver reads again; nothing is " \
    "dropped, and one direction waiting never ends the tunnel."
CLOSE_HINT = "On a reset or an error from either side, end the tunnel and " \
    "close the target's socket: tunnel_serve owns it and must close it " \
    "on every path (the glue closes the client's)."

HINTS = {
    hints.NO_STOP: "The proxy did not exit after SIGTERM while a tunnel was "
                   "open: relay must poll cfg->cancel_fd beside the two "
                   "sockets and end the tunnel once it is readable (the "
                   "stop's grace is over).",
    hints.TIMEOUT: "The tunnel stopped moving bytes. relay must poll() "
                   "both sockets at once and move bytes in whichever "
                   "direction is ready; a blocking read or write on one "
                   "socket freezes the other direction.",
    hints.STAYS_OPEN: "Everything came, but the tunnel never ended: pass "
                      "each end of file on with shutdown(SHUT_WR) once "
                      "that direction's buffer is empty, and return once "
                      "both directions are done.",
    hints.CLOSED: "The proxy ended the tunnel before the bytes came "
                  "through. " + HALF_CLOSE_HINT,
    hints.TRUNCATED: "Part of the data never came through. send may write "
                     "fewer bytes than asked: keep the rest and write it "
                     "when poll() says POLLOUT. " + HALF_CLOSE_HINT,
    hints.NUL: "Tunnelled bytes are binary: relay counts (what recv "
               "returned), never strings.",
    hints.EXTRA: "More bytes came than were sent: write each buffer once, "
                 "exactly the count recv returned.",
    hints.DIFFERS: "The bytes came through changed or out of order: write "
                   "each direction's buffer from where the last send "
                   "stopped (its offset), once, and never mix the two "
                   "directions' buffers. " + RIO_HINT,
    hints.RESET: "The connection was reset: the proxy crashed, or closed "
                 "a socket with unread bytes. Its stderr below says "
                 "which.",
    hints.REFUSED: "Nothing listened any more: the proxy had exited. A "
                   "tunnel's failure ends that tunnel only.",
    hints.EXITED: "The proxy exited on its own: one tunnel's failure ends "
                  "that connection only.",
}


def send_quietly(sock: socket.socket, data: bytes) -> None:
    """Send data, then end of file; for a thread, so errors (the test
    closing the socket) end it quietly."""
    try:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def setup(t: Context, args: tuple[str, ...] = (), ports: tuple[int, ...] = (),
          **target_options: object) -> tuple[procs.Program, Target]:
    """Start an echo target and a proxy whose allow-list (-p) is the
    target's port and ports."""
    target = t.use(Target(**target_options))
    allowed = ",".join(str(p) for p in (target.port, *ports))
    return t.start([*args, "-p", allowed]), target


def session(t: Context, proxy: procs.Program, target: Target,
            size: int = 1000) -> None:
    """One complete tunnel to the echo target: a round trip, then end of
    file both ways."""
    number = len(target.links) + 1
    tun = open_tunnel(t, proxy, target.authority)
    link = first_link(t, target, number)
    round_trip(t, tun, t.rng.randbytes(size), "the echo through a new "
               "tunnel")
    end_session(t, tun, link)
    harness.close_socket(tun.sock)


def logged_counts(t: Context, proxy: procs.Program, authority: str,
                  index: int = 0) -> tuple[int, int]:
    """The bytes up and down that the proxy logged for its index-th
    tunnel to authority (waiting for the line: the glue logs it once
    tunnel_serve has returned)."""
    with t.step(f"waiting for the proxy to log the tunnel to {authority}"):
        while True:
            found = [m for m in TUNNEL_LOG.finditer(proxy.stderr())
                     if m[1] == authority]
            if len(found) > index:
                return int(found[index][2]), int(found[index][3])
            time.sleep(POLL_PAUSE)


def check_counts(t: Context, proxy: procs.Program, authority: str,
                 up: int, down: int) -> None:
    """Fail unless the proxy logged up and down bytes for the tunnel."""
    logged = logged_counts(t, proxy, authority)
    if logged != (up, down):
        t.fail(hints.DIFFERS, f"the proxy logged {logged[0]} bytes up and "
               f"{logged[1]} down for the tunnel, but {up} went up and "
               f"{down} came down: count every byte relayed in res->up and "
               "res->down, the bytes rio had buffered included")


def cpu_seconds(pid: int) -> float:
    """The user and system CPU time process pid has used, in seconds."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])   # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def open_fds(pid: int) -> list[str]:
    """What process pid's descriptors refer to."""
    found = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            found.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except FileNotFoundError:
            pass
    return found


def round_trips(t: Context, proxy: procs.Program, far: Target) -> None:
    """A tunnel to far carrying random bytes over ROUND_TRIPS, end of file
    both ways; what far received and the proxy's logged counts checked."""
    tun = open_tunnel(t, proxy, far.authority)
    link = first_link(t, far)
    sent = b""
    for i, size in enumerate(ROUND_TRIPS, 1):
        data = t.rng.randbytes(size)
        round_trip(t, tun, data, f"the echo of round trip {i} "
                   f"({size} bytes) through {far.authority}")
        sent += data
    end_session(t, tun, link)
    t.expect_bytes(link.data, sent, f"what the target at {far.authority} "
                   "received")
    check_counts(t, proxy, far.authority, len(sent), len(sent))


# The tests: bytes through the tunnel.

ROUND_TRIP_HINTS = {
    hints.STAYS_OPEN: "After the client's end of file, pass it on "
                      "(shutdown(target, SHUT_WR)); the target then ends "
                      "its side, which the proxy passes back, and the "
                      "tunnel is over."}


@test(5, "random binary bytes go through a tunnel to a TCP target on "
         "127.0.0.1 and its echo comes back, over several round trips; end "
         "of file passes both ways, and the proxy logs the bytes each way",
      hints=ROUND_TRIP_HINTS, rules=("4.3.a",))
def tunnel_round_trips(t: Context) -> None:
    proxy, target = setup(t)
    t.reproduce(f"(nc -l 127.0.0.1 {target.port} &); sleep 0.2; (printf "
                f"'CONNECT 127.0.0.1:{target.port} HTTP/1.1\\r\\n\\r\\n'; "
                f"echo hello; sleep 1) | {NC}")
    round_trips(t, proxy, target)


@test(2, "the same through a tunnel to a target on [::1] (not applicable "
         "where the loopback has no IPv6)", hints=ROUND_TRIP_HINTS,
      rules=("4.3.a",))
def tunnel_ipv6_target(t: Context) -> None:
    missing = ipv6_loopback_missing()
    if missing:
        t.not_applicable(missing)
    v6 = t.use(Target("::1"))
    proxy, _ = setup(t, ports=(v6.port,))
    t.reproduce(f"(nc -l ::1 {v6.port} &); sleep 0.2; (printf "
                f"'CONNECT [::1]:{v6.port} HTTP/1.1\\r\\n\\r\\n'; "
                f"echo hello; sleep 1) | {NC}")
    round_trips(t, proxy, v6)


@test(6, f"{BULK >> 20} MiB each way at once (the client sends while it "
         "reads the echo) come through intact, SHA-256 checked at both ends",
      timeout=30,
      hints={hints.TIMEOUT: BLOCKING_HINT, hints.TRUNCATED: BULK_HINT,
             hints.STAYS_OPEN: BLOCKING_HINT},
      rules=("4.3.a",))
def tunnel_bulk(t: Context) -> None:
    proxy, target = setup(t)
    payload = t.rng.randbytes(BULK)
    t.reproduce(f"(nc -l 127.0.0.1 {target.port} >/dev/null &); sleep 0.2; "
                f"(printf 'CONNECT 127.0.0.1:{target.port} HTTP/1.1\\r\\n"
                f"\\r\\n'; head -c 10000000 /dev/urandom) | {NC} | wc -c")
    tun = open_tunnel(t, proxy, target.authority, bufsize=SMALL_BUFFER)
    t.expect_bytes(tun.early, b"", "bytes after the 200 head before "
                   "anything was sent")
    link = first_link(t, target)
    finish = t.drain(tun.sock, payload, f"the echo of {BULK} bytes")
    tun.sock.sendall(payload)
    tun.sock.shutdown(socket.SHUT_WR)
    finish()
    wait_ended(t, link, "the target to see the client's end of file")
    want = hashlib.sha256(payload).hexdigest()
    if link.count != len(payload) or link.digest() != want:
        t.fail(hints.DIFFERS, f"the target received {link.count} bytes "
               f"with SHA-256 {link.digest()}, expected {len(payload)} "
               f"with {want}")


@test(6, "while the target reads nothing and the client's upload is "
         "stuck, the target's bytes still reach the client; then the upload "
         "completes intact", timeout=20,
      hints={hints.TIMEOUT: BLOCKING_HINT, hints.TRUNCATED: BLOCKING_HINT,
             hints.CLOSED: BLOCKING_HINT, hints.DIFFERS: STALL_HINT},
      rules=("4.3.c",))
def one_way_stalled(t: Context) -> None:
    proxy, target = setup(t, echo=False, on_eof=WAIT, pause_after=STALL_AT,
                          rcvbuf=SMALL_BUFFER)
    # A proxy that blocks in send() to the stalled target takes in at most
    # a send buffer of the upload first, relaying about as much of the
    # target's bytes meanwhile: both must be well beyond that.
    largest = send_buffer_max()
    upload = t.rng.randbytes(largest + (8 << 20))
    news = t.rng.randbytes(2 * largest + (8 << 20))
    tun = open_tunnel(t, proxy, target.authority)
    link = first_link(t, target)
    uploader = threading.Thread(target=send_quietly, daemon=True,
                                args=(tun.sock, upload))
    uploader.start()
    with t.step("waiting for the target to receive the start of the upload"):
        link.wait_received(STALL_AT, t.limit)
    link.send(news)
    expect(t, tun, news, f"the target's {len(news)} bytes, sent while it "
           "read nothing of the client's upload")
    link.resume()
    with t.step("waiting for the client's upload to be sent"):
        uploader.join()
    wait_ended(t, link, "the target to receive the whole upload and its "
               "end of file")
    want = hashlib.sha256(upload).hexdigest()
    if link.count != len(upload) or link.digest() != want:
        t.fail(hints.DIFFERS, f"once it read again, the target received "
               f"{link.count} bytes of the upload with SHA-256 "
               f"{link.digest()}, expected {len(upload)} with {want}")
    link.shutdown_write()
    expect(t, tun, b"", "the end of file after the target's bytes",
           eof=True)


@test(7, "bytes sent in the same segment as the CONNECT head reach the "
         "target first and intact (rio had read them ahead)",
      hints={hints.DIFFERS: RIO_HINT, hints.CLOSED: RIO_HINT},
      rules=("4.3.b",))
def tunnel_pipelined(t: Context) -> None:
    proxy, target = setup(t)
    first = t.rng.randbytes(PIPELINED)
    later = t.rng.randbytes(3000)
    t.reproduce(f"(nc -l 127.0.0.1 {target.port} &); sleep 0.2; (printf "
                f"'CONNECT 127.0.0.1:{target.port} HTTP/1.1\\r\\n\\r\\n"
                f"early bytes\\n'; sleep 1) | {NC}")
    tun = open_tunnel(t, proxy, target.authority, first)
    link = first_link(t, target)
    tun.sock.sendall(later)
    sent = first + later
    what = f"what the target received: the {len(first)} bytes sent with " \
           f"the CONNECT head, then {len(later)} more"
    with t.step("waiting for the target to receive the first bytes"):
        got = link.wait_received(1, t.limit)
    t.expect_bytes(got, sent[:len(got)], what)   # fails at once if wrong
    with t.step(f"waiting for the target to receive {len(sent)} bytes"):
        t.expect_bytes(link.wait_received(len(sent), t.limit), sent, what)
    expect(t, tun, sent, "the echo of everything sent")
    end_session(t, tun, link)


@test(7, "half-close, client first: the client shuts its write side, the "
         "target sees end of file yet its reply still reaches the client, "
         "then the tunnel ends",
      hints={hints.CLOSED: HALF_CLOSE_HINT, hints.TRUNCATED: HALF_CLOSE_HINT,
             hints.RESET: HALF_CLOSE_HINT, hints.TIMEOUT: HALF_CLOSE_HINT,
             hints.STAYS_OPEN: HALF_CLOSE_HINT},
      rules=("4.3.d",))
def half_close_from_client(t: Context) -> None:
    proxy, target = setup(t, echo=False, on_eof=WAIT)
    request, reply = t.rng.randbytes(5000), t.rng.randbytes(300 * KIBIBYTE)
    t.reproduce(f"(printf 'reply\\n' | nc -N -l 127.0.0.1 {target.port} &); "
                f"sleep 0.2; printf 'CONNECT 127.0.0.1:{target.port} "
                f"HTTP/1.1\\r\\n\\r\\nrequest\\n' | nc -N 127.0.0.1 {{port}}")
    tun = open_tunnel(t, proxy, target.authority)
    link = first_link(t, target)
    tun.sock.sendall(request)
    tun.sock.shutdown(socket.SHUT_WR)
    wait_ended(t, link, "the target to see the client's end of file")
    if not link.eof:
        t.fail(hints.RESET, "the target's connection was reset when the "
               "client half-closed: pass an end of file on with "
               "shutdown(SHUT_WR), never close")
    t.expect_bytes(link.data, request, "what the target received before "
                   "its end of file")
    link.send(reply)
    link.shutdown_write()
    expect(t, tun, reply, f"the target's {len(reply)}-byte reply, sent "
           "after the client's end of file", eof=True)


@test(7, "half-close, target first: the target shuts its write side, the "
         "client sees end of file yet its bytes still reach the target, "
         "then the tunnel ends",
      hints={hints.CLOSED: HALF_CLOSE_HINT, hints.TRUNCATED: HALF_CLOSE_HINT,
             hints.RESET: HALF_CLOSE_HINT, hints.TIMEOUT: HALF_CLOSE_HINT,
             hints.STAYS_OPEN: HALF_CLOSE_HINT},
      rules=("4.3.d",))
def half_close_from_target(t: Context) -> None:
    proxy, target = setup(t, echo=False, on_eof=WAIT)
    news, answer = t.rng.randbytes(200 * KIBIBYTE), t.rng.randbytes(9000)
    tun = open_tunnel(t, proxy, target.authority)
    link = first_link(t, target)
    link.send(news)
    link.shutdown_write()
    expect(t, tun, news, f"the target's {len(news)} bytes, then its end of "
           "file", eof=True)
    try:
        tun.sock.sendall(answer)
        tun.sock.shutdown(socket.SHUT_WR)
    except (BrokenPipeError, ConnectionResetError):
        t.fail(hints.CLOSED, "the proxy closed the client's connection when "
               "the target half-closed: the client could no longer send")
    wait_ended(t, link, "the target to see the client's end of file")
    t.expect_bytes(link.data, answer, "what the target received after its "
                   "own end of file")
    if not link.eof:
        t.fail(hints.RESET, "the target's connection was reset instead of "
               "ending with the client's end of file")


# The tests: resets and errors end one tunnel only.

@test(6, "a client that resets mid-tunnel makes the proxy close the "
         "target's connection, and the proxy serves the next tunnel",
      hints={hints.TIMEOUT: CLOSE_HINT},
      rules=("4.3.e",))
def client_resets(t: Context) -> None:
    proxy, target = setup(t)
    tun = open_tunnel(t, proxy, target.authority)
    link = first_link(t, target)
    round_trip(t, tun, t.rng.randbytes(4000), "the echo before the reset")
    abort(tun.sock)
    wait_ended(t, link, "the target to see the tunnel end after the "
               "client's reset")
    session(t, proxy, target)


@test(6, "a target that resets mid-tunnel makes the proxy close the "
         "client's connection, and the proxy serves the next tunnel",
      hints={hints.TIMEOUT: CLOSE_HINT, hints.STAYS_OPEN: CLOSE_HINT},
      rules=("4.3.e",))
def target_resets(t: Context) -> None:
    proxy, target = setup(t)
    tun = open_tunnel(t, proxy, target.authority)
    link = first_link(t, target)
    round_trip(t, tun, t.rng.randbytes(4000), "the echo before the reset")
    link.reset()
    expect_end(t, tun, "the end of the client's connection after the "
               "target's reset")
    session(t, proxy, target)


# The tests: a real client, and the checks before a tunnel opens.

@test(7, "curl fetches an HTTPS page (a self-signed certificate for "
         "localhost) through the proxy's tunnel, body intact",
      timeout=20,
      hints={hints.NOT_BUILT: "Install curl and openssl (make deps).",
             hints.DIFFERS: "curl sends 'CONNECT localhost:PORT', waits "
                            "for the 200 and then runs TLS through the "
                            "tunnel. If other tests fail, fix them first; "
                            "else run the curl command below and read its "
                            "error."},
      rules=("4.3.a",))
def tls_through_tunnel(t: Context) -> None:
    body = t.rng.randbytes(256 * KIBIBYTE)
    with t.step("making a certificate with openssl"):
        try:
            origin = t.use(TlsOrigin(body))
        except CertificateError as exc:
            t.fail(hints.NOT_BUILT, f"cannot make a certificate: {exc}")
    proxy = t.start(["-p", str(origin.port)])
    seconds = str(max(1, int(t.limit)))
    argv = ["curl", "-q", "-sS", "-f", "--max-time", seconds, "--proxy",
            f"http://127.0.0.1:{proxy.port}", "--cacert", str(origin.cert),
            origin.url("/")]
    t.reproduce(f"cd /tmp && openssl req -x509 -newkey ec -pkeyopt "
                f"ec_paramgen_curve:prime256v1 -nodes -keyout key.pem -out "
                f"cert.pem -subj /CN=localhost -addext subjectAltName="
                f"DNS:localhost 2>/dev/null && (openssl s_server -quiet -www "
                f"-accept {origin.port} -cert cert.pem -key key.pem &) && "
                f"sleep 0.5 && curl -sS --proxy http://127.0.0.1:{{port}} "
                f"--cacert cert.pem https://localhost:{origin.port}/ | head")
    got = run_tool(t, argv, tool_env())
    t.expect_bytes(got, body, "the body curl received over TLS")
    heads = origin.wait_for(1, t.limit)
    if not heads or not heads[0].startswith(b"GET / HTTP/1.1\r\n"):
        t.fail(hints.DIFFERS, "the HTTPS origin did not receive curl's "
               "request", "\n".join(origin.errors))


@test(6, "CONNECT to a port outside the allow-list (-p) gets 403 and the "
         "proxy never connects there, while an allowed port tunnels",
      hints={hints.DIFFERS: "tunnel_serve: after parsing the authority, "
                            "check its port with tunnel_port_allowed "
                            "(cfg->ports, from -p) and answer 403 before "
                            "connecting; the allow-list is what keeps the "
                            "proxy from being a path to any port (SMTP, "
                            "databases) on the inside."},
      rules=("4.1.b",))
def forbidden_port(t: Context) -> None:
    elsewhere = t.use(Target())
    proxy, target = setup(t, ports=(443,))
    t.reproduce("printf 'CONNECT 127.0.0.1:25 HTTP/1.1\\r\\n\\r\\n' | "
                "nc -N 127.0.0.1 {port}")
    session(t, proxy, target)
    expect_connect_error(t, proxy, elsewhere.authority, 403)
    if elsewhere.attempts():
        t.fail(hints.DIFFERS, f"the proxy answered 403 but connected to "
               f"{elsewhere.authority} first: check the allow-list before "
               "connecting")


@test(5, "CONNECT to an allowed port where nothing listens gets 502, and "
         "the proxy serves the next tunnel",
      hints={hints.DIFFERS: "connect_target: net_connect fails with "
                            "ECONNREFUSED when nothing listens: answer "
                            "502 (504 only when connecting timed out)."},
      rules=("4.2.a",))
def refused_port(t: Context) -> None:
    closed = closed_port(t)
    proxy, target = setup(t, ports=(closed,))
    t.reproduce(f"printf 'CONNECT 127.0.0.1:{closed} HTTP/1.1\\r\\n\\r\\n' "
                f"| nc -N 127.0.0.1 {{port}}")
    expect_connect_error(t, proxy, f"127.0.0.1:{closed}", 502)
    session(t, proxy, target)


@test(6, "CONNECT targets that are not host:port (no port, port 0, port "
         "99999, an empty port, a path, a path after the port, user info, "
         "a scheme) get 400 and never reach the target",
      hints={hints.DIFFERS: "tunnel_parse_authority: 'host:port' or "
                            "'[v6]:port' only, port 1 to 65535 in digits; "
                            "anything else is 400, decided before the "
                            "allow-list (403) and before connecting."},
      rules=("4.1.a",))
def bad_authority(t: Context) -> None:
    proxy, target = setup(t)
    port = target.port
    t.reproduce("printf 'CONNECT 127.0.0.1:99999 HTTP/1.1\\r\\n\\r\\n' | "
                "nc -N 127.0.0.1 {port}")
    session(t, proxy, target)
    for authority in ("127.0.0.1", "127.0.0.1:0", "127.0.0.1:99999",
                      "127.0.0.1:", "/x", f"127.0.0.1:{port}/x",
                      f"user@127.0.0.1:{port}", f"http://127.0.0.1:{port}"):
        expect_connect_error(t, proxy, authority, 400)
    if target.attempts() != 1:
        t.fail(hints.DIFFERS, f"the target saw {target.attempts() - 1} "
               "connections for malformed CONNECT targets: reject them "
               "with 400 before connecting")


# The tests: resources.

@test(6, f"a silent tunnel is closed after the idle time (-i {IDLE_MS}): "
         "both ends see end of file, and with one worker (-n 1) the next "
         "tunnel is served",
      hints={hints.TIMEOUT: "relay: pass cfg->idle_ms as poll()'s timeout; "
                            "poll returning 0 means both directions were "
                            "silent that long: end the tunnel and close "
                            "the target's socket, so that both ends see "
                            "it end and the worker is free for the next "
                            "client.",
             hints.STAYS_OPEN: "relay: pass cfg->idle_ms as poll()'s "
                               "timeout and end the tunnel when it "
                               "returns 0."},
      rules=("4.3.e",))
def idle_tunnel(t: Context) -> None:
    proxy, target = setup(t, ("-n", "1", "-i", str(IDLE_MS)))
    t.reproduce(f"(nc -l 127.0.0.1 {target.port}; echo target: closed) & "
                f"sleep 0.2; (printf 'CONNECT 127.0.0.1:{target.port} "
                f"HTTP/1.1\\r\\n\\r\\n'; sleep 3) | {NC}")
    tun = open_tunnel(t, proxy, target.authority)
    link = first_link(t, target)
    expect_end(t, tun, f"the end of the tunnel after {IDLE_MS} ms of "
               "silence")
    wait_ended(t, link, "the target to see the idle tunnel end")
    session(t, proxy, target)


@test(4, "an idle tunnel costs no CPU: poll() waits, it does not spin",
      hints={hints.DIFFERS: "The proxy burned CPU while nothing moved: a "
                            "loop that retries recv/send with MSG_DONTWAIT "
                            "(or polls with a timeout of 0) spins. Block in "
                            "poll() on both sockets, with cfg->idle_ms as "
                            "its timeout, and watch POLLOUT only while a "
                            "direction holds bytes to write."},
      rules=("4.3.c",))
def no_busy_wait(t: Context) -> None:
    proxy, target = setup(t)
    tun = open_tunnel(t, proxy, target.authority)
    link = first_link(t, target)
    round_trip(t, tun, t.rng.randbytes(100), "the echo before the pause")
    before, started = cpu_seconds(proxy.pid), time.monotonic()
    time.sleep(IDLE_WATCH * t.options.stretch)
    used, elapsed = cpu_seconds(proxy.pid) - before, \
        time.monotonic() - started
    t.log(f"{used:.3f} s of CPU in {elapsed:.3f} s of an idle tunnel")
    if used > CPU_SHARE * elapsed:
        t.fail(hints.DIFFERS, f"while a tunnel sat idle for {elapsed:.2f} "
               f"s, the proxy used {used:.2f} s of CPU: it spins instead "
               "of waiting")
    round_trip(t, tun, t.rng.randbytes(100), "the echo after the pause")
    end_session(t, tun, link)


def fd_session(t: Context, proxy: procs.Program, target: Target, kind: int,
               closed: int) -> None:
    """One of the fd test's sessions, ending in one of five ways. After a
    client's reset it does not wait for the target to see the end: the
    descriptor count tells whether the proxy closed it."""
    if kind == 3:
        expect_connect_error(t, proxy, f"127.0.0.1:{closed}", 502)
        return
    if kind == 4:
        expect_connect_error(t, proxy, "127.0.0.1", 400)
        return
    number = len(target.links) + 1
    tun = open_tunnel(t, proxy, target.authority)
    link = first_link(t, target, number)
    round_trip(t, tun, t.rng.randbytes(300), "the echo")
    if kind == 0:
        end_session(t, tun, link)
    elif kind == 1:
        abort(tun.sock)
        return
    else:
        link.reset()
        expect_end(t, tun, "the end of the tunnel after the target's reset")
    harness.close_socket(tun.sock)


@test(6, f"after {FD_TUNNELS} tunnels (ended by end of file, client reset, "
         "target reset, 502 and 400), the proxy holds no more descriptors "
         "than before",
      timeout=30,
      hints={hints.DIFFERS: "Descriptors leak: tunnel_serve opens the "
                            "target's socket, so it must close it on every "
                            "path out (after the relay, and when answering "
                            "fails); the glue closes the client's."},
      rules=("4.3.e",))
def no_fd_leak(t: Context) -> None:
    closed = closed_port(t)
    proxy, target = setup(t, ports=(closed,))
    baseline = open_fds(proxy.pid)
    for i in range(FD_TUNNELS):
        fd_session(t, proxy, target, i % 5, closed)
    with t.step("waiting for the proxy's descriptors to close"):
        deadline = time.monotonic() + SETTLE_SHARE * t.limit
        while len(now := open_fds(proxy.pid)) > len(baseline) + FD_SLACK:
            if time.monotonic() > deadline:
                extra = sorted(set(now) - set(baseline))
                t.fail(hints.DIFFERS, f"after {FD_TUNNELS} tunnels had "
                       f"ended, the proxy held {len(now)} descriptors, "
                       f"{len(baseline)} before them",
                       f"some of them: {', '.join(extra[:8])}")
            time.sleep(POLL_PAUSE)


@test(4, "plain HTTP requests still work on the same proxy, while a "
         "tunnel is open and after it",
      hints={hints.DIFFERS: "Only CONNECT opens a tunnel; other methods "
                            "still go through forward_request."},
      rules=("4.0.a",))
def http_alongside(t: Context) -> None:
    proxy, target = setup(t)
    origin = t.use(Origin())
    tun = open_tunnel(t, proxy, target.authority)
    link = first_link(t, target)
    round_trip(t, tun, t.rng.randbytes(2000), "the echo through the tunnel")
    served(t, proxy, origin, "a GET while a tunnel is open")
    round_trip(t, tun, t.rng.randbytes(2000), "the echo after the GET")
    end_session(t, tun, link)
    served(t, proxy, origin, "a GET after the tunnel")


@test(4, "under valgrind, tunnels ended by end of file, half-close and "
         "resets, and refused CONNECTs (400, 403, 502), then SIGTERM, show "
         "no memory errors and no definite leaks", timeout=60,
      rules=("4.0.a",))
def valgrind_clean(t: Context) -> None:
    closed = closed_port(t)
    target = t.use(Target())
    proxy = t.start(["-p", f"{target.port},{closed}"], valgrind=True)
    session(t, proxy, target, 20000)
    for kind in (1, 2):
        fd_session(t, proxy, target, kind, closed)
    target.configure(echo=False, on_eof=WAIT)
    tun = open_tunnel(t, proxy, target.authority)
    link = first_link(t, target, 4)
    link.send(b"bye\n")
    link.shutdown_write()
    expect(t, tun, b"bye\n", "the target's bytes and end of file", eof=True)
    tun.sock.sendall(b"ok\n")
    tun.sock.shutdown(socket.SHUT_WR)
    wait_ended(t, link, "the target to see the client's end of file")
    for authority in (f"127.0.0.1:{closed}", "127.0.0.1:1", "127.0.0.1"):
        expect_connect_error(t, proxy, authority, None)
    expect_stop(t, proxy, signal.SIGTERM, "at the end of the session")


unit_tunnel = units.suite_test(
    __name__, 10, "tunnel",
    "the CONNECT target and allow-list rules of lab4.1",
    ("4.1.a", "4.1.b"))
