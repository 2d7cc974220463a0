"""connect_target.py - the far ends of CONNECT tunnels, fixtures of lab 04.

Two servers a test starts, points a tunnel at, and closes when it ends
(t.use() tracks them):

Target, a raw TCP server on 127.0.0.1 or ::1, port 0. Every connection it
accepts is a Link that records what arrives (all of it, up to a cap, with
a running SHA-256), notes end of file and resets, and acts as the test
says: echo what it receives, send a greeting and scripted bytes, half-close
(shutdown SHUT_WR) on command or as soon as the peer's end of file comes,
reset (SO_LINGER 0), close, or stop reading after so many bytes (with a
small receive buffer, so that the proxy soon cannot write to it) until
told to go on. One thread owns each connection's socket; the
test hands it commands through a queue and a wake-up pipe, so a reset
never races a receive.

TlsOrigin, an HTTPS server for real clients (curl): at start-up it makes a
self-signed certificate for "localhost" (and 127.0.0.1) with the openssl
command line, in a temporary directory, then answers every request with a
known body over TLS (Python's ssl module).

Every thread is a daemon and every wait is bounded (by LIFETIME, and woken
by close()); close() wakes and joins everything within netutil.JOIN_GRACE s.
"""
from __future__ import annotations
import contextlib
import hashlib
import select
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path

import netutil
from netutil import LIFETIME, READ_SIZE

SHUTDOWN = "shutdown"      # on the peer's end of file: half-close ours too
CLOSE = "close"            # on the peer's end of file: close the socket
WAIT = "wait"              # on the peer's end of file: wait to be told
ON_EOF = (SHUTDOWN, CLOSE, WAIT)

MAX_KEEP = 64 << 20        # bytes of a connection's input kept at most
MAX_HEAD = 64 << 10        # bytes of an HTTPS request head read at most
OPENSSL_TIMEOUT = 60.0     # seconds openssl may take to make a certificate
TLS_HOST = "localhost"     # the name the certificate is for


