"""``josi download`` never replaces a good file with a bad one and never writes outside its
destination. The server is local (127.0.0.1, a free port, a thread stopped after each test)
and can leave out Content-Length and stop mid-transfer."""

from __future__ import annotations

import hashlib
import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from josi._progress import Progress
from josi.cli import main
from josi.export import download, write_manifest
from tests.helpers import make_read_only

PAYLOAD = bytes((i * 7) % 251 for i in range(300_000))
SHA = hashlib.sha256(PAYLOAD).hexdigest()


class _Origin:
    """Serves PAYLOAD at any path; ``content_length`` and ``stop_at`` shape the response."""

    def __init__(self) -> None:
        self.content_length = True
        self.stop_at: int | None = None
        self.requests: list[str] = []
        origin = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 5  # a stuck client cannot hold the test

            def log_message(self, *args: object) -> None:
                return

            def do_GET(self) -> None:
                origin.requests.append(self.path)
                self.send_response(200)
                if origin.content_length:
                    self.send_header("Content-Length", str(len(PAYLOAD)))
                self.end_headers()
                # HTTP/1.0: the connection closes after the body, which is how a server
                # without Content-Length says "the end" -- also when it stops early.
                self.wfile.write(PAYLOAD[: origin.stop_at])

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.url = self.base + "/model.gguf"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)


@pytest.fixture
def origin() -> Iterator[_Origin]:
    server = _Origin()
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
        server.thread.join(timeout=5)


def _one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.mark.parametrize(
    "name",
    ["ABSOLUTE", "../evil.gguf", "sub/evil.gguf", "..", "a\\b.gguf"],
    ids=["absolute", "dotdot", "folder", "parent", "backslash"],
)
def test_a_manifest_file_name_cannot_leave_the_destination(tmp_path, capsys, origin, name):
    """``josi download --manifest M --dest D URL`` where M's "file" is an absolute path or
    contains ``../``: the file and its manifest were written outside D, exit 0."""
    source = tmp_path / "src" / "model.gguf"
    source.parent.mkdir()
    source.write_bytes(PAYLOAD)
    manifest = write_manifest(source)
    outside = tmp_path / "outside"
    outside.mkdir()
    data = json.loads(manifest.read_text())
    data["file"] = str(outside / "evil.gguf") if name == "ABSOLUTE" else name
    manifest.write_text(json.dumps(data))
    dest = tmp_path / "dest" / "inner"
    dest.mkdir(parents=True)
    before = _tree(tmp_path)
    argv = ["download", origin.base + "/", "--manifest", str(manifest), "--dest", str(dest)]
    assert main(argv) == 2
    assert "bare file name" in _one_error_line(capsys.readouterr().err)
    assert _tree(tmp_path) == before
    assert origin.requests == []


def test_a_transfer_cut_short_without_content_length_or_sha256_is_an_error(
    tmp_path, capsys, origin
):
    """``josi download URL --dest m.gguf`` without --sha256, from a server that stops
    mid-transfer and sent no Content-Length: the previous file was replaced by the prefix."""
    origin.content_length, origin.stop_at = False, 100_000
    dest = tmp_path / "m.gguf"
    dest.write_bytes(b"previous good model")
    assert main(["download", origin.url, "--dest", str(dest)]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "Content-Length" in line and "--allow-unverified" in line and "--sha256" in line
    assert dest.read_bytes() == b"previous good model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.gguf"]


def test_allow_unverified_accepts_a_server_without_content_length(tmp_path, capsys, origin):
    """``josi download URL --dest m.gguf --allow-unverified``: the user's explicit choice."""
    origin.content_length = False
    dest = tmp_path / "m.gguf"
    assert main(["download", origin.url, "--dest", str(dest), "--allow-unverified"]) == 0
    assert dest.read_bytes() == PAYLOAD


def test_a_sha256_catches_a_transfer_cut_without_content_length(tmp_path, capsys, origin):
    """``josi download URL --dest m.gguf --sha256 HASH`` from a server that stops early."""
    origin.content_length, origin.stop_at = False, 100_000
    dest = tmp_path / "m.gguf"
    dest.write_bytes(b"previous good model")
    assert main(["download", origin.url, "--dest", str(dest), "--sha256", SHA]) == 2
    assert "sha256" in _one_error_line(capsys.readouterr().err)
    assert dest.read_bytes() == b"previous good model"


@pytest.mark.parametrize("bad", ["xyz", SHA[:-1], SHA + "0", "g" * 64])
def test_a_malformed_sha256_is_refused_before_connecting(tmp_path, capsys, origin, bad):
    """``josi download URL --dest m.gguf --sha256 xyz``: the whole file was downloaded first,
    then a mismatch reported."""
    assert main(["download", origin.url, "--dest", str(tmp_path / "m.gguf"), "--sha256", bad]) == 2
    assert "64 hexadecimal" in _one_error_line(capsys.readouterr().err)
    assert origin.requests == []


@pytest.mark.parametrize(
    "where", ["read-only folder", "dest is a folder", "parent is a file", "no scheme"]
)
def test_filesystem_and_url_mistakes_are_one_line(tmp_path, capsys, monkeypatch, origin, where):
    """``josi download URL --dest ro/m.gguf`` (read-only folder), ``--dest some_dir``,
    ``--dest a_file/m.gguf``, or ``josi download example.com/m.gguf``: tracebacks."""
    url, dest = origin.url, tmp_path / "d" / "m.gguf"
    if where == "read-only folder":
        dest.parent.mkdir()
        make_read_only(dest.parent, monkeypatch)
    elif where == "dest is a folder":
        dest.mkdir(parents=True)
    elif where == "parent is a file":
        dest.parent.write_text("a file")
    else:
        url = "example.com/model.gguf"
    assert main(["download", url, "--dest", str(dest), "--sha256", SHA]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert (url in line) if where == "no scheme" else (str(dest.parent) in line)
    assert origin.requests == []


def test_a_long_transfer_shows_a_progress_bar_on_a_terminal(tmp_path, origin):
    stream = io.StringIO()
    bar = Progress(None, unit="MB", scale=1e6, per="s", stream=stream, tty=True, plain_every_s=None)

    def progress(done: int, total: int | None) -> None:
        bar.total = total
        bar.update(done)

    download(origin.url, tmp_path / "m.gguf", SHA, progress=progress)
    bar.close()
    assert "0.3/0.3 MB" in stream.getvalue() and "[####################]" in stream.getvalue()


def test_no_progress_bar_in_a_log(tmp_path, origin):
    stream = io.StringIO()
    bar = Progress(
        None, unit="MB", scale=1e6, per="s", stream=stream, tty=False, plain_every_s=None
    )
    download(origin.url, tmp_path / "m.gguf", SHA, progress=lambda done, total: bar.update(done))
    bar.close()
    assert stream.getvalue() == ""
