"""llama.cpp's converter, taken from the llama-cpp-python sdist: what is fetched, what is kept,
and that a failed fetch leaves nothing behind. pip is replaced by a fake that writes an sdist."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

import pytest

from josi._errors import JosiError
from josi.export import _llamacpp

VERSION = "0.0.1"
ROOT = f"llama_cpp_python-{VERSION}"
VENDORED = {
    "convert_hf_to_gguf.py": b"# converter\n",
    "convert_lora_to_gguf.py": b"# lora converter\n",
    "conversion/__init__.py": b"",
    "gguf-py/gguf/__init__.py": b"",
    "ggml/src/ggml.c": b"/* not wanted */\n",
}


def _write_sdist(into: Path, files: dict[str, bytes]) -> None:
    with tarfile.open(into / f"{ROOT}.tar.gz", "w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(f"{ROOT}/vendor/llama.cpp/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        outside = tarfile.TarInfo(f"{ROOT}/llama_cpp/__init__.py")
        archive.addfile(outside, io.BytesIO(b""))


@pytest.fixture
def pip_calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    monkeypatch.setenv("JOSI_CACHE", str(tmp_path / "cache"))
    calls: list[list[str]] = []

    def fake_run(cmd: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        calls.append(cmd)
        _write_sdist(Path(cmd[cmd.index("--dest") + 1]), VENDORED)
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(_llamacpp.subprocess, "run", fake_run)
    return calls


def test_only_this_package_is_forced_to_its_sdist(pip_calls: list[list[str]]) -> None:
    _llamacpp.converter_dir(VERSION)
    (cmd,) = pip_calls
    # ":all:" would build the sdist's build backend from source too, a minute of work.
    assert cmd[cmd.index("--no-binary") + 1] == "llama-cpp-python"
    assert ":all:" not in cmd
    assert cmd[-1] == f"llama-cpp-python=={VERSION}"


def test_keeps_only_the_converter_and_fetches_once(pip_calls: list[list[str]]) -> None:
    first = _llamacpp.converter_dir(VERSION)
    kept = sorted(str(p.relative_to(first)) for p in first.rglob("*") if p.is_file())
    assert kept == [
        ".complete",
        "conversion/__init__.py",
        "convert_hf_to_gguf.py",
        "convert_lora_to_gguf.py",
        "gguf-py/gguf/__init__.py",
    ]
    assert _llamacpp.converter_dir(VERSION) == first
    assert len(pip_calls) == 1


def test_a_failed_fetch_is_one_error_and_leaves_no_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOSI_CACHE", str(tmp_path / "cache"))

    def failing_run(cmd: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(cmd, 1, "", "ERROR: No matching distribution found")

    monkeypatch.setattr(_llamacpp.subprocess, "run", failing_run)
    with pytest.raises(JosiError, match=r"pip exited 1\).*No matching distribution"):
        _llamacpp.converter_dir(VERSION)
    assert list((tmp_path / "cache" / "llama.cpp").iterdir()) == []


def test_an_sdist_without_the_converter_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOSI_CACHE", str(tmp_path / "cache"))

    def partial_run(cmd: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        _write_sdist(Path(cmd[cmd.index("--dest") + 1]), {"convert_hf_to_gguf.py": b"#\n"})
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(_llamacpp.subprocess, "run", partial_run)
    with pytest.raises(JosiError, match="does not contain"):
        _llamacpp.converter_dir(VERSION)
    assert list((tmp_path / "cache" / "llama.cpp").iterdir()) == []
