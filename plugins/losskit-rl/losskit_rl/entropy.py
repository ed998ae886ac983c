"""The entropy bonus of policy-gradient methods (Williams & Peng 1991; Mnih et al. 2016), as a loss to minimise."""

from __future__ import annotations

import torch
from torch import Tensor

from losskit import Loss, LossSpec
from losskit.inputs import check_floating, check_ndim
from losskit.params import reduction_param
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce

from ._examples import ENTROPY, entropy_batch
from .reference import entropy_bonus_reference

__all__ = ["EntropyBonus", "entropy_bonus", "negative_entropy"]


def negative_entropy(input: Tensor) -> Tensor:
    """:math:`\\sum_a \\pi(a) \\log \\pi(a)` over the last dimension, with :math:`0 \\log 0 = 0` (masked actions at
    ``-inf`` are fine, in value and gradient)."""
    log_p = torch.log_softmax(working(input), dim=-1)
    p = log_p.exp()
    return (p * log_p.masked_fill(p == 0, 0.0)).sum(-1)


class EntropyBonus(Loss, name="entropy_bonus"):
    r"""Minus the entropy of the policy's action distribution: minimising it keeps the policy exploring.

    .. math::
        \ell_s = -H(\pi(\cdot \mid s)) = \sum_a \pi(a \mid s) \log \pi(a \mid s)

    exact, from the whole distribution over the discrete actions, never the
    log-probability of the sampled action alone (:math:`-\log\pi(a)` has the
    right expectation but a gradient whose expectation is 0). The input is
    normalised with a log-softmax over its last dimension, so log-probabilities
    and logits both work, and actions masked with ``-inf`` count as
    :math:`0 \log 0 = 0`. Weighted by a coefficient (0.01 in the PPO paper's
    Atari runs) it is the entropy term of A3C and PPO.

    Args:
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input: log-probabilities or logits ``(N, *, A)`` over ``A`` actions; target: ignored (``None``);
        output ``(N, *)`` with ``reduction='none'``, else a scalar.

    Context:
        ``weight``: per-state weights, ``(N, *)`` or ``(N,)``.

    Examples:
        >>> loss = EntropyBonus()
        >>> loss(torch.log(torch.tensor([[0.5, 0.5, 0.0]])), None)   # -log 2
        tensor(-0.6931)

    Reference: Williams, Peng. Function optimization using connectionist reinforcement learning
    algorithms. Connection Science 3(3), 1991; Mnih et al. Asynchronous Methods for Deep Reinforcement
    Learning. ICML 2016.
    """

    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(input: Tensor, target: Tensor | None, *, reduction: Reduction, weight: Tensor | None = None) -> Tensor:
        check_floating("entropy_bonus", "input", input)
        check_ndim("entropy_bonus", "input", input, tuple(range(1, 9)), "(N, *, A), the actions along the last dimension")
        return reduce(output(negative_entropy(input), input), reduction, weight=weight, owner="entropy_bonus")


entropy_bonus = EntropyBonus.functional

SPEC = LossSpec.of(
    EntropyBonus, family="rl", source="Williams & Peng, Connection Science 1991; Mnih et al., Asynchronous Methods "
    "for Deep Reinforcement Learning, ICML 2016", contract=ENTROPY, example=entropy_batch,
    reference=entropy_bonus_reference, tags={"weight", "compile"},
)
