"""Collectives with gradient, for losses whose value depends on the whole batch.

Under ``torch.distributed`` with more than one process, a batch-coupled loss
(fairness group rates, contrastive negatives) must see the global batch. These
helpers reduce or gather across ranks *with* gradient; in a single process
(``torch.distributed`` unavailable, not initialised, or a world of one) they
are the identity, so a loss calls them unconditionally.

Gradient convention (the one DDP expects): the backward of a collective sums,
over ranks, the gradients of every rank's loss with respect to this rank's
tensor. When every rank computes the same global loss ``L`` (e.g. a fairness
penalty over the all-reduced group rates), rank ``r`` therefore receives
``world_size * dL/dx_r``; DDP then *averages* parameter gradients over ranks,
which gives exactly the gradient of ``L`` that one process over the global
batch would compute.

The collectives use the default process group and the tensors' own device
(gloo on CPU, NCCL on CUDA).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.distributed as dist
from torch import Tensor

__all__ = ["all_gather_cat", "all_reduce_sum", "is_distributed", "max_over_ranks", "world_size"]


def is_distributed() -> bool:
    """True in an initialised process group of more than one process."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def world_size() -> int:
    """The number of processes, 1 outside ``torch.distributed``."""
    return dist.get_world_size() if is_distributed() else 1


class _AllReduceSum(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, tensor: Tensor) -> Tensor:
        out = tensor.clone(memory_format=torch.contiguous_format)
        dist.all_reduce(out, op=dist.ReduceOp.SUM)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        grad = grad.clone(memory_format=torch.contiguous_format)
        dist.all_reduce(grad, op=dist.ReduceOp.SUM)
        return grad


class _AllGatherCat(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, tensor: Tensor) -> Tensor:
        size = torch.tensor([tensor.shape[0]], dtype=torch.long, device=tensor.device)
        sizes = [torch.empty_like(size) for _ in range(dist.get_world_size())]
        dist.all_gather(sizes, size)
        counts = [int(s.item()) for s in sizes]
        # all_gather needs equal shapes: pad every rank's rows to the longest, then trim.
        padded = tensor.new_zeros((max(counts), *tensor.shape[1:]))
        padded[: tensor.shape[0]] = tensor
        parts = [torch.empty_like(padded) for _ in counts]
        dist.all_gather(parts, padded)
        rank = dist.get_rank()
        ctx.start, ctx.stop = sum(counts[:rank]), sum(counts[: rank + 1])
        return torch.cat([part[:n] for part, n in zip(parts, counts)])

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        grad = grad.clone(memory_format=torch.contiguous_format)
        dist.all_reduce(grad, op=dist.ReduceOp.SUM)
        return grad[ctx.start : ctx.stop]


def all_reduce_sum(tensor: Tensor) -> Tensor:
    """The sum of ``tensor`` over every rank, differentiable (identity in one process)."""
    return _AllReduceSum.apply(tensor) if is_distributed() else tensor


def max_over_ranks(value: int, device: torch.device) -> int:
    """The largest of an integer over every rank (no gradient; ``device`` as the backend needs)."""
    if not is_distributed():
        return value
    t = torch.tensor([value], dtype=torch.long, device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return int(t.item())


def all_gather_cat(tensor: Tensor) -> Tensor:
    """Every rank's ``tensor`` concatenated along dim 0 in rank order, differentiable.

    The ranks may hold different numbers of rows (the last batch of an epoch);
    the other dimensions must agree. Identity in one process.
    """
    return _AllGatherCat.apply(tensor) if is_distributed() else tensor
