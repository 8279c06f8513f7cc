"""Phrase rules over a normalised message: the matcher behind every lexicon that code acts on.

Red flags (``red_flags.toml``), coach intents (``coach_intents.toml``) and request intents
(``request_intents.toml``) share one lexicon format, so a pattern means the same thing in each
and the app port implements one matcher: ``<NAME>`` expands a macro, the lexicon's own
``[macros]`` or those of ``macros.toml`` that every lexicon shares (a word list two lexicons need
is written once), a space in a pattern is a run of whitespace and `` ?`` optional whitespace,
patterns start at a word boundary, ``needs``/``unless`` look at the match's sentence (its end
mark included) and ``message_needs``/``message_unless`` at the whole message, a negation in the
match's clause cancels it, and ``[mask]`` phrases are blanked out first.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from josi._errors import ConfigError
from josi.lang import normalize_for_matching

# Longer messages are cut here; what a chat message asks for is never that far in.
MAX_CHARS = 20_000

_MACRO = re.compile(r"<([A-Z][A-Z_]*)>")
_SENTENCE_END = re.compile(r"[!?\n]|(?<!\d)\.|\.(?!\d)")
_APOSTROPHES = re.compile("['\u2019\u2018`\u00b4]")
_ELLIPSIS = re.compile(r"\u2026|\.{2,}")
# A letter typed three or more times in a row ("traaain", "maaaak", "plssss").
_STRETCHED = re.compile(r"([^\W\d_])\1{2,}")


@dataclass(frozen=True)
class Rule:
    id: str
    match: re.Pattern[str]
    needs: re.Pattern[str] | None
    unless: re.Pattern[str] | None
    message_needs: re.Pattern[str] | None = None  # searched in the whole message, not the sentence
    message_unless: re.Pattern[str] | None = None  # likewise: a hit anywhere cancels the rule


@dataclass(frozen=True)
class Negation:
    before: re.Pattern[str]
    after: re.Pattern[str]
    clause_break: re.Pattern[str]


class Patterns:
    """Compiles a lexicon's patterns with its macros; errors name the lexicon file."""

    def __init__(self, file: str, macros: Mapping[str, str]) -> None:
        self.file, self.macros = file, macros

    def expand(self, pattern: str) -> str:
        for _ in range(8):
            expanded = _MACRO.sub(lambda m: self._macro(m.group(1)), pattern)
            if expanded == pattern:
                break
            pattern = expanded
        return pattern.replace(" ?", r"\s*").replace(" ", r"\s+")

    def _macro(self, name: str) -> str:
        if name not in self.macros:
            raise ConfigError(f"{self.file}: unknown macro <{name}>; define it under [macros]")
        return self.macros[name]

    def compile(self, patterns: Any, where: str, *, anchored: bool = True) -> re.Pattern[str]:
        if isinstance(patterns, str):
            patterns = [patterns]
        if (
            not isinstance(patterns, list)
            or not patterns
            or not all(isinstance(p, str) for p in patterns)
        ):
            raise ConfigError(f"{self.file}: {where} must be a non-empty list of patterns")
        body = "|".join(f"(?:{self.expand(p)})" for p in patterns)
        try:
            return re.compile(r"(?<![\w])(?:" + body + ")" if anchored else body)
        except re.error as exc:
            raise ConfigError(f"{self.file}: {where} has an invalid pattern: {exc}") from exc

    def rule(self, raw: Mapping[str, Any], where: str) -> Rule:
        if not isinstance(raw.get("id"), str):
            raise ConfigError(f"{self.file}: {where} needs an id")
        return Rule(
            id=raw["id"],
            match=self.compile(raw.get("match"), f"{where}.match"),
            needs=self.compile(raw["needs"], f"{where}.needs") if "needs" in raw else None,
            unless=self.compile(raw["unless"], f"{where}.unless") if "unless" in raw else None,
            message_needs=(
                self.compile(raw["message_needs"], f"{where}.message_needs")
                if "message_needs" in raw
                else None
            ),
            message_unless=(
                self.compile(raw["message_unless"], f"{where}.message_unless")
                if "message_unless" in raw
                else None
            ),
        )

    def negation(self, raw: Mapping[str, Any]) -> Negation:
        try:
            return Negation(
                before=self.compile(raw["before"], "negation.before", anchored=False),
                after=self.compile(raw["after"], "negation.after", anchored=False),
                clause_break=self.compile(
                    raw["clause_break"], "negation.clause_break", anchored=False
                ),
            )
        except KeyError as exc:
            raise ConfigError(f"{self.file}: [negation] needs {exc.args[0]!r}") from exc

    def mask(self, phrases: list[str], where: str) -> re.Pattern[str] | None:
        return self.compile(phrases, where) if phrases else None


