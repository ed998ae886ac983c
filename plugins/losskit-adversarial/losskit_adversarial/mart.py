"""MART: misclassification-aware adversarial training (Wang et al., ICLR 2020)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from losskit import LossSpec
from losskit.errors import LossInputError
from losskit.params import reduction_param
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce

from ._attack import Attack, cross_entropy_objective
from ._base import AdversarialLoss
from ._examples import ADVERSARIAL_LOGITS, classifier_and_inputs
from ._params import BETA, STEP_SIZE, STEPS
from .reference import mart_reference
from .trades_kl import kl_per_sample

__all__ = ["MARTLoss", "mart_loss"]


def boosted_cross_entropy(logits: Tensor, target: Tensor) -> Tensor:
    """MART's BCE: ``-log p_y - log(1 - max_{k != y} p_k)``, the second log as a log-sum-exp over the other classes."""
    z = working(logits)
    true = F.one_hot(target, z.shape[1]).bool()
    runner_up = F.one_hot(z.masked_fill(true, float("-inf")).argmax(dim=1), z.shape[1]).bool()
    log_all = torch.logsumexp(z, dim=1)
    log_true = z.gather(1, target.view(-1, 1)).squeeze(1) - log_all
    log_not_runner_up = torch.logsumexp(z.masked_fill(runner_up, float("-inf")), dim=1) - log_all
    return -log_true - log_not_runner_up


class MARTLoss(AdversarialLoss, name="mart"):
    r"""Boosted cross-entropy at the adversary plus a KL term weighted by how badly the clean input is classified.

    .. math::
        \ell_n = \underbrace{-\log p_{y_n}(x_n') - \log\left(1 - \max_{k \ne y_n} p_k(x_n')\right)}_{\mathrm{BCE}}
            + \beta\, \mathrm{KL}\left(p(x_n) \,\Vert\, p(x_n')\right)\left(1 - p_{y_n}(x_n)\right)

    with :math:`x' = x + \delta^\star`, :math:`\delta^\star` from PGD on the
    cross-entropy started at :math:`0.001\,\mathcal N(0, I)` (as the MART code
    does), :math:`p = \operatorname{softmax} f`. The second log is computed as
    a log-sum-exp over the classes other than the runner-up, so it stays finite
    where the code's ``log(1.0001 - p + 1e-12)`` clips. Gradients flow through
    both the clean logits ``input`` (the KL and its weight, as in the paper)
    and the adversarial forward pass. Needs at least 2 classes.

    Args:
        epsilon, step_size, steps, norm: the attack (defaults as pgd_adversarial).
        clip_min, clip_max: the valid input range (``None``: unbounded).
        bn_mode: ``'eval'`` (default) or ``'train'``: the model's mode during the attack.
        beta: :math:`\lambda` of the paper, the weight of the KL term (6 in the paper's code).
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input: the clean logits ``model(inputs)``, ``(N, C)`` with ``C >= 2``; target: class indices ``(N,)``;
        output ``(N,)`` with ``reduction='none'``, else a scalar.

    Context:
        ``model``, ``inputs`` (required), ``start``, ``weight``: as for ``pgd_adversarial``.

    Examples:
        >>> model = torch.nn.Identity()
        >>> x, y = torch.tensor([[0.6, 0.4]]), torch.tensor([0])
        >>> loss = MARTLoss(epsilon=0.1, step_size=0.05, steps=3, beta=1.0)
        >>> round(loss(model(x), y, model=model, inputs=x).item(), 4)   # x' = [0.5, 0.5]: 2 log 2 + 0.005 * 0.4502
        1.3885

    Reference: Wang, Zou, Yi, Bailey, Ma, Gu. Improving Adversarial Robustness Requires Revisiting
    Misclassified Examples. ICLR 2020.
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
        if input.dim() == 2 and input.shape[1] < 2:
            raise LossInputError(f"mart needs at least 2 classes (a runner-up), got input of shape {tuple(input.shape)}.")
        attack = Attack.of("mart", locals(), "gaussian")
        logits, target = attack.logits(input, target, model, inputs, cross_entropy_objective, start)
        p_true = F.softmax(working(input), dim=1).gather(1, target.view(-1, 1)).squeeze(1)
        losses = boosted_cross_entropy(logits, target) + beta * kl_per_sample(input, logits) * (1 - p_true)
        return reduce(output(losses, input), reduction, weight=weight, owner="mart")


mart_loss = MARTLoss.functional

SPEC = LossSpec.of(
    MARTLoss, family="adversarial", source="Wang et al., Improving Adversarial Robustness Requires Revisiting "
    "Misclassified Examples, ICLR 2020", contract=ADVERSARIAL_LOGITS, example=classifier_and_inputs,
    reference=mart_reference, tags={"weight", "compile"}, mean_denominator="batch",
)
