"""Known-answer tests: each detector on a synthetic curve with a known event, and on one without it."""

from __future__ import annotations

import math

import pytest
import torch

from losskit.monitor import Divergence, Spike
from losskit.monitor.synthetic import clean_curve, heavy_ball_quadratic, overfitting_run, underfitting_run

from .helpers import of, run_curves


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def steps(n: int) -> torch.Tensor:
    return torch.arange(n, dtype=torch.float64)


def noisy(curve: torch.Tensor, sigma: float, seed: int) -> torch.Tensor:
    return curve * torch.exp(sigma * torch.randn(curve.shape, generator=gen(seed), dtype=torch.float64))


@pytest.fixture(scope="module")
def two_parts():
    g = gen(3)
    return clean_curve(1000, g, noise=0.05), clean_curve(1000, g, noise=0.05)


def test_spike_injected_at_step_300_is_found_there_and_only_there(two_parts):
    a, b = two_parts
    a = a.clone()
    a[300] *= 4
    findings = run_curves({"total": a + b, "a": a, "b": b}).findings
    spikes = of(findings, "spike")
    assert [(f.term, f.step) for f in of(spikes, "spike", "a")] == [("a", 300)]
    assert {f.step for f in spikes} == {300}  # the total may see it too; nothing else is a spike
    assert of(spikes, "spike", "a")[0].value > 6 and "check the data of that step" in spikes[0].remedies
    assert not [f for f in findings if f.detector != "spike"]


def test_spike_is_one_sided_by_default_and_two_sided_on_request(two_parts):
    a = two_parts[0].clone()
    a[300] /= 4
    assert not run_curves({"total": a}).findings
    found = run_curves({"total": a}, detectors=[Spike(two_sided=True)]).findings
    assert [(f.detector, f.step) for f in found] == [("spike", 300)]


def test_nan_in_one_term_names_that_term_and_the_step(two_parts):
    a, b = two_parts
    dice = b.clone()
    dice[412:] = math.nan
    findings = run_curves({"total": a + dice, "focal": a, "dice": dice}).findings
    nonfinite = of(findings, "nonfinite")
    assert [(f.term, f.step, f.severity) for f in nonfinite] == [("dice", 412, "critical"), ("total", 412, "critical")]
    assert all(f.details["first_terms"] == ["dice"] and f.details["first_step"] == 412 for f in nonfinite)
    assert "'dice' at step 412" in nonfinite[1].message
    assert not of(findings, "nonfinite", "focal")


def test_the_term_that_went_nan_first_is_named_when_others_follow_later(two_parts):
    a, b = two_parts
    a, b = a.clone(), b.clone()
    b[200] = math.inf
    a[260:] = math.nan
    nonfinite = of(run_curves({"total": a + b, "a": a, "b": b}).findings, "nonfinite")
    assert [(f.term, f.step) for f in nonfinite] == [("b", 200), ("total", 200), ("a", 260)]
    assert nonfinite[2].details["first_terms"] == ["b"]


def test_plateau_after_convergence_is_info_and_comes_after_the_patience():
    curve = noisy(0.2 + 2 * torch.exp(-steps(1500) / 50), 0.05, seed=1)  # flat from about step 350
    plateaus = of(run_curves({"total": curve}).findings, "plateau")
    assert len(plateaus) == 1
    assert plateaus[0].severity == "info" and 350 + 500 <= plateaus[0].step <= 1400
    assert "decay the learning rate (ReduceLROnPlateau)" in plateaus[0].remedies


def test_plateau_far_above_the_start_is_a_warning():
    stuck = noisy(torch.full((1500,), 2.3, dtype=torch.float64), 0.05, seed=2)
    (plateau,) = of(run_curves({"total": stuck}).findings, "plateau")
    assert plateau.severity == "warning" and plateau.step == 599  # 100 values for a level, then 500 steps
    assert any("vanishing gradients" in c for c in plateau.causes)


def test_no_plateau_on_a_curve_still_descending():
    assert not run_curves({"total": noisy(2 * (1 + steps(2000) / 100) ** -0.7, 0.05, seed=3)}).findings


