"""The RL losses: values by hand, gradients where they must (and must not) go, diagnostics, the PPO composite."""

from __future__ import annotations

import doctest
import importlib
import math

import pytest
import torch
from torch import nn

import losskit_rl
from losskit import build_loss, get_loss, get_spec
from losskit.errors import InvalidParamError, LossInputError
from losskit_rl import ppo_config, ppo_diagnostics, ppo_objective
from losskit_rl._examples import value_batch
from losskit_rl.reference import value_loss_reference


def t(*values):
    return torch.tensor(values, dtype=torch.float64)


@pytest.mark.parametrize("module", ["reinforce", "ppo_clip", "value", "entropy", "kl"])
def test_docstring_examples_run(module):
    mod = importlib.import_module(f"losskit_rl.{module}")
    runner = doctest.DocTestRunner()
    for test in doctest.DocTestFinder().find(mod.SPEC.factory, globs={**vars(mod), "torch": torch}):
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0 and runner.summarize(verbose=False).attempted > 0


def test_ratio_one_gives_clip_fraction_zero_and_minus_mean_advantage():
    log_prob = torch.log(t(0.2, 0.5, 0.9))
    advantages = t(1.5, -2.0, 0.25)
    loss = get_loss("ppo_clip")
    total, parts = loss.breakdown(log_prob, advantages, old_log_prob=log_prob.clone())
    assert total.item() == pytest.approx(-advantages.mean().item())
    assert parts["clip_fraction"].item() == 0.0 and parts["approx_kl"].item() == 0.0
    assert parts["ppo_clip"].item() == pytest.approx(total.item())


def test_ppo_clip_cuts_the_gradient_only_on_the_side_of_the_advantage():
    old = torch.log(t(0.5, 0.5, 0.5, 0.5))
    new = torch.log(t(0.75, 0.25, 0.75, 0.25)).requires_grad_(True)  # ratios 1.5, 0.5, 1.5, 0.5
    advantages = t(1.0, 1.0, -1.0, -1.0)
    get_loss("ppo_clip", clip_epsilon=0.2, reduction="sum")(new, advantages, old_log_prob=old).backward()
    # A > 0 and r > 1 + eps: clipped, no gradient. A > 0, r < 1: the surrogate still pushes up: -A r.
    # A < 0 and r > 1: still pushes down: -A r. A < 0 and r < 1 - eps: clipped.
    torch.testing.assert_close(new.grad, t(0.0, -0.5, 1.5, 0.0))
    diagnostics = ppo_diagnostics(new, old, clip_epsilon=0.2)
    assert diagnostics.clip_fraction.item() == 1.0
    kl = ((1.5 - 1 - math.log(1.5)) + (0.5 - 1 - math.log(0.5))) / 2
    assert diagnostics.approx_kl.item() == pytest.approx(kl)
    masked = ppo_diagnostics(new, old, clip_epsilon=0.6, weight=t(1, 0, 1, 0))  # only the ratios 1.5 count
    assert masked.clip_fraction.item() == 0.0
    assert masked.approx_kl.item() == pytest.approx(1.5 - 1 - math.log(1.5))


def actor_critic():
    torch.manual_seed(0)
    return nn.Linear(3, 4), nn.Linear(3, 1)


def test_the_policy_losses_give_no_gradient_to_the_critic():
    actor, critic = actor_critic()
    states = torch.randn(5, 3)
    actions = torch.tensor([0, 1, 2, 3, 0])
    returns = torch.randn(5)
    log_prob = actor(states).log_softmax(1).gather(1, actions[:, None]).squeeze(1)
    values = critic(states).squeeze(1)  # not detached by the caller
    losses = [
        get_loss("reinforce")(log_prob, returns, baseline=values),
        get_loss("reinforce", normalize=True)(log_prob, returns - values),
        get_loss("ppo_clip", normalize=True)(log_prob, returns - values, old_log_prob=log_prob),
    ]
    sum(losses).backward()
    assert all(p.grad is None for p in critic.parameters())
    assert all(p.grad is not None and bool(p.grad.abs().sum() > 0) for p in actor.parameters())
    # The value loss does train the critic, and only it, against a detached target.
    values = critic(states).squeeze(1)
    target = critic(states).squeeze(1) + 1.0  # a target that depends on the critic: detached by the loss
    get_loss("value_loss")(values, target).backward()
    assert critic.weight.grad is not None
    torch.testing.assert_close(critic.bias.grad, torch.tensor([-2.0]))  # d/dV mean((V - (V + 1))^2) = -2


