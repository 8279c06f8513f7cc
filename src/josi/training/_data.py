"""Dataset rows -> trl prompt-completion examples.

The prompt is re-rendered from the row's context with the profile's prompt style
(``josi.prompting.build_messages``), so a compact-prompt model and a full-prompt
model train on the same data. The completion is a single assistant message; trl
applies the tokenizer's own chat template and masks the loss to the completion.
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path
from typing import Any

from josi._errors import ConfigError, ContractError
from josi._io import read_jsonl, sha256_file
from josi._stamp import recorded_hash

DATA_MODES = ("interpreter", "coach")


def modes_for(mode: str) -> tuple[str, ...]:
    return DATA_MODES if mode in ("joint", "both") else (mode,)


def split_path(data_dir: Path, mode: str, split: str) -> Path:
    return Path(data_dir) / f"{mode}.{split}.jsonl"


def load_rows(data_dir: Path, modes: tuple[str, ...], split: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for mode in modes:
        path = split_path(data_dir, mode, split)
        if not path.is_file():
            raise ConfigError(
                f"missing dataset file {path}; build it with `josi data build --out {data_dir}`"
            )
        rows.extend(read_jsonl(path))
    return rows


def data_hash(data_dir: Path, files: list[Path]) -> str:
    """The dataset hash the generator recorded when present, else a hash over the files used."""
    recorded = recorded_hash(data_dir)
    if recorded:
        return recorded
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(f"{path.name}:{sha256_file(path)}\n".encode())
    return digest.hexdigest()


def to_example(
    row: dict[str, Any], *, style: str, chat_template_kwargs: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One SFT row -> {"prompt": [messages], "completion": [assistant message]}."""
    from josi.prompting import build_messages

    try:
        mode, context, user, completion = (
            row["mode"],
            row["context"],
            row["user"],
            row["completion"],
        )
    except KeyError as exc:
        raise ContractError(
            f"dataset row {row.get('id', '?')!r} lacks field {exc.args[0]!r}"
        ) from exc
    if not isinstance(completion, str) or not completion.strip():
        raise ContractError(f"dataset row {row.get('id', '?')!r} has an empty completion")
    messages = build_messages(
        mode,
        context,
        user,
        history=row.get("history") or None,
        interpreter_output=row.get("interpreter_output"),
        style=style,
    )
    if not messages or messages[0].get("role") != "system" or not messages[0].get("content"):
        # The system prompt carries the behavioural contract (I6); an example without it
        # teaches the model to behave without the guardrail.
        raise ContractError(
            f"row {row.get('id', '?')!r}: the rendered prompt has no system message"
        )
    example: dict[str, Any] = {
        "prompt": [{"role": m["role"], "content": m["content"]} for m in messages],
        "completion": [{"role": "assistant", "content": completion}],
    }
    if chat_template_kwargs:
        example["chat_template_kwargs"] = dict(chat_template_kwargs)
    return example


