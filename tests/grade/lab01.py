"""lab01.py - the graded tests of lab 01, the echo server (labs/01-echo).

Each test starts its own server on port 0 and talks to it over loopback.
The data is random, drawn from the run's seed, so that no reply can be
hard-coded; tests wait for events (a reply, an end of file, an exit), never
for a length of time, and every loop is bounded by its data or the test's
time limit. Each test is meant to catch a plausible broken echo: strlen on
the line, a write that ignores short counts, a server that stops after one
client or after a client vanishes, a buffer one byte too small, an over-long
line echoed instead of rejected, no idle timeout, no clean stop.
"""
from __future__ import annotations
import ipaddress
import os
import select
import signal
import socket
import time

import hints
from bytediff import shell_printf
from harness import Context, expect_stop, test
from netutil import abort, send_buffer_max
from procs import fd_count, fd_targets

TITLE = "echo server"
PROGRAM = 1

MAXLINE = 8192                                 # ECHO_MAXLINE in echo.h
TOOLONG = b"error: line longer than 8192 bytes\n"  # ECHO_TOOLONG in echo.h
IDLE_MS = 300                                  # the -i of the idle test
FD_ROUNDS = 10               # rounds of 4 clients in the descriptor test
FD_SETTLE = 2.0              # seconds for the last close to be seen
MEBIBYTE = 1 << 20
BULK_CAP = 32 << 20          # the most the bulk test sends
LONGEST_LINE = 4096          # the longest line of the bulk payloads
SMALL_BUFFER = 16 << 10      # client buffers that make a server wait
PIECES = 50                  # the split test's sends
PIECE_PAUSE = 0.002          # seconds between them, so they travel apart
STALL = 0.25                 # seconds of no progress: it stopped reading
PRINTABLE = bytes(range(0x20, 0x7f))
TO_PRINTABLE = bytes(PRINTABLE[b % len(PRINTABLE)] for b in range(256))
BINARY_SAMPLE = b"ab\0cd\x80\xff\r\n"  # for reproducing by hand
NC = "nc -N 127.0.0.1 {port}"  # the client of the reproduce-by-hand lines

HINTS = {
    hints.NO_STOP: "echo_serve: when net_accept fails with ECANCELED (the "
                   "stop fd became readable: SIGTERM or SIGINT), return 0; "
                   "a client being served is let go the same way, through "
                   "the cancel fd of its rio.",
    hints.TRUNCATED: "echo_lines: write each line with rio_writen(rp, line, "
                     "n), n being what rio_readline returned. A plain write "
                     "may send fewer bytes than asked; rio_writen loops until "
                     "all are sent.",
    hints.NUL: "echo_lines: strlen and printf(\"%s\") stop at the first NUL "
               "byte. Write the n bytes rio_readline returned with "
               "rio_writen; never measure the line again.",
    hints.EXTRA: "echo_lines: write exactly n bytes, the count rio_readline "
                 "returned (not sizeof(line), not n + 1), once per line.",
    hints.DIFFERS: "echo_lines: write each line once, from the start of the "
                   "buffer, with the count rio_readline returned. One struct "
                   "rio per connection, initialised once: rio_init in the "
                   "loop throws away bytes already read ahead.",
    hints.STAYS_OPEN: "echo_lines: rio_readline returns 0 when the client "
                      "has closed its side; return the total then, so that "
                      "echo_serve closes the connection.",
    hints.REFUSED: "echo_serve: loop on net_accept and serve client after "
                   "client; return only when net_accept fails with "
                   "ECANCELED (a stop signal).",
    hints.RESET: "echo_serve: a client that vanishes makes rio_readline or "
                 "rio_writen fail (ECONNRESET, EPIPE). Log it, close that "
                 "connection and accept the next client; never exit.",
    hints.EXITED: "echo_serve must not return after a client or after one "
                  "client's error: only net_accept failing with ECANCELED "
                  "(a stop signal) ends it.",
    hints.TIMEOUT: "echo_lines: read with rio_readline, which returns as "
                   "soon as a whole line has come; a read of a fixed size "
                   "waits for bytes the client never sends.",
}


