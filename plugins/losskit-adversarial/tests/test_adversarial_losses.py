"""Values worked out by hand, composition, configs and the errors of the adversarial losses."""

from __future__ import annotations

import doctest
import importlib
import math

import pytest
import torch
from torch import nn

import losskit_adversarial
from losskit import UnknownLossError, build_loss, get_loss, get_spec
from losskit.errors import ConfigError, ContextError, InvalidParamError, LossInputError
from losskit_adversarial import pgd_adversarial_loss, pgd_attack

NAMES = ("pgd_adversarial", "fgsm_adversarial", "trades_kl", "trades", "mart")
MODULES = ("pgd", "fgsm", "trades_kl", "trades", "mart")

# An identity "model": the logits are the inputs, so every attack step can be followed by hand. From
# x = [0.6, 0.4] with label 0, every attack pushes x0 down and x1 up until the ball's boundary.
IDENTITY = nn.Identity()
X, Y = torch.tensor([[0.6, 0.4]], dtype=torch.float64), torch.tensor([0])
P = [math.exp(0.6) / (math.exp(0.6) + math.exp(0.4)), math.exp(0.4) / (math.exp(0.6) + math.exp(0.4))]


def value(name, x=X, **params):
    return get_loss(name, **params)(x, Y, model=IDENTITY, inputs=x).item()


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples_run(module):
    mod = importlib.import_module(f"losskit_adversarial.{module}")
    spec = next(s for s in mod.__dict__.values() if getattr(s, "family", None) == "adversarial")
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in doctest.DocTestFinder().find(spec.factory, globs={**vars(mod), "torch": torch}):
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
    assert runner.summarize(verbose=False).attempted > 0


def test_pgd_linf_and_l2_by_hand():
    # l-inf: three steps of 0.05 from 0 reach [-0.1, +0.1]: logits [0.5, 0.5], CE = log 2.
    assert value("pgd_adversarial", epsilon=0.1, step_size=0.05, steps=3, random_start=False) == pytest.approx(
        math.log(2), abs=1e-12)
    # l2: the gradient p - onehot = [-p1, p1] points along [-1, 1]/sqrt(2); with epsilon = 0.1 sqrt(2)
    # the projection lands on the same point.
    assert value("pgd_adversarial", epsilon=0.1 * math.sqrt(2), step_size=0.1, steps=3, norm="l2",
                 random_start=False) == pytest.approx(math.log(2), abs=1e-12)
    # One step of 0.04 only: logits [0.56, 0.44].
    expected = -math.log(math.exp(0.56) / (math.exp(0.56) + math.exp(0.44)))
    assert value("pgd_adversarial", epsilon=0.1, step_size=0.04, steps=1, random_start=False) == pytest.approx(
        expected, abs=1e-12)


def test_clean_weight_mixes_in_the_clean_loss_as_goodfellow_et_al():
    clean = -math.log(P[0])
    # FGSM from 0 with epsilon 0.1: x' = [0.5, 0.5]; alpha = 0.5 gives 0.5 J(x) + 0.5 J(x').
    assert value("fgsm_adversarial", epsilon=0.1, clean_weight=0.5) == pytest.approx(
        0.5 * clean + 0.5 * math.log(2), abs=1e-12)
    assert value("pgd_adversarial", epsilon=0.1, step_size=0.05, steps=3, random_start=False,
                 clean_weight=1.0) == pytest.approx(clean, abs=1e-12)
    # alpha = 0 ignores the clean logits' value, but not a NaN in them.
    nan = torch.tensor([[float("nan"), 0.4]], dtype=torch.float64)
    out = get_loss("pgd_adversarial", steps=2)(nan, Y, model=IDENTITY, inputs=X)
    assert torch.isnan(out)


def test_clip_range_binds_before_epsilon():
    x = torch.tensor([[0.6, 0.97]], dtype=torch.float64)
    # x1 may rise by 0.1 but the range stops it at 1.0: logits [0.5, 1.0].
    expected = -math.log(math.exp(0.5) / (math.exp(0.5) + math.exp(1.0)))
    assert value("pgd_adversarial", x=x, epsilon=0.1, step_size=0.05, steps=3, random_start=False) == pytest.approx(
        expected, abs=1e-12)


