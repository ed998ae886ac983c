"""The standard losses equal their torch.nn counterparts on the same inputs, per dtype and reduction."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from losskit import get_loss

REDUCTIONS = ("none", "sum", "mean")
DTYPES = (torch.float32, torch.float64)
W = (0.5, 1.0, 2.0, 0.25, 1.5)
W_SMALL = (0.05, 0.1, 0.02, 0.08, 0.04)  # the kept targets' weights sum to less than 1


def _g() -> torch.Generator:
    return torch.Generator().manual_seed(0)


def _logits(dtype, *shape):
    return torch.randn(shape, generator=_g(), dtype=torch.float64).to(dtype)


def _indices(*shape, classes=5, ignore_every=0):
    target = torch.randint(0, classes, shape, generator=torch.Generator().manual_seed(1))
    if ignore_every:
        target.view(-1)[::ignore_every] = -100
    return target


def _binary(dtype, *shape):
    return torch.randint(0, 2, shape, generator=torch.Generator().manual_seed(2)).to(dtype)


def _soft(dtype, *shape):
    return torch.randn(shape, generator=torch.Generator().manual_seed(3), dtype=torch.float64).softmax(1).to(dtype)


def _case(name, dtype):
    """(losskit name, losskit params, torch module factory taking reduction, input, target)."""
    x, y = _logits(dtype, 8, 5), _indices(8)
    tw, tw_small = torch.tensor(W, dtype=dtype), torch.tensor(W_SMALL, dtype=dtype)
    return {
        "ce": ("cross_entropy", {}, lambda r: nn.CrossEntropyLoss(reduction=r), x, y),
        "ce_full": (
            "ce",
            {"class_weights": W, "label_smoothing": 0.2, "ignore_index": -100},
            lambda r: nn.CrossEntropyLoss(weight=tw, label_smoothing=0.2, reduction=r),
            x,
            _indices(8, ignore_every=3),
        ),
        "ce_spatial": (
            "cross_entropy",
            {"class_weights": W, "ignore_index": 2},
            lambda r: nn.CrossEntropyLoss(weight=tw, ignore_index=2, reduction=r),
            _logits(dtype, 4, 5, 3, 2),
            _indices(4, 3, 2),
        ),
        "ce_soft": (
            "cross_entropy",
            {"class_weights": W, "label_smoothing": 0.1},
            lambda r: nn.CrossEntropyLoss(weight=tw, label_smoothing=0.1, reduction=r),
            x,
            _soft(dtype, 8, 5),
        ),
        "ce_small_weights": (
            "cross_entropy",
            {"class_weights": W_SMALL, "label_smoothing": 0.1},
            lambda r: nn.CrossEntropyLoss(weight=tw_small, label_smoothing=0.1, reduction=r),
            x,
            _indices(8, ignore_every=3),
        ),
        "nll_small_weights": (
            "nll",
            {"class_weights": W_SMALL},
            lambda r: nn.NLLLoss(weight=tw_small, reduction=r),
            x.log_softmax(1),
            y,
        ),
        "nll": (
            "nll",
            {"class_weights": W},
            lambda r: nn.NLLLoss(weight=tw, reduction=r),
            x.log_softmax(1),
            _indices(8, ignore_every=4),
        ),
        "bce": ("bce", {}, lambda r: nn.BCELoss(reduction=r), x.sigmoid(), _binary(dtype, 8, 5)),
        "bce_with_logits": (
            "bce_with_logits",
            {"pos_weight": W},
            lambda r: nn.BCEWithLogitsLoss(pos_weight=tw, reduction=r),
            x,
            _binary(dtype, 8, 5),
        ),
        "kl_div": ("kl_div", {}, lambda r: nn.KLDivLoss(reduction=r), x.log_softmax(1), _soft(dtype, 8, 5)),
        "kl_div_log": (
            "kl_div",
            {"log_target": True},
            lambda r: nn.KLDivLoss(reduction=r, log_target=True),
            x.log_softmax(1),
            _soft(dtype, 8, 5).log(),
        ),
        "multi_margin": (
            "multi_margin",
            {"p": 2, "margin": 0.7, "class_weights": W},
            lambda r: nn.MultiMarginLoss(p=2, margin=0.7, weight=tw, reduction=r),
            x,
            y,
        ),
        "multilabel_margin": (
            "multilabel_margin",
            {},
            lambda r: nn.MultiLabelMarginLoss(reduction=r),
            x,
            torch.tensor([[3, 0, -1, 1, 1]] * 4 + [[4, -1, 0, 0, 0]] * 4),
        ),
        "multilabel_soft_margin": (
            "multilabel_soft_margin",
            {"class_weights": W},
            lambda r: nn.MultiLabelSoftMarginLoss(weight=tw, reduction=r),
            x,
            _binary(dtype, 8, 5),
        ),
        "soft_margin": (
            "soft_margin",
            {},
            lambda r: nn.SoftMarginLoss(reduction=r),
            x,
            2 * _binary(dtype, 8, 5) - 1,
        ),
    }[name]


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss:UserWarning")  # torch's kl_div
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "case",
    ["ce", "ce_full", "ce_spatial", "ce_soft", "ce_small_weights", "nll", "nll_small_weights", "bce", "bce_with_logits", "kl_div", "kl_div_log",
     "multi_margin", "multilabel_margin", "multilabel_soft_margin", "soft_margin"],
)
def test_matches_torch(case, reduction, dtype) -> None:
    name, params, torch_loss, input, target = _case(case, dtype)
    ours_input = input.detach().clone().requires_grad_()
    theirs_input = input.detach().clone().requires_grad_()
    ours = get_loss(name, **params, reduction=reduction)(ours_input, target)
    theirs = torch_loss(reduction)(theirs_input, target)
    torch.testing.assert_close(ours, theirs)
    ours.sum().backward()
    theirs.sum().backward()
    torch.testing.assert_close(ours_input.grad, theirs_input.grad)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_kl_div_batchmean_is_the_default_and_matches_torch(dtype) -> None:
    input, target = _logits(dtype, 8, 5).log_softmax(1), _soft(dtype, 8, 5)
    ours = get_loss("kl_div")
    assert ours.reduction == "batchmean"
    torch.testing.assert_close(ours(input, target), nn.KLDivLoss(reduction="batchmean")(input, target))


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_ctc_matches_torch(reduction, dtype, zero_infinity) -> None:
    log_probs = _logits(dtype, 6, 4, 5).log_softmax(2)
    target = torch.tensor([[1, 2, 2], [3, 1, 0], [4, 4, 4], [2, 0, 0]])
    target_lengths = torch.tensor([3, 2, 3, 1])
    input_lengths = torch.tensor([6, 5, 4, 6])  # sample 2 needs 5 steps for 4-4-4: infinite loss
    lengths = {"input_lengths": input_lengths, "target_lengths": target_lengths}
    ours_input = log_probs.detach().clone().requires_grad_()
    theirs_input = log_probs.detach().clone().requires_grad_()
    ours = get_loss("ctc", reduction=reduction, zero_infinity=zero_infinity)(ours_input, target, **lengths)
    theirs = nn.CTCLoss(reduction=reduction, zero_infinity=zero_infinity)(theirs_input, target, **lengths)
    torch.testing.assert_close(ours, theirs)
    if zero_infinity:
        ours.sum().backward()
        theirs.sum().backward()
        torch.testing.assert_close(ours_input.grad, theirs_input.grad)


def test_all_ignored_mean_is_zero_where_torch_gives_nan() -> None:
    input = torch.randn(3, 5, requires_grad=True)
    target = torch.full((3,), -100)
    assert torch.isnan(nn.CrossEntropyLoss()(input, target))
    for name in ("cross_entropy", "nll", "focal"):
        value = get_loss(name)(input, target)
        value.backward()
        assert value.item() == 0.0
        assert torch.equal(input.grad, torch.zeros_like(input))
        input.grad = None


def test_hinge_is_not_torch_hinge_embedding() -> None:
    x, y = torch.tensor([0.5, -2.0, 3.0]), torch.tensor([1.0, -1.0, -1.0])
    assert get_loss("hinge", reduction="none")(x, y).tolist() == [0.5, 0.0, 4.0]
    assert get_loss("squared_hinge", reduction="none")(x, y).tolist() == [0.25, 0.0, 16.0]
