"""The ship's F16 reference run selects the suites whose cases the gate pairs, and nothing else."""

from __future__ import annotations

import pytest
from _pytest.mark.expression import Expression

from josi.evals import LAYERS
from josi.pipeline._ship import reference_markexpr


def _selects(marks: set[str]) -> bool:
    return Expression.compile(reference_markexpr()).evaluate(lambda name: name in marks)


@pytest.mark.parametrize("layer", LAYERS)
def test_every_layers_model_tests_run_on_the_reference(layer: str) -> None:
    assert _selects({"model", layer})
    assert _selects({"model", layer, "slow"})


@pytest.mark.parametrize(
    "marks",
    [{"model"}, {"model", "slow"}, {"model", "train"}, {"golden"}, {"schema", "gate"}],
    ids=["runtime", "runtime-slow", "train", "golden-without-model", "gate-without-model"],
)
def test_tests_that_record_no_model_case_do_not(marks: set[str]) -> None:
    assert not _selects(marks)