def test_trades_and_mart_by_hand():
    start = torch.tensor([[-1e-3, 1e-3]], dtype=torch.float64)  # breaks the symmetry towards [0.5, 0.5]
    trades_kl = get_loss("trades_kl", epsilon=0.1, step_size=0.05, steps=3)(X, Y, model=IDENTITY, inputs=X, start=start)
    kl_to_uniform = P[0] * math.log(2 * P[0]) + P[1] * math.log(2 * P[1])
    assert trades_kl.item() == pytest.approx(kl_to_uniform, abs=1e-12)
    trades = get_loss("trades", epsilon=0.1, step_size=0.05, steps=3, beta=6.0)(X, Y, model=IDENTITY, inputs=X,
                                                                                start=start)
    assert trades.item() == pytest.approx(-math.log(P[0]) + 6.0 * kl_to_uniform, abs=1e-12)
    # MART's attack ascends the CE to [0.5, 0.5]: BCE = -log 0.5 - log(1 - 0.5); KL weighted by 1 - p_y(x).
    mart = get_loss("mart", epsilon=0.1, step_size=0.05, steps=3, beta=6.0)(X, Y, model=IDENTITY, inputs=X)
    assert mart.item() == pytest.approx(2 * math.log(2) + 6.0 * kl_to_uniform * (1 - P[0]), abs=1e-12)


def test_mart_boosted_cross_entropy_uses_the_runner_up():
    logits = torch.tensor([[2.0, 1.0, -1.0, 0.5]], dtype=torch.float64)
    y = torch.tensor([0])
    p = logits.softmax(1)[0]
    expected = -math.log(p[0]) - math.log(1 - p[1])  # class 1 is the most likely wrong class
    got = get_loss("mart", epsilon=0.0)(logits, y, model=IDENTITY, inputs=logits)
    assert got.item() == pytest.approx(expected, abs=1e-12)
    # Stays finite where the runner-up probability rounds to 1 (the code's log(1.0001 - p) would clip).
    extreme = torch.tensor([[0.0, 200.0, -200.0]], dtype=torch.float64, requires_grad=True)
    out = get_loss("mart", epsilon=0.0)(extreme, y, model=IDENTITY, inputs=extreme.detach())
    out.backward()
    assert torch.isfinite(out) and bool(torch.isfinite(extreme.grad).all())
    assert out.item() == pytest.approx(200.0 + 200.0, rel=1e-6)
    with pytest.raises(LossInputError, match="at least 2 classes"):
        get_loss("mart")(torch.zeros(2, 1), torch.zeros(2, dtype=torch.long), model=IDENTITY, inputs=torch.zeros(2, 1))


def _classifier():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3)).double()
    g = torch.Generator().manual_seed(2)
    x = torch.rand(6, 4, generator=g, dtype=torch.float64)
    return model, x, torch.randint(0, 3, (6,), generator=g), 1e-3 * torch.randn(6, 4, generator=g, dtype=torch.float64)


def test_trades_is_cross_entropy_plus_beta_trades_kl_and_composes():
    model, x, y, start = _classifier()
    context = {"model": model, "inputs": x, "start": start}
    trades = get_loss("trades", beta=6.0, steps=3)(model(x), y, **context)
    kl = get_loss("trades_kl", steps=3)(model(x), y, **context)
    natural = torch.nn.functional.cross_entropy(model(x), y)
    torch.testing.assert_close(trades, natural + 6.0 * kl)
    try:
        get_spec("cross_entropy")
    except UnknownLossError:
        return  # the classification family is not installed alone with this one
    composite = get_loss("cross_entropy") + 6.0 * get_loss("trades_kl", steps=3)
    torch.testing.assert_close(composite(model(x), y, **context), trades)


def test_composition_routes_the_context_and_round_trips_through_config():
    model, x, y, start = _classifier()
    loss = get_loss("pgd_adversarial", steps=2) + 2.0 * get_loss("mart", steps=2, beta=3.0)
    total, parts = loss.breakdown(model(x), y, model=model, inputs=x, start=start)
    assert set(parts) == {"pgd_adversarial", "mart"}
    torch.testing.assert_close(total, parts["pgd_adversarial"] + 2.0 * parts["mart"])
    rebuilt = build_loss(loss.to_config())
    assert rebuilt.to_config() == loss.to_config()
    torch.testing.assert_close(rebuilt(model(x), y, model=model, inputs=x, start=start), total)
    total.backward()
    assert all(p.grad is not None and bool(torch.isfinite(p.grad).all()) for p in model.parameters())


