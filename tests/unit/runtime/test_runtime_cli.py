from __future__ import annotations

import io
import json

import pytest

from josi.cli import main

from ._gguf_writer import write_gguf

CTX = {
    "athlete_id": "a",
    "tier": "coach",
    "persona_id": "balanced",
    "today": "2026-02-20",
    "readiness": {"state": "Recovered", "level": "Green"},
}


def test_run_with_a_truncated_model_fails_clearly(tmp_path, capsys):
    gguf = write_gguf(tmp_path / "m.gguf", truncate=8)
    cases = tmp_path / "in.jsonl"
    cases.write_text(json.dumps({"message": "hi", "context": CTX}) + "\n")
    assert (
        main(
            [
                "run",
                "--gguf",
                str(gguf),
                "--input",
                str(cases),
                "--output",
                str(tmp_path / "o.jsonl"),
            ]
        )
        == 2
    )
    assert "truncated" in capsys.readouterr().err
    assert not (tmp_path / "o.jsonl").exists()


def test_help_lists_run_and_chat(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "run" in out and "chat" in out


@pytest.mark.model
def test_chat_from_piped_stdin(monkeypatch, capsys, tmp_path):
    from josi.runtime import embedded_gguf

    context = tmp_path / "ctx.json"
    context.write_text(json.dumps(CTX))
    monkeypatch.setattr(
        "sys.stdin", io.StringIO("/set readiness=Orange\nI want a workout\n/context\n/quit\n")
    )
    code = main(
        [
            "chat",
            "--gguf",
            str(embedded_gguf()),
            "--context",
            str(context),
            "--n-ctx",
            "1024",
            "--deterministic",
            "--prompt-style",
            "compact",
            "--tier",
            "advisor",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "cap Z3" in out  # the route decision line, after /set readiness=Orange
    assert '"tier": "advisor"' in out and '"level": "Orange"' in out


@pytest.mark.model
def test_run_batch_end_to_end(tmp_path, capsys):
    from josi.runtime import embedded_gguf

    cases = tmp_path / "in.jsonl"
    cases.write_text(
        "\n".join(
            [
                json.dumps({"id": "ok", "message": "Give me a 30 minute run", "context": CTX}),
                "{not json",
                json.dumps({"id": "bad", "message": "hi", "context": {}}),
            ]
        )
        + "\n"
    )
    out = tmp_path / "out.jsonl"
    code = main(
        [
            "run",
            "--gguf",
            str(embedded_gguf()),
            "--input",
            str(cases),
            "--output",
            str(out),
            "--n-ctx",
            "1024",
            "--deterministic",
            "--prompt-style",
            "compact",
        ]
    )
    assert code == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["ok"]
    row = rows[0]
    assert {"request", "route", "coach_text", "reply", "calls"} <= set(row)
    assert row["calls"][0]["mode"] == "interpreter" and row["calls"][0]["latency_s"] > 0
    err = capsys.readouterr().err
    assert "in.jsonl:2" in err and "in.jsonl:3" in err
