"""The global batch for in-batch losses under ``torch.distributed``, and their reduction.

Convention (that of :mod:`losskit.distributed`): each rank computes the losses of
its *local* anchors against the *global* batch (gathered with gradient), so
``reduction='none'`` gives the local anchors' losses; ``'sum'`` and ``'mean'``
are all-reduced with gradient, so every rank gets the value over the global
batch. Rank ``r``'s input gradient is then ``world_size`` times the
single-process gradient of its rows, and DDP's averaging of parameter gradients
gives exactly the gradient of one process over the global batch. (A caller that
reduces ``'none'`` itself gets, through the gather, the gradient of the sum of
every rank's reduction.) In one process, or for a loss built with ``gather=False``
(the shared :data:`losskit.distributed.GATHER` parameter), every step is the identity
and the loss is that of this rank's batch alone.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.distributed as dist
from torch import Tensor

from losskit.distributed import all_gather_cat, all_reduce_sum, gathers
from losskit.reduction import mean_over


class GlobalBatch(NamedTuple):
    """Every rank's rows in rank order; ``offset`` is where this rank's rows start."""

    embeddings: Tensor
    labels: Tensor | None
    offset: int


def global_batch(embeddings: Tensor, labels: Tensor | None = None, *, gather: bool, owner: str) -> GlobalBatch:
    """The global batch (this rank's unless ``gather``): embeddings with gradient, labels without, this rank's
    row offset. ``owner`` is the loss a collective that cannot complete names."""
    if not gathers(gather):
        return GlobalBatch(embeddings, labels, 0)
    sizes = all_gather_cat(torch.tensor([embeddings.shape[0]], device=embeddings.device), owner=owner)
    offset = int(sizes[: dist.get_rank()].sum())
    everyone = all_gather_cat(embeddings, owner=owner)
    return GlobalBatch(everyone, None if labels is None else all_gather_cat(labels, owner=owner), offset)


def reduce_global(local: Tensor, reduction: str, global_count: int, *, gather: bool, owner: str) -> Tensor:
    """``'none'``: the local anchors' losses; ``'sum'``/``'mean'``: over the global batch (this rank's unless
    ``gather``), on every rank."""
    if reduction == "none":
        return local
    total = all_reduce_sum(local.sum(), gather=gather, owner=owner)
    return total if reduction == "sum" else mean_over(total, total.new_tensor(global_count))
