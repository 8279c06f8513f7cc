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


@pytest.mark.parametrize("content", [b"", b"GGU", b"PK\x03\x04rest", b"<html>404</html>"],
                         ids=["empty", "short", "zip", "html"])
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
