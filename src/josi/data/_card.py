"""DATA_CARD.md written beside the JSONL files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from josi._io import atomic_write_text
from josi.data._coach import ENGINE_RESULT_CATEGORIES
from josi.data._stats import format_stats


def _engine_results(config: dict[str, Any]) -> str:
    share = config.get("engine_result_share") or 0
    if not share:
        return "Results sit in the `grounded_explain` rows only (`engine_result_share` = 0)."
    return (
        f"Results sit in the `grounded_explain` rows and in {share:.0%} of the other questions "
        f"about today's session\n  ({', '.join(ENGINE_RESULT_CATEGORIES)}; tag `gatc_result`),"
        "\n  so naming the result follows from the context, not from a few phrasings."
    )


def _athlete_rows(build: dict[str, Any]) -> str:
    copies = build.get("config", {}).get("athlete_message_copies") or 0
    if not copies:
        return "Every message comes from the templates (`athlete_message_copies` = 0)."
    left_out = ", ".join(f"{n} {why}" for why, n in build.get("athlete_left_out", {}).items())
    return (
        f"{build.get('athlete_rows', '?')} training rows (category `athlete_written`) are "
        f"requests written by hand\n  (`fixtures/intents/plan_change_train.jsonl`, "
        f"`josi.data._athlete`), {copies} per request, each in its own\n  context "
        "(coach tier, a runner, a session planned: what the writers labelled for). The action "
        "is the\n  writer's; sport, minutes and replan type are what the served path reads "
        "from the message. They join\n  the training split after the split. Left out: "
        f"{left_out or 'none'}."
    )


def render_card(stats: dict[str, Any]) -> str:
    build = stats.get("build", {})
    config = build.get("config", {})
    inter, coach = stats["modes"]["interpreter"], stats["modes"]["coach"]
    return f"""# Josi dataset card

Dataset hash: `{stats["dataset_hash"]}` (sha256 over the JSONL files, see `dataset.sha256`).
Built with `josi data build --seed {config.get("seed", "?")}`; \
the same seed gives byte-identical files.

## What it is
Synthetic supervised examples for the two modes of the single Josi model, plus preference pairs.

- **interpreter** ({inter["rows"]} rows): athlete message + ChatContext -> one GATCRequest. \
The target
  (`completion`) is `josi.contracts.dumps_request(expected)`: canonical key order, compact, \
schema-valid,
  always with `confidence`.
- **coach** ({coach["rows"]} rows): plain text explaining the plan's decision. Each row carries the
  interpreter output the coach sees at serve time.
- **preferences**: (chosen, rejected) replies for the eight rejection categories: invented numbers,
  jargon, too long, too many questions, deflection, engine internals, \
generic when grounded data exists,
  robotic memory use. The rejected reply fails the matching scorer; \
the chosen one passes all of them.

`messages` are built with `josi.prompting.build_messages(style="full")`; \
trainers that use the compact
prompt re-render from `context`, `history`, `user` and `interpreter_output`.

## Labelling rules
- Confidence: sport or plan change stated by the athlete 0.95; sport taken from profile, memory or a
  clear clarify 0.9; hedged requests ("maybe a run?") 0.6; \
no recognisable intent 0.3 -> clarify with
  `missing: ["intent"]`.
- No sport in the message, profile or memory -> clarify with \
`missing: ["sport"]` (time and goal kept).
  Memory that names a primary sport supplies it, so no clarify.
- A sport named in the message wins over the profile (tag `sport_override`).
- `create_workout` carries a stated fatigue as top-level `fatigue_hint`; `replan` carries it in
  `constraints.fatigue_hint` (as in the v6 guide); injuries and indoor-only go in `constraints`.
- Requests to skip, swap, move, lighten a session, illness, travel and goal changes are `replan`.
  Requests to make training harder, add sessions, raise caps or rewrite the plan are I6 attempts:
  `answer_question`, and the coach declines kindly without changing anything.
- Red flags (chest pain, fainting, palpitations) are `answer_question`; \
the coach tells the athlete to
  stop and see a doctor (referral is not counted as deflection there).
- The coach uses only numbers visible in its prompt (context block, memory, engine result, message).
- An engine result in the context is what the athlete gets: the coach names its workout and a
  reason from it. {_engine_results(config)}
- Athletes' own words: {_athlete_rows(build)}

## Hygiene
- Every coach reply passed `josi.scorers.coach_checks` (warmth per persona, brevity, \
forbidden words,
  jargon, repetition, governor, language, grounded numbers, grounding use, deflection, \
memory use and
  the situation's expectation: I6 refusal, pushback or red-flag care). Replies that failed were
  recomposed; {build.get("coach_rejected_by_scorers", "?")} scenarios never produced a passing \
reply and were left out.
- Exact duplicates (canonical text hash): {build.get("dropped_exact", "?")} dropped. \
The same message with
  the same target is kept at most {config.get("max_same_message", "?")} times (in different \
contexts):
  {build.get("dropped_same_message", "?")} dropped. Near duplicates
  (MinHash LSH over word 3-grams, Jaccard >= {config.get("near_duplicate_threshold", "?")}): \
{build.get("dropped_near", "?")} dropped.
- Split: group-aware and stratified by category x language. A group is one message template, so no
  phrasing appears in more than one split; val and test measure unseen phrasings. \
Preference pairs come
  from coach train rows (train) and val rows (val); test rows are never used for pairs.
- Diversity comes from composition (intents x phrasings x contexts x personas x languages); \
nothing is
  repeated in a loop.

## Limitations
- Synthetic and template-composed: replies are correct and safe but less varied than real coaching.
- Token counts are approximations (UTF-8 bytes / 4).
- Dutch covers the same intents as English with fewer templates.

## Statistics
```
{format_stats(stats)}
```
"""


def write_card(directory: str | Path, stats: dict[str, Any]) -> Path:
    return atomic_write_text(Path(directory) / "DATA_CARD.md", render_card(stats))
