"""torch.distributed: 2 gloo processes see different values, decide on all-reduced ones, and agree.

Rank 0 has a spike in part 'a', rank 1 a NaN in part 'b'; each rank alone
sees only its own event, yet both report both, with the same findings, the
same stop decision and (with SkipStep) the same skipped steps.
"""

from __future__ import annotations

import math

import pytest
import torch

from losskit import LossOutput
from losskit.monitor import Monitor, SkipStep, Stop
from losskit.testing import run_in_processes

WORLD = 2
STEPS = 200


def values(rank: int, step: int) -> tuple[float, float]:
    g = torch.Generator().manual_seed(1000 * rank + step)
    a, b = (1.0 + 0.05 * torch.randn(2, generator=g, dtype=torch.float64)).tolist()
    if rank == 0 and step == 80:
        a *= 20
    if rank == 1 and step >= 130:
        b = math.nan
    return a, b


def feed(monitor: Monitor, rank: int, *, spike_at: int | None = None) -> list[float]:
    multipliers = []
    for step in range(STEPS):
        a, b = values(rank, step)
        if spike_at is not None and step == spike_at and rank == 1:
            a *= 50
        a_t, b_t = torch.tensor(a), torch.tensor(b)
        multipliers.append(float(monitor.update(LossOutput(a_t + b_t, {"a": a_t, "b": b_t}))))
    monitor.close()
    return multipliers


def worker(rank: int):
    batched = Monitor(actions=[Stop()], read_every=25)
    feed(batched, rank)
    guarded = Monitor(actions=[SkipStep()], read_every=25)
    multipliers = feed(guarded, rank, spike_at=100)
    return {
        "findings": [f.to_dict() for f in batched.findings],
        "stop": (batched.should_stop, batched.stop_reason.step if batched.stop_reason else None),
        "total": batched.history.column("total").tolist(),
        "multipliers": multipliers,
        "skipped": guarded.skipped_steps,
        "guarded": [f.to_dict() for f in guarded.findings],
    }


@pytest.fixture(scope="module")
def per_rank():
    return run_in_processes(worker, WORLD)


def test_every_rank_reports_the_same_findings_including_the_other_ranks_events(per_rank):
    assert per_rank[0]["findings"] == per_rank[1]["findings"]
    found = {(f["detector"], f["term"], f["step"]) for f in per_rank[0]["findings"]}
    assert ("spike", "a", 80) in found  # only rank 0 saw it
    assert ("nonfinite", "b", 130) in found and ("nonfinite", "total", 130) in found  # only rank 1 saw it
    nan = next(f for f in per_rank[1]["findings"] if f["detector"] == "nonfinite" and f["term"] == "total")
    assert nan["details"]["first_terms"] == ["b"]


def test_every_rank_stops_at_the_same_step(per_rank):
    assert per_rank[0]["stop"] == per_rank[1]["stop"] == (True, 130)


def test_decisions_use_the_mean_over_ranks(per_rank):
    expected = [sum(sum(values(r, s)) for r in range(WORLD)) / WORLD for s in range(STEPS)]
    got = per_rank[0]["total"]
    assert got[:130] == pytest.approx(expected[:130], rel=1e-6)
    assert all(math.isnan(v) for v in got[130:])


def test_skip_multipliers_agree_across_ranks(per_rank):
    assert per_rank[0]["multipliers"] == per_rank[1]["multipliers"]
    skipped = [s for s, m in enumerate(per_rank[0]["multipliers"]) if m == 0]
    assert skipped == [80, 100, *range(130, STEPS)]
    assert per_rank[0]["skipped"] == per_rank[1]["skipped"] == skipped
    assert per_rank[0]["guarded"] == per_rank[1]["guarded"]
