"""ArcFace, the additive angular margin loss (Deng, Guo, Xue, Zafeiriou, CVPR 2019)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from losskit import LossSpec, param, reduction_param
from losskit.contract import EMBEDDINGS_AND_CLASSES
from losskit.precision import output
from losskit.reduction import Reduction, reduce

from ._examples import HEAD_EXAMPLE_PARAMS, head_embeddings
from ._head import MarginHeadLoss, head_cosines, head_functional
from .reference import arcface_reference

NAME = "arcface"


class ArcFaceLoss(MarginHeadLoss, name=NAME):
    r"""ArcFace: cross-entropy on scaled cosines to learned class centres, the true class's angle widened by a margin.

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
    The functional form ``arcface_loss(input, target, class_centers=W, ...)`` takes the centres explicitly.

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
        >>> loss = ArcFaceLoss(num_classes=10, embedding_dim=128, init_seed=0)
        >>> loss.class_centers.shape
        torch.Size([10, 128])
        >>> embeddings = 2 * loss.class_centers.detach()[[3, 7]]  # on the centres of classes 3 and 7
        >>> round(loss(embeddings, torch.tensor([3, 7])).item(), 6)
        0.0
        >>> loss(embeddings, torch.tensor([7, 3])).item() > 50  # each labelled with the other's class
        True

    Reference: Deng, Guo, Xue, Zafeiriou. ArcFace: Additive Angular Margin Loss for Deep Face
    Recognition. CVPR 2019.
    """

    margin: float = param(0.5, "additive angular margin m, in radians", ge=0.0, lt=math.pi)
    scale: float = param(64.0, "feature scale s: the radius of the hypersphere", gt=0.0, finite=True)
    easy_margin: bool = param(False, "apply the margin only where theta < pi/2 (the official code's option)")
    reduction: Reduction = reduction_param()

    @staticmethod
    def margin_loss(
        input: Tensor, target: Tensor, class_centers: Tensor, *, margin: float, scale: float, easy_margin: bool,
        reduction: Reduction,
    ) -> Tensor:
        cos, target = head_cosines(NAME, input, target, class_centers)
        c = cos.gather(1, target[:, None])
        squared_sine = 1 - c.square()
        # cos(theta + m) without acos; sin(theta) >= 0 on [0, pi]. Where sin = 0, a zero gradient instead of NaN.
        inside = squared_sine > 0
        sine = torch.where(inside, torch.where(inside, squared_sine, 1).sqrt(), 0)
        shifted = c * math.cos(margin) - sine * math.sin(margin)
        if easy_margin:
            shifted = torch.where(c > 0, shifted, c)
        else:
            # theta + m > pi would make cos(theta + m) increase with theta: fall back to cos(theta) - m sin(m).
            shifted = torch.where(c > math.cos(math.pi - margin), shifted, c - math.sin(math.pi - margin) * margin)
        logits = scale * cos.scatter(1, target[:, None], shifted)
        loss = F.cross_entropy(logits, target, reduction="none")
        return reduce(output(loss, input), reduction, owner=NAME)


arcface_loss = head_functional(ArcFaceLoss)

SPEC = LossSpec.of(
    ArcFaceLoss, family="metric", source="Deng et al. 2019, ArcFace: Additive Angular Margin Loss for Deep Face "
    "Recognition, CVPR", contract=EMBEDDINGS_AND_CLASSES, example=head_embeddings, example_params=HEAD_EXAMPLE_PARAMS,
    reference=arcface_reference, aliases=("additive_angular_margin",), tags={"compile"},
)
