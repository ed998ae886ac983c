"""On CPU the standard losses let torch's kernels check what they check (class indices, bce's input range) and
use torch's own reduction; bad input still gives losskit's clear error, and the fast path gives the numbers of
the checked one (forced here by patching ``eager_cpu``, as on CUDA or while compiling)."""

from __future__ import annotations

import importlib
import math
import re
from contextlib import contextmanager

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from losskit import LossInputError, get_loss

MODULES = ("nll", "cross_entropy", "multi_margin", "multilabel_margin", "soft_margin", "bce")
REDUCTIONS = st.sampled_from(["mean", "sum", "none"])


@contextmanager
def checked_first():
    """The path taken off CPU: losskit checks every value before the kernel runs."""
    with pytest.MonkeyPatch.context() as patch:
        for name in MODULES:
            patch.setattr(importlib.import_module(f"losskit_classification.standard.{name}"), "eager_cpu", lambda _: False)
        yield


def _run(fast: bool, fn):
    if fast:
        return fn()
    with checked_first():
        return fn()


def _value_and_grad(loss, x, y, **context):
    x = x.detach().clone().requires_grad_()
    value = loss(x, y, **context)
    (grad,) = torch.autograd.grad(value.sum(), x)
    return value.detach(), grad


def _assert_same(fast, checked):
    for a, b in zip(fast, checked):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12, equal_nan=True)


# --- bad input: the clear error, on both paths -------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(
    name=st.sampled_from(["nll", "cross_entropy", "multi_margin"]),
    n=st.integers(1, 6),
    classes=st.integers(1, 6),
    spatial=st.sampled_from([(), (3,), (2, 2)]),
    where=st.integers(0, 10**6),
    bad=st.one_of(st.integers(-(2**40), -1), st.integers(6, 2**40)),
    reduction=REDUCTIONS,
    smoothing=st.sampled_from([0.0, 0.2]),
    weighted=st.booleans(),
    fast=st.booleans(),
)
def test_a_class_index_out_of_range_gets_the_clear_error(
    name, n, classes, spatial, where, bad, reduction, smoothing, weighted, fast
):
    if name == "multi_margin":
        spatial = ()
    bad = bad if bad != -100 else -101  # -100 is ignore_index
    params = {"reduction": reduction}
    if weighted:
        params["class_weights"] = tuple(float(c + 1) for c in range(classes))
    if name == "cross_entropy":
        params["label_smoothing"] = smoothing
    x = torch.randn(n, classes, *spatial, dtype=torch.float64)
    if name == "nll":
        x = x.log_softmax(1)
    target = torch.randint(0, classes, (n, *spatial))
    target.view(-1)[where % target.numel()] = bad
    first_bad = target.view(-1)[((target < 0) | (target >= classes)).view(-1)][0].item()
    loss = get_loss(name, **params)
    with pytest.raises(LossInputError, match=rf"{name}: target class indices must be in \[0, {classes}\).* got {first_bad}\. "
                       rf"The input has {classes} classes"):
        _run(fast, lambda: loss(x, target))


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("name", ["nll", "cross_entropy", "multi_margin"])
def test_a_non_long_integer_target_out_of_range_is_refused_too(name, fast):
    loss = get_loss(name)
    with pytest.raises(LossInputError, match=r"must be in \[0, 3\).* got 3"):
        _run(fast, lambda: loss(torch.randn(2, 3), torch.tensor([0, 3], dtype=torch.int32)))


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(1, 5),
    classes=st.integers(1, 6),
    where=st.integers(0, 10**6),
    bad=st.one_of(st.integers(-(2**40), -2), st.integers(6, 2**40)),
    reduction=REDUCTIONS,
    fast=st.booleans(),
)
def test_a_label_index_out_of_range_gets_the_clear_error(n, classes, where, bad, reduction, fast):
    target = torch.full((n, classes), -1)
    target[:, 0] = torch.randint(0, classes, (n,))
    target.view(-1)[where % target.numel()] = bad
    first_bad = target[(target < -1) | (target >= classes)][0].item()
    loss = get_loss("multilabel_margin", reduction=reduction)
    with pytest.raises(LossInputError, match=rf"label indices in \[0, {classes}\) or -1 \(padding\), got {first_bad}\."):
        _run(fast, lambda: loss(torch.randn(n, classes), target))


NOT_A_SIGN = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=32).filter(lambda v: v not in (-1.0, 1.0)), st.just(-0.0)
)


