"""Language detection for English and Dutch, tuned for short chat messages.

Stopword counts decide; on a tie, letter patterns typical of Dutch spelling
break it; on a second tie the caller's default wins (usually the app language).
"""

from __future__ import annotations

import re

from josi.lang._normalize import normalize_for_matching

LANGUAGES = ("en", "nl")

_EN = frozenset(
    ["i", "me", "my", "mine", "you", "your", "yours", "he", "she", "it", "its", "we", "our", "they", "their", "the", "a", "an", "and", "or", "but", "if", "is", "are", "was", "were", "be", "been", "being", "am", "do", "does", "did", "doing", "have", "has", "had", "having", "can", "could", "will", "would", "should", "shall", "may", "might", "must", "not", "no", "yes", "what", "which", "who", "whom", "why", "how", "when", "where", "there", "here", "this", "that", "these", "those", "to", "of", "in", "on", "at", "for", "with", "about", "from", "by", "into", "out", "up", "down", "over", "under", "again", "just", "only", "also", "too", "very", "so", "than", "then", "today", "tomorrow", "yesterday", "tonight", "week", "workout", "training", "run", "ride", "session", "feel", "feeling", "tired", "want", "need", "give", "get", "make", "take", "please", "thanks", "thank", "should", "i'm", "i've", "i'd", "don't", "can't", "didn't", "isn't", "it's", "what's", "that's", "let's", "much", "more", "most", "some", "any", "all", "every", "hi", "hello", "hey", "good", "bad", "better", "easy", "hard", "pain", "knee", "dizzy", "chest", "heart", "rest", "day", "days", "faster", "slower", "fast", "nice", "go", "going", "doing", "come", "my", "legs", "sore", "sick", "ill", "skip", "swap", "minutes", "hour", "hours"]
)

_NL = frozenset(
    ["ik", "mij", "me", "mijn", "jij", "je", "jou", "jouw", "u", "uw", "hij", "zij", "ze", "het", "wij", "we", "ons", "onze", "jullie", "hun", "de", "een", "en", "of", "maar", "als", "is", "ben", "bent", "zijn", "was", "waren", "wordt", "worden", "word", "heb", "hebt", "heeft", "hebben", "had", "kan", "kun", "kunt", "kunnen", "zal", "zou", "zullen", "moet", "moeten", "mag", "mogen", "wil", "wilt", "willen", "niet", "geen", "ja", "nee", "wat", "welke", "wie", "waarom", "hoe", "wanneer", "waar", "daar", "hier", "dit", "dat", "deze", "die", "naar", "van", "in", "op", "aan", "voor", "met", "over", "uit", "bij", "door", "om", "tot", "te", "ook", "nog", "maar", "al", "wel", "heel", "erg", "zo", "dan", "vandaag", "morgen", "gisteren", "vanavond", "week", "training", "trainen", "fietsen", "hardlopen", "lopen", "voel", "moe", "graag", "alsjeblieft", "bedankt", "dank", "even", "echt", "mee", "er", "iets", "niks", "niets", "meer", "veel", "minder", "waarom", "zoals", "toch", "want", "omdat", "dus", "nu", "straks", "vanochtend", "uur", "minuten", "kwartier", "hoi", "hallo", "doei", "goed", "slecht", "beter", "rustig", "zwaar", "pijn", "knie", "duizelig", "borst", "hartslag", "schema", "rust", "dagen", "sneller", "langzamer", "snel", "lekker", "fijn", "hoor", "gaat", "gaan", "ga", "doe", "doen", "kom", "komen", "benen", "ziek", "overslaan", "verzetten"]
)

# Words spelled the same in both languages carry no signal.
_SHARED = _EN & _NL
_EN_ONLY = _EN - _SHARED
_NL_ONLY = _NL - _SHARED

_WORD = re.compile(r"[a-zà-ÿ']+", re.IGNORECASE)
_NL_SPELLING = re.compile(
    r"ij|aa|uu|oe|ui|sch|\w{4,}en\b|\w{3,}ig\b|\bge\w{3,}d\b|\w{3,}tje\b|é|ë|ï"
)
_EN_SPELLING = re.compile(r"th|wh|\w{3,}ing\b|\w{2,}ly\b|ck\b|ea|ou")


def detect_language(text: str, *, default: str = "en") -> str:
    """Return ``"nl"`` or ``"en"`` for ``text``; ``default`` when nothing decides."""
    if default not in LANGUAGES:
        raise ValueError(f"default must be one of {LANGUAGES}, got {default!r}")
    if not isinstance(text, str) or not text.strip():
        return default
    lowered = normalize_for_matching(text).lower().replace("’", "'")
    words = _WORD.findall(lowered)
    en = sum(1 for w in words if w in _EN_ONLY)
    nl = sum(1 for w in words if w in _NL_ONLY)
    if en != nl:
        return "en" if en > nl else "nl"
    en = len(_EN_SPELLING.findall(lowered))
    nl = len(_NL_SPELLING.findall(lowered))
    if en != nl:
        return "en" if en > nl else "nl"
    return default
