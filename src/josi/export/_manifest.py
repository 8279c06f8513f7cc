"""Manifests: ``<file>.manifest.json`` beside every artifact, enough to reproduce and verify it."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
from pathlib import Path, PureWindowsPath
from typing import Any

from josi._errors import InputEncodingError, ModelFileError
from josi._io import atomic_write_json, read_text, sha256_file
from josi._resources import cache_dir, repo_root, resource_dir

MANIFEST_SUFFIX = ".manifest.json"
REQUIRED = (
    "file",
    "size",
    "sha256",
    "base_model",
    "quant",
    "dataset_hash",
    "config_hash",
    "source_revision",
    "llama_cpp_version",
    "pre_tokenizer",
    "chat_template_sha256",
    "prompt_style",
)


def manifest_path(artifact: str | os.PathLike[str]) -> Path:
    artifact = Path(artifact)
    if artifact.name.endswith(MANIFEST_SUFFIX):
        return artifact
    return artifact.with_name(artifact.name + MANIFEST_SUFFIX)


def source_revision() -> str | None:
    """``git rev-parse HEAD`` of the checkout (with ``+dirty`` for local changes), if any."""
    root = repo_root()
    if root is None:
        return None
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10
        )
        if head.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "--no-optional-locks", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def prompt_hashes() -> dict[str, str]:
    try:
        folder = resource_dir("prompts")
    except FileNotFoundError:
        return {}
    return {p.name: sha256_file(p) for p in sorted(folder.glob("*.txt"))}


def write_manifest(artifact: str | os.PathLike[str], **fields: Any) -> Path:
    """Write the manifest for ``artifact``; file, size and sha256 are computed here."""
    artifact = Path(artifact)
    if not artifact.is_file():
        raise ModelFileError(f"cannot write a manifest for missing file {artifact}")
    data: dict[str, Any] = {
        "file": artifact.name,
        "size": artifact.stat().st_size,
        "sha256": sha256_file(artifact),
    }
    for key, value in fields.items():
        if key not in data:
            data[key] = value
    for key in REQUIRED:
        data.setdefault(key, None)
    return atomic_write_json(manifest_path(artifact), data)


def read_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    path = manifest_path(path)
    try:
        data = json.loads(read_text(path))
    except FileNotFoundError as exc:
        raise ModelFileError(f"manifest {path} does not exist") from exc
    except OSError as exc:
        raise ModelFileError(f"cannot read manifest {path}: {exc.strerror or exc}") from exc
    except InputEncodingError as exc:
        # A model-file error like any broken manifest, worded as every strict decode is.
        raise ModelFileError(str(exc)) from exc
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"manifest {path} is not valid JSON ({exc.msg})") from exc
    # Nesting deeper than the recursion limit, or an integer of more than 4,300 digits.
    except (RecursionError, ValueError) as exc:
        raise ModelFileError(f"manifest {path} is not a manifest ({type(exc).__name__})") from exc
    if not isinstance(data, dict):
        raise ModelFileError(f"manifest {path} is not a JSON object")
    missing = [key for key in REQUIRED if key not in data]
    if missing:
        raise ModelFileError(f"manifest {path} lacks {missing}")
    return data


def plain_file_name(name: Any, manifest: str | os.PathLike[str]) -> str:
    """``name`` if it is a plain file name, else ModelFileError.

    A manifest's ``file`` is joined to a folder: a separator, ``..`` or an absolute path
    would point outside it.
    """
    if (
        not isinstance(name, str)
        or name in ("", ".", "..")
        or "/" in name
        or "\\" in name
        or "\0" in name
        or PureWindowsPath(name).drive
    ):
        raise ModelFileError(
            f"manifest {manifest}: 'file' must be a bare file name (no folder, no '..', "
            f"not absolute), got {name!r}"
        )
    return name


def verify_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Check the artifact beside a manifest against its size and sha256; return the manifest.

    Accepts the artifact or the manifest path. Raises ModelFileError on any mismatch.
    """
    mpath = manifest_path(path)
    data = read_manifest(mpath)
    artifact = mpath.with_name(plain_file_name(data["file"], mpath))
    if not artifact.is_file():
        raise ModelFileError(f"{artifact} named by {mpath.name} does not exist")
    size = artifact.stat().st_size
    if size != data["size"]:
        raise ModelFileError(
            f"{artifact.name}: size {size} != manifest size {data['size']} (tampered or truncated)"
        )
    digest = sha256_file(artifact)
    if digest != data["sha256"]:
        raise ModelFileError(
            f"{artifact.name}: sha256 {digest[:12]}... != manifest {str(data['sha256'])[:12]}..."
        )
    return data


def verify_before_load(artifact: str | os.PathLike[str]) -> dict[str, Any] | None:
    """Verify ``artifact`` against the manifest beside it, if there is one (None if not).

    Hashing a model takes seconds, so a success is remembered in the cache folder, keyed
    by the artifact's resolved path, size and mtime_ns and the manifest's size and sha256:
    a changed file or manifest is checked again. Raises ModelFileError on any mismatch.
    """
    artifact = Path(artifact)
    mpath = manifest_path(artifact)
    if not mpath.is_file():
        return None
    data = read_manifest(mpath)
    if plain_file_name(data["file"], mpath) != artifact.name:
        raise ModelFileError(f"manifest {mpath} describes {data['file']!r}, not {artifact.name!r}")
    try:
        stat = artifact.stat()
    except OSError as exc:
        raise ModelFileError(f"cannot read {artifact}: {exc.strerror}") from exc
    key = {
        "path": str(artifact.resolve()),
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "manifest_size": data["size"],
        "manifest_sha256": data["sha256"],
    }
    record = _verified_record(key["path"])
    if record is not None:
        try:
            if json.loads(read_text(record)) == key:
                return data
        except (OSError, ValueError):
            pass  # an unreadable record only costs a fresh check
    verify_manifest(mpath)
    if record is not None:
        # A read-only cache only costs the next load a fresh check.
        with contextlib.suppress(OSError):
            atomic_write_json(record, key)
    return data


def _verified_record(resolved: str) -> Path | None:
    try:
        folder = cache_dir() / "verified"
    except OSError:
        return None
    return folder / (hashlib.sha256(resolved.encode("utf-8")).hexdigest()[:32] + ".json")
