"""The one result type every scorer returns."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Score:
    name: str
    value: float
    passed: bool
    reason: str = ""


def all_passed(scores: Iterable[Score]) -> bool:
    return all(score.passed for score in scores)


def failures(scores: Iterable[Score]) -> tuple[Score, ...]:
    return tuple(score for score in scores if not score.passed)
