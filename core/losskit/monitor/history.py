"""The host-side copy of the curves that the detectors read: train rows, validation points, initial levels.

Values arrive in batches (every ``read_every`` steps, see :mod:`.buffer`) as a
``(rows, terms)`` float64 tensor; column 0 is always ``"total"``. The train
history keeps the last ``keep`` rows (``None``: all of them, for offline
analysis and plots); validation points are few and all kept.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch
from torch import Tensor

from ..errors import LossInputError
from . import stats
from .records import TOTAL

__all__ = ["History"]

#: How many first finite values of a term define its initial level.
INITIAL_WINDOW = 20


class History:
    """Per-term curves on the host, as float64 tensors (NaN: non-finite or absent)."""

    def __init__(self, names: Sequence[str], *, keep: int | None = 4096, weights: Mapping[str, float] | None = None):
        if not names or names[0] != TOTAL:
            raise ValueError(f"History: the first name must be 'total', got {list(names)}")
        self.names: tuple[str, ...] = tuple(names)
        self.keep = keep
        self.weights: dict[str, float] = dict(weights or {})
        self.steps = torch.empty(0, dtype=torch.long)
        self.values = torch.empty(0, len(names), dtype=torch.float64)
        self.val_steps = torch.empty(0, dtype=torch.long)
        self.val_values = torch.empty(0, len(names), dtype=torch.float64)
        self.rows_seen = 0
        self._initial = torch.full((len(names),), math.nan, dtype=torch.float64)
        self._first: list[list[float]] = [[] for _ in names]

    def index(self, name: str) -> int:
        return self.names.index(name)

    def extend(self, steps: Sequence[int] | Tensor, values: Tensor) -> None:
        """Append train rows: ``steps`` (rows,) and ``values`` (rows, terms) in :attr:`names` order."""
        steps = torch.as_tensor(steps, dtype=torch.long).reshape(-1)
        values = values.to(torch.float64).reshape(steps.shape[0], len(self.names))
        self.steps = torch.cat([self.steps, steps])
        self.values = torch.cat([self.values, values])
        self.rows_seen += steps.shape[0]
        if self.keep is not None and self.steps.shape[0] > 2 * self.keep:  # trim in chunks, not every batch
            self.steps, self.values = self.steps[-self.keep :].clone(), self.values[-self.keep :].clone()
        self._note_initial(values)

    def add_validation(self, step: int, values: Tensor) -> None:
        """Append one validation point (terms,) in :attr:`names` order (NaN for a term it lacks)."""
        self.val_steps = torch.cat([self.val_steps, torch.tensor([step])])
        self.val_values = torch.cat([self.val_values, values.to(torch.float64).reshape(1, -1)])

    def column(self, name: str) -> Tensor:
        """The train curve of one term."""
        return self.values[:, self.index(name)]

    def val_column(self, name: str) -> Tensor:
        return self.val_values[:, self.index(name)]

    def initial(self, name: str) -> float:
        """The median of the term's first :data:`INITIAL_WINDOW` finite values (NaN until it has them)."""
        return float(self._initial[self.index(name)])

    def level(self, name: str, *, width: int, end: int | None = None) -> float:
        """The median of the term's last ``width`` train values up to row ``end`` (NaN with none)."""
        x = self.column(name)[:end]
        window = x[-width:]
        return float(stats.median(window.reshape(1, -1))[0]) if window.numel() else math.nan

    def part_names(self) -> tuple[str, ...]:
        """The composite's own terms: every name but the total and nested parts (``multitask/seg``)."""
        return tuple(n for n in self.names[1:] if "/" not in n)

    def _note_initial(self, values: Tensor) -> None:
        for j in range(len(self.names)):
            first = self._first[j]
            if len(first) >= INITIAL_WINDOW:
                continue
            column = values[:, j]
            first += column[torch.isfinite(column)][: INITIAL_WINDOW - len(first)].tolist()
            if len(first) >= INITIAL_WINDOW:
                self._initial[j] = torch.tensor(first, dtype=torch.float64).median()


def check_names(expected: Sequence[str], got: Sequence[str], *, what: str) -> None:
    """Raise :class:`LossInputError` unless a step's terms are the monitor's terms, naming the difference."""
    if tuple(expected) != tuple(got):
        missing = sorted(set(expected) - set(got))
        extra = sorted(set(got) - set(expected))
        raise LossInputError(
            f"monitor: {what} has the terms {list(got)}, but the monitor was started with {list(expected)}"
            f" (missing {missing}, new {extra}). Feed every step the same loss.breakdown() parts, in one order."
        )
