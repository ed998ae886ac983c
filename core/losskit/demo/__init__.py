"""``losskit demo``: a small classifier trained twice on imbalanced data with a sensitive group.

Once with plain cross-entropy, once with a composite loss built from a config file
(by default the package's ``composite.yaml``: binary focal loss + an L2 penalty +
a demographic-parity penalty). Both runs start from the same weights on the same
data (:mod:`losskit.demo.data`); the result holds their test-set scores and the
per-step value of every term (:mod:`losskit.demo.training`), and
:func:`run_demo` writes the logs, ``metrics.json`` and ``loss_curves.png``
(:mod:`losskit.demo.report`) into ``out``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from ..config import build_loss
from . import report
from .data import synthetic
from .training import Run, head_for, train

if TYPE_CHECKING:
    from ..registry import Registry

__all__ = ["DEFAULT_CONFIG", "DemoResult", "run_demo"]

#: The composite trained by default (package data).
DEFAULT_CONFIG = files(__name__) / "composite.yaml"
STEPS = 300
TRAIN_SAMPLES = 2000
TEST_SAMPLES = 2000
BASELINE = "cross-entropy"  # the label of the plain run

#: Called as ``on_step(run_index, label, step, steps)`` after each training step.
OnStep = Callable[[int, str, int, int], None]


@dataclass
class DemoResult:
    """The two runs, the files written, and why there is no PNG when there is none."""

    runs: list[Run]
    files: list[Path] = field(default_factory=list)
    plot: Path | None = None
    no_plot: str | None = None


def run_demo(
    config: Any = None,
    *,
    out: str | Path = "losskit-demo",
    steps: int = STEPS,
    seed: int = 0,
    plot: bool = True,
    registry: Registry | None = None,
    on_step: OnStep | None = None,
) -> DemoResult:
    """Train with cross-entropy and with the composite ``config`` (a file, or anything ``build_loss`` takes).

    ``config=None`` is :data:`DEFAULT_CONFIG`. The output form (one logit with
    ``bce_with_logits``, or two with ``cross_entropy``) follows what the composite's terms take.
    """
    if registry is None:
        from .._default import default_registry

        registry = default_registry()
    if config is None:
        composite = build_loss(DEFAULT_CONFIG.read_text(encoding="utf-8"), registry=registry, format="yaml")
    else:
        composite = build_loss(config, registry=registry)
    label = Path(config).stem if isinstance(config, os.PathLike) else "composite"
    label = "composite" if label == BASELINE else label
    head = head_for(composite, registry)
    baseline = registry.get_loss(head.baseline)
    generator = torch.Generator().manual_seed(seed)
    data, test = synthetic(generator, TRAIN_SAMPLES), synthetic(generator, TEST_SAMPLES)
    plans = [(BASELINE, baseline, composite), (label, composite, baseline)]
    runs = []
    with _one_thread():
        for index, (name, loss, other) in enumerate(plans):
            hook = None if on_step is None else (lambda step, i=index, n=name: on_step(i, n, step, steps))
            runs.append(train(name, loss, [other], head, data, test, steps=steps, seed=seed, on_step=hook))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    result = DemoResult(runs, [*report.write_logs(runs, out), report.write_metrics(runs, out)])
    if plot:
        try:
            result.plot = report.plot_curves(runs, out / "loss_curves.png")
        except ImportError:
            result.no_plot = "matplotlib is not installed: `pip install 'losskit[plot]'` (or matplotlib) adds the PNG."
        else:
            result.files.append(result.plot)
    return result


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    """A 16-unit MLP is fastest on one thread, and one thread never oversubscribes a shared machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
