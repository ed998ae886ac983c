"""Triplet margin loss (Schroff et al., FaceNet, CVPR 2015; distance swap: Balntas et al., BMVC 2016)."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from losskit import Loss, LossSpec, param, reduction_param
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce

from ._examples import triplets
from ._inputs import TRIPLETS, check_embeddings, check_like
from .reference import triplet_reference

NAME = "triplet"
#: The parameters triplet and triplet_with_distance share.
MARGIN = param(1.0, "how much farther the negative must be than the positive (> 0, torch's requirement)", gt=0.0, finite=True)
SWAP = param(False, "use min(d(a, n), d(p, n)) as the negative distance (Balntas et al. 2016)")


class _EuclideanTriplet(torch.autograd.Function):
    """The per-row loss for ``p=2`` without swap, with a hand-written backward.

    autograd through ``F.triplet_margin_loss`` records about ten nodes and walks the differences again in
    most of them; this computes the differences once (``anchor + eps`` shared), keeps them and two ``(N,)``
    factors (a little less than torch keeps), and writes the three gradients in four passes. The inputs are
    kept too (references, no copy) for a backward that builds a graph (a double backward), which
    differentiates torch's formula recomputed from them, so second derivatives are torch's.
    """

    @staticmethod
    def forward(ctx: Any, anchor: Tensor, positive: Tensor, negative: Tensor, margin: float, eps: float) -> Tensor:
        shifted = anchor + eps  # torch's pairwise_distance: ||x - y + eps||
        to_positive, to_negative = shifted - positive, shifted.sub_(negative)
        d_positive = torch.linalg.vector_norm(to_positive, dim=-1)
        d_negative = torch.linalg.vector_norm(to_negative, dim=-1)
        loss = (d_positive - d_negative).add_(margin).clamp_min_(0.0)
        active = (loss > 0).to(loss.dtype)
        # d||v||/dv = v / ||v||, 0 at v = 0 as torch's norm backward; the hinge's derivative is `active`.
        ctx.margin, ctx.eps = margin, eps
        ctx.save_for_backward(
            anchor, positive, negative, to_positive, to_negative,
            active / d_positive.masked_fill(d_positive == 0, 1.0),
            active / d_negative.masked_fill(d_negative == 0, 1.0),
        )
        return loss

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor | None, ...]:
        anchor, positive, negative, to_positive, to_negative, k_positive, k_negative = ctx.saved_tensors
        want = ctx.needs_input_grad[:3]
        if torch.is_grad_enabled():  # create_graph=True: differentiate the formula itself
            with torch.enable_grad():
                inputs = (anchor, positive, negative)
                loss = F.triplet_margin_loss(*inputs, margin=ctx.margin, eps=ctx.eps, reduction="none")
                wanted = [t for t, w in zip(inputs, want) if w]
                grads = iter(torch.autograd.grad(loss, wanted, grad, create_graph=True))
            return (*(next(grads) if w else None for w in want), None, None)
        g_positive = to_positive * (grad * k_positive).unsqueeze(-1)  # d loss / d (a - p)
        g_negative = to_negative * (grad * k_negative).unsqueeze(-1)  # -d loss / d (a - n)
        grad_a = g_positive - g_negative if want[0] else None
        return grad_a, g_positive.neg_() if want[1] else None, g_negative if want[2] else None, None, None


def _triplet(x: Tensor, positive: Tensor, negative: Tensor, margin: float, p: float, eps: float, swap: bool) -> Tensor:
    """The per-row triplet loss: :class:`_EuclideanTriplet` where it applies, torch's otherwise."""
    if p == 2 and not swap and x.dim() == 2 and not torch.compiler.is_compiling() and not _functorch_active():
        return _EuclideanTriplet.apply(x, positive, negative, margin, eps)
    return F.triplet_margin_loss(x, positive, negative, margin=margin, p=p, eps=eps, swap=swap, reduction="none")


