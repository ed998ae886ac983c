"""REINFORCE from these pieces learns a CartPole written in torch (no gym), in a few seconds.

The dynamics are those of the classic cart-pole (Barto, Sutton & Anderson
1983) as Gymnasium's CartPole-v1 integrates them (Euler, tau = 0.02 s):
reward 1 per step, terminated when the pole leans past 12 degrees or the
cart leaves +-2.4, truncated at a time limit.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from losskit import get_loss
from losskit_rl import discounted_returns

GRAVITY, CART_MASS, POLE_MASS, HALF_LENGTH, FORCE, TAU = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02
THETA_LIMIT, X_LIMIT = 12 * 2 * math.pi / 360, 2.4


class CartPole:
    """``n`` cart-poles stepped together; ``step`` returns the reward and the termination flags."""

    def __init__(self, n: int, generator: torch.Generator) -> None:
        self.state = (torch.rand(n, 4, generator=generator) - 0.5) * 0.1

    def step(self, action: Tensor) -> tuple[Tensor, Tensor]:
        x, x_dot, theta, theta_dot = self.state.unbind(1)
        force = FORCE * (2 * action.float() - 1)
        total_mass, pole_moment = CART_MASS + POLE_MASS, POLE_MASS * HALF_LENGTH
        temp = (force + pole_moment * theta_dot**2 * theta.sin()) / total_mass
        theta_acc = (GRAVITY * theta.sin() - theta.cos() * temp) / (
            HALF_LENGTH * (4.0 / 3.0 - POLE_MASS * theta.cos() ** 2 / total_mass)
        )
        x_acc = temp - pole_moment * theta_acc * theta.cos() / total_mass
        self.state = torch.stack(
            [x + TAU * x_dot, x_dot + TAU * x_acc, theta + TAU * theta_dot, theta_dot + TAU * theta_acc], dim=1
        )
        terminated = (self.state[:, 0].abs() > X_LIMIT) | (self.state[:, 2].abs() > THETA_LIMIT)
        return torch.ones(len(action)), terminated


def rollout(policy: nn.Module, episodes: int, limit: int, generator: torch.Generator):
    """One episode per environment: log-probabilities, rewards, flags and a mask of the real steps, (T, episodes)."""
    env = CartPole(episodes, generator)
    alive = torch.ones(episodes, dtype=torch.bool)
    log_probs, rewards, terminated, masks = [], [], [], []
    for _ in range(limit):
        logits = policy(env.state)
        action = torch.multinomial(logits.softmax(1), 1, generator=generator).squeeze(1)
        log_probs.append(logits.log_softmax(1).gather(1, action[:, None]).squeeze(1))
        reward, done = env.step(action)
        masks.append(alive.clone())
        rewards.append(reward * alive)
        terminated.append(done & alive)
        alive = alive & ~done
        if not alive.any():
            break
    return torch.stack(log_probs), torch.stack(rewards), torch.stack(terminated), torch.stack(masks)


def test_reinforce_learns_cartpole():
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    policy = nn.Linear(4, 2)
    optimiser = torch.optim.Adam(policy.parameters(), lr=0.2)
    loss = get_loss("reinforce", normalize=True)
    lengths = []
    limit = 100
    for _ in range(10):  # 128 episodes per update: the per-step cost is Python's, not the batch size's
        log_prob, rewards, terminated, mask = rollout(policy, 128, limit, generator)
        # A still-alive episode at the limit is truncated; with no critic, V(s') is taken as 0 explicitly.
        truncated = torch.zeros_like(terminated)
        truncated[-1] = mask[-1] & ~terminated[-1]
        returns = discounted_returns(rewards, gamma=0.99, terminated=terminated, truncated=truncated,
                                     next_values=torch.zeros_like(rewards))
        value = loss(log_prob[mask], returns[mask])  # the real steps only: normalised over them
        optimiser.zero_grad()
        value.backward()
        optimiser.step()
        lengths.append(mask.sum(0).float().mean().item())
    first, last = sum(lengths[:2]) / 2, sum(lengths[-3:]) / 3
    assert last > 2 * first and last > 75, lengths  # from about 40 steps to most of the 100-step limit
