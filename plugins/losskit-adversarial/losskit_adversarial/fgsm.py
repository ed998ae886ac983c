"""FGSM adversarial training (Goodfellow et al., ICLR 2015), with the random start of Wong et al. (ICLR 2020)."""

from __future__ import annotations

from torch import Tensor, nn

from losskit import Identity, LossSpec, param
from losskit.params import reduction_param
from losskit.precision import output
from losskit.reduction import Reduction, reduce

from ._attack import Attack, cross_entropy_objective
from ._base import AdversarialLoss
from ._examples import ADVERSARIAL_LOGITS, classifier_and_inputs
from ._params import CLEAN_WEIGHT
from .pgd import mixed_cross_entropy
from .reference import fgsm_adversarial_reference

__all__ = ["FGSMAdversarialLoss", "fgsm_adversarial_loss"]

#: Wong et al.'s step for FGSM from a random start, as a multiple of epsilon.
WONG_STEP = 1.25


class FGSMAdversarialLoss(AdversarialLoss, name="fgsm_adversarial"):
    r"""Cross-entropy at the one-step fast-gradient-sign adversary; from a random start, Wong et al.'s fast AT.

    .. math::
        \ell_n = \alpha\, \mathrm{CE}(f(x_n), y_n) + (1 - \alpha)\, \mathrm{CE}\left(f(x_n + \delta_n), y_n\right),
        \qquad
        \delta = \Pi\left(\delta_0 + \alpha \operatorname{sign}\nabla_{\delta} \textstyle\sum_n
            \mathrm{CE}(f(x_n + \delta_0), y_n)\right)

    with :math:`\delta_0 = 0` and :math:`\alpha = \epsilon` (Goodfellow et al.:
    :math:`x + \epsilon\,\operatorname{sign}\nabla_x J`), or, with
    ``random_start=True``, :math:`\delta_0 \sim U[-\epsilon, \epsilon]^d` and
    :math:`\alpha = 1.25\,\epsilon` (Wong et al. 2020, "FGSM-RS"), where
    :math:`\Pi` projects onto the epsilon-ball and the clip range. This is
    :class:`~losskit_adversarial.PGDAdversarialLoss` with ``steps=1``.
    Goodfellow et al. train on :math:`\tfrac12 J(x) + \tfrac12 J(x')`
    (``clean_weight=0.5``); Wong et al. on the adversarial loss alone (0, the default).

    Args:
        epsilon, norm: the threat model (``norm='l2'`` steps along the normalised gradient).
        step_size: the step :math:`\alpha`; ``None``: ``epsilon``, or ``1.25 * epsilon`` with ``random_start``.
        random_start: start from a uniform draw in the ball (torch's global generator) instead of 0.
        clip_min, clip_max: the valid input range (``None``: unbounded).
        bn_mode: ``'eval'`` (default) or ``'train'``: the model's mode during the attack.
        clean_weight: :math:`\alpha`, the share of the clean cross-entropy.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input: the clean logits ``model(inputs)``, ``(N, C)``; target: class indices ``(N,)``;
        output ``(N,)`` with ``reduction='none'``, else a scalar.

    Context:
        ``model``, ``inputs`` (required), ``start``, ``weight``: as for ``pgd_adversarial``.

    Examples:
        >>> model = torch.nn.Identity()
        >>> x, y = torch.tensor([[0.6, 0.4]]), torch.tensor([0])
        >>> loss = FGSMAdversarialLoss(epsilon=0.1)
        >>> round(loss(model(x), y, model=model, inputs=x).item(), 4)   # x + delta = [0.5, 0.5]: log 2
        0.6931

    Reference: Goodfellow, Shlens, Szegedy. Explaining and Harnessing Adversarial Examples. ICLR 2015;
    Wong, Rice, Kolter. Fast is better than free: Revisiting adversarial training. ICLR 2020.
    """

    step_size: float | None = param(None, "ascent step alpha; None: epsilon, or 1.25 * epsilon with random_start "
                                    "(Wong et al.)", gt=0, finite=True)
    random_start: bool = param(False, "start from a uniform draw in the epsilon-ball (Wong et al.'s FGSM-RS)")
    clean_weight: float = CLEAN_WEIGHT
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(
        input: Tensor, target: Tensor, *, epsilon: float, step_size: float | None, norm: str, random_start: bool,
        clip_min: float | None, clip_max: float | None, bn_mode: str, clean_weight: float, reduction: Reduction,
        model: nn.Module, inputs: Tensor, start: Tensor | None = None, weight: Tensor | None = None,
    ) -> Tensor:
        alpha = step_size if step_size is not None else (WONG_STEP if random_start else 1.0) * epsilon
        attack = Attack.of("fgsm_adversarial", locals(), "uniform" if random_start else "zero", step_size=alpha,
                           steps=1)
        adversarial, target = attack.logits(input, target, model, inputs, cross_entropy_objective, start)
        losses = mixed_cross_entropy(input, adversarial, target, clean_weight)
        return reduce(output(losses, input), reduction, weight=weight, owner="fgsm_adversarial")


fgsm_adversarial_loss = FGSMAdversarialLoss.functional

SPEC = LossSpec.of(
    FGSMAdversarialLoss, family="adversarial", source="Goodfellow et al., Explaining and Harnessing Adversarial "
    "Examples, ICLR 2015; Wong et al., Fast is better than free, ICLR 2020", contract=ADVERSARIAL_LOGITS,
    example=classifier_and_inputs, reference=fgsm_adversarial_reference, aliases=("fgsm",), tags={"weight", "compile"},
    mean_denominator="batch",
    identities=(
        Identity({}, "pgd_adversarial", {"steps": 1, "step_size": 8 / 255, "random_start": False},
                 note="FGSM is one PGD step of size epsilon from 0"),
        Identity({"random_start": True}, "pgd_adversarial", {"steps": 1, "step_size": 1.25 * 8 / 255},
                 note="FGSM-RS is one PGD step of size 1.25 epsilon from a random start"),
    ),
)
