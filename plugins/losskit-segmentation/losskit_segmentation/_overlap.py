"""Per-class sums and overlap ratios shared by the region losses (Dice, Jaccard, Tversky).

With ``per_image=True`` each sum runs over one image's pixels, giving ``(N, C)``; with
``per_image=False`` over every pixel of the batch, giving ``(C,)``. Under ``torch.distributed`` the
batch sums are all-reduced (with gradient) over the ranks, so that every rank gets the value one process
would compute over the global batch (gradient convention: :mod:`losskit.distributed`); a loss built with
``gather=False`` sums this rank's batch only.
"""

from __future__ import annotations

import torch
from torch import Tensor

from losskit.distributed import all_reduce_sum
from losskit.precision import output
from losskit.reduction import reduce


def class_sums(*terms: Tensor, per_image: bool, gather: bool, owner: str) -> tuple[Tensor, ...]:
    """Each ``(N, C, P)`` term summed over the pixels (and the images, and, with ``gather``, the ranks, unless
    ``per_image``); ``owner``, the loss's name, is what a collective's error names."""
    if per_image:
        return tuple(t.sum(-1) for t in terms)
    sums = torch.stack([t.sum((0, 2)) for t in terms])
    return tuple(all_reduce_sum(sums, gather=gather, owner=owner).unbind(0))


def overlap_ratio(num: Tensor, den: Tensor, *, smooth: float, eps: float) -> Tensor:
    """``(num + smooth) / (den + smooth)``, with the denominator floored at ``eps``.

    A zero denominator (a class with no target pixel and no predicted mass, e.g. an image whose pixels
    are all ignored, with ``smooth=0``) is a perfect score, 1: nothing to find and nothing found. A NaN
    one (a NaN score) stays NaN: ``den > 0`` would be false for it and score the NaN image as perfect.
    """
    den = den + smooth
    return torch.where(den == 0, torch.ones_like(den), (num + smooth) / den.clamp_min(eps))


def reduce_classes(loss: Tensor, reduction: str, *, owner: str, input: Tensor) -> Tensor:
    """``'none'``: the ``(N, C)`` or ``(C,)`` losses; ``'sum'``: their sum; ``'mean'``: their mean; in the dtype
    the loss returns for ``input`` (float32 under autocast, see :func:`losskit.precision.output`)."""
    return output(reduce(loss, reduction, owner=owner), input)
