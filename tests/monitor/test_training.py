"""A real small training run: a learning rate that is too high is flagged, a fine one is not.

An MLP regresses a smooth target with SGD (momentum 0.9) on a composite loss
(a squared error defined here, so that no plugin is needed, plus 1e-3 x the
core's l2_penalty), fed to the monitor through ``loss.breakdown``.
"""

from __future__ import annotations

import math

import pytest
import torch

from losskit import Loss, reduction_param
from losskit.monitor import Monitor, SkipStep, zero_skipped_grads
from losskit.reduction import Reduction, reduce
from losskit.terms.penalties import L2Penalty


class SquaredError(Loss, name="monitor_test_squared_error"):
    """Mean squared error, for these tests only."""

    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(input, target, *, reduction):
        return reduce((input - target).square(), reduction, owner="monitor_test_squared_error")


def train(lr: float, **kwargs):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a model this small only loses from intra-op threads
    try:
        return _train(lr, **kwargs)
    finally:
        torch.set_num_threads(threads)


def _train(lr: float, *, steps: int = 400, corrupt_at: int | None = None, skip: bool = False):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(1024, 10, generator=g)
    y = torch.tanh(x @ torch.randn(10, 1, generator=g) / 2) + 0.05 * torch.randn(1024, 1, generator=g)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(10, 32), torch.nn.Tanh(), torch.nn.Linear(32, 1))
    loss = SquaredError() + 1e-3 * L2Penalty()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    monitor = Monitor.for_loss(loss, actions=[SkipStep()] if skip else [], read_every=50)
    for step in range(steps):
        idx = torch.randint(0, 1024, (32,), generator=g)
        target = y[idx] * (30.0 if step == corrupt_at else 1.0)
        out = loss.breakdown(model(x[idx]), target, model=model)
        keep = monitor.update(out)
        optimizer.zero_grad()
        (out.total * keep).backward()
        zero_skipped_grads(model.parameters(), keep)
        optimizer.step()
    monitor.close()
    return monitor


@pytest.fixture(scope="module")
def fine():
    return train(0.05)


def test_a_fine_learning_rate_raises_no_alarm(fine):
    assert fine.alarms == []
    total = fine.history.column("total")
    assert total[-50:].median() < 0.2 * total[:20].median()  # it did learn


def test_a_too_high_learning_rate_is_flagged_before_the_run_is_lost():
    monitor = train(0.3)
    alarms = monitor.alarms
    assert {"divergence", "nonfinite"} <= {f.detector for f in alarms}
    first_nan = min(f.step for f in alarms if f.detector == "nonfinite")
    first_warning = min(f.step for f in alarms if f.detector != "nonfinite")
    assert first_warning < first_nan  # it warned while the loss was still a number
    assert any("lower the learning rate" in r for f in alarms for r in f.remedies)


def test_a_corrupt_batch_is_a_spike_and_skip_step_keeps_it_out_of_the_weights(fine):
    plain = train(0.05, corrupt_at=300)
    on_total = [(f.detector, f.step) for f in plain.alarms if f.term == "total"]
    assert on_total[0] == ("spike", 300)
    assert ("divergence", 332) in on_total  # the step it took knocked the model off: the loss doubled
    guarded = train(0.05, corrupt_at=300, skip=True)
    assert guarded.skipped_steps == [300]
    assert [(f.detector, f.step) for f in guarded.alarms if f.term == "total"] == [("spike", 300)]
    after = guarded.history.column("total")[301:350]
    reference = fine.history.column("total")[301:350]
    # within 5% of the run that got a normal batch at step 300 (momentum still moved the weights that step)
    assert torch.allclose(after, reference, rtol=0.05)
    assert math.isfinite(float(after.sum()))
