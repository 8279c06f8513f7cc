"""Language detection (English / Dutch) and the text normalisation lexicon detectors share."""

from josi.lang._detect import LANGUAGES, detect_language
from josi.lang._normalize import normalize_for_matching

__all__ = ["LANGUAGES", "detect_language", "normalize_for_matching"]
