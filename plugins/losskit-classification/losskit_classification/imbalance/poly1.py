"""Poly-1 loss: cross-entropy plus a first-order polynomial term (Leng et al., ICLR 2022)."""

from __future__ import annotations

from torch import Tensor

from losskit import Identity, Loss, LossSpec, param, reduction_param
from losskit.contract import CLASS_LOGITS
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce

from .._examples import class_index_logits
from ._inputs import check_logits_and_labels
from .reference import poly1_reference

NAME = "poly1"


class Poly1Loss(Loss, name=NAME):
    r"""Cross-entropy plus ``epsilon * (1 - p_t)``, its polynomial expansion with the leading coefficient perturbed.

    Cross-entropy expands as :math:`\sum_j (1 - p_t)^j / j`; Poly-1 adds
    :math:`\epsilon` to the first coefficient:

    .. math::
        \ell_n = -\log p_{n,t} + \epsilon\,(1 - p_{n,t}),
        \qquad p_{n,t} = \operatorname{softmax}(x_n)_{y_n}.

    With label smoothing :math:`s`, the target distribution is
    :math:`q = (1 - s)\,e_{y_n} + s / C`, the first term is :math:`-\sum_c q_c \log p_{n,c}`
    and :math:`p_{n,t} = \sum_c q_c\, p_{n,c}` (the authors' implementation).

    Args:
        epsilon: :math:`\epsilon \ge -1` (so that the loss keeps a non-negative
            leading coefficient); 0 gives cross-entropy. The paper finds 1 a good default.
        label_smoothing: :math:`s \in [0, 1]`.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input ``(N, C)`` logits; target ``(N,)`` class indices (``torch.long``);
        output ``(N,)`` with ``reduction='none'``, else a scalar.

    Context:
        ``weight``: per-sample ``(N,)`` weights.

    Examples:
        >>> loss = Poly1Loss(epsilon=1.0)
        >>> loss(torch.zeros(1, 2), torch.tensor([0]))
        tensor(1.1931)

    Reference: Leng, Tan, Liu, Cubuk, Shi, Cheng, Anguelov, Tan, Li.
    PolyLoss: A Polynomial Expansion Perspective of Classification Loss Functions. ICLR 2022.
    """

    epsilon: float = param(1.0, "coefficient of the (1 - p_t) term; 0 gives cross-entropy", ge=-1.0, finite=True)
    label_smoothing: float = param(
        0.0, "mass spread uniformly over the classes, as in cross_entropy", ge=0.0, le=1.0
    )
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(
        input: Tensor,
        target: Tensor,
        *,
        epsilon: float,
        label_smoothing: float,
        reduction: Reduction,
        weight: Tensor | None = None,
    ) -> Tensor:
        target = check_logits_and_labels(NAME, input, target)
        log_p = working(input).log_softmax(dim=1)
        num_classes = input.shape[1]
        # q = (1 - smooth) * onehot(y) + smooth / C, written without building the one-hot.
        log_p_y = log_p.gather(1, target.unsqueeze(1)).squeeze(1)
        ce = -(1 - label_smoothing) * log_p_y - label_smoothing / num_classes * log_p.sum(dim=1)
        p_t = (1 - label_smoothing) * log_p_y.exp() + label_smoothing / num_classes
        loss = ce + epsilon * (1 - p_t)
        return reduce(output(loss, input), reduction, weight=weight, owner=NAME)


poly1_loss = Poly1Loss.functional

SPEC = LossSpec.of(
    Poly1Loss,
    aliases=("poly_1", "poly1_cross_entropy"),
    family="classification",
    source="Leng et al., PolyLoss: A Polynomial Expansion Perspective of Classification Loss Functions, ICLR 2022",
    contract=CLASS_LOGITS,
    example=class_index_logits,
    reference=poly1_reference,
    tags={"weight", "compile"},
    identities=(
        Identity({"epsilon": 0.0}, "cross_entropy", note="poly1 with epsilon=0 is cross-entropy"),
        Identity({"epsilon": 0.0, "label_smoothing": 0.1}, "cross_entropy", {"label_smoothing": 0.1},
                 note="poly1 with epsilon=0 is label-smoothed cross-entropy"),
    ),
    mean_denominator="batch",
)
