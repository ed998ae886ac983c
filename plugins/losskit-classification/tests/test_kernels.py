"""The fused kernels of the dense losses: the same numbers as their plain form, less kept for backward,
exact double backward, and the opt-in compiled path's fallback."""

from __future__ import annotations

import shutil
import warnings

import pytest
import torch

from losskit_classification import _kernels
from losskit_classification.imbalance.asymmetric import _KERNEL as ASYMMETRIC
from losskit_classification.imbalance.asymmetric import AsymmetricLoss
from losskit_classification.standard.focal import _KERNEL as SOFTMAX_FOCAL
from losskit_classification.standard.sigmoid_focal import _KERNEL as SIGMOID_FOCAL
from losskit_classification.standard.sigmoid_focal import SigmoidFocalLoss


def _binary(shape, soft=False, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = 3 * torch.randn(shape, generator=g, dtype=torch.float64)
    y = torch.rand(shape, generator=g, dtype=torch.float64) if soft else torch.randint(0, 2, shape, generator=g).double()
    return x, y


def _classes(shape, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = 3 * torch.randn(shape, generator=g, dtype=torch.float64)
    y = torch.randint(0, shape[1], (shape[0], *shape[2:]), generator=g)
    y.view(-1)[0] = -100
    return x, y


CASES = [
    *(("sigmoid_focal", SIGMOID_FOCAL, _binary((6, 5), soft), (alpha, gamma))
      for soft in (False, True) for alpha in (None, 0.25) for gamma in (0.0, 0.5, 1.0, 2.0)),
    *(("asymmetric", ASYMMETRIC, _binary((6, 5)), params)
      for params in ((0.0, 4.0, 0.05, 1e-8), (0.5, 0.5, 0.0, 1e-8), (2.0, 1.0, 0.2, 0.1), (1.0, 0.0, 0.0, 1e-8))),
    *(("focal", SOFTMAX_FOCAL, _classes(shape), (gamma, alpha, -100))
      for shape in ((6, 4), (3, 4, 2, 3), (5, 1)) for gamma in (0.0, 0.5, 1.0, 2.0)
      for alpha in (None, 0.25, (0.1, 0.2, 0.3, 0.4)) if not (isinstance(alpha, tuple) and shape[1] != 4)),
]
IDS = [f"{name}-{params}-{tuple(x.shape)}" for name, _, (x, _y), params in CASES]


@pytest.mark.parametrize("name, kernel, data, params", CASES, ids=IDS)
def test_fused_matches_the_plain_form_and_passes_gradcheck_and_gradgradcheck(name, kernel, data, params):
    x, y = data
    x = x.clone().requires_grad_()
    fused = kernel(x, y, *params)
    plain = kernel.value(x, y, *params)
    assert fused.grad_fn is not None and type(fused.grad_fn).__name__ == "_FusedBackward"
    torch.testing.assert_close(fused, plain)
    torch.testing.assert_close(*(torch.autograd.grad(v.sum(), x)[0] for v in (fused, plain)))
    assert torch.autograd.gradcheck(lambda x: kernel(x, y, *params), (x,))
    assert torch.autograd.gradgradcheck(lambda x: kernel(x, y, *params), (x,))


def _saved_storages(fn, x, y):
    storages = set()

    def pack(t):
        storages.add(t.untyped_storage().data_ptr())
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn(x, y)
    return len(storages)


@pytest.mark.parametrize("kernel, params", [(SIGMOID_FOCAL, (0.25, 2.0)), (ASYMMETRIC, (0.0, 4.0, 0.05, 1e-8))])
def test_the_fused_elementwise_kernels_keep_the_input_target_and_derivative_only(kernel, params):
    x, y = _binary((64, 8))
    x.requires_grad_()
    assert _saved_storages(lambda x, y: kernel(x, y, *params), x, y) == 3
    assert _saved_storages(lambda x, y: kernel.value(x, y, *params), x, y) > 3


def test_softmax_focal_keeps_no_full_size_tensor_but_the_logits():
    x, y = _classes((4, 5, 16, 16))
    x.requires_grad_()
    sizes = []

    def pack(t):
        sizes.append(t.numel())
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        SOFTMAX_FOCAL(x, y, 2.0, None, -100)
    assert sorted(sizes)[-2] < x.numel() == sorted(sizes)[-1]


def test_a_target_that_needs_a_gradient_gets_it_through_the_plain_form():
    x, y = _binary((6, 5), soft=True)
    x.requires_grad_(), y.requires_grad_()
    SigmoidFocalLoss(gamma=0.5)(x, y).backward()
    expected = torch.autograd.grad(SIGMOID_FOCAL.value(x, y, 0.25, 0.5).mean(), y)[0]
    torch.testing.assert_close(y.grad, expected)


@pytest.fixture
def fresh(monkeypatch):
    """The two compiled kernels with empty caches, compiling inputs of any size."""
    for kernel in (SIGMOID_FOCAL, ASYMMETRIC):
        monkeypatch.setattr(kernel, "_compiled", {})
        monkeypatch.setattr(kernel, "_failed", False)
    monkeypatch.setattr(_kernels, "COMPILE_MIN_NUMEL", 0)


def _no_compile(*args, **kwargs):
    raise RuntimeError("torch.compile is not available here")


@pytest.mark.parametrize("loss", [SigmoidFocalLoss, AsymmetricLoss], ids=lambda c: c.loss_name)
def test_compiled_falls_back_to_eager_with_one_warning_when_compile_fails(fresh, monkeypatch, loss):
    monkeypatch.setattr(torch, "compile", _no_compile)
    x, y = _binary((6, 5))
    x.requires_grad_()
    compiled, eager = loss(compiled=True), loss()
    with pytest.warns(RuntimeWarning, match="torch.compile failed .*RuntimeError: torch.compile is not available"):
        value = compiled(x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once: the next calls are eager without a word
        again = compiled(x, y)
    torch.testing.assert_close(value, eager(x, y))
    torch.testing.assert_close(again, value)
    torch.testing.assert_close(*(torch.autograd.grad(v, x)[0] for v in (again, eager(x, y))))


def test_small_inputs_stay_eager_with_compiled(monkeypatch):
    monkeypatch.setattr(torch, "compile", _no_compile)
    monkeypatch.setattr(SIGMOID_FOCAL, "_failed", False)
    x, y = _binary((6, 5))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = SigmoidFocalLoss(compiled=True)(x, y)
    torch.testing.assert_close(value, SigmoidFocalLoss()(x, y))
    assert not SIGMOID_FOCAL._failed


@pytest.mark.skipif(not (shutil.which("cc") or shutil.which("gcc")), reason="inductor's CPU backend needs a C compiler")
def test_compiled_matches_eager(fresh):
    """One real compilation (tens of seconds on a small CPU): value and gradient as eager, cached per dtype."""
    x, y = _binary((16, 8))
    x = x.float().requires_grad_()
    loss = SigmoidFocalLoss(gamma=2.0, compiled=True)
    value = loss(x, y.float())
    assert not SIGMOID_FOCAL._failed
    assert list(SIGMOID_FOCAL._compiled) == [(torch.float32, "cpu")]
    eager = SigmoidFocalLoss(gamma=2.0)(x, y.float())
    torch.testing.assert_close(value, eager)
    torch.testing.assert_close(*(torch.autograd.grad(v, x)[0] for v in (value, eager)))
