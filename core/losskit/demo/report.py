"""What the demo leaves: the rows of its table, a log of each run, the metrics as JSON and a PNG of the curves.

The logs are in the format ``losskit monitor`` reads (one JSON object per step), so
``losskit monitor losskit-demo/composite.jsonl`` reports on a run. matplotlib is
imported only to draw the PNG, and only its Agg canvas (pyplot is never touched).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .training import Run

MAX_PANELS = 8


def slug(label: str) -> str:
    """A file name for a run's label: ``cross-entropy`` -> ``cross_entropy``."""
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_") or "run"


def term_names(runs: Sequence[Run]) -> list[str]:
    """Every part name the runs' own losses have, in the order of the runs."""
    return list(dict.fromkeys(name for run in runs for name in run.trained))


def table(runs: Sequence[Run]) -> list[list[tuple[str, list[str]]]]:
    """Two sections of ``(row label, one cell per run)``: the test-set scores, then the final test-set loss and
    each of its terms (with its weight in the sum)."""
    scores = [
        ("accuracy", [f"{r.scores.accuracy:.3f}" for r in runs]),
        ("balanced accuracy", [f"{r.scores.balanced_accuracy:.3f}" for r in runs]),
        ("demographic-parity gap", [f"{r.scores.parity_gap:.3f}" for r in runs]),
    ]
    losses = [("final loss (test): total", [f"{r.final['total']:.4g}" for r in runs])]
    for name in term_names(runs):
        cells = []
        for run in runs:
            if name not in run.final:
                cells.append("-")
                continue
            weight = run.weights().get(name, 1.0)
            cells.append(f"{run.final[name]:.4g}" + (f" (x{weight:g})" if weight != 1.0 else ""))
        losses.append((f"  {name}", cells))
    return [scores, losses]


def write_logs(runs: Sequence[Run], out: Path) -> list[Path]:
    """``<run>.jsonl``: the step, the total and the run's own terms at every training step."""
    paths = []
    for run in runs:
        path = out / f"{slug(run.label)}.jsonl"
        with open(path, "w", encoding="utf-8") as handle:
            for i, step in enumerate(run.steps):
                record = {"step": step, "split": "train", "total": run.totals[i]}
                record.update((name, run.curves[name][i]) for name in run.trained)
                handle.write(json.dumps(record) + "\n")
        paths.append(path)
    return paths


def metrics(runs: Sequence[Run]) -> dict[str, Any]:
    """Each run's loss (as config), test-set scores and final test-set loss values: what ``metrics.json`` holds."""
    return {
        "runs": [
            {
                "run": run.label,
                "loss": run.loss.to_config(),
                "accuracy": run.scores.accuracy,
                "balanced_accuracy": run.scores.balanced_accuracy,
                "demographic_parity_gap": run.scores.parity_gap,
                "final_loss": run.final,
            }
            for run in runs
        ]
    }


def write_metrics(runs: Sequence[Run], out: Path) -> Path:
    path = out / "metrics.json"
    path.write_text(json.dumps(metrics(runs), indent=2) + "\n", encoding="utf-8")
    return path


def plot_curves(runs: Sequence[Run], path: Path) -> Path:
    """One panel per term: its training-set value at each step in every run that logged it.

    A solid line is a term of the run's own loss, a dashed one a term only measured on that run.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    names = [n for n in term_names(runs) if any(n in r.curves for r in runs)][:MAX_PANELS]
    columns = min(len(names), 2 if len(names) == 4 else 3)
    rows = math.ceil(len(names) / columns)
    fig = Figure(figsize=(4.2 * columns, 3.0 * rows + 0.6), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    colours = ["#4c72b0", "#dd8452", "#55a868", "#c44e52"]
    for ax, name in zip(axes, names):
        for i, run in enumerate(runs):
            if name not in run.curves:
                continue
            own = name in run.trained
            label = run.label + ("" if own else " (measured only)")
            ax.plot(run.steps, run.curves[name], ls="-" if own else "--", lw=1.6, color=colours[i % 4], label=label)
        weights = {f"x{r.weights()[name]:g}" for r in runs if name in r.trained and r.weights().get(name, 1.0) != 1.0}
        ax.set_title(name + (f"  (weight {', '.join(sorted(weights))})" if weights else ""), fontsize=10)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    for ax in axes[len(names):]:
        ax.set_visible(False)
    fig.suptitle("losskit demo: each term's unweighted value on the training set", fontsize=11)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    return path

