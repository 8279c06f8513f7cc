"""One error surface: every command answers a bad input with one line on stderr and exit 2,
never a traceback; input files that are not UTF-8 are named with the byte offset."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import typer

from josi.cli import build_app, main
from josi.export import write_manifest
from josi.runtime._chat import default_context

NOT_UTF8 = b'name = "caf\xe9"\n'  # Latin-1, as an editor on another system might save it


def _leaf_commands(command, path: tuple[str, ...] = ()) -> list[str]:
    if hasattr(command, "commands"):  # a group
        return [
            leaf
            for name, sub in sorted(command.commands.items())
            for leaf in _leaf_commands(sub, (*path, name))
        ]
    return [" ".join(path)]


def _latin1(tmp_path: Path, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(NOT_UTF8)
    return str(path)


def _gguf(tmp_path: Path) -> str:
    path = tmp_path / "m.gguf"
    path.write_bytes(b"GGUF")
    return str(path)


def _run_into_its_input(tmp_path: Path) -> list[str]:
    cases = tmp_path / "in.jsonl"
    cases.write_text('{"message": "hi", "context": {}}\n')
    return ["run", "--gguf", _gguf(tmp_path), "--input", str(cases), "--output", str(cases)]


# A representative bad input per command; a new command must add one (see the first test).
BAD_INPUT: dict[str, Callable[[Path], list[str]]] = {
    "bakeoff": lambda t: ["bakeoff", str(t / "missing.gguf"), "--out", str(t / "bake")],
    "baseline update": lambda t: [
        "baseline",
        "update",
        _latin1(t, "results.json"),
        "--profile",
        "nano",
    ],
    "case add": lambda t: [
        "case",
        "add",
        "golden",
        "--from",
        _latin1(t, "results.json"),
        "--id",
        "x",
    ],
    "chat": lambda t: ["chat", "--gguf", _gguf(t), "--context", _latin1(t, "ctx.json")],
    "compare": lambda t: ["compare", _latin1(t, "a.json"), _latin1(t, "b.json")],
    "data build": lambda t: ["data", "build", "--out", str(t / "out"), "--scale", "0"],
    "data stats": lambda t: ["data", "stats", str(t / "missing")],
    "download": lambda t: ["download", "example.com/m.gguf", "--dest", str(t / "m.gguf")],
    "export gguf": lambda t: [
        "export",
        "gguf",
        "--adapter",
        str(t),
        "--out",
        str(t / "o"),
        "--profile",
        _latin1(t, "p.toml"),
    ],
    "export inspect": lambda t: ["export", "inspect", _latin1(t, "not-a.gguf")],
    "export patch-v2": lambda t: ["export", "patch-v2", str(t / "missing.gguf"), str(t / "o.gguf")],
    "export verify": lambda t: ["export", "verify", _latin1(t, "m.gguf.manifest.json")],
    "grammar generate": lambda t: ["grammar", "generate", "--no-such-option"],
    "intents fit": lambda t: [
        "intents",
        "fit",
        "--train",
        _latin1(t, "train.jsonl"),
        "--out",
        str(t / "model.json"),
    ],
    "intents fit-questions": lambda t: [
        "intents",
        "fit-questions",
        "--validation",
        _latin1(t, "val.jsonl"),
        "--out",
        str(t / "model.json"),
    ],
    "pipeline build": lambda t: ["pipeline", "build", "--profile", _latin1(t, "p.toml")],
    "pipeline ship": lambda t: [
        "pipeline",
        "ship",
        "--profile",
        _latin1(t, "p.toml"),
        "--dist",
        str(t / "dist"),
    ],
    "report": lambda t: ["report", _latin1(t, "results.json")],
    "run": _run_into_its_input,
    "train base": lambda t: ["train", "base", "--profile", _latin1(t, "p.toml")],
    "train dpo": lambda t: [
        "train",
        "dpo",
        "--data",
        str(t),
        "--adapter",
        str(t),
        "--out",
        str(t / "o"),
        "--profile",
        _latin1(t, "p.toml"),
    ],
    "train profile": lambda t: ["train", "profile", "--profile", _latin1(t, "p.toml")],
    "train profiles": lambda t: ["train", "profiles", "unexpected-argument"],
    "train sft": lambda t: [
        "train",
        "sft",
        "--data",
        str(t),
        "--out",
        str(t / "o"),
        "--profile",
        _latin1(t, "p.toml"),
    ],
}


def test_every_command_has_a_bad_input_below():
    assert sorted(_leaf_commands(typer.main.get_command(build_app()))) == sorted(BAD_INPUT)


@pytest.mark.parametrize("command", sorted(BAD_INPUT))
def test_a_bad_input_is_one_line_and_exit_2(command, tmp_path, capsys, monkeypatch):
    """``josi <command> <bad input>`` for every command: a non-UTF-8 profile, results file or
    manifest, a missing folder, a URL without a scheme used to end in a traceback."""
    monkeypatch.setenv("JOSI_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    code = main(BAD_INPUT[command](tmp_path))
    captured = capsys.readouterr()
    assert code == 2, captured
    assert "Traceback" not in captured.out + captured.err
    errors = [line for line in captured.err.splitlines() if line.startswith("error:")]
    # Usage errors are click's own multi-line message; everything else is one line.
    assert len(errors) == 1 or "Usage:" in captured.err, captured.err


def test_a_non_utf8_profile_toml_names_the_file_and_byte(tmp_path, capsys):
    """``josi train profile --profile latin1.toml``: a UnicodeDecodeError traceback."""
    profile = _latin1(tmp_path, "latin1.toml")
    assert main(["train", "profile", "--profile", profile]) == 2
    assert f"error: {profile}: not valid UTF-8 at byte 11 (line 1)" in capsys.readouterr().err


def test_a_non_utf8_chat_context_names_the_file_and_byte(tmp_path, capsys):
    """``josi chat --gguf m.gguf --context latin1.json``: a UnicodeDecodeError traceback."""
    context = tmp_path / "latin1.json"
    context.write_bytes(b'{"athlete_id": "x",\n "name": "\xe9"}')
    assert main(["chat", "--gguf", _gguf(tmp_path), "--context", str(context)]) == 2
    err = capsys.readouterr().err
    assert f"{context}: not valid UTF-8 at byte 30 (line 2)" in err and "Traceback" not in err


def test_a_chat_context_that_is_not_an_object_is_one_line(tmp_path, capsys):
    """``josi chat --gguf m.gguf --context list.json --tier coach``: a TypeError traceback."""
    context = tmp_path / "list.json"
    context.write_text("[1]")
    argv = ["chat", "--gguf", _gguf(tmp_path), "--context", str(context), "--tier", "coach"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "must hold a JSON object" in err and "Traceback" not in err


@pytest.mark.parametrize("reader", ["export verify", "download --manifest", "run --gguf"])
def test_a_non_utf8_manifest_names_the_file_and_byte(tmp_path, capsys, reader):
    """``josi export verify m.gguf.manifest.json`` (or ``josi download --manifest`` with it)
    where the manifest is not UTF-8: a UnicodeDecodeError traceback."""
    gguf = Path(_gguf(tmp_path))
    manifest = write_manifest(gguf, base_model="caf\u00e9")
    manifest.write_bytes(manifest.read_bytes().replace("caf\u00e9".encode(), b"caf\xe9"))
    offset = manifest.read_bytes().index(b"\xe9")
    cases = tmp_path / "in.jsonl"
    cases.write_text(json.dumps({"message": "hi", "context": default_context()}) + "\n")
    argv = {
        "export verify": ["export", "verify", str(manifest)],
        "download --manifest": [
            "download",
            "--manifest",
            str(manifest),
            "--dest",
            str(tmp_path / "d"),
            "http://127.0.0.1:9/",
        ],
        "run --gguf": [
            "run",
            "--gguf",
            str(gguf),
            "--input",
            str(cases),
            "--output",
            str(tmp_path / "out.jsonl"),
        ],
    }[reader]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"{manifest}: not valid UTF-8 at byte {offset}" in err and "Traceback" not in err


def test_an_engine_result_share_above_one_is_refused(tmp_path, capsys):
    """``josi data build --engine-result-share 1.5`` would build a dataset nobody asked for."""
    out = tmp_path / "out"
    assert main(["data", "build", "--out", str(out), "--engine-result-share", "1.5"]) == 2
    assert "--engine-result-share must be in [0, 1]" in capsys.readouterr().err
    assert not out.exists()


def test_negative_athlete_message_copies_are_refused(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["data", "build", "--out", str(out), "--athlete-message-copies", "-1"]) == 2
    assert "--athlete-message-copies must be in [0, 10]" in capsys.readouterr().err
    assert not out.exists()


def test_memory_update_rows_out_of_range_are_refused(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["data", "build", "--out", str(out), "--memory-update-rows", "-1"]) == 2
    assert "--memory-update-rows must be 0 or more" in capsys.readouterr().err
    assert main(["data", "build", "--out", str(out), "--memory-update-rows", "400"]) != 0
    assert "memory_update_rows must be between 0" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize(
    ("line", "said"), [('{"text": "x"', "not valid JSON"), ("42", "not a JSON object")]
)
@pytest.mark.parametrize("fit", ["fit", "fit-questions"])
def test_a_malformed_line_of_labelled_messages_is_one_line(tmp_path, capsys, fit, line, said):
    """``josi intents fit --train broken.jsonl``: a ValueError (or, for a line that is no
    object, an AttributeError) traceback."""
    train = tmp_path / "train.jsonl"
    train.write_text(line + "\n")
    assert main(["intents", fit, "--train", str(train), "--out", str(tmp_path / "m.json")]) == 2
    err = capsys.readouterr().err
    assert f"error: {train}:1: {said}" in err and "Traceback" not in err


def test_a_dataset_with_a_malformed_line_is_one_line(tmp_path, capsys):
    """``josi data stats DIR`` where a split has a line that is not JSON: a ValueError
    traceback."""
    from josi.data._split import SPLITS

    for mode in ("interpreter", "coach", "preferences"):
        for split in SPLITS:
            (tmp_path / f"{mode}.{split}.jsonl").write_text("{}\n")
    broken = tmp_path / "interpreter.train.jsonl"
    broken.write_text('{"id": "i-1"\n')
    assert main(["data", "stats", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"error: {broken}:1: not valid JSON" in err and "Traceback" not in err
