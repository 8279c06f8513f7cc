"""Language of a reply: the shared detector when present, a small stop-word vote otherwise."""

from __future__ import annotations

from josi.scorers._text import words

_NL = frozenset(
    "de het een en is je jij ik niet wat van dat die voor met op te zijn maar ook nog wel "
    "dan als er bij naar om wordt kun kan heb hebt vandaag morgen rustig training schema "
    "mijn jouw geen zo even goed dit deze hoe waarom wil moet gaat graag lekker echt heel "
    "uur minuten zone blijft doen doe houd".split()
)
_EN = frozenset(
    "the a an and is you your i not what of that this for with on to be but also still "
    "then as there at into it can have today tomorrow easy plan my no so just good how why "
    "want should will would hour minutes session keep do does are was were let".split()
)


def _fallback(text: str) -> str:
    tokens = words(text)
    nl = sum(1 for t in tokens if t in _NL)
    en = sum(1 for t in tokens if t in _EN)
    return "nl" if nl > en else "en"


def detect(text: str) -> str:
    try:
        from josi.lang import detect_language
    except ImportError:
        return _fallback(text)
    return detect_language(text)