def _functorch_active() -> bool:
    """Inside ``torch.func`` transforms (vmap, grad, jacrev), which need a ``setup_context`` Function."""
    return torch._C._functorch.peek_interpreter_stack() is not None


def check_triplet(owner: str, input: Tensor, target: Tensor, negative: Tensor) -> None:
    """Anchors, positives and negatives: floating ``(N, D)`` (or one ``(D,)`` sample) tensors of one shape."""
    check_embeddings(owner, "input", input, dims=(1, 2), shape_doc="(N, D): one anchor embedding per row, or (D,)")
    check_like(owner, "target", target, input, "input (the anchors)")
    check_like(owner, "negative", negative, input, "input (the anchors)")


class TripletLoss(
    Loss, name=NAME, inputs=("anchor", "positive", "negative"), positional=("margin", "p", "eps", "swap")
):
    r"""Triplet margin loss: max(0, d(anchor, positive) - d(anchor, negative) + margin) with d a p-norm distance.

    .. math::
        \ell_n = \max\big(0,\; d(a_n, p_n) - d(a_n, n_n) + \text{margin}\big),
        \qquad d(x, y) = \lVert x - y + \varepsilon \rVert_p

    The anchor must be closer to the positive than to the negative by the margin.
    With ``swap``, :math:`d(a_n, n_n)` is replaced by :math:`\min(d(a_n, n_n), d(p_n, n_n))`.
    The :math:`\varepsilon` inside the norm is torch's ``pairwise_distance`` convention.

    Called as torch's: ``loss(anchor, positive, negative)``; in losskit's protocol (composites, the
    conformance kit) ``input`` is the anchors, ``target`` the positives and the context ``negative=``
    the negatives, so ``loss(anchor, positive, negative=negative)`` is the same call.

    Args:
        margin: :math:`> 0` (torch's requirement).
        p: norm degree, :math:`> 0`.
        eps: :math:`\ge 0`, added to the difference before the norm.
        swap: the distance swap of Balntas et al.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input, target and ``negative`` ``(N, D)``, or ``(D,)`` for one sample as torch;
        output ``(N,)`` with ``reduction='none'``, else a scalar.

    Examples:
        >>> loss = TripletLoss(margin=1.0, eps=0.0)
        >>> anchor = torch.zeros(1, 2)
        >>> loss(anchor, torch.tensor([[3.0, 4.0]]), torch.tensor([[0.0, 2.0]]))  # 5 - 2 + 1
        tensor(4.)

    Reference: Schroff, Kalenichenko, Philbin. FaceNet: A Unified Embedding for Face
    Recognition and Clustering. CVPR 2015; Balntas, Riba, Ponsa, Mikolajczyk. Learning local
    feature descriptors with triplets and shallow convolutional neural networks. BMVC 2016.
    Matches ``torch.nn.TripletMarginLoss``.
    """

    margin: float = MARGIN
    p: float = param(2.0, "the norm degree of the pairwise distance", gt=0.0)
    eps: float = param(
        1e-6, "added to the difference before the norm, as torch.nn.functional.pairwise_distance", ge=0.0, finite=True
    )
    swap: bool = SWAP
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(
        input: Tensor, target: Tensor, *, margin: float, p: float, eps: float, swap: bool, reduction: Reduction,
        negative: Tensor,
    ) -> Tensor:
        check_triplet(NAME, input, target, negative)
        x = working(input)  # every tensor in the working precision: a float64 positive does not promote the loss
        loss = _triplet(x, target.to(x.dtype), negative.to(x.dtype), margin, p, eps, swap)
        return reduce(output(loss, input), reduction, owner=NAME)


triplet_loss = TripletLoss.functional

SPEC = LossSpec.of(
    TripletLoss, family="metric", source="Schroff et al. 2015, FaceNet, CVPR; Balntas et al. 2016, BMVC (swap); "
    "torch.nn.TripletMarginLoss", contract=TRIPLETS, example=triplets, reference=triplet_reference,
    aliases=("triplet_margin",), tags={"compile"},
)
