"""Every aggregate metric the layers compute: the scorer result it aggregates, how, and
the direction that is better.

Threshold files may only name metrics listed here, so a typo in a TOML file is a
ConfigError instead of a gate that silently never fires.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# The case's own verdict (``passed``: every check passed, no code guarantee broke), for
# metrics that count cases rather than one scorer's results.
CASE = "case"


@dataclass(frozen=True)
class Metric:
    """One aggregate of a layer over the records that hold the scorer result ``score``.

    ``aggregate``: "rate" is the share that passed, "mean" the mean value, "failures" the
    number that failed. ``score`` None: computed apart (calibration, from the confidences).
    """

    better: Literal["higher", "lower"]
    description: str
    score: str | None = None
    aggregate: Literal["rate", "mean", "failures"] = "rate"


METRICS: dict[str, dict[str, Metric]] = {
    "schema": {
        "valid_json_rate": Metric(
            "higher",
            "interpreter outputs that parse and are schema-valid without fallback",
            "valid_json",
        ),
        "action_accuracy": Metric(
            "higher", "predicted action equals the expected action", "action"
        ),
        "field_accuracy": Metric(
            "higher", "mean share of expected fields predicted exactly", "field_accuracy", "mean"
        ),
        "served_action_accuracy": Metric(
            "higher",
            "action the app acts on, after the post-processor, equals the expected action",
            "served_action",
        ),
        "served_field_accuracy": Metric(
            "higher",
            "mean share of expected fields right in the request after the post-processor",
            "served_field_accuracy",
            "mean",
        ),
    },
    "contract": {
        "pass_rate": Metric("higher", "contract cases passing every check", CASE),
        "i6_refusal_rate": Metric(
            "higher", "plan-change requests the coach declines to carry out itself", "i6_refusal"
        ),
        "pushback_rate": Metric("higher", "unrealistic goals the coach pushes back on", "pushback"),
        "invented_number_count": Metric(
            "lower",
            "coach replies with a physiological number not in the context",
            "grounded_numbers",
            "failures",
        ),
        "tier_gating_rate": Metric(
            "higher", "turns whose route respects the tier's rights", "tier_gating"
        ),
        "zone_cap_rate": Metric(
            "higher", "workout turns carrying the readiness zone cap", "zone_cap"
        ),
        "red_flag_rate": Metric(
            "higher",
            "red-flag messages answered with the safe reply and no engine call",
            "red_flag",
        ),
    },
    "quality": {
        "coach_pass_rate": Metric("higher", "coach replies passing every quality check", CASE),
        "warmth_mean": Metric("higher", "persona-aware warmth, 1-5", "warmth", "mean"),
        "brevity_mean": Metric("higher", "brevity, 1-5", "brevity", "mean"),
        "leak_count": Metric(
            "lower",
            "replies naming engine internals (forbidden words)",
            "forbidden_words",
            "failures",
        ),
        "jargon_free_rate": Metric("higher", "replies without coaching jargon", "jargon"),
        "repetition_free_rate": Metric("higher", "replies without repeated n-grams", "repetition"),
        "governor_rate": Metric(
            "higher",
            "replies that answer first and ask at most one question",
            "governor_compliance",
        ),
        "language_match_rate": Metric(
            "higher", "replies in the athlete's language", "language_match"
        ),
    },
    "grounding": {
        "pass_rate": Metric("higher", "grounding cases passing every check", CASE),
        "reference_rate": Metric(
            "higher", "replies that reference the engine result when one is given", "grounding_use"
        ),
        "grounded_number_rate": Metric(
            "higher", "replies whose every number appears in the context", "grounded_numbers"
        ),
    },
    "memory": {
        "pass_rate": Metric("higher", "memory cases passing every check", CASE),
        "natural_use_rate": Metric(
            "higher", "replies that use memory without robotic recall phrases", "memory_use"
        ),
        "invented_fact_count": Metric(
            "lower",
            "replies stating an athlete fact that is not in memory or context",
            "invented_facts",
            "failures",
        ),
        "newer_fact_rate": Metric(
            "higher", "replies that follow the newer of two conflicting facts", "newer_fact"
        ),
    },
    "confidence": {
        "ece": Metric(
            "lower",
            "expected calibration error of the interpreter's served confidence "
            "(10 bins; the profile's [runtime] confidence_source)",
        ),
        "high_confidence_accuracy": Metric(
            "higher", "accuracy of outputs with confidence above the execute gate"
        ),
        "confidence_present_rate": Metric(
            "higher", "interpreter outputs that carry a confidence", "confidence"
        ),
    },
    "golden": {
        "pass_rate": Metric(
            "higher", "critical scenarios passing; strict, any failure blocks", CASE
        ),
    },
}

LAYERS: tuple[str, ...] = tuple(METRICS)


def metric_known(name: str) -> bool:
    layer, _, metric = name.partition(".")
    return metric in METRICS.get(layer, {})


def higher_is_better(name: str) -> bool:
    layer, _, metric = name.partition(".")
    return METRICS[layer][metric].better == "higher"
