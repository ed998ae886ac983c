"""Focal losses: identities with cross-entropy, finite values and gradients where naive formulas give nan."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from losskit import get_loss, get_spec
from losskit_classification.standard.focal import focal_loss

GAMMAS_BELOW_ONE = (0.1, 0.5, 0.9)
LOW_PRECISION = (torch.float32, torch.bfloat16)


def _saturated_logits(dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits of ±1e4: the target class is certain (p = 1 exactly in floating point) or hopeless."""
    input = torch.full((4, 3), -1e4, dtype=torch.float64)
    target = torch.tensor([0, 1, 2, 0])
    input[0, 0] = input[1, 1] = 1e4  # certain and right
    input[2, 0] = input[3, 1] = 1e4  # certain and wrong
    return input.to(dtype), target


def _naive_softmax_focal(input, target, gamma):
    """The usual blog / kornia-style formula: (1 - p)**gamma * ce with p = exp(-ce)."""
    ce = F.cross_entropy(input, target, reduction="none")
    return ((1 - torch.exp(-ce)) ** gamma * ce).mean()


def _naive_sigmoid_focal(input, target, gamma, alpha=0.25):
    """torchvision.ops.sigmoid_focal_loss, written out (torchvision is not installed)."""
    p = torch.sigmoid(input)
    ce = F.binary_cross_entropy_with_logits(input, target, reduction="none")
    p_t = p * target + (1 - p) * (1 - target)
    loss = ce * ((1 - p_t) ** gamma)
    alpha_t = alpha * target + (1 - alpha) * (1 - target)
    return (alpha_t * loss).mean()


@pytest.mark.parametrize("dtype", LOW_PRECISION, ids=str)
@pytest.mark.parametrize("gamma", GAMMAS_BELOW_ONE)
def test_softmax_focal_is_finite_where_the_naive_formula_is_nan(gamma, dtype) -> None:
    input, target = _saturated_logits(dtype)
    naive_input = input.clone().requires_grad_()
    _naive_softmax_focal(naive_input, target, gamma).backward()
    assert torch.isnan(naive_input.grad).any()

    ours_input = input.clone().requires_grad_()
    value = get_loss("focal", gamma=gamma)(ours_input, target)
    value.backward()
    assert torch.isfinite(value)
    assert torch.isfinite(ours_input.grad).all()
    # the certain-and-right rows cost nothing and get no gradient; the wrong ones cost ~2e4 each
    torch.testing.assert_close(value.float(), torch.tensor(2e4 * 2 / 4), rtol=1e-2, atol=0)
    assert ours_input.grad[:2].abs().max() == 0


@pytest.mark.parametrize("dtype", LOW_PRECISION, ids=str)
@pytest.mark.parametrize("gamma", GAMMAS_BELOW_ONE)
def test_sigmoid_focal_is_finite_where_torchvision_is_nan(gamma, dtype) -> None:
    input = torch.tensor([[1e4, -1e4], [-1e4, 1e4]], dtype=dtype)
    target = torch.tensor([[1.0, 0.0], [1.0, 0.0]], dtype=dtype)  # row 0 right, row 1 wrong
    naive_input = input.clone().requires_grad_()
    _naive_sigmoid_focal(naive_input, target, gamma).backward()
    assert torch.isnan(naive_input.grad).any()

    ours_input = input.clone().requires_grad_()
    value = get_loss("sigmoid_focal", gamma=gamma, alpha=0.25)(ours_input, target)
    value.backward()
    assert torch.isfinite(value)
    assert torch.isfinite(ours_input.grad).all()
    assert ours_input.grad[0].abs().max() == 0


@pytest.mark.parametrize("gamma", (0.5, 2.0))
def test_focal_gradients_pass_gradcheck(gamma) -> None:
    input = torch.randn(5, 4, dtype=torch.float64, requires_grad=True)
    target = torch.tensor([0, 3, 1, -100, 2])
    loss = get_loss("focal", gamma=gamma, alpha=(0.1, 0.2, 0.3, 0.4))
    assert torch.autograd.gradcheck(lambda x: loss(x, target), (input,))
    binary = torch.randint(0, 2, (5, 4)).double()
    sigmoid = get_loss("sigmoid_focal", gamma=gamma)
    assert torch.autograd.gradcheck(lambda x: sigmoid(x, binary), (input,))


@pytest.mark.parametrize("reduction", ("none", "sum", "mean"))
def test_focal_with_gamma_zero_is_cross_entropy(reduction) -> None:
    identity = get_spec("focal").identities[0]
    assert (identity.params, identity.equals) == ({"gamma": 0.0}, "cross_entropy")
    input = torch.randn(6, 5, 3, dtype=torch.float64, requires_grad=True)
    target = torch.randint(0, 5, (6, 3))
    target[0, 0] = -100
    focal = get_loss("focal", gamma=0.0, reduction=reduction)(input, target)
    ce = F.cross_entropy(input, target, reduction=reduction)
    torch.testing.assert_close(focal, ce)
    assert torch.allclose(*(torch.autograd.grad(v.sum(), input)[0] for v in (focal, ce)))


@pytest.mark.parametrize("reduction", ("none", "sum", "mean"))
def test_sigmoid_focal_with_gamma_zero_no_alpha_is_bce_with_logits(reduction) -> None:
    identity = get_spec("sigmoid_focal").identities[0]
    assert identity.equals == "bce_with_logits"
    input = torch.randn(6, 5, dtype=torch.float64)
    target = torch.randint(0, 2, (6, 5)).double()
    focal = get_loss("sigmoid_focal", **identity.params, reduction=reduction)(input, target)
    torch.testing.assert_close(focal, F.binary_cross_entropy_with_logits(input, target, reduction=reduction))


def test_sigmoid_focal_matches_the_torchvision_formula() -> None:
    input = torch.randn(6, 5, dtype=torch.float64)
    target = torch.randint(0, 2, (6, 5)).double()
    torch.testing.assert_close(get_loss("sigmoid_focal")(input, target), _naive_sigmoid_focal(input, target, 2.0))


def test_softmax_focal_mean_does_not_divide_by_the_number_of_classes() -> None:
    input = torch.randn(6, 5, dtype=torch.float64)
    target = torch.randint(0, 5, (6,))
    per_sample = get_loss("focal", reduction="none")(input, target)
    assert per_sample.shape == (6,)
    torch.testing.assert_close(get_loss("focal")(input, target), per_sample.mean())


def test_focal_alpha_takes_a_float_or_one_value_per_class() -> None:
    assert get_loss("focal", alpha=0.25).alpha == 0.25
    assert get_loss("focal", alpha=[1, 2, 3]).alpha == (1.0, 2.0, 3.0)
    assert get_loss("focal", alpha=0.25).to_config()["alpha"] == 0.25
    input, target = torch.randn(4, 3, dtype=torch.float64), torch.tensor([0, 1, 2, 1])
    torch.testing.assert_close(
        get_loss("focal", alpha=0.25)(input, target), 0.25 * get_loss("focal")(input, target)
    )


def test_functional_focal_takes_an_integer_alpha_like_the_module() -> None:
    input, target = torch.randn(6, 3, generator=torch.Generator().manual_seed(0)), torch.tensor([0, 1, 2, 2, 1, 0])
    torch.testing.assert_close(focal_loss(input, target, alpha=2), 2 * focal_loss(input, target))
    torch.testing.assert_close(focal_loss(input, target, alpha=2), get_loss("focal", alpha=2)(input, target))
