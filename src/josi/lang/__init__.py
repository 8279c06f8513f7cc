"""Language detection (English / Dutch) for short athlete messages."""

from josi.lang._detect import LANGUAGES, detect_language

__all__ = ["LANGUAGES", "detect_language"]
