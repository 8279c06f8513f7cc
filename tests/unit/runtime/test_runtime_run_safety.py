"""``josi run`` never loses a file: outputs are checked before any case runs, results
stream to ``OUTPUT.partial``, input is strict UTF-8 and the model is checked against
its manifest before it loads. The model is a stand-in: no test here loads a GGUF."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import ClassVar

import pytest

from josi import ModelFileError
from josi._io import read_jsonl
from josi._progress import Progress
from josi.cli import main
from josi.export import write_manifest
from josi.export._manifest import verify_before_load
from josi.runtime import JosiRuntime, RuntimeConfig
from josi.runtime._batch import execute_batch, partial_path, plan_batch
from josi.runtime._config import manifest_path
from tests.helpers import make_read_only

from .test_runtime_batch_chat import CTX, FakeRuntime


class ScriptedRuntime(FakeRuntime):
    """JosiRuntime's stand-in for the command line; ``stop_after`` turns, then Ctrl-C."""

    def __init__(self, config: RuntimeConfig, stop_after: int | None = None) -> None:
        super().__init__()
        self.config, self.stop_after = config, stop_after

    def __enter__(self) -> ScriptedRuntime:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def turn(self, ctx, message, history=None):
        if self.stop_after is not None and len(self.seen) >= self.stop_after:
            raise KeyboardInterrupt
        return super().turn(ctx, message, history)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JOSI_CACHE", str(tmp_path / "cache"))


class _Built(list):
    stop_after: int | None = None


@pytest.fixture
def model(monkeypatch) -> _Built:
    """Every runtime the command line builds, in order; set ``model.stop_after`` to interrupt."""
    built = _Built()

    def build(config: RuntimeConfig) -> ScriptedRuntime:
        runtime = ScriptedRuntime(config, stop_after=built.stop_after)
        built.append(runtime)
        return runtime

    monkeypatch.setattr("josi.runtime._runtime.JosiRuntime", build)
    return built


def _cases(tmp_path: Path, n: int = 3) -> Path:
    cases = tmp_path / "in.jsonl"
    cases.write_text(
        "".join(
            json.dumps({"id": f"c{i}", "message": f"m{i}", "context": CTX}) + "\n" for i in range(n)
        )
    )
    return cases


def _files(tmp_path: Path, n: int = 3) -> tuple[Path, Path]:
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF model bytes")
    return gguf, _cases(tmp_path, n)


def _run(gguf: Path, cases: Path, output: Path, *extra: str) -> int:
    return main(
        ["run", "--gguf", str(gguf), "--input", str(cases), "--output", str(output), *extra]
    )


def _ids(path: Path) -> list[str]:
    return [row["id"] for row in read_jsonl(path)]


def _one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# --- outputs --------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["input", "gguf", "manifest", "symlink-to-input"])
def test_an_output_that_is_an_input_is_refused(tmp_path, capsys, model, which):
    """``josi run --gguf m.gguf --input in.jsonl --output in.jsonl`` (or ``--output m.gguf``):
    the input, or the model, used to be overwritten with the results, exit 0."""
    gguf, cases = _files(tmp_path)
    write_manifest(gguf)
    if which == "symlink-to-input":
        output = tmp_path / "link.jsonl"
        output.symlink_to(cases)
    else:
        output = {"input": cases, "gguf": gguf, "manifest": manifest_path(gguf)}[which]
    before = {p: p.read_bytes() for p in (gguf, cases, manifest_path(gguf))}
    assert _run(gguf, cases, output) == 2
    assert "is the input" in _one_error_line(capsys.readouterr().err)
    assert {p: p.read_bytes() for p in before} == before
    assert not model  # refused before the model was loaded


