"""Kullback-Leibler divergence of a target distribution from log-probabilities (torch.nn.KLDivLoss)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from losskit import InputContract, Loss, LossSpec, Param, reduction_param
from losskit.inputs import check_floating, check_same_shape, check_values_in
from losskit.reduction import mean_over, reduce

from .._examples import log_probabilities_and_probabilities
from .reference import kl_div_reference

REDUCTIONS = ("batchmean", "mean", "sum", "none")


def kl_div_loss(input: Tensor, target: Tensor, *, log_target: bool = False, reduction: str = "batchmean") -> Tensor:
    """Functional form of :class:`KLDivLoss`."""
    check_same_shape("kl_div", input, target)
    check_floating("kl_div", "input", input)
    check_floating("kl_div", "target", target)
    if not log_target:
        hint = "Targets are probabilities; for log-probabilities set log_target=True."
        check_values_in("kl_div", "target", target, 0.0, 1.0, hint)
    loss = F.kl_div(input, target, reduction="none", log_target=log_target)
    if reduction == "batchmean":
        batch = input.shape[0] if input.dim() else 1
        return mean_over(loss.sum(), loss.new_tensor(batch))
    return reduce(loss, reduction, owner="kl_div")


class KLDivLoss(Loss):
    r"""Pointwise Kullback-Leibler divergence :math:`D_{KL}(y \,\|\, \exp x)`.

    .. math::
        \ell_{n,c} = y_{n,c} (\log y_{n,c} - x_{n,c})

    with :math:`0 \log 0 = 0`; ``x`` holds log-probabilities, ``y`` probabilities (log-probabilities when
    ``log_target=True``). ``'batchmean'`` (the default, the true KL divergence per sample) divides the
    sum by ``N``; ``'mean'`` divides it by the number of elements, as in torch (without torch's warning).

    Args:
        log_target: whether ``target`` holds log-probabilities.
        reduction: ``'batchmean'`` | ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input and target ``(N, *)``, the same shape; output ``(N, *)`` with ``reduction='none'``, else a scalar.

    Examples:
        >>> loss = KLDivLoss()
        >>> loss(torch.randn(4, 3).log_softmax(1), torch.randn(4, 3).softmax(1))

    Reference: Kullback and Leibler, On information and sufficiency, Ann. Math. Stat. 1951.
    Matches ``torch.nn.KLDivLoss``.
    """

    loss_name = "kl_div"
    params = (
        Param("log_target", False, "whether the target holds log-probabilities", type=bool),
        reduction_param("batchmean", REDUCTIONS),
    )

    def __init__(self, *, log_target: bool = False, reduction: str = "batchmean") -> None:
        super().__init__(log_target=log_target, reduction=reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return kl_div_loss(input, target, log_target=self.log_target, reduction=self.reduction)


SPEC = LossSpec(
    name="kl_div",
    aliases=("kl_divergence", "kld"),
    factory=KLDivLoss,
    summary="Kullback-Leibler divergence of target probabilities from log-probabilities",
    family="classification",
    source="Kullback and Leibler 1951; torch.nn.KLDivLoss",
    contract=InputContract(input="log_probabilities", target="soft"),
    example=log_probabilities_and_probabilities,
    reference=kl_div_reference,
    functional=kl_div_loss,
)
