r"""Return and advantage estimators: plain functions of rollout tensors, time along dimension 0.

Every tensor is ``(T, *B)``: ``T`` steps of ``B`` parallel environments (or
one flat trajectory holding several episodes, ``B`` empty). Step ``t`` took
the action in state :math:`s_t`, got the reward ``rewards[t]`` and moved to
:math:`s'_t`; ``next_values[t]`` is :math:`V(s'_t)`, the bootstrap value: the
value of the observation that *followed* step ``t`` (for a truncated step,
the final observation before the reset, not the reset one).

Episode boundaries are two separate flags, as in Gymnasium:

* ``terminated[t]``: :math:`s'_t` is terminal, its value is 0. It cuts both
  the bootstrap and the trace: nothing after ``t`` is discounted into ``t``.
* ``truncated[t]``: the episode was cut (a time limit) but :math:`s'_t` is not
  terminal. It bootstraps from :math:`V(s'_t)` and cuts the trace.

The last step of the rollout is treated as truncated unless terminated.
Returns are never discounted across episodes. The functions are
differentiable and do not detach (the losses detach their targets).

With :math:`c_t` the cut (terminated, truncated or last step),
:math:`m_t = 1 - \text{terminated}_t`:

.. math::
    G_t &= r_t + \gamma m_t \left[c_t V(s'_t) + (1 - c_t) G_{t+1}\right]
        &\text{(discounted\_returns)} \\
    G^\lambda_t &= r_t + \gamma m_t \left[c_t V(s'_t) + (1 - c_t)\left((1 - \lambda) V(s'_t)
        + \lambda G^\lambda_{t+1}\right)\right] &\text{(td\_lambda)} \\
    \delta_t &= r_t + \gamma m_t V(s'_t) - V(s_t), \qquad
    A_t = \delta_t + \gamma \lambda (1 - c_t) A_{t+1} &\text{(gae)}

References: Sutton & Barto, Reinforcement Learning: An Introduction, 2nd ed., 2018 (ch. 12, the
lambda-return); Schulman, Moritz, Levine, Jordan, Abbeel. High-Dimensional Continuous Control Using
Generalized Advantage Estimation. ICLR 2016.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import Tensor

from losskit.errors import InvalidParamError, LossInputError
from losskit.inputs import check_floating, check_tensor
from losskit.precision import working

__all__ = ["AdvantageEstimate", "discounted_returns", "gae", "td_lambda"]


class AdvantageEstimate(NamedTuple):
    """What :func:`gae` returns: the advantages and the value targets ``advantages + values`` (the lambda-returns)."""

    advantages: Tensor
    returns: Tensor


def _unit(owner: str, name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0 or math.isnan(value):
        raise InvalidParamError(owner, name, f"must be a number in [0, 1], got {value!r}")
    return float(value)


def _same(owner: str, rewards: Tensor, **tensors: Tensor | None) -> dict[str, Tensor | None]:
    check_floating(owner, "rewards", rewards)
    if rewards.dim() == 0:
        raise LossInputError(f"{owner}: rewards must be (T, *B) with time along dimension 0, got a scalar.")
    out: dict[str, Tensor | None] = {}
    for name, x in tensors.items():
        if x is None:
            out[name] = None
            continue
        check_tensor(owner, name, x)
        if x.shape != rewards.shape:
            raise LossInputError(
                f"{owner}: {name} must have the rewards' shape {tuple(rewards.shape)} (time along dimension 0), "
                f"got {tuple(x.shape)}."
            )
        out[name] = x
    return out


def _cuts(terminated: Tensor, truncated: Tensor | None, dtype: torch.dtype) -> tuple[Tensor, Tensor]:
    """``(1 - terminated, cut)`` as ``dtype``; the last step is a cut."""
    terminal = terminated.to(torch.bool)
    cut = terminal if truncated is None else terminal | truncated.to(torch.bool)
    cut = cut.clone()
    if len(cut):
        cut[-1] = True
    return (~terminal).to(dtype), cut.to(dtype)


def discounted_returns(
    rewards: Tensor, *, gamma: float, terminated: Tensor, truncated: Tensor | None = None,
    next_values: Tensor | None = None,
) -> Tensor:
    """Discounted returns to go, :math:`G_t = \\sum_k \\gamma^k r_{t+k}` within each episode, bootstrapped at cuts.

    ``next_values`` (the bootstrap :math:`V(s'_t)`, see the module docstring) is read at truncated steps and
    at the rollout's last step; ``None`` bootstraps with 0 (complete episodes, Monte Carlo), and is an error
    when a step is truncated (its return would silently lose the rest of the episode).
    """
    owner = "discounted_returns"
    gamma = _unit(owner, "gamma", gamma)
    given = _same(owner, rewards, terminated=terminated, truncated=truncated, next_values=next_values)
    if next_values is None and given["truncated"] is not None and bool(given["truncated"].to(torch.bool).any()):
        raise LossInputError(
            f"{owner}: a truncated step bootstraps from the value of the observation that followed it; "
            "pass next_values=V(s') (zeros if you really mean to cut the return there)."
        )
    r = working(rewards)
    alive, cut = _cuts(terminated, truncated, r.dtype)
    bootstrap = torch.zeros_like(r) if next_values is None else working(next_values).to(r.dtype)
    out = torch.empty_like(r)
    following = torch.zeros_like(r[0]) if len(r) else None
    for t in reversed(range(len(r))):
        following = r[t] + gamma * alive[t] * (cut[t] * bootstrap[t] + (1 - cut[t]) * following)
        out[t] = following
    return out.to(rewards.dtype)


def td_lambda(
    rewards: Tensor, next_values: Tensor, *, gamma: float, lam: float, terminated: Tensor,
    truncated: Tensor | None = None,
) -> Tensor:
    """The lambda-returns :math:`G^\\lambda_t`: TD(0) targets at ``lam=0``, bootstrapped Monte Carlo returns at ``lam=1``."""
    owner = "td_lambda"
    gamma, lam = _unit(owner, "gamma", gamma), _unit(owner, "lam", lam)
    _same(owner, rewards, next_values=next_values, terminated=terminated, truncated=truncated)
    r = working(rewards)
    v = working(next_values).to(r.dtype)
    alive, cut = _cuts(terminated, truncated, r.dtype)
    out = torch.empty_like(r)
    following = torch.zeros_like(r[0]) if len(r) else None
    for t in reversed(range(len(r))):
        continued = (1 - lam) * v[t] + lam * following
        following = r[t] + gamma * alive[t] * (cut[t] * v[t] + (1 - cut[t]) * continued)
        out[t] = following
    return out.to(rewards.dtype)


def gae(
    rewards: Tensor, values: Tensor, next_values: Tensor, *, gamma: float, lam: float, terminated: Tensor,
    truncated: Tensor | None = None,
) -> AdvantageEstimate:
    """Generalized advantage estimation (Schulman et al. 2016): :math:`A_t = \\sum_k (\\gamma\\lambda)^k \\delta_{t+k}`
    within each episode, and the value targets ``A + values``.

    ``values[t]`` is :math:`V(s_t)`, ``next_values[t]`` is :math:`V(s'_t)` (see the module docstring).
    ``lam=0`` gives the TD errors :math:`\\delta_t`; ``lam=1`` the bootstrapped Monte Carlo return minus
    :math:`V(s_t)`.
    """
    owner = "gae"
    gamma, lam = _unit(owner, "gamma", gamma), _unit(owner, "lam", lam)
    _same(owner, rewards, values=values, next_values=next_values, terminated=terminated, truncated=truncated)
    r = working(rewards)
    v, v_next = working(values).to(r.dtype), working(next_values).to(r.dtype)
    alive, cut = _cuts(terminated, truncated, r.dtype)
    delta = r + gamma * alive * v_next - v
    advantages = torch.empty_like(r)
    following = torch.zeros_like(r[0]) if len(r) else None
    for t in reversed(range(len(r))):
        following = delta[t] + gamma * lam * (1 - cut[t]) * following
        advantages[t] = following
    return AdvantageEstimate(advantages.to(rewards.dtype), (advantages + v).to(rewards.dtype))