@pytest.mark.parametrize(("lr", "oscillates"), [(0.01, False), (1.0, False), (1.9, True), (2.3, True)])
def test_oscillation_from_too_large_a_step_with_momentum_on_a_quadratic(lr, oscillates):
    loss = heavy_ball_quadratic(lr, 1000, gen(1))
    found = of(run_curves({"total": loss}).findings, "oscillation")
    assert bool(found) is oscillates
    if oscillates:
        assert found[0].value < -0.75 and found[0].step <= 200
        assert "lower the learning rate" in found[0].remedies


def test_period_two_alternation_is_oscillation_and_plain_noise_is_not():
    base = 1 + 0.001 * torch.randn(600, generator=gen(4), dtype=torch.float64)
    zigzag = base * (1 + 0.2 * (-1.0) ** steps(600))
    assert of(run_curves({"total": zigzag}).findings, "oscillation")
    assert not run_curves({"total": noisy(torch.ones(600, dtype=torch.float64), 0.2, seed=5)}).findings


def test_divergence_when_the_level_doubles_and_stays():
    curve = clean_curve(1000, gen(6), noise=0.05)
    curve[500:] *= torch.linspace(1, 6, 500, dtype=torch.float64)
    (found,) = of(run_curves({"total": curve}).findings, "divergence")  # (a rise this fast also trips spike)
    assert 500 < found.step < 750 and found.value >= 2 and found.details["best"] < 2.5


def test_divergence_cap_is_critical_and_immediate(two_parts):
    a = two_parts[0].clone()
    a[100] = 50.0
    (found,) = of(run_curves({"total": a}, detectors=[Divergence(cap=10.0)]).findings, "divergence")
    assert (found.step, found.severity, found.threshold) == (100, "critical", 10.0)


def test_overfitting_when_validation_turns_up_while_training_falls():
    train, val_steps, val = overfitting_run(3000, 100, gen(7), turn=1000)
    (found,) = run_curves({"total": train}, val=(val_steps, val)).findings
    assert found.detector == "overfitting" and found.split == "val"
    assert 1000 < found.step <= 1500 and found.value > 0.05
    assert found.details["gap"] > found.details["gap_at_best"]
    assert any("stop early" in r for r in found.remedies)


def test_no_overfitting_while_validation_follows_training():
    train, val_steps, val = overfitting_run(3000, 100, gen(7), turn=10**6)
    assert not run_curves({"total": train}, val=(val_steps, val)).findings


def test_underfitting_when_both_losses_stay_high_and_flat():
    train, val_steps, val = underfitting_run(1500, 100, gen(8), final=2.0)
    found = run_curves({"total": train}, val=(val_steps, val)).findings
    (under,) = of(found, "underfitting")
    assert under.step <= 800 and under.details["reference"] == pytest.approx(2.2, abs=0.1)
    assert "add capacity (wider, deeper)" in under.remedies


def test_no_underfitting_when_the_model_fits():
    train, val_steps, val = underfitting_run(1500, 100, gen(8), final=0.3)
    assert not of(run_curves({"total": train}, val=(val_steps, val)).findings, "underfitting")


def test_a_term_whose_weight_drowns_the_others_is_dominating(two_parts):
    x, y = two_parts
    found = run_curves({"total": x + 100 * y, "x": x, "y": y}, weights={"x": 1.0, "y": 100.0}).findings
    (dominating,) = found
    assert (dominating.detector, dominating.term, dominating.severity) == ("balance", "y", "warning")
    assert dominating.value >= 0.95 and "rebalance the weights" in dominating.remedies[0]
    assert not run_curves({"total": x + y, "x": x, "y": y}).findings  # the same terms, balanced


def test_a_term_fading_from_a_composite_is_vanishing(two_parts):
    x, y = two_parts
    z = clean_curve(1000, gen(9), noise=0.05) * torch.exp(-steps(1000) / 100)
    (found,) = run_curves({"total": x + y + z, "x": x, "y": y, "z": z}).findings
    assert (found.detector, found.term, found.severity) == ("balance", "z", "info")
    assert found.value <= 0.01 and found.details["shares"]["z"] == found.value


def test_a_small_regulariser_is_not_a_drowned_term(two_parts):
    x, y = two_parts
    findings = run_curves({"total": x + 1e-4 * y, "focal": x, "l2_penalty": y}, weights={"l2_penalty": 1e-4}).findings
    assert not findings
