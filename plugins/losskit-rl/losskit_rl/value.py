"""The critic's squared error, optionally clipped around the old values (PPO, Schulman et al. 2017)."""

from __future__ import annotations

import torch
from torch import Tensor

from losskit import Loss, LossSpec, param
from losskit.errors import InvalidParamError
from losskit.inputs import check_value_target
from losskit.params import reduction_param
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce

from ._examples import VALUES, value_batch
from .reference import value_loss_reference

__all__ = ["ValueLoss", "value_loss"]


class ValueLoss(Loss, name="value_loss"):
    r"""Squared error of the value prediction against a detached target; optionally PPO2's clipped variant.

    .. math::
        \ell_t = \left(V_\theta(s_t) - \hat V_t\right)^2, \qquad
        \ell_t^{clip} = \max\left(\left(V_\theta - \hat V_t\right)^2,\
            \left(V_{old} + \operatorname{clip}(V_\theta - V_{old}, -\epsilon, \epsilon) - \hat V_t\right)^2\right)

    :math:`L^{VF}` of the PPO paper, without a factor :math:`\tfrac12` (the
    baselines and CleanRL code put one here, so their ``vf_coef=0.5`` is a
    weight of 0.25 on this loss). The target (a return, a lambda-return, GAE's
    ``returns``) is detached here. ``clip_epsilon`` bounds how far one update
    moves the value from the rollout's ``old_value``, as the PPO2 code does.

    Args:
        clip_epsilon: clip range of the value update around ``old_value``; ``None``: unclipped.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input: :math:`V_\theta(s_t)`, ``(N, *)``; target: :math:`\hat V_t`, the same shape; output the same shape
        with ``reduction='none'``, else a scalar.

    Context:
        ``old_value``: :math:`V_{old}(s_t)` from the rollout; read only with ``clip_epsilon``, and required
        then (an :class:`~losskit.InvalidParamError` naming ``clip_epsilon`` without it).
        ``weight``: per-step weights, ``(N, *)`` or ``(N,)``.

    Examples:
        >>> loss = ValueLoss(clip_epsilon=0.5)
        >>> loss(torch.tensor([2.0]), torch.tensor([3.0]), old_value=torch.tensor([0.0]))   # max(1, (0.5 - 3)^2)
        tensor(6.2500)

    Reference: Schulman, Wolski, Dhariwal, Radford, Klimov. Proximal Policy Optimization Algorithms.
    arXiv:1707.06347, 2017 (eq. 9; value clipping from the authors' baselines PPO2 code).
    """

    clip_epsilon: float | None = param(None, "clip range of the value update around old_value; None: unclipped",
                                       gt=0, finite=True)
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(input: Tensor, target: Tensor, *, clip_epsilon: float | None, reduction: Reduction,
                old_value: Tensor | None = None, weight: Tensor | None = None) -> Tensor:
        v, v_target = working(input), check_value_target("value_loss", input, target).detach()
        loss = (v - v_target).square()
        if clip_epsilon is not None:
            if old_value is None:  # a parameter that needs a context key: named as the parameter's error
                raise InvalidParamError(
                    "value_loss", "clip_epsilon", f"{clip_epsilon:g} clips the update around the rollout's values, so "
                    "the call needs old_value=...; pass it, or build the loss with clip_epsilon=None"
                )
            old = check_value_target("value_loss", input, old_value).detach()
            clipped = old + (v - old).clamp(-clip_epsilon, clip_epsilon)
            loss = torch.maximum(loss, (clipped - v_target).square())
        return reduce(output(loss, input), reduction, weight=weight, owner="value_loss")


value_loss = ValueLoss.functional

SPEC = LossSpec.of(
    ValueLoss, family="rl", source="Schulman et al., Proximal Policy Optimization Algorithms, arXiv:1707.06347 2017",
    contract=VALUES, example=value_batch, reference=value_loss_reference, aliases=("critic_loss",),
    tags={"weight", "compile"},
)
