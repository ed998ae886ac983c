"""Offline mode: run the monitor over a log file and report what it found, as text, JSON lines or a plot."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .history import History
from .logfile import LoggedRun, read_log
from .monitor import Monitor
from .records import Finding

__all__ = ["Report", "analyze", "analyze_run"]


@dataclass
class Report:
    """The findings on one run, with the curves they were read from (``history`` keeps every row)."""

    source: str
    findings: list[Finding]
    history: History | None
    notes: list[str] = field(default_factory=list)

    @property
    def alarms(self) -> list[Finding]:
        """The ``warning`` and ``critical`` findings."""
        return [f for f in self.findings if f.is_alarm]

    def text(self, *, remedies: bool = True) -> str:
        """A human-readable summary: one paragraph per finding, its likely causes and remedies."""
        h = self.history
        rows = h.rows_seen if h is not None else 0
        vals = h.val_steps.numel() if h is not None else 0
        terms = ", ".join(h.names) if h is not None else "-"
        lines = [f"{self.source}: {rows} train steps, {vals} validations; terms: {terms}"]
        lines += [f"  note: {n}" for n in self.notes]
        if not self.findings:
            lines.append("no findings: the curves look healthy to every detector.")
        for finding in self.findings:
            lines.append(str(finding))
            if remedies:
                lines.append(f"    likely: {'; '.join(finding.causes[:3])}")
                lines.append(f"    try: {'; '.join(finding.remedies[:3])}")
        counts = {s: sum(f.severity == s for f in self.findings) for s in ("critical", "warning", "info")}
        lines.append(", ".join(f"{n} {s}" for s, n in counts.items()))
        return "\n".join(lines)

    def jsonl(self) -> str:
        """The findings as JSON lines, one finding a line."""
        return "".join(f.to_json() + "\n" for f in self.findings)

    def plot(self, path: str | Path, **kwargs: Any) -> Path:
        """Write a PNG of the curves with the findings marked (needs matplotlib: ``pip install losskit[monitor]``)."""
        from .plot import plot_report

        return plot_report(self, path, **kwargs)


def analyze(path: str | Path, **monitor_kwargs: Any) -> Report:
    """Read a log file (see :mod:`losskit.monitor.logfile`) and run every detector over it."""
    run = read_log(path)
    return analyze_run(run, source=str(path), **monitor_kwargs)


def analyze_run(run: LoggedRun, *, source: str = "run", **monitor_kwargs: Any) -> Report:
    """Run a monitor over logged curves, feeding validation points at their steps among the train rows."""
    monitor_kwargs.setdefault("actions", [])
    monitor_kwargs.setdefault("weights", {n: w for n, w in run.weights.items() if n in run.train or n in run.val})
    monitor = Monitor(keep=None, **monitor_kwargs)
    notes = list(run.notes)
    train_names = set(run.train) if run.train_steps else None
    val_names = [n for n in run.val if train_names is None or n in train_names]
    if train_names is not None and len(val_names) < len(run.val):
        notes.append(f"val: left out {sorted(set(run.val) - set(val_names))}, which the train rows lack")
    done = 0
    for k, step in enumerate(run.val_steps):
        done = _feed(monitor, run, done, upto=step)
        monitor.validate({n: run.val[n][k] for n in val_names}, step=step)
    _feed(monitor, run, done, upto=None)
    monitor.close()
    return Report(source, monitor.findings, monitor.history, notes)


def _feed(monitor: Monitor, run: LoggedRun, done: int, *, upto: int | None) -> int:
    steps: Sequence[int] = run.train_steps
    end = done
    while end < len(steps) and (upto is None or steps[end] <= upto):
        end += 1
    if end > done:
        monitor.extend(steps[done:end], {n: v[done:end] for n, v in run.train.items()})
    return end
