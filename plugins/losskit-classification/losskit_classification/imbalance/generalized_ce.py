"""Generalized cross-entropy (L_q) for noisy labels (Zhang & Sabuncu, NeurIPS 2018)."""

from __future__ import annotations

from torch import Tensor

from losskit import Loss, LossSpec, param, reduction_param
from losskit.contract import CLASS_LOGITS
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce

from .._examples import class_index_logits
from ._inputs import check_logits_and_labels
from .reference import generalized_ce_reference

NAME = "generalized_ce"


class GeneralizedCELoss(Loss, name=NAME):
    r"""``(1 - p_y^q) / q``, between cross-entropy (``q -> 0``) and MAE (``q = 1``), robust to label noise.

    The negative Box-Cox transform of the true-class probability:

    .. math::
        \ell_n = \frac{1 - p_{n,y_n}^{\,q}}{q}, \qquad p_n = \operatorname{softmax}(x_n).

    As :math:`q \to 0` it tends to cross-entropy :math:`-\log p_{n,y_n}`; at
    :math:`q = 1` it is :math:`1 - p_{n,y_n}`, the mean absolute error
    :math:`\lVert e_{y_n} - p_n \rVert_1` up to a factor 2, which is robust to label
    noise but slow to train. The paper's truncated variant is not included.

    Args:
        q: :math:`q \in (0, 1]` (paper: 0.7).
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input ``(N, C)`` logits; target ``(N,)`` class indices (``torch.long``);
        output ``(N,)`` with ``reduction='none'``, else a scalar.

    Context:
        ``weight``: per-sample ``(N,)`` weights.

    Examples:
        >>> loss = GeneralizedCELoss(q=1.0)
        >>> loss(torch.zeros(1, 2), torch.tensor([0]))
        tensor(0.5000)

    Reference: Zhang, Sabuncu. Generalized Cross Entropy Loss for Training Deep
    Neural Networks with Noisy Labels. NeurIPS 2018.
    """

    q: float = param(0.7, "exponent q in (0, 1]: q -> 0 tends to cross-entropy, q = 1 is MAE", gt=0.0, le=1.0)
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(
        input: Tensor, target: Tensor, *, q: float, reduction: Reduction, weight: Tensor | None = None
    ) -> Tensor:
        target = check_logits_and_labels(NAME, input, target)
        log_p_y = working(input).log_softmax(dim=1).gather(1, target.unsqueeze(1)).squeeze(1)
        # (1 - p^q) / q = -expm1(q log p) / q: accurate for small q, where it tends to -log p.
        loss = -(q * log_p_y).expm1() / q
        return reduce(output(loss, input), reduction, weight=weight, owner=NAME)


generalized_ce_loss = GeneralizedCELoss.functional

SPEC = LossSpec.of(
    GeneralizedCELoss,
    aliases=("gce", "generalized_cross_entropy", "lq_loss"),
    family="classification",
    source="Zhang & Sabuncu, Generalized Cross Entropy Loss for Training Deep Neural Networks with Noisy Labels, "
    "NeurIPS 2018",
    contract=CLASS_LOGITS,
    example=class_index_logits,
    reference=generalized_ce_reference,
    tags={"weight", "compile"},
    mean_denominator="batch",
)
