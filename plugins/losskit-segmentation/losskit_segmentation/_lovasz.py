r"""The Lovász extension of the Jaccard loss (Berman, Rannen Triki & Blaschko, CVPR 2018), shared by
Lovász-Softmax and Lovász hinge.

For errors :math:`m \in \mathbb{R}_{\ge 0}^P` sorted decreasingly, :math:`m_{\pi_1} \ge \dots \ge m_{\pi_P}`,
and the Jaccard loss of a set :math:`M` of mispredicted pixels, :math:`\Delta(M) = |M| / |G \cup M|`
(:math:`G` the target pixels of the class), the extension is (paper, eqs. 8-9)

.. math::
    \overline{\Delta}(m) = \sum_{k=1}^{P} m_{\pi_k}
        \left(\Delta(\{\pi_1, \dots, \pi_k\}) - \Delta(\{\pi_1, \dots, \pi_{k-1}\})\right)

Ignored pixels enter with error 0 and outside :math:`G`: they sort last (or tie at 0) and add nothing.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from losskit.distributed import all_gather_cat, gathers


class _LovaszExtension(torch.autograd.Function):
    r""":math:`\overline{\Delta}` of each row, with its gradient (the increments, back in pixel order) formed in
    the forward: all that is kept for backward is that one ``(..., P)`` tensor, not the sort's indices."""

    @staticmethod
    def forward(ctx: Any, errors: Tensor, fg: Tensor) -> Tensor:
        sorted_errors, order = _sort_descending(errors)
        fg_sorted = fg.gather(-1, order)
        # Counts in integers, exact for any number of pixels (float32 cumsums stop being exact past 2^24):
        # with k the rank and F_k the targets among the first k pixels, intersection = |G| - F_k and
        # union = |G| + k - F_k = intersection + k (>= 1: it counts the first pixel or the target).
        count = fg_sorted.cumsum(-1, dtype=torch.int64 if errors.shape[-1] >= 2**31 else torch.int32)
        del fg_sorted
        total = count[..., -1:].clone()
        intersection = count.neg_().add_(total)  # |G| - F_k, in place
        rank = torch.arange(1, errors.shape[-1] + 1, device=errors.device, dtype=intersection.dtype)
        jaccard = intersection.to(errors.dtype).div_(intersection + rank).neg_().add_(1)
        del intersection
        increments = torch.empty_like(jaccard)
        increments[..., :1] = jaccard[..., :1]
        torch.sub(jaccard[..., 1:], jaccard[..., :-1], out=increments[..., 1:])
        del jaccard
        loss = (sorted_errors * increments).sum(-1)  # a pairwise sum: a matmul's running sum drifts over P terms
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(torch.empty_like(errors).scatter_(-1, order, increments))
        return loss

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor | None, None]:
        (increments,) = ctx.saved_tensors
        return increments * grad.unsqueeze(-1), None


#: Integers of each float's width: non-negative IEEE-754 floats order as their bits read as integers.
_BITS = {torch.float32: torch.int32, torch.float64: torch.int64}


def _sort_descending(errors: Tensor) -> tuple[Tensor, Tensor]:
    """``errors`` (all >= 0) sorted decreasingly along the last dim, and the order. On CPU the sort runs on
    the bits as integers: the same order, ~13% faster than torch's float sort (measured, float32)."""
    bits = _BITS.get(errors.dtype)
    if bits is None or errors.device.type != "cpu" or torch.compiler.is_compiling():
        return errors.sort(dim=-1, descending=True)
    values, order = errors.view(bits).sort(dim=-1, descending=True)
    return values.view(errors.dtype), order


def lovasz_extension(errors: Tensor, fg: Tensor) -> Tensor:
    r""":math:`\overline{\Delta}` along the last dim: ``errors`` (..., P) >= 0, ``fg`` (..., P) bool (the target)."""
    return _LovaszExtension.apply(errors, fg)


def units(errors: Tensor, fg: Tensor, *, per_image: bool, gather: bool, owner: str) -> tuple[Tensor, Tensor]:
    """``(N, C, P)`` errors and targets as ``(U, C, P')``: each image a unit, or the whole batch one unit.

    Over the batch, under ``torch.distributed`` and with ``gather``, the pixels of every rank are gathered
    (with gradient), so that every rank sorts the global batch's errors; ``owner`` (the loss's name) is what
    a collective's error names.
    """
    if per_image:
        return errors, fg
    c = errors.shape[1]
    if not gathers(gather):  # (C, N * P): each class's pixels of the whole batch, in one row
        return errors.transpose(0, 1).reshape(1, c, -1), fg.transpose(0, 1).reshape(1, c, -1)
    rows = torch.stack([errors, fg.to(errors.dtype)], dim=-1).permute(0, 2, 1, 3).reshape(-1, c, 2)  # (N * P, C, 2)
    rows = all_gather_cat(rows, gather=gather, owner=owner)
    return rows[..., 0].T.unsqueeze(0), rows[..., 1].T.unsqueeze(0) != 0
