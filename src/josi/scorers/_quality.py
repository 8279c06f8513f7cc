"""Voice and form: warmth, brevity, forbidden words, jargon, repetition, governor, language."""

from __future__ import annotations

from collections import Counter

from josi._errors import ContractError
from josi.knowledge import lexicon, limits, personas
from josi.lang import count_questions, detect_language, split_sentences
from josi.scorers._score import Score
from josi.scorers._text import both_languages, find_phrases, normalize, word_count, words


def _persona(persona: str):
    table = personas()["personas"]
    if persona not in table:
        raise ContractError(f"unknown persona {persona!r}; expected one of {list(table)}")
    return table[persona]


def warmth(text: str, persona: str = "balanced") -> Score:
    """Warmth 1-5, judged against the persona's own threshold.

    Analytical phrases in a persona's allowed register (technical) are not counted as cold.
    """
    spec = _persona(persona)
    lex = lexicon()
    warm = find_phrases(text, both_languages(lex["warmth"]))
    allowed = set(normalize(p) for p in spec["allowed_register"])
    cold = [c for c in find_phrases(text, both_languages(lex["cold"])) if c not in allowed]
    harsh = find_phrases(text, both_languages(lex["harsh"]))
    value = 3 + min(2, len(warm)) - min(2, len(cold)) - 2 * min(1, len(harsh))
    value = max(1, min(5, value))
    minimum = spec["warmth_min"]
    reason = f"warm={warm[:3]} cold={cold[:3]} harsh={harsh[:2]} min={minimum}"
    return Score("warmth", float(value), value >= minimum, reason)


def brevity(text: str) -> Score:
    cfg = limits()["coach"]
    count = word_count(text)
    value = cfg["brevity"]["fallback_score"]
    for band in cfg["brevity_bands"]:
        if count <= band["words"]:
            value = band["score"]
            break
    passed = value >= cfg["brevity"]["pass_at"] and count <= cfg["max_words"]
    return Score("brevity", float(value), passed, f"{count} words (max {cfg['max_words']})")


def _term_score(name: str, text: str, terms) -> Score:
    hits = find_phrases(text, terms)
    return Score(name, float(len(hits)), not hits, f"found {sorted(set(hits))}" if hits else "none")


def forbidden_words(text: str, lang: str | None = None) -> Score:
    """Engine internals and system words (algorithm, viterbi, json, ...).

    Some words are internals only in English ("schema" is the normal Dutch word for a
    training schedule); ``lang`` defaults to the detected language of ``text``.
    """
    spec = lexicon()["forbidden"]
    terms = tuple(spec["terms"])
    if (lang or detect_language(text)) == "en":
        terms += tuple(spec.get("terms_en", ()))
    return _term_score("forbidden_words", text, terms)


def jargon(text: str) -> Score:
    return _term_score("jargon", text, lexicon()["jargon"]["terms"])


def repetition(text: str) -> Score:
    """N-gram parroting: a repeated n-gram, a high share of repeats or a repeated sentence."""
    cfg = limits()["repetition"]
    n = cfg["ngram"]
    tokens = words(text)
    grams = [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    counts = Counter(grams)
    repeated = sum(c - 1 for c in counts.values() if c > 1)
    ratio = repeated / len(grams) if grams else 0.0
    worst = max(counts.values(), default=0)
    sent = Counter(normalize(s) for s in split_sentences(text))
    sent_worst = max(sent.values(), default=0)
    passed = (
        worst <= cfg["max_repeats"]
        and ratio <= cfg["max_repeated_ratio"]
        and sent_worst <= cfg["max_sentence_repeats"]
    )
    reason = (
        f"max {n}-gram count {worst}, repeated share {ratio:.2f}, max sentence count {sent_worst}"
    )
    return Score("repetition", round(1.0 - ratio, 4), passed, reason)


def governor_compliance(text: str) -> Score:
    """Answer first (the reply does not open with a question) and at most one question."""
    limit = limits()["coach"]["max_questions"]
    questions = count_questions(text)
    parts = split_sentences(text)
    opens_with_question = bool(parts) and parts[0].rstrip().endswith("?")
    passed = questions <= limit and not opens_with_question and bool(parts)
    reason = f"{questions} question(s) (max {limit}); opens with a question: {opens_with_question}"
    return Score("governor_compliance", float(questions), passed, reason)


def language_match(text: str, lang: str) -> Score:
    detected = detect_language(text)
    return Score(
        "language_match",
        1.0 if detected == lang else 0.0,
        detected == lang,
        f"detected {detected}, expected {lang}",
    )
