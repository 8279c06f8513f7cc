from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from josi import ContractError, ModelFileError
from josi.routing import RouteDecision
from josi.runtime import CallStats, TurnResult, looks_garbled
from josi.runtime._batch import parse_case, run_batch
from josi.runtime._chat import chat_loop, default_context, set_path

DATA = Path(__file__).parent / "data"
BAD_ROWS = [json.loads(line) for line in (DATA / "bad_rows.jsonl").read_text().splitlines()]
GARBLED = [json.loads(line) for line in (DATA / "garbled.jsonl").read_text().splitlines()]
CTX = default_context(tier="coach", persona="direct", readiness="Yellow")


class FakeRuntime:
    """Stands in for JosiRuntime: answers every turn, fails on demand."""

    def __init__(self, fail_on: str | None = None, fatal: bool = False) -> None:
        self.fail_on, self.fatal, self.seen = fail_on, fatal, []

    def turn(self, ctx, message, history=None):
        self.seen.append((message, history))
        if message == self.fail_on:
            raise (ModelFileError if self.fatal else ContractError)("prompt too long")
        route = RouteDecision("answer_question", True, True, None, None, False, "Z4", "execute")
        stats = CallStats("interpreter", 0.01, 100, 20, 80, 0.0, True, "eog")
        return TurnResult(
            request={"action": "answer_question", "free_text": message, "question": message},
            route=route,
            reply=f"re: {message}",
            coach_text=f"re: {message}",
            calls=(stats, stats),
            interpreter_raw="{}",
            parse_ok=True,
        )


@pytest.mark.parametrize("case", BAD_ROWS, ids=[c["id"] for c in BAD_ROWS])
def test_bad_rows_say_what_is_wrong(case):
    with pytest.raises(ContractError, match=re.escape(case["problem"])):
        parse_case(
            case["row"] if "history" not in case else {**case["row"], "history": case["history"]},
            default_id="x",
        )


def test_good_row_gets_a_default_id():
    case = parse_case({"message": "hi", "context": CTX}, default_id="line-3")
    assert (case.id, case.message, case.history) == ("line-3", "hi", None)


def _write_cases(path: Path) -> None:
    lines = [
        json.dumps({"id": "a", "message": "first", "context": CTX}),
        "{broken",
        json.dumps({"id": "b", "message": "boom", "context": CTX}),
        json.dumps({"message": "", "context": CTX}),
        json.dumps(
            {
                "id": 7,
                "message": "third",
                "context": CTX,
                "history": [{"role": "user", "message": "earlier"}],
            }
        ),
    ]
    path.write_text("\n".join(lines) + "\n")


def test_batch_skips_and_reports_bad_rows_and_failed_turns(tmp_path):
    _write_cases(tmp_path / "in.jsonl")
    reports: list[str] = []
    summary = run_batch(
        FakeRuntime(fail_on="boom"),
        tmp_path / "in.jsonl",
        tmp_path / "out.jsonl",
        report=reports.append,
    )
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ["a", "7"]
    assert (summary.rows, summary.succeeded, summary.skipped) == (5, 2, 3)
    assert any("in.jsonl:2" in r and "not valid JSON" in r for r in reports)
    assert any("'b' skipped" in r and "prompt too long" in r for r in reports)
    assert any("in.jsonl:4" in r for r in reports)
    first = rows[0]
    assert first["request"]["action"] == "answer_question" and first["reply"] == "re: first"
    assert first["route"]["zone_cap"] == "Z4"
    assert [c["mode"] for c in first["calls"]] == ["interpreter", "interpreter"]
    assert (first["prompt_tokens"], first["completion_tokens"], first["cached_tokens"]) == (
        200,
        40,
        160,
    )


def test_batch_stops_on_a_model_failure_and_writes_nothing(tmp_path):
    _write_cases(tmp_path / "in.jsonl")
    with pytest.raises(ModelFileError):
        run_batch(
            FakeRuntime(fail_on="boom", fatal=True),
            tmp_path / "in.jsonl",
            tmp_path / "out.jsonl",
            report=lambda _: None,
        )
    assert not (tmp_path / "out.jsonl").exists()


def test_batch_limit(tmp_path):
    _write_cases(tmp_path / "in.jsonl")
    summary = run_batch(
        FakeRuntime(), tmp_path / "in.jsonl", tmp_path / "out.jsonl", report=lambda _: None, limit=1
    )
    assert summary.succeeded == 1


@pytest.mark.parametrize("case", GARBLED, ids=[c["id"] for c in GARBLED])
def test_garbled_coach_text(case):
    assert looks_garbled(case["text"]) is case["garbled"]


