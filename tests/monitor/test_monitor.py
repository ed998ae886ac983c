"""The plain-loop API: what update() accepts, batched reads, the skip multiplier, actions."""

from __future__ import annotations

import logging
import math

import pytest
import torch

from losskit import LossInputError, LossOutput
from losskit.monitor import Callback, Finding, Log, Monitor, SkipStep, Stop, read_findings, zero_skipped_grads


def out(total, **parts):
    return LossOutput(torch.tensor(total), {k: torch.tensor(v) for k, v in parts.items()})


def test_values_are_read_in_batches_of_read_every_steps():
    monitor = Monitor(actions=[], read_every=10)
    for i in range(9):
        monitor.update(out(1.0 + i, a=0.5, b=0.5 + i))
    assert monitor.history.rows_seen == 0  # nothing read yet: no host sync in the first 9 steps
    monitor.update(out(10.0, a=0.5, b=9.5))
    assert monitor.history.rows_seen == 10 and monitor.history.names == ("total", "a", "b")
    assert monitor.history.column("b")[-1] == 9.5 and monitor.history.steps.tolist() == list(range(10))
    monitor.update(out(1.0, a=0.5, b=0.5), step=100)
    monitor.close()
    assert monitor.history.steps[-1] == 100 and monitor.next_step == 101


@pytest.mark.parametrize("given", [
    {"total": torch.tensor(1.0), "a": 0.4, "b": torch.tensor([0.6])},
    {"loss": 1.0, "a": 0.4, "b": 0.6},
    (torch.tensor(1.0), {"a": torch.tensor(0.4), "b": torch.tensor(0.6)}),
])
def test_update_takes_breakdowns_pairs_and_mappings(given):
    monitor = Monitor(actions=[], read_every=1)
    monitor.update(given)
    assert monitor.history.names == ("total", "a", "b")
    assert monitor.history.values[0].tolist() == pytest.approx([1.0, 0.4, 0.6])


def test_update_errors_name_the_problem():
    monitor = Monitor(actions=[])
    with pytest.raises(LossInputError, match="reduction='mean'"):
        monitor.update(LossOutput(torch.ones(3), {}))
    with pytest.raises(LossInputError, match="'total'"):
        monitor.update({"a": 1.0})
    monitor.update(out(1.0, a=1.0))
    with pytest.raises(LossInputError, match=r"missing \['a'\], new \['b'\]"):
        monitor.update(out(1.0, b=1.0))


@pytest.mark.parametrize("named", ["names", "label"])
def test_a_term_named_total_is_refused_with_the_fix(named):
    from losskit import Registry, WeightedSum, build_loss
    from tests.core.registry_helpers import spec

    registry = Registry(discover=False, builtins=False)  # the core session has no plugins: a fixture loss
    registry.register(spec("abs_a"), spec("abs_b"))
    a, b = registry.get_loss("abs_a"), registry.get_loss("abs_b")
    if named == "names":
        loss = WeightedSum([a, b], names=["total", "abs_b"])
    else:
        loss = build_loss({"name": "sum", "terms": [{"name": "abs_a", "label": "total"}, {"name": "abs_b"}]},
                          registry=registry)
    out = loss.breakdown(torch.zeros(3), torch.ones(3))
    assert set(out.parts) == {"total", "abs_b"}
    for feed in (Monitor(actions=[]).update, Monitor(actions=[]).validate):
        with pytest.raises(LossInputError, match=r"term named 'total'.*WeightedSum\(names=\[\.\.\.\]\), or 'label'"):
            feed(out)
    monitor = Monitor(actions=[], read_every=1)
    monitor.update(WeightedSum([a, b], names=["a_total", "abs_b"]).breakdown(torch.zeros(3), torch.ones(3)))
    assert monitor.history.names == ("total", "a_total", "abs_b")


def test_update_returns_one_without_skip_and_keeps_the_dtype():
    monitor = Monitor(actions=[])
    multiplier = monitor.update(LossOutput(torch.tensor(1.0, dtype=torch.float64), {}))
    assert multiplier.dtype == torch.float64 and multiplier.item() == 1.0


def test_skip_multiplier_zeroes_nan_and_spike_steps_and_they_are_recorded():
    torch.manual_seed(0)
    monitor = Monitor(actions=[SkipStep(cap=100.0)], read_every=16)
    multipliers = []
    for step in range(200):
        value = 1.0 + 0.05 * torch.randn(()).item()
        value = {120: math.nan, 150: 8.0, 170: 1000.0}.get(step, value)
        multipliers.append(monitor.update(out(value, a=value)).item())
    monitor.close()
    assert [s for s, m in enumerate(multipliers) if m == 0] == [120, 150, 170]
    assert monitor.skipped_steps == [120, 150, 170]


def test_zero_skipped_grads_clears_a_nan_gradient_without_sync():
    w = torch.nn.Parameter(torch.ones(3))
    (w.sum() * torch.tensor(math.nan)).backward()
    zero_skipped_grads([w], torch.tensor(0.0))
    assert w.grad.tolist() == [0.0, 0.0, 0.0]
    w.grad = torch.ones(3)
    zero_skipped_grads([w], torch.tensor(1.0))
    assert w.grad.tolist() == [1.0, 1.0, 1.0]


def test_actions_stop_callback_and_log(tmp_path, caplog):
    seen: list[Finding] = []
    path = tmp_path / "findings.jsonl"
    monitor = Monitor(actions=[Log(path), Stop(), Callback(seen.append, on="nonfinite")], read_every=5)
    with caplog.at_level(logging.INFO, logger="losskit.monitor"):
        for step in range(20):
            monitor.update(out(1.0 if step != 12 else math.nan, part=1.0))
            if monitor.should_stop:
                break
    assert step == 14  # the NaN at step 12 was read at the end of the batch 10..14
    assert monitor.stop_reason.detector == "nonfinite" and monitor.stop_reason.step == 12
    assert [f.term for f in seen] == ["total"]
    assert [f.step for f in read_findings(path)] == [12]
    assert "step 12: critical [nonfinite] total" in caplog.text


def test_for_loss_reads_a_weighted_sums_weights():
    from losskit.terms.penalties import L1Penalty, L2Penalty

    loss = 0.5 * L2Penalty() + 2.0 * L1Penalty()  # built directly: no plugin discovery
    assert Monitor.for_loss(loss).weights == {"l2_penalty": 0.5, "l1_penalty": 2.0}


def test_validation_takes_a_subset_of_the_terms_and_checks_unknown_ones():
    monitor = Monitor(actions=[], read_every=50)
    for _ in range(3):
        monitor.update(out(1.0, a=0.5, b=0.5))
    monitor.validate({"total": 1.2})
    assert monitor.history.rows_seen == 3 and monitor.history.val_steps.tolist() == [2]
    assert math.isnan(monitor.history.val_column("a")[0]) and float(monitor.history.val_column("total")[0]) == pytest.approx(1.2)
    with pytest.raises(LossInputError, match="new"):
        monitor.validate({"total": 1.0, "c": 1.0})
