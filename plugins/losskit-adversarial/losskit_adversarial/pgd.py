"""PGD adversarial training: cross-entropy at the projected-gradient-ascent adversary (Madry et al., ICLR 2018)."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from losskit import LossSpec, param
from losskit.errors import LossInputError
from losskit.inputs import check_floating, check_tensor
from losskit.params import reduction_param, validate_params
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce

from ._attack import Attack, cross_entropy_objective
from ._base import AdversarialLoss
from ._examples import ADVERSARIAL_LOGITS, classifier_and_inputs
from ._params import CLEAN_WEIGHT, STEP_SIZE, STEPS
from .reference import pgd_adversarial_reference

__all__ = ["PGDAdversarialLoss", "mixed_cross_entropy", "pgd_adversarial_loss", "pgd_attack"]


class PGDAdversarialLoss(AdversarialLoss, name="pgd_adversarial"):
    r"""Cross-entropy at the worst case found by projected gradient ascent in an epsilon-ball around each input.

    .. math::
        \ell_n = \alpha\, \mathrm{CE}(f(x_n), y_n)
            + (1 - \alpha)\, \mathrm{CE}\left(f(x_n + \delta_n^\star), y_n\right), \qquad
        \delta^\star \approx \arg\max_{\lVert\delta\rVert \le \epsilon,\ x + \delta \in [a, b]}
            \sum_n \mathrm{CE}(f(x_n + \delta_n), y_n)

    found with ``steps`` ascent steps of size ``alpha`` (``sign`` of the
    gradient for ``'linf'``, the gradient over its l2 norm for ``'l2'``), each
    followed by the projection onto the ball and the clip range, from a start
    drawn uniformly in the ball (``random_start``, as Madry et al. do) or from
    0. The attack is the one documented in :mod:`losskit_adversarial._attack`:
    ``torch.autograd.grad`` with respect to the perturbation only, parameter
    gradients untouched, every module's mode restored, BatchNorm as ``bn_mode``
    says. ``epsilon=0`` or ``steps=0`` is exactly the clean cross-entropy of
    ``input``. :math:`\alpha` = ``clean_weight`` is 0 in Madry et al. (the
    adversarial loss alone); Goodfellow et al. mix in the clean loss with 0.5.

    Args:
        epsilon, step_size, steps, norm: the attack (defaults: Madry et al.'s CIFAR-10 l-inf setting).
        random_start: start from a uniform draw in the ball (torch's global generator) instead of 0.
        clip_min, clip_max: the valid input range (``None``: unbounded).
        bn_mode: ``'eval'`` (default) or ``'train'``: the model's mode during the attack.
        clean_weight: :math:`\alpha`, the share of the clean cross-entropy.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input: the clean logits ``model(inputs)``, ``(N, C)``; target: class indices ``(N,)``;
        output ``(N,)`` with ``reduction='none'``, else a scalar.

    Context:
        ``model`` (required): the classifier, an ``nn.Module`` (DDP-wrapped is fine).
        ``inputs`` (required): the clean inputs ``(N, *)`` the logits come from.
        ``start``: an initial perturbation ``(N, *)`` (a warm start); replaces the random or zero start.
        ``weight``: per-sample weights ``(N,)``.

    Examples:
        >>> model = torch.nn.Identity()                  # logits = inputs, so the attack is easy to follow
        >>> x, y = torch.tensor([[0.6, 0.4]]), torch.tensor([0])
        >>> loss = PGDAdversarialLoss(epsilon=0.1, step_size=0.05, steps=3, random_start=False)
        >>> round(loss(model(x), y, model=model, inputs=x).item(), 4)   # x + delta = [0.5, 0.5]: log 2
        0.6931

    Reference: Madry, Makelov, Schmidt, Tsipras, Vladu. Towards Deep Learning Models Resistant to
    Adversarial Attacks. ICLR 2018.
    """

    step_size: float = STEP_SIZE
    steps: int = STEPS
    random_start: bool = param(True, "start from a uniform draw in the epsilon-ball instead of 0")
    clean_weight: float = CLEAN_WEIGHT
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(
        input: Tensor, target: Tensor, *, epsilon: float, step_size: float, steps: int, norm: str,
        random_start: bool, clip_min: float | None, clip_max: float | None, bn_mode: str, clean_weight: float,
        reduction: Reduction, model: nn.Module, inputs: Tensor, start: Tensor | None = None,
        weight: Tensor | None = None,
    ) -> Tensor:
        attack = Attack.of("pgd_adversarial", locals(), "uniform" if random_start else "zero")
        adversarial, target = attack.logits(input, target, model, inputs, cross_entropy_objective, start)
        losses = mixed_cross_entropy(input, adversarial, target, clean_weight)
        return reduce(output(losses, input), reduction, weight=weight, owner="pgd_adversarial")


def mixed_cross_entropy(input: Tensor, adversarial: Tensor, target: Tensor, clean_weight: float) -> Tensor:
    """``alpha * CE(input) + (1 - alpha) * CE(adversarial)`` per sample; the clean CE itself for a null attack.

    The clean term is computed even for ``alpha = 0``, so that a NaN in the clean logits is not hidden.
    """
    natural = F.cross_entropy(working(input), target, reduction="none")
    if adversarial is input:
        return natural
    return clean_weight * natural + (1 - clean_weight) * F.cross_entropy(working(adversarial), target, reduction="none")


pgd_adversarial_loss = PGDAdversarialLoss.functional

#: The attack's parameters: those of pgd_adversarial without the loss's own (``clean_weight``, ``reduction``).
ATTACK_PARAMS = tuple(p for p in PGDAdversarialLoss.params if p.name not in ("clean_weight", "reduction"))


def pgd_attack(model: nn.Module, inputs: Tensor, target: Tensor, *, start: Tensor | None = None, **params: Any) -> Tensor:
    """The PGD adversarial inputs ``x + delta`` (detached) that :class:`PGDAdversarialLoss` trains on.

    For robustness evaluation (``model(pgd_attack(model, x, y, steps=20)).argmax(1) == y``) and warm
    starts. ``params`` are pgd_adversarial's attack parameters (``epsilon``, ``step_size``, ``steps``,
    ``norm``, ``random_start``, ``clip_min``, ``clip_max``, ``bn_mode``), with the same defaults and checks.
    """
    values = validate_params("pgd_attack", ATTACK_PARAMS, params)
    attack = Attack.of("pgd_attack", values, "uniform" if values["random_start"] else "zero")
    check_floating("pgd_attack", "inputs", inputs)
    check_tensor("pgd_attack", "target", target)
    if target.is_floating_point() or target.is_complex() or target.dtype == torch.bool:
        raise LossInputError(f"pgd_attack: target must hold class indices of an integer dtype, got {target.dtype}.")
    if attack.is_null:
        return inputs.detach()
    return attack.perturb(model, inputs, target.long(), cross_entropy_objective, start)


SPEC = LossSpec.of(
    PGDAdversarialLoss, family="adversarial", source="Madry et al., Towards Deep Learning Models Resistant to "
    "Adversarial Attacks, ICLR 2018", contract=ADVERSARIAL_LOGITS, example=classifier_and_inputs,
    reference=pgd_adversarial_reference, aliases=("pgd", "madry"), tags={"weight", "compile"}, mean_denominator="batch",
)
