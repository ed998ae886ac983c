"""Collectives with gradient, for losses whose value depends on the whole batch.

Under ``torch.distributed`` with more than one process, a batch-coupled loss
(fairness group rates, contrastive negatives) must see the global batch. These
helpers reduce or gather across ranks *with* gradient; in a single process
(``torch.distributed`` unavailable, not initialised, or a world of one), or
when the loss is built with ``gather=False``, they are the identity, so a loss
calls them unconditionally.

Gathering is an explicit parameter of every loss that does it, declared once
here as :data:`GATHER` (``gather: bool = GATHER`` in the loss's class body):

* ``gather=True`` (the default): under a process group of several ranks, the
  value is that of the global batch, the same on every rank. **Every rank must
  call the loss at the same step** (and run its backward), as DDP's own
  gradient all-reduce requires.
* ``gather=False``: this rank's batch only, with no communication; for a loss
  evaluated on one rank (validation or logging on rank 0), or per-rank losses
  on purpose.

A collective that not every rank joins cannot complete. Instead of waiting for
the process group's timeout (30 minutes by default) and failing with a message
about sockets, each collective here waits at most ``LOSSKIT_COLLECTIVE_TIMEOUT``
seconds (default :data:`DEFAULT_TIMEOUT`; ``0`` leaves it to the process group)
and then raises :class:`~losskit.errors.CollectiveError` naming the loss and the
fix. After such an error the ranks are out of step: stop the job and fix the call.

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

import datetime
import os
from typing import Any

import torch
import torch.distributed as dist
from torch import Tensor

from .errors import CollectiveError, ConfigError
from .params import Param

__all__ = [
    "DEFAULT_TIMEOUT",
    "ENV_TIMEOUT",
    "GATHER",
    "all_gather_cat",
    "all_reduce_sum",
    "collective_timeout",
    "gathers",
    "is_distributed",
    "max_over_ranks",
    "world_size",
]

#: The ``gather`` parameter of every batch-coupled loss: declared once, here.
GATHER = Param(
    "gather",
    True,
    "under torch.distributed, compute over every rank's batch (every rank must then call the loss at the same "
    "step); False: over this rank's batch only, with no communication (e.g. validation on rank 0)",
    type=bool,
)

#: Environment variable: how many seconds a loss's collective waits for the other ranks (0: the process group's).
ENV_TIMEOUT = "LOSSKIT_COLLECTIVE_TIMEOUT"
#: Seconds a collective waits by default: long enough for a slow rank, far short of gloo's 30 minutes.
DEFAULT_TIMEOUT = 300.0

_ANY = "a batch-coupled loss"


def is_distributed() -> bool:
    """True in an initialised process group of more than one process."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def world_size() -> int:
    """The number of processes, 1 outside ``torch.distributed``."""
    return dist.get_world_size() if is_distributed() else 1


def gathers(gather: bool = True) -> bool:
    """Whether a loss built with ``gather`` communicates: it asks for it and there are several ranks."""
    return gather and is_distributed()


def collective_timeout() -> float | None:
    """Seconds a collective waits (``LOSSKIT_COLLECTIVE_TIMEOUT``, default 300); ``None``: the process group's."""
    text = os.environ.get(ENV_TIMEOUT, "").strip()
    if not text:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0 or seconds == float("inf"):
        raise ConfigError(f"{ENV_TIMEOUT}: must be a number of seconds >= 0 (0: the process group's timeout), "
                          f"got {text[:40]!r}.")
    return seconds or None


def _wait(work: Any, owner: str, what: str) -> None:
    """Wait for an asynchronous collective; a :class:`CollectiveError` naming ``owner`` if it cannot complete."""
    timeout = collective_timeout()
    try:
        done = work.wait() if timeout is None else work.wait(timeout=datetime.timedelta(seconds=timeout))
    except Exception as exc:  # the backends raise RuntimeError / DistBackendError on a timeout or a lost peer
        raise CollectiveError(_stuck(owner, what, timeout, exc)) from exc
    if done is False:
        raise CollectiveError(_stuck(owner, what, timeout, None))


