"""The estimators against trajectories worked out by hand, and against each other."""

from __future__ import annotations

import pytest
import torch

from losskit.errors import InvalidParamError, LossInputError
from losskit_rl import discounted_returns, gae, td_lambda


def t(*values):
    return torch.tensor(values, dtype=torch.float64)


# One episode of three steps ending in a terminal state; gamma = 0.5.
REWARDS, VALUES = t(1, 2, 3), t(0.5, 1.0, 2.0)
NEXT_VALUES = t(1.0, 2.0, 99.0)  # V(s'_2) = 99 belongs to a terminal state: never read
TERMINATED = torch.tensor([False, False, True])
MC = t(1 + 0.5 * (2 + 0.5 * 3), 2 + 0.5 * 3, 3)  # 2.75, 3.5, 3


def test_discounted_returns_by_hand():
    torch.testing.assert_close(discounted_returns(REWARDS, gamma=0.5, terminated=TERMINATED), MC)
    torch.testing.assert_close(
        discounted_returns(REWARDS, gamma=0.5, terminated=TERMINATED, next_values=NEXT_VALUES), MC
    )
    # Not terminated: the last step bootstraps from V(s'_2).
    open_ended = discounted_returns(REWARDS, gamma=0.5, terminated=torch.zeros(3, dtype=torch.bool),
                                    next_values=t(0, 0, 4))
    torch.testing.assert_close(open_ended, t(1 + 0.5 * (2 + 0.5 * 5), 2 + 0.5 * 5, 3 + 0.5 * 4))


def test_gae_with_lambda_one_is_the_monte_carlo_return_minus_v():
    estimate = gae(REWARDS, VALUES, NEXT_VALUES, gamma=0.5, lam=1.0, terminated=TERMINATED)
    torch.testing.assert_close(estimate.advantages, MC - VALUES)  # 2.25, 2.5, 1.0
    torch.testing.assert_close(estimate.returns, MC)


def test_gae_with_lambda_zero_is_the_td0_error():
    estimate = gae(REWARDS, VALUES, NEXT_VALUES, gamma=0.5, lam=0.0, terminated=TERMINATED)
    # delta_t = r_t + gamma (1 - terminated_t) V(s'_t) - V(s_t)
    torch.testing.assert_close(estimate.advantages, t(1 + 0.5 * 1 - 0.5, 2 + 0.5 * 2 - 1, 3 - 2))
    torch.testing.assert_close(td_lambda(REWARDS, NEXT_VALUES, gamma=0.5, lam=0.0, terminated=TERMINATED),
                               t(1 + 0.5 * 1, 2 + 0.5 * 2, 3))


def test_gae_with_an_intermediate_lambda_by_hand():
    # gamma = 0.9, lambda = 0.5, one open-ended episode; deltas 1 + 0.9 * 2 - 1 = 1.8 and 1 + 0.9 * 4 - 2 = 2.6.
    estimate = gae(t(1, 1), t(1, 2), t(2, 4), gamma=0.9, lam=0.5, terminated=torch.zeros(2))
    torch.testing.assert_close(estimate.advantages, t(1.8 + 0.45 * 2.6, 2.6))
    # The lambda-return: G_1 = 1 + 0.9 * 4 = 4.6; G_0 = 1 + 0.9 * (0.5 * 2 + 0.5 * 4.6) = 3.97 = A_0 + V_0.
    torch.testing.assert_close(td_lambda(t(1, 1), t(2, 4), gamma=0.9, lam=0.5, terminated=torch.zeros(2)),
                               t(3.97, 4.6))


# Two episodes in one flat rollout of 4 steps (gamma = 0.9): the first ends after step 1, the second is cut
# by the end of the rollout after step 3. V(s'_1) = 10 is the first episode's final observation.
FLAT_REWARDS = t(1, 1, 1, 1)
FLAT_NEXT = t(7, 10, 3, 4)
FLAT_VALUES = t(6, 8, 2, 3)


def flags(step1):
    terminated = torch.tensor([False, step1 == "terminated", False, False])
    truncated = torch.tensor([False, step1 == "truncated", False, False])
    return terminated, truncated


def test_terminal_versus_truncated_at_the_boundary():
    g = 0.9
    second = [1 + g * (1 + g * 4), 1 + g * 4]  # the second episode, bootstrapped from V(s'_3) = 4 at the end
    terminated, truncated = flags("terminated")
    returns = discounted_returns(FLAT_REWARDS, gamma=g, terminated=terminated, truncated=truncated, next_values=FLAT_NEXT)
    torch.testing.assert_close(returns, t(1 + g * 1, 1, *second))  # a terminal step: no bootstrap, trace cut
    terminated, truncated = flags("truncated")
    returns = discounted_returns(FLAT_REWARDS, gamma=g, terminated=terminated, truncated=truncated, next_values=FLAT_NEXT)
    torch.testing.assert_close(returns, t(1 + g * (1 + g * 10), 1 + g * 10, *second))  # bootstrap V(s'), trace cut
    # GAE at the boundary, lambda = 1: A_1 = r_1 + gamma V(s'_1) - V(s_1) when truncated, r_1 - V(s_1) when terminal.
    for how, a1 in (("truncated", 1 + g * 10 - 8), ("terminated", 1 - 8)):
        terminated, truncated = flags(how)
        estimate = gae(FLAT_REWARDS, FLAT_VALUES, FLAT_NEXT, gamma=g, lam=1.0, terminated=terminated,
                       truncated=truncated)
        assert estimate.advantages[1].item() == pytest.approx(a1)
        delta0 = 1 + g * 7 - 6
        assert estimate.advantages[0].item() == pytest.approx(delta0 + g * a1)
        torch.testing.assert_close(estimate.advantages[2:], t(*second) - FLAT_VALUES[2:])


