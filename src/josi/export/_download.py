"""Resumable, verified, atomic model downloads.

Bytes go to ``<dest>.part`` (continued with an HTTP Range request after an
interruption, also across processes); only a complete file whose sha256 matches
replaces ``dest``. On any failure the previous ``dest`` is left untouched.

A transfer is complete only when something says how long it must be: the sha256,
a known size or the server's Content-Length. Without any of them a connection that
closes early looks like a finished file, so such a download needs ``allow_unverified``.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from josi._errors import ConfigError, JosiError, ModelFileError
from josi._io import sha256_file
from josi.export._manifest import plain_file_name, read_manifest, write_manifest

_CHUNK = 1 << 16
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_SCHEMES = ("http", "https", "file")
_RETRIED_HTTP = (408, 429, 500, 502, 503, 504)


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
    allow_unverified: bool = False,
) -> Path:
    """Download ``url`` to ``dest``; resume partial data; verify size and sha256.

    Everything that can be checked without the network (URL, sha256 format, destination)
    is checked before connecting.
    """
    dest = Path(dest)
    _check_request(url, dest, sha256, size)
    part = dest.with_name(dest.name + ".part")
    stamp = dest.with_name(dest.name + ".part.json")
    identity = {"url": url, "sha256": sha256}
    try:
        if part.exists() and (not stamp.exists() or _read_json(stamp) != identity):
            part.unlink()
        stamp.write_text(json.dumps(identity), encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write in {dest.parent}: {exc.strerror or exc}") from exc
    need_length = sha256 is None and size is None and not allow_unverified

    try:
        total = _fetch_with_retries(
            url,
            part,
            retries=retries,
            timeout=timeout,
            backoff=backoff,
            progress=progress,
            need_length=need_length,
        )
    except JosiError:
        if not part.exists():
            stamp.unlink(missing_ok=True)  # nothing to resume: leave no trace
        raise
    actual = part.stat().st_size
    expected_size = size if size is not None else total
    if expected_size is not None and actual != expected_size:
        part.unlink(missing_ok=True)
        raise ModelFileError(
            f"{url}: got {actual} bytes, expected {expected_size}; {dest} left unchanged"
        )
    if sha256 is not None:
        digest = sha256_file(part)
        if digest != sha256.lower():
            part.unlink(missing_ok=True)
            stamp.unlink(missing_ok=True)
            raise ModelFileError(
                f"{url}: sha256 {digest[:12]}... does not match the expected {sha256[:12]}...; "
                f"{dest} left unchanged"
            )
    try:
        with open(part, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(part, dest)
    except OSError as exc:
        raise DownloadError(
            f"cannot move {part} to {dest}: {exc.strerror or exc}; {dest} left unchanged"
        ) from exc
    stamp.unlink(missing_ok=True)
    return dest


def _check_request(url: str, dest: Path, sha256: str | None, size: int | None) -> None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in _SCHEMES or (parts.scheme != "file" and not parts.netloc):
        raise ConfigError(f"{url!r} is not a URL; give one like https://host/path/model.gguf")
    if sha256 is not None and not _SHA256.fullmatch(sha256):
        raise ConfigError(f"sha256 {sha256!r} must be 64 hexadecimal characters")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
        raise ConfigError(f"size {size!r} must be a whole number of bytes")
    if dest.is_dir():
        raise ConfigError(f"the destination {dest} is a folder; give the file path to write")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        raise ConfigError(
            f"the destination folder {dest.parent} cannot be created: a file is in the way"
        ) from exc
    except OSError as exc:
        raise ConfigError(
            f"the destination folder {dest.parent} cannot be created: {exc.strerror or exc}"
        ) from exc


def download_from_manifest(
    manifest: str | os.PathLike[str],
    dest_dir: str | os.PathLike[str],
    url: str | None = None,
    **kwargs: object,
) -> Path:
    """Fetch the artifact a manifest describes (its ``url``, or ``url`` + its file name).

    The manifest is written beside the downloaded file, so it can be verified later.
    """
    data = read_manifest(manifest)
    name = plain_file_name(data["file"], manifest)
    source = url or data.get("url")
    if not source:
        raise JosiError(f"{manifest}: no 'url' in the manifest; pass the base URL")
    if url and not url.endswith(name):
        source = urllib.parse.urljoin(
            url if url.endswith("/") else url + "/", urllib.parse.quote(name)
        )
    target = Path(dest_dir) / name
    if not isinstance(data["sha256"], str) or not isinstance(data["size"], int):
        raise ModelFileError(f"manifest {manifest}: 'sha256' must be a string and 'size' a number")
    download(str(source), target, sha256=data["sha256"], size=data["size"], **kwargs)  # type: ignore[arg-type]
    extra = {k: v for k, v in data.items() if k not in ("file", "size", "sha256")}
    write_manifest(target, **extra)
    return target


class _Incomplete(Exception):
    pass


def _fetch_with_retries(
    url: str,
    part: Path,
    *,
    retries: int,
    timeout: float,
    backoff: float,
    progress: Callable[[int, int | None], None] | None,
    need_length: bool,
) -> int | None:
    last_error: Exception | None = None
    for attempt in range(retries + 1):
        try:
            return _fetch(url, part, timeout=timeout, progress=progress, need_length=need_length)
        except (
            urllib.error.URLError,
            OSError,
            TimeoutError,
            http.client.HTTPException,
            _Incomplete,
        ) as exc:
            if isinstance(exc, urllib.error.HTTPError) and exc.code not in _RETRIED_HTTP:
                raise DownloadError(f"{url}: HTTP {exc.code} {exc.reason}") from exc
            last_error = exc
            if attempt < retries:
                time.sleep(backoff * (2**attempt))
    raise DownloadError(
        f"{url}: gave up after {retries + 1} attempts ({last_error}); "
        f"partial data kept in {part} for the next try"
    )


def _fetch(
    url: str,
    part: Path,
    *,
    timeout: float,
    progress: Callable[[int, int | None], None] | None,
    need_length: bool,
) -> int | None:
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "josi-download"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:
            # Range past the end: the partial file is already complete (or stale); the size
            # check decides, against the server's size when it says it (bytes */SIZE).
            match = re.fullmatch(r"bytes \*/(\d+)", exc.headers.get("Content-Range", "") or "")
            total = int(match.group(1)) if match else None
            if total is None and need_length:
                raise _unverifiable(url) from exc
            return total if total is not None else have
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
        if total is None and need_length:
            raise _unverifiable(url)
        written = have
        try:
            out = open(part, mode)  # noqa: SIM115 - closed below; only its errors are local ones
        except OSError as exc:
            raise DownloadError(f"cannot write {part}: {exc.strerror or exc}") from exc
        with out:
            while True:
                chunk = response.read(_CHUNK)
                if not chunk:
                    break
                try:
                    out.write(chunk)
                except OSError as exc:
                    raise DownloadError(f"cannot write {part}: {exc.strerror or exc}") from exc
                written += len(chunk)
                if progress is not None:
                    progress(written, total)
            out.flush()
            os.fsync(out.fileno())
    if total is not None and written < total:
        raise _Incomplete(f"connection closed at {written} of {total} bytes")
    return total


def _unverifiable(url: str) -> DownloadError:
    return DownloadError(
        f"{url}: the server sends no Content-Length and no sha256 or size was given, so a "
        "transfer that ends early could not be told from a complete one; give the sha256 "
        "(--sha256), or --allow-unverified to accept the file unchecked"
    )


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