@pytest.mark.parametrize("name, extra", [("reinforce", {}), ("ppo_clip", {"old": True})])
def test_the_gradient_raises_the_log_probability_of_positive_advantage_actions(name, extra):
    torch.manual_seed(1)
    logits = torch.randn(4, 3, requires_grad=True)
    actions = torch.tensor([0, 1, 2, 0])
    advantages = torch.tensor([1.0, -1.0, 2.0, -0.5])

    def log_prob():
        return logits.log_softmax(1).gather(1, actions[:, None]).squeeze(1)

    before = log_prob().detach()
    context = {"old_log_prob": before} if extra else {}
    get_loss(name, reduction="sum")(log_prob(), advantages, **context).backward()
    with torch.no_grad():
        logits -= 0.1 * logits.grad
    change = log_prob().detach() - before
    assert bool((change[advantages > 0] > 0).all()) and bool((change[advantages < 0] < 0).all())


def test_reinforce_with_baseline_and_normalisation():
    log_prob = torch.log(t(0.5, 0.25, 0.125))
    returns, baseline = t(3, 1, 2), t(1, 1, 1)
    value = get_loss("reinforce", reduction="none")(log_prob, returns, baseline=baseline)
    torch.testing.assert_close(value, -(returns - baseline) * log_prob)
    a = t(2, 0, 1)
    a = (a - 1) / (a.std(correction=0) + 1e-8)
    torch.testing.assert_close(get_loss("reinforce", normalize=True, reduction="none")(log_prob, returns,
                                                                                     baseline=baseline), -a * log_prob)
    one = get_loss("reinforce", normalize=True)(t(-0.3).requires_grad_(True), t(5.0))
    assert one.item() == 0.0  # a batch of one: advantage 0, finite
    one.backward()


def test_value_loss_clipped_and_unclipped_by_hand():
    v, target, old = t(2.0, 0.0, 1.0), t(3.0, 1.0, 1.0), t(0.0, 0.5, 1.0)
    torch.testing.assert_close(get_loss("value_loss", reduction="none")(v, target), t(1.0, 1.0, 0.0))
    clipped = get_loss("value_loss", clip_epsilon=0.5, reduction="none")(v, target, old_value=old)
    # V_clip = old + clip(V - old, -0.5, 0.5) = [0.5, 0.0, 1.0]; max of the squares.
    torch.testing.assert_close(clipped, t(max(1.0, 2.5**2), max(1.0, 1.0), 0.0))
    with pytest.raises(InvalidParamError, match="clip_epsilon: 0.5 clips the update.*old_value="):
        get_loss("value_loss", clip_epsilon=0.5)(v, target)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("clip_epsilon", [0.1, 0.4, 2.0])
def test_clipped_value_loss_matches_the_reference(dtype, clip_epsilon):
    """What the conformance suite checks for the default, for the clipped loss (its example has no old_value)."""
    example = value_batch(torch.Generator().manual_seed(3), dtype=dtype, device="cpu", batch_size=16, old_value=True)
    for reduction in ("none", "sum", "mean"):
        loss = get_loss("value_loss", clip_epsilon=clip_epsilon, reduction=reduction)
        expected = value_loss_reference(example, clip_epsilon=clip_epsilon, reduction=reduction)
        got = loss(example.input, example.target, **example.context)
        assert got.dtype == dtype
        torch.testing.assert_close(got.double(), expected, rtol=1e-6 if dtype == torch.float32 else 1e-12, atol=1e-6)
    # NaN in old_value reaches the clipped loss.
    nan = {"old_value": example.context["old_value"].clone()}
    nan["old_value"][0] = float("nan")
    assert torch.isnan(get_loss("value_loss", clip_epsilon=clip_epsilon, reduction="none")(
        example.input, example.target, **nan)[0])


def test_entropy_bonus():
    loss = get_loss("entropy_bonus", reduction="none")
    uniform = torch.zeros(2, 4)
    torch.testing.assert_close(loss(uniform, None), torch.full((2,), -math.log(4)))  # logits work as well
    torch.testing.assert_close(loss(uniform.log_softmax(1), None), torch.full((2,), -math.log(4)))
    masked = torch.tensor([[0.0, 0.0, float("-inf")]], requires_grad=True)
    value = loss(masked, None)
    value.sum().backward()
    assert value.item() == pytest.approx(-math.log(2)) and bool(torch.isfinite(masked.grad).all())
    # Minimising it spreads the distribution: the likely action loses probability.
    logits = torch.tensor([[2.0, 0.0, 0.0]], requires_grad=True)
    loss(logits, None).sum().backward()
    assert logits.grad[0, 0] > 0


