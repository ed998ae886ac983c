"""ArcFace, the additive angular margin loss (Deng, Guo, Xue, Zafeiriou, CVPR 2019)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from losskit import InputContract, LossSpec, Param, reduction_param
from losskit.reduction import Reduction, reduce

from ._examples import HEAD_EXAMPLE_PARAMS, head_embeddings
from ._head import HEAD_PARAMS, MarginHeadLoss, head_cosines
from ._inputs import validated
from .reference import arcface_reference

NAME = "arcface"
MARGIN_PARAMS = (
    Param("margin", 0.5, "additive angular margin m, in radians", ge=0.0, lt=math.pi),
    Param("scale", 64.0, "feature scale s: the radius of the hypersphere", gt=0.0),
    Param("easy_margin", False, "apply the margin only where theta < pi/2 (the official code's option)", type=bool),
    reduction_param(),
)
PARAMS = (*HEAD_PARAMS, *MARGIN_PARAMS)


def arcface_loss(
    input: Tensor,
    target: Tensor,
    *,
    class_centers: Tensor,
    margin: float = 0.5,
    scale: float = 64.0,
    easy_margin: bool = False,
    reduction: Reduction = "mean",
) -> Tensor:
    """Functional form of :class:`ArcFaceLoss`, with the class centres ``W`` ``(C, D)`` given explicitly."""
    v = validated(
        NAME, MARGIN_PARAMS, {"margin": margin, "scale": scale, "easy_margin": easy_margin, "reduction": reduction}
    )
    cos = head_cosines(NAME, input, target, class_centers)
    m = v["margin"]
    c = cos.gather(1, target[:, None])
    squared_sine = 1 - c.square()
    # cos(theta + m) without acos; sin(theta) >= 0 on [0, pi]. Where sin = 0, a zero gradient instead of NaN.
    inside = squared_sine > 0
    sine = torch.where(inside, torch.where(inside, squared_sine, 1).sqrt(), 0)
    shifted = c * math.cos(m) - sine * math.sin(m)
    if v["easy_margin"]:
        shifted = torch.where(c > 0, shifted, c)
    else:
        # theta + m > pi would make cos(theta + m) increase with theta: fall back to cos(theta) - m sin(m).
        shifted = torch.where(c > math.cos(math.pi - m), shifted, c - math.sin(math.pi - m) * m)
    logits = v["scale"] * cos.scatter(1, target[:, None], shifted)
    loss = F.cross_entropy(logits, target, reduction="none")
    return reduce(loss.to(input.dtype), v["reduction"], owner=NAME)


class ArcFaceLoss(MarginHeadLoss):
    r"""Softmax cross-entropy on scaled cosines, with an angular margin added to the true class's angle.

    With :math:`\theta_{j}` the angle between the embedding :math:`x_n` and the
    learned class centre :math:`W_j` (both L2-normalised),

    .. math::
        \ell_n = -\log \frac{e^{s \cos(\theta_{y_n} + m)}}
            {e^{s \cos(\theta_{y_n} + m)} + \sum_{j \ne y_n} e^{s \cos \theta_j}}

    computed without ``acos`` as :math:`\cos(\theta + m) = \cos\theta \cos m - \sin\theta \sin m`.
    Where :math:`\theta_{y_n} + m > \pi` the target logit is :math:`s(\cos\theta_{y_n} - m \sin m)`
    instead, and with ``easy_margin`` the margin is applied only where :math:`\theta_{y_n} < \pi/2`:
    both as in the paper's official code (insightface).

    The loss owns the class centres: ``class_centers`` is an ``nn.Parameter`` of shape
    ``(num_classes, embedding_dim)``, so give the loss's parameters to the optimiser
    (``torch.optim.SGD([*model.parameters(), *loss.parameters()])``). It starts standard normal
    (seeded by ``init_seed`` when given); a config rebuilds the initial state, a ``state_dict`` the trained one.

    Args:
        num_classes: required; :math:`C \ge 1`.
        embedding_dim: required; :math:`D \ge 1`.
        init_seed: seed of the initial class centres, or ``None`` (torch's global generator).
        margin: :math:`m \in [0, \pi)`, in radians.
        scale: :math:`s > 0`.
        easy_margin: see above.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input ``(N, D)`` embeddings; target ``(N,)`` class indices in ``[0, C)``;
        output ``(N,)`` with ``reduction='none'``, else a scalar.

    Examples:
        >>> loss = ArcFaceLoss(num_classes=10, embedding_dim=128)
        >>> value = loss(torch.randn(8, 128), torch.randint(0, 10, (8,)))

    Reference: Deng, Guo, Xue, Zafeiriou. ArcFace: Additive Angular Margin Loss for Deep Face
    Recognition. CVPR 2019.
    """

    loss_name = NAME
    params = PARAMS

    def __init__(
        self,
        *,
        num_classes: int | None = None,
        embedding_dim: int | None = None,
        init_seed: int | None = None,
        margin: float = 0.5,
        scale: float = 64.0,
        easy_margin: bool = False,
        reduction: Reduction = "mean",
    ) -> None:
        super().__init__(
            num_classes=num_classes,
            embedding_dim=embedding_dim,
            init_seed=init_seed,
            margin=margin,
            scale=scale,
            easy_margin=easy_margin,
            reduction=reduction,
        )

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return arcface_loss(
            input,
            target,
            class_centers=self.class_centers,
            margin=self.margin,
            scale=self.scale,
            easy_margin=self.easy_margin,
            reduction=self.reduction,
        )


SPEC = LossSpec(
    name=NAME,
    aliases=("additive_angular_margin",),
    factory=ArcFaceLoss,
    summary="cross-entropy on s cos(theta + m) for the true class, learned class centres",
    family="metric",
    source="Deng et al. 2019, ArcFace: Additive Angular Margin Loss for Deep Face Recognition, CVPR",
    contract=InputContract(
        input="embeddings",
        target="class_indices",
        input_shape="(N, D)",
        target_shape="(N,)",
        output_shape="(N,) with reduction='none', else ()",
    ),
    example=head_embeddings,
    example_params=HEAD_EXAMPLE_PARAMS,
    reference=arcface_reference,
    tags=frozenset({"compile"}),
)
