from __future__ import annotations

import dataclasses
import json

import pytest

from josi import ConfigError
from josi.runtime import DryPenalty, RuntimeConfig, manifest_path, manifest_prompt_style


def test_defaults_are_the_v6_parameters(tmp_path):
    config = RuntimeConfig(gguf=tmp_path / "m.gguf")
    assert (config.n_ctx, config.max_tokens, config.top_p) == (4096, 200, 0.9)
    assert config.temperature("interpreter") == 0.3
    assert config.temperature("coach") == 0.5
    assert config.use_grammar and config.prefix_cache and not config.deterministic
    assert config.prompt_style == "full"
    assert config.n_gpu_layers == 0  # the phone and CI run on the CPU


def test_deterministic_means_greedy_for_both_modes(tmp_path):
    config = RuntimeConfig(gguf=tmp_path / "m.gguf", deterministic=True)
    assert config.temperature("interpreter") == config.temperature("coach") == 0.0


def test_dry_penalty_is_for_coach_replies_only(tmp_path):
    config = RuntimeConfig(gguf=tmp_path / "m.gguf")
    assert config.dry("interpreter") is None
    assert config.dry("coach") == DryPenalty(multiplier=0.8, base=1.75, allowed_length=2)
    # Greedy decoding loops the most, so the penalty stays on for deterministic runs.
    assert RuntimeConfig(gguf=tmp_path / "m.gguf", deterministic=True).dry("coach") is not None
    assert RuntimeConfig(gguf=tmp_path / "m.gguf", coach_dry_multiplier=0.0).dry("coach") is None
    with pytest.raises(ConfigError, match="unknown mode"):
        config.dry("critic")


def test_config_is_frozen(tmp_path):
    config = RuntimeConfig(gguf=tmp_path / "m.gguf")
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.n_ctx = 10  # type: ignore[misc]


def test_unknown_mode_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="unknown mode"):
        RuntimeConfig(gguf=tmp_path / "m.gguf").temperature("critic")


def test_prompt_style_comes_from_the_manifest(tmp_path):
    gguf = tmp_path / "m.gguf"
    manifest_path(gguf).write_text(json.dumps({"file": "m.gguf", "prompt_style": "compact"}))
    assert manifest_path(gguf).name == "m.gguf.manifest.json"
    assert manifest_prompt_style(gguf) == "compact"
    assert RuntimeConfig(gguf=gguf).prompt_style == "compact"
    assert RuntimeConfig(gguf=gguf, prompt_style="full").prompt_style == "full"


def test_manifest_without_prompt_style_means_full(tmp_path):
    gguf = tmp_path / "m.gguf"
    manifest_path(gguf).write_text(json.dumps({"file": "m.gguf"}))
    assert RuntimeConfig(gguf=gguf).prompt_style == "full"


@pytest.mark.parametrize(
    "content, match",
    [
        ("{not json", "cannot read the model manifest"),
        ("[1]", "must be a JSON object"),
        ('{"prompt_style": "tiny"}', "prompt_style 'tiny'"),
    ],
    ids=["broken-json", "not-an-object", "unknown-style"],
)
def test_bad_manifest_is_a_clear_error(tmp_path, content, match):
    gguf = tmp_path / "m.gguf"
    manifest_path(gguf).write_text(content)
    with pytest.raises(ConfigError, match=match):
        RuntimeConfig(gguf=gguf)


@pytest.mark.parametrize(
    "field, value",
    [
        ("n_ctx", 100),
        ("max_tokens", 0),
        ("max_tokens", 4096),
        ("top_p", 0.0),
        ("interpreter_temperature", -0.1),
        ("coach_temperature", 9.0),
        ("prompt_style", "short"),
        ("n_threads", 0),
        ("top_k", -1),
        ("min_p", 1.0),
        ("coach_dry_multiplier", -0.1),
        ("dry_base", 1.0),
        ("dry_allowed_length", 0),
        ("n_gpu_layers", -2),
        ("jump_forward_rows", -1),
        ("kv_cache_type", "q4_0"),
        ("kv_cache_type", "q8_0"),  # a quantized cache without flash attention
    ],
    ids=lambda v: str(v),
)
def test_invalid_values_are_rejected(tmp_path, field, value):
    with pytest.raises(ConfigError, match=field):
        RuntimeConfig(gguf=tmp_path / "m.gguf", **{field: value})


def test_confidence_source_comes_from_the_manifests_profile(tmp_path):
    from josi.training import load_profile

    gguf = tmp_path / "m.gguf"
    assert RuntimeConfig(gguf=gguf).confidence_source == "self"  # no manifest: the model's own
    manifest_path(gguf).write_text(json.dumps({"file": "m.gguf", "profile": "nano"}))
    chosen_by_nano = load_profile("nano").runtime.confidence_source
    assert RuntimeConfig(gguf=gguf).confidence_source == chosen_by_nano
    manifest_path(gguf).write_text(json.dumps({"file": "m.gguf", "profile": "not-here"}))
    assert RuntimeConfig(gguf=gguf).confidence_source == "self"
    chosen = RuntimeConfig(gguf=gguf, confidence_source="action_probability")
    assert chosen.confidence_source == "action_probability" and chosen.scores_actions
    assert not RuntimeConfig(gguf=gguf, confidence_source="self").scores_actions
    assert RuntimeConfig(gguf=gguf, confidence_source="self", score_actions=True).scores_actions
    with pytest.raises(ConfigError, match="confidence_source 'vibes'"):
        RuntimeConfig(gguf=gguf, confidence_source="vibes")


def test_a_served_model_defaults_to_its_own_confidence(tmp_path):
    """A server returns no logits to score: P(action) from the profile falls back, with a
    warning; asked for by name it stays (the served runtime then refuses it: test_served.py)."""
    from josi.runtime import ServedFeatureWarning

    gguf = tmp_path / "m.gguf"
    manifest_path(gguf).write_text(json.dumps({"file": "m.gguf", "profile": "nano"}))
    url = "http://127.0.0.1:1"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            "josi.runtime._config.manifest_confidence_source", lambda _: "action_probability"
        )
        assert RuntimeConfig(gguf=gguf).confidence_source == "action_probability"
        with pytest.warns(ServedFeatureWarning, match="own confidence"):
            served = RuntimeConfig(gguf=gguf, endpoint=url)
        assert served.confidence_source == "self" and not served.scores_actions
        named = RuntimeConfig(gguf=gguf, endpoint=url, confidence_source="action_probability")
        assert named.confidence_source == "action_probability"
