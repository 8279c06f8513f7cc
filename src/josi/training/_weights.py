"""Per-token loss weights that put the interpreter's decisions ahead of its copying.

An interpreter target is mostly the JSON frame and the ``free_text`` value, a verbatim copy
of the athlete's message. After a few dozen steps those tokens cost almost nothing, while
the tokens that decide the request (the action, which optional fields appear, their values,
the confidence) stay at 1-3 nats. In a joint run they share the gradient with coach replies,
whose every token is uncertain, so the one action token of an interpreter row gets a tiny
share of each update. ``sft.decision_weight`` multiplies the loss of every interpreter
target token outside the copied ``free_text`` value; coach tokens and the copy keep weight 1.
The mean is still taken over the unweighted token count, so coach gradients keep their size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from josi._lazy import require

_REQUEST_START = '{"action"'
_FREE_TEXT_KEY = '"free_text":"'


def _string_end(text: str, start: int) -> int:
    """Index of the closing quote of the JSON string whose body starts at ``start``."""
    index = start
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == '"':
            return index
        index += 1
    return len(text)


def is_request(target: str) -> bool:
    return target.lstrip().startswith(_REQUEST_START)


def decision_token_mask(prefix_texts: Sequence[str]) -> list[bool]:
    """Which target tokens decide the request.

    ``prefix_texts[k]`` is the decoded target up to and including token ``k``, so token ``k``
    covers the characters ``len(prefix_texts[k-1]) .. len(prefix_texts[k])``. A token is a
    decision token when the target is a request and the token lies outside the body of the
    ``free_text`` string. A token that closes the copy (such as ``?"``) decides where the copy
    ends and counts as a decision token. Targets that are not requests (coach replies) have
    none.
    """
    if not prefix_texts:
        return []
    text = prefix_texts[-1]
    if not is_request(text):
        return [False] * len(prefix_texts)
    key = text.find(_FREE_TEXT_KEY)
    copy_start = key + len(_FREE_TEXT_KEY) if key >= 0 else len(text)
    copy_end = _string_end(text, copy_start) if key >= 0 else len(text)
    mask: list[bool] = []
    previous = 0
    for prefix in prefix_texts:
        start, end = previous, len(prefix)
        inside_copy = start >= copy_start and end <= copy_end
        mask.append(not inside_copy)
        previous = end
    return mask


def target_prefix_texts(token_ids: Sequence[int], decode: Callable[[list[int]], str]) -> list[str]:
    """Decoded prefixes of a target, one per token (exact at character boundaries)."""
    ids = list(token_ids)
    return [decode(ids[: k + 1]) for k in range(len(ids))]


def decision_weights(labels: Any, tokenizer: Any, weight: float) -> Any:
    """Weights shaped like trl's next-token log-probabilities: ``labels[:, 1:]``.

    Each row's target is the run of labels that are not ``-100``; its decision tokens
    get ``weight``, every other position 1.
    """
    torch = require("torch")
    shifted = labels[:, 1:]
    weights = torch.ones(shifted.shape, dtype=torch.float32, device=labels.device)
    if weight == 1.0:
        return weights

    def decode(ids: list[int]) -> str:
        return tokenizer.decode(ids, skip_special_tokens=False)

    for row in range(shifted.shape[0]):
        positions = (shifted[row] != -100).nonzero(as_tuple=True)[0]
        if positions.numel() == 0:
            continue
        ids = shifted[row, positions].tolist()
        if not is_request(decode(ids)):
            continue
        mask = decision_token_mask(target_prefix_texts(ids, decode))
        chosen = positions[torch.tensor(mask, dtype=torch.bool, device=positions.device)]
        weights[row, chosen] = weight
    return weights
