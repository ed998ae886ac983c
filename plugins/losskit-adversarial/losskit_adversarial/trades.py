"""TRADES: natural cross-entropy plus beta times the KL to the worst case (Zhang et al., ICML 2019)."""

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
from ._params import BETA, STEP_SIZE, STEPS
from .reference import trades_reference
from .trades_kl import kl_per_sample

__all__ = ["TradesLoss", "trades_loss"]


class TradesLoss(AdversarialLoss, name="trades"):
    r"""The TRADES objective in one term: clean cross-entropy plus beta times the KL to the worst-case prediction.

    .. math::
        \ell_n = \mathrm{CE}\left(f(x_n), y_n\right)
            + \beta\, \mathrm{KL}\left(p(x_n) \,\Vert\, p(x_n + \delta_n^\star)\right)

    with :math:`\delta^\star` the attack of :class:`~losskit_adversarial.TradesKLLoss`
    (PGD on the KL from :math:`0.001\,\mathcal N(0, I)`). Equal to
    ``cross_entropy + beta * trades_kl``, which composes the same way when the
    classification family is installed. ``beta`` trades accuracy (small) for
    robustness (large); the paper uses 6 (CIFAR-10) and 1 to 10 in its sweeps.

    Args:
        epsilon, step_size, steps, norm: the attack (defaults as pgd_adversarial).
        clip_min, clip_max: the valid input range (``None``: unbounded).
        bn_mode: ``'eval'`` (default) or ``'train'``: the model's mode during the attack.
        beta: weight of the KL term.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input: the clean logits ``model(inputs)``, ``(N, C)``; target: class indices ``(N,)``;
        output ``(N,)`` with ``reduction='none'``, else a scalar.

    Context:
        ``model``, ``inputs`` (required), ``start``, ``weight``: as for ``pgd_adversarial``.

    Examples:
        >>> model = torch.nn.Identity()
        >>> x, y = torch.tensor([[0.6, 0.4]]), torch.tensor([0])
        >>> loss = TradesLoss(epsilon=0.1, step_size=0.05, steps=3, beta=1.0)
        >>> start = torch.tensor([[0.001, -0.001]])
        >>> round(loss(model(x), y, model=model, inputs=x, start=start).item(), 4)   # CE 0.5981 + KL 0.0049
        0.603

    Reference: Zhang, Yu, Jiao, Xing, El Ghaoui, Jordan. Theoretically Principled Trade-off between
    Robustness and Accuracy. ICML 2019.
    """

    step_size: float = STEP_SIZE
    steps: int = STEPS
    beta: float = BETA
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(
        input: Tensor, target: Tensor, *, epsilon: float, step_size: float, steps: int, norm: str,
        clip_min: float | None, clip_max: float | None, bn_mode: str, beta: float, reduction: Reduction,
        model: nn.Module, inputs: Tensor, start: Tensor | None = None, weight: Tensor | None = None,
    ) -> Tensor:
        attack = Attack.of("trades", locals(), "gaussian")
        logits, target = attack.logits(input, target, model, inputs, kl_objective, start)
        natural = F.cross_entropy(working(input), target, reduction="none")
        losses = natural + beta * kl_per_sample(input, logits)
        return reduce(output(losses, input), reduction, weight=weight, owner="trades")


trades_loss = TradesLoss.functional

SPEC = LossSpec.of(
    TradesLoss, family="adversarial", source="Zhang et al., Theoretically Principled Trade-off between Robustness "
    "and Accuracy, ICML 2019", contract=ADVERSARIAL_LOGITS, example=classifier_and_inputs,
    reference=trades_reference, tags={"weight", "compile"}, mean_denominator="batch",
)
