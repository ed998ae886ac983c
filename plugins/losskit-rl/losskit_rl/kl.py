"""A KL penalty between the current and a reference policy, exact or estimated from sampled actions."""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor

from losskit import Loss, LossSpec, param
from losskit.errors import LossInputError
from losskit.inputs import check_value_target
from losskit.params import reduction_param
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce

from ._examples import DISTRIBUTIONS, kl_batch
from .reference import kl_penalty_reference

__all__ = ["KLPenalty", "kl_penalty"]

Estimator = Literal["k1", "k2", "k3", "exact"]


class KLPenalty(Loss, name="kl_penalty"):
    r"""KL divergence from the reference (old) policy to the current one, to keep an update close to it.

    .. math::
        \mathrm{KL}(\pi_{ref} \Vert \pi_\theta) = \mathbb E_{a \sim \pi_{ref}}\left[-\log r\right],
        \qquad r = \frac{\pi_\theta(a|s)}{\pi_{ref}(a|s)}

    ``estimator='exact'`` sums over the actions,
    :math:`\sum_a \pi_{ref}(a|s)\,(\log \pi_{ref}(a|s) - \log \pi_\theta(a|s))`,
    from whole distributions (log-probabilities or logits over the last
    dimension), the penalty of PPO's adaptive-KL variant. The others estimate
    it from the log-probabilities of actions **sampled from** :math:`\pi_{ref}`
    (Schulman 2020): ``'k1'`` :math:`-\log r` (unbiased, of any sign),
    ``'k2'`` :math:`\tfrac12 (\log r)^2` (biased, non-negative), ``'k3'``
    :math:`(r - 1) - \log r` (unbiased and non-negative; the default). All have
    the gradient of the KL in expectation. The reference log-probabilities are
    detached here.

    Args:
        estimator: ``'k3'`` | ``'k1'`` | ``'k2'`` | ``'exact'``.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input: :math:`\log\pi_\theta(a|s)` ``(N, *)`` (``(N, *, A)`` for ``'exact'``); target:
        :math:`\log\pi_{ref}(a|s)`, the same shape; output ``(N, *)`` with ``reduction='none'``, else a scalar.

    Context:
        ``weight``: per-element weights (per state for ``'exact'``), or ``(N,)``.

    Examples:
        >>> loss = KLPenalty(estimator="k3", reduction="none")
        >>> loss(torch.log(torch.tensor([0.5])), torch.log(torch.tensor([0.25])))   # r = 2: 1 - log 2
        tensor([0.3069])
        >>> KLPenalty(estimator="exact")(torch.log(torch.tensor([[0.5, 0.5]])), torch.log(torch.tensor([[0.9, 0.1]])))
        tensor(0.3681)

    Reference: Schulman, Wolski, Dhariwal, Radford, Klimov. Proximal Policy Optimization Algorithms.
    arXiv:1707.06347, 2017 (section 4); Schulman. Approximating KL Divergence. Blog note, 2020.
    """

    estimator: Estimator = param("k3", "'exact' over whole distributions, or k1 / k2 / k3 from sampled actions")
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(input: Tensor, target: Tensor, *, estimator: str, reduction: Reduction,
                weight: Tensor | None = None) -> Tensor:
        target = check_value_target("kl_penalty", input, target).detach()
        if estimator == "exact":
            if input.dim() < 2:
                raise LossInputError(
                    f"kl_penalty with estimator='exact' takes distributions (N, *, A), the actions along the last "
                    f"dimension, got {tuple(input.shape)}; for log-probabilities of sampled actions use 'k1', 'k2' "
                    "or 'k3'."
                )
            log_p, log_ref = torch.log_softmax(working(input), dim=-1), torch.log_softmax(target, dim=-1)
            p_ref = log_ref.exp()
            kl = (p_ref * (log_ref - log_p).masked_fill(p_ref == 0, 0.0)).sum(-1)
        else:
            log_r = working(input) - target
            if estimator == "k1":
                kl = -log_r
            elif estimator == "k2":
                kl = 0.5 * log_r.square()
            else:
                kl = torch.expm1(log_r) - log_r
        return reduce(output(kl, input), reduction, weight=weight, owner="kl_penalty")


kl_penalty = KLPenalty.functional

SPEC = LossSpec.of(
    KLPenalty, family="rl", source="Schulman et al., Proximal Policy Optimization Algorithms, arXiv:1707.06347 2017; "
    "Schulman, Approximating KL Divergence, 2020", contract=DISTRIBUTIONS, example=kl_batch,
    reference=kl_penalty_reference, tags={"weight", "compile"},
)
