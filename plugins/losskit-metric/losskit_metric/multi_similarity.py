"""Multi-similarity loss with its pair mining (Wang, Han, Huang, Dong, Scott, CVPR 2019)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from losskit import InputContract, Loss, LossSpec, Param, reduction_param
from losskit.reduction import Reduction

from ._examples import labelled_embeddings
from ._gather import gather, reduce_global
from ._inputs import check_embeddings, check_labels, validated, working
from .reference import multi_similarity_reference

NAME = "multi_similarity"
PARAMS = (
    Param("alpha", 2.0, "scale of the positive pairs' term", gt=0.0),
    Param("beta", 50.0, "scale of the negative pairs' term", gt=0.0),
    Param("base", 0.5, "lambda, the similarity threshold the pairs are weighed against", ge=-1.0, le=1.0),
    Param(
        "epsilon",
        0.1,
        "mining margin: the pairs kept are those within epsilon of the hardest of the other kind",
        ge=0.0,
    ),
    reduction_param(),
)


def _log1p_sum_exp(exponents: Tensor, selected: Tensor) -> Tensor:
    """``log(1 + sum of exp(exponents) over the selected entries)`` per row, finite when none is selected."""
    return F.pad(exponents.masked_fill(~selected, float("-inf")), (0, 1), value=0.0).logsumexp(dim=1)


def multi_similarity_loss(
    input: Tensor,
    target: Tensor,
    *,
    alpha: float = 2.0,
    beta: float = 50.0,
    base: float = 0.5,
    epsilon: float = 0.1,
    reduction: Reduction = "mean",
) -> Tensor:
    """Functional form of :class:`MultiSimilarityLoss`: ``input`` embeddings ``(N, D)``, ``target`` labels ``(N,)``."""
    v = validated(
        NAME, PARAMS, {"alpha": alpha, "beta": beta, "base": base, "epsilon": epsilon, "reduction": reduction}
    )
    check_embeddings(NAME, "input", input)
    check_labels(NAME, target, input.shape[0])
    local = F.normalize(working(input), dim=1)
    batch = gather(local, target)
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
    kept_negative = negative & (similarity + v["epsilon"] > hardest_positive[:, None])
    kept_positive = positive & (similarity - v["epsilon"] < hardest_negative[:, None])
    loss = (
        _log1p_sum_exp(-v["alpha"] * (similarity - v["base"]), kept_positive) / v["alpha"]
        + _log1p_sum_exp(v["beta"] * (similarity - v["base"]), kept_negative) / v["beta"]
    )
    return reduce_global(loss, v["reduction"], similarity.shape[1]).to(input.dtype)


class MultiSimilarityLoss(Loss):
    r"""Weighs each pair by its own and its neighbours' similarities, after mining informative pairs.

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
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input ``(N, D)``; target ``(N,)`` integer labels; output ``(N,)`` with ``reduction='none'``, else a scalar.

    Examples:
        >>> loss = MultiSimilarityLoss(alpha=2, beta=50, base=0.5)
        >>> value = loss(torch.randn(8, 128), torch.randint(0, 3, (8,)))

    Reference: Wang, Han, Huang, Dong, Scott. Multi-Similarity Loss with General Pair Weighting
    for Deep Metric Learning. CVPR 2019.
    """

    loss_name = NAME
    params = PARAMS

    def __init__(
        self,
        *,
        alpha: float = 2.0,
        beta: float = 50.0,
        base: float = 0.5,
        epsilon: float = 0.1,
        reduction: Reduction = "mean",
    ) -> None:
        super().__init__(alpha=alpha, beta=beta, base=base, epsilon=epsilon, reduction=reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return multi_similarity_loss(
            input,
            target,
            alpha=self.alpha,
            beta=self.beta,
            base=self.base,
            epsilon=self.epsilon,
            reduction=self.reduction,
        )


SPEC = LossSpec(
    name=NAME,
    aliases=("ms_loss", "multi_similarity_loss"),
    factory=MultiSimilarityLoss,
    summary="multi-similarity pair weighting with in-batch pair mining",
    family="metric",
    source="Wang et al. 2019, Multi-Similarity Loss with General Pair Weighting for Deep Metric Learning, CVPR",
    contract=InputContract(
        input="embeddings",
        target="labels",
        input_shape="(N, D)",
        target_shape="(N,)",
        output_shape="(N,) with reduction='none', else ()",
    ),
    example=labelled_embeddings,
    reference=multi_similarity_reference,
    functional=multi_similarity_loss,
    tags=frozenset({"batch_coupled"}),
)
