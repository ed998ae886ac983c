"""REINFORCE: the score-function policy gradient with an optional baseline (Williams, Machine Learning 1992)."""

from __future__ import annotations

from torch import Tensor

from losskit import Loss, LossSpec
from losskit.inputs import check_value_target
from losskit.params import reduction_param
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce

from ._examples import POLICY, reinforce_batch
from ._params import NORMALIZE, advantages
from .reference import reinforce_reference

__all__ = ["ReinforceLoss", "reinforce_loss"]


class ReinforceLoss(Loss, name="reinforce"):
    r"""Minus the log-probability of each action taken, weighted by its (detached) return minus a baseline.

    .. math::
        \ell_t = -\left(G_t - b_t\right) \log \pi_\theta(a_t \mid s_t),
        \qquad \nabla_\theta \ell_t = -(G_t - b_t)\, \nabla_\theta \log \pi_\theta(a_t \mid s_t)

    the likelihood-ratio estimator of :math:`-\nabla_\theta J`. The input is
    the **log-probability** of the action taken, never the action's value or
    the raw network output; the returns and the baseline are detached here, so
    a critic used as the baseline gets no gradient from this loss. With
    ``normalize`` the advantages :math:`A = G - b` are standardised over the
    batch, :math:`(A - \bar A) / (\sigma_A + 10^{-8})` with the population
    standard deviation, so a batch of one gives :math:`A = 0`, not ``nan``.
    Normalise over the real steps only: select them (``x[mask]``) rather than
    masking with ``weight=``.

    Args:
        normalize: standardise the advantages over the batch.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input: :math:`\log \pi(a_t|s_t)`, ``(N, *)``; target: the returns :math:`G_t` (or advantages), the same
        shape; output the same shape with ``reduction='none'``, else a scalar.

    Context:
        ``baseline``: :math:`b_t`, e.g. :math:`V(s_t)`, the input's shape (detached here).
        ``weight``: per-step weights, ``(N, *)`` or ``(N,)``.

    Examples:
        >>> log_prob = torch.log(torch.tensor([0.5, 0.25]))
        >>> loss = ReinforceLoss(reduction="sum")
        >>> loss(log_prob, torch.tensor([2.0, 1.0]), baseline=torch.tensor([1.0, 1.0]))   # -(1 log 0.5 + 0)
        tensor(0.6931)

    Reference: Williams. Simple Statistical Gradient-Following Algorithms for Connectionist
    Reinforcement Learning. Machine Learning 8, 1992.
    """

    normalize: bool = NORMALIZE
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(input: Tensor, target: Tensor, *, normalize: bool, reduction: Reduction,
                baseline: Tensor | None = None, weight: Tensor | None = None) -> Tensor:
        target = check_value_target("reinforce", input, target)
        if baseline is not None:
            baseline = check_value_target("reinforce", input, baseline)
        a = advantages(target, normalize, baseline)
        return reduce(output(-a * working(input), input), reduction, weight=weight, owner="reinforce")


reinforce_loss = ReinforceLoss.functional

SPEC = LossSpec.of(
    ReinforceLoss, family="rl", source="Williams, Simple Statistical Gradient-Following Algorithms for "
    "Connectionist Reinforcement Learning, Machine Learning 1992", contract=POLICY, example=reinforce_batch,
    reference=reinforce_reference, aliases=("policy_gradient", "vanilla_policy_gradient"), tags={"weight", "compile"},
)
