"""Supervised contrastive loss, L^sup_out (Khosla et al., NeurIPS 2020, eq. 2)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from losskit import Loss, LossSpec, param, reduction_param
from losskit.contract import EMBEDDINGS_AND_LABELS
from losskit.distributed import GATHER
from losskit.precision import no_autocast, output, working
from losskit.reduction import Reduction

from ._examples import labelled_views
from ._gather import global_batch, reduce_global
from ._inputs import check_embeddings, check_labels
from .reference import supcon_reference

NAME = "supcon"


class SupConLoss(Loss, name=NAME):
    r"""Supervised contrastive loss (L^sup_out): each view is pulled towards every other view of its label.

    With :math:`z` the L2-normalised embeddings of all :math:`NV` views,
    :math:`A(i)` every view but :math:`i` and :math:`P(i) \subset A(i)` those of
    :math:`i`'s label (Khosla et al., eq. 2, :math:`\mathcal{L}^{sup}_{out}`):

    .. math::
        \ell_i = -\frac{\tau}{\tau_b} \frac{1}{|P(i)|} \sum_{p \in P(i)}
            \log \frac{\exp(z_i^\top z_p / \tau)}{\sum_{a \in A(i)} \exp(z_i^\top z_a / \tau)}

    and sample :math:`n`'s loss is the mean of :math:`\ell_i` over its :math:`V`
    views, so ``'mean'`` is the mean over all anchors as in the official code. The
    factor :math:`\tau / \tau_b` (``base_temperature``) is the official code's; it
    is 1 by default. An anchor with no positive in the batch gets :math:`\ell_i = 0`
    (the official code's convention; the paper leaves it undefined).

    Under ``torch.distributed`` the views and labels of every rank are gathered
    (the views with gradient) and the local anchors are scored against the global
    batch; ``'none'`` gives the local samples' losses, ``'mean'``/``'sum'`` the value
    over the global batch on every rank (DDP then gives the single-process gradient).

    Args:
        temperature: :math:`\tau > 0`.
        base_temperature: :math:`\tau_b > 0`.
        gather: under ``torch.distributed``, over every rank's batch (default; every rank must call the loss)
            or, with ``False``, over this rank's batch alone (e.g. validation on rank 0).
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input ``(N, D)`` (one view) or ``(N, V, D)``; target ``(N,)`` integer labels;
        output ``(N,)`` with ``reduction='none'``, else a scalar.

    Examples:
        >>> loss = SupConLoss(temperature=1.0, base_temperature=1.0, reduction="none")
        >>> embeddings = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
        >>> loss(embeddings, torch.tensor([0, 0, 1]))  # the third has no positive
        tensor([0.3133, 0.3133, 0.0000])

    Reference: Khosla, Teterwak, Wang, Sarna, Tian, Isola, Maschinot, Liu, Krishnan.
    Supervised Contrastive Learning. NeurIPS 2020.
    """

    temperature: float = param(0.07, "divides the cosine similarities (the paper's 0.07)", gt=0.0, finite=True)
    base_temperature: float = param(
        0.07, "the loss is scaled by temperature / base_temperature (official code)", gt=0.0, finite=True
    )
    gather: bool = GATHER
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(
        input: Tensor, target: Tensor, *, temperature: float, base_temperature: float, gather: bool,
        reduction: Reduction,
    ) -> Tensor:
        check_embeddings(NAME, "input", input, dims=(2, 3), shape_doc="(N, D), or (N, V, D) for V views per sample")
        check_labels(NAME, target, input.shape[0])
        views = input if input.dim() == 3 else input.unsqueeze(1)
        n, count, dim = views.shape
        local = F.normalize(working(views), dim=2)
        batch = global_batch(local.flatten(1), target, gather=gather, owner=NAME)
        total = batch.embeddings.shape[0]
        contrast = batch.embeddings.reshape(total * count, dim)  # sample-major: row s * V + v
        contrast_labels = batch.labels.repeat_interleave(count)
        anchors = local.reshape(n * count, dim)
        with no_autocast(anchors):  # in float32, as torch's losses under autocast
            logits = anchors @ contrast.T / temperature
        own = batch.offset * count + torch.arange(n * count, device=input.device)
        is_own = own[:, None] == torch.arange(total * count, device=input.device)
        # finfo.min rather than -inf: an anchor alone in the batch then gets a finite (zero) gradient.
        log_prob = logits - logits.masked_fill(is_own, torch.finfo(logits.dtype).min).logsumexp(dim=1, keepdim=True)
        positive = (target.repeat_interleave(count)[:, None] == contrast_labels) & ~is_own
        mean_log_prob = torch.where(positive, log_prob, 0).sum(dim=1) / positive.sum(dim=1).clamp_min(1)
        per_anchor = -(temperature / base_temperature) * mean_log_prob
        loss = per_anchor.view(n, count).mean(dim=1)
        return output(reduce_global(loss, reduction, total, gather=gather, owner=NAME), input)


supcon_loss = SupConLoss.functional

SPEC = LossSpec.of(
    SupConLoss, family="metric", source="Khosla et al. 2020, Supervised Contrastive Learning, NeurIPS (eq. 2)",
    contract=EMBEDDINGS_AND_LABELS.with_shapes(input="(N, D) or (N, V, D)"), example=labelled_views,
    reference=supcon_reference, aliases=("supervised_contrastive",), tags={"batch_coupled", "compile"},
)
