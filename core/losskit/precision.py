"""The precision a loss computes in: half and bfloat16 inputs are computed in float32, like torch's kernels."""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["working"]

_LOW = (torch.float16, torch.bfloat16)


def working(x: Tensor) -> Tensor:
    """``x`` in the precision the maths runs in: float32 for half and bfloat16, itself otherwise."""
    return x.float() if x.dtype in _LOW else x
