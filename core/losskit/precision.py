"""The precision a loss computes in, and the dtype it returns: those of torch's own losses.

* :func:`working`: half and bfloat16 inputs are computed in float32, like torch's kernels.
* :func:`output`: the result has the input's dtype, except under :func:`torch.autocast`, where a half or
  bfloat16 input gives a float32 loss: torch's losses run in float32 there (its autocast float32 list) and
  do not round the result back, so neither does losskit.
* :func:`no_autocast`: around the maths that autocast would otherwise run in low precision (a matmul of
  float32 embeddings becomes a bfloat16 one under autocast), so that the whole loss stays in float32.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any

import torch
from torch import Tensor

__all__ = ["LOW_PRECISION", "no_autocast", "output", "working"]

#: The dtypes a loss computes in float32 (see :func:`working`) and, under autocast, returns float32 for.
LOW_PRECISION = (torch.float16, torch.bfloat16)


def working(x: Tensor) -> Tensor:
    """``x`` in the precision the maths runs in: float32 for half and bfloat16, itself otherwise."""
    return x.float() if x.dtype in LOW_PRECISION else x


def output(value: Tensor, input: Tensor) -> Tensor:
    """``value`` (computed in the working precision) in the dtype the loss returns for ``input``.

    ``input``'s dtype; under autocast on ``input``'s device, float32 for a half or bfloat16 input, as
    ``torch.nn.functional.cross_entropy`` and the other losses on autocast's float32 list return.
    """
    dtype = input.dtype
    if dtype in LOW_PRECISION and torch.is_autocast_enabled(input.device.type):
        dtype = torch.float32
    return value if value.dtype == dtype else value.to(dtype)


def no_autocast(x: Tensor) -> AbstractContextManager[Any]:
    """A context in which autocast is off on ``x``'s device: operations run in their inputs' precision.

    For the maths of a loss that calls an operation on autocast's lower-precision list (``matmul``,
    ``linear``, ``mm``...) on float32 tensors; outside autocast it changes nothing (and costs nothing:
    entering ``torch.autocast`` takes microseconds, a visible share of a small loss).
    """
    device = x.device.type
    if not torch.compiler.is_compiling() and not torch.is_autocast_enabled(device):
        return nullcontext()
    return torch.autocast(device, enabled=False)