class Link:
    """One connection a Target accepted: what came on it, what it did.

    The test reads the fields (under the target's lock, through the
    wait_* methods) and gives commands (send, shutdown_write, reset,
    close) that the connection's own thread carries out in order.
    """

    def __init__(self, target: "Target", number: int, sock: socket.socket,
                 peer: tuple, echo: bool, on_eof: str,
                 pause_after: int | None) -> None:
        self.number = number          # 1 for the first connection accepted
        self.peer = peer              # the proxy's address and port
        self.echo = echo              # send back whatever arrives
        self.on_eof = on_eof          # SHUTDOWN, CLOSE or WAIT
        self.pause_after = pause_after  # stop reading after this many bytes
        self.received = bytearray()   # what arrived, MAX_KEEP bytes at most
        self.count = 0                # how many bytes arrived in all
        self.eof = False              # the peer's end of file came
        self.reset_seen = False       # the peer reset the connection
        self.write_closed = False     # we half-closed (or closed, reset)
        self.finished = False         # the socket is closed, the thread done
        self.error = ""               # what went wrong, if anything did
        self._digest = hashlib.sha256()
        self._target = target
        self._sock = sock
        self._commands: deque[tuple[str, bytes]] = deque()
        self._wake_r, self._wake_w = socket.socketpair()

    # What the test asks of the connection.

    def send(self, data: bytes) -> None:
        """Send data to the proxy (after anything asked before)."""
        self._command("send", data)

    def shutdown_write(self) -> None:
        """Half-close: send end of file, keep receiving."""
        self._command("shutdown")

    def reset(self) -> None:
        """Reset the connection (close with SO_LINGER 0: an RST)."""
        self._command("reset")

    def close(self) -> None:
        """Close the connection (a FIN, or an RST if input is unread)."""
        self._command("close")

    def resume(self) -> None:
        """Read again, without limit, after pause_after bytes."""
        self._command("resume")

    def _command(self, name: str, data: bytes = b"") -> None:
        """Queue a command for the connection's thread and wake it (a
        finished connection ignores it)."""
        with self._target.changed:
            if not self.finished:
                self._commands.append((name, data))
                self._wake_w.send(b"!")

    # What the test waits for.

    def wait_received(self, count: int, timeout: float = LIFETIME) -> bytes:
        """Wait until count bytes arrived (or the input ended); what came."""
        self._target.wait_until(
            lambda: self.count >= count or self.ended, timeout)
        return self.data

    def wait_ended(self, timeout: float = LIFETIME) -> bool:
        """Wait until the input ended (end of file, reset or closed);
        whether it has."""
        return self._target.wait_until(lambda: self.ended, timeout)

    def wait_finished(self, timeout: float = LIFETIME) -> bool:
        """Wait until the connection is closed; whether it is."""
        return self._target.wait_until(lambda: self.finished, timeout)

    @property
    def paused(self) -> bool:
        """True while the connection does not read (pause_after bytes
        came and resume() has not been asked for yet)."""
        return self.pause_after is not None and self.count >= \
            self.pause_after

    @property
    def ended(self) -> bool:
        """True once no more input can come: end of file, reset, closed."""
        return self.eof or self.reset_seen or self.finished

    @property
    def data(self) -> bytes:
        """What arrived so far (the first MAX_KEEP bytes)."""
        with self._target.changed:
            return bytes(self.received)

    def digest(self) -> str:
        """The SHA-256 of everything that arrived so far, in hex."""
        with self._target.changed:
            return self._digest.hexdigest()

    # The connection's thread.

    def serve(self) -> None:
        """Run the connection until it is finished; the thread's body."""
        try:
            while not self._target.stopping.is_set() and self._step():
                pass
        except (OSError, ValueError) as exc:
            self._note(error=f"{type(exc).__name__}: {exc}")
        finally:
            self._sock.close()
            self._target.forget(self._sock)
            self._note(finished=True)   # from now on, no command is sent
            self._wake_r.close()
            self._wake_w.close()

    def _step(self) -> bool:
        """Wait for input or a command and act on it; False when done."""
        watched = [self._wake_r, self._target.stop_r]
        if not self.ended and not self.paused:
            watched.append(self._sock)
        ready = select.select(watched, [], [], LIFETIME)[0]
        if not ready:
            self._note(error="nothing happened for the fixture's lifetime")
            return False
        if self._target.stop_r in ready:
            return False
        if self._wake_r in ready:
            self._wake_r.recv(4096)
            if not self._run_commands():
                return False
        if self._sock in ready and not self.ended and not self.paused:
            self._receive()
        return not (self.ended and self.write_closed)

    def _run_commands(self) -> bool:
        """Carry out the queued commands; False once the socket is gone."""
        while True:
            with self._target.changed:
                if not self._commands:
                    return True
                name, data = self._commands.popleft()
            if name == "send":
                self._sock.sendall(data)
            elif name == "shutdown":
                self._shutdown_write()
            elif name == "resume":
                self._note(pause_after=None)
            else:
                if name == "reset":
                    netutil.linger_zero(self._sock)
                self._note(write_closed=True)
                return False

    def _receive(self) -> None:
        """Receive once: keep and echo the bytes, or act on the end."""
        most = READ_SIZE if self.pause_after is None else \
            min(READ_SIZE, self.pause_after - self.count)
        try:
            chunk = self._sock.recv(most)
        except ConnectionResetError:
            self._note(reset_seen=True, write_closed=True)
            return
        if not chunk:
            self._note(eof=True)
            if self.on_eof == SHUTDOWN:
                self._shutdown_write()
            elif self.on_eof == CLOSE:
                self._note(write_closed=True)
            return
        with self._target.changed:
            room = MAX_KEEP - len(self.received)
            self.received += chunk[:max(0, room)]
            self.count += len(chunk)
            self._digest.update(chunk)
            self._target.changed.notify_all()
        if self.echo:
            self._sock.sendall(chunk)

    def _shutdown_write(self) -> None:
        """Send our end of file, once."""
        if not self.write_closed:
            self._sock.shutdown(socket.SHUT_WR)
            self._note(write_closed=True)

    def _note(self, **changes: object) -> None:
        """Update fields under the target's lock and wake the waiters."""
        with self._target.changed:
            for name, value in changes.items():
                if name != "error" or not self.error:
                    setattr(self, name, value)
            self._target.changed.notify_all()


