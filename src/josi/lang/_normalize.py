"""The one Unicode normalisation every lexicon detector applies before it matches.

The rule, shared with the app's port (vectors: fixtures/conformance/match_normalization.json):

1. remove every character of Unicode general category Cf ("format"): zero-width space U+200B,
   zero-width non-joiner and joiner U+200C/U+200D, word joiner U+2060, soft hyphen U+00AD,
   byte order mark U+FEFF, the bidirectional marks, embeddings and isolates (U+200E, U+200F,
   U+202A-U+202E, U+2066-U+2069) and the rest of the category;
2. then apply NFKC, which folds compatibility forms to plain text: fullwidth letters and digits
   ("ｃｈｅｓｔ" -> "chest"), ligatures ("ﬁ" -> "fi", "ĳ" -> "ij"), no-break and other spaces
   to a space, "…" to "...", "½" to "1⁄2" (with U+2044 FRACTION SLASH).

The red-flag detector, where a miss costs most, also matches a second form in which each Cf
character becomes a space, and reports a flag found in either: a zero-width space often stands
in for a space ("chest\u200bpain"), while other format characters sit inside a word
("ch\u00adest pain"). Case is left as it is; each detector lowercases as before.

Text without format characters that is already in NFKC comes back unchanged, so its results
cannot change. Detectors use the normalised text only to decide; what they copy or return
(``free_text``) stays as written. Letters from other scripts that look alike (a Cyrillic "с"
in "сhest") are out of scope: NFKC keeps them.
"""

from __future__ import annotations

import unicodedata


def normalize_for_matching(text: str, *, format_char_as: str = "") -> str:
    """``text`` with each format character (category Cf) replaced by ``format_char_as`` (by
    default removed), then in NFKC."""
    if text.isascii():
        # No ASCII character is Cf or changes under NFKC; most messages take this path.
        return text
    stripped = "".join(format_char_as if unicodedata.category(ch) == "Cf" else ch for ch in text)
    return unicodedata.normalize("NFKC", stripped)
