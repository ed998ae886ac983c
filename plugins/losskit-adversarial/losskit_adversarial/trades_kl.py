"""The robustness term of TRADES: KL between clean and adversarial predictions (Zhang et al., ICML 2019)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from losskit import LossSpec
from losskit.params import reduction_param
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce

from ._attack import Attack, kl_objective
from ._base import AdversarialLoss
from ._examples import ADVERSARIAL_LOGITS, classifier_and_inputs
from ._params import STEP_SIZE, STEPS
from .reference import trades_kl_reference

__all__ = ["TradesKLLoss", "kl_per_sample", "trades_kl_loss"]


def kl_per_sample(clean: Tensor, adversarial: Tensor) -> Tensor:
    """KL(p(x) || p(x')) for each sample, summed over classes; differentiable in both logits."""
    p_log, q_log = F.log_softmax(working(clean), dim=1), F.log_softmax(working(adversarial), dim=1)
    return F.kl_div(q_log, p_log, reduction="none", log_target=True).sum(dim=1)


class TradesKLLoss(AdversarialLoss, name="trades_kl"):
    r"""TRADES' robustness regulariser: the KL from the clean to the worst-case prediction in the epsilon-ball.

    .. math::
        \ell_n = \mathrm{KL}\left(p(x_n) \,\Vert\, p(x_n + \delta_n^\star)\right), \qquad
        \delta^\star \approx \arg\max_{\lVert\delta\rVert \le \epsilon,\ x + \delta \in [a, b]}
            \sum_n \mathrm{KL}\left(p(x_n) \,\Vert\, p(x_n + \delta_n)\right)

    with :math:`p = \operatorname{softmax} f`. The attack starts from
    :math:`\delta_0 = 0.001\,\mathcal N(0, I)` (at :math:`\delta = 0` the KL and
    its gradient are 0) and takes ``steps`` ascent steps against the clean
    prediction computed in the attack's mode (``bn_mode``), as the TRADES code
    does. The loss is differentiable in the clean logits ``input`` and, through
    the model's second forward pass, in the parameters. TRADES is
    ``cross_entropy + beta * trades_kl`` (beta = 6 in the paper; the ``trades``
    loss is that sum in one term).

    Args:
        epsilon, step_size, steps, norm: the attack (defaults as pgd_adversarial; TRADES used 0.031, 0.007, 10).
        clip_min, clip_max: the valid input range (``None``: unbounded).
        bn_mode: ``'eval'`` (default) or ``'train'``: the model's mode during the attack.
        reduction: ``'mean'`` (the batch mean, TRADES' ``1/batch_size``) | ``'sum'`` | ``'none'``.

    Shape:
        input: the clean logits ``model(inputs)``, ``(N, C)``; target: class indices ``(N,)`` (only checked:
        the KL term does not use them); output ``(N,)`` with ``reduction='none'``, else a scalar.

    Context:
        ``model``, ``inputs`` (required), ``start``, ``weight``: as for ``pgd_adversarial``.

    Examples:
        >>> model = torch.nn.Identity()
        >>> x, y = torch.tensor([[0.6, 0.4]]), torch.tensor([0])
        >>> loss = TradesKLLoss(epsilon=0.1, step_size=0.05, steps=3)
        >>> start = torch.tensor([[0.001, -0.001]])          # instead of the random 0.001 * randn
        >>> round(loss(model(x), y, model=model, inputs=x, start=start).item(), 4)   # x + delta = [0.7, 0.3]
        0.0049

    Reference: Zhang, Yu, Jiao, Xing, El Ghaoui, Jordan. Theoretically Principled Trade-off between
    Robustness and Accuracy. ICML 2019.
    """

    step_size: float = STEP_SIZE
    steps: int = STEPS
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(
        input: Tensor, target: Tensor, *, epsilon: float, step_size: float, steps: int, norm: str,
        clip_min: float | None, clip_max: float | None, bn_mode: str, reduction: Reduction,
        model: nn.Module, inputs: Tensor, start: Tensor | None = None, weight: Tensor | None = None,
    ) -> Tensor:
        attack = Attack.of("trades_kl", locals(), "gaussian")
        logits, target = attack.logits(input, target, model, inputs, kl_objective, start)
        return reduce(output(kl_per_sample(input, logits), input), reduction, weight=weight, owner="trades_kl")


trades_kl_loss = TradesKLLoss.functional

SPEC = LossSpec.of(
    TradesKLLoss, family="adversarial", source="Zhang et al., Theoretically Principled Trade-off between Robustness "
    "and Accuracy, ICML 2019", contract=ADVERSARIAL_LOGITS, example=classifier_and_inputs,
    reference=trades_kl_reference, tags={"weight", "compile"}, mean_denominator="batch",
)
