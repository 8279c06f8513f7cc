"""The pipeline names each exported GGUF by its role; v2 copies never stand in for the original."""

from __future__ import annotations

from pathlib import Path

import pytest

from josi.pipeline._build import _classify

CASES = [
    ("josi-nano-q4_k_m.gguf", "Q4_K_M"),
    ("josi-nano-f16.gguf", "F16"),
    ("josi-nano-q8_0.gguf", "Q8_0"),
    ("josi-nano-lora-f16.gguf", "adapter"),
    ("josi-nano-q4_k_m.v2.gguf", "Q4_K_M.v2"),
    ("josi-nano-lora-f16.v2.gguf", "adapter.v2"),
]


@pytest.mark.parametrize(("name", "role"), CASES, ids=[name for name, _ in CASES])
def test_each_file_gets_its_role(name: str, role: str) -> None:
    assert _classify([Path(name)]) == {role: Path(name)}


def test_a_v2_copy_does_not_replace_the_original() -> None:
    names = [
        Path("josi-nano-q4_k_m.gguf"),
        Path("josi-nano-q4_k_m.v2.gguf"),
        Path("josi-nano-q4_k_m.gguf.manifest.json"),
    ]
    roles = _classify(names)
    assert roles["Q4_K_M"] == names[0]
    assert roles["Q4_K_M.v2"] == names[1]
    assert len(roles) == 2
