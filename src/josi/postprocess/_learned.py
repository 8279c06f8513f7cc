"""A learned reading of plan changes: logistic regression over the message's words and letters.

The coach-intent lexicon (``coach_intents.toml``) reads the requests it has rules for and
almost nothing else: on messages written apart from it, its recall stays near half, because
athletes ask for more in more ways than rules can list. This model reads a message as a bag of
words, word pairs and letter groups (typos and Dutch compounds share letter groups with the
words they spell), so it carries what the labelled messages teach to phrasings no rule names.
It backs the lexicon in the coach step only (``josi.postprocess.detect_coach_intent``): there a
false reading costs the fixed I6 reply in place of the model's, where in the post-processor it
would turn an engine request into a refusal.

The weights are data (``plan_change_model.json``), fitted by ``josi intents fit`` from the
labelled messages under ``fixtures/intents/``; inference is plain Python, so the app port
reads the same file with the same features (conformance vectors: ``coach_contract_reply``).
"""

from __future__ import annotations

import itertools
import json
import math
import random
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from josi._errors import ConfigError
from josi._io import sha256_file
from josi.postprocess._rules import normalise

MODEL_FILE = "plan_change_model.json"
# The learned question reading (``josi.postprocess.reads_as_question``): the same features and
# fit, another label. It backs the request lexicon where the interpreter wrote an engine request.
QUESTION_MODEL_FILE = "question_model.json"
# What the features are; a model fitted with other features is refused, not misread.
FEATURES = "words, word pairs, letter groups of 3-5 within <word>; normalised text"
_WORD = re.compile(r"\w+")
_GRAMS = (3, 4, 5)


def features(text: str) -> frozenset[str]:
    """The message's features: ``w:`` words, ``b:`` word pairs, ``c:`` letter groups of the
    words with ``<`` and ``>`` marking their ends, all of the normalised text."""
    words = _WORD.findall(normalise(text))
    out = {f"w:{w}" for w in words}
    out.update(f"b:{a} {b}" for a, b in itertools.pairwise(words))
    for word in words:
        marked = f"<{word}>"
        for n in _GRAMS:
            out.update(f"c:{marked[i : i + n]}" for i in range(len(marked) - n + 1))
    return frozenset(out)


def _sigmoid(z: float) -> float:
    # exp(700) is near the float limit; below that the probability is 0 to double precision.
    return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0


@dataclass(frozen=True)
class PlanChangeModel:
    bias: float
    weights: Mapping[str, float]
    threshold: float  # the probability from which a message reads as a plan change

    def probability(self, text: str) -> float:
        if not isinstance(text, str) or not text.strip():
            return 0.0
        return _sigmoid(self.bias + sum(self.weights.get(f, 0.0) for f in features(text)))


def model_from_json(data: Mapping[str, Any], where: str) -> PlanChangeModel:
    if data.get("features") != FEATURES:
        raise ConfigError(f"{where}: fitted with other features ({data.get('features')!r})")
    try:
        weights = {str(k): float(v) for k, v in data["weights"].items()}
        model = PlanChangeModel(float(data["bias"]), weights, float(data["threshold"]))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(f"{where}: needs bias, threshold and weights ({exc})") from exc
    if not 0.0 < model.threshold < 1.0:
        raise ConfigError(f"{where}: threshold must lie between 0 and 1")
    return model


@cache
def plan_change_model() -> PlanChangeModel:
    return _packaged_model(MODEL_FILE)


@cache
def question_model() -> PlanChangeModel:
    """The learned question reading: P(the message asks the coach something rather than asks
    the engine for a session or a change), read from its threshold as the other model is."""
    return _packaged_model(QUESTION_MODEL_FILE)


def _packaged_model(name: str) -> PlanChangeModel:
    text = resources.files("josi.postprocess").joinpath(name).read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{name}: not JSON ({exc})") from exc
    return model_from_json(data, name)


# ---------------------------------------------------------------- fitting


@dataclass(frozen=True)
class Labelled:
    text: str
    plan_change: bool
    weight: float = 1.0  # templated dataset messages count less than written ones


def read_labelled(path: Path) -> list[Labelled]:
    """Rows of ``{"text", "plan_change", "weight"?}``; a malformed row is a ConfigError."""

    def label(row: Mapping[str, Any]) -> object:
        found = row.get("plan_change")
        return found if isinstance(found, bool) else _MALFORMED

    return _read_rows(path, label, "a boolean plan_change", "plan changes and other messages")


# What a row's label reader returns for a row without a label it can read.
_MALFORMED = object()