def printable(t: Context, length: int) -> bytes:
    """length random printable bytes (no '\\n')."""
    return t.rng.randbytes(length).translate(TO_PRINTABLE)


def text_line(t: Context, length: int) -> bytes:
    """A random printable line of length bytes, '\\n' included."""
    return printable(t, length - 1) + b"\n"


def binary(t: Context, length: int) -> bytes:
    """length random bytes of any value except '\\n'."""
    data = t.rng.randbytes(length)
    return data.replace(b"\n", bytes([t.rng.choice(b"\0\r\x80\xff")]))


def random_lines(t: Context, total: int) -> bytes:
    """About total bytes of printable lines, 1 to LONGEST_LINE bytes each."""
    text = bytearray(printable(t, total))
    end = 0
    while end < total:
        end += t.rng.randint(1, LONGEST_LINE)
        text[min(end, total) - 1] = ord("\n")
    return bytes(text)


def bulk_size() -> int:
    """1 MiB more than a socket's send buffer can grow to (tcp_wmem's
    maximum), so that a server cannot echo it all without waiting."""
    return send_buffer_max(BULK_CAP) + MEBIBYTE


def session(t: Context, port: int, payload: bytes, what: str) -> None:
    """One client: send payload, close its side, and expect payload back
    followed by end of file (a reader drains the replies meanwhile)."""
    sock = t.connect(port)
    finish = t.drain(sock, payload, what)
    sock.sendall(payload)
    sock.shutdown(socket.SHUT_WR)
    finish()


def fill(t: Context, sock: socket.socket, data: bytes) -> int:
    """Send data, reading no reply, until all is sent or the connection
    takes nothing for STALL seconds: a server that waits when it cannot
    write has then stopped reading. Returns the number of bytes sent.

    A server that drops what it cannot write at once never stalls, so it
    gets everything and must lose some of its echo.
    """
    timeout = sock.gettimeout()
    sock.setblocking(False)
    sent = 0
    try:
        while sent < len(data):
            try:
                sent += sock.send(data[sent:sent + 65536])
            except BlockingIOError:
                stall = STALL * t.options.stretch
                if not select.select([], [sock], [], stall)[1]:
                    break
    finally:
        sock.settimeout(timeout)
    return sent


def vanish(t: Context, port: int) -> None:
    """A client that sends half a line and resets the connection."""
    sock = t.connect(port)
    sock.sendall(printable(t, 60))
    abort(sock)


