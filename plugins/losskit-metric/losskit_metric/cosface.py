"""CosFace, the large margin cosine loss (Wang, Wang, Zhou, Ji, Gong, Zhou, Li, Liu, CVPR 2018)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from losskit import LossSpec, param, reduction_param
from losskit.contract import EMBEDDINGS_AND_CLASSES
from losskit.precision import output
from losskit.reduction import Reduction, reduce

from ._examples import HEAD_EXAMPLE_PARAMS, head_embeddings
from ._head import MarginHeadLoss, head_cosines, head_functional
from .reference import cosface_reference

NAME = "cosface"


class CosFaceLoss(MarginHeadLoss, name=NAME):
    r"""CosFace: cross-entropy on scaled cosines to learned class centres, a margin subtracted from the true class's.

    With :math:`\cos\theta_j` the cosine of the embedding :math:`x_n` and the learned
    class centre :math:`W_j` (both L2-normalised), the large margin cosine loss is

    .. math::
        \ell_n = -\log \frac{e^{s (\cos\theta_{y_n} - m)}}
            {e^{s (\cos\theta_{y_n} - m)} + \sum_{j \ne y_n} e^{s \cos \theta_j}}

    The loss owns the class centres: ``class_centers`` is an ``nn.Parameter`` of shape
    ``(num_classes, embedding_dim)``, so give the loss's parameters to the optimiser. It starts
    standard normal (seeded by ``init_seed`` when given). The functional form
    ``cosface_loss(input, target, class_centers=W, ...)`` takes the centres explicitly.

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
        >>> centres = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
        >>> cosface_loss(torch.tensor([[2.0, 0.0]]), torch.tensor([0]), class_centers=centres, margin=0.5, scale=2.0)
        tensor(0.3133)
        >>> loss = CosFaceLoss(num_classes=10, embedding_dim=128, margin=0.35, scale=64)
        >>> loss.class_centers.shape
        torch.Size([10, 128])

    Reference: Wang, Wang, Zhou, Ji, Gong, Zhou, Li, Liu. CosFace: Large Margin Cosine Loss for
    Deep Face Recognition. CVPR 2018.
    """

    margin: float = param(0.35, "additive cosine margin m subtracted from the true class's cosine", ge=0.0, finite=True)
    scale: float = param(64.0, "feature scale s", gt=0.0, finite=True)
    reduction: Reduction = reduction_param()

    @staticmethod
    def margin_loss(
        input: Tensor, target: Tensor, class_centers: Tensor, *, margin: float, scale: float, reduction: Reduction
    ) -> Tensor:
        cos, target = head_cosines(NAME, input, target, class_centers)
        logits = scale * (cos - margin * F.one_hot(target, cos.shape[1]).to(cos.dtype))
        loss = F.cross_entropy(logits, target, reduction="none")
        return reduce(output(loss, input), reduction, owner=NAME)


cosface_loss = head_functional(CosFaceLoss)

SPEC = LossSpec.of(
    CosFaceLoss, family="metric", source="Wang et al. 2018, CosFace: Large Margin Cosine Loss for Deep Face "
    "Recognition, CVPR", contract=EMBEDDINGS_AND_CLASSES, example=head_embeddings, example_params=HEAD_EXAMPLE_PARAMS,
    reference=cosface_reference, aliases=("large_margin_cosine", "lmcl"), tags={"compile"},
)
