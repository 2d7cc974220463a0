"""ctokens.py - C source as a stream of tokens, and its function bodies.

tokens() drops comments and white space and keeps every other token as
written (identifiers, numbers, strings, punctuation), so two copies of a
function that differ only in layout or comments give the same stream.
Identifiers are not renamed: the handout check looks for code that leaked,
not for code disguised on purpose. Any text can be tokenised (a Markdown
file quoting C gives the C's tokens); what is not C just gives tokens that
match nothing.
"""
from __future__ import annotations
import re
from dataclasses import dataclass

TOKEN = re.compile(r"""
    (?P<skip> \s+ | //[^\n]* | /\*.*?(?:\*/|\Z) )
  | "(?:\\.|[^"\\\n])*"              # a string literal
  | '(?:\\.|[^'\\\n]){1,4}'          # a character literal
  | [A-Za-z_]\w*                     # an identifier or keyword
  | \.?\d(?:[\w.]|[eEpP][+-])*       # a number
  | ->|\+\+|--|<<=?|>>=?|[<>=!&|^+\-*/%]=|&&|\|\||\.\.\.|\#\#
  | .                                # any other character, on its own
""", re.S | re.X)


@dataclass(frozen=True)
class Body:
    """One function's body: the function's name and its tokens, braces
    included."""
    name: str
    tokens: tuple[str, ...]


def tokens(text: str) -> list[str]:
    """The tokens of text, without comments and white space."""
    return [m[0] for m in TOKEN.finditer(text) if m.lastgroup != "skip"]


def matching(toks: list[str], start: int, opening: str, closing: str) -> int:
    """The index of the bracket that closes toks[start], or len(toks)."""
    depth = 0
    for i in range(start, len(toks)):
        depth += (toks[i] == opening) - (toks[i] == closing)
        if depth == 0:
            return i
    return len(toks)


def name_before(toks: list[str], close_paren: int) -> str:
    """The identifier before the parameter list that ends at close_paren."""
    depth = 0
    for i in range(close_paren, -1, -1):
        depth += (toks[i] == ")") - (toks[i] == "(")
        if depth == 0:
            return toks[i - 1] if i > 0 else "?"
    return "?"


def function_bodies(text: str) -> list[Body]:
    """The bodies of the functions defined in C source text: each "{" at
    file level that follows a ")" up to its matching "}"."""
    toks, bodies, i = tokens(text), [], 0
    while i < len(toks):
        if toks[i] != "{":
            i += 1
            continue
        end = matching(toks, i, "{", "}")
        if i > 0 and toks[i - 1] == ")":
            bodies.append(Body(name_before(toks, i - 1),
                               tuple(toks[i:end + 1])))
        i = end + 1
    return bodies


def joined(toks: list[str] | tuple[str, ...]) -> str:
    """Tokens as one string, each followed by a separator that no token
    holds, so that a substring test finds whole-token runs only."""
    return "".join(t + "\0" for t in toks)
