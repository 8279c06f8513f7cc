"""The plugin end to end in a child pytest: deselection, gates, xdist merging, --compare."""

from __future__ import annotations

import json

import pytest

pytest_plugins = ["pytester"]

FAKE_SUITE = """
import pytest
from josi.evals import CaseRecord, load_cases
from josi.scorers import Score

CASES = load_cases("schema")
WRONG = {c.id for c in CASES[::6]}  # 10 of 60 wrong: action accuracy 0.833 < 0.9


@pytest.mark.model
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_fake_interpreter(case, josi_record):
    ok = case.id not in WRONG
    rec = CaseRecord(id=case.id, layer="schema", run="interpret", tags=list(case.tags),
                     lang=case.lang, persona=case.persona, message=case.message)
    rec.expect(Score.binary("valid_json", True), Score.binary("action", ok))
    rec.collect(Score("field_accuracy", 1.0, True))
    rec.judge()
    josi_record(rec)


def test_fast():
    assert 1 + 1 == 2
"""


@pytest.fixture
def suite(pytester):
    pytester.makepyfile(test_fake=FAKE_SUITE)
    (pytester.path / "model.gguf").write_bytes(b"GGUF fake")
    return pytester


pytestmark = pytest.mark.slow


def test_model_tests_are_deselected_without_a_model(suite):
    result = suite.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, deselected=60)
    result.stdout.fnmatch_lines(["*60 model-backed tests deselected: add --run-model*"])
    assert not (suite.path / "reports").exists()


def test_missing_gguf_is_an_error_not_a_skip(suite):
    result = suite.runpytest_subprocess("--josi-gguf", "nope.gguf")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--josi-gguf nope.gguf: no such file*"])


def test_xdist_workers_records_merge_and_gates_fail_the_session(suite):
    # Gated against the production targets, which the fake model (action accuracy 0.83) misses.
    result = suite.runpytest_subprocess(
        "--josi-gguf",
        "model.gguf",
        "--josi-report",
        "out",
        "-n",
        "2",
        "-p",
        "xdist",
        "--josi-profile",
        "production",
    )
    result.assert_outcomes(passed=61)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*josi eval summary*", "*GATES FAILED: schema.action_accuracy*"])
    res = json.loads((suite.path / "out" / "results.json").read_text())
    layer = res["layers"]["schema"]
    assert (
        layer["complete"]
        and layer["cases_run"] == 60
        and layer["metrics"]["action_accuracy"] == 0.8333
    )
    assert res["run"]["workers"] == 2
    # Every test passed; the gates failed the session, and the record says so.
    assert res["run"]["tests_exitstatus"] == pytest.ExitCode.OK
    assert res["run"]["exitstatus"] == pytest.ExitCode.TESTS_FAILED
    # The decoding settings are part of the record: greedy, with the shipped coach DRY penalty.
    assert res["run"]["runtime"]["deterministic"] is True
    assert res["run"]["runtime"]["coach_dry_multiplier"] == 0.8
    assert (suite.path / "out" / "report.html").is_file()

    again = suite.runpytest_subprocess(
        "--josi-gguf", "model.gguf", "--josi-report", "out2", "--josi-compare", "out"
    )
    again.stdout.fnmatch_lines(["*josi compare*", "*pass->fail 0, fail->pass 0*"])
    assert json.loads((suite.path / "out2" / "compare.json").read_text())["paired"] == 60


def test_a_partial_run_is_reported_not_gated(suite):
    result = suite.runpytest_subprocess(
        "--josi-gguf", "model.gguf", "--josi-report", "out", "-k", "schema-cw"
    )
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*PARTIAL: 16/60 cases, gates not evaluated*"])


def test_minus_m_model_counts_as_asking_for_the_model(suite, monkeypatch):
    monkeypatch.setenv("JOSI_GGUF", str(suite.path / "model.gguf"))
    result = suite.runpytest_subprocess(
        "-m", "model", "-k", "schema-cw-run-45", "--josi-report", "out"
    )
    result.assert_outcomes(passed=1, deselected=60)


