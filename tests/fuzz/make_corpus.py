#!/usr/bin/python3
"""make_corpus.py - write the fuzzers' seed corpus from the kit's tests.

The seeds are the inputs the tests already use: every string literal of
tests/unit/test_http.c, test_tunnel.c and test_chunked.c (adjacent
literals joined, as C joins them), and the bytes every row of
tests/grade/hostile.tsv sends or has the origin reply. Each goes to the
corpus of the fuzzer it suits:
  request    request heads ("GET ... HTTP/1.1 ...")
  response   response heads ("HTTP/1.1 200 ...")
  authority  request targets and CONNECT authorities
  chunked    chunked bodies: test_chunked.c's lines, and what follows a
             head framed with "Transfer-Encoding: chunked"
into tests/fuzz/corpus/NAME/, one file per seed named by its SHA-1 (as
libFuzzer names what it finds). Run it again after changing the tests:
    python3 tests/fuzz/make_corpus.py
"""
from __future__ import annotations
import hashlib
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "fuzz" / "corpus"
UNIT_FILES = ("tests/unit/test_http.c", "tests/unit/test_tunnel.c")
CHUNKED_FILE = "tests/unit/test_chunked.c"
LITERALS = re.compile(r'"((?:[^"\\\n]|\\.)*)"(?:\s*"((?:[^"\\\n]|\\.)*)")*')
ONE_LITERAL = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
REQUEST = re.compile(rb"^[!-~]+ \S+ HTTP/")
CHUNKED_HEAD = re.compile(rb"^Transfer-Encoding:[ \t]*chunked\r?$", re.I | re.M)
SEED_MAX = 10000   # bytes kept of a seed: past HTTP_MAXLINE, no further
FILL = {"origin": "127.0.0.1:8000", "origin_port": "8000",
        "closed": "127.0.0.1:9", "path": "/hostile/seed"}

sys.path.insert(0, str(ROOT / "tests" / "grade"))
import hostile_rows  # noqa: E402  (the grader's table reader)


def c_literals(text: str) -> list[bytes]:
    """Every string literal of C source text, adjacent ones joined."""
    found = []
    for match in LITERALS.finditer(text):
        parts = ONE_LITERAL.findall(match[0])
        raw = "".join(parts).encode("latin-1").decode("unicode_escape")
        found.append(raw.encode("latin-1"))
    return found


def table_bytes() -> list[bytes]:
    """What the hostile rows send and what their origins reply."""
    found = []
    for row in hostile_rows.load():
        for column in (row.send, row.reply):
            if column not in ("-", hostile_rows.NO_REPLY):
                found.append(hostile_rows.unescape(column, FILL)[:SEED_MAX])
    return found


def targets_of(seed: bytes) -> list[bytes]:
    """The request-target of a request head, or the seed itself when it
    looks like a bare target or authority (no space: not a sentence, nor a
    printf format)."""
    if REQUEST.match(seed):
        return [seed.split(b" ")[1]]
    if not re.search(rb"[\s%]", seed) and 0 < len(seed) < 300:
        return [seed]
    return []


def sort_seeds(seeds: list[bytes]) -> dict[str, set[bytes]]:
    """The seeds of each fuzzer."""
    corpus: dict[str, set[bytes]] = {"request": set(), "response": set(),
                                     "authority": set()}
    for seed in seeds:
        if seed.startswith(b"HTTP/"):
            corpus["response"].add(seed)
        elif REQUEST.match(seed):
            corpus["request"].add(seed)
        corpus["authority"].update(targets_of(seed))
    return corpus


def chunked_seeds(seeds: list[bytes], literals: list[bytes]) -> set[bytes]:
    """The literals of test_chunked.c that hold a line end (bodies, whole
    or cut, valid or not), and the body after every head of seeds framed
    as chunked."""
    found = {seed for seed in literals if b"\n" in seed or b"\r" in seed}
    for seed in seeds:
        head, blank, body = seed.partition(b"\r\n\r\n")
        if blank and body and CHUNKED_HEAD.search(head):
            found.add(body)
    return found


def main() -> int:
    """Rewrite tests/fuzz/corpus from the tests."""
    seeds = table_bytes()
    for name in UNIT_FILES:
        seeds += c_literals((ROOT / name).read_text())
    corpus = sort_seeds(seeds)
    corpus["chunked"] = chunked_seeds(
        seeds, c_literals((ROOT / CHUNKED_FILE).read_text()))
    shutil.rmtree(CORPUS, ignore_errors=True)
    for fuzzer, found in corpus.items():
        directory = CORPUS / fuzzer
        directory.mkdir(parents=True)
        for seed in found:
            (directory / hashlib.sha1(seed).hexdigest()).write_bytes(seed)
        print(f"{fuzzer}: {len(found)} seeds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
