"""Kullback-Leibler divergence of a target distribution from log-probabilities (torch.nn.KLDivLoss)."""

from __future__ import annotations

from dataclasses import replace
from typing import Literal, get_args

import torch.nn.functional as F
from torch import Tensor

from losskit import InputContract, Loss, LossSpec, param, reduction_param
from losskit.inputs import check_value_target, check_values_in
from losskit.precision import output, working
from losskit.reduction import reduce, torch_reduces

from .._examples import log_probabilities_and_probabilities
from .reference import kl_div_reference

KLReduction = Literal["batchmean", "mean", "sum", "none"]


class KLDivLoss(Loss, name="kl_div"):
    r"""Kullback-Leibler divergence :math:`D_{KL}(y \,\|\, \exp x)` of target probabilities from
    log-probabilities.

    .. math::
        \ell_{n,c} = y_{n,c} (\log y_{n,c} - x_{n,c})

    with :math:`0 \log 0 = 0`; ``x`` holds log-probabilities, ``y`` probabilities (log-probabilities when
    ``log_target=True``). ``'batchmean'`` (the default, the true KL divergence per sample) divides the
    sum by ``N``; ``'mean'`` divides it by the number of elements, as in torch (without torch's warning).
    Deviation from torch on purpose: torch's default is ``'mean'``, which torch's own documentation says
    does not give the KL divergence; pass ``reduction='mean'`` for torch's default value.

    Args:
        log_target: whether ``target`` holds log-probabilities.
        reduction: ``'batchmean'`` | ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input and target ``(N, *)``, the same shape; output ``(N, *)`` with ``reduction='none'``, else a scalar.

    Examples:
        >>> loss = KLDivLoss()
        >>> loss(torch.tensor([[0.5, 0.5], [0.9, 0.1]]).log(), torch.tensor([[0.9, 0.1], [0.9, 0.1]]))
        tensor(0.1840)

    Reference: Kullback and Leibler, On information and sufficiency, Ann. Math. Stat. 1951.
    Matches ``torch.nn.KLDivLoss``.
    """

    log_target: bool = param(False, "whether the target holds log-probabilities")
    reduction: KLReduction = replace(
        reduction_param("batchmean", get_args(KLReduction)),
        doc="'batchmean' (the default: the KL divergence per sample; torch.nn.KLDivLoss defaults to 'mean', "
        "the mean over elements, which is not the KL divergence), 'mean', 'sum' or 'none'",
    )

    @staticmethod
    def compute(input: Tensor, target: Tensor, *, log_target: bool, reduction: KLReduction) -> Tensor:
        target = check_value_target("kl_div", input, target)
        if not log_target:
            hint = "Targets are probabilities; for log-probabilities set log_target=True."
            check_values_in("kl_div", "target", target, 0.0, 1.0, hint)
        if reduction in ("batchmean", "sum") and torch_reduces(input, "sum", None) and input.numel():
            return F.kl_div(input, target, reduction=reduction, log_target=log_target)  # torch's fused sum (/ N)
        loss = output(F.kl_div(working(input), target, reduction="none", log_target=log_target), input)
        if reduction == "batchmean":  # the sum over the batch size N
            return reduce(loss, "mean", denominator=input.shape[0] if input.dim() else 1, owner="kl_div")
        return reduce(loss, reduction, owner="kl_div")


kl_div_loss = KLDivLoss.functional

SPEC = LossSpec.of(
    KLDivLoss,
    family="classification",
    source="Kullback and Leibler 1951; torch.nn.KLDivLoss",
    contract=InputContract("log_probabilities", "soft"),
    example=log_probabilities_and_probabilities,
    reference=kl_div_reference,
    aliases=("kl_divergence", "kld"),
    tags={"compile"},
)
