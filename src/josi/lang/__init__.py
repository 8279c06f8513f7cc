"""Language detection (English / Dutch), the text normalisation lexicon detectors share,
and sentence splitting, which every layer that judges or reshapes text agrees on."""

from josi.lang._detect import LANGUAGES, detect_language
from josi.lang._normalize import normalize_for_matching
from josi.lang._sentences import count_questions, is_question, split_sentences

__all__ = [
    "LANGUAGES",
    "count_questions",
    "detect_language",
    "is_question",
    "normalize_for_matching",
    "split_sentences",
]
