"""Fuzzed ``josi run`` input: every file gets a clear error or the correct result, and no
file other than the output is touched. Rows are built valid or broken in one known way,
so the expected result does not come from the code under test."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from josi import JosiError
from josi._io import read_jsonl
from josi.runtime._batch import execute_batch, partial_path, plan_batch

from .test_runtime_batch_chat import CTX, FakeRuntime

_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
_MESSAGE = _TEXT.filter(lambda s: s.strip())
_TURN = st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant"]), "message": _MESSAGE})
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=8,
)

# Each maps a valid row to a row that is wrong in exactly one way.
_BREAKS = {
    "no message": lambda row, _: {k: v for k, v in row.items() if k != "message"},
    "blank message": lambda row, junk: {**row, "message": " \t"},
    "message not text": lambda row, junk: {**row, "message": [junk]},
    "no context": lambda row, _: {k: v for k, v in row.items() if k != "context"},
    "context not an object": lambda row, junk: {**row, "context": [junk]},
    "invalid context": lambda row, _: {**row, "context": {**CTX, "tier": "gold"}},
    "history not a list": lambda row, junk: {**row, "history": {"turns": junk}},
    "history turn without role": lambda row, _: {**row, "history": [{"message": "hi"}]},
    "id not text": lambda row, junk: {**row, "id": [junk]},
    "not an object": lambda row, junk: [row, junk],
}


@st.composite
def _lines(draw) -> tuple[list[str], list[tuple[str, str]]]:
    """JSONL lines and the (id, message) of the cases that must come out, in order."""
    lines, expected = [], []
    for number in range(draw(st.integers(0, 6))):
        row = {"id": f"case-{number}", "message": draw(_MESSAGE), "context": CTX}
        if draw(st.booleans()):
            row["history"] = draw(st.lists(_TURN, max_size=3))
        kind = draw(st.sampled_from(["valid", "valid", "not json", "blank", *_BREAKS]))
        if kind == "valid":
            expected.append((row["id"], row["message"]))
            # Raw non-ASCII (U+2028, U+0085 ...) in the line must not split it.
            lines.append(json.dumps(row, ensure_ascii=draw(st.booleans())))
        elif kind == "not json":
            lines.append(json.dumps(row, ensure_ascii=False)[:-1])
        elif kind == "blank":
            lines.append(draw(st.sampled_from(["", " ", "\t", "\r"])))
        else:
            lines.append(json.dumps(_BREAKS[kind](row, draw(_JSON)), ensure_ascii=False))
    return lines, expected


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_lines(), st.sampled_from(["\n", "\r\n"]), st.binary(max_size=6) | st.none())
def test_a_run_gives_a_clear_error_or_the_correct_result(drawn, newline, raw_tail):
    lines, expected = drawn
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        cases = root / "in.jsonl"
        data = newline.join(lines).encode("utf-8") + (b"\n" + raw_tail if raw_tail else b"")
        cases.write_bytes(data)
        (root / "other.txt").write_text("untouched")
        output = root / "out.jsonl"
        reports: list[str] = []
        runtime = FakeRuntime()
        try:
            plan = plan_batch(cases, output, report=reports.append)
            summary = execute_batch(runtime, plan, report=reports.append)
        except JosiError as exc:
            # The only whole-file error a row can cause: bytes that are not UTF-8.
            assert raw_tail is not None and "not valid UTF-8 at byte" in str(exc)
            assert str(cases) in str(exc) and "\n" not in str(exc)
            assert not output.exists()
        else:
            got = [row["id"] for row in read_jsonl(output)] if output.exists() else []
            assert got == [case_id for case_id, _ in expected]
            assert [message for message, _ in runtime.seen] == [m for _, m in expected]
            assert summary.succeeded == len(expected)
            rows = sum(1 for line in lines if line.strip())
            tail = (raw_tail or b"").decode("utf-8")  # decodable, or plan_batch had refused it
            rows += sum(1 for line in tail.split("\n") if line.strip())
            # Every other row is skipped, with one report naming its line.
            assert summary.skipped == len(reports) == rows - len(expected)
            assert all(report.startswith(f"{cases}:") for report in reports)
        assert cases.read_bytes() == data
        assert (root / "other.txt").read_text() == "untouched"
        assert not partial_path(output).exists()
        assert {p.name for p in root.iterdir()} <= {"in.jsonl", "other.txt", "out.jsonl"}
