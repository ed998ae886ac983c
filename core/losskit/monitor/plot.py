"""A PNG of the curves with the findings marked (matplotlib, imported only when a plot is asked for)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from .records import TOTAL

if TYPE_CHECKING:  # pragma: no cover
    from .report import Report

__all__ = ["plot_report"]

COLORS = {"info": "#4c72b0", "warning": "#dd8452", "critical": "#c44e52"}


def _figure(**kwargs: Any) -> Any:
    """A matplotlib Figure that is not registered with pyplot: no backend or global state is touched."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(
            "losskit monitor: plotting needs matplotlib, which is not installed. "
            "`pip install 'losskit[monitor]'` (or `pip install matplotlib`) adds it."
        ) from None
    return Figure(**kwargs)


def plot_report(report: Report, path: str | Path, *, title: str | None = None, dpi: int = 90) -> Path:
    """Plot the total (train and validation) above the parts, and mark each finding on its curve.

    The y axis is logarithmic when every finite value is positive. Findings are
    drawn as markers coloured by severity (info, warning, critical), labelled
    with the detector; a non-finite value is marked at the top of its panel.
    """
    history = report.history
    if history is None:
        raise ValueError(f"{report.source}: nothing to plot, the log holds no values.")
    parts = list(history.names[1:])
    fig = _figure(figsize=(8, 5.5 if parts else 3.5))
    axes = fig.subplots(2 if parts else 1, 1, sharex=True, squeeze=False)
    panels = {TOTAL: axes[0, 0], **{p: axes[-1, 0] for p in parts}}
    steps = history.steps.numpy()
    for name, ax in panels.items():
        ax.plot(steps, history.column(name).numpy(), lw=0.8, label=f"{name} (train)" if name == TOTAL else name)
        val = history.val_column(name)
        if name == TOTAL and val.numel() and torch.isfinite(val).any():
            ax.plot(history.val_steps.numpy(), val.numpy(), "o-", ms=3, lw=1, color="black", label="total (val)")
    unique_axes = list({id(a): a for a in panels.values()}.values())
    for ax in unique_axes:
        finite = [line.get_ydata() for line in ax.get_lines()]
        values = torch.cat([torch.as_tensor(y, dtype=torch.float64) for y in finite]) if finite else torch.ones(1)
        values = values[torch.isfinite(values)]
        if values.numel() and bool((values > 0).all()):
            from matplotlib.ticker import LogFormatter

            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(LogFormatter())
            ax.yaxis.set_minor_formatter(LogFormatter(labelOnlyBase=False))
        ax.grid(alpha=0.3)
        ax.margins(y=0.12)  # room for the labels above the highest point
    seen: set[str] = set()
    for finding in report.findings:
        ax = panels.get(finding.term, axes[0, 0])
        y = _value_at(history, finding)
        color, label = COLORS[finding.severity], finding.severity if finding.severity not in seen else None
        seen.add(finding.severity)
        if math.isfinite(y):
            ax.plot([finding.step], [y], "o", ms=8, mfc="none", mew=1.8, color=color, label=label)
            ax.annotate(finding.detector, (finding.step, y), xytext=(4, 6), textcoords="offset points",
                        fontsize=7, color=color)
        else:  # no point to mark: a line at the step, labelled inside the panel
            ax.axvline(finding.step, color=color, ls="--", lw=1.2, label=label)
            ax.text(finding.step, 0.03, f" {finding.detector}", transform=ax.get_xaxis_transform(), fontsize=7,
                    color=color, va="bottom")
    for ax in unique_axes:
        ax.legend(loc="best", fontsize=7, ncol=2)
    axes[0, 0].set_ylabel("total")
    if parts:
        axes[-1, 0].set_ylabel("parts")
    axes[-1, 0].set_xlabel("step")
    name = Path(report.source).name
    axes[0, 0].set_title(title or f"{name}: {len(report.alarms)} alarms, {len(report.findings)} findings",
                         fontsize=9)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=dpi)
    return path


def _value_at(history: Any, finding: Any) -> float:
    """The curve's value at the finding's step (the validation value for a validation finding)."""
    if finding.split == "val":
        hits = (history.val_steps == finding.step).nonzero()
        return float(history.val_column(finding.term)[hits[-1]]) if hits.numel() else float("nan")
    hits = (history.steps == finding.step).nonzero()
    return float(history.column(finding.term)[hits[0]]) if hits.numel() else float("nan")
