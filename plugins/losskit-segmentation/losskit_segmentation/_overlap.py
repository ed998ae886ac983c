r"""Per-class sums and overlap ratios shared by the region losses (Dice, Jaccard, Tversky).

Every region loss is a function of three sums per class over the pixels that are not ignored: the
intersection :math:`I_c = \sum_i p_{ic} g_{ic}`, the predicted mass :math:`S_c = \sum_i p_{ic}` (or
:math:`\sum_i p_{ic}^2`) and the target size :math:`G_c = \sum_i g_{ic}`; false positives and false negatives
are :math:`S_c - I_c` and :math:`G_c - I_c` (as MONAI derives them). In multiclass mode :math:`I_c` is the
probability of each pixel's target class, gathered and summed per class by index, and :math:`G_c` a count
by index: no ``(N, C, P)`` one-hot, and no full-size product, exists. From logits, :math:`I_c` and :math:`S_c`
come from :func:`~losskit_segmentation._softmax_sums.softmax_sums`, whose backward is written out in closed
form (two passes over the probabilities, instead of autograd's walk through the gather and the softmax).

With ``per_image=True`` each sum runs over one image's pixels, giving ``(N, C)``; with
``per_image=False`` over every pixel of the batch, giving ``(C,)``. Under ``torch.distributed`` the
batch sums are all-reduced (with gradient) over the ranks, so that every rank gets the value one process
would compute over the global batch (gradient convention: :mod:`losskit.distributed`); a loss built with
``gather=False`` sums this rank's batch only.
"""

from __future__ import annotations

import torch
from torch import Tensor

from losskit.distributed import all_reduce_sum, gathers
from losskit.precision import no_autocast, output
from losskit.reduction import reduce

from ._inputs import class_indices, pixels, to_probabilities
from ._softmax_sums import softmax_sums


def region_sums(
    owner: str, input: Tensor, target: Tensor, *, mode: str, from_logits: bool, squared: bool = False,
    ignore_index: int, per_image: bool, gather: bool,
) -> tuple[Tensor, Tensor, Tensor]:
    """The per-class intersection, predicted mass (of squares with ``squared``) and target size, over the
    pixels that are not ignored: ``(N, C)`` each, or ``(C,)`` summed over the (global) batch.

    A NaN score makes its image's sums NaN, ignored pixels included (``NaN * 0`` is NaN), so that a NaN
    image never scores as perfect.
    """
    if mode == "multiclass":
        x, index, valid = class_indices(owner, input, target, ignore_index=ignore_index)
        classes = index.squeeze(1)
        at = x.new_ones(()).expand(classes.shape) if valid is None else valid.squeeze(1)  # (N, P)
        if from_logits:  # softmax: the fused sums and their closed-form backward
            intersection, mass = softmax_sums(x, index, valid, squared=squared)
        else:
            p = to_probabilities(owner, input, x, mode=mode, from_logits=from_logits)
            hit = p.gather(1, index).squeeze(1) * at  # (N, P): the probability of each pixel's target class
            intersection = hit.new_zeros(p.shape[:2]).scatter_add(1, classes, hit)
            mass = p * p if squared else p
            if valid is None:
                mass = mass.sum(-1)
            else:
                with no_autocast(input):  # autocast would run the bmm in bfloat16
                    mass = torch.bmm(mass, valid.transpose(1, 2)).squeeze(-1)  # masked sums, no product
        true = x.new_zeros(x.shape[:2]).scatter_add_(1, classes, at)
    else:
        x, g, valid = pixels(owner, input, target, mode=mode, ignore_index=ignore_index)
        p = to_probabilities(owner, input, x, mode=mode, from_logits=from_logits) * valid
        intersection, mass, true = (p * g).sum(-1), (p * p if squared else p).sum(-1), g.sum(-1)
    return class_sums(intersection, mass, true, per_image=per_image, gather=gather, owner=owner)


def class_sums(*sums: Tensor, per_image: bool, gather: bool, owner: str) -> tuple[Tensor, ...]:
    """The ``(N, C)`` per-image sums as they are with ``per_image``, else summed over the images (and, with
    ``gather``, the ranks); ``owner``, the loss's name, is what a collective's error names."""
    if per_image:
        return sums
    if not gathers(gather):  # one process: no collective to batch the three sums into
        return tuple(s.sum(0) for s in sums)
    batch = torch.stack(sums).sum(1)
    return tuple(all_reduce_sum(batch, gather=gather, owner=owner).unbind(0))


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