def listening_addresses(pid: int) -> list[str]:
    """The local addresses of the TCP sockets process pid listens on."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        target = os.readlink(f"/proc/{pid}/fd/{fd}")
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as rows:
            for row in list(rows)[1:]:
                cols = row.split()
                if cols[3] == "0A" and cols[9] in inodes:  # 0A: LISTEN
                    found.append(str(proc_address(cols[1].split(":")[0])))
    return found


def proc_address(hexed: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """Decode an address of /proc/net/tcp*: 32-bit words in host order."""
    raw = bytes.fromhex(hexed)
    words = [raw[i:i + 4] for i in range(0, len(raw), 4)]
    return ipaddress.ip_address(b"".join(w[::-1] for w in words))


@test(5, "one line comes back unchanged, then end of file once the client "
         "closes its side",
      rules=("1.1.a",))
def echo_one_line(t: Context) -> None:
    server = t.start()
    line = text_line(t, 40)
    t.reproduce(f"printf 'hello\\n' | {NC}")
    sock = t.connect(server.port)
    sock.sendall(line)
    t.expect_reply(sock, line, "the echo of the line", eof=False)
    sock.shutdown(socket.SHUT_WR)
    t.expect_reply(sock, b"", "what followed the echo")


@test(5, "1000 lines sent in one burst come back complete and in order",
      rules=("1.1.b",))
def echo_many_lines(t: Context) -> None:
    server = t.start()
    payload = b"".join(text_line(t, t.rng.randint(1, 120))
                       for _ in range(1000))
    t.reproduce(f"seq 1000 | {NC}")
    session(t, server.port, payload, "the echo of 1000 lines")


@test(15, "a line holding NUL, CR and 0x80-0xff bytes comes back byte for "
          "byte",
      hints={hints.DIFFERS: "echo_lines: binary bytes must pass unchanged: "
                            "no strlen, no printf(\"%s\"), no string "
                            "functions on the line; write the n bytes "
                            "rio_readline returned with rio_writen."},
      rules=("1.1.a",))
def echo_binary_bytes(t: Context) -> None:
    server = t.start()
    payload = (printable(t, 8) + b"\0" + binary(t, 200) + b"\x80\xff\r\n"
               + text_line(t, 30) + b"\0" + binary(t, 50) + b"\r\n")
    t.reproduce(f"{shell_printf(BINARY_SAMPLE)} | {NC} | od -c")
    session(t, server.port, payload, "the echo of 3 lines of binary bytes")


@test(5, "a line sent in 50 small pieces comes back whole",
      rules=("1.1.a",))
def echo_split_line(t: Context) -> None:
    server = t.start()
    line = text_line(t, 2 * PIECES)
    sock = t.connect(server.port)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for i in range(0, len(line), 2):
        sock.sendall(line[i:i + 2])
        time.sleep(PIECE_PAUSE)
    t.expect_reply(sock, line, "the echo of the line", eof=False)
    sock.shutdown(socket.SHUT_WR)
    t.expect_reply(sock, b"", "what followed the echo")


@test(10, "lines totalling 1 MiB more than the kernel's largest send "
          "buffer, sent while the replies are read, come back identical "
          "even though the server has to wait to write",
      rules=("1.1.b",))
def echo_bulk_payload(t: Context) -> None:
    server = t.start()
    payload = random_lines(t, bulk_size())
    t.reproduce(f"head -c {len(payload)} /dev/urandom | base64 | {NC} "
                "| wc -c")
    sock = t.connect(server.port, bufsize=SMALL_BUFFER)
    sent = fill(t, sock, payload)
    t.log(f"the server took {sent} of {len(payload)} bytes before it had "
          "to wait")
    finish = t.drain(sock, payload, f"the echo of {len(payload)} bytes of "
                     "lines")
    sock.sendall(payload[sent:])
    sock.shutdown(socket.SHUT_WR)
    finish()


@test(5, "three clients, one after another, each get exactly their own "
         "lines back",
      rules=("1.2.a",))
def echo_clients_in_turn(t: Context) -> None:
    server = t.start()
    for client in range(1, 4):
        payload = b"".join(b"client %d: " % client + text_line(t, 60)
                           for _ in range(3))
        session(t, server.port, payload, f"the echo to client {client}")


@test(10, "a client that resets mid-line and one that leaves without "
          "reading do not stop the server: the next client is served",
      rules=("1.2.b",))
def echo_vanishing_client(t: Context) -> None:
    server = t.start()
    vanish(t, server.port)
    t.log("client 1 sent half a line and reset the connection")
    rude = t.connect(server.port, bufsize=SMALL_BUFFER)
    sent = fill(t, rude, random_lines(t, MEBIBYTE))
    rude.close()
    t.log(f"client 2 sent {sent} bytes and left without reading")
    session(t, server.port, text_line(t, 50), "the echo to client 3")


@test(5, f"a line of exactly {MAXLINE} bytes ('\\n' included) is echoed",
      hints={hints.DIFFERS: "echo_lines: the buffer needs ECHO_MAXLINE + 1 "
                            "bytes: the line plus the NUL rio_readline adds. "
                            "One byte less and an 8192-byte line counts as "
                            "too long."},
      rules=("1.1.c",))
def echo_max_line(t: Context) -> None:
    server = t.start()
    payload = text_line(t, MAXLINE) + text_line(t, 20)
    t.reproduce(f"(head -c {MAXLINE - 1} /dev/zero | tr '\\0' x; echo) "
                f"| {NC} | wc -c")
    session(t, server.port, payload,
            f"the echo of a line of {MAXLINE} bytes and a short one")


@test(10, "a 9000-byte line gets exactly ECHO_TOOLONG, then end of file, "
          "and the next client is still served",
      hints={hints.CLOSED: "echo_lines: when rio_readline fails with errno "
                           "EMSGSIZE, write ECHO_TOOLONG "
                           "(sizeof(ECHO_TOOLONG) - 1 bytes) before "
                           "returning -1.",
             hints.DIFFERS: "echo_lines: an over-long line is rejected, not "
                            "echoed in pieces: on EMSGSIZE send ECHO_TOOLONG "
                            "and end the connection.",
             hints.RESET: "echo_lines: when rio_readline fails with errno "
                          "EMSGSIZE, write ECHO_TOOLONG "
                          "(sizeof(ECHO_TOOLONG) - 1 bytes) before "
                          "returning -1.",
             hints.EXTRA: "echo_lines: after ECHO_TOOLONG, return -1: the "
                          "rest of the over-long line must not be echoed."},
      rules=("1.1.c", "1.2.b"))
def echo_too_long_line(t: Context) -> None:
    server = t.start()
    t.reproduce(f"(head -c 8999 /dev/zero | tr '\\0' x; echo) | {NC}")
    sock = t.connect(server.port)
    sock.sendall(text_line(t, 9000))
    t.expect_reply(sock, TOOLONG, "the reply to a 9000-byte line")
    session(t, server.port, text_line(t, 50), "the echo to the next client")


@test(5, f"a silent client is dropped after the idle time (-i {IDLE_MS}), "
         "so the client waiting behind it is served",
      hints={hints.STAYS_OPEN: "echo_serve: call rio_set_idle_timeout(&rio, "
                               "cfg->idle_ms) on each client's rio, so that "
                               "rio_readline gives up (ETIMEDOUT) on a "
                               "silent client, and close its socket on that "
                               "error path too.",
             hints.TIMEOUT: "echo_serve: call rio_set_idle_timeout(&rio, "
                            "cfg->idle_ms) on each client's rio, so that a "
                            "silent client is dropped and the next served."},
      rules=("1.2.c",))
def echo_idle_timeout(t: Context) -> None:
    server = t.start(["-i", str(IDLE_MS)])
    silent = t.connect(server.port)
    waiting = t.connect(server.port)
    line = text_line(t, 30)
    waiting.sendall(line)
    t.expect_reply(silent, b"", "what the silent client got")
    t.expect_reply(waiting, line, "the echo to the waiting client",
                   eof=False)


@test(5, f"a client that sends lines but never reads their echo is dropped "
         f"once a write has waited the idle time (-i {IDLE_MS}), so the "
         "client behind it is served",
      hints={hints.TIMEOUT: "echo_lines: write with rio_writen on the "
                            "client's rio: its idle timeout bounds a write "
                            "that cannot go on (ETIMEDOUT) as well as a "
                            "read. A write() or send() of your own blocks "
                            "for ever on a client that stops reading.",
             hints.DIFFERS: "A client that stops reading must not stop "
                            "the server: give up on it when rio_writen "
                            "fails, close it, and accept the next."},
      rules=("1.2.c",))
def echo_stalled_reader(t: Context) -> None:
    server = t.start(["-i", str(IDLE_MS)])
    stalled = t.open_socket(SMALL_BUFFER)
    stalled.connect(("127.0.0.1", server.port))
    with t.step("sending lines to the server without reading the echo"):
        try:
            fill(t, stalled, text_line(t, 1000) * (8 * 1024))
        except (ConnectionResetError, BrokenPipeError):
            pass              # dropped already: what should happen
    waiting = t.connect(server.port)
    line = text_line(t, 30)
    waiting.sendall(line)
    t.expect_reply(waiting, line, "the echo to the client behind one that "
                   "never reads", eof=False)
    t.reproduce(f"yes | {NC} >/dev/null & sleep 0.5; kill -STOP $!; echo hi "
                f"| {NC}  # the second client is served within -i")


@test(5, "after 40 clients that end every way (closing, resetting "
         "mid-line, sending a line too long, staying silent past -i), the "
         "server holds no more descriptors than before them "
         "(/proc/PID/fd)",
      hints={hints.DIFFERS: "echo_serve: close each client's socket once, "
                            "however echo_lines ended (end of file, an "
                            "error, a line too long, the idle timeout): a "
                            "server that forgets one close on an error path "
                            "runs out of descriptors in time."},
      rules=("1.2.a",))
def echo_no_fd_leak(t: Context) -> None:
    server = t.start(["-i", str(IDLE_MS)])
    session(t, server.port, text_line(t, 40), "the echo to the first client")
    before = fd_count(server, "before the clients")
    for n in range(FD_ROUNDS):
        session(t, server.port, text_line(t, 40), f"the echo to client {n}")
        vanish(t, server.port)
        sock = t.connect(server.port)
        sock.sendall(text_line(t, 9000))
        t.expect_reply(sock, TOOLONG, "the reply to a 9000-byte line")
        t.expect_reply(t.connect(server.port), b"", "what a silent client "
                       "got once the idle time had passed")
    session(t, server.port, text_line(t, 40), "the echo to the last client")
    t.reproduce("ls -l /proc/$(pgrep -n 01-echo)/fd  # while clients come "
                "and go")
    settled = time.monotonic() + FD_SETTLE
    while fd_count(server, "after the clients") > before:
        if time.monotonic() > settled:
            t.fail(hints.DIFFERS, f"the server held {before} descriptors "
                   f"before {4 * FD_ROUNDS} clients and "
                   f"{fd_count(server, 'after them')} after them, all gone",
                   "its descriptors now:\n  " +
                   "\n  ".join(fd_targets(server)))
        time.sleep(0.05)


@test(5, "SIGTERM with a client connected, and SIGINT while waiting for "
         "one, each make the server exit with status 0",
      hints={hints.TIMEOUT: "echo_serve: pass cfg->stop_fd to net_accept "
                            "and to rio_set_cancel on each client's rio, so "
                            "a stop signal ends any wait; return 0 on "
                            "ECANCELED.",
             hints.EXITED: "echo_serve: return 0 when net_accept fails with "
                           "ECANCELED; main then exits with status 0."},
      rules=("1.2.d",))
def echo_stops_on_signal(t: Context) -> None:
    busy = t.start()
    sock = t.connect(busy.port)
    line = text_line(t, 30)
    sock.sendall(line)
    t.expect_reply(sock, line, "the echo of the line", eof=False)
    expect_stop(t, busy, signal.SIGTERM, "with a client connected")
    expect_stop(t, t.start(), signal.SIGINT, "while waiting for a client")


@test(5, "the server listens on 127.0.0.1 only, unless told otherwise",
      hints={hints.DIFFERS: "main() in echo_main.c (given) listens on "
                            "127.0.0.1 unless -b says otherwise: restore "
                            "echo_main.c and net_listen's default."},
      rules=("1.0.a",))
def echo_loopback_only(t: Context) -> None:
    server = t.start()
    if server.host != "127.0.0.1":
        t.fail(hints.DIFFERS, f"the server logged 'listening on "
               f"{server.host}', expected 127.0.0.1")
    addresses = listening_addresses(server.pid)
    if addresses != ["127.0.0.1"]:
        t.fail(hints.DIFFERS, f"the server listens on {addresses}, "
               "expected ['127.0.0.1'] only")
    # A stub that exits right after listening must not pass by a race:
    # the server proves it serves on that address.
    session(t, server.port, text_line(t, 20), "the echo on 127.0.0.1")


@test(5, "under valgrind, a session of lines, binary bytes and a vanishing "
         "client, then SIGTERM, shows no memory errors and no definite "
         "leaks", timeout=30,
      rules=("1.0.b",))
def echo_valgrind_clean(t: Context) -> None:
    server = t.start(valgrind=True)
    payload = text_line(t, 50) + printable(t, 5) + b"\0" + binary(t, 100) \
        + b"\n"
    session(t, server.port, payload, "the echo of text and binary lines")
    vanish(t, server.port)
    session(t, server.port, text_line(t, 50), "the echo to the next client")
    expect_stop(t, server, signal.SIGTERM, "at the end of the session")
