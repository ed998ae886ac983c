"""CosFace, the large margin cosine loss (Wang, Wang, Zhou, Ji, Gong, Zhou, Li, Liu, CVPR 2018)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from losskit import InputContract, LossSpec, Param, reduction_param
from losskit.reduction import Reduction, reduce

from ._examples import HEAD_EXAMPLE_PARAMS, head_embeddings
from ._head import HEAD_PARAMS, MarginHeadLoss, head_cosines
from ._inputs import validated
from .reference import cosface_reference

NAME = "cosface"
MARGIN_PARAMS = (
    Param("margin", 0.35, "additive cosine margin m subtracted from the true class's cosine", ge=0.0),
    Param("scale", 64.0, "feature scale s", gt=0.0),
    reduction_param(),
)
PARAMS = (*HEAD_PARAMS, *MARGIN_PARAMS)


def cosface_loss(
    input: Tensor,
    target: Tensor,
    *,
    class_centers: Tensor,
    margin: float = 0.35,
    scale: float = 64.0,
    reduction: Reduction = "mean",
) -> Tensor:
    """Functional form of :class:`CosFaceLoss`, with the class centres ``W`` ``(C, D)`` given explicitly."""
    v = validated(NAME, MARGIN_PARAMS, {"margin": margin, "scale": scale, "reduction": reduction})
    cos = head_cosines(NAME, input, target, class_centers)
    logits = v["scale"] * (cos - v["margin"] * F.one_hot(target, cos.shape[1]).to(cos.dtype))
    loss = F.cross_entropy(logits, target, reduction="none")
    return reduce(loss.to(input.dtype), v["reduction"], owner=NAME)


class CosFaceLoss(MarginHeadLoss):
    r"""Softmax cross-entropy on scaled cosines, with a margin subtracted from the true class's cosine.

    With :math:`\cos\theta_j` the cosine of the embedding :math:`x_n` and the learned
    class centre :math:`W_j` (both L2-normalised), the large margin cosine loss is

    .. math::
        \ell_n = -\log \frac{e^{s (\cos\theta_{y_n} - m)}}
            {e^{s (\cos\theta_{y_n} - m)} + \sum_{j \ne y_n} e^{s \cos \theta_j}}

    The loss owns the class centres: ``class_centers`` is an ``nn.Parameter`` of shape
    ``(num_classes, embedding_dim)``, so give the loss's parameters to the optimiser. It starts
    standard normal (seeded by ``init_seed`` when given).

    Args:
        num_classes: required; :math:`C \ge 1`.
        embedding_dim: required; :math:`D \ge 1`.
        init_seed: seed of the initial class centres, or ``None`` (torch's global generator).
        margin: :math:`m \ge 0`.
        scale: :math:`s > 0`.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input ``(N, D)`` embeddings; target ``(N,)`` class indices in ``[0, C)``;
        output ``(N,)`` with ``reduction='none'``, else a scalar.

    Examples:
        >>> loss = CosFaceLoss(num_classes=10, embedding_dim=128, margin=0.35, scale=64)
        >>> value = loss(torch.randn(8, 128), torch.randint(0, 10, (8,)))

    Reference: Wang, Wang, Zhou, Ji, Gong, Zhou, Li, Liu. CosFace: Large Margin Cosine Loss for
    Deep Face Recognition. CVPR 2018.
    """

    loss_name = NAME
    params = PARAMS

    def __init__(
        self,
        *,
        num_classes: int | None = None,
        embedding_dim: int | None = None,
        init_seed: int | None = None,
        margin: float = 0.35,
        scale: float = 64.0,
        reduction: Reduction = "mean",
    ) -> None:
        super().__init__(
            num_classes=num_classes,
            embedding_dim=embedding_dim,
            init_seed=init_seed,
            margin=margin,
            scale=scale,
            reduction=reduction,
        )

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return cosface_loss(
            input,
            target,
            class_centers=self.class_centers,
            margin=self.margin,
            scale=self.scale,
            reduction=self.reduction,
        )


SPEC = LossSpec(
    name=NAME,
    aliases=("large_margin_cosine", "lmcl"),
    factory=CosFaceLoss,
    summary="cross-entropy on s (cos(theta) - m) for the true class, learned class centres",
    family="metric",
    source="Wang et al. 2018, CosFace: Large Margin Cosine Loss for Deep Face Recognition, CVPR",
    contract=InputContract(
        input="embeddings",
        target="class_indices",
        input_shape="(N, D)",
        target_shape="(N,)",
        output_shape="(N,) with reduction='none', else ()",
    ),
    example=head_embeddings,
    example_params=HEAD_EXAMPLE_PARAMS,
    reference=cosface_reference,
    tags=frozenset({"compile"}),
)
