"""The coach-intent benchmark on external messages: its input checks, counts and pairing."""

from __future__ import annotations

import json

import pytest

from benchmarks.coach_intent_messages import main, paired, read_messages, summary

ROWS = [
    {"id": "a", "lang": "en", "label": "plan_change", "message": "m1"},
    {"id": "b", "lang": "en", "label": "plan_change", "message": "m2"},
    {"id": "c", "lang": "nl", "label": "unrealistic_goal", "message": "m3"},
    {"id": "d", "lang": "nl", "label": "none", "message": "m4"},
]


def test_summary_counts_right_rows_per_label_and_language():
    got = {"a": "plan_change", "b": "none", "c": "plan_change", "d": "none"}
    out = summary(ROWS, got)
    assert out["all"]["plan_change"]["right"] == 1
    assert out["all"]["plan_change"]["rows"] == 2
    # Answered by code with the other intent: not right, but still a code reply.
    assert out["nl"]["unrealistic_goal"]["right"] == 0
    assert out["nl"]["unrealistic_goal"]["answered_by_code"] == 1
    assert out["nl"]["none"]["right"] == 1
    assert out["en"]["none"]["rows"] == 0


def test_paired_counts_fixed_and_broken_per_label():
    before = {"outcomes": {"a": "none", "b": "plan_change", "c": "none", "d": "plan_change"}}
    got = {"a": "plan_change", "b": "plan_change", "c": "unrealistic_goal", "d": "none"}
    out = paired(ROWS, got, before)
    assert (out["plan_change"]["fixed"], out["plan_change"]["broken"]) == (1, 0)
    assert out["unrealistic_goal"]["fixed"] == 1
    assert (out["none"]["fixed"], out["none"]["broken"]) == (1, 0)


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("{not json", "not valid JSON"),
        ('{"id": "a", "lang": "en", "label": "maybe", "message": "x"}', "needs a label"),
        ('{"id": "a", "lang": "en", "label": "none"}', "needs string id, lang and message"),
    ],
    ids=["malformed", "unknown-label", "no-message"],
)
def test_bad_rows_are_one_line_errors(tmp_path, line, error):
    path = tmp_path / "m.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(SystemExit, match=error):
        read_messages(path)


def test_writes_no_message_and_refuses_another_files_result(tmp_path):
    messages = tmp_path / "m.jsonl"
    messages.write_text(
        "".join(
            json.dumps(r) + "\n"
            for r in [
                {"id": "p", "lang": "en", "label": "plan_change", "message": "make today harder"},
                {"id": "q", "lang": "en", "label": "none", "message": "why is today easy?"},
            ]
        ),
        encoding="utf-8",
    )
    out = tmp_path / "r.json"
    assert main(["--messages", str(messages), "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "make today harder" not in text
    assert json.loads(text)["outcomes"] == {"p": "plan_change", "q": "none"}
    other = tmp_path / "o.jsonl"
    other.write_text(messages.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="another messages file"):
        main(
            ["--messages", str(other), "--out", str(tmp_path / "s.json"), "--paired-with", str(out)]
        )
    before = messages.read_text(encoding="utf-8"), out.read_text(encoding="utf-8")
    with pytest.raises(SystemExit, match="destroy it"):
        main(["--messages", str(messages), "--out", str(messages)])
    with pytest.raises(SystemExit, match="destroy it"):
        main(["--messages", str(messages), "--out", str(out), "--paired-with", str(out)])
    assert (messages.read_text(encoding="utf-8"), out.read_text(encoding="utf-8")) == before


def test_the_coach_step_reading_uses_the_plan_and_the_learned_model(tmp_path):
    rows = [
        {"id": "a", "lang": "en", "label": "plan_change", "message": "make it 75 minutes"},
        {
            "id": "b",
            "lang": "en",
            "label": "plan_change",
            "message": "would love a few hill efforts thrown into todays ride",
        },
    ]
    messages = tmp_path / "m.jsonl"
    messages.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    plain, step = tmp_path / "plain.json", tmp_path / "step.json"
    assert main(["--messages", str(messages), "--out", str(plain)]) == 0
    args = ["--planned-minutes", "60", "--coach-step", "--paired-with", str(plain)]
    assert main(["--messages", str(messages), "--out", str(step), *args]) == 0
    before, after = (json.loads(p.read_text(encoding="utf-8")) for p in (plain, step))
    assert before["outcomes"] == {"a": "none", "b": "none"}
    assert after["outcomes"] == {"a": "plan_change", "b": "plan_change"}
    assert after["reading"] == {"planned_minutes": 60, "coach_step": True}
    assert after["paired"]["plan_change"]["fixed"] == 2
