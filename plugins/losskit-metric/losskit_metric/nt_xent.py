"""NT-Xent, the normalised temperature-scaled cross-entropy of SimCLR (Chen et al., ICML 2020), an InfoNCE loss."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from losskit import InputContract, Loss, LossSpec, param, reduction_param
from losskit.distributed import GATHER
from losskit.precision import no_autocast, output, working
from losskit.reduction import Reduction

from ._examples import two_views
from ._gather import global_batch, reduce_global
from ._inputs import check_embeddings, check_like
from .reference import nt_xent_reference

NAME = "nt_xent"


class NTXentLoss(Loss, name=NAME):
    r"""SimCLR's contrastive cross-entropy (NT-Xent): each view must pick out its partner among all 2N views.

    With :math:`z` the L2-normalised embeddings of the :math:`2N` views (``input``
    rows, then ``target`` rows), :math:`s_{ij} = z_i^\top z_j` and :math:`j(i)` the
    other view of :math:`i`'s sample (SimCLR, eq. 1):

    .. math::
        \ell_{i} = -\log \frac{\exp(s_{i j(i)} / \tau)}{\sum_{k \ne i} \exp(s_{ik} / \tau)},
        \qquad \text{loss}_n = \tfrac12 (\ell_n + \ell_{N+n})

    ``'mean'`` is SimCLR's :math:`\frac{1}{2N} \sum_i \ell_i`. Every other view in the batch,
    of both augmentations, is a negative. InfoNCE (van den Oord et al. 2018) with cosine
    similarity and in-batch negatives; ``info_nce`` is an alias.

    Convention: ``input`` holds the first view's embeddings, ``target`` the second
    view's, row :math:`n` of both the same sample.

    Under ``torch.distributed`` the embeddings of every rank are gathered with
    gradient, the local anchors are scored against the global batch;
    ``'none'`` gives the local samples' losses, ``'mean'``/``'sum'`` the value over
    the global batch on every rank (DDP then gives the single-process gradient).

    Args:
        temperature: :math:`\tau > 0`.
        gather: under ``torch.distributed``, over every rank's batch (default; every rank must call the loss)
            or, with ``False``, over this rank's batch alone (e.g. validation on rank 0).
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input and target ``(N, D)``; output ``(N,)`` with ``reduction='none'``, else a scalar.

    Examples:
        >>> loss = NTXentLoss(temperature=0.5)
        >>> views = torch.eye(2)
        >>> loss(views, views)  # -log(e^2 / (e^2 + 2 e^0)), for each of the four views
        tensor(0.2395)

    Reference: Chen, Kornblith, Norouzi, Hinton. A Simple Framework for Contrastive Learning of
    Visual Representations. ICML 2020; van den Oord, Li, Vinyals. Representation Learning with
    Contrastive Predictive Coding. arXiv:1807.03748, 2018.
    """

    temperature: float = param(0.1, "divides the cosine similarities (SimCLR's default 0.1)", gt=0.0, finite=True)
    gather: bool = GATHER
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(input: Tensor, target: Tensor, *, temperature: float, gather: bool, reduction: Reduction) -> Tensor:
        check_embeddings(NAME, "input", input, shape_doc="(N, D): the first view's embedding of each sample")
        check_like(NAME, "target", target, input, "input (row n of both is one sample's two views)")
        n, dim = input.shape
        # Both views of a sample travel in one row, so that one gather serves both.
        local = F.normalize(torch.stack([working(input), working(target)], dim=1), dim=2)  # (n, 2, D)
        batch = global_batch(local.flatten(1), gather=gather, owner=NAME)
        total = batch.embeddings.shape[0]
        everyone = batch.embeddings.view(total, 2, dim).transpose(0, 1).reshape(2 * total, dim)  # views 1, views 2
        anchors = local.transpose(0, 1).reshape(2 * n, dim)
        with no_autocast(anchors):  # in float32, as torch's losses under autocast
            logits = anchors @ everyone.T / temperature  # (2n, 2 * total)
        rows = torch.arange(2 * n, device=input.device)
        own = batch.offset + rows % n + total * (rows >= n)  # the anchor's own column
        partner = batch.offset + rows % n + total * (rows < n)  # the other view of the same sample
        columns = torch.arange(2 * total, device=input.device)
        logits = logits.masked_fill(own[:, None] == columns, float("-inf"))
        per_view = logits.logsumexp(dim=1) - logits.gather(1, partner[:, None]).squeeze(1)
        loss = per_view.view(2, n).mean(dim=0)
        return output(reduce_global(loss, reduction, total, gather=gather, owner=NAME), input)


nt_xent_loss = NTXentLoss.functional

SPEC = LossSpec.of(
    NTXentLoss, family="metric", source="Chen et al. 2020, A Simple Framework for Contrastive Learning of Visual "
    "Representations, ICML; van den Oord et al. 2018, arXiv:1807.03748 (InfoNCE)",
    contract=InputContract(
        "embeddings", "same_shape", "(N, D) first views", "(N, D) second views", "(N,) with reduction='none', else ()"
    ),
    example=two_views, reference=nt_xent_reference, aliases=("info_nce", "simclr", "ntxent"),
    tags={"batch_coupled", "compile"},
)
