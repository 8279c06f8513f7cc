"""The learned question reading: its file, its fit, and where the post-processor consults it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from josi._errors import ConfigError
from josi._io import sha256_file
from josi.postprocess import _learned, postprocess
from josi.postprocess._intents import QUESTION_RULE

ROOT = Path(__file__).resolve().parents[3]
TRAIN = ROOT / "fixtures" / "intents" / "plan_change_train.jsonl"
VALIDATION = ROOT / "fixtures" / "intents" / "requests_val.jsonl"
CTX = {
    "tier": "coach",
    "language": "en",
    "has_session_context": True,
    "planned_session": {"intent": "Z2", "target_duration_min": 60},
    "profile_summary": {"sport": "running", "level": "intermediate"},
}


def _served(message: str, action: str = "create_workout") -> dict:
    request = {"action": action, "free_text": message, "sport": "run", "confidence": 0.9}
    if action == "replan":
        request["replan_type"] = "skip_today"
    return dict(postprocess(request, user_message=message, ctx=CTX).request)


@pytest.mark.parametrize(
    ("message", "served"),
    [
        # Questions no lexicon rule lists, written as a new workout by the interpreter.
        ("which is better, morning runs or evening runs", "answer_question"),
        ("hoeveel water moet ik drinken tijdens een lange rit", "answer_question"),
        ("welke hartslagmeter raad je aan", "answer_question"),
        # About the athlete's own plan or today's session: the coach explains the plan.
        ("the strides at the end of todays run, walk back or jog back?", "explain"),
        ("mag ik bij mijn duurloop muziek luisteren", "explain"),
    ],
)
def test_a_question_written_as_a_workout_reaches_the_coach(message: str, served: str) -> None:
    request = {"action": "create_workout", "free_text": message, "sport": "run", "confidence": 1}
    result = postprocess(request, user_message=message, ctx=CTX)
    assert result.request["action"] == served
    assert result.changes[-1] == f"action: create_workout -> {served} ({QUESTION_RULE})"
    # No confidence: code decided, and the router executes a request without one.
    assert "confidence" not in result.request and result.request["question"] == message


@pytest.mark.parametrize(
    ("message", "served"),
    [
        # Questions no lexicon rule lists, written as a replan by the interpreter.
        ("which gels work best for long rides", "answer_question"),
        ("wat is een goede cadans op de fiets", "answer_question"),
    ],
)
def test_a_question_written_as_a_replan_reaches_the_coach(message: str, served: str) -> None:
    result = postprocess(
        {"action": "replan", "free_text": message, "replan_type": "reduce_intensity"},
        user_message=message,
        ctx=CTX,
    )
    assert result.request["action"] == served
    assert result.changes[-1] == f"action: replan -> {served} ({QUESTION_RULE})"


@pytest.mark.parametrize(
    "message",
    [
        # No lexicon reads these either: the reading is asked and leaves them to the engine.
        "swap my long ride to sunday, family bbq saturday",
        "ik ga drie dagen op zakenreis, pas de week maar aan",
    ],
)
def test_a_replan_request_stays_the_engines(message: str) -> None:
    assert _served(message, action="replan")["action"] == "replan"


@pytest.mark.parametrize(
    "message",
    [
        "give me a hilly route run please",
        "een rustig fietsrondje graag",
        "something short on the bike",
    ],
)
def test_a_request_for_a_session_stays_the_engines(message: str) -> None:
    assert _served(message)["action"] == "create_workout"


def test_the_reading_is_consulted_only_for_an_engine_request_no_lexicon_reads_without_minutes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A model that reads everything as a question: only where it is consulted can it act.
    sure = _learned.PlanChangeModel(bias=50.0, weights={}, threshold=0.5)
    monkeypatch.setattr("josi.postprocess._intents.question_model", lambda: sure)
    assert _served("a hilly run please")["action"] == "answer_question"
    # Minutes named: a session request.
    assert _served("a hilly run please, 45 min")["action"] == "create_workout"
    # A replan no lexicon reads is an engine request like a new workout.
    assert _served("a hilly run please", action="replan")["action"] == "answer_question"
    assert _served("a hilly run please, 45 min", action="replan")["action"] == "replan"
    # A rule reads it: the rule decides.
    assert _served("skip today please")["action"] == "replan"
    assert _served("skip today please", action="replan")["action"] == "replan"
    assert _served("help")["action"] == "clarify"


def test_the_packaged_model_is_the_fitted_one() -> None:
    data = json.loads(
        Path(_learned.__file__).with_name(_learned.QUESTION_MODEL_FILE).read_text(encoding="utf-8")
    )
    assert data["trained_on"] == {
        TRAIN.name: sha256_file(TRAIN),
        VALIDATION.name: sha256_file(VALIDATION),
    }, "fixtures/intents changed: run `josi intents fit-questions`"
    assert data["validation"]["false_share"] <= _learned.MAX_ADDED_FALSE_SHARE
    model = _learned.question_model()
    assert model.threshold == data["threshold"] and len(model.weights) == len(data["weights"])


@pytest.mark.slow
def test_fitting_again_gives_the_same_bytes() -> None:
    packaged = Path(_learned.__file__).with_name(_learned.QUESTION_MODEL_FILE)
    text = _learned.fitted_question_model_text(TRAIN, VALIDATION)
    assert text == packaged.read_text(encoding="utf-8")


def test_the_threshold_is_the_lowest_that_turns_few_engine_requests_into_questions() -> None:
    rows = [_learned.Labelled("q", True), _learned.Labelled("q2", True)] + [
        _learned.Labelled(f"w{i}", False) for i in range(100)
    ]

    # The model reads w0 below 0.7 and w1 below 0.6; w2 is never consulted (a lexicon reads it).
    def reads(text: str, threshold: float) -> bool:
        return (
            text in ("q", "w2")
            or (text == "w0" and threshold < 0.7)
            or (text == "w1" and threshold < 0.6)
        )

    threshold, figures = _learned.choose_question_threshold(
        rows, lambda text: text not in ("q2", "w2"), reads
    )
    assert threshold == 0.6 and figures["false_share"] == 0.01
    assert figures["recall"] == 1.0 and figures["questions_consulted"] == 1


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (['{"text": "x"}'], r":1: needs a text and a source"),
        (['{"text": "x", "source": "written:en:explain", "weight": 0}'], r":1: weight must"),
        (['{"text": "x", "source": "written:en:explain"}'], "needs questions and requests"),
    ],
)
def test_malformed_labelled_messages_are_a_clear_error(
    rows: list[str], message: str, tmp_path: Path
) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        _learned.read_question_rows(path)


def test_the_fit_command_never_overwrites_its_input(tmp_path: Path) -> None:
    from josi.cli import main

    validation = tmp_path / "val.jsonl"
    validation.write_text(VALIDATION.read_text(encoding="utf-8"), encoding="utf-8")
    before = validation.read_bytes()
    args = ["--train", str(TRAIN), "--validation", str(validation), "--out", str(validation)]
    code = main(["intents", "fit-questions", *args])
    assert code == 2 and validation.read_bytes() == before
