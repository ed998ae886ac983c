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

import torch
from torch import Tensor

from losskit.distributed import all_gather_cat


def lovasz_extension(errors: Tensor, fg: Tensor) -> Tensor:
    """:math:`\\overline{\\Delta}` along the last dim: ``errors`` (..., P) >= 0, ``fg`` (..., P) in {0, 1}."""
    sorted_errors, order = errors.sort(dim=-1, descending=True)
    fg_sorted = fg.gather(-1, order).long()
    # Counts in integers: exact for any number of pixels (float32 cumsums stop being exact past 2^24).
    total = fg_sorted.sum(-1, keepdim=True)
    intersection = total - fg_sorted.cumsum(-1)
    union = total + (1 - fg_sorted).cumsum(-1)  # >= 1: it counts the first pixel or the target
    jaccard = 1 - intersection.to(errors.dtype) / union.to(errors.dtype)
    increments = torch.cat([jaccard[..., :1], jaccard[..., 1:] - jaccard[..., :-1]], dim=-1)
    return (sorted_errors * increments).sum(-1)


def units(errors: Tensor, fg: Tensor, *, per_image: bool, gather: bool, owner: str) -> tuple[Tensor, Tensor]:
    """``(N, C, P)`` errors and targets as ``(U, C, P')``: each image a unit, or the whole batch one unit.

    Over the batch, under ``torch.distributed`` and with ``gather``, the pixels of every rank are gathered
    (with gradient), so that every rank sorts the global batch's errors; ``owner`` (the loss's name) is what
    a collective's error names.
    """
    if per_image:
        return errors, fg
    c = errors.shape[1]
    rows = torch.stack([errors, fg], dim=-1).permute(0, 2, 1, 3).reshape(-1, c, 2)  # (N * P, C, 2)
    rows = all_gather_cat(rows, gather=gather, owner=owner)
    return rows[..., 0].T.unsqueeze(0), rows[..., 1].T.unsqueeze(0)
