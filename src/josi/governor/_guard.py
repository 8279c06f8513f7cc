"""Output guard for coach text: what the athlete must never read is removed in code.

A 135M model can leak engine internals or state a number it did not get from the
context; neither may depend on the model behaving. The guard drops every sentence
that names an engine internal, states a number absent from the context, or
repeats an earlier sentence word for word. What remains keeps its order; when
nothing remains the caller shows the fallback message instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from josi.lang import split_sentences


@dataclass(frozen=True)
class GuardResult:
    text: str
    dropped: tuple[str, ...]  # one reason per dropped sentence, e.g. "internals: algorithm"

    @property
    def changed(self) -> bool:
        return bool(self.dropped)


def guard_coach_text(text: str, *, context_text: str, lang: str | None = None) -> GuardResult:
    from josi.lang import detect_language
    from josi.scorers import forbidden_words, grounded_numbers

    if not isinstance(text, str):
        return GuardResult("", ("not text",))
    # One language for the whole reply, so a sentence is not judged by another language's list.
    lang = lang or detect_language(text)
    kept: list[str] = []
    dropped: list[str] = []
    seen: set[str] = set()
    for sentence in split_sentences(text):
        internals = forbidden_words(sentence, lang)
        numbers = grounded_numbers(sentence, context_text)
        key = " ".join(sentence.lower().split())
        if not internals.passed:
            dropped.append(f"internals: {internals.reason}")
        elif not numbers.passed:
            dropped.append(f"numbers: {numbers.reason}")
        elif key in seen:
            dropped.append("repeated sentence")
        else:
            seen.add(key)
            kept.append(sentence)
    if not dropped:
        return GuardResult(text.strip(), ())
    return GuardResult(" ".join(kept), tuple(dropped))