@settings(max_examples=40, deadline=None)
@given(
    name=st.sampled_from(["soft_margin", "hinge", "squared_hinge"]),
    shape=st.lists(st.integers(1, 5), min_size=1, max_size=3),
    where=st.integers(0, 10**6),
    bad=NOT_A_SIGN,
    reduction=REDUCTIONS,
    fast=st.booleans(),
)
def test_a_target_that_is_not_a_sign_gets_the_clear_error(name, shape, where, bad, reduction, fast):
    target = torch.randint(0, 2, shape).float() * 2 - 1
    target.view(-1)[where % target.numel()] = bad
    shown = re.escape("nan" if math.isnan(bad) else f"{bad:g}")
    loss = get_loss(name, reduction=reduction)
    with pytest.raises(LossInputError, match=rf"{name}: target must hold -1 or \+1, got {shown}\. .*2 \* target - 1"):
        _run(fast, lambda: loss(torch.randn(shape), target))


OUTSIDE_UNIT = st.one_of(
    st.floats(max_value=0.0, allow_infinity=True, width=32).filter(lambda v: v < 0),
    st.floats(min_value=1.0, exclude_min=True, allow_infinity=True, width=32),
    st.just(math.nan),
)


@settings(max_examples=40, deadline=None)
@given(
    name=st.sampled_from(["bce", "bce_with_logits", "kl_div"]),
    what=st.sampled_from(["input", "target"]),
    shape=st.lists(st.integers(1, 5), min_size=1, max_size=3),
    where=st.integers(0, 10**6),
    bad=OUTSIDE_UNIT,
    reduction=REDUCTIONS,
    fast=st.booleans(),
)
def test_a_value_outside_0_1_gets_the_clear_error(name, what, shape, where, bad, reduction, fast):
    if name != "bce":
        what = "target"  # only bce's input is a probability
    reduction = "batchmean" if name == "kl_div" and reduction == "mean" else reduction
    x = torch.rand(shape) * 0.98 + 0.01
    y = torch.rand(shape)
    if name == "kl_div":
        x = x.log()
    bad_tensor = x if what == "input" else y
    bad_tensor.view(-1)[where % bad_tensor.numel()] = bad
    shown = re.escape("nan" if math.isnan(bad) else f"{bad:g}")
    loss = get_loss(name, reduction=reduction)
    with pytest.raises(LossInputError, match=rf"{name}: {what} must lie in \[0, 1\], got {shown}"):
        _run(fast, lambda: loss(x, y))


# --- the fast path gives the checked path's numbers --------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(
    name=st.sampled_from(["nll", "cross_entropy"]),
    n=st.integers(0, 6),
    classes=st.integers(1, 5),
    spatial=st.sampled_from([(), (3,), (2, 2)]),
    ignored=st.floats(0.0, 1.0),
    weights=st.sampled_from([None, "ones", "some zero", "all zero"]),
    smoothing=st.sampled_from([0.0, 0.3]),
    reduction=REDUCTIONS,
    seed=st.integers(0, 2**16),
)
def test_nll_and_cross_entropy_fast_paths_match(name, n, classes, spatial, ignored, weights, smoothing, reduction, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, classes, *spatial, generator=g, dtype=torch.float64)
    if name == "nll":
        x = x.log_softmax(1)
    target = torch.randint(0, classes, (n, *spatial), generator=g)
    target[torch.rand(target.shape, generator=g) < ignored] = -100  # all of them, at times: a mean over nothing
    params = {"reduction": reduction}
    if weights is not None:
        w = torch.rand(classes, generator=g, dtype=torch.float64) + 0.5
        if weights == "ones":
            w = torch.ones(classes, dtype=torch.float64)
        elif weights == "some zero":
            w[0] = 0.0
        elif weights == "all zero":
            w = torch.zeros(classes, dtype=torch.float64)
        params["class_weights"] = tuple(w.tolist())
    if name == "cross_entropy":
        params["label_smoothing"] = smoothing
    loss = get_loss(name, **params)
    fast = _value_and_grad(loss, x, target)
    with checked_first():
        checked = _value_and_grad(loss, x, target)
    _assert_same(fast, checked)
    assert torch.isfinite(fast[1]).all()


@pytest.mark.parametrize("name", ["nll", "cross_entropy"])
def test_every_target_ignored_gives_zero_with_a_zero_gradient(name):
    x = torch.randn(4, 3, dtype=torch.float64)
    value, grad = _value_and_grad(get_loss(name), x, torch.full((4,), -100))
    assert value.item() == 0.0 and grad.abs().sum().item() == 0.0


