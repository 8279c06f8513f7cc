from __future__ import annotations

import tomllib

import pytest

from josi._errors import ConfigError
from josi._resources import resource_dir
from josi.evals import METRICS, Bound, load_thresholds, threshold_profiles

PROFILES = threshold_profiles()


def test_every_model_profile_has_a_thresholds_file():
    for path in resource_dir("profiles").glob("*.toml"):
        name = tomllib.loads(path.read_text(encoding="utf-8")).get("thresholds")
        if name:
            assert name in PROFILES, f"{path.name} names thresholds {name!r}"


@pytest.mark.parametrize("profile", PROFILES)
def test_profile_loads_and_gates_every_layer(profile):
    thresholds = load_thresholds(profile)
    assert thresholds.profile == profile
    assert {g.layer for g in thresholds.gates} == set(METRICS)


@pytest.mark.parametrize("profile", PROFILES)
def test_production_targets_are_never_lowered_in_the_layer_tables(profile):
    production = {g.metric: g.production for g in load_thresholds("production").gates}
    mine = load_thresholds(profile)
    assert {g.metric: g.production for g in mine.gates} == production
    for gate in mine.gates:
        if not gate.below_production:
            assert gate.bound == gate.production


def test_production_profile_has_the_plan_targets():
    t = load_thresholds("production")
    expect = {
        "schema.valid_json_rate": (">=", 1.0),
        "schema.action_accuracy": (">", 0.9),
        "quality.coach_pass_rate": (">", 0.8),
        "quality.warmth_mean": (">", 3.5),
        "quality.brevity_mean": (">", 3.5),
        "quality.governor_rate": (">", 0.9),
        "quality.leak_count": ("<=", 0.0),
        "contract.pushback_rate": (">=", 1.0),
    }
    for metric, (op, value) in expect.items():
        gate = t.gate(metric)
        assert (gate.bound.op, gate.bound.value) == (op, value), metric
    assert not any(g.below_production for g in t.gates)


def test_nano_lists_below_target_gates_separately():
    t = load_thresholds("nano")
    below = [g for g in t.gates if g.below_production]
    # Measured figures, each weaker than the production target it stands in for.
    assert below and not any(g.todo for g in below)
    assert all(g.bound != g.production for g in below)
    assert not t.gate("schema.valid_json_rate").below_production


def test_model_profile_name_resolves_to_its_thresholds():
    assert load_thresholds("qwen3-4b").profile == "production"


@pytest.mark.parametrize(
    "text, message",
    [
        ("[schema]\nvalid_jsn_rate = { min = 1.0 }\n", "unknown metric"),
        ("[schema]\nvalid_json_rate = { max = 1.0 }\n", "better when higher"),
        ("[schema]\nvalid_json_rate = { min = 1.0, above = 0.5 }\n", "exactly one"),
        ("[schema]\nvalid_json_rate = 1.0\n", "inline table"),
        (
            "[below_production_target.schema]\naction_accuracy = { min = 0.5 }\n",
            "without a production target",
        ),
        ("[compare]\nalpha = 2\n", "alpha"),
        ("[schemas]\n", "unknown tables"),
    ],
)
def test_bad_threshold_files_are_rejected(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_thresholds(path)


def test_unknown_profile_names_the_available_ones():
    with pytest.raises(ConfigError, match=r"available: .*nano"):
        load_thresholds("no-such-profile")


@pytest.mark.parametrize(
    "op, value, x, holds",
    [
        (">=", 1.0, 1.0, True),
        (">", 0.9, 0.9, False),
        ("<=", 0, 0, True),
        ("<", 0.15, 0.2, False),
        (">=", 0.5, None, False),
    ],
)
def test_bound_semantics(op, value, x, holds):
    assert Bound(op, value).holds(x) is holds


@pytest.mark.parametrize(
    "bound", [Bound(">=", 0.8417), Bound(">", 0.9), Bound("<=", 0.0), Bound("<", 3.5)]
)
def test_a_bound_reads_back_from_its_text(bound: Bound) -> None:
    assert Bound.from_text(bound.text()) == bound


@pytest.mark.parametrize("text", ["0.9", "=> 0.9", "> ninety", ""])
def test_text_that_is_no_bound_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        Bound.from_text(text)
