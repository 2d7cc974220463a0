"""origin_tool.py - the graded tests' scripted origin, started by hand.

`make origin` (this file) serves, on 127.0.0.1:8000 (PORT=N for another
port), the replies the tests' "by hand" lines ask for: a path per kind of
response a proxy must relay, and each hostile case's reply on
/hostile/ID. With your program on port 7000 in another terminal, every
reproduce line of a failed test then works by copy and paste. Ctrl-C
stops it.
"""
from __future__ import annotations
import argparse
import signal
import sys
import threading

import hostile
import hostile_rows
from origin import (BROKEN_CHUNKED, HOLD, KEEP, Exchange, Origin,
                    both_framings, chunk, chunked, chunked_as_is,
                    close_delimited, head, last_chunk, response, truncated)

TEXT = [("Content-Type", "text/plain; charset=utf-8")]
BINARY = [("Content-Type", "application/octet-stream")]


def echo_body(exchange: Exchange) -> bytes:
    """The answer to /echo: the request's body, sent back."""
    return response(200, exchange.body, BINARY)


# path -> (reply, afterwards, what it is for)
PATHS = {
    "/hello.txt": (response(200, b"hello\n", TEXT), "close",
                   "a small text file"),
    "/binary.bin": (response(200, bytes(range(256)) * 64, BINARY), "close",
                    "16 KiB holding every byte value, NUL first"),
    "/chunked": (chunked(200, [b"hello ", b"chunked\n"], TEXT), "close",
                 "a chunked response"),
    "/close-delimited": (close_delimited(200, b"ends at the close\n", TEXT,
                                         version="HTTP/1.0"), "close",
                         "a body without Content-Length"),
    "/held": (response(200, b"hello\n", TEXT), HOLD,
              "Content-Length 6, then the connection stays open"),
    "/head-held": (head(200, [*TEXT, ("Content-Length", "5000")]), HOLD,
                   "for HEAD: a head saying 5000 bytes, no body, held open"),
    "/cut": (head(200, [*TEXT, ("Content-Length", "100")]) + b"hello",
             "close", "Content-Length 100, then 5 bytes and the close"),
    "/silent": (b"", HOLD, "reads the request, never answers"),
    "/echo": (echo_body, "close", "answers a POST with its body"),
    "/cacheable": (response(200, b"fresh for ten minutes\n",
                            [*TEXT, ("Cache-Control", "max-age=600")]),
                   "close", "a response a cache may keep for 600 s"),
    "/chunked-trailers": (chunked_as_is(
        200, chunk(b"hello ", b";lang=en") + chunk(b"chunked\n", b';q="a b"')
        + last_chunk([("X-Checksum", "c0ffee")], b";end"), TEXT), "close",
        "chunked, with chunk extensions and a trailer"),
    "/no-length": (close_delimited(200, b"no length: ends at the close\n",
                                   TEXT), "close",
                   "HTTP/1.1 without Content-Length: ends at the close"),
    "/no-content": (head(204, [("X-Note", "no body")]), HOLD,
                    "204, then the connection stays open"),
    "/not-modified": (head(304, [("ETag", '"v1"')]), HOLD,
                      "304, then the connection stays open"),
    "/gzip": (head(200, [*TEXT, ("Transfer-Encoding", "gzip")]) +
              b"not really gzip\n", "close",
              "Transfer-Encoding: gzip alone: ends at the close"),
    "/both-framings": (both_framings(200, b"hello\n", TEXT), "close",
                       "Content-Length and Transfer-Encoding at once"),
    "/cut-chunked": (chunked_as_is(200, b"a\r\nhello", TEXT), "close",
                     "chunked, closed in the middle of a chunk"),
    "/cut-long": (truncated(200, b"only 20 bytes came!\n", 1000, TEXT),
                  "close", "Content-Length 1000, then 20 bytes and the close"),
    "/kept.txt": (response(200, b"kept\n", TEXT), KEEP,
                  "Content-Length 5, then the connection is kept for the "
                  "next request"),
    "/kept-chunked": (chunked(200, [b"kept ", b"chunked\n"], TEXT), KEEP,
                      "chunked, then the connection is kept for the next "
                      "request"),
}
# each chunked body a strict decoder rejects (origin.BROKEN_CHUNKED)
PATHS.update({f"/chunked-bad/{b.name}": (chunked_as_is(200, b.body, TEXT),
                                          "close", b.wrong)
              for b in BROKEN_CHUNKED})


def serve_paths(origin: Origin) -> None:
    """Route PATHS, and each hostile case's reply on /hostile/ID."""
    for path, (reply, afterwards, _) in PATHS.items():
        origin.route(path, reply, afterwards)
    for row in hostile_rows.load():
        fill = {"origin": origin.authority, "origin_port": str(origin.port),
                "closed": "127.0.0.1:9", "path": f"/hostile/{row.id}"}
        hostile.route(origin, row, fill)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    try:
        origin = Origin("127.0.0.1", args.port)
    except OSError as exc:
        print(f"origin: cannot listen on 127.0.0.1:{args.port}: {exc}; "
              "is another one running? (PORT=N picks another port)",
              file=sys.stderr)
        return 1
    serve_paths(origin)
    print(f"origin listening on {origin.authority}; Ctrl-C stops it")
    for path, (_, _, what) in PATHS.items():
        print(f"  http://{origin.authority}{path:<32} {what}")
    print(f"  http://{origin.authority}{'/hostile/ID':<32} each hostile "
          "case's reply (ID as in hostile.tsv)", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    origin.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
