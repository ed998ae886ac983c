"""Lovász hinge loss (Berman, Rannen Triki & Blaschko, CVPR 2018)."""

from __future__ import annotations

from torch import Tensor

from losskit import InputContract, Loss, LossSpec, Param, reduction_param
from losskit.reduction import Reduction

from ._examples import binary_masks
from ._inputs import pixels
from ._lovasz import lovasz_extension, units
from ._overlap import reduce_classes
from ._params import IGNORE_INDEX, PER_IMAGE, validated
from .reference import lovasz_hinge_reference

MODE = Param(
    "mode",
    "binary",
    "'binary': logits (N, 1, *) and {0, 1} targets (N, 1, *) or (N, *); 'multilabel': logits and {0, 1} "
    "targets (N, C, *), one binary problem per channel",
    type=str,
    choices=("binary", "multilabel"),
)
PARAMS = (MODE, PER_IMAGE, IGNORE_INDEX, reduction_param())


def lovasz_hinge_loss(
    input: Tensor,
    target: Tensor,
    *,
    mode: str = "binary",
    per_image: bool = True,
    ignore_index: int = -100,
    reduction: Reduction = "mean",
) -> Tensor:
    """Functional form of :class:`LovaszHingeLoss`."""
    validated("lovasz_hinge", PARAMS, dict(mode=mode, per_image=per_image, ignore_index=ignore_index,
                                           reduction=reduction))
    x, g, valid = pixels("lovasz_hinge", input, target, mode=mode, ignore_index=ignore_index)
    errors = (1 - x * (2 * g - 1)).relu() * valid
    losses = lovasz_extension(*units(errors, g, per_image=per_image))  # (U, C)
    return reduce_classes(losses if per_image else losses[0], reduction, owner="lovasz_hinge", dtype=input.dtype)


class LovaszHingeLoss(Loss):
    r"""The Lovász extension of the foreground Jaccard loss, on hinge errors of the logits.

    With :math:`x_i` the logit of pixel :math:`i` and :math:`y_i \in \{0, 1\}` its target, the errors are
    the hinge losses :math:`m_i = \max(0, 1 - x_i (2 y_i - 1))` and

    .. math::
        \ell = \overline{\Delta_{J_1}}(m), \qquad \Delta_{J_1}(M) = \frac{|M|}{|\{y = 1\} \cup M|}

    with :math:`\overline{\Delta}` the Lovász extension (:mod:`losskit_segmentation._lovasz`), over the
    pixels of one image (``per_image=True``, the paper's default) or of the whole batch (under
    ``torch.distributed``, gathered from every rank). In ``'multilabel'`` mode each channel is its own
    binary problem. Every image counts, also one without foreground (its loss is then its largest
    error). Pixels whose target is ``ignore_index`` are left out.

    Args:
        mode: ``'binary'`` | ``'multilabel'``.
        per_image: per-image losses (default) or one loss over the batch (batch-coupled).
        ignore_index: target value of pixels to leave out.
        reduction: ``'none'``: the ``(N, C)`` (``C = 1`` when binary) per-image losses, or ``(C,)`` with
            ``per_image=False``; ``'sum'``: their sum; ``'mean'``: their mean.

    Shape:
        input ``(N, 1, *)`` (binary) or ``(N, C, *)`` (multilabel) logits; target ``{0, 1}`` of the input's
        shape, or ``(N, *)`` when binary.

    Examples:
        >>> loss = LovaszHingeLoss()
        >>> loss(torch.randn(2, 1, 8, 8), torch.randint(0, 2, (2, 8, 8)))

    Reference: Berman, Rannen Triki, Blaschko. The Lovász-Softmax loss: A tractable surrogate for the
    optimization of the intersection-over-union measure in neural networks. CVPR 2018, section 3.1.
    """

    loss_name = "lovasz_hinge"
    params = PARAMS

    def __init__(
        self, *, mode: str = "binary", per_image: bool = True, ignore_index: int = -100, reduction: Reduction = "mean"
    ) -> None:
        super().__init__(mode=mode, per_image=per_image, ignore_index=ignore_index, reduction=reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return lovasz_hinge_loss(input, target, **self.hparams)


SPEC = LossSpec(
    name="lovasz_hinge",
    aliases=(),
    factory=LovaszHingeLoss,
    summary="Lovász extension of the foreground Jaccard loss on hinge errors (binary, multilabel)",
    family="segmentation",
    source="Berman, Rannen Triki & Blaschko, The Lovász-Softmax loss, CVPR 2018",
    contract=InputContract(
        input="logits",
        target="binary",
        input_shape="(N, 1, *) or (N, C, *) with mode='multilabel'",
        target_shape="the input's shape, or (N, *) when binary",
        output_shape="(N, C) with per_image, else (C,), with reduction='none'; else ()",
    ),
    example=binary_masks,
    reference=lovasz_hinge_reference,
    functional=lovasz_hinge_loss,
    tags=frozenset({"batch_coupled", "ignore_index", "compile"}),
)
