"""Fuzzed GGUF headers: a clear ModelFileError or the right answer, and no other file touched.

Valid headers are generated from random metadata and tensors, then truncated or overwritten;
inspect_gguf must either describe the file correctly or raise ModelFileError.
"""

from __future__ import annotations

import struct
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from josi._errors import ModelFileError
from josi.runtime import GgufInfo, inspect_gguf

from ._gguf_writer import write_gguf

FUZZ = settings(max_examples=60, deadline=None, derandomize=True)

# GGUF value type -> (struct format, strategy for a value that survives the round trip)
_SCALARS: dict[int, tuple[str, st.SearchStrategy[Any]]] = {
    0: ("<B", st.integers(0, 2**8 - 1)),
    1: ("<b", st.integers(-(2**7), 2**7 - 1)),
    2: ("<H", st.integers(0, 2**16 - 1)),
    3: ("<h", st.integers(-(2**15), 2**15 - 1)),
    4: ("<I", st.integers(0, 2**32 - 1)),
    5: ("<i", st.integers(-(2**31), 2**31 - 1)),
    6: ("<f", st.floats(width=32, allow_nan=False)),
    7: ("<?", st.booleans()),
    10: ("<Q", st.integers(0, 2**64 - 1)),
    11: ("<q", st.integers(-(2**63), 2**63 - 1)),
    12: ("<d", st.floats(allow_nan=False)),
}
_STRING, _ARRAY = 8, 9
_KEYS = st.sampled_from(
    [
        "general.name",
        "general.architecture",
        "general.quantization_version",
        "tokenizer.chat_template",
        "tokenizer.ggml.model",
        "tokenizer.ggml.tokens",
        "llama.context_length",
        "llama.embedding_length",
    ]
) | st.text(max_size=12)


def _string(text: str) -> bytes:
    data = text.encode("utf-8")
    return struct.pack("<Q", len(data)) + data


@st.composite
def _value(draw: st.DrawFn) -> tuple[int, bytes, Any]:
    """(value type, encoded value, what the reader keeps: the value, or None for arrays)."""
    vtype = draw(st.sampled_from([*_SCALARS, _STRING, _ARRAY]))
    if vtype in _SCALARS:
        fmt, values = _SCALARS[vtype]
        value = draw(values)
        return vtype, struct.pack(fmt, value), struct.unpack(fmt, struct.pack(fmt, value))[0]
    if vtype == _STRING:
        text = draw(st.text(max_size=20))
        return vtype, _string(text), text
    item = draw(st.sampled_from([4, _STRING]))
    items = draw(
        st.lists(st.text(max_size=5) if item == _STRING else st.integers(0, 2**32 - 1), max_size=5)
    )
    body = b"".join(_string(i) if item == _STRING else struct.pack("<I", i) for i in items)
    return vtype, struct.pack("<IQ", item, len(items)) + body, None


def _kept(key: str) -> bool:
    from josi._gguf import _KEEP

    return any(key == k or (k.endswith(".") and key.startswith(k)) for k in _KEEP)


@st.composite
def _gguf(draw: st.DrawFn) -> tuple[bytes, dict[str, Any], int]:
    """A valid GGUF: (bytes, the metadata inspect_gguf keeps, number of tensors)."""
    version = draw(st.sampled_from([2, 3]))
    entries = draw(st.lists(st.tuples(_KEYS, _value()), max_size=6, unique_by=lambda e: e[0]))
    entries = [(k, v) for k, v in entries if k != "general.alignment"]
    alignment = draw(st.sampled_from([None, 1, 8, 32, 64]))
    kv = [(key, vtype, raw) for key, (vtype, raw, _) in entries]
    if alignment is not None:
        kv.append(("general.alignment", 4, struct.pack("<I", alignment)))
    sizes = draw(st.lists(st.integers(1, 16), min_size=1, max_size=3))
    align = alignment or 32
    header = b"GGUF" + struct.pack("<IQQ", version, len(sizes), len(kv))
    for key, vtype, raw in kv:
        header += _string(key) + struct.pack("<I", vtype) + raw
    offset, data = 0, b""
    for index, n in enumerate(sizes):
        header += _string(f"t{index}") + struct.pack("<IQIQ", 1, n, 0, offset)
        data += b"\0" * (offset - len(data)) + b"\1" * (4 * n)
        offset = -(-(offset + 4 * n) // align) * align
    header += b"\0" * (-len(header) % align)
    expected = {key: value for key, (_, _, value) in entries if _kept(key)}
    if alignment is not None:
        expected["general.alignment"] = alignment
    return header + data, expected, len(sizes)


def _inspect_alone(content: bytes) -> GgufInfo | None:
    """inspect_gguf on ``content`` in a folder of its own: the answer, or None for a
    ModelFileError; the file must be unchanged and nothing else written."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.gguf"
        path.write_bytes(content)
        try:
            info = inspect_gguf(path)
        except ModelFileError as exc:
            assert str(exc) and "\n" not in str(exc)
            info = None
        assert [p.name for p in Path(tmp).iterdir()] == ["m.gguf"]
        assert path.read_bytes() == content
    if info is not None:
        assert info.size == len(content) and info.data_end <= info.size
        assert info.version in (2, 3) and info.n_tensors >= 1
    return info


@FUZZ
@given(_gguf())
def test_a_valid_header_is_read_correctly(case: tuple[bytes, dict[str, Any], int]) -> None:
    content, expected, n_tensors = case
    info = _inspect_alone(content)
    assert info is not None
    assert info.n_tensors == n_tensors and info.data_end == len(content)
    assert info.metadata == expected


@FUZZ
@given(_gguf(), st.data())
def test_a_truncated_file_is_a_model_file_error(
    case: tuple[bytes, dict, int], data: st.DataObject
) -> None:
    content = case[0]
    cut = data.draw(st.integers(0, len(content) - 1))
    assert _inspect_alone(content[:cut]) is None


_EXTREMES = [0, 1, 7, 2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**63 - 1, 2**63, 2**64 - 1]


@FUZZ
@given(_gguf(), st.data())
def test_overwritten_header_bytes_give_an_error_or_a_consistent_answer(
    case: tuple[bytes, dict, int], data: st.DataObject
) -> None:
    content = bytearray(case[0])
    at = data.draw(st.integers(4, len(content) - 1))
    patch = data.draw(
        st.one_of(
            st.binary(min_size=1, max_size=16),
            st.sampled_from(_EXTREMES).map(lambda n: struct.pack("<Q", n)),
            st.sampled_from(_EXTREMES).map(lambda n: struct.pack("<I", n % 2**32)),
        )
    )
    content[at : at + len(patch)] = patch
    _inspect_alone(bytes(content))


@FUZZ
@given(st.sampled_from([2, 3]), st.binary(max_size=200))
def test_random_bytes_after_the_magic(version: int, rest: bytes) -> None:
    _inspect_alone(b"GGUF" + struct.pack("<I", version) + rest)


@FUZZ
@given(_value())
def test_general_alignment_must_be_a_uint32_power_of_two(entry: tuple[int, bytes, Any]) -> None:
    vtype, raw, value = entry
    with tempfile.TemporaryDirectory() as tmp:
        content = write_gguf(Path(tmp) / "m.gguf", alignment=(vtype, raw)).read_bytes()
    info = _inspect_alone(content)
    if not (vtype == 4 and value > 0 and value & (value - 1) == 0):
        assert info is None
