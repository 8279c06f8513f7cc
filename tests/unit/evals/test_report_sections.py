"""The report's derived sections on small synthetic inputs, and the page they render into."""

from __future__ import annotations

import pytest

from josi.evals import CaseRecord, build_results, compare_results, load_thresholds, render_html
from josi.evals._sections import (
    NO_REQUEST,
    action_confusion,
    case_reason,
    comparison_flips,
    reliability_diagrams,
)
from josi.scorers import Score


def _interp(
    cid: str,
    expected: str,
    predicted: str | None,
    *,
    valid: bool = True,
    layer: str = "schema",
    message: str = "m",
) -> dict:
    ok = valid and predicted == expected
    rec = CaseRecord(
        id=cid,
        layer=layer,
        run="interpret",
        tags=["en"],
        lang="en",
        persona="balanced",
        message=message,
        expected={"request": {"action": expected}},
        request=None if predicted is None else {"action": predicted},
    )
    rec.expect(
        Score.binary("valid_json", valid),
        Score.binary("action", ok, f"got {predicted!r}, want {expected!r}"),
    )
    rec.collect(Score("field_accuracy", 1.0, True))
    rec.judge()
    return rec.to_dict()


def test_case_reason_joins_violations_failed_checks_and_failed_seeds():
    record = {
        "violations": ["zone cap Z5 over Z2"],
        "checks": [
            {"name": "a", "passed": True, "reason": "fine"},
            {"name": "b", "passed": False, "reason": "wrong"},
        ],
        "sample_failures": ["seed 1: b: wrong"],
    }
    assert case_reason(record) == "zone cap Z5 over Z2; b: wrong; seed 1: b: wrong"
    assert case_reason({"checks": [{"name": "a", "passed": True, "reason": "fine"}]}) == ""


