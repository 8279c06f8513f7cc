"""A bfloat16 profile is not trained where torch has no bfloat16 kernels for the CPU."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from josi._errors import ConfigError
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


def test_a_cpu_without_bfloat16_kernels_is_refused_with_the_way_out(fake_torch) -> None:
    fake_torch(cuda=False, native=False)
    with pytest.raises(ConfigError, match=_build.SLOW_BFLOAT16) as caught:
        _build.refuse_reference_bfloat16(load_profile("nano"))
    assert "\n" not in str(caught.value)


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
def test_training_goes_ahead_where_bfloat16_is_not_slow(fake_torch, cuda, native, overrides):
    fake_torch(cuda=cuda, native=native)
    _build.refuse_reference_bfloat16(load_profile("nano", overrides))


def test_the_environment_can_ask_to_train_anyway(fake_torch, monkeypatch) -> None:
    fake_torch(cuda=False, native=False)
    monkeypatch.setenv(_build.SLOW_BFLOAT16, "1")
    _build.refuse_reference_bfloat16(load_profile("nano"))
