"""A case's result does not depend on what ran before it, nor on how workers split the cases.

Every call's seed derives from its own prompt, and only the system-prompt prefix is ever
reused from the KV cache, in the state evaluating it alone leaves. So the interpreter
cases give byte-identical outputs in two shuffled orders, greedy and sampled, and the
schema suite's records are identical with one worker and with two.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from josi.evals import load_cases

pytest_plugins = ["pytester"]
pytestmark = [pytest.mark.model, pytest.mark.slow]

CASES = [c for c in load_cases("schema")][:24]


def _outputs(runtime, cases):
    return {
        c.id: runtime.interpret(c.context, c.message, list(c.history) or None).raw for c in cases
    }


@pytest.mark.parametrize("sampled", [False, True], ids=["greedy", "sampled"])
def test_outputs_do_not_depend_on_case_order(josi_runtime, sampled):
    runtime = josi_runtime.with_config(deterministic=False, seed=1) if sampled else josi_runtime
    first = random.Random(1).sample(CASES, len(CASES))
    second = random.Random(2).sample(CASES, len(CASES))
    assert [c.id for c in first] != [c.id for c in second]
    assert _outputs(runtime, first) == _outputs(runtime, second)


def test_records_do_not_depend_on_the_number_of_workers(pytester, josi_gguf):
    suite = Path(__file__).resolve().parents[2] / "schema" / "test_schema.py"
    pytester.makepyfile(test_schema=suite.read_text())
    common = [
        "--josi-gguf",
        str(josi_gguf),
        "-p",
        "no:cacheprovider",
        "-k",
        "test_interpreter and schema-cw",
    ]

    def records(report, *extra):
        pytester.runpytest_subprocess(*common, "--josi-report", report, *extra)
        data = json.loads((pytester.path / report / "results.json").read_text())
        return {r["id"]: (r["interpreter_raw"], r["passed"]) for r in data["records"]}

    one = records("one")
    assert one and one == records("two", "-n", "2", "-p", "xdist")