def _stuck(owner: str, what: str, timeout: float | None, cause: BaseException | None) -> str:
    waited = f"within {timeout:g} s" if timeout is not None else "within the process group's timeout"
    reason = f" ({type(cause).__name__}: {str(cause).strip().splitlines()[0][:200]})" if cause and str(cause) else ""
    return (
        f"{owner}: the {what} across {dist.get_world_size()} ranks did not complete {waited} on rank "
        f"{dist.get_rank()}{reason}. With gather=True (the default) every rank must call {owner} at the same "
        f"step, and run its backward. To compute it on this rank's batch alone (e.g. validation on rank 0), "
        f"build it with gather=False. {ENV_TIMEOUT} sets how long to wait. The ranks are now out of step: "
        "stop the job and fix the call."
    )


def _all_reduce(tensor: Tensor, owner: str, what: str, op: Any = None) -> None:
    _wait(dist.all_reduce(tensor, op=op or dist.ReduceOp.SUM, async_op=True), owner, what)


def _all_gather(parts: list[Tensor], tensor: Tensor, owner: str, what: str) -> None:
    _wait(dist.all_gather(parts, tensor, async_op=True), owner, what)


class _AllReduceSum(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, tensor: Tensor, owner: str) -> Tensor:
        ctx.owner = owner
        out = tensor.clone(memory_format=torch.contiguous_format)
        _all_reduce(out, owner, "sum")
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, None]:
        grad = grad.clone(memory_format=torch.contiguous_format)
        _all_reduce(grad, ctx.owner, "sum of gradients (backward)")
        return grad, None


class _AllGatherCat(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, tensor: Tensor, owner: str) -> Tensor:
        ctx.owner = owner
        size = torch.tensor([tensor.shape[0]], dtype=torch.long, device=tensor.device)
        sizes = [torch.empty_like(size) for _ in range(dist.get_world_size())]
        _all_gather(sizes, size, owner, "gather of batch sizes")
        counts = [int(s.item()) for s in sizes]
        # all_gather needs equal shapes: pad every rank's rows to the longest, then trim.
        padded = tensor.new_zeros((max(counts), *tensor.shape[1:]))
        padded[: tensor.shape[0]] = tensor
        parts = [torch.empty_like(padded) for _ in counts]
        _all_gather(parts, padded, owner, "gather of the batch")
        rank = dist.get_rank()
        ctx.start, ctx.stop = sum(counts[:rank]), sum(counts[: rank + 1])
        return torch.cat([part[:n] for part, n in zip(parts, counts)])

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, None]:
        grad = grad.clone(memory_format=torch.contiguous_format)
        _all_reduce(grad, ctx.owner, "sum of gradients (backward)")
        return grad[ctx.start : ctx.stop], None


def all_reduce_sum(tensor: Tensor, *, gather: bool = True, owner: str = _ANY) -> Tensor:
    """The sum of ``tensor`` over every rank, differentiable; identity in one process or with ``gather=False``.

    ``owner`` (the loss's name) is what a :class:`~losskit.errors.CollectiveError` names.
    """
    return _AllReduceSum.apply(tensor, owner) if gathers(gather) else tensor


def max_over_ranks(value: int, device: torch.device, *, gather: bool = True, owner: str = _ANY) -> int:
    """The largest of an integer over every rank (no gradient; ``device`` as the backend needs)."""
    if not gathers(gather):
        return value
    t = torch.tensor([value], dtype=torch.long, device=device)
    _all_reduce(t, owner, "maximum", dist.ReduceOp.MAX)
    return int(t.item())


def all_gather_cat(tensor: Tensor, *, gather: bool = True, owner: str = _ANY) -> Tensor:
    """Every rank's ``tensor`` concatenated along dim 0 in rank order, differentiable.

    The ranks may hold different numbers of rows (the last batch of an epoch);
    the other dimensions must agree. Identity in one process or with ``gather=False``.
    """
    return _AllGatherCat.apply(tensor, owner) if gathers(gather) else tensor
