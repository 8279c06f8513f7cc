"""Adapters from conformance vectors to the Python core, shared with the app's port.

Each ``fixtures/conformance/*.json`` file is ``{"function": name, "cases": [{"id",
"input", "expected"}]}``. ``run(name, input)`` returns the JSON value the
vector expects. After a deliberate behaviour change, rewrite the expectations
and review the diff:

    python -m tests.unit.core.conformance --update
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from josi import governor, lang, memory, parsing, postprocess, prompting, routing

CONFORMANCE = Path(__file__).resolve().parents[3] / "fixtures" / "conformance"


def _parse(i: dict[str, Any]) -> Any:
    r = parsing.parse_request(i["raw"], user_message=i["user_message"])
    return {"request": r.request, "ok": r.ok, "fallback": r.fallback}


def _post(i: dict[str, Any]) -> Any:
    r = postprocess.postprocess(i["request"], user_message=i["user_message"], ctx=i["ctx"])
    return {"request": r.request, "red_flags": list(r.red_flags), "safe_reply": r.safe_reply}


def _route(i: dict[str, Any]) -> Any:
    d = routing.route(i["request"], i["ctx"], red_flags=tuple(i.get("red_flags", ())))
    return {k: v for k, v in dataclasses.asdict(d).items() if k != "reason"}


def _prompt(i: dict[str, Any]) -> Any:
    return prompting.build_prompt(
        i["mode"],
        i["ctx"],
        i["user_message"],
        history=i.get("history"),
        interpreter_output=i.get("interpreter_output"),
        style=i.get("style", "full"),
    )


def _messages(i: dict[str, Any]) -> Any:
    return prompting.build_messages(
        i["mode"],
        i["ctx"],
        i["user_message"],
        history=i.get("history"),
        interpreter_output=i.get("interpreter_output"),
        style=i.get("style", "full"),
    )


def _turn(i: dict[str, Any]) -> Any:
    """Interpreter output -> parse -> postprocess -> route, as one app turn runs it."""
    parsed = parsing.parse_request(i["interpreter_raw"], user_message=i["user_message"])
    post = postprocess.postprocess(parsed.request, user_message=i["user_message"], ctx=i["ctx"])
    decision = routing.route(post.request, i["ctx"], red_flags=post.red_flags)
    return {
        "context_block": prompting.build_context_block(i["ctx"]),
        "request": post.request,
        "route": {k: v for k, v in dataclasses.asdict(decision).items() if k != "reason"},
    }


def _request_intent(i: dict[str, Any]) -> Any:
    """A vague message or a replan in plain words (or null), as the post-processor reads it."""
    hit = postprocess.detect_request_intent(i["text"])
    return None if hit is None else dataclasses.asdict(hit)


def _coach_contract_reply(i: dict[str, Any]) -> Any:
    """The coach step's fixed reply (or null: the model answers) for a coach-bound message;
    ``planned_minutes``, where given, is the planned session's length in the context."""
    ctx: dict[str, Any] = {"tier": i["tier"]}
    if "planned_minutes" in i:
        ctx["planned_session"] = {"target_duration_min": i["planned_minutes"]}
    reply = routing.coach_contract_reply(i["message"], ctx, i["lang"])
    return None if reply is None else dataclasses.asdict(reply)


@functools.cache
def _vocab() -> Any:
    """The embedded SmolLM2 vocabulary (no weights): grammars compile against a vocabulary."""
    import llama_cpp

    from josi.runtime import embedded_gguf

    return llama_cpp.Llama(model_path=str(embedded_gguf()), vocab_only=True, verbose=False)


def _forced_spans(i: dict[str, Any]) -> Any:
    """Jump-forward: where the grammar forced a complete output. Without an inline grammar, the
    interpreter grammar with free_text pinned to the message, as the runtime decodes with."""
    from josi.contracts import grammar_text, pin_free_text, verbatim_free_text
    from josi.runtime._jump import grammar_forced_spans

    grammar = i.get("grammar") or pin_free_text(grammar_text(), verbatim_free_text(i["message"]))
    return [
        {"at": at, "forced": text}
        for at, text in grammar_forced_spans(_vocab(), grammar, i["output"])
    ]


# Vectors of these functions need llama.cpp (its grammar engine), not only the Python core.
NEEDS_LLAMA_CPP = frozenset({"runtime.forced_spans"})

FUNCTIONS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "parsing.parse_request": _parse,
    "parsing.strip_thinking": lambda i: parsing.strip_thinking(i["text"]),
    "parsing.extract_first_json_object": lambda i: parsing.extract_first_json_object(i["text"]),
    "governor.govern": lambda i: governor.govern(i["text"]),
    "governor.count_questions": lambda i: governor.count_questions(i["text"]),
    "prompting.build_context_block": lambda i: prompting.build_context_block(i["ctx"]),
    "prompting.build_messages": _messages,
    "prompting.build_prompt": _prompt,
    "prompting.neutralize": lambda i: prompting.neutralize(i["text"]),
    "postprocess.postprocess": _post,
    "postprocess.extract_minutes": lambda i: postprocess.extract_minutes(i["text"]),
    "postprocess.normalize_sport": lambda i: postprocess.normalize_sport(i["text"]),
    "postprocess.detect_red_flags": lambda i: list(postprocess.detect_red_flags(i["text"])),
    "postprocess.detect_request_intent": _request_intent,
    "routing.route": _route,
    "routing.cap_zone": lambda i: routing.cap_zone(i["zone"], i["level"]),
    "routing.coach_contract_reply": _coach_contract_reply,
    "lang.detect_language": lambda i: lang.detect_language(i["text"]),
    "lang.normalize_for_matching": lambda i: lang.normalize_for_matching(
        i["text"], format_char_as=i.get("format_char_as", "")
    ),
    "memory.extract_memory": lambda i: memory.extract_memory(
        i["turns"], existing=i.get("existing"), now=i["now"]
    ),
    "memory.render_memory": lambda i: memory.render_memory(i["memory"], max_tokens=i["max_tokens"]),
    "memory.current_memory": lambda i: memory.current_memory(i["memory"]),
    "turn": _turn,
    "runtime.forced_spans": _forced_spans,
}


def run(function: str, case_input: dict[str, Any]) -> Any:
    # JSON round trip: tuples become lists, exactly what a port compares against.
    return json.loads(json.dumps(FUNCTIONS[function](case_input), ensure_ascii=False))


def load_files() -> list[tuple[Path, dict[str, Any]]]:
    return [
        (p, json.loads(p.read_text(encoding="utf-8"))) for p in sorted(CONFORMANCE.glob("*.json"))
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="rewrite expected values")
    args = parser.parse_args(argv)
    from josi._io import atomic_write_json

    changed = 0
    for path, data in load_files():
        for case in data["cases"]:
            actual = run(data["function"], case["input"])
            if actual != case.get("expected"):
                changed += 1
                print(f"{path.name}::{case['id']}: differs")
                if args.update:
                    case["expected"] = actual
        if args.update:
            atomic_write_json(path, data)
    print(f"{changed} case(s) differ" + (" (rewritten)" if args.update and changed else ""))
    return 0 if args.update or not changed else 1


if __name__ == "__main__":
    raise SystemExit(main())