def test_the_old_option_spellings_still_work_with_a_warning(suite):
    result = suite.runpytest_subprocess(
        "--gguf",
        "model.gguf",
        "--profile",
        "production",
        "--josi-report",
        "out",
        "-k",
        "schema-cw-run-45",
    )
    result.stdout.fnmatch_lines(["*--gguf is deprecated; use --josi-gguf*"])
    assert json.loads((suite.path / "out" / "results.json").read_text())["profile"] == "production"


def test_markers_are_registered_by_the_plugin(pytester):
    # A project that installs josi runs its own suites under --strict-markers without copying them.
    pytester.makepyfile(
        test_own=(
            "import pytest\n\n@pytest.mark.golden\n@pytest.mark.slow\ndef test_x():\n    pass\n"
        )
    )
    result = pytester.runpytest_subprocess("--strict-markers", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_a_killed_run_keeps_the_cases_it_finished(pytester):
    """``pytest --josi-gguf model.gguf`` killed mid-run: records.partial.jsonl holds what ran."""
    pytester.makepyfile(
        test_killed=FAKE_SUITE.replace(
            "    josi_record(rec)\n",
            "    josi_record(rec)\n    if case.id == CASES[3].id:\n"
            "        import os\n        os._exit(3)\n",
        )
    )
    (pytester.path / "model.gguf").write_bytes(b"GGUF fake")
    killed = pytester.runpytest_subprocess(
        "--josi-gguf", "model.gguf", "--josi-report", "out", "-p", "no:cacheprovider"
    )
    assert killed.ret == 3
    kept = [
        json.loads(line)
        for line in (pytester.path / "out" / "records.partial.jsonl").read_text().splitlines()
    ]
    assert len(kept) == 3 and not (pytester.path / "out" / "results.json").exists()


def test_a_finished_run_leaves_no_partial_records(suite):
    suite.runpytest_subprocess(
        "--josi-gguf", "model.gguf", "--josi-report", "out", "-k", "schema-cw-run-45"
    )
    assert (suite.path / "out" / "results.json").is_file()
    assert not (suite.path / "out" / "records.partial.jsonl").exists()


JUNIT_SUITE = """
import pytest
from josi.evals import CaseRecord, load_cases
from josi.scorers import Score

CASES = load_cases("schema")[:6]


@pytest.mark.model
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_fake_interpreter(case, josi_verdict):
    ok = case.id != CASES[1].id
    rec = CaseRecord(id=case.id, layer="schema", run="interpret", tags=list(case.tags),
                     lang=case.lang, persona=case.persona, message=case.message)
    rec.expect(Score.binary("valid_json", True),
               Score.binary("action", ok, "ok" if ok else "got 'explain', want 'replan'"))
    rec.collect(Score("field_accuracy", 1.0, True))
    rec.judge()
    josi_verdict(rec)
"""


def test_junitxml_names_each_case_with_its_layer_and_reason_not_its_whole_record(pytester):
    import xml.etree.ElementTree as ET

    pytester.makepyfile(test_junit=JUNIT_SUITE)
    (pytester.path / "model.gguf").write_bytes(b"GGUF fake")
    result = pytester.runpytest_subprocess(
        "--josi-gguf",
        "model.gguf",
        "--josi-report",
        "out",
        "-n",
        "2",
        "-p",
        "xdist",
        "--junitxml",
        "junit.xml",
        "-p",
        "no:cacheprovider",
    )
    result.assert_outcomes(passed=5, xfailed=1)
    cases = {tc.get("name"): tc for tc in ET.parse(pytester.path / "junit.xml").iter("testcase")}
    assert len(cases) == 6
    props = {
        name: {p.get("name"): p.get("value") for p in tc.iter("property")}
        for name, tc in cases.items()
    }
    wrong = "test_fake_interpreter[schema-cw-bike-60-steady]"
    assert props[wrong] == {
        "josi_layer": "schema",
        "josi_case": "schema-cw-bike-60-steady",
        "josi_reason": "action: got 'explain', want 'replan'",
    }
    assert "got 'explain', want 'replan'" in cases[wrong].find("skipped").get("message")
    right = "test_fake_interpreter[schema-cw-run-45]"
    assert props[right] == {"josi_layer": "schema", "josi_case": "schema-cw-run-45"}
    # The records still reach results.json from both workers.
    assert len(json.loads((pytester.path / "out" / "results.json").read_text())["records"]) == 6
