"""Run every conformance vector in fixtures/conformance against the Python core."""

from __future__ import annotations

import pytest

from tests.unit.core.conformance import FUNCTIONS, NEEDS_LLAMA_CPP, load_files, run

_FILES = load_files()
_CASES = [(path.stem, data["function"], case) for path, data in _FILES for case in data["cases"]]


def test_every_file_is_well_formed() -> None:
    assert _FILES, "no conformance files found"
    for path, data in _FILES:
        assert set(data) == {"function", "cases"}, path.name
        assert data["function"] in FUNCTIONS, path.name
        ids = [case["id"] for case in data["cases"]]
        assert len(ids) == len(set(ids)), f"{path.name}: duplicate ids"
        for case in data["cases"]:
            assert set(case) == {"id", "input", "expected"}, f"{path.name}::{case.get('id')}"


def test_every_guide_example_has_a_flow_vector() -> None:
    flows = next(data for path, data in _FILES if path.name == "flows_v6_examples.json")
    ids = {case["id"].split("_")[0] for case in flows["cases"]}
    assert {"ex1", "ex2", "ex3", "ex4", "ex5"} <= ids


@pytest.mark.parametrize(
    ("function", "case"),
    [(function, case) for _, function, case in _CASES],
    ids=[f"{stem}::{case['id']}" for stem, _, case in _CASES],
)
def test_vector(function: str, case: dict) -> None:
    if function in NEEDS_LLAMA_CPP:
        pytest.importorskip("llama_cpp")
    assert run(function, case["input"]) == case["expected"]