def test_never_discounts_across_episodes():
    terminated, truncated = flags("terminated")
    cut = discounted_returns(FLAT_REWARDS, gamma=0.9, terminated=terminated, next_values=FLAT_NEXT)
    rewards = FLAT_REWARDS.clone()
    rewards[2:] = 100.0  # the next episode's rewards cannot reach the first episode
    assert torch.equal(discounted_returns(rewards, gamma=0.9, terminated=terminated, next_values=FLAT_NEXT)[:2], cut[:2])
    for lam in (0.0, 0.7, 1.0):
        a = gae(FLAT_REWARDS, FLAT_VALUES, FLAT_NEXT, gamma=0.9, lam=lam, terminated=terminated, truncated=truncated)
        b = gae(rewards, FLAT_VALUES, FLAT_NEXT, gamma=0.9, lam=lam, terminated=terminated, truncated=truncated)
        assert torch.equal(a.advantages[:2], b.advantages[:2])


def test_terminated_wins_over_truncated():
    both = torch.tensor([True, False])
    returns = discounted_returns(t(1, 1), gamma=0.9, terminated=both, truncated=both, next_values=t(50, 0))
    torch.testing.assert_close(returns, t(1, 1))


def random_rollout(seed, steps=9, envs=3):
    g = torch.Generator().manual_seed(seed)
    rewards = torch.randn(steps, envs, generator=g, dtype=torch.float64)
    values = torch.randn(steps, envs, generator=g, dtype=torch.float64)
    terminated = torch.rand(steps, envs, generator=g) < 0.2
    truncated = (torch.rand(steps, envs, generator=g) < 0.2) & ~terminated
    final = torch.randn(steps, envs, generator=g, dtype=torch.float64)  # V of the final observations
    last = torch.randn(envs, generator=g, dtype=torch.float64)
    following = torch.cat([values[1:], last[None]])
    next_values = torch.where(truncated, final, following)  # where an episode continues, V(s') is V(s_{t+1})
    return rewards, values, next_values, terminated, truncated


@pytest.mark.parametrize("seed", range(3))
def test_estimators_agree(seed):
    rewards, values, next_values, terminated, truncated = random_rollout(seed)
    kw = {"terminated": terminated, "truncated": truncated}
    for lam in (0.0, 0.5, 0.95, 1.0):
        estimate = gae(rewards, values, next_values, gamma=0.99, lam=lam, **kw)
        torch.testing.assert_close(estimate.returns, td_lambda(rewards, next_values, gamma=0.99, lam=lam, **kw))
        torch.testing.assert_close(estimate.returns, estimate.advantages + values)
    torch.testing.assert_close(td_lambda(rewards, next_values, gamma=0.99, lam=1.0, **kw),
                               discounted_returns(rewards, gamma=0.99, next_values=next_values, **kw))
    # Each environment (column) on its own gives the same numbers.
    column = gae(rewards[:, 1], values[:, 1], next_values[:, 1], gamma=0.99, lam=0.9, terminated=terminated[:, 1],
                 truncated=truncated[:, 1])
    torch.testing.assert_close(column.advantages,
                               gae(rewards, values, next_values, gamma=0.99, lam=0.9, **kw).advantages[:, 1])


def test_estimators_are_differentiable_and_keep_the_dtype():
    rewards, values, next_values, terminated, truncated = random_rollout(0)
    values = values.float().requires_grad_(True)
    estimate = gae(rewards.float(), values, next_values.float(), gamma=0.9, lam=0.9, terminated=terminated,
                   truncated=truncated)
    assert estimate.advantages.dtype == torch.float32
    estimate.advantages.sum().backward()
    assert values.grad is not None
    empty = gae(torch.zeros(0, 2), torch.zeros(0, 2), torch.zeros(0, 2), gamma=0.9, lam=0.9,
                terminated=torch.zeros(0, 2, dtype=torch.bool))
    assert empty.advantages.shape == (0, 2)


def test_errors_name_the_fix():
    with pytest.raises(LossInputError, match="next_values"):
        discounted_returns(t(1, 1), gamma=0.9, terminated=torch.zeros(2), truncated=torch.tensor([True, False]))
    with pytest.raises(InvalidParamError, match="gamma: must be a number in \\[0, 1\\], got 1.5"):
        gae(t(1), t(1), t(1), gamma=1.5, lam=0.9, terminated=torch.zeros(1))
    with pytest.raises(InvalidParamError, match="lam"):
        td_lambda(t(1), t(1), gamma=0.9, lam=-0.1, terminated=torch.zeros(1))
    with pytest.raises(LossInputError, match=r"terminated must have the rewards' shape \(3,\)"):
        discounted_returns(t(1, 2, 3), gamma=0.9, terminated=torch.zeros(2))
    with pytest.raises(LossInputError, match="time along dimension 0"):
        discounted_returns(torch.tensor(1.0), gamma=0.9, terminated=torch.tensor(False))
