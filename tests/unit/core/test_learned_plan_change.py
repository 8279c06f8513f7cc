"""The learned plan-change reading: its features, its file, its fit and where it may act."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from josi._errors import ConfigError
from josi._io import sha256_file
from josi.postprocess import _learned, detect_coach_intent, postprocess
from josi.postprocess._intents import LEARNED_RULE
from josi.routing import coach_contract_reply

ROOT = Path(__file__).resolve().parents[3]
TRAIN = ROOT / "fixtures" / "intents" / "plan_change_train.jsonl"
VALIDATION = ROOT / "fixtures" / "intents" / "plan_change_val.jsonl"
# Read by the learned model and by no lexicon rule.
LEARNED_ONLY = "would love a few hill efforts thrown into todays ride"


def test_features_are_words_pairs_and_letter_groups_of_the_normalised_text() -> None:
    feats = _learned.features("Don't STOP")
    assert {"w:dont", "w:stop", "b:dont stop", "c:<do", "c:top>", "c:<stop", "c:dont>"} <= feats
    assert not any(f.startswith("c:") and len(f) - 2 > 5 for f in feats)
    assert _learned.features("Don't STOP") == _learned.features("dont stop")


def test_a_message_only_the_model_reads_is_a_plan_change_in_the_coach_step_only() -> None:
    assert detect_coach_intent(LEARNED_ONLY) is None
    hit = detect_coach_intent(LEARNED_ONLY, learned=True)
    assert hit is not None and (hit.intent, hit.rule) == ("plan_change", LEARNED_RULE)
    reply = coach_contract_reply(LEARNED_ONLY, {"tier": "advisor"}, "en")
    assert reply is not None and reply.rule == LEARNED_RULE
    # The post-processor keeps the engine request: a false reading there would refuse it.
    request = {"action": "create_workout", "free_text": LEARNED_ONLY, "sport": "bike"}
    assert postprocess(request, user_message=LEARNED_ONLY, ctx=None).request["action"] == (
        "create_workout"
    )


@pytest.mark.parametrize(
    "text",
    [
        "skip today please",  # the request lexicon reads a replan
        "why is today so easy?",  # the request lexicon reads a question about today
        "don't change anything, just explain the intervals",  # a change refused
        "can I do 8 km instead of 12 today, legs are heavy",  # less, and tired
        "I entered a marathon, can you make a new plan with more long runs?",  # a new goal
        "sore knee, can you adjust the week",  # a replan for a reason
    ],
)
def test_the_learned_reading_stands_down_where_the_lexicons_read_the_message(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A model that reads everything as a plan change: only the stand-down can say no.
    sure = _learned.PlanChangeModel(bias=50.0, weights={}, threshold=0.5)
    monkeypatch.setattr(_learned, "plan_change_model", lambda: sure)
    monkeypatch.setattr("josi.postprocess._intents.plan_change_model", lambda: sure)
    assert detect_coach_intent("make the ride go through the forest", learned=True) is not None
    assert detect_coach_intent(text, learned=True) is None


@pytest.mark.parametrize("text", ["", "   ", None, 7])
def test_no_text_has_no_probability(text: object) -> None:
    assert _learned.plan_change_model().probability(text) == 0.0  # type: ignore[arg-type]


def _model_json(**changes: object) -> dict:
    data = {"features": _learned.FEATURES, "bias": 0.1, "threshold": 0.8, "weights": {"w:a": 1}}
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"features": "words"}, "fitted with other features"),
        ({"weights": None}, "needs bias, threshold and weights"),
        ({"bias": "high"}, "needs bias, threshold and weights"),
        ({"threshold": 1.5}, "threshold must lie between 0 and 1"),
    ],
)
def test_a_broken_model_file_is_a_clear_error(changes: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _learned.model_from_json(_model_json(**changes), "m.json")


def test_the_packaged_model_is_the_fitted_one() -> None:
    data = json.loads(
        (Path(_learned.__file__).with_name(_learned.MODEL_FILE)).read_text(encoding="utf-8")
    )
    assert data["trained_on"] == {
        TRAIN.name: sha256_file(TRAIN),
        VALIDATION.name: sha256_file(VALIDATION),
    }, "fixtures/intents changed: run `josi intents fit`"
    model = _learned.plan_change_model()
    assert model.threshold == data["threshold"] and len(model.weights) == len(data["weights"])


@pytest.mark.slow
def test_fitting_again_gives_the_same_bytes() -> None:
    packaged = Path(_learned.__file__).with_name(_learned.MODEL_FILE)
    assert _learned.fitted_model_text(TRAIN, VALIDATION) == packaged.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (['{"text": "x"}'], r":1: needs a text and a boolean plan_change"),
        (['{"text": "x", "plan_change": 1}'], r":1: needs a text and a boolean plan_change"),
        (['{"text": "x", "plan_change": true, "weight": 0}'], r":1: weight must be a positive"),
        (['{"text": "x", "plan_change": true}'], "needs plan changes and other messages"),
    ],
)
def test_malformed_labelled_messages_are_a_clear_error(
    rows: list[str], message: str, tmp_path: Path
) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        _learned.read_labelled(path)


def test_the_threshold_is_the_lowest_that_adds_few_false_readings() -> None:
    rows = [_learned.Labelled("p", True)] * 3 + [
        _learned.Labelled(f"n{i}", False) for i in range(100)
    ]

    # The model reads n0 at every threshold below 0.7 and n1 below 0.6; the lexicon reads p.
    def model(text: str, threshold: float) -> bool:
        return (text == "n0" and threshold < 0.7) or (text == "n1" and threshold < 0.6)

    threshold, figures = _learned.choose_threshold(rows, lambda t: t == "p", model)
    assert threshold == 0.6 and figures["false_share"] == 0.01 and figures["recall"] == 1.0


def test_the_fit_command_never_overwrites_its_input(tmp_path: Path) -> None:
    from josi.cli import main

    train = tmp_path / "train.jsonl"
    train.write_text(TRAIN.read_text(encoding="utf-8"), encoding="utf-8")
    before = train.read_bytes()
    args = ["--train", str(train), "--validation", str(VALIDATION), "--out", str(train)]
    code = main(["intents", "fit", *args])
    assert code == 2 and train.read_bytes() == before
