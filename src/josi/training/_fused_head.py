"""trl's fused LM head, made to project only the positions that carry a label on every device.

trl's SFT and DPO trainers replace the logits with a chunked head that returns the next-token
log-probability of each position. Where Triton runs (CUDA) it projects only the positions whose
label is not ``-100``; elsewhere it projects every position, prompt and padding included, so
that a changing position count cannot recompile a compiled graph (trl names Neuron). On the CPU
nothing is compiled, and the head projects each position through the 49k-vocabulary matrix in
float32 and recomputes it in the backward: on nano's rows, where the prompt is about 70% of the
tokens, that was half of each training step (``benchmarks/results/nano-fused-head-speed.json``).
Unlabelled positions add zero to the loss and to every gradient either way, so projecting only
the labelled ones computes the same loss; the float32 sums run in another order, so the weights
after a few hundred steps are another draw of the same recipe, not the same bytes
(``sft.lm_head_labelled_only``; profiles/README.md).
"""

from __future__ import annotations

from typing import Any

from josi._lazy import require

# trl 1.16 reads this module attribute at each forward to choose which positions to project.
_DECIDER = "_use_triton"
_MARK = "josi_projects_labelled_positions_only"


def project_labelled_positions_only(enabled: bool = True) -> None:
    """Make trl's fused head project only labelled positions on the CPU too, or (``enabled``
    false) give the choice back to trl. Idempotent; it holds for the whole process, so every
    trainer builder sets it from its profile."""
    utils = _trl_utils()
    decide = getattr(utils, _DECIDER)
    patched = getattr(decide, _MARK, False)
    if not enabled:
        if patched:
            setattr(utils, _DECIDER, decide.__wrapped__)
        return
    if patched:
        return

    def labelled_only(device: Any) -> bool:
        return device.type == "cpu" or decide(device)

    setattr(labelled_only, _MARK, True)
    labelled_only.__wrapped__ = decide  # type: ignore[attr-defined]
    setattr(utils, _DECIDER, labelled_only)


def projects_every_position(device_type: str = "cpu") -> bool:
    """Whether trl's fused head, as patched now, projects every position on ``device_type``."""
    torch = require("torch")
    return not getattr(_trl_utils(), _DECIDER)(torch.device(device_type))


def _trl_utils() -> Any:
    require("trl")
    from trl.trainer import utils

    if not callable(getattr(utils, _DECIDER, None)):
        raise RuntimeError(
            f"trl.trainer.utils.{_DECIDER} is gone: this trl no longer decides the fused head's "
            "positions there; check josi.training._fused_head against trl's add_fused_lm_head"
        )
    return utils
