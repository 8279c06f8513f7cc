"""Write tiny synthetic GGUF files for header tests (no model weights needed)."""

from __future__ import annotations

import struct
from pathlib import Path


def _string(text: str) -> bytes:
    data = text.encode("utf-8")
    return struct.pack("<Q", len(data)) + data


def write_gguf(
    path: Path,
    *,
    version: int = 3,
    n_floats: int = 64,
    template: str | None = "x",
    truncate: int = 0,
    alignment: tuple[int, bytes] = (4, struct.pack("<I", 32)),
) -> Path:
    """One F32 tensor of ``n_floats`` values; ``truncate`` drops that many bytes from the end.

    ``alignment`` is the (value type, encoded value) of ``general.alignment``.
    """
    kv = [("general.architecture", 8, _string("llama")), ("general.alignment", *alignment)]
    if template is not None:
        kv.append(("tokenizer.chat_template", 8, _string(template)))
    kv.append(("tokenizer.ggml.tokens", 9, struct.pack("<IQ", 8, 2) + _string("a") + _string("b")))
    header = b"GGUF" + struct.pack("<IQQ", version, 1, len(kv))
    for key, vtype, value in kv:
        header += _string(key) + struct.pack("<I", vtype) + value
    header += _string("w") + struct.pack("<I", 1) + struct.pack("<Q", n_floats)
    header += struct.pack("<I", 0) + struct.pack("<Q", 0)
    header += b"\0" * (-len(header) % 32)
    data = header + b"\0" * (4 * n_floats)
    path.write_bytes(data[: len(data) - truncate] if truncate else data)
    return path
