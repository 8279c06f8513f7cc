from __future__ import annotations

import json
from pathlib import Path

import pytest

from josi._errors import ModelFileError
from josi.export import manifest_path, verify_manifest, write_manifest
from josi.export._manifest import REQUIRED


@pytest.fixture
def artifact(tmp_path: Path) -> Path:
    path = tmp_path / "josi-nano-q4_k_m.gguf"
    path.write_bytes(b"GGUF" + bytes(range(256)) * 64)
    write_manifest(
        path,
        base_model="wheel:x",
        quant="Q4_K_M",
        dataset_hash="d" * 64,
        config_hash="c" * 64,
        prompt_style="compact",
    )
    return path


def test_manifest_has_every_required_field(artifact: Path) -> None:
    data = json.loads(manifest_path(artifact).read_text(encoding="utf-8"))
    assert set(REQUIRED) <= set(data)
    assert data["file"] == artifact.name
    assert data["size"] == artifact.stat().st_size
    assert verify_manifest(artifact)["sha256"] == data["sha256"]
    assert verify_manifest(manifest_path(artifact))["quant"] == "Q4_K_M"


def test_flipped_byte_is_detected(artifact: Path) -> None:
    raw = bytearray(artifact.read_bytes())
    raw[100] ^= 0xFF
    artifact.write_bytes(bytes(raw))
    with pytest.raises(ModelFileError, match="sha256"):
        verify_manifest(artifact)


def test_truncation_is_detected(artifact: Path) -> None:
    artifact.write_bytes(artifact.read_bytes()[:-1])
    with pytest.raises(ModelFileError, match="size"):
        verify_manifest(artifact)


def test_edited_manifest_is_detected(artifact: Path) -> None:
    mpath = manifest_path(artifact)
    data = json.loads(mpath.read_text(encoding="utf-8"))
    data["sha256"] = "0" * 64
    mpath.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ModelFileError):
        verify_manifest(artifact)


def test_missing_artifact_and_path_escape(artifact: Path) -> None:
    mpath = manifest_path(artifact)
    data = json.loads(mpath.read_text(encoding="utf-8"))
    data["file"] = "../elsewhere.gguf"
    mpath.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ModelFileError, match="bare file name"):
        verify_manifest(mpath)
    artifact.unlink()
    with pytest.raises(ModelFileError):
        verify_manifest(artifact)