def test_context_errors_name_the_key():
    model, x, y, _ = _classifier()
    loss = get_loss("pgd_adversarial", steps=1)
    with pytest.raises(ContextError, match="'inputs'"):
        loss(model(x), y, model=model)
    with pytest.raises(ContextError, match="'model'"):
        loss(model(x), y, inputs=x)
    with pytest.raises(ContextError, match="did you mean 'inputs'"):
        loss(model(x), y, model=model, input_s=x)
    with pytest.raises(ContextError, match="nn.Module"):
        loss(model(x), y, model=lambda t: t, inputs=x)


def test_input_errors_say_how_to_fix():
    model, x, y, _ = _classifier()
    loss = get_loss("trades", steps=1)
    with pytest.raises(LossInputError, match=r"N = 6"):
        loss(model(x), y, model=model, inputs=x[:3])
    with pytest.raises(LossInputError, match="start="):
        loss(model(x), y, model=model, inputs=x, start=torch.zeros(6, 3, dtype=torch.float64))
    with pytest.raises(LossInputError, match=r"\(N, C\)"):
        loss(model(x)[:, 0], y, model=model, inputs=x)
    with pytest.raises(LossInputError, match="pass input=model"):
        loss(model(x)[:, :2], y.clamp(max=1), model=model, inputs=x)


def test_clip_range_is_checked_at_construction_per_call_and_in_pgd_attack():
    model, x, y, _ = _classifier()
    with pytest.raises(InvalidParamError, match="clip_max: must be greater than clip_min=1"):
        get_loss("pgd_adversarial", clip_min=1.0, clip_max=0.5)
    with pytest.raises(ConfigError, match="clip_max: must be greater than clip_min=0.5, got 0.5"):
        build_loss({"name": "mart", "clip_min": 0.5, "clip_max": 0.5})
    with pytest.raises(InvalidParamError, match="clip_max"):
        pgd_adversarial_loss(model(x), y, model=model, inputs=x, clip_min=2.0)
    with pytest.raises(InvalidParamError, match="clip_max"):
        pgd_attack(model, x, y, clip_max=-1.0)
    with pytest.raises(InvalidParamError, match="epsilon"):
        pgd_attack(model, x, y, epsilon=-0.1)
    with pytest.raises(InvalidParamError, match="unknown parameter"):
        pgd_attack(model, x, y, reduction="sum")


def test_pgd_attack_is_the_attack_the_loss_trains_on():
    model, x, y, start = _classifier()
    settings = {"epsilon": 0.05, "step_size": 0.02, "steps": 3}
    x_adv = pgd_attack(model, x, y, start=start, **settings)
    expected = torch.nn.functional.cross_entropy(model(x_adv), y)
    torch.testing.assert_close(get_loss("pgd_adversarial", **settings)(model(x), y, model=model, inputs=x,
                                                                         start=start), expected)
    assert torch.equal(pgd_attack(model, x, y, steps=0), x)


def test_a_wrapped_model_is_attacked_through_its_module():
    model, x, y, start = _classifier()
    loss = get_loss("trades_kl", steps=2)
    plain = loss(model(x), y, model=model, inputs=x, start=start)
    wrapped = nn.DataParallel(model)  # on the CPU: calls the module itself
    torch.testing.assert_close(loss(wrapped(x), y, model=wrapped, inputs=x, start=start), plain)


def test_public_names():
    assert set(losskit_adversarial.__all__) == {
        "FGSMAdversarialLoss", "MARTLoss", "PGDAdversarialLoss", "TradesKLLoss", "TradesLoss",
        "fgsm_adversarial_loss", "mart_loss", "pgd_adversarial_loss", "pgd_attack", "trades_kl_loss", "trades_loss",
    }
    for name in NAMES:
        assert get_spec(name).family == "adversarial"
    assert get_spec("pgd").name == "pgd_adversarial" and get_spec("fgsm").name == "fgsm_adversarial"
