"""Atomic writes: all or nothing, ordinary permissions, readable errors on bad JSONL."""

from __future__ import annotations

import os
import stat

import pytest

from josi._errors import InputEncodingError
from josi._io import (
    atomic_write_jsonl,
    atomic_write_text,
    decode_utf8_replacing,
    read_jsonl,
    read_text,
    sha256_file,
)


def test_atomic_write_replaces_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "a" / "out.txt"
    atomic_write_text(target, "one")
    atomic_write_text(target, "two")
    assert target.read_text() == "two"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.txt"]


def test_atomic_write_uses_ordinary_permissions(tmp_path):
    target = atomic_write_text(tmp_path / "out.txt", "x")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


def test_failed_write_keeps_the_previous_file(tmp_path, monkeypatch):
    target = tmp_path / "out.txt"
    atomic_write_text(target, "kept")

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        atomic_write_text(target, "lost")
    assert target.read_text() == "kept"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_jsonl_round_trip_and_bad_line(tmp_path):
    path = atomic_write_jsonl(tmp_path / "rows.jsonl", [{"a": 1}, {"b": "ü"}])
    assert read_jsonl(path) == [{"a": 1}, {"b": "ü"}]
    path.write_text('{"a": 1}\n{broken\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"rows.jsonl:2"):
        read_jsonl(path)
    assert len(sha256_file(path)) == 64


def test_strict_utf8_names_the_file_byte_and_line(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b'{"a": 1}\n{"b": "caf\xe9"}\n')
    message = r"rows.jsonl: not valid UTF-8 at byte 19 \(line 2\)"
    with pytest.raises(InputEncodingError, match=message):
        read_jsonl(path)
    with pytest.raises(ValueError):  # callers that catch ValueError keep working
        read_text(path)


def test_replacing_counts_only_invalid_sequences():
    text, replaced = decode_utf8_replacing("ok \ufffd ".encode() + b"\xe9\xff \xe2\x82")
    assert text == "ok \ufffd \ufffd\ufffd \ufffd" and replaced == 3


def test_jsonl_lines_split_on_newlines_only(tmp_path):
    rows = [{"text": "a\u2028b\x85c\x0cd"}, {"text": "e"}]
    path = atomic_write_jsonl(tmp_path / "rows.jsonl", rows)
    assert read_jsonl(path) == rows


def test_atomic_directory_appears_whole_or_not_at_all(tmp_path):
    from josi._io import atomic_directory

    target = tmp_path / "built"
    with pytest.raises(RuntimeError), atomic_directory(target) as scratch:
        (scratch / "half.bin").write_bytes(b"x")
        raise RuntimeError("killed halfway")
    assert not target.exists() and list(tmp_path.iterdir()) == []
    with atomic_directory(target) as scratch:
        (scratch / "DONE").write_text("1")
    assert (target / "DONE").read_text() == "1"
    with atomic_directory(target) as scratch:
        (scratch / "DONE").write_text("2")
    assert (target / "DONE").read_text() == "2"  # replaced
    with atomic_directory(target, keep_if="DONE") as scratch:
        (scratch / "DONE").write_text("3")
    assert (target / "DONE").read_text() == "2"  # another writer finished first: kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["built"]
