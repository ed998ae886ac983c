"""Input contracts of the RL family and the conformance suite's example batches.

Every maker draws in float64 on the CPU from ``generator``, then moves the
floating tensors to ``device`` and ``dtype``; ``batch_size`` may be 0.
"""

from __future__ import annotations

import torch
from torch import Tensor

from losskit import Example, InputContract

__all__ = [
    "ACTIONS",
    "DISTRIBUTIONS",
    "ENTROPY",
    "POLICY",
    "VALUES",
    "entropy_batch",
    "kl_batch",
    "ppo_batch",
    "reinforce_batch",
    "value_batch",
]

ACTIONS = 4

#: Log-probabilities of the actions taken, log pi(a_t | s_t), and an advantage (or return) per step.
POLICY = InputContract("log_probabilities", "same_shape", "(N, *): log pi(a|s) of the actions taken",
                       "(N, *): advantages or returns", "(N, *) with reduction='none', else ()")
#: Value predictions V(s_t) and value targets.
VALUES = InputContract("values", "same_shape", "(N, *): V(s)", "(N, *): value targets (returns)",
                       "(N, *) with reduction='none', else ()")
#: A distribution over A discrete actions per state: log-probabilities or logits.
ENTROPY = InputContract("log_probabilities", "any", "(N, *, A): log-probabilities (or logits) over A actions",
                        "ignored", "(N, *) with reduction='none', else ()")
#: Log-probabilities under the current policy and under the reference (old) policy.
DISTRIBUTIONS = InputContract("log_probabilities", "same_shape", "(N, *): log pi(a|s); (N, *, A) for 'exact'",
                              "(N, *): log pi_ref(a|s) of the same actions; (N, *, A) for 'exact'",
                              "(N, *) with reduction='none', else ()")


def _normal(generator: torch.Generator, *shape: int) -> Tensor:
    return torch.randn(shape, generator=generator, dtype=torch.float64)


def _to(x: Tensor, dtype: torch.dtype, device: torch.device | str) -> Tensor:
    return x.to(device=device, dtype=dtype)


def _log_prob_taken(generator: torch.Generator, n: int, shift: float = 0.0) -> tuple[Tensor, Tensor]:
    """log pi(a|s) of a sampled action under logits z, and under z + shift * noise (a policy update)."""
    z = _normal(generator, n, ACTIONS)
    a = torch.randint(0, ACTIONS, (n, 1), generator=generator)
    moved = z + shift * _normal(generator, n, ACTIONS)
    return z.log_softmax(1).gather(1, a).squeeze(1), moved.log_softmax(1).gather(1, a).squeeze(1)


def reinforce_batch(generator: torch.Generator, *, dtype: torch.dtype, device: torch.device | str,
                    batch_size: int) -> Example:
    """``input`` log pi(a|s) ``(N,)``, ``target`` returns ``(N,)`` (sd 2), ``baseline`` ``(N,)``."""
    log_prob, _ = _log_prob_taken(generator, batch_size)
    returns, baseline = 2 * _normal(generator, batch_size), _normal(generator, batch_size)
    return Example(_to(log_prob, dtype, device), _to(returns, dtype, device), {"baseline": _to(baseline, dtype, device)})


def ppo_batch(generator: torch.Generator, *, dtype: torch.dtype, device: torch.device | str, batch_size: int) -> Example:
    """``input`` new log pi(a|s) ``(N,)``, ``target`` advantages ``(N,)``, ``old_log_prob`` ``(N,)``: ratios spread
    around 1 on both sides of the default clip range."""
    old, new = _log_prob_taken(generator, batch_size, shift=0.5)
    adv = _normal(generator, batch_size)
    return Example(_to(new, dtype, device), _to(adv, dtype, device), {"old_log_prob": _to(old, dtype, device)})


def value_batch(generator: torch.Generator, *, dtype: torch.dtype, device: torch.device | str,
                batch_size: int, old_value: bool = False) -> Example:
    """``input`` V(s) ``(N,)``, ``target`` returns ``(N,)``; with ``old_value``, also ``old_value`` ``(N,)``
    within about 0.5 of V(s). The conformance suite gets none: the default (unclipped) loss does not read it,
    so the suite's checks stay with the default; the clipped loss is checked in the family's own tests."""
    values, returns = _normal(generator, batch_size), 2 * _normal(generator, batch_size)
    old = values + 0.5 * _normal(generator, batch_size)
    context = {"old_value": _to(old, dtype, device)} if old_value else {}
    return Example(_to(values, dtype, device), _to(returns, dtype, device), context)


def entropy_batch(generator: torch.Generator, *, dtype: torch.dtype, device: torch.device | str,
                  batch_size: int) -> Example:
    """``input`` log-probabilities ``(N, 4)`` (a log-softmax); no target."""
    return Example(_to(_normal(generator, batch_size, ACTIONS).log_softmax(1), dtype, device), None)


def kl_batch(generator: torch.Generator, *, dtype: torch.dtype, device: torch.device | str, batch_size: int) -> Example:
    """``input`` and ``target`` log-probabilities ``(N, 4)`` (log-softmaxes of nearby logits): per-element log-probs
    for the sampled estimators, per-row distributions for ``'exact'``."""
    z = _normal(generator, batch_size, ACTIONS)
    moved = z + 0.5 * _normal(generator, batch_size, ACTIONS)
    return Example(_to(moved.log_softmax(1), dtype, device), _to(z.log_softmax(1), dtype, device))
