"""Loss monitoring: losskit watches the loss it computed, per term, and says what the curves mean.

.. code-block:: python

    from losskit.monitor import Log, Monitor, SkipStep, Stop

    monitor = Monitor.for_loss(loss, actions=[Log(), SkipStep(), Stop()])
    for x, y in loader:
        out = loss.breakdown(model(x), y)
        keep = monitor.update(out)           # 0-dim tensor, 0 for a step to skip; no host sync
        (out.total * keep).backward()
        optimizer.step(); optimizer.zero_grad()
        if monitor.should_stop:              # a host bool, set when the rows are read
            break
    monitor.validate(val_loss.breakdown(model(xv), yv))
    monitor.close()
    for finding in monitor.findings:         # structured records; .to_json() for JSON lines
        print(finding, finding.remedies)

Offline, on a log of per-term values: ``losskit monitor run.jsonl`` or
:func:`analyze`. The Lightning callback is :class:`losskit.monitor.lightning.LossMonitor`
(importing that module imports Lightning). See ``docs/monitoring.md``.
"""

from __future__ import annotations

from .actions import Action, Callback, Log, SkipStep, Stop
from .detectors import (
    Balance,
    Detector,
    Divergence,
    NonFinite,
    Oscillation,
    Overfitting,
    Plateau,
    Spike,
    Underfitting,
    default_detectors,
)
from .diagnoses import DIAGNOSES, Diagnosis
from .guard import zero_skipped_grads
from .logfile import LogFormatError, read_log
from .monitor import Monitor
from .records import SEVERITIES, Finding, read_findings, write_findings
from .report import Report, analyze

__all__ = [
    "DIAGNOSES",
    "SEVERITIES",
    "Action",
    "Balance",
    "Callback",
    "Detector",
    "Diagnosis",
    "Divergence",
    "Finding",
    "Log",
    "LogFormatError",
    "Monitor",
    "NonFinite",
    "Oscillation",
    "Overfitting",
    "Plateau",
    "Report",
    "SkipStep",
    "Spike",
    "Stop",
    "Underfitting",
    "analyze",
    "default_detectors",
    "read_findings",
    "read_log",
    "write_findings",
    "zero_skipped_grads",
]
