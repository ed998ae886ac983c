"""linear_cross_entropy: same value and gradients as cross-entropy of the full logits, chunk by chunk."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

from losskit import get_loss

HAS_TORCH_LCE = hasattr(F, "linear_cross_entropy")


def _problem(dtype, *, bias=True, n=13, h=6, v=11):
    g = torch.Generator().manual_seed(0)
    hidden = torch.randn(n, h, generator=g, dtype=torch.float64).to(dtype).requires_grad_()
    weight = (torch.randn(v, h, generator=g, dtype=torch.float64) / h**0.5).to(dtype).requires_grad_()
    b = (torch.randn(v, generator=g, dtype=torch.float64) * 0.1).to(dtype).requires_grad_() if bias else None
    target = torch.randint(0, v, (n,), generator=g)
    target[::4] = -100
    return hidden, weight, b, target


def _grads(value, tensors):
    return torch.autograd.grad(value.sum(), [t for t in tensors if t is not None])


@pytest.mark.parametrize("dtype", (torch.float32, torch.float64), ids=str)
@pytest.mark.parametrize("reduction", ("none", "sum", "mean"))
@pytest.mark.parametrize("chunk_size", (1, 4, 13, 100))
@pytest.mark.parametrize("label_smoothing", (0.0, 0.15))
@pytest.mark.parametrize("bias", (True, False))
def test_value_and_gradients_equal_full_cross_entropy(dtype, reduction, chunk_size, label_smoothing, bias) -> None:
    hidden, weight, b, target = _problem(dtype, bias=bias)
    loss = get_loss("linear_cross_entropy", chunk_size=chunk_size, label_smoothing=label_smoothing, reduction=reduction)
    ours = loss(hidden, target, classifier_weight=weight, classifier_bias=b)
    logits = hidden @ weight.T + (b if b is not None else 0)
    full = F.cross_entropy(logits, target, label_smoothing=label_smoothing, reduction=reduction)
    torch.testing.assert_close(ours, full)
    for got, expected in zip(_grads(ours, (hidden, weight, b)), _grads(full, (hidden, weight, b))):
        torch.testing.assert_close(got, expected)


@pytest.mark.skipif(not HAS_TORCH_LCE, reason="torch has no linear_cross_entropy")
@pytest.mark.parametrize("chunked_torch", (False, True))
@pytest.mark.parametrize("reduction", ("none", "sum", "mean"))
def test_matches_torch_linear_cross_entropy(reduction, chunked_torch) -> None:
    hidden, weight, b, target = _problem(torch.float64, n=40, h=8, v=50)
    smoothing = 0.0 if chunked_torch else 0.1  # torch's chunked path refuses label smoothing
    options = torch.nn.LinearCrossEntropyOptions(allow_retain_graph=True) if chunked_torch else None
    theirs = F.linear_cross_entropy(
        hidden, weight, target, linear_bias=b, reduction=reduction, label_smoothing=smoothing, ignore_index=-100,
        options=options,
    )
    ours = get_loss("linear_cross_entropy", chunk_size=16, label_smoothing=smoothing, reduction=reduction)(
        hidden, target, classifier_weight=weight, classifier_bias=b
    )
    torch.testing.assert_close(ours, theirs)
    for got, expected in zip(_grads(ours, (hidden, weight, b)), _grads(theirs, (hidden, weight, b))):
        torch.testing.assert_close(got, expected)


def test_none_backward_takes_an_incoming_gradient_of_either_sign() -> None:
    # the backward folds each row's incoming gradient into the softmax's factor: negative and zero ones too
    hidden, weight, b, target = _problem(torch.float64)
    incoming = torch.linspace(-2.0, 1.5, hidden.shape[0], dtype=torch.float64)
    incoming[1] = 0.0
    ours = get_loss("linear_cross_entropy", chunk_size=4, label_smoothing=0.1, reduction="none")(
        hidden, target, classifier_weight=weight, classifier_bias=b
    )
    full = F.cross_entropy(hidden @ weight.T + b, target, label_smoothing=0.1, reduction="none")
    got = torch.autograd.grad(ours, (hidden, weight, b), incoming)
    for g, want in zip(got, torch.autograd.grad(full, (hidden, weight, b), incoming)):
        torch.testing.assert_close(g, want)


@pytest.mark.parametrize("reduction", ("none", "sum", "mean"))
def test_gradcheck(reduction) -> None:
    hidden, weight, b, target = _problem(torch.float64, n=5, h=3, v=4)
    loss = get_loss("linear_cross_entropy", chunk_size=2, label_smoothing=0.1, reduction=reduction)
    assert torch.autograd.gradcheck(
        lambda h, w, bb: loss(h, target, classifier_weight=w, classifier_bias=bb), (hidden, weight, b)
    )


@pytest.mark.parametrize("reduction", ("none", "sum", "mean"))
def test_double_backward_raises_a_clear_error(reduction) -> None:
    hidden, weight, b, target = _problem(torch.float64)
    value = get_loss("linear_cross_entropy", reduction=reduction)(hidden, target, classifier_weight=weight)
    with pytest.raises(RuntimeError, match="not twice differentiable"):
        torch.autograd.grad(value.sum(), hidden, create_graph=True)


def test_gradients_formed_in_the_forward_are_scaled_and_survive_a_retained_graph() -> None:
    # The 'mean' gradients are computed in the forward and handed on by the first backward; a second backward
    # through the retained graph recomputes them, and an incoming gradient other than 1 scales them.
    hidden, weight, b, target = _problem(torch.float64)
    value = get_loss("linear_cross_entropy", chunk_size=4)(hidden, target, classifier_weight=weight, classifier_bias=b)
    full = F.cross_entropy(hidden @ weight.T + b, target)
    expected = torch.autograd.grad(3 * full, (hidden, weight, b))
    first = torch.autograd.grad(3 * value, (hidden, weight, b), retain_graph=True)
    second = torch.autograd.grad(3 * value, (hidden, weight, b))
    for got, again, want in zip(first, second, expected):
        torch.testing.assert_close(got, want)
        torch.testing.assert_close(again, want)


def test_no_grad_gives_the_same_value() -> None:
    hidden, weight, b, target = _problem(torch.float32)
    loss = get_loss("linear_cross_entropy", chunk_size=5, label_smoothing=0.1)
    with torch.no_grad():
        quiet = loss(hidden, target, classifier_weight=weight, classifier_bias=b)
    torch.testing.assert_close(quiet, loss(hidden, target, classifier_weight=weight, classifier_bias=b))


def test_default_chunk_keeps_the_logits_small() -> None:
    # chunk_size=None: max(N * H / (2 V), min(256, H / 8)) rows, here max(3, 4) = 4 rows of 300 logits
    hidden, weight, b, target = _problem(torch.float32, n=64, h=32, v=300)
    with _LargestTensor() as mode:
        value = get_loss("linear_cross_entropy")(hidden, target, classifier_weight=weight, classifier_bias=b)
        value.backward()
    assert mode.largest <= max(64 * 32, 300 * 32)  # the gradients' sizes, never 64 * 300


def test_all_ignored_gives_zero_loss_and_gradient() -> None:
    hidden, weight, b, target = _problem(torch.float32, n=4)
    target[:] = -100
    value = get_loss("linear_cross_entropy")(hidden, target, classifier_weight=weight, classifier_bias=b)
    hidden_grad, weight_grad, bias_grad = _grads(value, (hidden, weight, b))
    assert value.item() == 0.0
    assert not hidden_grad.any() and not weight_grad.any() and not bias_grad.any()


def test_saturated_logits_stay_finite() -> None:
    hidden, weight, b, target = _problem(torch.float32)
    hidden = (hidden.detach() * 1e4).requires_grad_()
    value = get_loss("linear_cross_entropy", chunk_size=5)(hidden, target, classifier_weight=weight)
    assert torch.isfinite(value)
    assert all(torch.isfinite(g).all() for g in _grads(value, (hidden, weight)))


class _LargestTensor(TorchDispatchMode):
    """Records the largest number of elements of any tensor an op returns."""

    def __init__(self) -> None:
        super().__init__()
        self.largest = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        sizes = [t.numel() for t in tree_flatten(out)[0] if isinstance(t, torch.Tensor)]
        self.largest = max([self.largest, *sizes])
        return out


def test_full_logits_never_exist_in_forward_or_backward() -> None:
    hidden, weight, b, target = _problem(torch.float32, n=64, h=4, v=300)
    chunk_size = 8
    with _LargestTensor() as mode:
        value = get_loss("linear_cross_entropy", chunk_size=chunk_size, label_smoothing=0.1)(
            hidden, target, classifier_weight=weight, classifier_bias=b
        )
        value.backward()
    assert mode.largest <= chunk_size * 300 < 64 * 300


@pytest.mark.skipif(not hasattr(torch.nn, "LinearCrossEntropyLoss"), reason="torch has no nn.LinearCrossEntropyLoss")
@pytest.mark.parametrize("reduction", ("none", "sum", "mean"))
def test_matches_torch_linear_cross_entropy_module(reduction) -> None:
    hidden, _, _, target = _problem(torch.float64, n=40, h=8, v=50)
    module = torch.nn.LinearCrossEntropyLoss(8, 50, bias=True, dtype=torch.float64, reduction=reduction,
                                             ignore_index=-100, label_smoothing=0.1)
    weight, bias = (p.detach().clone().requires_grad_() for p in (module.linear.weight, module.linear.bias))
    theirs = module(hidden, target)
    ours = get_loss("linear_cross_entropy", chunk_size=16, label_smoothing=0.1, reduction=reduction)(
        hidden, target, classifier_weight=weight, classifier_bias=bias
    )
    torch.testing.assert_close(ours, theirs)
    ours_grads = torch.autograd.grad(ours.sum(), (hidden, weight, bias))
    theirs_grads = torch.autograd.grad(theirs.sum(), (hidden, module.linear.weight, module.linear.bias))
    for got, expected in zip(ours_grads, theirs_grads):
        torch.testing.assert_close(got, expected)
