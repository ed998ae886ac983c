"""The global batch for in-batch losses under ``torch.distributed``, and their reduction.

Convention (that of :mod:`losskit.distributed`): each rank computes the losses of
its *local* anchors against the *global* batch (gathered with gradient), so
``reduction='none'`` gives the local anchors' losses; ``'sum'`` and ``'mean'``
are all-reduced with gradient, so every rank gets the value over the global
batch. Rank ``r``'s input gradient is then ``world_size`` times the
single-process gradient of its rows, and DDP's averaging of parameter gradients
gives exactly the gradient of one process over the global batch. (A caller that
reduces ``'none'`` itself gets, through the gather, the gradient of the sum of
every rank's reduction.) In one process every step is the identity.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.distributed as dist
from torch import Tensor

from losskit.distributed import all_gather_cat, all_reduce_sum, is_distributed
from losskit.reduction import mean_over


class GlobalBatch(NamedTuple):
    """Every rank's rows in rank order; ``offset`` is where this rank's rows start."""

    embeddings: Tensor
    labels: Tensor | None
    offset: int


def gather(embeddings: Tensor, labels: Tensor | None = None) -> GlobalBatch:
    """The global batch: embeddings with gradient, labels without, and this rank's row offset."""
    if not is_distributed():
        return GlobalBatch(embeddings, labels, 0)
    sizes = all_gather_cat(torch.tensor([embeddings.shape[0]], device=embeddings.device))
    offset = int(sizes[: dist.get_rank()].sum())
    return GlobalBatch(all_gather_cat(embeddings), None if labels is None else all_gather_cat(labels), offset)


def reduce_global(local: Tensor, reduction: str, global_count: int) -> Tensor:
    """``'none'``: the local anchors' losses; ``'sum'``/``'mean'``: over the global batch, on every rank."""
    if reduction == "none":
        return local
    total = all_reduce_sum(local.sum())
    return total if reduction == "sum" else mean_over(total, total.new_tensor(global_count))
