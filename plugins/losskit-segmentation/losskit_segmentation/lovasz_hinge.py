"""Lovász hinge loss (Berman, Rannen Triki & Blaschko, CVPR 2018)."""

from __future__ import annotations

from typing import Literal

from torch import Tensor

from losskit import Loss, LossSpec, ignore_index_param, param, reduction_param
from losskit.reduction import Reduction

from ._examples import binary_masks
from ._inputs import MASK_LOGITS, pixels
from ._lovasz import lovasz_extension, units
from ._overlap import reduce_classes
from ._params import GATHER, PER_IMAGE
from .reference import lovasz_hinge_reference


class LovaszHingeLoss(Loss, name="lovasz_hinge"):
    r"""The Lovász extension of the foreground Jaccard loss, on hinge errors of the logits (binary, multilabel).

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
        gather: with ``per_image=False``, under ``torch.distributed``: every rank's batch (default), else this rank's.
        ignore_index: target value of pixels to leave out.
        reduction: ``'none'``: the ``(N, C)`` (``C = 1`` when binary) per-image losses, or ``(C,)`` with
            ``per_image=False``; ``'sum'``: their sum; ``'mean'``: their mean.

    Shape:
        input ``(N, 1, *)`` (binary) or ``(N, C, *)`` (multilabel) logits; target ``{0, 1}`` of the input's
        shape, or ``(N, *)`` when binary.

    Examples:
        >>> logits = torch.tensor([[[2.0, -1.0, 0.5]]])  # one channel (1, 1, 3)
        >>> LovaszHingeLoss()(logits, torch.tensor([[1, 0, 0]]))
        tensor(0.7500)

    Reference: Berman, Rannen Triki, Blaschko. The Lovász-Softmax loss: A tractable surrogate for the
    optimization of the intersection-over-union measure in neural networks. CVPR 2018, section 3.1.
    """

    mode: Literal["binary", "multilabel"] = param(
        "binary",
        "'binary': logits (N, 1, *) and {0, 1} targets (N, 1, *) or (N, *); 'multilabel': logits and {0, 1} "
        "targets (N, C, *), one binary problem per channel",
    )
    per_image: bool = PER_IMAGE
    gather: bool = GATHER
    ignore_index: int = ignore_index_param()
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(
        input: Tensor, target: Tensor, *, mode: str, per_image: bool, gather: bool, ignore_index: int,
        reduction: Reduction,
    ) -> Tensor:
        x, g, valid = pixels("lovasz_hinge", input, target, mode=mode, ignore_index=ignore_index)
        errors = (1 - x * (2 * g - 1)).relu() * valid
        errors, fg = units(errors, g != 0, per_image=per_image, gather=gather, owner="lovasz_hinge")
        losses = lovasz_extension(errors, fg)  # (U, C)
        return reduce_classes(losses if per_image else losses[0], reduction, owner="lovasz_hinge", input=input)


lovasz_hinge_loss = LovaszHingeLoss.functional

SPEC = LossSpec.of(
    LovaszHingeLoss, family="segmentation",
    source="Berman, Rannen Triki & Blaschko, The Lovász-Softmax loss, CVPR 2018", contract=MASK_LOGITS,
    example=binary_masks, reference=lovasz_hinge_reference, tags={"batch_coupled", "ignore_index", "compile"},
)
