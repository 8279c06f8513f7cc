"""Downloads against a local HTTP server on 127.0.0.1 that honours Range and can cut connections."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from josi._errors import ModelFileError
from josi.export import download, download_from_manifest, write_manifest
from josi.export._download import DownloadError

PAYLOAD = bytes((i * 7) % 251 for i in range(300_000))
SHA = hashlib.sha256(PAYLOAD).hexdigest()


class _Server:
    def __init__(self) -> None:
        self.cut_after: list[int] = []  # per request: close the connection after this many bytes
        self.ranges: list[str | None] = []
        self.payload = PAYLOAD
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def do_GET(self) -> None:
                if self.path.startswith("/missing"):
                    self.send_error(404)
                    return
                data = server.payload
                header = self.headers.get("Range")
                server.ranges.append(header)
                start = int(header.split("=")[1].split("-")[0]) if header else 0
                if start >= len(data):
                    self.send_response(416)
                    self.end_headers()
                    return
                body = data[start:]
                self.send_response(206 if header else 200)
                if header:
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if server.cut_after:
                    body = body[: server.cut_after.pop(0)]
                self.wfile.write(body)
                self.wfile.flush()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/model.gguf"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> _Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[_Server]:
    with _Server() as srv:
        yield srv


def test_plain_download_verifies(server: _Server, tmp_path: Path) -> None:
    dest = download(server.url, tmp_path / "m.gguf", SHA)
    assert dest.read_bytes() == PAYLOAD
    assert not (tmp_path / "m.gguf.part").exists()


def test_interrupted_transfer_resumes_with_range(server: _Server, tmp_path: Path) -> None:
    server.cut_after = [100_000, 50_000]
    dest = download(server.url, tmp_path / "m.gguf", SHA, backoff=0.0)
    assert dest.read_bytes() == PAYLOAD
    assert server.ranges == [None, "bytes=100000-", "bytes=150000-"]


def test_partial_file_survives_the_process_and_is_continued(
    server: _Server, tmp_path: Path
) -> None:
    server.cut_after = [120_000]
    with pytest.raises(DownloadError):
        download(server.url, tmp_path / "m.gguf", SHA, retries=0)
    assert (tmp_path / "m.gguf.part").stat().st_size == 120_000
    download(server.url, tmp_path / "m.gguf", SHA, retries=0)
    assert (tmp_path / "m.gguf").read_bytes() == PAYLOAD
    assert server.ranges[-1] == "bytes=120000-"


def test_wrong_hash_keeps_the_previous_version(server: _Server, tmp_path: Path) -> None:
    dest = tmp_path / "m.gguf"
    dest.write_bytes(b"previous model")
    with pytest.raises(ModelFileError, match="sha256"):
        download(server.url, dest, "f" * 64)
    assert dest.read_bytes() == b"previous model"
    assert not (tmp_path / "m.gguf.part").exists()


def test_server_error_keeps_the_previous_version(server: _Server, tmp_path: Path) -> None:
    dest = tmp_path / "m.gguf"
    dest.write_bytes(b"previous model")
    with pytest.raises(DownloadError, match="404"):
        download(server.url.replace("model.gguf", "missing.gguf"), dest, SHA)
    assert dest.read_bytes() == b"previous model"


def test_download_from_manifest(server: _Server, tmp_path: Path) -> None:
    source = tmp_path / "src" / "model.gguf"
    source.parent.mkdir()
    source.write_bytes(PAYLOAD)
    manifest = write_manifest(source, quant="Q4_K_M", base_model="b")
    got = download_from_manifest(manifest, tmp_path / "dest", server.url.rsplit("/", 1)[0])
    assert got.read_bytes() == PAYLOAD
    assert (tmp_path / "dest" / "model.gguf.manifest.json").is_file()
