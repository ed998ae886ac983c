"""Tversky loss (Salehi, Erdogmus & Gholipour, MLMI 2017)."""

from __future__ import annotations

from torch import Tensor

from losskit import Identity, InputContract, Loss, LossSpec, Param, reduction_param
from losskit.reduction import Reduction

from ._examples import class_index_masks
from ._inputs import probabilities
from ._overlap import class_sums, overlap_ratio, reduce_classes
from ._params import EPS, FROM_LOGITS, IGNORE_INDEX, MODE, PER_IMAGE, SMOOTH, finite, validated
from .reference import tversky_reference

ALPHA = Param("alpha", 0.3, "weight of the false positives, sum p (1 - g) (Salehi et al.'s alpha)", ge=0.0,
              check=finite)
BETA = Param("beta", 0.7, "weight of the false negatives, sum (1 - p) g (Salehi et al.'s beta)", ge=0.0,
             check=finite)
PARAMS = (MODE, FROM_LOGITS, ALPHA, BETA, SMOOTH, EPS, PER_IMAGE, IGNORE_INDEX, reduction_param())


def tversky_index(
    input: Tensor, target: Tensor, *, owner: str, mode: str, from_logits: bool, alpha: float, beta: float,
    smooth: float, eps: float, per_image: bool, ignore_index: int,
) -> Tensor:
    """The per-class soft Tversky index, ``(N, C)`` or ``(C,)``."""
    p, g = probabilities(owner, input, target, mode=mode, from_logits=from_logits, ignore_index=ignore_index)
    tp, fp, fn = class_sums(p * g, p * (1 - g), (1 - p) * g, per_image=per_image)
    return overlap_ratio(tp, tp + alpha * fp + beta * fn, smooth=smooth, eps=eps)


def tversky_loss(
    input: Tensor,
    target: Tensor,
    *,
    mode: str = "multiclass",
    from_logits: bool = True,
    alpha: float = 0.3,
    beta: float = 0.7,
    smooth: float = 1e-5,
    eps: float = 1e-7,
    per_image: bool = True,
    ignore_index: int = -100,
    reduction: Reduction = "mean",
) -> Tensor:
    """Functional form of :class:`TverskyLoss`."""
    validated("tversky", PARAMS, dict(mode=mode, from_logits=from_logits, alpha=alpha, beta=beta, smooth=smooth,
                                      eps=eps, per_image=per_image, ignore_index=ignore_index, reduction=reduction))
    loss = 1 - tversky_index(input, target, owner="tversky", mode=mode, from_logits=from_logits, alpha=alpha,
                             beta=beta, smooth=smooth, eps=eps, per_image=per_image, ignore_index=ignore_index)
    return reduce_classes(loss, reduction, owner="tversky", dtype=input.dtype)


class TverskyLoss(Loss):
    r"""One minus the soft Tversky index of each class: Dice with separate weights for FP and FN.

    With :math:`p_{ic}` the predicted probability of class :math:`c` at pixel :math:`i` and
    :math:`g_{ic} \in \{0, 1\}` the target, summed over one image (``per_image=True``) or the batch:

    .. math::
        TI_c = \frac{\sum_i p_{ic} g_{ic} + s}
                    {\sum_i p_{ic} g_{ic} + \alpha \sum_i p_{ic} (1 - g_{ic})
                     + \beta \sum_i (1 - p_{ic}) g_{ic} + s},
        \qquad \ell_c = 1 - TI_c

    ``alpha`` weighs the false positives and ``beta`` the false negatives, as in Salehi et al. (their
    best trade-off, and our default, is :math:`\alpha = 0.3, \beta = 0.7`: missing lesion pixels costs
    more). :math:`\alpha = \beta = 1/2` gives Dice, :math:`\alpha = \beta = 1` Jaccard. Note that
    Abraham & Khan (focal Tversky) swap the letters: their :math:`\alpha` weighs the false negatives.
    Smoothing, ``eps``, absent classes, ignored pixels, ``per_image`` and the ``'none'`` output are as in
    :class:`~losskit_segmentation.dice.DiceLoss`.

    Args:
        mode: ``'multiclass'`` | ``'binary'`` | ``'multilabel'``.
        from_logits: ``input`` holds logits (default) or probabilities.
        alpha: false-positive weight, ``>= 0``.   beta: false-negative weight, ``>= 0``.
        smooth: ``s >= 0``.   eps: denominator floor, ``> 0``.
        per_image: per-image losses (default) or sums over the (global) batch.
        ignore_index: target value of pixels to leave out.
        reduction: ``'none'`` | ``'sum'`` | ``'mean'`` of the per-class losses.

    Shape:
        as :class:`~losskit_segmentation.dice.DiceLoss`.

    Examples:
        >>> loss = TverskyLoss(alpha=0.3, beta=0.7)
        >>> loss(torch.randn(2, 3, 8, 8), torch.randint(0, 3, (2, 8, 8)))

    Reference: Salehi, Erdogmus, Gholipour. Tversky loss function for image segmentation using 3D fully
    convolutional deep networks. MLMI 2017, eq. (3).
    """

    loss_name = "tversky"
    params = PARAMS

    def __init__(
        self,
        *,
        mode: str = "multiclass",
        from_logits: bool = True,
        alpha: float = 0.3,
        beta: float = 0.7,
        smooth: float = 1e-5,
        eps: float = 1e-7,
        per_image: bool = True,
        ignore_index: int = -100,
        reduction: Reduction = "mean",
    ) -> None:
        super().__init__(mode=mode, from_logits=from_logits, alpha=alpha, beta=beta, smooth=smooth, eps=eps,
                         per_image=per_image, ignore_index=ignore_index, reduction=reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return tversky_loss(input, target, **self.hparams)


SPEC = LossSpec(
    name="tversky",
    aliases=("tversky_loss",),
    factory=TverskyLoss,
    summary="1 - soft Tversky index per class: alpha-weighted FP, beta-weighted FN",
    family="segmentation",
    source="Salehi, Erdogmus & Gholipour, MLMI 2017",
    contract=InputContract(
        input="logits",
        target="class_indices",
        input_shape="(N, C, *)",
        target_shape="(N, *) class indices; (N, C, *) {0, 1} with mode='binary'/'multilabel'",
        output_shape="(N, C) with per_image, else (C,), with reduction='none'; else ()",
    ),
    example=class_index_masks,
    reference=tversky_reference,
    functional=tversky_loss,
    tags=frozenset({"batch_coupled", "ignore_index", "compile"}),
    identities=(
        Identity({"alpha": 1.0, "beta": 1.0}, "jaccard", note="Tversky with alpha = beta = 1 is Jaccard"),
    ),
)
