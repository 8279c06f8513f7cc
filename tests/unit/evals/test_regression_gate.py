"""The verdict end to end: the golden suite in a child pytest, run by scripted models.

A scripted model writes each case's expected request (or a wrong one), so the verdict's
rules can be shown without a GGUF: a new failing regression case never blocks, a model
worse than the baseline does, and a broken code guarantee fails its case.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from josi.evals import build_results, load_thresholds, write_baseline
from josi.evals._cases import cases_dir

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.slow

GOLDEN = (Path(__file__).resolve().parents[2] / "golden" / "test_golden.py").read_text()

CONFTEST = '''
import dataclasses
import os

import pytest

from josi.contracts import dumps_request
from josi.evals import load_cases
from josi.runtime import JosiRuntime

def _wrong(case, action):
    """A schema-valid request with the wrong action."""
    if action == "clarify":
        return {"action": "answer_question", "free_text": case.message, "question": case.message}
    return {"action": "clarify", "free_text": case.message, "missing": ["sport"],
            "clarify_message": "Which sport?"}


def _request(case, model):
    request = case.coach_request()
    if model == "worse" or (model == "good" and case.id.startswith("golden-new")):
        return _wrong(case, request["action"])
    return request


class Scripted(JosiRuntime):
    """Writes, for each message, the request the named model would write."""

    def __init__(self, model):
        base = JosiRuntime.scripted("{}")
        super().__init__(base.config, _engine=base.engine)
        self.model = model
        self.by_message = {c.message: c for c in load_cases("golden")}

    def turn(self, ctx, message, history=None):
        case = self.by_message[message]
        self.engine.interpreter_output = dumps_request(_request(case, self.model))
        result = super().turn(ctx, message, history)
        if self.model == "broken-router" and case.id == "golden-redflag-01":
            result = dataclasses.replace(result, red_flags=(), reply_source="coach")
        return result


@pytest.fixture(scope="session")
def josi_runtime():
    return Scripted(os.environ["SCRIPTED_MODEL"])
'''


@pytest.fixture
def golden(pytester, tmp_path, monkeypatch):
    cases = tmp_path / "cases"
    shutil.copytree(cases_dir(), cases)
    monkeypatch.setenv("JOSI_CASES", str(cases))
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_golden=GOLDEN)
    (pytester.path / "model.gguf").write_bytes(b"GGUF scripted")
    return pytester, cases


def _run(pytester, model, monkeypatch, *args):
    monkeypatch.setenv("SCRIPTED_MODEL", model)
    return pytester.runpytest_subprocess(
        "--josi-gguf",
        "model.gguf",
        "--josi-profile",
        "nano",
        "-p",
        "no:cacheprovider",
        "-k",
        "not test_code_layer",
        "--josi-samples",
        "0",
        *args,
    )


def _baseline_of(pytester, report: str, tmp_path: Path) -> Path:
    results = json.loads((pytester.path / report / "results.json").read_text())
    return write_baseline(results, tmp_path / "nano.baseline.json")


def test_the_regression_gate(golden, tmp_path, monkeypatch):
    pytester, cases = golden
    first = _run(pytester, "good", monkeypatch, "--josi-report", "first", "--josi-no-baseline")
    assert first.ret == pytest.ExitCode.OK, first.stdout.str()[-3000:]
    baseline = _baseline_of(pytester, "first", tmp_path)

    # The same model against its own baseline: no flip, a pass.
    same = _run(
        pytester, "good", monkeypatch, "--josi-report", "same", "--josi-baseline", str(baseline)
    )
    assert same.ret == pytest.ExitCode.OK
    same.stdout.fnmatch_lines(["*ok      golden*pass->fail   0  fail->pass   0*"])

    # A new regression prompt the model fails is reported as new and blocks nothing.
    line = {
        "id": "golden-new-01",
        "tags": ["en", "replan"],
        "message": "cant do today, knee feels off",
        "context": {"preset": "run_green_coach"},
        "expect": {
            "request": {
                "action": "replan",
                "free_text": "cant do today, knee feels off",
                "replan_type": "skip_today",
            }
        },
    }
    with open(cases / "golden.jsonl", "a", encoding="utf-8") as handle:
        handle.write(json.dumps(line) + "\n")
    grown = _run(
        pytester, "good", monkeypatch, "--josi-report", "grown", "--josi-baseline", str(baseline)
    )
    assert grown.ret == pytest.ExitCode.OK, grown.stdout.str()[-3000:]
    grown.stdout.fnmatch_lines(["*new, failing (1): golden:golden-new-01*"])
    layer = json.loads((pytester.path / "grown" / "results.json").read_text())["layers"]["golden"]
    grown.assert_outcomes(passed=layer["passed"], xfailed=layer["failed"])

    # A clearly worse model is blocked by the paired test, not by a per-case failure.
    worse = _run(
        pytester, "worse", monkeypatch, "--josi-report", "worse", "--josi-baseline", str(baseline)
    )
    assert worse.ret == pytest.ExitCode.TESTS_FAILED
    worse.stdout.fnmatch_lines(
        ["*BLOCKED golden*", "*GATES FAILED: regression.golden, regression.all*"]
    )
    assert "failed" not in worse.parseoutcomes()


def test_a_broken_code_guarantee_fails_its_case(golden, monkeypatch):
    pytester, _ = golden
    result = _run(
        pytester, "broken-router", monkeypatch, "--josi-report", "broken", "--josi-no-baseline"
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(
        failed=1,
        passed=result.parseoutcomes()["passed"],
        xfailed=result.parseoutcomes().get("xfailed", 0),
    )
    result.stdout.fnmatch_lines(["*FAILED test_golden.py::test_golden[[]golden-redflag-01[]]*"])


def test_results_gated_against_a_baseline_keep_absolute_production_gates(tmp_path):
    # Sanity: the baseline is written from complete layers only, case by case.
    thresholds = load_thresholds("nano")
    records = [{"id": "a", "layer": "golden", "passed": True, "tags": ["en"]}]
    res = build_results(records, thresholds=thresholds, case_ids={"golden": ["a"]})
    assert json.loads(write_baseline(res, tmp_path / "b.json").read_text())["outcomes"] == {
        "golden:a": True
    }
