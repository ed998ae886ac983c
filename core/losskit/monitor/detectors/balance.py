"""Balance of a composite: one weighted term drowning the others, or one fading to nothing."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..history import History
from ..records import Finding
from .base import PENALTIES, Detector, fmt

__all__ = ["Balance"]


@dataclass
class Balance(Detector):
    r"""Flags a term of a composite whose weighted share of the loss is overwhelming, or negligible.

    Statistic: each top-level part's share of the weighted total,
    :math:`s_i = |w_i m_i| / \sum_j |w_j m_j|`, with :math:`m_i` the median of its last
    ``window`` values and :math:`w_i` its weight (``Monitor(weights=...)`` or
    ``Monitor.for_loss(loss)``; 1 when not given). Read at the end of each
    batch, once ``warmup`` steps are in. Threshold: a term with
    :math:`s_i \ge` ``dominate`` (default 0.95: the others together make 5%) is
    dominating (``warning``; it re-arms below ``2 dominate - 1``); when none
    dominates, a term with :math:`s_i \le` ``vanish`` (default 0.01) is vanishing
    (``info``; it re-arms above ``2 vanish``). Parts nested in a composite term
    (``multitask/seg``), parts of weight 0 and parts matching ``ignore``
    (:data:`~.base.PENALTIES`: regularisers such as ``l2_penalty``, small by design) are left out; so
    is a term with a non-finite value in the window. Rule of thumb: a
    weight can drown the other terms, which then no longer shape the gradient.
    Source: Kendall, Gal & Cipolla (CVPR 2018); Chen et al., GradNorm (ICML 2018).
    """

    name = "balance"
    dominate: float = 0.95
    vanish: float = 0.01
    window: int = 100
    warmup: int = 100
    ignore: tuple[str, ...] = PENALTIES  # regularisers are meant to be a small share

    def check(self, history: History, new: int) -> list[Finding]:
        shares = self.shares(history)
        if shares is None or history.rows_seen < self.warmup:
            return []
        step = int(history.steps[-1])
        start = self.state("run", start=dict(shares))["start"]
        leader = max(shares, key=shares.__getitem__)
        findings = []
        for term, share in shares.items():
            state = self.state(term, dominating=False, vanishing=False)
            if share >= self.dominate and not state["dominating"]:
                state["dominating"] = True
                others = ", ".join(f"{t!r} {s:.1%}" for t, s in shares.items() if t != term)
                findings.append(self.finding(
                    term, step, f"{term!r} makes {share:.1%} of the weighted loss (the others: {others}); "
                    "their gradients are drowned.", statistic=f"share of the weighted total (medians over "
                    f"{self.window} steps)", value=share, threshold=self.dominate, variant="dominating",
                    shares=shares, weight=history.weights.get(term, 1.0),
                ))
            elif share < 2 * self.dominate - 1:
                state["dominating"] = False
            if share <= self.vanish and not state["vanishing"] and shares[leader] < self.dominate:
                state["vanishing"] = True
                findings.append(self.finding(
                    term, step, f"{term!r} makes only {share:.2%} of the weighted loss (it started at "
                    f"{start.get(term, math.nan):.1%}; value {fmt(history.level(term, width=self.window))}, weight "
                    f"{history.weights.get(term, 1.0):g}).", statistic=f"share of the weighted total (medians over "
                    f"{self.window} steps)", value=share, threshold=self.vanish, severity="info",
                    variant="vanishing", shares=shares,
                ))
            elif share > 2 * self.vanish:
                state["vanishing"] = False
        return findings

    def shares(self, history: History) -> dict[str, float] | None:
        """Each top-level part's share of the weighted total now, or None for fewer than two parts."""
        weights = {t: history.weights.get(t, 1.0) for t in history.part_names() if not self.ignores(t)}
        contributions = {}
        for term, weight in weights.items():
            recent = history.column(term)[-self.window :]
            if not bool(recent.isfinite().all()):
                return None  # a lost term: NonFinite reports it, shares mean nothing
            if weight != 0:
                contributions[term] = abs(weight * history.level(term, width=self.window))
        total = sum(contributions.values())
        if len(contributions) < 2 or not total > 0:
            return None
        return {t: c / total for t, c in contributions.items()}
