"""llama.cpp's own converters, taken from the llama-cpp-python sdist at the installed version.

The GGUF we ship must be produced by the converter that matches the runtime that
loads it, so the converter scripts are fetched from the package registry (``pip
download`` of the sdist) into the cache and never copied into this repository.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from josi._errors import JosiError, MissingDependencyError, ModelFileError
from josi._io import atomic_write_text
from josi._resources import cache_dir

_PACKAGE = "llama-cpp-python"
_WANTED = ("convert_hf_to_gguf.py", "convert_lora_to_gguf.py", "conversion/", "gguf-py/")
_DONE = ".complete"


def llama_cpp_version() -> str:
    try:
        return importlib.metadata.version(_PACKAGE)
    except importlib.metadata.PackageNotFoundError as exc:
        raise MissingDependencyError(
            "llama-cpp-python is needed for export; pip install 'josi[runtime]'"
        ) from exc


def converter_dir(version: str | None = None) -> Path:
    """Directory holding convert_hf_to_gguf.py, conversion/ and gguf-py/ for ``version``."""
    version = version or llama_cpp_version()
    target = cache_dir() / "llama.cpp" / version
    if (target / _DONE).is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".download.") as scratch:
        sdist = _download_sdist(version, Path(scratch))
        staging = Path(scratch) / "staging"
        _extract(sdist, staging)
        atomic_write_text(staging / _DONE, f"{_PACKAGE}=={version}\n")
        try:
            os.replace(staging, target)
        except OSError:
            if not (target / _DONE).is_file():
                shutil.rmtree(target, ignore_errors=True)
                os.replace(staging, target)
    return target


def _download_sdist(version: str, into: Path) -> Path:
    # Only this package is forced to its sdist: ``:all:`` would also build the sdist's build
    # backend (scikit-build-core) and that backend's own build tools from source just to read
    # the sdist's metadata, 73 s against 13 s for the same file with no pip cache.
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--no-binary",
        _PACKAGE,
        "--dest",
        str(into),
        f"{_PACKAGE}=={version}",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    found = sorted(into.glob("llama_cpp_python-*.tar.gz"))
    if result.returncode != 0 or not found:
        raise JosiError(
            f"could not fetch the {_PACKAGE}=={version} sdist that holds llama.cpp's converter "
            f"(pip exited {result.returncode}): {result.stderr.strip()[-600:]}"
        )
    return found[0]


def _extract(sdist: Path, staging: Path) -> None:
    staging.mkdir(parents=True)
    with tarfile.open(sdist, "r:gz") as archive:
        members = []
        for member in archive.getmembers():
            parts = member.name.split("/", 3)
            # llama_cpp_python-X/vendor/llama.cpp/<relative>
            if len(parts) < 4 or parts[1:3] != ["vendor", "llama.cpp"]:
                continue
            relative = parts[3]
            if not any(relative == w or relative.startswith(w) for w in _WANTED):
                continue
            if not (member.isfile() or member.isdir()):
                continue
            member.name = relative
            members.append(member)
        archive.extractall(staging, members=members, filter="data")
    missing = [w for w in _WANTED if not (staging / w.rstrip("/")).exists()]
    if missing:
        raise JosiError(f"{sdist.name} does not contain {missing}; cannot convert to GGUF")


def run_converter(
    script: str, args: list[str], *, version: str | None = None, timeout: float = 3600
) -> str:
    """Run one of llama.cpp's converter scripts with this interpreter and its gguf-py."""
    root = converter_dir(version)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(root / "gguf-py"), str(root)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    )
    env.setdefault("NO_LOCAL_GGUF", "")
    result = subprocess.run(
        [sys.executable, str(root / script), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise ModelFileError(
            f"{script} failed (exit {result.returncode}): {result.stderr.strip()[-1500:]}"
        )
    return result.stdout + result.stderr


def quantize(
    src: Path, dst: Path, quant: str, *, threads: int = 0, requantize: bool = False
) -> Path:
    """Quantize a GGUF with llama.cpp's quantizer (through llama_cpp's C API); ``requantize``
    accepts an already quantized source, at a cost in quality that exports never pay."""
    from josi._lazy import require
    from josi.training import UNIFORM_QUANTS

    llama_cpp = require("llama_cpp")
    ftype_name = f"LLAMA_FTYPE_MOSTLY_{quant.upper()}"
    ftype = getattr(llama_cpp, ftype_name, None)
    if ftype is None:
        raise JosiError(f"llama.cpp has no quantization type {quant!r}")
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = ftype
    if quant.upper() in UNIFORM_QUANTS:
        every = getattr(llama_cpp, f"GGML_TYPE_{quant.upper()}")
        params.pure = True
        params.output_tensor_type = every
        params.token_embedding_type = every
    params.nthread = threads
    params.allow_requantize = requantize
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.tmp")
    code = llama_cpp.llama_model_quantize(str(src).encode(), str(tmp).encode(), params)
    if code != 0 or not tmp.is_file():
        tmp.unlink(missing_ok=True)
        raise ModelFileError(f"quantizing {src.name} to {quant} failed (code {code})")
    os.replace(tmp, dst)
    return dst
