"""Scoring an interpreter's request against the case's expected request."""

from __future__ import annotations

from typing import Any

from josi.evals._cases import Case
from josi.scorers import Score


def _field_value(request: dict[str, Any], name: str) -> Any:
    value = request.get(name)
    if value is None and name == "fatigue_hint":
        # Both places are schema-valid for a stated fatigue; either carries it to the engine.
        value = (request.get("constraints") or {}).get("fatigue_hint")
    return value


def request_scores(
    case: Case, predicted: dict[str, Any] | None
) -> tuple[list[Score], Score | None]:
    """The case's request checks (``action``, then ``field:<name>`` per scored field) and
    ``field_accuracy``, the share of scored fields right (the action alone when none are).

    Nothing when the case expects no request.
    """
    from josi.scorers import request_fields

    expected = case.request
    if expected is None:
        return [], None
    predicted = predicted or {}
    action = Score.binary(
        "action",
        predicted.get("action") == expected["action"],
        f"got {predicted.get('action')!r}, want {expected['action']!r}",
    )
    fields = case.scored_fields()
    if not fields:
        return [action], Score(
            "field_accuracy", action.value, action.passed, "no scored fields: the action"
        )
    agree = request_fields(predicted, expected)
    per_field = [_field_score(name, predicted, expected, agree) for name in fields]
    hits = sum(s.passed for s in per_field)
    accuracy = Score(
        "field_accuracy", hits / len(fields), hits == len(fields), f"{hits} of {len(fields)} fields"
    )
    return [action, *per_field], accuracy


def _field_score(
    name: str, predicted: dict[str, Any], expected: dict[str, Any], agree: dict[str, bool]
) -> Score:
    ok = agree.get(name, False) or (_field_value(predicted, name) == expected.get(name))
    return Score.binary(
        f"field:{name}", ok, f"got {_field_value(predicted, name)!r}, want {expected.get(name)!r}"
    )
