from __future__ import annotations

import struct

import pytest

from josi import ModelFileError
from josi.runtime import JosiRuntime, RuntimeConfig, inspect_gguf

from ._gguf_writer import write_gguf


def test_a_complete_file_passes(tmp_path):
    info = inspect_gguf(write_gguf(tmp_path / "ok.gguf", template="{{ messages }}"))
    assert info.version == 3 and info.n_tensors == 1
    assert info.data_end == info.size
    assert info.chat_template == "{{ messages }}"
    assert info.metadata["general.architecture"] == "llama"


def test_missing_file(tmp_path):
    with pytest.raises(ModelFileError, match="not found"):
        inspect_gguf(tmp_path / "nope.gguf")


def test_directory_is_not_a_model(tmp_path):
    with pytest.raises(ModelFileError, match="not a file"):
        inspect_gguf(tmp_path)


@pytest.mark.parametrize(
    "content",
    [b"", b"GGU", b"PK\x03\x04rest", b"<html>404</html>"],
    ids=["empty", "short", "zip", "html"],
)
def test_wrong_magic(tmp_path, content):
    path = tmp_path / "m.gguf"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match="not a GGUF file"):
        inspect_gguf(path)


def test_unsupported_version(tmp_path):
    with pytest.raises(ModelFileError, match="version 7"):
        inspect_gguf(write_gguf(tmp_path / "m.gguf", version=7))


def test_truncated_tensor_data(tmp_path):
    path = write_gguf(tmp_path / "m.gguf", n_floats=64, truncate=10)
    with pytest.raises(ModelFileError, match="truncated"):
        inspect_gguf(path)


def test_truncated_header(tmp_path):
    full = write_gguf(tmp_path / "full.gguf").read_bytes()
    path = tmp_path / "m.gguf"
    path.write_bytes(full[:40])
    with pytest.raises(ModelFileError, match="corrupt or truncated"):
        inspect_gguf(path)


def test_absurd_counts_are_rejected_without_allocating(tmp_path):
    path = tmp_path / "m.gguf"
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 2**40, 2**40))
    with pytest.raises(ModelFileError, match="implausible"):
        inspect_gguf(path)


def test_runtime_refuses_a_bad_file_before_llama_cpp_sees_it(tmp_path):
    path = write_gguf(tmp_path / "m.gguf", truncate=4)
    with pytest.raises(ModelFileError, match="truncated"):
        JosiRuntime(RuntimeConfig(gguf=path))


class _FakeLlama:
    def __init__(self, ids: list[int]) -> None:
        self.ids = ids

    def tokenize(self, text: bytes, add_bos: bool, special: bool) -> list[int]:
        assert special and not add_bos
        return list(self.ids)


def _engine_with(ids: list[int], add_bos: bool):
    from josi.runtime._engine import Engine

    engine = object.__new__(Engine)
    engine.llm, engine.add_bos, engine.bos_id = _FakeLlama(ids), add_bos, 1
    return engine


@pytest.mark.parametrize(
    "ids, add_bos, expected",
    [([5, 6], True, [1, 5, 6]), ([1, 5, 6], True, [1, 5, 6]), ([1, 5, 1], False, [1, 5, 1])],
    ids=["bos-added", "template-already-has-bos", "model-without-bos"],
)
def test_exactly_one_bos(ids, add_bos, expected):
    assert _engine_with(ids, add_bos).tokenize("x") == expected


def test_double_bos_is_refused():
    from josi import ContractError

    with pytest.raises(ContractError, match="two BOS"):
        _engine_with([1, 1, 5], True).tokenize("x")


@pytest.mark.parametrize(
    ("alignment", "message"),
    [
        ((8, struct.pack("<Q", 2) + b"32"), "must be a uint32"),
        ((4, struct.pack("<I", 0)), "power of two"),
        ((6, struct.pack("<f", 0.5)), "must be a uint32"),
        ((6, struct.pack("<f", 32.0)), "must be a uint32"),
        ((4, struct.pack("<I", 24)), "power of two"),
        ((5, struct.pack("<i", -32)), "must be a uint32"),
    ],
    ids=["string", "zero", "float-half", "float-32", "not-a-power-of-two", "negative-int32"],
)
def test_malformed_alignment_is_a_model_file_error(tmp_path, alignment, message):
    """A GGUF whose ``general.alignment`` is a string, 0 or a float gave a ValueError or
    ZeroDivisionError traceback (``josi run --gguf bad.gguf ...``; here
    ``inspect_gguf(bad.gguf)``). llama.cpp accepts only a uint32 power of two."""
    path = write_gguf(tmp_path / "m.gguf", alignment=alignment)
    with pytest.raises(ModelFileError, match=message):
        inspect_gguf(path)


def test_nested_metadata_arrays_are_refused_without_recursing(tmp_path):
    """An array of arrays of arrays ... 100,000 deep used to hit RecursionError."""
    depth = 100_000
    header = b"GGUF" + struct.pack("<IQQ", 3, 1, 1)
    header += struct.pack("<Q", 1) + b"k" + struct.pack("<I", 9)
    header += struct.pack("<IQ", 9, 1) * depth
    path = tmp_path / "m.gguf"
    path.write_bytes(header)
    with pytest.raises(ModelFileError, match="array of arrays"):
        inspect_gguf(path)


def test_unreadable_file_is_a_model_file_error(tmp_path, monkeypatch):
    """A model file the user may not read gave a PermissionError traceback."""
    from josi import _gguf

    path = write_gguf(tmp_path / "m.gguf")

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    # Running as root ignores file modes, so the refusal is simulated at the module's open().
    monkeypatch.setattr(_gguf, "open", refuse, raising=False)
    with pytest.raises(ModelFileError, match="Permission denied"):
        inspect_gguf(path)
