"""Symmetric cross-entropy for noisy labels (Wang et al., ICCV 2019)."""

from __future__ import annotations

from torch import Tensor

from losskit import Identity, Loss, LossSpec, param, reduction_param
from losskit.contract import CLASS_LOGITS
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce

from .._examples import class_index_logits
from ._inputs import check_logits_and_labels
from .reference import symmetric_ce_reference

NAME = "symmetric_ce"


class SymmetricCELoss(Loss, name=NAME):
    r"""Cross-entropy plus reverse cross-entropy (predictions and labels swapped), robust to label noise.

    .. math::
        \ell_n = \alpha \Big(-\sum_k q_k \log p_{n,k}\Big) + \beta \Big(-\sum_k p_{n,k} \log q_k\Big)
               = -\alpha \log p_{n,y_n} - \beta A\,(1 - p_{n,y_n}),

    with :math:`p_n = \operatorname{softmax}(x_n)`, :math:`q` the one-hot label and
    :math:`\log 0` clipped to :math:`A < 0`. The reverse term is a scaled MAE,
    robust to label noise; the cross-entropy term keeps training fast.
    :math:`\alpha = 1, \beta = 0` is cross-entropy.

    Args:
        alpha: :math:`\alpha \ge 0` (paper, CIFAR-10: 0.1).
        beta: :math:`\beta \ge 0` (paper, CIFAR-10: 1.0).
        log_zero: :math:`A < 0` (paper: -4).
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input ``(N, C)`` logits; target ``(N,)`` class indices (``torch.long``);
        output ``(N,)`` with ``reduction='none'``, else a scalar.

    Context:
        ``weight``: per-sample ``(N,)`` weights.

    Examples:
        >>> loss = SymmetricCELoss(alpha=0.1, beta=1.0)
        >>> loss(torch.zeros(1, 2), torch.tensor([0]))
        tensor(2.0693)

    Reference: Wang, Ma, Chen, Luo, Yi, Bailey. Symmetric Cross Entropy for Robust
    Learning with Noisy Labels. ICCV 2019.
    """

    alpha: float = param(0.1, "weight of the cross-entropy term", ge=0.0, finite=True)
    beta: float = param(1.0, "weight of the reverse cross-entropy term", ge=0.0, finite=True)
    log_zero: float = param(-4.0, "A: the value log 0 is clipped to in the reverse cross-entropy", lt=0.0, finite=True)
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(
        input: Tensor,
        target: Tensor,
        *,
        alpha: float,
        beta: float,
        log_zero: float,
        reduction: Reduction,
        weight: Tensor | None = None,
    ) -> Tensor:
        target = check_logits_and_labels(NAME, input, target)
        log_p_y = working(input).log_softmax(dim=1).gather(1, target.unsqueeze(1)).squeeze(1)
        # RCE = -sum_k p_k log q_k with q one-hot and log 0 := A: only the k != y terms remain, -A (1 - p_y).
        reverse = -log_zero * -log_p_y.expm1()
        loss = alpha * -log_p_y + beta * reverse
        return reduce(output(loss, input), reduction, weight=weight, owner=NAME)


symmetric_ce_loss = SymmetricCELoss.functional

SPEC = LossSpec.of(
    SymmetricCELoss,
    aliases=("sce", "symmetric_cross_entropy"),
    family="classification",
    source="Wang et al., Symmetric Cross Entropy for Robust Learning with Noisy Labels, ICCV 2019",
    contract=CLASS_LOGITS,
    example=class_index_logits,
    reference=symmetric_ce_reference,
    tags={"weight", "compile"},
    identities=(
        Identity({"alpha": 1.0, "beta": 0.0}, "cross_entropy", note="symmetric_ce with alpha=1, beta=0 is cross-entropy"),
    ),
    mean_denominator="batch",
)
