"""Knowledge distillation from a teacher's softened predictions (Hinton, Vinyals & Dean, 2015)."""

from __future__ import annotations

import torch
from torch import Tensor

from losskit import InputContract, Loss, LossSpec, Param, reduction_param
from losskit.errors import LossInputError
from losskit.inputs import check_floating
from losskit.reduction import Reduction, reduce

from ._examples import student_teacher_logits
from ._inputs import check_logits_and_labels, validated, working
from .reference import distillation_reference

NAME = "distillation"
PARAMS = (
    Param("temperature", 4.0, "softmax temperature T of both teacher and student in the soft term", gt=0.0),
    Param("alpha", 0.9, "weight of the soft (teacher) term; 1 - alpha weighs the hard-label cross-entropy",
          ge=0.0, le=1.0),
    reduction_param(),
)


def distillation_loss(
    input: Tensor,
    target: Tensor,
    *,
    teacher_logits: Tensor,
    temperature: float = 4.0,
    alpha: float = 0.9,
    weight: Tensor | None = None,
    reduction: Reduction = "mean",
) -> Tensor:
    """Functional form of :class:`DistillationLoss`."""
    p = validated(NAME, PARAMS, {"temperature": temperature, "alpha": alpha, "reduction": reduction})
    check_logits_and_labels(NAME, input, target)
    check_floating(NAME, "teacher_logits", teacher_logits)
    if teacher_logits.shape != input.shape:
        raise LossInputError(
            f"{NAME}: teacher_logits must have the student logits' shape {tuple(input.shape)}, "
            f"got {tuple(teacher_logits.shape)}; teacher and student must score the same classes."
        )
    x = working(input)
    t = p["temperature"]
    log_student = (x / t).log_softmax(dim=1)
    log_teacher = (teacher_logits.detach().to(x.dtype) / t).log_softmax(dim=1)
    # 0 log 0 = 0: a class the teacher rules out (logit -inf) adds nothing, not 0 * -inf = nan.
    p_teacher = log_teacher.exp()
    soft = torch.where(p_teacher > 0, p_teacher * (log_teacher - log_student), 0).sum(dim=1)
    hard = -x.log_softmax(dim=1).gather(1, target.unsqueeze(1)).squeeze(1)
    loss = p["alpha"] * t**2 * soft + (1 - p["alpha"]) * hard
    return reduce(loss.to(input.dtype), p["reduction"], weight=weight, owner=NAME)


class DistillationLoss(Loss):
    r"""Student matches the teacher's temperature-softened distribution and the hard labels.

    With :math:`p^T = \operatorname{softmax}(t_n / T)` from the teacher logits
    :math:`t_n` and :math:`q^T = \operatorname{softmax}(x_n / T)` from the student's:

    .. math::
        \ell_n = \alpha\, T^2\, \mathrm{KL}\big(p^T \,\Vert\, q^T\big)
                 + (1 - \alpha)\,\big(-\log \operatorname{softmax}(x_n)_{y_n}\big).

    The :math:`T^2` factor keeps the soft term's gradients at the scale of the
    hard term's as :math:`T` changes, as the paper prescribes. The paper states
    the soft term as the cross-entropy :math:`-\sum_c p^T_c \log q^T_c`; the KL
    divergence used here differs from it by the teacher's entropy, a constant
    for the student, so the gradients are the same and a perfect imitation
    costs 0. The teacher logits are treated as constants (detached).

    Args:
        temperature: :math:`T > 0`.
        alpha: :math:`\alpha \in [0, 1]`; 0 gives cross-entropy on the hard labels.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input ``(N, C)`` student logits; target ``(N,)`` class indices (``torch.long``);
        output ``(N,)`` with ``reduction='none'``, else a scalar.

    Context:
        ``teacher_logits`` (required): ``(N, C)``, the teacher's logits for the same samples.
        ``weight``: per-sample ``(N,)`` weights.

    Examples:
        >>> loss = DistillationLoss(temperature=4.0, alpha=0.9)
        >>> loss(student(x), y, teacher_logits=teacher(x))  # doctest: +SKIP

    Reference: Hinton, Vinyals, Dean. Distilling the Knowledge in a Neural Network.
    NIPS 2014 Deep Learning Workshop, arXiv:1503.02531.
    """

    loss_name = NAME
    params = PARAMS

    def __init__(self, *, temperature: float = 4.0, alpha: float = 0.9, reduction: Reduction = "mean") -> None:
        super().__init__(temperature=temperature, alpha=alpha, reduction=reduction)

    def forward(
        self, input: Tensor, target: Tensor, *, teacher_logits: Tensor, weight: Tensor | None = None
    ) -> Tensor:
        return distillation_loss(
            input, target, teacher_logits=teacher_logits, temperature=self.temperature, alpha=self.alpha,
            weight=weight, reduction=self.reduction,
        )


SPEC = LossSpec(
    name=NAME,
    aliases=("knowledge_distillation", "kd"),
    factory=DistillationLoss,
    summary="alpha * T^2 * KL(teacher_T || student_T) + (1 - alpha) * cross-entropy on the hard labels",
    family="classification",
    source="Hinton, Vinyals & Dean, Distilling the Knowledge in a Neural Network, arXiv:1503.02531, 2015",
    contract=InputContract(input="logits", target="class_indices", input_shape="(N, C)", target_shape="(N,)",
                           output_shape="(N,) with reduction='none', else ()"),
    example=student_teacher_logits,
    reference=distillation_reference,
    functional=distillation_loss,
    tags=frozenset({"weight", "compile"}),
    mean_denominator="batch",
)
