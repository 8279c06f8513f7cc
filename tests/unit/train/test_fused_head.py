"""trl's fused LM head projects only the labelled positions on the CPU, and trains the same."""

from __future__ import annotations

from typing import Any

import pytest

from josi.training._fused_head import (
    _DECIDER,
    project_labelled_positions_only,
    projects_every_position,
)

pytestmark = pytest.mark.train


@pytest.fixture
def trl_utils(monkeypatch: pytest.MonkeyPatch) -> Any:
    """trl's utils module, restored to its own head choice after the test."""
    pytest.importorskip("trl")
    from trl.trainer import utils

    decide = getattr(utils, _DECIDER)
    monkeypatch.setattr(utils, _DECIDER, getattr(decide, "__wrapped__", decide))
    return utils


def _tiny_model(torch: Any, trl_utils: Any) -> Any:
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=96,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        tie_word_embeddings=True,
    )
    model = LlamaForCausalLM(config)
    trl_utils.add_fused_lm_head(model, outputs=("log_probs", "entropy", "is_top1"))
    return model


def _batch(torch: Any) -> dict[str, Any]:
    """Two rows, right-padded; labels only on each row's completion, as trl's collator writes."""
    generator = torch.Generator().manual_seed(1)
    input_ids = torch.randint(3, 96, (2, 12), generator=generator)
    attention_mask = torch.ones_like(input_ids)
    attention_mask[1, 9:] = 0
    labels = torch.full_like(input_ids, -100)
    labels[0, 7:] = input_ids[0, 7:]
    labels[1, 5:9] = input_ids[1, 5:9]
    return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}


def _loss_and_grads(torch: Any, model: Any, batch: dict[str, Any]) -> tuple[Any, dict, Any]:
    model.zero_grad()
    outputs = model(**batch, fused_lm_head=True)
    # trl's per-token SFT loss, with a weight per position as the decision weight applies it.
    weights = torch.linspace(1.0, 3.0, outputs.log_probs.numel()).view_as(outputs.log_probs)
    loss = -(outputs.log_probs * weights).sum() / outputs.label_mask.sum()
    loss.backward()
    grads = {name: p.grad.detach().clone() for name, p in model.named_parameters()}
    return loss.detach(), grads, outputs


def test_the_patch_is_idempotent_reversible_and_leaves_other_devices_to_trl(trl_utils: Any) -> None:
    torch = pytest.importorskip("torch")
    assert projects_every_position("cpu"), "trl 1.16 projects every position on the CPU"
    decide = getattr(trl_utils, _DECIDER)
    project_labelled_positions_only()
    project_labelled_positions_only()
    patched = getattr(trl_utils, _DECIDER)
    assert patched.__wrapped__ is decide
    assert not projects_every_position("cpu")
    project_labelled_positions_only(False)
    assert getattr(trl_utils, _DECIDER) is decide
    project_labelled_positions_only(False)
    assert getattr(trl_utils, _DECIDER) is decide
    project_labelled_positions_only()
    # Devices other than the CPU keep trl's own choice.
    assert projects_every_position("meta") is not decide(torch.device("meta"))


def test_only_labelled_positions_reach_the_head_with_the_same_loss_and_gradients(
    trl_utils: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    torch = pytest.importorskip("torch")
    model = _tiny_model(torch, trl_utils)
    batch = _batch(torch)
    labelled = int((batch["labels"][:, 1:] != -100).sum())
    seen: list[int] = []
    apply = trl_utils._ChunkedLogProbFunction.apply

    def counting_apply(hidden: Any, *args: Any) -> Any:
        seen.append(hidden.shape[0])
        return apply(hidden, *args)

    monkeypatch.setattr(trl_utils._ChunkedLogProbFunction, "apply", counting_apply)

    every_loss, every_grads, every_out = _loss_and_grads(torch, model, batch)
    project_labelled_positions_only()
    only_loss, only_grads, only_out = _loss_and_grads(torch, model, batch)

    assert seen == [2 * 11, labelled]
    assert torch.allclose(only_loss, every_loss, rtol=1e-6, atol=0)
    assert torch.equal(only_out.label_mask, every_out.label_mask)
    for field in ("log_probs", "entropy", "is_top1"):
        assert torch.allclose(
            getattr(only_out, field).float(), getattr(every_out, field).float(), atol=1e-6
        ), field
    assert every_grads.keys() == only_grads.keys()
    for name, grad in every_grads.items():
        assert torch.allclose(only_grads[name], grad, rtol=1e-5, atol=1e-7), name
    assert any(grad.abs().sum() > 0 for grad in only_grads.values())
