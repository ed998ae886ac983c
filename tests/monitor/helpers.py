"""Feeding synthetic curves to a monitor, as the offline mode does, and reading what it found."""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor

from losskit.monitor import Finding, Monitor


def run_curves(
    train: Mapping[str, Tensor], *, val: tuple[Tensor, Tensor] | None = None, read_every: int = 50, **kwargs
) -> Monitor:
    """A monitor (no actions) fed ``train`` (``"total"`` first), with ``val = (steps, totals)`` at their steps."""
    monitor = Monitor(actions=kwargs.pop("actions", []), read_every=read_every, **kwargs)
    n = len(next(iter(train.values())))
    done = 0
    for step, value in zip(*(val if val is not None else (torch.empty(0), torch.empty(0)))):
        step = int(step)
        monitor.extend(list(range(done, step + 1)), {k: v[done : step + 1].tolist() for k, v in train.items()})
        monitor.validate({"total": float(value)}, step=step)
        done = step + 1
    if done < n:
        monitor.extend(list(range(done, n)), {k: v[done:].tolist() for k, v in train.items()})
    monitor.close()
    return monitor


def of(findings: list[Finding], detector: str, term: str | None = None) -> list[Finding]:
    """The findings of one detector (on one term)."""
    return [f for f in findings if f.detector == detector and (term is None or f.term == term)]
