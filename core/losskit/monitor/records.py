"""What the monitor reports: :class:`Finding`, one structured record per detected event, and its JSON lines.

A finding says which detector fired, on which term, at which step, the
statistic it computed against its threshold, and the diagnosis (likely causes,
remedies) of :mod:`losskit.monitor.diagnoses`. ``to_dict()`` is plain JSON
data: non-finite numbers are written as the strings ``"nan"``, ``"inf"``,
``"-inf"``, so that every JSON reader accepts the line.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

__all__ = ["SEVERITIES", "TOTAL", "Finding", "Severity", "read_findings", "write_findings"]

#: The term name of the total loss in findings, histories, value logs and detector settings (``terms="total"``).
TOTAL = "total"

Severity = Literal["info", "warning", "critical"]
#: Severities in increasing order: ``info`` is worth knowing, ``warning`` needs a look, ``critical`` loses the run.
SEVERITIES: tuple[Severity, ...] = ("info", "warning", "critical")


@dataclass(frozen=True)
class Finding:
    """One event on one loss curve, with what it probably means.

    Attributes:
        detector: the detector's name (``"spike"``, ``"nonfinite"``, ...).
        term: ``"total"`` or the part's name from ``loss.breakdown()``.
        step: the training step at which it was detected (for validation detectors, the validation's step).
        severity: ``"info"``, ``"warning"`` or ``"critical"``.
        message: one sentence for a human, with the numbers.
        statistic: what was computed (``"robust z-score over 128 steps"``).
        value: its value at ``step``.
        threshold: the value it crossed.
        split: ``"train"`` or ``"val"``: which curve it was read from.
        causes: the likely causes, most likely first.
        remedies: what to try, in the same order.
        details: further numbers (JSON data), detector-specific.
    """

    detector: str
    term: str
    step: int
    severity: Severity
    message: str
    statistic: str
    value: float
    threshold: float
    split: str = "train"
    causes: tuple[str, ...] = ()
    remedies: tuple[str, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_alarm(self) -> bool:
        """True for ``warning`` and ``critical``: the findings a clean run should not have."""
        return self.severity != "info"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data; non-finite floats become ``"nan"``/``"inf"``/``"-inf"``."""
        data = asdict(self)
        data["causes"], data["remedies"] = list(self.causes), list(self.remedies)
        return _json_safe(data)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        values = dict(data)
        for key in ("value", "threshold"):
            values[key] = float(values[key])  # float("nan") and float("inf") read the strings back
        values["causes"] = tuple(values.get("causes", ()))
        values["remedies"] = tuple(values.get("remedies", ()))
        values["step"] = int(values["step"])
        return cls(**values)

    def __str__(self) -> str:
        where = f"step {self.step}" + ("" if self.split == "train" else f" ({self.split})")
        return f"{where}: {self.severity} [{self.detector}] {self.term}: {self.message}"


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def write_findings(findings: Iterable[Finding], file: str | Path | IO[str]) -> None:
    """Append findings to ``file`` (a path or an open text file) as JSON lines, one finding a line."""
    if isinstance(file, (str, Path)):
        with open(file, "a", encoding="utf-8") as handle:
            write_findings(findings, handle)
        return
    for finding in findings:
        file.write(finding.to_json() + "\n")
    file.flush()


def read_findings(path: str | Path) -> list[Finding]:
    """The findings of a JSON lines file written by :func:`write_findings` (other lines are skipped)."""
    return list(_iter_findings(Path(path)))


def _iter_findings(path: Path) -> Iterator[Finding]:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            data = json.loads(line)
            if isinstance(data, dict) and "detector" in data:
                yield Finding.from_dict(data)
