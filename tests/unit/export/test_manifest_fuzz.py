"""Fuzzed manifests: a clear ModelFileError or the right answer, and no other file touched."""

from __future__ import annotations

import json
import tempfile
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from josi._errors import ModelFileError
from josi._io import sha256_file
from josi.export import manifest_path, read_manifest, verify_manifest, write_manifest
from josi.export._manifest import REQUIRED

FUZZ = settings(max_examples=60, deadline=None, derandomize=True)

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)


def _snapshot(folder: Path) -> dict[str, bytes]:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return {str(p.relative_to(folder)): p.read_bytes() for p in files}


@cache
def _good_pair() -> tuple[bytes, bytes]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "josi-nano-q4_k_m.gguf"
        path.write_bytes(b"GGUF" + bytes(range(256)) * 4)
        write_manifest(path, base_model="wheel:x", quant="Q4_K_M", prompt_style="compact")
        return path.read_bytes(), manifest_path(path).read_bytes()


def _artifact(folder: Path) -> Path:
    """A model file and its valid manifest in ``folder``."""
    model, manifest = _good_pair()
    path = folder / "josi-nano-q4_k_m.gguf"
    path.write_bytes(model)
    manifest_path(path).write_bytes(manifest)
    return path


def _read_and_verify(folder: Path) -> dict | None:
    """verify_manifest's answer, or None for a ModelFileError; the folder must not change."""
    before = _snapshot(folder)
    try:
        result = verify_manifest(folder / "josi-nano-q4_k_m.gguf.manifest.json")
    except ModelFileError as exc:
        assert str(exc) and "\n" not in str(exc)
        result = None
    assert _snapshot(folder) == before
    return result


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes_are_a_model_file_error(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _artifact(folder)
        manifest_path(folder / "josi-nano-q4_k_m.gguf").write_bytes(raw)
        assert _read_and_verify(folder) is None


@FUZZ
@given(_json)
def test_any_json_that_is_not_a_complete_manifest_is_refused(value: object) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _artifact(folder)
        path = manifest_path(folder / "josi-nano-q4_k_m.gguf")
        path.write_text(json.dumps(value), encoding="utf-8")
        complete = isinstance(value, dict) and set(REQUIRED) <= set(value)
        if complete:
            assert read_manifest(path) == value
        else:
            with pytest.raises(ModelFileError):
                read_manifest(path)
        assert _read_and_verify(folder) is None


@FUZZ
@given(st.sampled_from(("file", "size", "sha256")), _json)
def test_a_mutated_field_is_refused_unless_it_still_matches(field: str, value: object) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        artifact = _artifact(folder)
        path = manifest_path(artifact)
        data = json.loads(path.read_text(encoding="utf-8"))
        truth = {
            "file": artifact.name,
            "size": artifact.stat().st_size,
            "sha256": sha256_file(artifact),
        }[field]
        data[field] = value
        path.write_text(json.dumps(data), encoding="utf-8")
        result = _read_and_verify(folder)
        if value == truth:
            assert result == data
        else:
            assert result is None


@FUZZ
@given(
    st.sampled_from(
        (
            "",
            ".",
            "..",
            "../x.gguf",
            "/etc/passwd",
            "a/b",
            "a\\b",
            "nul\x00",
            "josi-nano-q4_k_m.gguf.manifest.json",
        )
    )
)
def test_file_names_that_are_not_the_artifact_are_refused(name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = manifest_path(_artifact(folder))
        data = json.loads(path.read_text(encoding="utf-8"))
        data["file"] = name
        path.write_text(json.dumps(data), encoding="utf-8")
        assert _read_and_verify(folder) is None


def _nested(path: Path) -> None:
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")


def _long_number(path: Path) -> None:
    path.write_text('{"size": ' + "9" * 5000 + "}", encoding="utf-8")


def _not_utf8(path: Path) -> None:
    path.write_bytes(b'{"file": "\xff"}')


@pytest.mark.parametrize(
    "write",
    [_nested, _long_number, _not_utf8, Path.mkdir],
    ids=["nested-100000", "5000-digit-number", "not-utf8", "a-directory"],
)
def test_manifests_that_raised_other_errors(tmp_path: Path, write) -> None:
    """``verify_manifest("m.gguf")`` (as ``josi run --gguf m.gguf`` will) with a manifest nested
    100,000 deep, a 5,000-digit number, bytes that are not UTF-8, or a directory in the
    manifest's place raised RecursionError, ValueError, UnicodeDecodeError or IsADirectoryError."""
    path = tmp_path / "m.gguf.manifest.json"
    write(path)
    with pytest.raises(ModelFileError, match="manifest"):
        verify_manifest(tmp_path / "m.gguf")