def _read_rows(
    path: Path, label_of: Callable[[Mapping[str, Any]], object], needs: str, both: str
) -> list[Labelled]:
    """The rows of ``path`` that ``label_of`` labels True or False (None: left out), with
    their weight; a malformed row, or a file without both labels, is a ConfigError."""
    from josi._io import read_jsonl

    rows = []
    for i, row in enumerate(read_jsonl(path), start=1):
        if not isinstance(row, Mapping):
            raise ConfigError(f"{path}:{i}: not a JSON object")
        text, label, weight = row.get("text"), label_of(row), row.get("weight", 1.0)
        if not isinstance(text, str) or not text.strip() or label is _MALFORMED:
            raise ConfigError(f"{path}:{i}: needs a text and {needs}")
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight <= 0:
            raise ConfigError(f"{path}:{i}: weight must be a positive number")
        if isinstance(label, bool):
            rows.append(Labelled(text, label, float(weight)))
    if not any(r.plan_change for r in rows) or all(r.plan_change for r in rows):
        raise ConfigError(f"{path}: needs {both}")
    return rows


# The fitting recipe: the first one tried, not tuned. Only the dataset messages' weight (0.2,
# in the training file) was compared, with 0, on the validation messages; no knob was chosen on
# a gate case.
EPOCHS = 30  # passes over the rows
LEARNING_RATE = 0.2  # of the first pass, then times DECAY each pass
DECAY = 0.9
L2 = 1e-4  # weight decay on the features a row touches
SEED = 0  # the order of the rows in each pass
# Features whose weight ends this small are dropped from the file: they move no reading.
PRUNE = 1e-4


def fit(rows: Sequence[Labelled]) -> tuple[float, dict[str, float]]:
    """Bias and weights of a logistic regression fitted by weighted SGD, deterministically."""
    vocab: dict[str, int] = {}
    encoded = []
    for row in rows:
        ids = [vocab.setdefault(f, len(vocab)) for f in sorted(features(row.text))]
        encoded.append((ids, 1.0 if row.plan_change else 0.0, row.weight))
    w = [0.0] * len(vocab)
    bias, rate = 0.0, LEARNING_RATE
    order = list(range(len(encoded)))
    shuffle = random.Random(SEED).shuffle
    for _ in range(EPOCHS):
        shuffle(order)
        for i in order:
            ids, y, weight = encoded[i]
            g = (_sigmoid(bias + sum(w[j] for j in ids)) - y) * weight
            for j in ids:
                w[j] -= rate * (g + L2 * w[j])
            bias -= rate * g
        rate *= DECAY
    names = sorted(vocab, key=vocab.__getitem__)
    weights = {n: round(w[vocab[n]], 6) for n in names if abs(w[vocab[n]]) >= PRUNE}
    return round(bias, 6), dict(sorted(weights.items()))


# The validation messages choose the threshold: the lowest of these at which the learned reading
# adds at most MAX_ADDED_FALSE_SHARE of the other messages to those the lexicon already reads as
# plan changes. A false reading answers an ordinary message with a refusal.
THRESHOLDS = tuple(round(0.5 + 0.05 * i, 2) for i in range(10))
MAX_ADDED_FALSE_SHARE = 0.01


def choose_threshold(
    validation: Sequence[Labelled],
    lexicon_reads: Callable[[str], bool],
    learned_reads: Callable[[str, float], bool],
) -> tuple[float, dict[str, float]]:
    """The threshold and the coach step's validation figures at it (lexicon, then model)."""
    pos = [r for r in validation if r.plan_change]
    neg = [r for r in validation if not r.plan_change]
    by_lexicon = {r.text: lexicon_reads(r.text) for r in validation}
    for threshold in THRESHOLDS:
        added = sum(not by_lexicon[r.text] and learned_reads(r.text, threshold) for r in neg)
        if added / len(neg) <= MAX_ADDED_FALSE_SHARE:
            hits = [by_lexicon[r.text] or learned_reads(r.text, threshold) for r in pos]
            false = sum(by_lexicon[r.text] for r in neg) + added
            return threshold, {
                "recall": round(sum(hits) / len(pos), 4),
                "recall_lexicon_alone": round(sum(by_lexicon[r.text] for r in pos) / len(pos), 4),
                "false_share": round(false / len(neg), 4),
            }
    raise ConfigError(
        f"no threshold in {THRESHOLDS} adds at most {MAX_ADDED_FALSE_SHARE} false readings"
    )


def model_json(
    bias: float,
    weights: Mapping[str, float],
    threshold: float,
    trained_on: Iterable[Path],
    validation: Mapping[str, float],
) -> dict[str, Any]:
    return {
        "features": FEATURES,
        "trained_on": {p.name: sha256_file(p) for p in trained_on},
        "validation": dict(validation),
        "threshold": threshold,
        "bias": bias,
        "weights": dict(weights),
    }