class Target:
    """A raw TCP server on port 0: the far end of a tunnel.

    Use it as a fixture: target = t.use(Target()). New connections echo
    (echo) and answer the peer's end of file as on_eof says; greeting is
    sent to each as soon as it is accepted; with pause_after, each stops
    reading after that many bytes until its resume(). configure() changes
    these for the connections accepted after it. rcvbuf, if given, is the
    receive buffer of every connection (SO_RCVBUF, set before listening
    so that the TCP window matches).
    """

    def __init__(self, host: str = "127.0.0.1", echo: bool = True,
                 on_eof: str = SHUTDOWN, greeting: bytes = b"",
                 pause_after: int | None = None,
                 rcvbuf: int | None = None) -> None:
        self.host = host
        self.changed = threading.Condition()
        self.stopping = threading.Event()
        self._links: list[Link] = []
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self.configure(echo, on_eof, greeting, pause_after)
        self._listener = netutil.listen(host, 0, 128, rcvbuf)
        self._listener.setblocking(False)
        self.port: int = self._listener.getsockname()[1]
        self.stop_r, self._stop_w = socket.socketpair()  # readable: close()
        netutil.spawn(self._threads, self._accept_loop, "target accept")

    @property
    def authority(self) -> str:
        """"host:port" as a CONNECT request names it ("[::1]:port")."""
        return netutil.authority(self.host, self.port)

    def configure(self, echo: bool = True, on_eof: str = SHUTDOWN,
                  greeting: bytes = b"",
                  pause_after: int | None = None) -> None:
        """How the connections accepted from now on behave."""
        if on_eof not in ON_EOF:
            raise ValueError(f"on_eof must be one of {ON_EOF}")
        with self.changed:
            self._echo, self._on_eof = echo, on_eof
            self._greeting, self._pause_after = greeting, pause_after

    @property
    def links(self) -> list[Link]:
        """Every connection accepted so far, in order."""
        with self.changed:
            return list(self._links)

    def attempts(self) -> int:
        """Connections accepted so far plus any waiting to be accepted: a
        connection the proxy has made is counted, even if the accept
        thread has not taken it yet."""
        with self.changed:
            waiting = select.select([self._listener], [], [], 0)[0]
            return len(self._links) + (1 if waiting else 0)

    def wait_for(self, count: int, timeout: float = LIFETIME) -> list[Link]:
        """Wait until count connections were accepted (or timeout seconds
        passed, or the target was closed); every connection so far."""
        self.wait_until(lambda: len(self._links) >= count, timeout)
        return self.links

    def wait_until(self, ready: Callable[[], bool], timeout: float) -> bool:
        """Wait under the lock until ready() (or timeout, or close());
        whether ready() holds."""
        with self.changed:
            self.changed.wait_for(
                lambda: ready() or self.stopping.is_set(), timeout)
            return ready()

    def forget(self, sock: socket.socket) -> None:
        """A connection's socket is closed: stop tracking it."""
        with self.changed:
            self._sockets.discard(sock)

    def close(self) -> None:
        """Stop: wake every thread, shut every socket down, join the
        threads for at most JOIN_GRACE seconds, close what is left."""
        self.stopping.set()
        with self.changed:
            sockets = list(self._sockets)
            self.changed.notify_all()
        self._stop_w.send(b"!")
        netutil.shutdown_all(sockets)
        netutil.join_all(self._threads)   # the accept thread first
        for sock in [self._listener, *sockets, self.stop_r, self._stop_w]:
            sock.close()

    def _accept_loop(self) -> None:
        """Accept connections until close(); each gets a Link and a
        thread. Accepting and recording happen under the lock, so that
        attempts() never misses a connection between the two."""
        while not self.stopping.is_set():
            ready = select.select([self._listener, self.stop_r], [], [],
                                  LIFETIME)[0]
            if self.stop_r in ready or not ready:
                return
            with self.changed:
                if self.stopping.is_set():
                    return
                try:
                    sock, peer = self._listener.accept()
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    return
                sock.setblocking(True)
                link = Link(self, len(self._links) + 1, sock, peer,
                            self._echo, self._on_eof, self._pause_after)
                greeting = self._greeting
                self._links.append(link)
                self._sockets.add(sock)
                self.changed.notify_all()
            if greeting:
                link.send(greeting)
            netutil.spawn(self._threads, link.serve,
                          f"target link {link.number}")