# Macros every lexicon may use; a lexicon that defines one of these names itself is an error.
SHARED_MACROS_FILE = "macros.toml"


def read_lexicon(package: str, file: str) -> dict[str, Any]:
    """The TOML lexicon ``file`` shipped in ``package``; a broken file is a ConfigError."""
    try:
        return tomllib.loads(resources.files(package).joinpath(file).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read the lexicon {file}: {exc}") from exc


@cache
def _shared_macros() -> Mapping[str, str]:
    macros = read_lexicon("josi.postprocess", SHARED_MACROS_FILE).get("macros")
    if not isinstance(macros, dict) or not all(isinstance(v, str) for v in macros.values()):
        raise ConfigError(f"{SHARED_MACROS_FILE}: needs a [macros] table of patterns")
    return macros


def lexicon_patterns(file: str, data: Mapping[str, Any]) -> Patterns:
    """The pattern compiler for the lexicon ``file`` read as ``data``: its own ``[macros]`` and
    the shared ones. A name defined in both is a ConfigError: each macro has one definition."""
    own = data.get("macros", {})
    if not isinstance(own, dict):
        raise ConfigError(f"{file}: [macros] must be a table of patterns")
    shared = _shared_macros()
    twice = sorted(set(own) & set(shared))
    if twice:
        raise ConfigError(
            f"{file}: macro <{twice[0]}> is already defined in {SHARED_MACROS_FILE}; "
            "use that one or rename this one"
        )
    return Patterns(file, {**shared, **own})


def normalise(text: str, format_char_as: str = "") -> str:
    text = normalize_for_matching(text[:MAX_CHARS], format_char_as=format_char_as).lower()
    text = _APOSTROPHES.sub("", text)
    # An ellipsis trails a thought ("went to 220... while walking"); it does not end the sentence.
    return _ELLIPSIS.sub(" - ", text)


def normalised_forms(text: str, *, stretched: bool = True) -> tuple[str, ...]:
    """The message with format characters removed and, where that differs, read as spaces; and,
    with ``stretched``, each of those with stretched letters cut to two and to one, where that
    differs.

    A stretched letter is emphasis, not spelling, and the word it stretches may hold that letter
    twice ("maaaak" is "maak") or once ("traaain" is "train"), so both readings are matched.
    """
    forms = (normalise(text), normalise(text, format_char_as=" "))
    if not stretched:
        return tuple(dict.fromkeys(forms))
    cut = [(f, _STRETCHED.sub(r"\1\1", f), _STRETCHED.sub(r"\1", f)) for f in forms]
    return tuple(dict.fromkeys(form for group in cut for form in group))


def sentence(text: str, start: int, end: int) -> tuple[int, int]:
    left = 0
    for m in _SENTENCE_END.finditer(text, 0, start):
        left = m.end()
    right_match = _SENTENCE_END.search(text, end)
    # The end mark belongs to its sentence: `needs` can read a question by its "?".
    return left, right_match.end() if right_match else len(text)


def negated(negation: Negation, text: str, start: int, end: int, bounds: tuple[int, int]) -> bool:
    before = negation.clause_break.split(text[bounds[0] : start])[-1]
    if negation.before.search(before):
        return True
    after = negation.clause_break.split(text[end : bounds[1]])[0]
    return bool(negation.after.match(after))


def rule_hit(negation: Negation, rule: Rule, text: str) -> bool:
    """Whether ``rule`` matches the normalised ``text`` outside a negated clause."""
    if rule.message_needs is not None and not rule.message_needs.search(text):
        return False
    if rule.message_unless is not None and rule.message_unless.search(text):
        return False
    for m in rule.match.finditer(text):
        lo, hi = bounds = sentence(text, m.start(), m.end())
        part = text[lo:hi]
        if rule.unless is not None and rule.unless.search(part):
            continue
        if rule.needs is not None and not rule.needs.search(part):
            continue
        if negated(negation, text, m.start(), m.end(), bounds):
            continue
        return True
    return False


def blank(mask: re.Pattern[str] | None, text: str) -> str:
    """``text`` with every mask phrase replaced by spaces (offsets stay put)."""
    return text if mask is None else mask.sub(lambda m: " " * len(m.group()), text)