def fitted_model_text(train: Path, validation: Path) -> str:
    """The model file fitted from ``train`` with its threshold chosen on ``validation``."""
    from josi.postprocess._intents import learned_reads

    rows = read_labelled(train)
    held = read_labelled(validation)
    bias, weights = fit(rows)
    candidate = PlanChangeModel(bias, weights, THRESHOLDS[0])

    def by_model(text: str, threshold: float) -> bool:
        return learned_reads(text, threshold, probability=candidate.probability)

    threshold, figures = choose_threshold(held, _lexicon_reads, by_model)
    data = model_json(bias, weights, threshold, (train, validation), figures)
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def _lexicon_reads(text: str) -> bool:
    from josi.postprocess._intents import detect_coach_intent

    hit = detect_coach_intent(text)
    return hit is not None and hit.intent == "plan_change"


# ---------------------------------------------------------------- the question reading

# What the question reading learns, from the labelled messages' ``source`` (its last part):
# True for a question the coach answers (about the athlete's plan or in general), False for
# what the engine serves (a session, a replan). Clarify requests and the coach's plan-change
# kinds are neither and are left out. Rows keep their weight (templated dataset rows 0.2).
QUESTION_LABELS: dict[str, bool] = {
    **dict.fromkeys(
        (
            "explain",
            "answer_question",
            "question_about_plan",
            "general_question",
            "zone_question",
            "phase_question",
            "explain_readiness",
            "explain_session",
            "explain_easy",
            "grounded_explain",
            "followup_why_not_harder",
            "followup_feel",
        ),
        True,
    ),
    **dict.fromkeys(
        (
            "create_workout",
            "create_hedged",
            "replan",
            "multi_turn_replan",
            "skip",
            "move",
            "easier",
            "swap_days",
            "ill_injured_travel",
        ),
        False,
    ),
}
# The written requests of a validation file (``source`` ``written:<lang>:<action>``) that choose
# the threshold: the questions it should read; the engine requests it acts on are those of
# josi.postprocess.engine_actions (a new workout, a replan).
QUESTION_ACTIONS = ("explain", "answer_question")


def read_question_rows(path: Path) -> list[Labelled]:
    """The rows of a labelled-messages file whose label the question reading learns."""

    def label(row: Mapping[str, Any]) -> object:
        source = row.get("source")
        if not isinstance(source, str):
            return _MALFORMED
        return QUESTION_LABELS.get(source.rsplit(":", 1)[-1])

    return _read_rows(path, label, "a source", "questions and requests for the engine")


def read_question_validation(path: Path) -> list[Labelled]:
    """The questions (True) and engine requests (False) of a written-requests file."""
    from josi.postprocess._post import engine_actions

    engine = engine_actions()

    def label(row: Mapping[str, Any]) -> object:
        source = row.get("source")
        if not isinstance(source, str):
            return _MALFORMED
        action = source.rsplit(":", 1)[-1]
        if action in QUESTION_ACTIONS:
            return True
        return False if action in engine else None

    return _read_rows(path, label, "a source", "questions and engine requests")


def choose_question_threshold(
    validation: Sequence[Labelled],
    consulted: Callable[[str], bool],
    reads: Callable[[str, float], bool],
) -> tuple[float, dict[str, float]]:
    """The lowest threshold at which the reading turns at most MAX_ADDED_FALSE_SHARE of the
    engine requests into questions, counting those the post-processor asks it about
    (``consulted``), and its recall there over the questions it is asked about."""
    questions = [r for r in validation if r.plan_change and consulted(r.text)]
    requests = [r for r in validation if not r.plan_change]
    for threshold in THRESHOLDS:
        false = sum(consulted(r.text) and reads(r.text, threshold) for r in requests)
        if false / len(requests) <= MAX_ADDED_FALSE_SHARE:
            hits = sum(reads(r.text, threshold) for r in questions)
            return threshold, {
                "recall": round(hits / len(questions), 4) if questions else 0.0,
                "questions_consulted": len(questions),
                "false_share": round(false / len(requests), 4),
                "engine_requests": len(requests),
            }
    raise ConfigError(
        f"no threshold in {THRESHOLDS} reads at most {MAX_ADDED_FALSE_SHARE} of the engine "
        "requests as questions"
    )


def fitted_question_model_text(train: Path, validation: Path) -> str:
    """The question model file fitted from ``train`` with its threshold chosen on
    ``validation``."""
    from josi.postprocess._intents import question_reading_consulted

    bias, weights = fit(read_question_rows(train))
    candidate = PlanChangeModel(bias, weights, THRESHOLDS[0])

    def reads(text: str, threshold: float) -> bool:
        return candidate.probability(text) >= threshold

    threshold, figures = choose_question_threshold(
        read_question_validation(validation), question_reading_consulted, reads
    )
    data = model_json(bias, weights, threshold, (train, validation), figures)
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"
