"""The GGUF header reader: the runtime rejects bad model files with it before llama.cpp sees
them, and export checks every file it writes.

llama.cpp aborts or crashes on some malformed files instead of raising, so the magic,
the header and that every tensor's data lies inside the file (a truncated download is
the common failure) are checked first. Plain Python: the runtime does not install the
``gguf`` package (only the train extra does).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from josi._errors import ModelFileError

GGUF_MAGIC = b"GGUF"
_SUPPORTED_VERSIONS = (2, 3)
_DEFAULT_ALIGNMENT = 32
# Header sanity limits: a corrupt count would otherwise make the reader allocate wildly.
_MAX_COUNT = 10_000_000
_MAX_STRING = 256 * 1024 * 1024

# ggml type id -> (elements per block, bytes per block), from gguf-py's GGML_QUANT_SIZES.
_QK_K = 256
_TYPE_SIZES: dict[int, tuple[int, int]] = {
    0: (1, 4),  # F32
    1: (1, 2),  # F16
    2: (32, 18),  # Q4_0
    3: (32, 20),  # Q4_1
    6: (32, 22),  # Q5_0
    7: (32, 24),  # Q5_1
    8: (32, 34),  # Q8_0
    9: (32, 36),  # Q8_1
    10: (_QK_K, 2 + 2 + _QK_K // 16 + _QK_K // 4),  # Q2_K
    11: (_QK_K, 2 + _QK_K // 4 + _QK_K // 8 + 12),  # Q3_K
    12: (_QK_K, 2 + 2 + _QK_K // 2 + 12),  # Q4_K
    13: (_QK_K, 2 + 2 + _QK_K // 2 + _QK_K // 8 + 12),  # Q5_K
    14: (_QK_K, 2 + _QK_K // 2 + _QK_K // 4 + _QK_K // 16),  # Q6_K
    15: (_QK_K, 4 + _QK_K + _QK_K // 8),  # Q8_K
    16: (_QK_K, 2 + _QK_K // 4),  # IQ2_XXS
    17: (_QK_K, 2 + _QK_K // 4 + _QK_K // 32),  # IQ2_XS
    18: (_QK_K, 2 + _QK_K // 4 + _QK_K // 8),  # IQ3_XXS
    19: (_QK_K, 2 + _QK_K // 8 + _QK_K // 16),  # IQ1_S
    20: (32, 18),  # IQ4_NL
    21: (_QK_K, 2 + _QK_K // 4 + _QK_K // 8 + _QK_K // 32 + 4),  # IQ3_S
    22: (_QK_K, 2 + _QK_K // 4 + _QK_K // 16),  # IQ2_S
    23: (_QK_K, 2 + 2 + _QK_K // 2 + _QK_K // 64),  # IQ4_XS
    24: (1, 1),  # I8
    25: (1, 2),  # I16
    26: (1, 4),  # I32
    27: (1, 8),  # I64
    28: (1, 8),  # F64
    29: (_QK_K, _QK_K // 8 + _QK_K // 16 + _QK_K // 32),  # IQ1_M
    30: (1, 2),  # BF16
    34: (_QK_K, 2 + 4 * 13),  # TQ1_0
    35: (_QK_K, 2 + 64),  # TQ2_0
    39: (32, 17),  # MXFP4
    40: (64, 36),  # NVFP4
    41: (128, 18),  # Q1_0
    42: (64, 18),  # Q2_0
}

# GGUF value type id -> struct format for scalars.
_SCALARS = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}
_UINT32, _STRING, _ARRAY = 4, 8, 9
# Only these metadata values are kept; the token lists are large and not needed here.
_KEEP = (
    "general.",
    "adapter.",
    "tokenizer.chat_template",
    "tokenizer.ggml.bos_token_id",
    "tokenizer.ggml.eos_token_id",
    "tokenizer.ggml.padding_token_id",
    "tokenizer.ggml.add_bos_token",
    "tokenizer.ggml.model",
    "tokenizer.ggml.pre",
)


@dataclass(frozen=True)
class GgufInfo:
    """What the header says about a GGUF file."""

    path: Path
    size: int
    version: int
    n_tensors: int
    data_end: int
    metadata: dict[str, Any] = field(repr=False)

    @property
    def chat_template(self) -> str | None:
        value = self.metadata.get("tokenizer.chat_template")
        return value if isinstance(value, str) else None


class _Reader:
    def __init__(self, handle: BinaryIO, path: Path, size: int) -> None:
        self.handle, self.path, self.size = handle, path, size

    def fail(self, what: str) -> ModelFileError:
        return ModelFileError(
            f"{self.path}: {what}; the file is corrupt or truncated, download or export it again"
        )

    def read(self, n: int) -> bytes:
        data = self.handle.read(n)
        if len(data) != n:
            raise self.fail(f"unexpected end of file in the header at byte {self.handle.tell()}")
        return data

    def unpack(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.read(struct.calcsize(fmt)))[0]

    def string(self, keep: bool = True) -> str | None:
        n = self.unpack("<Q")
        if n > _MAX_STRING or self.handle.tell() + n > self.size:
            raise self.fail(f"string of {n} bytes runs past the end of the file")
        if not keep:
            self.handle.seek(n, os.SEEK_CUR)
            return None
        return self.read(n).decode("utf-8", errors="replace")

    def value(self, vtype: int, keep: bool) -> Any:
        if vtype in _SCALARS:
            return self.unpack(_SCALARS[vtype])
        if vtype == _STRING:
            return self.string(keep)
        if vtype == _ARRAY:
            item_type = self.unpack("<I")
            # llama.cpp rejects arrays of arrays, and nesting them would recurse without bound.
            if item_type == _ARRAY:
                raise self.fail("an array of arrays in the metadata")
            count = self.unpack("<Q")
            if count > _MAX_COUNT * 10:
                raise self.fail(f"array of {count} items")
            if item_type in _SCALARS:
                width = struct.calcsize(_SCALARS[item_type])
                if self.handle.tell() + count * width > self.size:
                    raise self.fail("array runs past the end of the file")
                self.handle.seek(count * width, os.SEEK_CUR)
                return None
            for _ in range(count):
                self.value(item_type, keep=False)
            return None
        raise self.fail(f"unknown metadata value type {vtype}")


def _alignment(reader: _Reader, vtype: int, value: Any) -> int:
    """``general.alignment`` as llama.cpp accepts it: a uint32 power of two (else it aborts)."""
    if vtype != _UINT32:
        raise reader.fail(f"general.alignment must be a uint32, got value type {vtype} ({value!r})")
    if value <= 0 or value & (value - 1):
        raise reader.fail(f"general.alignment must be a power of two, got {value}")
    return value


def inspect_gguf(path: str | os.PathLike[str]) -> GgufInfo:
    """Parse the header; raise ModelFileError unless the file is a complete GGUF."""
    return _read(path, _inspect)


def gguf_version(path: str | os.PathLike[str]) -> int:
    """The header's version number, read without parsing the rest of the file."""
    return _read(path, _version)


