"""Requests in athletes' own words as interpreter training rows.

The generator's messages come from templates: their phrasings repeat, and a model trained on
them alone reads realistic messages (typos, slang, colloquial and Flemish Dutch, run-on asides)
worse than the templates' own held-out phrasings. ``fixtures/intents/plan_change_train.jsonl``
holds 1,000 requests written by hand for the request lexicon (100 per action and language), each
labelled with its action by writers who had not seen the generator, for a coach-tier runner with
a session planned. Each becomes ``copies`` training rows, each in its own context of that kind.

The action is the writer's label; the other fields are what the served path reads from the
message (``josi.postprocess``): the sport named (else the profile's), the minutes named, the
replan type the request lexicon reads (a replan it reads no type for is left out, not guessed),
and an unclear change of plan asks for the replan type. The rows join the training split after
the split, so no templated row moves between splits; a message that a gate case or a held-out
row also asks is left out, so training never sees what the gate or the held-out split judges.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from josi._errors import ContractError

REQUESTS_FILE = ("intents", "plan_change_train.jsonl")
ACTIONS = ("create_workout", "replan", "explain", "answer_question", "clarify")
CATEGORY = "athlete_written"
# The context the writers labelled for: a coach-tier runner with a session planned.
_TIER, _SPORT = "coach", "run"
_WORDS = re.compile(r"\W+")


@dataclass(frozen=True)
class WrittenRequest:
    text: str
    lang: str
    action: str


def match_form(text: str) -> str:
    """The form two messages are compared in: word characters only, casefolded."""
    return _WORDS.sub(" ", text.casefold()).strip()


def written_requests_path() -> Path:
    from josi._resources import resource_dir

    return resource_dir("fixtures").joinpath(*REQUESTS_FILE)


def read_requests(path: Path) -> list[WrittenRequest]:
    """The written requests in ``path`` (``source`` ``written:<lang>:<action>``), in file order."""
    out: list[WrittenRequest] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            row = json.loads(line)
            origin, lang, label = str(row["source"]).split(":")
            text = row["text"]
        except (ValueError, KeyError, TypeError) as exc:
            raise ContractError(f"{path}:{number}: not a labelled message ({exc})") from exc
        if origin == "written" and label in ACTIONS:
            if lang not in ("en", "nl") or not isinstance(text, str) or not text.strip():
                raise ContractError(f"{path}:{number}: needs a text and a language en or nl")
            out.append(WrittenRequest(text, lang, label))
    return out


def case_messages(cases_dir: Path) -> frozenset[str]:
    """Every message a gate case sends, history turns included, in ``match_form``."""
    found: set[str] = set()
    for file in sorted(cases_dir.glob("*.jsonl")):
        for line in file.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            case = json.loads(line)
            found.add(match_form(str(case.get("message", ""))))
            for turn in case.get("history") or ():
                if isinstance(turn, dict) and isinstance(turn.get("message"), str):
                    found.add(match_form(turn["message"]))
    found.discard("")
    return frozenset(found)


def athlete_rows(
    requests: Iterable[WrittenRequest], *, copies: int, seed: int, excluded: frozenset[str]
) -> tuple[list[dict[str, Any]], Counter[str]]:
    """``copies`` training rows per request, and the count of requests left out, by reason."""
    from josi.data import _interpreter as interp
    from josi.data._contexts import make_context
    from josi.data._messages import build_row_messages
    from josi.data._world import PERSONAS, confidence
    from josi.postprocess import (
        CLARIFY_REPLAN_TYPE,
        SESSION_MINUTES,
        detect_request_intent,
        extract_minutes,
        named_sport,
        normalize_sport,
    )

    rows: list[dict[str, Any]] = []
    left_out: Counter[str] = Counter()
    for index, request in enumerate(requests):
        text, lang, action = request.text, request.lang, request.action
        if match_form(text) in excluded:
            left_out["asked by a gate case or a held-out row"] += 1
            continue
        hit = detect_request_intent(text)
        if action == "replan" and (hit is None or hit.intent != "replan"):
            left_out["replan with no type the request lexicon reads"] += 1
            continue
        # One stream per request, so a request that joins or leaves (a lexicon that reads
        # one more replan type, a new gate case) changes its own rows and no other's.
        rng = random.Random(f"athlete-rows:{seed}:{lang}:{text}")
        for copy in range(copies):
            ctx = make_context(
                rng, lang=lang, persona=rng.choice(PERSONAS), tier=_TIER, profile_sport=_SPORT
            )
            profile = normalize_sport(ctx["profile_summary"]["sport"])
            fields: dict[str, Any] = {"action": action, "free_text": text}
            if action in ("explain", "answer_question"):
                fields.update(question=text, confidence=confidence("clear"))
            elif action == "create_workout":
                fields.update(
                    sport=named_sport(text, None, profile) or profile,
                    confidence=confidence("clear"),
                )
                minutes = extract_minutes(text)
                if minutes is not None and SESSION_MINUTES[0] <= minutes <= SESSION_MINUTES[1]:
                    fields["time_available_min"] = minutes
            elif action == "replan":
                fields.update(
                    replan_type=hit.replan_type,  # type: ignore[union-attr]
                    sport=profile,
                    confidence=confidence("clear"),
                )
            elif hit is not None and hit.intent == "unclear_replan":
                fields.update(
                    missing=["replan_type"],
                    clarify_message=CLARIFY_REPLAN_TYPE[lang],
                    confidence=confidence("ambiguous"),
                )
            else:
                fields.update(
                    missing=["intent"],
                    clarify_message=rng.choice(interp.CLARIFY_INTENT[lang]),
                    confidence=confidence("ambiguous"),
                )
            row = interp._row(
                CATEGORY, f"athlete:{lang}:{index}", lang, ctx, text, fields, [CATEGORY]
            )
            row["messages"] = build_row_messages("interpreter", ctx, text, history=[])
            row["_athlete_key"] = f"athlete:{index}:{copy}"
            rows.append(row)
    return rows, left_out
