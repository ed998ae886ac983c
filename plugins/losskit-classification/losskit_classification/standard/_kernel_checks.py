"""Where torch's loss kernels check the inputs themselves, so that losskit need not read them first.

On CPU, torch's ``nll_loss`` (and so ``cross_entropy``) raises ``IndexError`` for a class index out of
range, ``multi_margin_loss`` and ``multilabel_margin_loss`` a ``RuntimeError``, and ``binary_cross_entropy``
one for an input outside ``[0, 1]``; and reading one number back costs no device sync. There the losses
call the kernel unchecked, with its own reduction, and only a failure re-runs losskit's check, which raises
the clear error (what was expected, what came, how to fix). On CUDA those kernels trip a device-side assert
instead, which leaves the CUDA context unusable, and a read back waits for the device: there, and while
compiling, losskit checks first, as before.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

#: What torch's CPU kernels raise for a value they refuse (a class index out of range, a probability above 1).
KERNEL_ERRORS = (IndexError, RuntimeError)


def eager_cpu(input: Tensor) -> bool:
    """Whether the loss may call torch's kernel on ``input`` unchecked and read its reduced value back
    (not for a non-tensor: the checks name what is wrong with it)."""
    return isinstance(input, Tensor) and input.device.type == "cpu" and not torch.compiler.is_compiling()


def finite(value: Tensor) -> bool:
    """Whether a reduced loss (on CPU) is finite; if not, an overflow, an inf or nan input, or a mean over
    nothing: the caller's exact path decides."""
    return math.isfinite(value.item())


def holds_nan(input: Tensor) -> bool:
    """Whether ``input`` (on CPU) may hold a nan, from one sum: a float reduction, several times cheaper
    there than ``isnan().any()``. ``+inf`` beside ``-inf`` answers yes too, which only sends the caller to
    its exact path."""
    return math.isnan(input.sum().item())