def test_kl_penalty_estimators():
    new, ref = torch.log(t(0.5, 0.2)), torch.log(t(0.25, 0.4))
    r = t(2.0, 0.5)
    for estimator, expected in (("k1", -r.log()), ("k2", 0.5 * r.log() ** 2), ("k3", r - 1 - r.log())):
        torch.testing.assert_close(get_loss("kl_penalty", estimator=estimator, reduction="none")(new, ref), expected)
    p, q = t(0.3, 0.7), t(0.6, 0.4)  # current, reference
    exact = get_loss("kl_penalty", estimator="exact")(p.log()[None], q.log()[None])
    assert exact.item() == pytest.approx(0.6 * math.log(0.6 / 0.3) + 0.4 * math.log(0.4 / 0.7))
    with pytest.raises(LossInputError, match="'exact' takes distributions"):
        get_loss("kl_penalty", estimator="exact")(p.log(), q.log())
    # Sampled from the reference policy, k1 and k3 estimate the exact KL without bias.
    g = torch.Generator().manual_seed(0)
    actions = torch.multinomial(q, 40000, replacement=True, generator=g)
    for estimator in ("k1", "k3"):
        estimate = get_loss("kl_penalty", estimator=estimator)(p.log()[actions], q.log()[actions])
        assert estimate.item() == pytest.approx(exact.item(), abs=0.01)


def test_ppo_objective_from_config():
    objective = ppo_objective(value_coef=0.5, entropy_coef=0.01, policy={"clip_epsilon": 0.1},
                              value={"clip_epsilon": 0.2})
    config = ppo_config(value_coef=0.5, entropy_coef=0.01, policy={"clip_epsilon": 0.1}, value={"clip_epsilon": 0.2})
    assert objective.to_config() == build_loss(config).to_config()
    assert objective.to_config()["weights"] == {"policy": 1.0, "value": 0.5, "entropy": 0.01}
    rebuilt = build_loss(objective.to_config())
    assert rebuilt.to_config() == objective.to_config()
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(6, 3, generator=g, requires_grad=True)
    actions = torch.randint(0, 3, (6,), generator=g)
    log_prob = logits.log_softmax(1).gather(1, actions[:, None]).squeeze(1)
    old_log_prob = log_prob.detach() + 0.05 * torch.randn(6, generator=g)
    values = torch.randn(6, generator=g, requires_grad=True)
    old_values, returns, advantages = (torch.randn(6, generator=g) for _ in range(3))
    outputs = {"policy": log_prob, "value": values, "entropy": logits}
    targets = {"policy": advantages, "value": returns, "entropy": None}
    total, parts = objective.breakdown(outputs, targets, old_log_prob=old_log_prob, old_value=old_values)
    policy = get_loss("ppo_clip", clip_epsilon=0.1)(log_prob, advantages, old_log_prob=old_log_prob)
    value = get_loss("value_loss", clip_epsilon=0.2)(values, returns, old_value=old_values)
    entropy = get_loss("entropy_bonus")(logits, None)
    torch.testing.assert_close(total, policy + 0.5 * value + 0.01 * entropy)
    assert set(parts) == {"policy", "value", "entropy"}
    torch.testing.assert_close(rebuilt(outputs, targets, old_log_prob=old_log_prob, old_value=old_values), total)
    total.backward()
    assert logits.grad is not None and values.grad is not None


def test_ppo_objective_yaml_config():
    pytest.importorskip("yaml")
    objective = build_loss(
        """
        name: multitask
        tasks:
          policy: {name: ppo_clip, clip_epsilon: 0.2}
          value: {name: value_loss}
          entropy: {name: entropy_bonus}
        weights: {policy: 1.0, value: 1.0, entropy: 0.01}
        """,
        format="yaml",
    )
    assert objective.to_config() == ppo_objective().to_config()


def test_losses_take_log_probabilities_of_any_batch_shape():
    g = torch.Generator().manual_seed(0)
    log_prob = torch.randn(5, 2, generator=g).clamp_max(0)  # (T, envs)
    advantages = torch.randn(5, 2, generator=g)
    mask = torch.ones(5, 2)
    mask[3:, 1] = 0  # padding after an episode ended
    full = get_loss("reinforce", reduction="none")(log_prob, advantages)
    assert full.shape == (5, 2)
    masked = get_loss("reinforce", reduction="sum")(log_prob, advantages, weight=mask)
    torch.testing.assert_close(masked, (full * mask).sum())
    with pytest.raises(LossInputError, match="same shape"):
        get_loss("ppo_clip")(log_prob, advantages[:, 0], old_log_prob=log_prob)


def test_public_names():
    assert set(losskit_rl.__all__) == {
        "AdvantageEstimate", "EntropyBonus", "KLPenalty", "PPOClipLoss", "PPODiagnostics", "ReinforceLoss",
        "ValueLoss", "discounted_returns", "entropy_bonus", "gae", "kl_penalty", "ppo_clip_loss", "ppo_config",
        "ppo_diagnostics", "ppo_objective", "reinforce_loss", "td_lambda", "value_loss",
    }
    for name in ("reinforce", "ppo_clip", "value_loss", "entropy_bonus", "kl_penalty"):
        assert get_spec(name).family == "rl"
