"""Multi-similarity loss with its pair mining (Wang, Han, Huang, Dong, Scott, CVPR 2019)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from losskit import Loss, LossSpec, param, reduction_param
from losskit.contract import EMBEDDINGS_AND_LABELS
from losskit.distributed import GATHER
from losskit.precision import no_autocast, output, working
from losskit.reduction import Reduction

from ._examples import labelled_embeddings
from ._gather import global_batch, reduce_global
from ._inputs import check_embeddings, check_labels
from .reference import multi_similarity_reference

NAME = "multi_similarity"


def _log1p_sum_exp(exponents: Tensor, selected: Tensor) -> Tensor:
    """``log(1 + sum of exp(exponents) over the selected entries)`` per row, finite when none is selected."""
    return F.pad(exponents.masked_fill(~selected, float("-inf")), (0, 1), value=0.0).logsumexp(dim=1)


class MultiSimilarityLoss(Loss, name=NAME):
    r"""Multi-similarity loss: pairs weighted by their own and their neighbours' similarities, after in-batch mining.

    With :math:`S_{ik}` the cosine similarity of samples :math:`i` and :math:`k`,
    :math:`\mathcal{P}_i` and :math:`\mathcal{N}_i` the positive (same label, not
    :math:`i`) and negative pairs of anchor :math:`i` kept by the mining (Sec. 3.3)

    .. math::
        S^-_{ij} > \min_{y_k = y_i} S_{ik} - \epsilon, \qquad
        S^+_{ij} < \max_{y_k \ne y_i} S_{ik} + \epsilon,

    the loss of anchor :math:`i` is

    .. math::
        \ell_i = \frac{1}{\alpha} \log\Big[1 + \sum_{k \in \mathcal{P}_i} e^{-\alpha (S_{ik} - \lambda)}\Big]
               + \frac{1}{\beta} \log\Big[1 + \sum_{k \in \mathcal{N}_i} e^{\beta (S_{ik} - \lambda)}\Big]

    and ``'mean'`` is :math:`\frac1N \sum_i \ell_i`. A term with no kept pair is 0 (an anchor
    without a positive keeps no negative, and vice versa). The defaults are those of
    pytorch-metric-learning.

    Under ``torch.distributed`` the embeddings and labels of every rank are gathered
    (the embeddings with gradient) and the local anchors are mined and scored
    against the global batch; ``'none'`` gives the local samples' losses,
    ``'mean'``/``'sum'`` the value over the global batch on every rank.

    Args:
        alpha: :math:`\alpha > 0`.
        beta: :math:`\beta > 0`.
        base: :math:`\lambda` in :math:`[-1, 1]`.
        epsilon: mining margin :math:`\epsilon \ge 0`.
        gather: under ``torch.distributed``, over every rank's batch (default; every rank must call the loss)
            or, with ``False``, over this rank's batch alone (e.g. validation on rank 0).
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input ``(N, D)``; target ``(N,)`` integer labels; output ``(N,)`` with ``reduction='none'``, else a scalar.

    Examples:
        >>> loss = MultiSimilarityLoss(alpha=1.0, beta=1.0, base=0.0, epsilon=2.0, reduction="none")  # mine all
        >>> embeddings = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
        >>> loss(embeddings, torch.tensor([0, 0, 1, 1]))  # log(1 + e^-1) + log(1 + 2 e^0) for each
        tensor([1.4119, 1.4119, 1.4119, 1.4119])

    Reference: Wang, Han, Huang, Dong, Scott. Multi-Similarity Loss with General Pair Weighting
    for Deep Metric Learning. CVPR 2019.
    """

    alpha: float = param(2.0, "scale of the positive pairs' term", gt=0.0, finite=True)
    beta: float = param(50.0, "scale of the negative pairs' term", gt=0.0, finite=True)
    base: float = param(0.5, "lambda, the similarity threshold the pairs are weighed against", ge=-1.0, le=1.0)
    epsilon: float = param(
        0.1, "mining margin: the pairs kept are those within epsilon of the hardest of the other kind", ge=0.0, finite=True
    )
    gather: bool = GATHER
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(
        input: Tensor, target: Tensor, *, alpha: float, beta: float, base: float, epsilon: float, gather: bool,
        reduction: Reduction,
    ) -> Tensor:
        check_embeddings(NAME, "input", input)
        check_labels(NAME, target, input.shape[0])
        local = F.normalize(working(input), dim=1)
        batch = global_batch(local, target, gather=gather, owner=NAME)
        with no_autocast(local):  # in float32, as torch's losses under autocast
            similarity = local @ batch.embeddings.T  # (n, total)
        own = batch.offset + torch.arange(input.shape[0], device=input.device)
        same = target[:, None] == batch.labels
        positive = same & (own[:, None] != torch.arange(similarity.shape[1], device=input.device))
        negative = ~same
        # Mining: keep a negative more similar than the least similar positive minus epsilon,
        # and a positive less similar than the most similar negative plus epsilon. An extra column
        # keeps the min / max defined for an empty row; with no candidate of a kind, nothing is kept.
        hardest_positive = F.pad(similarity.masked_fill(~positive, float("inf")), (0, 1), value=float("inf")).amin(1)
        hardest_negative = F.pad(similarity.masked_fill(~negative, float("-inf")), (0, 1), value=float("-inf")).amax(1)
        kept_negative = negative & (similarity + epsilon > hardest_positive[:, None])
        kept_positive = positive & (similarity - epsilon < hardest_negative[:, None])
        loss = (
            _log1p_sum_exp(-alpha * (similarity - base), kept_positive) / alpha
            + _log1p_sum_exp(beta * (similarity - base), kept_negative) / beta
        )
        # The mining compares similarities, and a comparison with NaN is false: a NaN row would keep no pair
        # and score 0. A NaN similarity makes the row's loss NaN instead.
        loss = torch.where(similarity.isnan().any(dim=1), torch.nan, loss)
        return output(reduce_global(loss, reduction, similarity.shape[1], gather=gather, owner=NAME), input)


multi_similarity_loss = MultiSimilarityLoss.functional

SPEC = LossSpec.of(
    MultiSimilarityLoss, family="metric", source="Wang et al. 2019, Multi-Similarity Loss with General Pair "
    "Weighting for Deep Metric Learning, CVPR", contract=EMBEDDINGS_AND_LABELS, example=labelled_embeddings,
    reference=multi_similarity_reference, aliases=("ms_loss", "multi_similarity_loss"),
    tags={"batch_coupled", "compile"},
)
