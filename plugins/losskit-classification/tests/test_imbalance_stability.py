"""Finite values and gradients of the imbalance losses at saturated logits (+-1e4), in every float dtype."""

from __future__ import annotations

import pytest
import torch

from losskit import Example, get_loss
from losskit_classification.imbalance import SPECS

# Parameters where a naive formula breaks at saturation (gamma < 1 powers, margins, small q, high T).
VARIANTS = {
    "class_balanced": [{"base": "softmax"}, {"base": "sigmoid"}, {"base": "focal", "gamma": 0.5}],
    "asymmetric": [{}, {"gamma_pos": 0.5, "gamma_neg": 0.5, "clip": 0.0}, {"gamma_pos": 2.0, "clip": 0.2}],
    "generalized_ce": [{"q": 0.7}, {"q": 1e-4}],
    "distillation": [{"temperature": 0.5}, {"temperature": 20.0, "alpha": 0.5}],
}
CASES = [(spec, params) for spec in SPECS for params in VARIANTS.get(spec.name, [{}])]


def _saturated(example: Example, dtype: torch.dtype) -> Example:
    """Logits (and teacher logits) of +-1e4: some samples confidently right, some confidently wrong."""
    sign = torch.where(torch.arange(example.input.numel()).reshape(example.input.shape) % 3 == 0, 1.0, -1.0)
    context = dict(example.context)
    if "teacher_logits" in context:
        context["teacher_logits"] = (-1e4 * sign).flip(0).to(dtype)
    return Example((1e4 * sign).to(dtype), example.target, context)


@pytest.mark.parametrize("spec, params", CASES, ids=[f"{s.name}-{p}" for s, p in CASES])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
@pytest.mark.parametrize("reduction", ["sum", "none"])
def test_finite_at_extreme_logits(spec, params, dtype, reduction):
    example = spec.example(torch.Generator().manual_seed(0), dtype=torch.float64, device="cpu", batch_size=6)
    example = _saturated(example, dtype)
    input = example.input.clone().requires_grad_()
    loss = spec.factory(**spec.example_params, **params, reduction=reduction)
    value = loss(input, example.target, **example.context)
    assert value.dtype == dtype
    assert torch.isfinite(value).all()
    value.sum().backward()
    assert torch.isfinite(input.grad).all()


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_bfloat16_close_to_float32(spec):
    example = spec.example(torch.Generator().manual_seed(0), dtype=torch.float32, device="cpu", batch_size=8)
    low = {k: v.bfloat16() for k, v in example.context.items()}
    loss = spec.factory(**spec.example_params)
    reference = loss(example.input.bfloat16().float(), example.target.bfloat16().float()
                     if example.target.is_floating_point() else example.target,
                     **{k: v.float() for k, v in low.items()})
    target = example.target.bfloat16() if example.target.is_floating_point() else example.target
    value = loss(example.input.bfloat16(), target, **low)
    assert value.dtype == torch.bfloat16
    torch.testing.assert_close(value.float(), reference, rtol=1e-2, atol=1e-2)


def test_distillation_teacher_with_masked_classes():
    """A teacher logit of -inf (a masked class) has probability 0 and adds 0 to the KL (0 log 0 = 0)."""
    g = torch.Generator().manual_seed(0)
    student = torch.randn(3, 4, generator=g, requires_grad=True)
    teacher = torch.randn(3, 4, generator=g)
    target = torch.tensor([0, 1, 2])
    masked = teacher.clone()
    masked[:, 3] = float("-inf")
    loss = get_loss("distillation", temperature=2.0, alpha=1.0, reduction="none")
    value = loss(student, target, teacher_logits=masked)
    value.sum().backward()
    # the same as a teacher whose class-3 logit is so low that its probability underflows to 0
    torch.testing.assert_close(value, loss(student, target, teacher_logits=teacher.index_fill(1, torch.tensor([3]), -1e4)))
    assert torch.isfinite(student.grad).all()
