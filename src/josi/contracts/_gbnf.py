"""A small recognizer for non-recursive GBNF grammars.

It compiles a grammar (the subset llama.cpp's JSON-schema converter emits:
literals, character classes, rule references, groups, ``? * +`` and ``{m,n}``)
into one Python regular expression. Tests use it to prove that every canonical
request is accepted by the committed grammar without loading a model; recursive
grammars are rejected because a regular expression cannot express them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from josi._errors import GrammarError

_ESCAPES = {
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "\\": "\\",
    '"': '"',
    "[": "[",
    "]": "]",
    "-": "-",
    "/": "/",
}


def _decode_escape(text: str, i: int) -> tuple[str, int]:
    """Decode the escape starting at text[i] == '\\'; return (char, next index)."""
    kind = text[i + 1]
    if kind == "x":
        return chr(int(text[i + 2 : i + 4], 16)), i + 4
    if kind == "u":
        return chr(int(text[i + 2 : i + 6], 16)), i + 6
    if kind == "U":
        return chr(int(text[i + 2 : i + 10], 16)), i + 10
    if kind in _ESCAPES:
        return _ESCAPES[kind], i + 2
    raise GrammarError(f"unknown escape \\{kind} at offset {i}")


def _class_char(c: str) -> str:
    return "\\" + c if c in "\\]^-[" else re.escape(c) if not c.isprintable() else c


@dataclass
class _Parser:
    text: str
    pos: int = 0
    rules: dict[str, str] = field(default_factory=dict)

    def error(self, message: str) -> GrammarError:
        line = self.text.count("\n", 0, self.pos) + 1
        return GrammarError(f"GBNF line {line}: {message}")

    def skip(self, newlines: bool) -> None:
        while self.pos < len(self.text):
            c = self.text[self.pos]
            if c == "#":
                while self.pos < len(self.text) and self.text[self.pos] != "\n":
                    self.pos += 1
            elif c in " \t\r" or (newlines and c == "\n"):
                self.pos += 1
            else:
                return

    def name(self) -> str:
        match = re.compile(r"[A-Za-z0-9_-]+").match(self.text, self.pos)
        if not match:
            raise self.error("expected a rule name")
        self.pos = match.end()
        return match.group()

    def parse(self) -> dict[str, str]:
        self.skip(newlines=True)
        while self.pos < len(self.text):
            rule = self.name()
            self.skip(newlines=False)
            if not self.text.startswith("::=", self.pos):
                raise self.error(f"expected '::=' after {rule!r}")
            self.pos += 3
            self.skip(newlines=True)
            if rule in self.rules:
                raise self.error(f"rule {rule!r} defined twice")
            self.rules[rule] = self.alternatives(nested=False)
            self.skip(newlines=True)
        return self.rules

    def alternatives(self, nested: bool) -> str:
        alts = [self.sequence(nested)]
        while self.pos < len(self.text) and self.text[self.pos] == "|":
            self.pos += 1
            self.skip(newlines=True)
            alts.append(self.sequence(nested))
        return "(?:" + "|".join(alts) + ")" if len(alts) > 1 else alts[0]

    def sequence(self, nested: bool) -> str:
        parts: list[str] = []
        while True:
            self.skip(newlines=nested)
            if self.pos >= len(self.text):
                break
            c = self.text[self.pos]
            if c in "|)" or c == "\n":
                break
            if c == '"':
                atom = self.literal()
            elif c == "[":
                atom = self.char_class()
            elif c == "(":
                self.pos += 1
                self.skip(newlines=True)
                atom = "(?:" + self.alternatives(nested=True) + ")"
                self.skip(newlines=True)
                if self.pos >= len(self.text) or self.text[self.pos] != ")":
                    raise self.error("unbalanced parenthesis")
                self.pos += 1
            elif re.match(r"[A-Za-z0-9_-]", c):
                start = self.pos
                ref = self.name()
                self.skip(newlines=False)
                if self.text.startswith("::=", self.pos):
                    self.pos = start  # next rule begins; this sequence is over
                    break
                atom = "\x00" + ref + "\x00"
            else:
                raise self.error(f"unexpected {c!r}")
            parts.append(self.postfix(atom))
        return "".join(parts)

    def postfix(self, atom: str) -> str:
        if self.pos < len(self.text):
            c = self.text[self.pos]
            if c in "?*+":
                self.pos += 1
                return f"(?:{atom}){c}"
            if c == "{":
                end = self.text.index("}", self.pos)
                bounds = self.text[self.pos + 1 : end].replace(" ", "")
                self.pos = end + 1
                return f"(?:{atom}){{{bounds}}}"
        return atom

    def literal(self) -> str:
        self.pos += 1
        chars = []
        while self.text[self.pos] != '"':
            if self.text[self.pos] == "\\":
                ch, self.pos = _decode_escape(self.text, self.pos)
            else:
                ch, self.pos = self.text[self.pos], self.pos + 1
            chars.append(ch)
        self.pos += 1
        return re.escape("".join(chars))

    def char_class(self) -> str:
        self.pos += 1
        negate = self.text[self.pos] == "^"
        if negate:
            self.pos += 1
        items = []
        while self.text[self.pos] != "]":
            if self.text[self.pos] == "\\":
                low, self.pos = _decode_escape(self.text, self.pos)
            else:
                low, self.pos = self.text[self.pos], self.pos + 1
            high = low
            if self.text[self.pos] == "-" and self.text[self.pos + 1] != "]":
                self.pos += 1
                if self.text[self.pos] == "\\":
                    high, self.pos = _decode_escape(self.text, self.pos)
                else:
                    high, self.pos = self.text[self.pos], self.pos + 1
            items.append(
                _class_char(low) if low == high else f"{_class_char(low)}-{_class_char(high)}"
            )
        self.pos += 1
        return "[" + ("^" if negate else "") + "".join(items) + "]"


class GbnfMatcher:
    """Full-match strings against the ``root`` rule of a non-recursive GBNF grammar."""

    def __init__(self, grammar: str, root: str = "root") -> None:
        self.rules = _Parser(grammar).parse()
        if root not in self.rules:
            raise GrammarError(f"grammar has no {root!r} rule")
        self.root = root

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        resolved: dict[str, str] = {}

        def expand(rule: str, stack: tuple[str, ...]) -> str:
            if rule in stack:
                raise GrammarError(f"recursive rule {rule!r}: {' -> '.join((*stack, rule))}")
            if rule not in self.rules:
                raise GrammarError(f"undefined rule {rule!r}")
            if rule not in resolved:
                body = re.sub(
                    "\x00([A-Za-z0-9_-]+)\x00",
                    lambda m: "(?:" + expand(m.group(1), (*stack, rule)) + ")",
                    self.rules[rule],
                )
                resolved[rule] = body
            return resolved[rule]

        return re.compile(expand(self.root, ()), re.DOTALL)

    def accepts(self, text: str) -> bool:
        return self.pattern.fullmatch(text) is not None