def test_only_invalid_rows_leave_the_existing_output_untouched(tmp_path, capsys, model):
    """``josi run --input bad.jsonl --output results.jsonl`` with every row invalid and a
    results.jsonl from an earlier run: exit 2, and results.jsonl used to be truncated to 0 bytes."""
    gguf, cases = _files(tmp_path)
    cases.write_text('{"message": ""}\nnot json\n[1, 2]\n')
    output = tmp_path / "results.jsonl"
    output.write_text('{"id": "earlier"}\n')
    assert _run(gguf, cases, output) == 2
    assert output.read_text() == '{"id": "earlier"}\n'
    assert "no valid case" in _one_error_line(capsys.readouterr().err)
    assert not partial_path(output).exists() and not model


def test_a_negative_limit_is_refused_before_anything_is_touched(tmp_path, capsys, model):
    """``josi run ... --output results.jsonl --limit -1``: no case ran, and the existing
    results.jsonl was truncated to 0 bytes."""
    gguf, cases = _files(tmp_path)
    output = tmp_path / "results.jsonl"
    output.write_text("earlier\n")
    assert _run(gguf, cases, output, "--limit", "-1") == 2
    assert output.read_text() == "earlier\n"
    assert "limit -1" in _one_error_line(capsys.readouterr().err) and not model


def test_every_case_failing_leaves_the_existing_output_untouched(tmp_path):
    """``josi run ... --output results.jsonl`` where every turn fails: nothing replaces the
    earlier results."""
    _gguf, cases = _files(tmp_path, n=1)
    output = tmp_path / "results.jsonl"
    output.write_text("earlier\n")
    plan = plan_batch(cases, output, report=lambda _: None)
    summary = execute_batch(FakeRuntime(fail_on="m0"), plan, report=lambda _: None)
    assert summary.succeeded == 0
    assert output.read_text() == "earlier\n" and not partial_path(output).exists()


@pytest.mark.parametrize(
    "where", ["read-only folder", "existing folder", "missing folder", "parent is a file"]
)
def test_the_output_location_is_checked_before_the_first_case(
    tmp_path, capsys, monkeypatch, model, where
):
    """``josi run ... --output ro/out.jsonl`` (a read-only folder) or ``--output some_dir``:
    a traceback after every case had run, and all results lost."""
    gguf, cases = _files(tmp_path)
    target = tmp_path / "target"
    if where == "read-only folder":
        target.mkdir()
        output = target / "out.jsonl"
        make_read_only(target, monkeypatch)
    elif where == "existing folder":
        target.mkdir()
        output = target
    elif where == "missing folder":
        output = target / "out.jsonl"
    else:
        target.write_text("a file")
        output = target / "out.jsonl"
    assert _run(gguf, cases, output) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert str(target) in line
    assert not model  # nothing ran, no model time spent


# --- streaming and resume -------------------------------------------------------------------


def test_a_killed_run_keeps_its_finished_cases_and_resume_finishes_it(tmp_path, capsys, model):
    """``josi run ... --output out.jsonl`` stopped after 2 of 5 cases: every finished case
    used to be lost (results were written only at the end); ``--resume`` continues."""
    gguf, cases = _files(tmp_path, n=5)
    output = tmp_path / "out.jsonl"
    model.stop_after = 2
    assert _run(gguf, cases, output) == 130
    partial = partial_path(output)
    assert _ids(partial) == ["c0", "c1"] and not output.exists()
    assert "--resume" in capsys.readouterr().err

    # Without --resume the finished cases are not thrown away.
    assert _run(gguf, cases, output) == 2
    assert "--resume" in _one_error_line(capsys.readouterr().err)
    assert _ids(partial) == ["c0", "c1"]

    model.stop_after = None
    assert _run(gguf, cases, output, "--resume") == 0
    assert [message for message, _ in model[-1].seen] == ["m2", "m3", "m4"]
    assert _ids(output) == ["c0", "c1", "c2", "c3", "c4"]
    assert not partial.exists()