@pytest.mark.parametrize(
    "assignment, path, value",
    [
        ("tier=advisor", ("tier",), "advisor"),
        ("persona=technical", ("persona_id",), "technical"),
        ("readiness=Red", ("readiness", "level"), "Red"),
        ("sport=cycling athlete_level=beginner", ("profile_summary", "sport"), "cycling"),
        (
            "planned_session.structure_label='4 x 5min Z4' planned_session.intent=Z4 "
            "planned_session.target_zone=Z4 planned_session.target_duration_min=50 "
            "has_session_context=true",
            ("planned_session", "structure_label"),
            "4 x 5min Z4",
        ),
        ("readiness.confidence=0.4", ("readiness", "confidence"), 0.4),
    ],
    ids=["tier", "persona", "readiness", "profile-two-keys", "session-quoted", "dotted-number"],
)
def test_set_path(assignment, path, value):
    ctx = set_path(default_context(), assignment)
    node = ctx
    for part in path:
        node = node[part]
    assert node == value


def test_set_readiness_keeps_state_consistent_and_tier_sets_mode():
    ctx = set_path(set_path(default_context(), "readiness=Red"), "tier=advisor")
    assert ctx["readiness"] == {"state": "Overreached", "level": "Red"}
    assert ctx["mode"] == "advisor"


@pytest.mark.parametrize(
    "assignment",
    ["tier=gold", "nonsense", "readiness=Purple", "unknown_key=1"],
    ids=["bad-tier", "no-equals", "bad-level", "unknown-key"],
)
def test_set_path_rejects_invalid_contexts(assignment):
    with pytest.raises(ContractError):
        set_path(default_context(), assignment)


def test_chat_loop_keeps_history_and_handles_commands():
    lines = iter(
        [
            "/help",
            "hello",
            "/set readiness=Orange",
            "/context",
            "/bogus",
            "how far?",
            "/quit",
            "never read",
        ]
    )
    out: list[str] = []
    runtime = FakeRuntime()
    turns = chat_loop(
        runtime,
        default_context(),
        read=lambda _: next(lines),
        write=out.append,
        dim=lambda text: f"~{text}~",
    )
    assert turns == 2
    assert runtime.seen[0] == ("hello", [])
    message, history = runtime.seen[1]
    assert message == "how far?"
    assert history == [
        {"role": "user", "message": "hello"},
        {"role": "assistant", "message": "re: hello"},
    ]
    text = "\n".join(out)
    assert "josi> re: how far?" in text
    assert "~[answer_question · coach · cap Z4" in text  # route decision in dim text
    assert '"level": "Orange"' in text
    assert "unknown command /bogus" in text


def test_chat_loop_ends_on_end_of_input():
    def read(_prompt: str) -> str:
        raise EOFError

    assert (
        chat_loop(FakeRuntime(), default_context(), read=read, write=lambda _: None, dim=str) == 0
    )


def test_chat_survives_a_deeply_nested_set_value():
    """In ``josi chat``, ``/set tier=[[[[...]]]]`` (100,000 levels) was a RecursionError
    traceback and the chat ended. Now it is a one-line error and the chat goes on."""
    lines = iter(["/set tier=" + "[" * 100_000 + "]" * 100_000, "hello", "/quit"])
    out: list[str] = []
    turns = chat_loop(
        FakeRuntime(), default_context(), read=lambda _: next(lines), write=out.append, dim=str
    )
    errors = [line for line in out if line.startswith("error:")]
    assert errors == ["error: tier: the value is nested more than 16 levels deep"]
    assert turns == 1


@pytest.mark.parametrize(
    "assignment",
    [
        "tier=" + "[" * 100_000,
        "memory.patterns=" + "[" * 900 + "]" * 900,
        ".".join(["a"] * 3000) + "=1",
        "athlete_id='\"\\ud800\"'",
        "readiness.confidence=NaN",
        "planned_session.target_duration_min=" + "1" * 5000,
    ],
    ids=[
        "unclosed-brackets",
        "nested-900",
        "deep-key-path",
        "lone-surrogate",
        "nan",
        "5000-digit-number",
    ],
)
def test_set_path_refuses_values_a_context_cannot_carry(assignment):
    """``/set`` inputs that recursed, raised ValueError, or were accepted and then broke printing
    (a lone surrogate) or the prompt (NaN): each is one ContractError line."""
    with pytest.raises(ContractError) as info:
        set_path(default_context(), assignment)
    assert "\n" not in str(info.value) and len(str(info.value)) < 400


def test_chat_reports_a_line_that_is_not_utf8_and_goes_on():
    """A terminal that sends bytes which are not UTF-8: ``input()`` raises UnicodeDecodeError
    (UTF-8 locale) or returns lone surrogates (C locale); neither may end the chat."""
    not_utf8 = UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")
    feed = iter([not_utf8, "bad \udcff line", "hello", "/quit"])

    def read(_prompt: str) -> str:
        item = next(feed)
        if isinstance(item, Exception):
            raise item
        return item

    out: list[str] = []
    runtime = FakeRuntime()
    assert chat_loop(runtime, default_context(), read=read, write=out.append, dim=str) == 1
    assert [m for m, _ in runtime.seen] == ["hello"]
    assert sum(line.startswith("error: the line is not valid UTF-8") for line in out) == 2
