"""Float64 references for the conformance suite, written from the papers' formulas."""

from __future__ import annotations

import torch
from torch import Tensor

from losskit import Example
from losskit.testing.reference import f64, reduce_reference

__all__ = [
    "entropy_bonus_reference",
    "kl_penalty_reference",
    "ppo_clip_reference",
    "reinforce_reference",
    "value_loss_reference",
]


def _standardise(a: Tensor) -> Tensor:
    if a.numel() == 0:
        return a
    mean = a.sum() / a.numel()
    std = ((a - mean) ** 2).sum().div(a.numel()).sqrt()
    return (a - mean) / (std + 1e-8)


def _weight(example: Example) -> Tensor | None:
    return example.context.get("weight")


def reinforce_reference(example: Example, *, normalize: bool, reduction: str) -> Tensor:
    """Williams 1992: the loss whose gradient is -(G_t - b_t) grad log pi(a_t|s_t)."""
    advantage = f64(example.target)
    if "baseline" in example.context:
        advantage = advantage - f64(example.context["baseline"])
    if normalize:
        advantage = _standardise(advantage)
    return reduce_reference(-advantage * f64(example.input), reduction, weight=_weight(example))


def ppo_clip_reference(example: Example, *, clip_epsilon: float, normalize: bool, reduction: str) -> Tensor:
    """Schulman et al. 2017, eq. (7): -min(r A, clip(r, 1 - eps, 1 + eps) A), r = pi / pi_old."""
    ratio = torch.exp(f64(example.input)) / torch.exp(f64(example.context["old_log_prob"]))
    advantage = f64(example.target)
    if normalize:
        advantage = _standardise(advantage)
    clipped = torch.minimum(torch.maximum(ratio, torch.tensor(1 - clip_epsilon, dtype=torch.float64)),
                            torch.tensor(1 + clip_epsilon, dtype=torch.float64))
    return reduce_reference(-torch.minimum(ratio * advantage, clipped * advantage), reduction, weight=_weight(example))


def value_loss_reference(example: Example, *, clip_epsilon: float | None, reduction: str) -> Tensor:
    """Schulman et al. 2017, L^VF = (V - V_targ)^2; with clipping, the PPO2 code's max of clipped and plain."""
    v, target = f64(example.input), f64(example.target)
    loss = (v - target) ** 2
    if clip_epsilon is not None:
        old = f64(example.context["old_value"])
        clipped = old + torch.clamp(v - old, -clip_epsilon, clip_epsilon)
        loss = torch.maximum(loss, (clipped - target) ** 2)
    return reduce_reference(loss, reduction, weight=_weight(example))


def entropy_bonus_reference(example: Example, *, reduction: str) -> Tensor:
    """-H(pi(.|s)) = sum_a pi(a|s) log pi(a|s), the distribution normalised from the input."""
    z = f64(example.input)
    p = torch.exp(z) / torch.exp(z).sum(-1, keepdim=True)
    negative_entropy = torch.where(p > 0, p * torch.log(p), torch.zeros_like(p)).sum(-1)
    return reduce_reference(negative_entropy, reduction, weight=_weight(example))


def kl_penalty_reference(example: Example, *, estimator: str, reduction: str) -> Tensor:
    """KL(pi_ref || pi) exactly, or estimated from actions sampled from pi_ref (Schulman 2020, k1 k2 k3)."""
    log_p, log_q = f64(example.input), f64(example.target)  # current policy, reference policy
    if estimator == "exact":
        q = torch.exp(log_q) / torch.exp(log_q).sum(-1, keepdim=True)
        p = torch.exp(log_p) / torch.exp(log_p).sum(-1, keepdim=True)
        kl = (q * (torch.log(q) - torch.log(p))).sum(-1)
    else:
        ratio = torch.exp(log_p - log_q)  # pi / pi_ref at actions drawn from pi_ref
        kl = {"k1": -torch.log(ratio), "k2": 0.5 * torch.log(ratio) ** 2, "k3": ratio - 1 - torch.log(ratio)}[estimator]
    return reduce_reference(kl, reduction, weight=_weight(example))