class CertificateError(RuntimeError):
    """openssl is missing or could not make the certificate."""


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """Make a self-signed certificate for localhost and 127.0.0.1 in
    directory with the openssl command line; (certificate, key) paths.

    Raises CertificateError when openssl is missing or fails.
    """
    cert, key = directory / "cert.pem", directory / "key.pem"
    argv = ["openssl", "req", "-x509", "-newkey", "ec",
            "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", str(key), "-out", str(cert), "-days", "2",
            "-subj", f"/CN={TLS_HOST}",
            "-addext", f"subjectAltName=DNS:{TLS_HOST},IP:127.0.0.1"]
    try:
        run = subprocess.run(argv, stdin=subprocess.DEVNULL,
                             capture_output=True, text=True,
                             timeout=OPENSSL_TIMEOUT)
    except FileNotFoundError as exc:
        raise CertificateError("openssl is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        raise CertificateError("openssl took too long") from exc
    if run.returncode != 0 or not cert.is_file():
        raise CertificateError(f"openssl failed: {run.stderr.strip()}")
    return cert, key


def https_response(body: bytes) -> bytes:
    """The HTTP/1.1 response the TLS origin sends: 200 and body."""
    return (b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
            + body)


class TlsOrigin:
    """An HTTPS server on 127.0.0.1 (and, when it can, ::1 on the same
    port), port 0, answering every request with 200 and body.

    Use it as a fixture: origin = t.use(TlsOrigin(body)). cert is the
    certificate a client must trust (curl --cacert); heads holds the
    request heads received, in order; errors what went wrong per
    connection (a failed handshake, for one).
    """

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.heads: list[bytes] = []
        self.errors: list[str] = []
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sockets: set[socket.socket] = set()
        self._listeners: list[socket.socket] = []
        self._dir = Path(tempfile.mkdtemp(prefix="tls-origin-"))
        try:
            self.cert, key = make_certificate(self._dir)
            self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._context.load_cert_chain(self.cert, key)
            self.port = self._listen("127.0.0.1", 0)
            with contextlib.suppress(OSError):
                self._listen("::1", self.port)
        except BaseException:
            self.close()
            raise
        for listener in self._listeners:
            netutil.spawn(self._threads, netutil.accept_loop, "tls accept",
                          listener, self._stopping, self._changed,
                          self._admit)

    def url(self, path: str = "/") -> str:
        """The https URL of path, by the certificate's name."""
        return f"https://{TLS_HOST}:{self.port}{path}"

    def wait_for(self, count: int, timeout: float = LIFETIME) -> list[bytes]:
        """Wait until count request heads came; the heads so far."""
        with self._changed:
            self._changed.wait_for(
                lambda: len(self.heads) >= count or self._stopping.is_set(),
                timeout)
            return list(self.heads)

    def close(self) -> None:
        """Stop: shut every socket down, join the threads (bounded),
        remove the certificate's directory."""
        self._stopping.set()
        with self._changed:
            sockets = [*self._listeners, *self._sockets]
            self._changed.notify_all()
        netutil.shutdown_all(sockets)
        netutil.join_all(self._threads)
        for sock in sockets:
            sock.close()
        shutil.rmtree(self._dir, ignore_errors=True)

    def _listen(self, host: str, port: int) -> int:
        """Listen on host:port; the port."""
        listener = netutil.listen(host, port, 16)
        self._listeners.append(listener)
        return listener.getsockname()[1]

    def _admit(self, conn: socket.socket,
               peer: tuple) -> Callable[[], None]:
        """Record a connection just accepted (under the lock); returns
        what starts its thread."""
        self._sockets.add(conn)
        return lambda: netutil.spawn(self._threads, self._serve, "tls conn",
                                     conn)

    def _serve(self, conn: socket.socket) -> None:
        """One connection: handshake, read the head, answer, close."""
        sock: socket.socket = conn
        try:
            # The TLS socket takes conn's descriptor over: track it instead,
            # so that close() can wake a handshake or read in progress.
            tls = self._context.wrap_socket(conn, server_side=True,
                                            do_handshake_on_connect=False)
            with self._changed:
                self._sockets.discard(conn)
                self._sockets.add(tls)
                sock = tls
            tls.do_handshake()
            head = self._read_head(tls)
            with self._changed:
                self.heads.append(head)
                self._changed.notify_all()
            tls.sendall(https_response(self.body))
            with contextlib.suppress(OSError, ssl.SSLError):
                tls.unwrap()
        except (OSError, ssl.SSLError, EOFError) as exc:
            with self._changed:
                self.errors.append(f"{type(exc).__name__}: {exc}")
                self._changed.notify_all()
        finally:
            with self._changed:
                self._sockets.discard(sock)
            sock.close()

    @staticmethod
    def _read_head(tls: ssl.SSLSocket) -> bytes:
        """Read a request head, through its blank line."""
        data = bytearray()
        while b"\r\n\r\n" not in data:
            if len(data) > MAX_HEAD:
                raise EOFError("the request head is too long")
            chunk = tls.recv(READ_SIZE)
            if not chunk:
                raise EOFError("the request head ended early")
            data += chunk
        return bytes(data[:data.index(b"\r\n\r\n") + 4])