@pytest.mark.parametrize("name", ["nll", "cross_entropy", "multi_margin", "multilabel_margin", "soft_margin"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_a_nan_input_gives_nan_on_the_fast_path(name, reduction):
    x = torch.randn(4, 3)
    x[1, 1] = math.nan  # the target class of row 1: nll reads only those
    target = {"multilabel_margin": torch.tensor([[0, -1, -1]] * 4), "soft_margin": torch.ones(4, 3)}.get(
        name, torch.tensor([0, 1, 2, 0])
    )
    assert math.isnan(get_loss(name, reduction=reduction)(x, target).item())


@settings(max_examples=30, deadline=None)
@given(
    name=st.sampled_from(["multi_margin", "multilabel_margin"]),
    n=st.integers(0, 5),
    classes=st.integers(1, 5),
    nan_at=st.one_of(st.none(), st.integers(0, 10**6)),
    reduction=REDUCTIONS,
    seed=st.integers(0, 2**16),
)
def test_margin_fast_paths_match(name, n, classes, nan_at, reduction, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, classes, generator=g, dtype=torch.float64)
    if nan_at is not None and x.numel():
        x.view(-1)[nan_at % x.numel()] = math.nan
    if name == "multi_margin":
        target = torch.randint(0, classes, (n,), generator=g)
    else:
        target = torch.full((n, classes), -1)
        for row in range(n):
            k = int(torch.randint(0, classes + 1, (1,), generator=g))
            target[row, :k] = torch.randperm(classes, generator=g)[:k]
    loss = get_loss(name, reduction=reduction)
    fast = loss(x, target)
    with checked_first():
        checked = loss(x, target)
    torch.testing.assert_close(fast, checked, rtol=1e-12, atol=1e-12, equal_nan=True)


@settings(max_examples=30, deadline=None)
@given(
    name=st.sampled_from(["soft_margin", "bce", "bce_with_logits", "kl_div", "cross_entropy"]),
    shape=st.lists(st.integers(1, 5), min_size=1, max_size=3),
    scale=st.sampled_from([1.0, 100.0]),  # soft_margin: torch's kernel overflows past 88 in float32
    reduction=st.sampled_from(["mean", "sum", "none", "batchmean"]),
    dtype=st.sampled_from([torch.float32, torch.float64]),
    seed=st.integers(0, 2**16),
)
def test_dense_fast_paths_match(name, shape, scale, reduction, dtype, seed):
    if reduction == "batchmean" and name != "kl_div":
        reduction = "mean"
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=g, dtype=torch.float64) * scale
    y = torch.rand(shape, generator=g, dtype=torch.float64)
    if name == "soft_margin":
        y = (y > 0.5).double() * 2 - 1
    elif name == "bce":
        x = torch.rand(shape, generator=g, dtype=torch.float64)
    elif name == "kl_div":
        x, y = x.log_softmax(-1), y / y.sum(-1, keepdim=True)
    elif name == "cross_entropy":  # probability targets, classes along dim 1
        x, y = x.unsqueeze(1).expand(-1, 3, *x.shape[1:]).contiguous(), y.unsqueeze(1).expand(-1, 3, *y.shape[1:])
        x, y = x + torch.randn(x.shape, generator=g, dtype=torch.float64), y.softmax(1)
    loss = get_loss(name, reduction=reduction)
    x, y = x.to(dtype), y.to(dtype)
    fast = _value_and_grad(loss, x, y)
    if name in ("kl_div", "cross_entropy"):  # the per-element losses, reduced by hand
        per_element = get_loss(name, reduction="none")

        def reference(x, y):
            value = per_element(x, y)
            return {"none": value, "sum": value.sum(), "mean": value.mean(), "batchmean": value.sum() / x.shape[0]}[
                reduction
            ]

        checked = _value_and_grad(reference, x, y)
    else:  # a weight of ones takes the per-element path and losskit's reduce
        checked = _value_and_grad(loss, x, y, weight=torch.ones_like(y))
    tolerance = 1e-12 if dtype == torch.float64 else 1e-5
    for a, b in zip(fast, checked):
        torch.testing.assert_close(a, b, rtol=tolerance, atol=tolerance)
    assert torch.isfinite(fast[0]).all() and torch.isfinite(fast[1]).all()


@pytest.mark.parametrize(
    ("name", "target"),
    [("nll", [0]), ("cross_entropy", [0]), ("multi_margin", [0]), ("multilabel_margin", [[0, -1]]),
     ("soft_margin", [[1.0, -1.0]]), ("bce", [[1.0, 0.0]]), ("bce_with_logits", [[1.0, 0.0]]), ("kl_div", [[0.5, 0.5]])],
)
def test_a_list_for_input_is_named_before_any_kernel_runs(name, target):
    with pytest.raises(LossInputError, match=rf"{name}.*input must be a torch.Tensor, got list"):
        get_loss(name)([[0.5, 0.5]], torch.tensor(target))
