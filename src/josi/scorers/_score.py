"""The one result type every scorer returns."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Score:
    """One scorer's verdict on one output.

    ``reason`` is for people; ``metadata`` holds what the scorer found as data (tuples of
    strings, counts), so callers read the findings instead of parsing the reason.
    """

    name: str
    value: float
    passed: bool
    reason: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict, hash=False)

    @classmethod
    def binary(cls, name: str, passed: bool, reason: str = "", **metadata: Any) -> Score:
        """A pass/fail result, valued 1.0 or 0.0."""
        return cls(name, 1.0 if passed else 0.0, passed, reason, metadata)


def all_passed(scores: Iterable[Score]) -> bool:
    return all(score.passed for score in scores)


def failures(scores: Iterable[Score]) -> tuple[Score, ...]:
    return tuple(score for score in scores if not score.passed)
