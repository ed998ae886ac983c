"""Supervised contrastive loss, L^sup_out (Khosla et al., NeurIPS 2020, eq. 2)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from losskit import InputContract, Loss, LossSpec, Param, reduction_param
from losskit.reduction import Reduction

from ._examples import labelled_views
from ._gather import gather, reduce_global
from ._inputs import check_embeddings, check_labels, validated, working
from .reference import supcon_reference

NAME = "supcon"
PARAMS = (
    Param("temperature", 0.07, "divides the cosine similarities (the paper's 0.07)", gt=0.0),
    Param("base_temperature", 0.07, "the loss is scaled by temperature / base_temperature (official code)", gt=0.0),
    reduction_param(),
)


def supcon_loss(
    input: Tensor,
    target: Tensor,
    *,
    temperature: float = 0.07,
    base_temperature: float = 0.07,
    reduction: Reduction = "mean",
) -> Tensor:
    """Functional form of :class:`SupConLoss`: ``input`` ``(N, D)`` or ``(N, V, D)`` views, ``target`` labels."""
    v = validated(
        NAME, PARAMS, {"temperature": temperature, "base_temperature": base_temperature, "reduction": reduction}
    )
    check_embeddings(NAME, "input", input, dims=(2, 3), shape_doc="(N, D), or (N, V, D) for V views per sample")
    check_labels(NAME, target, input.shape[0])
    views = input if input.dim() == 3 else input.unsqueeze(1)
    n, count, dim = views.shape
    local = F.normalize(working(views), dim=2)
    batch = gather(local.flatten(1), target)
    total = batch.embeddings.shape[0]
    contrast = batch.embeddings.reshape(total * count, dim)  # sample-major: row s * V + v
    contrast_labels = batch.labels.repeat_interleave(count)
    anchors = local.reshape(n * count, dim)
    logits = anchors @ contrast.T / v["temperature"]
    own = batch.offset * count + torch.arange(n * count, device=input.device)
    is_own = own[:, None] == torch.arange(total * count, device=input.device)
    # finfo.min rather than -inf: an anchor alone in the batch then gets a finite (zero) gradient.
    log_prob = logits - logits.masked_fill(is_own, torch.finfo(logits.dtype).min).logsumexp(dim=1, keepdim=True)
    positive = (target.repeat_interleave(count)[:, None] == contrast_labels) & ~is_own
    mean_log_prob = torch.where(positive, log_prob, 0).sum(dim=1) / positive.sum(dim=1).clamp_min(1)
    per_anchor = -(v["temperature"] / v["base_temperature"]) * mean_log_prob
    loss = per_anchor.view(n, count).mean(dim=1)
    return reduce_global(loss, v["reduction"], total).to(input.dtype)


class SupConLoss(Loss):
    r"""Each view is pulled towards every other view of its class, against all views in the batch.

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
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input ``(N, D)`` (one view) or ``(N, V, D)``; target ``(N,)`` integer labels;
        output ``(N,)`` with ``reduction='none'``, else a scalar.

    Examples:
        >>> loss = SupConLoss(temperature=0.1)
        >>> value = loss(torch.randn(8, 2, 128), torch.randint(0, 3, (8,)))

    Reference: Khosla, Teterwak, Wang, Sarna, Tian, Isola, Maschinot, Liu, Krishnan.
    Supervised Contrastive Learning. NeurIPS 2020.
    """

    loss_name = NAME
    params = PARAMS

    def __init__(
        self, *, temperature: float = 0.07, base_temperature: float = 0.07, reduction: Reduction = "mean"
    ) -> None:
        super().__init__(temperature=temperature, base_temperature=base_temperature, reduction=reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return supcon_loss(
            input,
            target,
            temperature=self.temperature,
            base_temperature=self.base_temperature,
            reduction=self.reduction,
        )


SPEC = LossSpec(
    name=NAME,
    aliases=("supervised_contrastive",),
    factory=SupConLoss,
    summary="supervised contrastive loss: every same-label view is a positive (L^sup_out)",
    family="metric",
    source="Khosla et al. 2020, Supervised Contrastive Learning, NeurIPS (eq. 2)",
    contract=InputContract(
        input="embeddings",
        target="labels",
        input_shape="(N, D) or (N, V, D)",
        target_shape="(N,)",
        output_shape="(N,) with reduction='none', else ()",
    ),
    example=labelled_views,
    reference=supcon_reference,
    functional=supcon_loss,
    tags=frozenset({"batch_coupled"}),
)
