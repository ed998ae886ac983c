"""Fused loss kernels: the value and what its hand-written backward needs, computed in one forward pass.

Autograd records every operation of a loss written in plain torch and keeps what each one needs for its
backward: a focal loss over a dense ``(N, C)`` batch holds half a dozen full-size tensors and walks them all
again backwards. A :class:`Kernel` computes the loss and its derivative together, without autograd, keeps
only what the backward needs (the derivative, and the inputs for a double backward) and multiplies in the
backward. Three paths, chosen per call:

* **fused** (eager, gradient wanted for the input only): :class:`_Fused`, an ``autograd.Function`` over
  :meth:`Kernel.fused` and :meth:`Kernel.backward`;
* **plain** (no gradient wanted, a target that needs a gradient, or inside ``torch.compile``):
  :meth:`Kernel.value`, plain differentiable torch ops whose autograd gradient is finite wherever the fused
  one is; a double backward through the fused path differentiates it too, so second derivatives are exact;
* **compiled** (opt-in, the ``compiled`` parameter): :meth:`Kernel.value` through ``torch.compile``, which
  fuses its forward and backward into a few loops. One compiled function per (dtype, device type), with
  torch's automatic dynamic shapes (a second shape recompiles once with a symbolic size); inputs under
  :data:`COMPILE_MIN_NUMEL` elements, where the call's fixed cost outweighs the fusion, stay eager. If
  ``torch.compile`` is unavailable or fails (no C compiler...), a warning says so once and the eager path runs.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from losskit import Param

__all__ = ["COMPILED", "COMPILE_MIN_NUMEL", "Kernel", "fast_power"]

#: Inputs with fewer elements run eagerly even with ``compiled=True``: below this, a compiled call's guards and
#: launch cost more than the loops it fuses save (measured on CPU, float32).
COMPILE_MIN_NUMEL = 1 << 16

#: The opt-in, shared by the losses whose compiled kernel pays (measured: benchmarks and docs/performance).
COMPILED = Param(
    "compiled",
    False,
    "compute the loss through torch.compile (inductor): several times faster on large CPU batches after a "
    "compilation of tens of seconds; inputs under 2**16 elements stay eager; falls back to eager, warning "
    "once, where torch.compile is unavailable or fails",
    type=bool,
)


class Kernel:
    """A loss's maths in three forms (see the module docstring); a subclass writes :meth:`value`,
    :meth:`fused` and :meth:`backward` and calls the kernel as ``kernel(x, y, *params, compiled=...)``."""

    name = "kernel"

    def __init__(self) -> None:
        self._compiled: dict[tuple[torch.dtype, str], Callable[..., Tensor]] = {}
        self._failed = False

    # -- the maths, written by each kernel ---------------------------------------------------------------
    def value(self, x: Tensor, y: Tensor, *params: Any) -> Tensor:
        """The loss in plain torch ops, autograd-safe: finite gradients wherever the values are finite."""
        raise NotImplementedError

    def fused(self, x: Tensor, y: Tensor, *params: Any) -> tuple[Tensor, tuple[Tensor, ...]]:
        """Under ``no_grad``: the loss and the tensors :meth:`backward` needs."""
        raise NotImplementedError

    def backward(self, x: Tensor, y: Tensor, saved: tuple[Tensor, ...], grad: Tensor, *params: Any) -> Tensor:
        """The gradient with respect to ``x`` from the inputs, :meth:`fused`'s tensors and the output's gradient."""
        raise NotImplementedError

    # -- dispatch -----------------------------------------------------------------------------------------
    def __call__(self, x: Tensor, y: Tensor, *params: Any, compiled: bool = False) -> Tensor:
        if torch.compiler.is_compiling():  # traced into the caller's graph: the compiler fuses the plain ops
            return self.value(x, y, *params)
        if compiled and x.numel() >= COMPILE_MIN_NUMEL and not self._failed:
            return self._run_compiled(x, y, params)
        if torch.is_grad_enabled() and x.requires_grad and not y.requires_grad:
            return _Fused.apply(x, y, self, params)
        return self.value(x, y, *params)

    def _run_compiled(self, x: Tensor, y: Tensor, params: tuple[Any, ...]) -> Tensor:
        key = (x.dtype, x.device.type)
        try:
            function = self._compiled.get(key)
            if function is None:
                function = self._compiled[key] = torch.compile(self.value, dynamic=None)
            return function(x, y, *params)
        except Exception as exc:  # noqa: BLE001 - any failure to compile: the eager kernel computes the same
            self._failed = True
            warnings.warn(
                f"{self.name}: compiled=True, but torch.compile failed ({type(exc).__name__}: "
                f"{str(exc).strip().splitlines()[0] if str(exc).strip() else 'no message'}); computing eagerly "
                "from now on. Install a C compiler (inductor's CPU backend needs one) or pass compiled=False.",
                RuntimeWarning,
                stacklevel=4,
            )
            return self(x, y, *params)


class _Fused(torch.autograd.Function):
    """The fused path: :meth:`Kernel.fused` forward, :meth:`Kernel.backward` backward.

    Saves the input and target besides the kernel's tensors. A backward that builds a graph
    (``create_graph=True``: a double backward) differentiates :meth:`Kernel.value` recomputed from them.
    """

    @staticmethod
    def forward(ctx: Any, x: Tensor, y: Tensor, kernel: Kernel, params: tuple[Any, ...]) -> Tensor:
        value, saved = kernel.fused(x, y, *params)
        ctx.kernel, ctx.params, ctx.count = kernel, params, len(saved)
        ctx.save_for_backward(x, y, *saved)
        return value

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor | None, None, None, None]:
        x, y, *saved = ctx.saved_tensors
        if torch.is_grad_enabled():
            with torch.enable_grad():
                value = ctx.kernel.value(x, y, *ctx.params)
                (dx,) = torch.autograd.grad(value, x, grad, create_graph=True)
            return dx, None, None, None
        return ctx.kernel.backward(x, y, tuple(saved), grad, *ctx.params), None, None, None


def fast_power(base: Tensor, exponent: float) -> Tensor:
    """``base ** exponent`` (no autograd: for :meth:`Kernel.fused`), a new tensor, with the cheap kernels of
    common exponents."""
    if exponent == 1:
        return base.clone()
    if exponent == 2:
        return base.square()
    return base.pow(exponent)
