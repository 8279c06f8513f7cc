"""A bfloat16 profile trains in float32, under its own key, where torch has no bfloat16 kernels
for the CPU; a cached bfloat16 build is reused first."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from josi.pipeline import _build
from josi.training import load_profile


def _torch(*, cuda: bool, native: bool | None) -> SimpleNamespace:
    def supported() -> bool:
        if native is None:
            raise RuntimeError("no such op")
        return native

    return SimpleNamespace(
        cuda=SimpleNamespace(is_available=lambda: cuda),
        ops=SimpleNamespace(mkldnn=SimpleNamespace(_is_mkldnn_bf16_supported=supported)),
    )


@pytest.fixture
def fake_torch(monkeypatch):
    def use(**kwargs):
        monkeypatch.setattr("josi._lazy.require", lambda name: _torch(**kwargs))

    monkeypatch.delenv(_build.SLOW_BFLOAT16, raising=False)
    return use


def test_a_cpu_without_bfloat16_kernels_trains_in_float32(fake_torch) -> None:
    fake_torch(cuda=False, native=False)
    assert _build.trains_in_float32_here(load_profile("nano"))


@pytest.mark.parametrize(
    ("cuda", "native", "overrides"),
    [
        (False, True, []),  # the CPU has the kernels
        (True, False, []),  # a GPU trains it
        (False, None, []),  # this torch cannot tell
        (False, False, ["model.dtype=float32"]),  # the profile does not ask for bfloat16
    ],
    ids=["native-cpu", "gpu", "unknown", "float32-profile"],
)
def test_the_profile_keeps_its_number_format_elsewhere(fake_torch, cuda, native, overrides):
    fake_torch(cuda=cuda, native=native)
    assert not _build.trains_in_float32_here(load_profile("nano", overrides))


def test_the_environment_can_keep_bfloat16(fake_torch, monkeypatch) -> None:
    fake_torch(cuda=False, native=False)
    monkeypatch.setenv(_build.SLOW_BFLOAT16, "1")
    assert not _build.trains_in_float32_here(load_profile("nano"))


def test_float32_changes_the_number_format_only() -> None:
    bf16 = load_profile("nano")
    f32 = _build.in_float32(bf16)
    assert f32.model.dtype == "float32"
    assert f32.training_hash() == load_profile("nano", ["model.dtype=float32"]).training_hash()
    assert f32.training_hash() != bf16.training_hash()
    assert {**f32.to_dict(), "model": None} == {**bf16.to_dict(), "model": None}


@pytest.fixture
def stage_calls(monkeypatch, tmp_path):
    """_train_stage with its inputs stubbed: the trainer records the dtype it was asked for."""
    trained: list[str] = []

    def train_sft(profile, data_dir, out):
        trained.append(profile.model.dtype)
        return out / "adapter"

    monkeypatch.setattr("josi.training.ensure_base_checkpoint", lambda profile: tmp_path / "base")
    monkeypatch.setattr("josi.training.train_sft", train_sft)
    monkeypatch.setattr("josi.data.dataset_hash", lambda data_dir: "d" * 64)
    monkeypatch.setattr(_build, "base_fingerprint", lambda base: "base")
    return trained


def test_the_stage_trains_float32_under_its_own_key(fake_torch, stage_calls, tmp_path) -> None:
    fake_torch(cuda=False, native=False)
    profile, lines = load_profile("nano"), []
    _, key, trained = _build._train_stage(profile, tmp_path, tmp_path / "data", lines.append)
    assert stage_calls == ["float32"]
    assert trained.model.dtype == "float32"  # what the export's manifest records
    assert key == _build.train_key(_build.in_float32(profile), "d" * 64, tmp_path / "base")
    assert key != _build.train_key(profile, "d" * 64, tmp_path / "base")
    assert any("float32" in line for line in lines)


def test_a_cached_bfloat16_build_is_reused_on_such_a_cpu(fake_torch, stage_calls, tmp_path) -> None:
    fake_torch(cuda=False, native=False)
    profile = load_profile("nano")
    key = _build.train_key(profile, "d" * 64, tmp_path / "base")
    done = tmp_path / f"train-{key}"
    done.mkdir()
    (done / "DONE.json").write_text(json.dumps({"adapter_dir": str(done / "sft")}))
    adapter, reused, trained = _build._train_stage(
        profile, tmp_path, tmp_path / "data", lambda _: None
    )
    assert (adapter, reused, trained) == (done / "sft", key, profile)
    assert stage_calls == []