def test_resume_drops_a_row_cut_off_by_a_kill(tmp_path, model):
    """``josi run ... --resume`` after a kill that left half a row in out.jsonl.partial."""
    gguf, cases = _files(tmp_path, n=2)
    output = tmp_path / "out.jsonl"
    kept = json.dumps({"id": "c0", "reply": "kept"})
    partial_path(output).write_text(kept + '\n{"id": "c1", "re')
    assert _run(gguf, cases, output, "--resume") == 0
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["c0", "c1"] and rows[0]["reply"] == "kept"
    assert [message for message, _ in model[-1].seen] == ["m1"]


def test_each_finished_case_is_on_disk_before_the_next_starts(tmp_path):
    """A killed process (SIGKILL: no clean-up) still leaves every finished case on disk."""
    _, cases = _files(tmp_path, n=3)
    output = tmp_path / "out.jsonl"
    on_disk: list[list[str]] = []

    class Watching(FakeRuntime):
        def turn(self, ctx, message, history=None):
            partial = partial_path(output)
            on_disk.append(_ids(partial) if partial.exists() else [])
            return super().turn(ctx, message, history)

    plan = plan_batch(cases, output, report=lambda _: None)
    execute_batch(Watching(), plan, report=lambda _: None)
    assert on_disk == [[], ["c0"], ["c0", "c1"]]
    assert _ids(output) == ["c0", "c1", "c2"]


def test_duplicate_ids_are_reported_and_skipped(tmp_path):
    """``josi run`` with two rows sharing an id: results (and --resume) match cases by id."""
    _, cases = _files(tmp_path, n=2)
    with cases.open("a") as handle:
        handle.write(json.dumps({"id": "c0", "message": "again", "context": CTX}) + "\n")
    reports: list[str] = []
    plan = plan_batch(cases, tmp_path / "out.jsonl", report=reports.append)
    assert [c.id for c in plan.todo] == ["c0", "c1"] and plan.skipped == 1
    assert any("in.jsonl:3" in r and "already used on line 1" in r for r in reports)


def test_progress_on_a_terminal_shows_cases_rate_and_eta():
    clock = iter([0.0, 30.0, 60.0, 90.0])
    stream = io.StringIO()
    bar = Progress(3, unit="cases", stream=stream, tty=True, clock=lambda: next(clock))
    bar.update(1)
    bar.update(2)
    bar.close()
    shown = stream.getvalue()
    assert "\r[" in shown and "1/3 cases, 2.0 cases/min, ETA 1m00s" in shown
    assert "2/3 cases, 2.0 cases/min, ETA 30s" in shown and shown.endswith("\n")


def test_progress_in_a_log_is_plain_periodic_lines():
    times = iter([0.0, 10.0, 31.0, 40.0, 62.0])
    stream = io.StringIO()
    bar = Progress(10, unit="cases", stream=stream, tty=False, clock=lambda: next(times))
    for done in (1, 3, 4, 6):
        bar.update(done)
    bar.close()
    assert stream.getvalue().splitlines() == [
        "3/10 cases, 5.8 cases/min, ETA 1m12s",
        "6/10 cases, 5.8 cases/min, ETA 41s",
    ]


# --- strict UTF-8 input ---------------------------------------------------------------------


def test_non_utf8_input_is_an_error_naming_the_byte(tmp_path, capsys, model):
    """``josi run --input latin1.jsonl ...``: bytes that are not UTF-8 used to be replaced by
    U+FFFD silently, with no warning."""
    gguf, cases = _files(tmp_path, n=1)
    first = cases.read_bytes()
    cases.write_bytes(first + b'{"message": "caf\xe9", "context": {}}\n')
    assert _run(gguf, cases, tmp_path / "out.jsonl") == 2
    line = _one_error_line(capsys.readouterr().err)
    assert f"in.jsonl: not valid UTF-8 at byte {len(first) + 16} (line 2)" in line
    assert "--encoding-errors replace" in line
    assert not model and not (tmp_path / "out.jsonl").exists()


