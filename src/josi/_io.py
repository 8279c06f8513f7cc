"""Atomic writes, strict UTF-8 reads and hashing.

A killed process never leaves a half-written file, and an input file that is not
UTF-8 is an error naming the file and the byte offset, never silently replaced text.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from josi._errors import InputEncodingError, MalformedInputError

_CHUNK = 1 << 20


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp creates 0600; give the final file the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike[str], obj: Any, *, indent: int | None = 2) -> Path:
    return atomic_write_text(
        path, json.dumps(obj, indent=indent, ensure_ascii=False, sort_keys=False) + "\n"
    )


@contextmanager
def atomic_directory(
    target: str | os.PathLike[str], *, keep_if: str | None = None
) -> Iterator[Path]:
    """A scratch folder beside ``target`` that becomes ``target`` when the block succeeds and
    is removed when it fails, so a reader never sees a half-written directory.

    An existing ``target`` is replaced, except one holding the file ``keep_if``: another
    process built the same content-addressed directory first, and the scratch folder is dropped.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        yield tmp
        if keep_if is not None and (target / keep_if).is_file():
            shutil.rmtree(tmp)
            return
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def jsonl_line(row: Any) -> str:
    """One JSONL row with its newline, as every JSONL file here is written."""
    return json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n"


def atomic_write_jsonl(path: str | os.PathLike[str], rows: Iterable[Any]) -> Path:
    return atomic_write_text(path, "".join(jsonl_line(row) for row in rows))


def decode_utf8(data: bytes, source: str | os.PathLike[str]) -> str:
    """``data`` decoded as strict UTF-8; InputEncodingError names ``source``, byte and line."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputEncodingError(
            f"{source}: not valid UTF-8 at byte {exc.start} (line {line}): {exc.reason}"
        ) from None


def decode_utf8_replacing(data: bytes) -> tuple[str, int]:
    """``data`` with each invalid UTF-8 sequence replaced by U+FFFD, and how many were replaced."""
    text = data.decode("utf-8", errors="replace")
    # EF BF BD can only ever decode as a genuine U+FFFD, so the rest are replacements.
    return text, text.count("\ufffd") - data.count(b"\xef\xbf\xbd")


def read_text(path: str | os.PathLike[str]) -> str:
    """A text input file, decoded as strict UTF-8 (see decode_utf8)."""
    with open(path, "rb") as handle:
        return decode_utf8(handle.read(), path)


def read_jsonl(path: str | os.PathLike[str]) -> list[Any]:
    """Read JSONL; a malformed line raises MalformedInputError (a ValueError) naming file and
    line."""
    rows = []
    # Split on newlines only: JSON strings may hold U+2028 and other characters that
    # str.splitlines() would treat as line breaks.
    for number, line in enumerate(read_text(path).split("\n"), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise MalformedInputError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
    return rows


def sha256_file(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
