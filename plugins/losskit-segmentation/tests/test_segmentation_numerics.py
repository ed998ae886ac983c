"""Finite values and gradients at saturated logits, in every dtype; empty and all-ignored batches."""

from __future__ import annotations

import pytest
import torch

from losskit import get_loss

IGNORE = 255
DTYPES = [torch.float32, torch.float64, torch.bfloat16]
CASES = [
    *[(name, mode) for name in ("dice", "generalized_dice", "jaccard", "tversky", "focal_tversky")
      for mode in ("multiclass", "binary", "multilabel")],
    ("lovasz_softmax", "multiclass"),
    ("lovasz_hinge", "binary"),
    ("lovasz_hinge", "multilabel"),
]


def inputs(mode: str, n: int = 3, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    c = 1 if mode == "binary" else 3
    logits = torch.randn(n, c, 4, 5, generator=g, dtype=torch.float64)
    if mode == "multiclass":
        return logits, torch.randint(0, c, (n, 4, 5), generator=g)
    return logits, torch.randint(0, 2, (n, c, 4, 5), generator=g)


def build(name: str, mode: str, **params):
    return get_loss(name, **params) if name == "lovasz_softmax" else get_loss(name, mode=mode, **params)


def value_and_grad(loss, logits, target):
    x = logits.detach().clone().requires_grad_(True)
    out = loss(x, target)
    out.sum().backward()
    return out, x.grad


@pytest.mark.parametrize("per_image", [True, False])
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize(("name", "mode"), CASES)
def test_finite_at_extreme_logits(name, mode, dtype, per_image):
    logits, target = inputs(mode)
    for scale in (1e4, -1e4):
        for reduction in ("none", "mean"):
            out, grad = value_and_grad(build(name, mode, per_image=per_image, reduction=reduction),
                                       (logits * scale).to(dtype), target)
            assert out.dtype == dtype
            assert torch.isfinite(out).all() and torch.isfinite(grad).all()


@pytest.mark.parametrize(("name", "mode"), CASES)
def test_perfect_saturated_prediction_gives_0_and_zero_gradient(name, mode):
    _, target = inputs(mode)
    if mode == "multiclass":
        logits = 1e4 * (2 * torch.nn.functional.one_hot(target, 3).permute(0, 3, 1, 2).double() - 1)
    else:
        logits = 1e4 * (2 * target.double() - 1)
    out, grad = value_and_grad(build(name, mode), logits, target)
    assert out.item() == 0
    assert torch.isfinite(grad).all() and grad.abs().max() < 1e-3


@pytest.mark.parametrize(("name", "mode"), CASES)
def test_bfloat16_close_to_float64(name, mode):
    logits, target = inputs(mode)
    exact = build(name, mode)(logits, target)
    torch.testing.assert_close(build(name, mode)(logits.bfloat16(), target).double(), exact, rtol=2e-2, atol=2e-2)


@pytest.mark.parametrize("per_image", [True, False])
@pytest.mark.parametrize(("name", "mode"), CASES)
def test_empty_batch(name, mode, per_image):
    logits, target = inputs(mode, n=0)
    none = build(name, mode, per_image=per_image, reduction="none")(logits, target)
    if per_image:
        assert none.numel() == 0
    else:  # the per-class batch losses of nothing: 0 for each class
        assert none.shape == ((1 if mode == "binary" else 3,) if name != "generalized_dice" else ())
        assert (none == 0).all()
    for reduction in ("sum", "mean"):
        out, grad = value_and_grad(build(name, mode, per_image=per_image, reduction=reduction), logits, target)
        assert out.item() == 0 and grad.shape == logits.shape


@pytest.mark.parametrize("per_image", [True, False])
@pytest.mark.parametrize(("name", "mode"), CASES)
def test_all_ignored_gives_0_and_zero_gradient(name, mode, per_image):
    logits, target = inputs(mode)
    target = torch.full_like(target, IGNORE)
    for smooth in ({"smooth": 0.0}, {}):
        params = smooth if name not in ("lovasz_softmax", "lovasz_hinge") else {}
        out, grad = value_and_grad(build(name, mode, per_image=per_image, ignore_index=IGNORE, **params),
                                   logits, target)
        assert out.item() == 0
        assert (grad == 0).all()


@pytest.mark.parametrize(("name", "mode"), CASES)
def test_ignored_pixels_get_no_gradient(name, mode):
    logits, target = inputs(mode)
    target = target.clone()
    ignored = torch.zeros_like(target, dtype=torch.bool)
    ignored[..., 1, :] = True
    target[ignored] = IGNORE
    out, grad = value_and_grad(build(name, mode, ignore_index=IGNORE, per_image=False), logits, target)
    mask = ignored.unsqueeze(1).expand_as(grad) if mode == "multiclass" else ignored.expand_as(grad)
    assert (grad[mask] == 0).all() and (grad[~mask] != 0).any()


@pytest.mark.parametrize("per_image", [True, False])
@pytest.mark.parametrize(("name", "mode"), CASES)
def test_a_nan_image_is_never_scored_as_a_finite_loss(name, mode, per_image):
    # A region loss's zero-denominator convention (an empty class scores 1) must not catch a NaN denominator.
    logits, target = inputs(mode)
    logits[0] = float("nan")
    for reduction in ("none", "mean", "sum"):
        out = build(name, mode, per_image=per_image, reduction=reduction)(logits, target)
        assert not torch.isfinite(out[0] if per_image and reduction == "none" else out).all(), out


@pytest.mark.parametrize(("name", "mode"), CASES)
@pytest.mark.parametrize("dtype", [torch.int8, torch.int16, torch.int32, torch.uint8, torch.uint16], ids=str)
def test_every_integer_target_dtype_gives_the_int64_loss(name, mode, dtype):
    logits, target = inputs(mode)
    expected = build(name, mode)(logits, target)
    torch.testing.assert_close(build(name, mode)(logits, target.to(dtype)), expected, rtol=0, atol=0)