def test_encoding_errors_replace_reads_on_with_a_warning_count(tmp_path, capsys, model):
    """``josi run --encoding-errors replace --input latin1.jsonl ...``"""
    gguf, cases = _files(tmp_path, n=0)
    cases.write_bytes(
        json.dumps({"id": "x", "message": "caf?", "context": CTX})
        .encode()
        .replace(b"?", b"\xe9 \xff")
        + b"\n"
    )
    assert _run(gguf, cases, tmp_path / "out.jsonl", "--encoding-errors", "replace") == 0
    assert "2 invalid UTF-8 sequence(s) replaced" in capsys.readouterr().err
    assert model[0].seen[0][0] == "caf\ufffd \ufffd"


# --- the manifest is checked before the model loads ------------------------------------------


class _Engine:
    loads: ClassVar[list[Path]] = []

    def __init__(self, config: RuntimeConfig) -> None:
        _Engine.loads.append(config.gguf)
        raise ModelFileError("the engine was asked to load the model")


@pytest.fixture
def tampered(tmp_path, monkeypatch) -> Path:
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF the exported bytes")
    write_manifest(gguf)
    gguf.write_bytes(b"GGUF the tampered bytes")  # same size: only the sha256 can tell
    _Engine.loads = []
    monkeypatch.setattr("josi.runtime._runtime.Engine", _Engine)
    return gguf


def test_run_refuses_a_model_that_does_not_match_its_manifest(tmp_path, capsys, tampered):
    """``josi run --gguf m.gguf ...`` after m.gguf changed: it ran silently, the manifest was
    never checked at load."""
    cases = _cases(tmp_path)
    assert _run(tampered, cases, tmp_path / "out.jsonl") == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "m.gguf: sha256" in line and "manifest" in line
    assert _Engine.loads == []


def test_chat_refuses_a_model_that_does_not_match_its_manifest(capsys, tampered):
    """``josi chat --gguf m.gguf`` after m.gguf changed."""
    assert main(["chat", "--gguf", str(tampered)]) == 2
    assert "m.gguf: sha256" in _one_error_line(capsys.readouterr().err)
    assert _Engine.loads == []


def test_no_verify_loads_the_model_knowingly(tmp_path, capsys, tampered):
    """``josi run --no-verify --gguf m.gguf ...``"""
    cases = _cases(tmp_path)
    assert _run(tampered, cases, tmp_path / "out.jsonl", "--no-verify") == 2
    assert "the engine was asked" in capsys.readouterr().err
    assert _Engine.loads == [tampered]


def test_the_eval_fixture_config_verifies_before_loading(tampered):
    """``pytest --gguf m.gguf`` (the josi_runtime fixture) after m.gguf changed."""
    from josi.pytest_plugin import eval_runtime_config

    with pytest.raises(ModelFileError, match="sha256"):
        JosiRuntime(eval_runtime_config(tampered))
    assert _Engine.loads == []


def test_verification_is_paid_once_per_file_version(tmp_path, monkeypatch):
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF model")
    write_manifest(gguf)
    hashed: list[Path] = []
    from josi.export import _manifest

    real = _manifest.sha256_file

    def counting(path):
        hashed.append(Path(path))
        return real(path)

    monkeypatch.setattr(_manifest, "sha256_file", counting)
    assert verify_before_load(gguf)["file"] == "m.gguf"
    assert verify_before_load(gguf)["file"] == "m.gguf"
    assert hashed == [gguf]
    stat = gguf.stat()
    os.utime(gguf, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    verify_before_load(gguf)
    assert hashed == [gguf, gguf]
    gguf.write_bytes(b"GGUF MODEL")  # same size, new bytes, new mtime
    with pytest.raises(ModelFileError, match="sha256"):
        verify_before_load(gguf)


def test_a_model_without_a_manifest_loads_unverified(tmp_path):
    gguf = tmp_path / "raw.gguf"
    gguf.write_bytes(b"GGUF")
    assert verify_before_load(gguf) is None
