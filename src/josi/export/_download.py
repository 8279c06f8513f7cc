"""Resumable, verified, atomic model downloads.

Bytes go to ``<dest>.part`` (continued with an HTTP Range request after an
interruption, also across processes); only a complete file whose sha256 matches
replaces ``dest``. On any failure the previous ``dest`` is left untouched.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from josi._errors import JosiError, ModelFileError
from josi.export._manifest import read_manifest, write_manifest

_CHUNK = 1 << 16


class DownloadError(JosiError):
    """The server could not deliver the file after all retries."""


def download(
    url: str,
    dest: str | os.PathLike[str],
    sha256: str | None = None,
    *,
    size: int | None = None,
    retries: int = 5,
    timeout: float = 60.0,
    backoff: float = 0.5,
    progress: Callable[[int, int | None], None] | None = None,
) -> Path:
    """Download ``url`` to ``dest``; resume partial data; verify size and sha256."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    stamp = dest.with_name(dest.name + ".part.json")
    identity = {"url": url, "sha256": sha256}
    if part.exists() and (not stamp.exists() or _read_json(stamp) != identity):
        part.unlink()
    stamp.write_text(json.dumps(identity), encoding="utf-8")

    last_error: Exception | None = None
    for attempt in range(retries + 1):
        try:
            total = _fetch(url, part, timeout=timeout, progress=progress)
            break
        except (urllib.error.URLError, OSError, TimeoutError, http.client.HTTPException, _Incomplete) as exc:
            if isinstance(exc, urllib.error.HTTPError) and exc.code not in (408, 429, 500, 502, 503, 504):
                raise DownloadError(f"{url}: HTTP {exc.code} {exc.reason}") from exc
            last_error = exc
            if attempt < retries:
                time.sleep(backoff * (2**attempt))
    else:
        raise DownloadError(f"{url}: gave up after {retries + 1} attempts ({last_error}); "
                            f"partial data kept in {part} for the next try")

    actual = part.stat().st_size
    expected_size = size if size is not None else total
    if expected_size is not None and actual != expected_size:
        part.unlink(missing_ok=True)
        raise ModelFileError(f"{url}: got {actual} bytes, expected {expected_size}; {dest} left unchanged")
    if sha256 is not None:
        digest = _sha256(part)
        if digest != sha256.lower():
            part.unlink(missing_ok=True)
            stamp.unlink(missing_ok=True)
            raise ModelFileError(
                f"{url}: sha256 {digest[:12]}... does not match the expected {sha256[:12]}...; "
                f"{dest} left unchanged"
            )
    with open(part, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(part, dest)
    stamp.unlink(missing_ok=True)
    return dest


def download_from_manifest(manifest: str | os.PathLike[str], dest_dir: str | os.PathLike[str],
                           url: str | None = None, **kwargs: object) -> Path:
    """Fetch the artifact a manifest describes (its ``url``, or ``url`` + its file name).

    The manifest is written beside the downloaded file, so it can be verified later.
    """
    data = read_manifest(manifest)
    name = str(data["file"])
    source = url or data.get("url")
    if not source:
        raise JosiError(f"{manifest}: no 'url' in the manifest; pass the base URL")
    if url and not url.endswith(name):
        source = urllib.parse.urljoin(url if url.endswith("/") else url + "/", urllib.parse.quote(name))
    target = Path(dest_dir) / name
    download(str(source), target, sha256=str(data["sha256"]), size=int(data["size"]), **kwargs)  # type: ignore[arg-type]
    extra = {k: v for k, v in data.items() if k not in ("file", "size", "sha256")}
    write_manifest(target, **extra)
    return target


class _Incomplete(Exception):
    pass


def _fetch(url: str, part: Path, *, timeout: float, progress: Callable[[int, int | None], None] | None) -> int | None:
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "josi-download"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 - URLs are the user's choice
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:
            # Range past the end: the partial file is already complete (or stale); let the size check decide.
            return have
        raise
    with response:
        status = response.status
        length = response.headers.get("Content-Length")
        if have and status == 206:
            mode = "ab"
            total = have + int(length) if length is not None else None
        else:
            have, mode = 0, "wb"
            total = int(length) if length is not None else None
        written = have
        with open(part, mode) as out:
            while True:
                chunk = response.read(_CHUNK)
                if not chunk:
                    break
                out.write(chunk)
                written += len(chunk)
                if progress is not None:
                    progress(written, total)
            out.flush()
            os.fsync(out.fileno())
    if total is not None and written < total:
        raise _Incomplete(f"connection closed at {written} of {total} bytes")
    return total


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