def preference_example(
    row: dict[str, Any], *, style: str, chat_template_kwargs: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One preference row -> {"prompt", "chosen", "rejected"} in conversational form."""
    from josi.prompting import build_messages

    try:
        chosen, rejected = row["chosen"], row["rejected"]
    except KeyError as exc:
        raise ContractError(f"preference row {row.get('id', '?')!r} lacks {exc.args[0]!r}") from exc
    mode = "coach" if row.get("interpreter_output") is not None else row.get("mode", "coach")
    messages = build_messages(
        mode,
        row["context"],
        row["user"],
        history=row.get("history") or None,
        interpreter_output=row.get("interpreter_output"),
        style=style,
    )
    if not messages or messages[0].get("role") != "system":
        raise ContractError(
            f"preference row {row.get('id', '?')!r}: the rendered prompt has no system message"
        )
    example: dict[str, Any] = {
        "prompt": [{"role": m["role"], "content": m["content"]} for m in messages],
        "chosen": [{"role": "assistant", "content": chosen}],
        "rejected": [{"role": "assistant", "content": rejected}],
    }
    if chat_template_kwargs:
        example["chat_template_kwargs"] = dict(chat_template_kwargs)
    return example


def mix_rows(
    rows: list[dict[str, Any]], interpreter_share: float, seed: int
) -> list[dict[str, Any]]:
    """Subsample one mode so interpreter rows make up ``interpreter_share`` of the result.

    Interpreter rows are short, and a small model is judged first on the request it
    writes, so a CPU step budget buys more of what matters with interpreter-heavy
    batches. The kept rows of the subsampled mode are spread over its categories.
    ``interpreter_share`` of 0 keeps the dataset's own proportions.
    """
    if interpreter_share == 0.0:
        return rows
    if not 0.0 < interpreter_share < 1.0:
        raise ConfigError(
            "sft.interpreter_share must be in (0, 1) or 0 for the natural mix, "
            f"got {interpreter_share}"
        )
    interp = [row for row in rows if row.get("mode") == "interpreter"]
    coach = [row for row in rows if row.get("mode") == "coach"]
    if not interp or not coach:
        return rows
    want_coach = round(len(interp) * (1.0 - interpreter_share) / interpreter_share)
    if want_coach <= len(coach):
        return interp + _spread(coach, want_coach, seed)
    want_interp = round(len(coach) * interpreter_share / (1.0 - interpreter_share))
    return _spread(interp, want_interp, seed) + coach


def _spread(rows: list[dict[str, Any]], limit: int, seed: int) -> list[dict[str, Any]]:
    """``limit`` rows, taken round-robin over categories in a seeded order (original order kept)."""
    keys = [str(row.get("category", "")) for row in rows]
    return [rows[index] for index in _round_robin(keys, limit, seed)]


def _round_robin(keys: list[str], limit: int, seed: int) -> list[int]:
    """``limit`` indices taken one per key in turn (each key's indices in a seeded order),
    so every key gets an equal share until it runs out; returned in their original order."""
    by_key: dict[str, list[int]] = {}
    for index, key in enumerate(keys):
        by_key.setdefault(key, []).append(index)
    rng = random.Random(seed)
    queues = []
    for key in sorted(by_key):
        indices = list(by_key[key])
        rng.shuffle(indices)
        queues.append(indices)
    picked: list[int] = []
    while len(picked) < limit and any(queues):
        for queue in queues:
            if queue and len(picked) < limit:
                picked.append(queue.pop())
    return sorted(picked)


def stratum(row: dict[str, Any]) -> str:
    """What a balanced step budget spreads a row's mode over: the language and what the row
    teaches (the interpreter's action, the coach's reply category)."""
    mode = str(row.get("mode", ""))
    expected = row.get("expected")
    if mode == "interpreter" and isinstance(expected, dict) and expected.get("action"):
        label = str(expected["action"])
    else:
        label = str(row.get("category", ""))
    return f"{mode}:{row.get('lang', '')}:{label}"


def balanced_budget(
    rows: list[dict[str, Any]], reach: int, seed: int, balanced_modes: tuple[str, ...]
) -> list[int]:
    """Indices of the ``reach`` rows a step budget trains on, balanced in ``balanced_modes``.

    A CPU step budget reaches a fifth of the training split, and a random fifth inherits the
    split's skew: a third of the interpreter rows ask for a workout, two thirds of the coach
    rows are English. Here each mode keeps its share of the budget (the mode mix is
    ``interpreter_share``'s knob). In a balanced mode the rows are taken round-robin over its
    strata (language x action, language x reply category), so a rare action or the Dutch
    replies get as many rows as the common ones until they run out; any other mode gets a
    seeded random draw, as if the budget had stopped in a shuffled split. Returned in the
    original order; every row is kept when the budget reaches them all.
    """
    if reach >= len(rows):
        return list(range(len(rows)))
    by_mode: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        by_mode.setdefault(str(row.get("mode", "")), []).append(index)
    modes = sorted(by_mode)
    # Largest remainder, so the quotas add up to the reach exactly.
    exact = {mode: reach * len(by_mode[mode]) / len(rows) for mode in modes}
    quota = {mode: int(exact[mode]) for mode in modes}
    by_remainder = sorted(modes, key=lambda mode: (quota[mode] - exact[mode], mode))
    for mode in by_remainder[: reach - sum(quota.values())]:
        quota[mode] += 1
    picked: list[int] = []
    for mode in modes:
        members = by_mode[mode]
        if mode in balanced_modes:
            keys = [stratum(rows[index]) for index in members]
        else:
            keys = [mode] * len(members)
        picked.extend(members[i] for i in _round_robin(keys, quota[mode], seed))
    return sorted(picked)


def bucket_order(
    lengths: list[int], groups: list[str], batch_size: int, seed: int, bucket_tokens: int = 16
) -> list[int]:
    """A training order whose batches have little padding but no long runs of one label.

    Rows are grouped by ``groups`` (the trainer passes each row's system prompt, so a batch
    holds one mode) and by length rounded to ``bucket_tokens`` (ties broken at random, so
    each batch mixes the actions of similar-length rows), cut into batches, and the batches
    are shuffled. A plain length-sorted order would walk from clarify requests to short
    create_workout requests in long runs, which a short step budget learns as a drifting
    prior instead of the distinction.
    """
    if len(lengths) != len(groups):
        raise ValueError("lengths and groups must have the same size")
    rng = random.Random(seed)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    order.sort(key=lambda i: (groups[i], lengths[i] // bucket_tokens))
    batches = [order[start : start + batch_size] for start in range(0, len(order), batch_size)]
    rng.shuffle(batches)
    return [index for batch in batches for index in batch]


def subsample(rows: list[dict[str, Any]], limit: int, seed: int) -> list[dict[str, Any]]:
    """A fixed, mode-balanced subset, so validation cost does not grow with the dataset."""
    if limit <= 0 or len(rows) <= limit:
        return rows
    by_mode: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_mode.setdefault(str(row.get("mode", "")), []).append(row)
    rng = random.Random(seed)
    share = max(1, limit // len(by_mode))
    picked: list[dict[str, Any]] = []
    for key in sorted(by_mode):
        group = list(by_mode[key])
        rng.shuffle(group)
        picked.extend(group[:share])
    return picked[:limit]
