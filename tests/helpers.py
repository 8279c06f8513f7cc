"""Shared test helpers: JSONL fixture files, a read-only folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from josi._io import read_jsonl

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def load_jsonl_fixture(relative: str) -> list[dict[str, Any]]:
    cases = read_jsonl(FIXTURES / relative)
    ids = [case["id"] for case in cases]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise ValueError(f"{relative}: duplicate case ids {sorted(duplicates)}")
    return cases


def make_read_only(folder: Path, monkeypatch: Any) -> None:
    """Make ``folder`` refuse new files, as a read-only folder does for an ordinary user.

    Root ignores permission bits, so when running as root the refusal is also imposed on
    Python's file-creating calls: the same PermissionError the kernel would raise.
    """
    import builtins
    import io
    import os

    folder = folder.resolve()
    folder.chmod(0o555)
    if os.geteuid() != 0:
        return

    def inside(path: Any) -> bool:
        try:
            return Path(os.fsdecode(path)).resolve().parent == folder
        except (TypeError, ValueError):
            return False

    def refuse(path: Any) -> None:
        raise PermissionError(13, "Permission denied", os.fsdecode(path))

    real_os_open, real_open = os.open, builtins.open
    real_replace, real_rename, real_unlink, real_mkdir = os.replace, os.rename, os.unlink, os.mkdir
    writing = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

    def os_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & writing and inside(path):
            refuse(path)
        return real_os_open(path, flags, *args, **kwargs)

    def open_(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if not isinstance(file, int) and set(mode) & set("wax+") and inside(file):
            refuse(file)
        return real_open(file, mode, *args, **kwargs)

    def moving(real: Any) -> Any:
        def move(src: Any, dst: Any, *args: Any, **kwargs: Any) -> Any:
            if inside(src) or inside(dst):
                refuse(dst)
            return real(src, dst, *args, **kwargs)

        return move

    def creating(real: Any) -> Any:
        def create(path: Any, *args: Any, **kwargs: Any) -> Any:
            if inside(path):
                refuse(path)
            return real(path, *args, **kwargs)

        return create

    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(builtins, "open", open_)
    monkeypatch.setattr(io, "open", open_)
    monkeypatch.setattr(os, "replace", moving(real_replace))
    monkeypatch.setattr(os, "rename", moving(real_rename))
    monkeypatch.setattr(os, "unlink", creating(real_unlink))
    monkeypatch.setattr(os, "mkdir", creating(real_mkdir))
