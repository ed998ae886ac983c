"""Knowledge distillation from a teacher's softened predictions (Hinton, Vinyals & Dean, 2015)."""

from __future__ import annotations

import torch
from torch import Tensor

from losskit import Loss, LossSpec, param, reduction_param
from losskit.contract import CLASS_LOGITS
from losskit.errors import LossInputError
from losskit.inputs import check_floating
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce

from ._examples import student_teacher_logits
from ._inputs import check_logits_and_labels
from .reference import distillation_reference

NAME = "distillation"


class DistillationLoss(Loss, name=NAME):
    r"""The student matches the teacher's temperature-softened distribution (``T^2``-scaled KL) and the hard labels.

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
        >>> loss = DistillationLoss(temperature=2.0, alpha=0.5, reduction="none")
        >>> loss(torch.zeros(2, 2), torch.tensor([0, 1]), teacher_logits=torch.tensor([[2.0, 0.0], [0.0, 0.0]]))
        tensor([0.5685, 0.3466])

    Reference: Hinton, Vinyals, Dean. Distilling the Knowledge in a Neural Network.
    NIPS 2014 Deep Learning Workshop, arXiv:1503.02531.
    """

    temperature: float = param(4.0, "softmax temperature T of both teacher and student in the soft term", gt=0.0, finite=True)
    alpha: float = param(
        0.9, "weight of the soft (teacher) term; 1 - alpha weighs the hard-label cross-entropy", ge=0.0, le=1.0
    )
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(
        input: Tensor,
        target: Tensor,
        *,
        temperature: float,
        alpha: float,
        reduction: Reduction,
        teacher_logits: Tensor,
        weight: Tensor | None = None,
    ) -> Tensor:
        target = check_logits_and_labels(NAME, input, target)
        check_floating(NAME, "teacher_logits", teacher_logits)
        if teacher_logits.shape != input.shape:
            raise LossInputError(
                f"{NAME}: teacher_logits must have the student logits' shape {tuple(input.shape)}, "
                f"got {tuple(teacher_logits.shape)}; teacher and student must score the same classes."
            )
        x = working(input)
        log_student = (x / temperature).log_softmax(dim=1)
        log_teacher = (teacher_logits.detach().to(x.dtype) / temperature).log_softmax(dim=1)
        # 0 log 0 = 0: a class the teacher rules out (logit -inf) adds nothing, not 0 * -inf = nan;
        # a NaN teacher probability stays NaN (p > 0 would read it as 0 and drop the row's soft term).
        p_teacher = log_teacher.exp()
        soft = torch.where(p_teacher == 0, 0, p_teacher * (log_teacher - log_student)).sum(dim=1)
        hard = -x.log_softmax(dim=1).gather(1, target.unsqueeze(1)).squeeze(1)
        loss = alpha * temperature**2 * soft + (1 - alpha) * hard
        return reduce(output(loss, input), reduction, weight=weight, owner=NAME)


distillation_loss = DistillationLoss.functional

SPEC = LossSpec.of(
    DistillationLoss,
    aliases=("knowledge_distillation", "kd"),
    family="classification",
    source="Hinton, Vinyals & Dean, Distilling the Knowledge in a Neural Network, arXiv:1503.02531, 2015",
    contract=CLASS_LOGITS,
    example=student_teacher_logits,
    reference=distillation_reference,
    tags={"weight", "compile"},
    mean_denominator="batch",
)
