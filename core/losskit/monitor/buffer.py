"""On-device staging of per-step values: one row per step written without a host sync, read in batches.

Each step's total and parts are stacked into one float32 row on the loss's
device and written into a ``(read_every, columns)`` buffer there: no
``.item()``, no ``.cpu()``, so a CUDA training loop never waits for the monitor.
Every ``read_every`` steps :meth:`DeviceBuffer.drain` copies the rows to the
host at once (one synchronisation per batch). Under ``torch.distributed`` the
rows are all-reduced (mean over ranks) first, one collective per batch, so
that every rank decides on the same numbers; a NaN on any rank reaches all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
import torch.distributed as dist
from torch import Tensor

from ..distributed import is_distributed, world_size
from ..errors import LossInputError
from .records import TOTAL

__all__ = ["DeviceBuffer", "all_reduce_mean", "stack_values"]


def stack_values(out: Any) -> tuple[tuple[str, ...], Tensor]:
    """``("total", *parts)`` and their values as one detached float32 row, on the total's device.

    ``out`` is what :meth:`losskit.Loss.breakdown` returns (a ``LossOutput(total, parts)``),
    any ``(total, parts)`` pair, a mapping with a ``"total"`` (or ``"loss"``) entry and
    the parts, or a bare total. Values are scalar tensors or numbers. ``"total"`` names the
    total, so a part of that name (a term named ``"total"``) is an error.
    """
    if isinstance(out, Mapping):
        parts = dict(out)
        key = TOTAL if TOTAL in parts else "loss"
        if key not in parts:
            raise LossInputError(
                f"monitor: a mapping of values needs a 'total' (or 'loss') entry, got the keys {sorted(parts)}."
            )
        total = parts.pop(key)
    elif isinstance(out, tuple) and len(out) == 2 and isinstance(out[1], Mapping):
        total, parts = out[0], dict(out[1])
    else:
        total, parts = out, {}
    if TOTAL in parts:
        raise LossInputError(
            "monitor: the loss has a term named 'total', the name the monitor keeps for the total loss, so the two "
            "would share one curve. Give the term another name: WeightedSum(names=[...]), or 'label' in a config."
        )
    total = _scalar(TOTAL, total, None)
    names = (TOTAL, *parts)
    row = [total, *(_scalar(str(k), v, total.device) for k, v in parts.items())]
    return names, torch.stack(row)


def _scalar(name: str, value: Any, device: torch.device | None) -> Tensor:
    if not isinstance(value, Tensor):
        return torch.tensor(float(value), dtype=torch.float32, device=device)
    if value.numel() != 1:
        raise LossInputError(
            f"monitor: {name!r} has shape {tuple(value.shape)}; the monitor watches one number per term and step. "
            "Use reduction='mean' (or 'sum') for the monitored loss."
        )
    return value.detach().reshape(()).to(device=device if device is not None else value.device, dtype=torch.float32)


def all_reduce_mean(tensor: Tensor) -> Tensor:
    """The mean of ``tensor`` over ranks, in place (the identity in one process)."""
    if is_distributed():
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
        tensor /= world_size()
    return tensor


class DeviceBuffer:
    """``capacity`` rows of ``columns`` float32 values on ``device``, filled one row per step."""

    def __init__(self, capacity: int, columns: int, device: torch.device) -> None:
        self.capacity = capacity
        self.data = torch.empty(capacity, columns, dtype=torch.float32, device=device)
        self.steps: list[int] = []

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def full(self) -> bool:
        return len(self.steps) >= self.capacity

    def append(self, step: int, row: Tensor) -> None:
        """Write one row at the next free position: an asynchronous copy on the device."""
        self.data[len(self.steps)].copy_(row, non_blocking=True)
        self.steps.append(step)

    def drain(self, *, reduce: bool) -> tuple[list[int], Tensor]:
        """The steps and rows written since the last drain, on the host in float64 (one synchronisation)."""
        steps, n = self.steps, len(self.steps)
        self.steps = []
        rows = self.data[:n].clone()
        if reduce:
            all_reduce_mean(rows)
        return steps, rows.to("cpu", torch.float64)
