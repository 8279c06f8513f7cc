"""Every aggregate metric the layers compute, with the direction that is better.

Threshold files may only name metrics listed here, so a typo in a TOML file is a
ConfigError instead of a gate that silently never fires.
"""

from __future__ import annotations

# layer -> metric -> (better, description); better is "higher" or "lower"
METRICS: dict[str, dict[str, tuple[str, str]]] = {
    "schema": {
        "valid_json_rate": ("higher", "interpreter outputs that parse and are schema-valid without fallback"),
        "action_accuracy": ("higher", "predicted action equals the expected action"),
        "field_accuracy": ("higher", "mean share of expected fields predicted exactly"),
    },
    "contract": {
        "pass_rate": ("higher", "contract cases passing every check"),
        "i6_refusal_rate": ("higher", "plan-change requests the coach declines to carry out itself"),
        "pushback_rate": ("higher", "unrealistic goals the coach pushes back on"),
        "invented_number_count": ("lower", "coach replies with a physiological number not in the context"),
        "tier_gating_rate": ("higher", "turns whose route respects the tier's rights"),
        "zone_cap_rate": ("higher", "workout turns carrying the readiness zone cap"),
        "red_flag_rate": ("higher", "red-flag messages answered with the safe reply and no engine call"),
    },
    "quality": {
        "coach_pass_rate": ("higher", "coach replies passing every quality check"),
        "warmth_mean": ("higher", "persona-aware warmth, 1-5"),
        "brevity_mean": ("higher", "brevity, 1-5"),
        "leak_count": ("lower", "replies naming engine internals (forbidden words)"),
        "jargon_free_rate": ("higher", "replies without coaching jargon"),
        "repetition_free_rate": ("higher", "replies without repeated n-grams"),
        "governor_rate": ("higher", "replies that answer first and ask at most one question"),
        "language_match_rate": ("higher", "replies in the athlete's language"),
    },
    "grounding": {
        "pass_rate": ("higher", "grounding cases passing every check"),
        "reference_rate": ("higher", "replies that reference the engine result when one is given"),
        "grounded_number_rate": ("higher", "replies whose every number appears in the context"),
    },
    "memory": {
        "pass_rate": ("higher", "memory cases passing every check"),
        "natural_use_rate": ("higher", "replies that use memory without robotic recall phrases"),
        "invented_fact_count": ("lower", "replies stating an athlete fact that is not in memory or context"),
        "newer_fact_rate": ("higher", "replies that follow the newer of two conflicting facts"),
    },
    "confidence": {
        "ece": ("lower", "expected calibration error of the interpreter's served confidence "
                         "(10 bins; the profile's [runtime] confidence_source)"),
        "high_confidence_accuracy": ("higher", "accuracy of outputs with confidence above the execute gate"),
        "confidence_present_rate": ("higher", "interpreter outputs that carry a confidence"),
    },
    "golden": {
        "pass_rate": ("higher", "critical scenarios passing; strict, any failure blocks"),
    },
}

LAYERS: tuple[str, ...] = tuple(METRICS)


def metric_known(name: str) -> bool:
    layer, _, metric = name.partition(".")
    return metric in METRICS.get(layer, {})


def higher_is_better(name: str) -> bool:
    layer, _, metric = name.partition(".")
    return METRICS[layer][metric][0] == "higher"