def _read(path: str | os.PathLike[str], parse: Callable[[Path], Any]) -> Any:
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"model file not found: {path}")
    if not path.is_file():
        raise ModelFileError(f"model path is not a file: {path}")
    try:
        return parse(path)
    except OSError as exc:
        raise ModelFileError(f"cannot read the model file {path}: {exc.strerror or exc}") from exc


def _magic_and_version(reader: _Reader) -> int:
    magic = reader.handle.read(4)
    if magic != GGUF_MAGIC:
        raise ModelFileError(
            f"{reader.path} is not a GGUF file (starts with {magic!r}, expected {GGUF_MAGIC!r})"
        )
    return reader.unpack("<I")


def _version(path: Path) -> int:
    with open(path, "rb") as handle:
        return _magic_and_version(_Reader(handle, path, path.stat().st_size))


def _inspect(path: Path) -> GgufInfo:
    size = path.stat().st_size
    with open(path, "rb") as handle:
        reader = _Reader(handle, path, size)
        version = _magic_and_version(reader)
        if version not in _SUPPORTED_VERSIONS:
            raise ModelFileError(
                f"{path}: GGUF version {version} is not supported (expected 2 or 3)"
            )
        n_tensors = reader.unpack("<Q")
        n_kv = reader.unpack("<Q")
        if n_tensors > _MAX_COUNT or n_kv > _MAX_COUNT:
            raise reader.fail(f"implausible header counts (tensors={n_tensors}, metadata={n_kv})")
        metadata: dict[str, Any] = {}
        alignment = _DEFAULT_ALIGNMENT
        for _ in range(n_kv):
            key = reader.string()
            vtype = reader.unpack("<I")
            keep = any(key == k or (k.endswith(".") and key.startswith(k)) for k in _KEEP)
            value = reader.value(vtype, keep)
            if keep:
                metadata[key] = value
            if key == "general.alignment":
                alignment = _alignment(reader, vtype, value)
        data_needed = 0
        for _ in range(n_tensors):
            name = reader.string()
            n_dims = reader.unpack("<I")
            if n_dims > 8:
                raise reader.fail(f"tensor {name!r} has {n_dims} dimensions")
            n_elements = 1
            for _ in range(n_dims):
                n_elements *= reader.unpack("<Q")
            ggml_type = reader.unpack("<I")
            offset = reader.unpack("<Q")
            block, nbytes = _TYPE_SIZES.get(ggml_type, (1, 0))
            data_needed = max(data_needed, offset + (n_elements // block) * nbytes)
        data_start = -(-handle.tell() // alignment) * alignment
    data_end = data_start + data_needed
    if n_tensors == 0:
        raise ModelFileError(f"{path} holds no tensors (a vocabulary-only file cannot generate)")
    if data_end > size:
        raise ModelFileError(
            f"{path} is truncated: its tensors need {data_end} bytes but the file has {size}; "
            "download or export it again"
        )
    return GgufInfo(
        path=path,
        size=size,
        version=version,
        n_tensors=n_tensors,
        data_end=data_end,
        metadata=metadata,
    )
