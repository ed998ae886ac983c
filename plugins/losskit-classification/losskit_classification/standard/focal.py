"""Softmax (multi-class) focal loss (Lin et al., Focal Loss for Dense Object Detection, ICCV 2017)."""

from __future__ import annotations

import dataclasses
import numbers
from typing import Any

import torch
from torch import Tensor

from losskit import Identity, InputContract, Loss, LossSpec, Param, reduction_param
from losskit.errors import LossInputError
from losskit.params import validate_params
from losskit.reduction import Reduction

from .._examples import class_index_logits
from ._classes import IGNORE_INDEX, check_class_target, reduce_over
from .reference import focal_reference

Alpha = float | tuple[float, ...] | None


class _ScalarOrPerClass(Param):
    """A ``tuple`` parameter that also takes one number, kept as a float (``alpha=0.25``)."""

    def validate(self, value: Any, *, owner: str) -> Any:
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            scalar = Param(**{f.name: getattr(self, f.name) for f in dataclasses.fields(Param)} | {"type": float})
            return scalar.validate(value, owner=owner)
        return super().validate(value, owner=owner)

    def expected(self) -> str:
        return "float or " + super().expected()


GAMMA = Param("gamma", 2.0, "focusing parameter: 0 gives cross-entropy, larger down-weights easy examples", ge=0.0)
ALPHA = _ScalarOrPerClass(
    "alpha",
    None,
    "class balancing weight: one float for every class, one per class (length C), or None",
    type=tuple,
    ge=0.0,
    nullable=True,
)


def _alpha_of_target(alpha: Alpha, target: Tensor, input: Tensor) -> Tensor | float:
    if alpha is None or isinstance(alpha, numbers.Real):
        return 1.0 if alpha is None else float(alpha)
    if len(alpha) != input.shape[1]:
        raise LossInputError(
            f"focal: alpha has {len(alpha)} values but the input has {input.shape[1]} classes along dim 1. "
            "Give one value per class, or a single float."
        )
    return torch.tensor(alpha, dtype=input.dtype, device=input.device)[target]


def focal_loss(
    input: Tensor,
    target: Tensor,
    *,
    gamma: float = 2.0,
    alpha: Alpha = None,
    ignore_index: int = -100,
    reduction: Reduction = "mean",
) -> Tensor:
    """Functional form of :class:`FocalLoss`."""
    if not torch.compiler.is_compiling():  # the Module validated them on construction
        params = {"gamma": gamma, "alpha": alpha, "ignore_index": ignore_index, "reduction": reduction}
        validate_params("focal", FocalLoss.params, params)
    check_class_target("focal", input, target, ignore_index=ignore_index)
    x = input.float() if input.dtype in (torch.float16, torch.bfloat16) else input
    kept = target != ignore_index
    index = torch.where(kept, target, 0)
    log_norm = x.logsumexp(dim=1)
    log_p = x.gather(1, index.unsqueeze(1)).squeeze(1) - log_norm
    loss = -log_p
    if gamma > 0 and x.shape[1] > 1:
        # log(1 - p_y) = logsumexp of the other logits - logsumexp of all: finite for finite logits, even
        # where p_y rounds to 1, so (1 - p_y)^gamma = exp(gamma * log(1 - p_y)) has a finite gradient for
        # every gamma (the naive (1 - p)**gamma gives 0 * inf = nan there when gamma < 1).
        is_target = torch.zeros_like(x, dtype=torch.bool).scatter_(1, index.unsqueeze(1), True)
        log_rest = x.masked_fill(is_target, float("-inf")).logsumexp(dim=1) - log_norm
        loss = loss * torch.exp(gamma * log_rest)
    loss = torch.where(kept, loss * _alpha_of_target(alpha, index, x), 0)
    return reduce_over("focal", loss, reduction, kept.sum()).to(input.dtype)


class FocalLoss(Loss):
    r"""Cross-entropy down-weighted on well-classified examples (softmax, multi-class).

    .. math::
        \ell_n = -\alpha_{y_n} (1 - p_{n,y_n})^{\gamma} \log p_{n,y_n},
        \qquad p_n = \operatorname{softmax}(x_n)

    :math:`\alpha_{y_n}` is ``alpha[y_n]`` for a per-class tuple, ``alpha`` for a float, 1 for ``None``.
    ``'mean'`` divides by the number of targets that are not ``ignore_index`` (not by the alphas, and
    not by the number of classes: the one-hot "mean over N*C" of some implementations is C times smaller).
    With ``gamma=0`` and ``alpha=None`` it is :class:`CrossEntropyLoss`.

    :math:`(1-p)^\gamma` is computed as :math:`\exp(\gamma \log(1-p))` with :math:`\log(1-p)` taken from a
    logsumexp over the other classes, so values and gradients stay finite at saturated logits for every
    :math:`\gamma \ge 0`, including :math:`0 < \gamma < 1`. Half precision is computed in float32.

    Args:
        gamma: focusing parameter, ``>= 0``.
        alpha: a float, one value per class, or ``None``.
        ignore_index: target value that is skipped.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input ``(N, C)`` or ``(N, C, d1, ...)`` logits; target ``(N)`` / ``(N, d1, ...)`` class indices;
        output the target's shape with ``reduction='none'``, else a scalar.

    Examples:
        >>> loss = FocalLoss(gamma=2.0, alpha=(0.25, 0.75))
        >>> loss(torch.randn(4, 2), torch.tensor([0, 1, 1, 0]))

    Reference: Lin, Goyal, Girshick, He, Dollár. Focal Loss for Dense Object Detection. ICCV 2017, eq. (5),
    with the softmax generalisation of its appendix.
    """

    loss_name = "focal"
    params = (GAMMA, ALPHA, IGNORE_INDEX, reduction_param())

    def __init__(
        self, *, gamma: float = 2.0, alpha: Alpha = None, ignore_index: int = -100, reduction: Reduction = "mean"
    ) -> None:
        super().__init__(gamma=gamma, alpha=alpha, ignore_index=ignore_index, reduction=reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return focal_loss(
            input, target, gamma=self.gamma, alpha=self.alpha, ignore_index=self.ignore_index, reduction=self.reduction
        )


SPEC = LossSpec(
    name="focal",
    aliases=("focal_loss", "softmax_focal"),
    factory=FocalLoss,
    summary="softmax focal loss: cross-entropy scaled by (1 - p)^gamma, per-class alpha",
    family="classification",
    source="Lin et al. 2017, Focal Loss for Dense Object Detection, ICCV",
    contract=InputContract(
        input="logits",
        target="class_indices",
        input_shape="(N, C, *)",
        target_shape="(N, *)",
        output_shape="(N, *) with reduction='none', else ()",
    ),
    example=class_index_logits,
    reference=focal_reference,
    functional=focal_loss,
    tags=frozenset({"ignore_index", "compile"}),
    identities=(Identity({"gamma": 0.0}, "cross_entropy", note="focal with gamma=0 and no alpha is cross-entropy"),),
    mean_denominator="non_ignored",
)