def test_confusion_counts_expected_against_predicted_with_recall():
    records = [
        _interp("r1", "replan", "replan"),
        _interp("r2", "replan", "explain"),
        _interp("r3", "replan", "replan"),
        _interp("c1", "create_workout", "create_workout"),
        # valid JSON that broke the request contract: neither right nor any action
        _interp("c2", "create_workout", "create_workout", valid=False),
        {
            "layer": "quality",
            "id": "coach",
            "expected": {"request": {"action": "replan"}},
            "facts": {"passed": True},
        },
    ]  # no scored interpreter output: not counted
    cm = action_confusion(records)
    assert cm["predicted"] == [
        "create_workout",
        "replan",
        "explain",
        NO_REQUEST,
    ]  # the schema's order
    rows = {row["expected"]: row for row in cm["rows"]}
    assert list(rows) == ["create_workout", "replan"]
    assert [c["n"] for c in rows["replan"]["cells"]] == [0, 2, 1, 0]
    assert [c["n"] for c in rows["create_workout"]["cells"]] == [1, 0, 0, 1]
    assert rows["replan"]["recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert rows["create_workout"]["recall"] == 0.5
    assert [c["diagonal"] for c in rows["replan"]["cells"]] == [False, True, False, False]
    assert (cm["n"], cm["correct"]) == (5, 3)


def test_confusion_recall_is_the_layers_action_accuracy():
    records = [
        _interp("a", "explain", "explain"),
        _interp("b", "explain", "clarify"),
        _interp("c", "clarify", "clarify"),
        _interp("d", "clarify", None, valid=False),
    ]
    res = build_results(
        records, thresholds=load_thresholds("nano"), case_ids={"schema": list("abcd")}
    )
    by_action = res["layers"]["schema"]["details"]["action_accuracy_by_action"]
    cm = action_confusion(res["records"])
    recall = {row["expected"]: row["recall"] for row in cm["rows"]}
    assert recall == {a: v["accuracy"] for a, v in by_action.items()}


def test_no_scored_interpreter_case_gives_no_confusion():
    coach_only = [{"layer": "quality", "id": "q", "expected": {}, "facts": {"passed": True}}]
    assert action_confusion(coach_only) is None


CAL = {
    "confidence_source": "action_probability",
    "calibration": {
        "ece": 0.2,
        "n": 4,
        "bins": [{"range": "0.9-1.0", "n": 4, "confidence": 0.95, "accuracy": 0.75}],
    },
    "calibration_by_source": {
        "self": {
            "ece": 0.2,
            "n": 4,
            "bins": [{"range": "0.9-1.0", "n": 4, "confidence": 0.95, "accuracy": 0.75}],
        },
        "action_probability": {
            "ece": 0.1,
            "n": 4,
            "bins": [
                {"range": "0.3-0.4", "n": 2, "confidence": 0.35, "accuracy": 0.5},
                {"range": "0.9-1.0", "n": 2, "confidence": 0.95, "accuracy": 1.0},
            ],
        },
    },
}


def test_a_reliability_diagram_per_confidence_source():
    diagrams = {d["source"]: d for d in reliability_diagrams(CAL)}
    assert list(diagrams) == ["self", "action_probability"]
    ap = diagrams["action_probability"]
    assert ap["served"] and not diagrams["self"]["served"] and ap["ece"] == 0.1 and ap["n"] == 4
    assert [b["gap"] for b in ap["bins"]] == [0.15, 0.05]
    svg = ap["svg"]
    # A bin's bar spans its confidence range and rises to its accuracy; y grows downwards.
    low, high = svg["bars"]
    assert low["width"] == pytest.approx((svg["right"] - svg["left"]) / 10)
    assert low["x"] == pytest.approx(svg["left"] + 0.3 * (svg["right"] - svg["left"]))
    assert low["height"] == pytest.approx(0.5 * (svg["bottom"] - svg["top"]))
    assert high["y"] == svg["top"] and high["y"] + high["height"] == svg["bottom"]
    assert low["conf_y"] == pytest.approx(svg["bottom"] - 0.35 * (svg["bottom"] - svg["top"]))


def test_results_without_per_source_figures_fall_back_to_the_served_calibration():
    diagrams = reliability_diagrams(
        {"confidence_source": "self", "calibration": CAL["calibration"]}
    )
    assert [(d["source"], d["served"]) for d in diagrams] == [("self", True)]
    assert reliability_diagrams({"intervals": {}}) == []
    assert (
        reliability_diagrams({"calibration_by_source": {"self": {"ece": None, "n": 0, "bins": []}}})
        == []
    )


def _run(outcomes: dict[str, bool]) -> dict:
    records = []
    for cid, ok in outcomes.items():
        rec = CaseRecord(
            id=cid,
            layer="golden",
            run="turn",
            tags=["en"],
            lang="en",
            persona="balanced",
            message=f"message of {cid}",
        )
        rec.expect(Score.binary("route", ok, "ok" if ok else "engine not called"))
        rec.judge()
        records.append(rec.to_dict())
    return build_results(
        records, thresholds=load_thresholds("nano"), case_ids={"golden": list(outcomes)}
    )


def test_flips_list_both_directions_with_the_paired_figures():
    f16 = _run({"g1": True, "g2": True, "g3": False, "g4": True})
    quant = _run({"g1": False, "g2": True, "g3": True, "g4": True})
    cmp = compare_results(f16, quant)
    g3 = next(r for r in quant["records"] if r["id"] == "g3")
    g3["checks"].append({"name": "warmth", "passed": False, "reason": "not counted by the verdict"})
    flips = comparison_flips(cmp, quant["records"])
    assert [(f["layer"], f["id"], f["message"], f["reason"]) for f in flips["regressed"]] == [
        ("golden", "g1", "message of g1", "route: engine not called")
    ]
    assert [(f["id"], f["reason"]) for f in flips["fixed"]] == [("g3", "")]
    (golden,) = flips["layers"]
    assert (golden["paired"], golden["regressed"], golden["fixed"]) == (4, 1, 1)
    assert golden["p_value"] == cmp["layers"]["golden"]["p_value"] == 1.0
    assert golden["difference_ci95"] == cmp["layers"]["golden"]["difference_ci95"]
    # results.json keeps the comparison without its layer rows: the flips still show.
    stored = {k: v for k, v in cmp.items() if k != "layers"}
    assert comparison_flips(stored, quant["records"])["layers"] == []
    assert [f["id"] for f in comparison_flips(stored, quant["records"])["regressed"]] == ["g1"]
    assert comparison_flips(None, quant["records"]) is None


HOSTILE = "<script>alert('x')</script>"


def test_case_text_and_model_output_render_escaped():
    rec = CaseRecord(
        id=f"id-{HOSTILE}",
        layer="schema",
        run="interpret",
        tags=[HOSTILE],
        lang="en",
        persona="balanced",
        message=HOSTILE,
        reply=HOSTILE,
        interpreter_raw=HOSTILE,
        request={"action": HOSTILE},
        expected={"request": {"action": "explain"}},
        history=[{"role": "user", "message": HOSTILE}],
        prompt=[{"role": "user", "content": HOSTILE}],
    )
    rec.expect(
        Score.binary("valid_json", True),
        Score.binary("action", False),
        Score.binary(HOSTILE, False, HOSTILE),
    )
    rec.collect(Score("warmth", 1.0, False, HOSTILE))
    rec.violations = [HOSTILE]
    rec.judge()
    res = build_results(
        [rec.to_dict()], thresholds=load_thresholds("nano"), case_ids={"schema": [rec.id]}
    )
    page = render_html(res)
    assert "<script" not in page
    # Every field above shows, escaped: the id, the tag, the message, the violation, the check's
    # name and reason (in the checks and again in the scores, which hold every scorer result),
    # the warmth score's reason, the history, the prompt, the raw output, the request, the reply,
    # and the confusion table's predicted column.
    assert page.count("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;") == 15


def test_sections_show_only_when_their_data_exists():
    coach = CaseRecord(
        id="q1",
        layer="quality",
        run="coach",
        tags=["en"],
        lang="en",
        persona="balanced",
        message="m",
        reply="Easy does it.",
    )
    coach.judge()
    plain = render_html(
        build_results(
            [coach.to_dict()], thresholds=load_thresholds("nano"), case_ids={"quality": ["q1"]}
        )
    )
    assert "Expected against predicted action" not in plain and "<svg" not in plain
    assert "Flips against the compared run" not in plain

    res = build_results(
        [_interp("s1", "replan", "explain")],
        thresholds=load_thresholds("nano"),
        case_ids={"schema": ["s1"]},
    )
    res["layers"]["schema"]["details"].update(CAL)
    page = render_html(res, compare_results(res, res))
    assert "Expected against predicted action" in page and page.count("<svg") == 2
    assert "Flips against the compared run" in page and "<h2>Comparison</h2>" in page
    assert "xmlns" not in page and "<script" not in page  # self-contained, no external asset
