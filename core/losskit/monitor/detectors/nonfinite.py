"""Non-finite values: the first NaN or infinity of each term, naming the term that went first."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..history import History
from ..records import TOTAL, Finding
from .base import Detector

__all__ = ["NonFinite"]


@dataclass
class NonFinite(Detector):
    """Flags the first step at which a term is NaN or infinite; severity ``critical``.

    Statistic: ``torch.isfinite`` of every term at every step. Threshold: any
    non-finite value. One finding per term, at its first non-finite step; the
    findings also name the term(s) that went non-finite first in the whole run,
    since a NaN in one part makes the total (and, through the weights, every
    later step) NaN. Rule of thumb: a NaN means the run is lost from there on.
    Source: stop-on-NaN callbacks (Keras ``TerminateOnNaN``, Lightning
    ``EarlyStopping(check_finite=True)``), which apply it to the total only.
    """

    name = "nonfinite"

    def check(self, history: History, new: int) -> list[Finding]:
        values, steps = history.values[-new:], history.steps[-new:]
        bad = ~torch.isfinite(values)
        if not bad.any():
            return []
        run = self.state("run", first_step=None, first_terms=())
        out = []
        for j, term in enumerate(history.names):
            if term not in self.watched(history) or self.state(term, seen=False)["seen"]:
                continue
            rows = bad[:, j].nonzero()
            if not rows.numel():
                continue
            row = int(rows[0])
            step, value = int(steps[row]), float(values[row, j])
            if run["first_step"] is None or step < run["first_step"]:
                parts = [n for k, n in enumerate(history.names) if k > 0 and bool(bad[row, k])]
                run["first_step"], run["first_terms"] = step, tuple(parts or [TOTAL])
            self.state(term)["seen"] = True
            out.append((term, step, value))
        findings = []
        for term, step, value in out:
            first = ", ".join(repr(t) for t in run["first_terms"])
            if term in run["first_terms"]:
                message = f"{term!r} is {value} at step {step}: the first term to go non-finite (step {step})."
            else:
                message = f"{term!r} is {value} at step {step}; the first non-finite term was {first} at step " \
                          f"{run['first_step']}."
            findings.append(self.finding(
                term, step, message, statistic="isfinite(value)", value=value, threshold=float("nan"),
                severity="critical", first_terms=list(run["first_terms"]), first_step=run["first_step"],
            ))
        return findings
