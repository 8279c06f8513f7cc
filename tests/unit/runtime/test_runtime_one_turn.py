"""One turn: the code layer of the suites and ``josi run`` follow the same code.

Every case of every suite runs twice with the same scripted interpreter output: through
the eval harness's code layer (``josi.evals.run_scripted``) and through the function
behind ``josi run`` (``josi.runtime._batch.run_batch``). Their routes, requests and
replies must agree case by case.
"""

from __future__ import annotations

import json

from josi._io import read_jsonl
from josi.contracts import dumps_request
from josi.evals import LAYERS, load_cases, run_scripted
from josi.runtime import JosiRuntime
from josi.runtime._batch import run_batch

ALL_CASES = [case for layer in LAYERS for case in load_cases(layer)]


def test_code_layer_and_josi_run_agree_on_every_case(tmp_path):
    assert len(ALL_CASES) >= 436
    runtime = JosiRuntime.scripted("{}")
    rows, disagreements = tmp_path / "in.jsonl", []
    for case in ALL_CASES:
        request = case.coach_request()
        record = run_scripted(case, request)
        runtime.engine.interpreter_output = dumps_request(request)
        row = {"id": case.id, "message": case.message, "context": case.context}
        if case.history:
            row["history"] = list(case.history)
        rows.write_text(json.dumps(row) + "\n", encoding="utf-8")
        out = tmp_path / "out.jsonl"
        summary = run_batch(runtime, rows, out, report=disagreements.append)
        assert summary.succeeded == 1, disagreements
        served = read_jsonl(out)[0]
        for name, ours, theirs in (
            ("route", record.route, served["route"]),
            ("request", record.request, served["request"]),
            ("reply", record.reply, served["reply"]),
            ("reply_source", record.reply_source, served["reply_source"]),
        ):
            if ours != theirs:
                disagreements.append(f"{case.layer}:{case.id} {name}: {ours!r} != {theirs!r}")
    assert disagreements == []
