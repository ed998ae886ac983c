"""Cross-entropy of a linear classifier's logits, without materialising the (N, V) logits.

For large vocabularies the logits of ``hidden @ weight.T`` dominate memory (Wijmans et al., Cut Your
Losses in Large-Vocabulary Language Models, ICLR 2025). Here they are computed a chunk of rows at a
time and never kept. With ``reduction='mean'`` or ``'sum'`` the gradients w.r.t. the hidden states, the
weight and the bias are formed chunk by chunk in the forward pass, and the backward only scales them by
the (scalar) incoming gradient: three matrix products per chunk, none repeated, and nothing of size
``N * V`` kept for backward. With ``reduction='none'`` the incoming gradient differs per row, so the
forward keeps only the per-row logsumexp and the backward recomputes each chunk's logits.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import torch
from torch import Tensor

from losskit import Loss, LossSpec, ignore_index_param, param, reduction_param
from losskit.contract import EMBEDDINGS_AND_CLASSES
from losskit.errors import LossInputError
from losskit.inputs import check_class_indices, check_floating, check_ndim, check_tensor
from losskit.precision import no_autocast, output
from losskit.reduction import Reduction, reduce

from .._examples import hidden_states
from .cross_entropy import LABEL_SMOOTHING
from .reference import linear_cross_entropy_reference


def _work_dtype(x: Tensor) -> torch.dtype:
    # half precision: logits are accumulated in float32, as torch's cross_entropy does
    return torch.float32 if x.dtype in (torch.float16, torch.bfloat16) else x.dtype


def _rows_per_chunk(chunk_size: int | None, rows: int, hidden: int, classes: int) -> int:
    """``chunk_size``, or by default ``max(N * H / (2 V), min(256, H / 8))`` rows, evened out over the chunks.

    The first term is torch's rule for its chunked ``linear_cross_entropy`` (a chunk of logits at most half the
    hidden states' size). It alone gives a few rows when ``H`` is small (8 at ``H = 256, V = 32000``), and each
    chunk's three products then read the whole ``(V, H)`` weight (and its gradient) for a thin slab of rows:
    bound by memory traffic, not arithmetic. So up to 256 rows are taken as long as their logits hold at most
    an eighth as many values as ``classifier_weight`` (``H / 8`` rows): the memory on top of the gradients
    (``N * H + V * H`` values, which exist anyway) stays small.
    """
    if chunk_size is None:
        chunk_size = max(1, rows * hidden // (2 * max(classes, 1)), min(256, hidden // 8))
        chunk_size = math.ceil(rows / math.ceil(rows / chunk_size)) if rows else 1
    return max(1, min(chunk_size, rows))


def _chunks(hidden: Tensor, weight: Tensor, bias: Tensor | None, index: Tensor, row_scale: Tensor | None,
            smoothing: float, chunk: int) -> Iterator[tuple[slice, Tensor | None, Tensor]]:
    """Each chunk of rows, ``row_scale * d loss / d logits`` (``None`` without ``row_scale``) and the per-row
    losses, in the working precision. The logits' buffer is reused from chunk to chunk: use it before the next.

    With ``m = max_c z_c`` and ``S = sum_c exp(z_c - m)`` (the logits are exponentiated in place, once):
    ``lse = m + log S`` and ``d loss / d logits = exp(z - m) / S - (1 - eps) one_hot(y) - eps / V``, the scale
    folded into the factor ``s / S`` (an ignored row, ``s = 0``, gives exactly 0: ``exp(z - m) <= 1``).
    """
    work, classes = _work_dtype(hidden), weight.shape[0]
    buffer = None
    for start in range(0, hidden.shape[0], chunk):
        rows = slice(start, start + chunk)
        h = hidden[rows]
        if hidden.dtype == work:  # the logits straight into the reused buffer
            if buffer is None:
                buffer = hidden.new_empty(min(chunk, hidden.shape[0]), classes)
            logits = buffer[: h.shape[0]]
            if bias is None:
                torch.mm(h, weight.T, out=logits)
            else:
                torch.addmm(bias, h, weight.T, out=logits)
        else:
            logits = (h @ weight.T if bias is None else torch.addmm(bias, h, weight.T)).to(work)
        target = index[rows, None]
        top = logits.amax(dim=1, keepdim=True)
        # (1 - eps) * (lse - z_y) + eps * (lse - mean_c z_c): the smoothed cross-entropy, each term shifted by m
        shifted = (1 - smoothing) * logits.gather(1, target)
        if smoothing:
            shifted = shifted + smoothing * logits.mean(dim=1, keepdim=True)
        sum_exp = logits.sub_(top).exp_().sum(dim=1)
        loss = sum_exp.log() - (shifted - top).squeeze(1)
        if row_scale is None:
            yield rows, None, loss
            continue
        scale = row_scale[rows]
        grad = logits.mul_((scale / sum_exp)[:, None])
        if smoothing:
            grad.sub_((smoothing / classes) * scale[:, None])
        grad.scatter_add_(1, target, ((smoothing - 1) * scale)[:, None])
        yield rows, grad, loss


def _losses_and_gradients(
    hidden: Tensor, weight: Tensor, bias: Tensor | None, index: Tensor, row_scale: Tensor, smoothing: float,
    chunk: int, needs: tuple[bool, bool, bool],
) -> tuple[Tensor, Tensor | None, Tensor | None, Tensor | None]:
    """``sum_n row_scale_n * loss_n`` and its gradients w.r.t. ``hidden``, ``weight`` and ``bias`` (those in
    ``needs``), chunk by chunk."""
    total = hidden.new_zeros((), dtype=_work_dtype(hidden))
    grad_hidden = torch.empty_like(hidden) if needs[0] else None
    grad_weight = torch.zeros_like(weight) if needs[1] and hidden.shape[0] == 0 else None
    grad_bias = torch.zeros_like(bias) if bias is not None and needs[2] else None
    for rows, grad_logits, loss in _chunks(hidden, weight, bias, index, row_scale, smoothing, chunk):
        scale = row_scale[rows]
        total += torch.where(scale != 0, loss, 0) @ scale  # an ignored row adds 0, even a non-finite one
        grad_logits = grad_logits.to(hidden.dtype)
        if grad_hidden is not None:
            torch.mm(grad_logits, weight, out=grad_hidden[rows])
        if needs[1]:
            if grad_weight is None:  # the first chunk writes, the others add: no pass to zero it
                grad_weight = torch.mm(grad_logits.T, hidden[rows])
            else:
                grad_weight.addmm_(grad_logits.T, hidden[rows])
        if grad_bias is not None:
            grad_bias.add_(grad_logits.sum(dim=0))
    return total, grad_hidden, grad_weight, grad_bias


_TWICE = (
    "linear_cross_entropy is not twice differentiable: its backward hands back gradients computed in the "
    "forward pass (or recomputed chunk by chunk), with no graph of their own. For double backward (create_graph=True, "
    "hessians), compute torch.nn.functional.cross_entropy(input @ classifier_weight.T + classifier_bias, target)."
)


class _ReducedLinearCrossEntropy(torch.autograd.Function):
    """``sum_n row_scale_n * loss_n`` of ``hidden @ weight.T + bias``, its gradients formed in the forward.

    They are held on ``ctx`` (not as saved tensors: the backward hands them to autograd, scaled in place, so
    that no second copy of ``weight``'s size is made). A second backward through a retained graph recomputes
    them from the saved inputs.
    """

    @staticmethod
    def forward(ctx: Any, hidden: Tensor, weight: Tensor, bias: Tensor | None, index: Tensor, row_scale: Tensor,
                smoothing: float, chunk: int) -> Tensor:
        needs = tuple(ctx.needs_input_grad[:3])
        total, *grads = _losses_and_gradients(hidden, weight, bias, index, row_scale, smoothing, chunk, needs)
        ctx.save_for_backward(hidden, weight, bias, index, row_scale)
        ctx.grads, ctx.smoothing, ctx.chunk, ctx.needs = grads, smoothing, chunk, needs
        return total

    @staticmethod
    def backward(ctx: Any, grad_total: Tensor) -> tuple[Tensor | None, ...]:
        if torch.is_grad_enabled():
            raise RuntimeError(_TWICE)
        grads, ctx.grads = ctx.grads, None
        if grads is None:  # a second backward (retain_graph=True): the first one handed the gradients on
            grads = _losses_and_gradients(*ctx.saved_tensors, ctx.smoothing, ctx.chunk, ctx.needs)[1:]
        if bool(grad_total != 1):
            grads = [g if g is None else g.mul_(grad_total.to(g.dtype)) for g in grads]
        return (*grads, None, None, None, None)


class _ChunkedLinearCrossEntropy(torch.autograd.Function):
    """Per-row cross-entropy of ``hidden @ weight.T + bias``; rows with ``kept == False`` give 0. The backward
    recomputes each chunk's logits (the incoming gradient differs per row)."""

    @staticmethod
    def forward(ctx: Any, hidden: Tensor, weight: Tensor, bias: Tensor | None, index: Tensor, kept: Tensor,
                smoothing: float, chunk: int) -> Tensor:
        loss = hidden.new_empty(hidden.shape[0], dtype=_work_dtype(hidden))
        for rows, _, row_loss in _chunks(hidden, weight, bias, index, None, smoothing, chunk):
            loss[rows] = row_loss
        ctx.save_for_backward(hidden, weight, bias, index, kept)
        ctx.smoothing, ctx.chunk = smoothing, chunk
        return torch.where(kept, loss, 0)  # in the working precision; the caller gives the output dtype

    @staticmethod
    def backward(ctx: Any, grad_loss: Tensor) -> tuple[Tensor | None, ...]:
        if torch.is_grad_enabled():
            raise RuntimeError(_TWICE)
        hidden, weight, bias, index, kept = ctx.saved_tensors
        scale = torch.where(kept, grad_loss, 0)
        grads = _losses_and_gradients(hidden, weight, bias, index, scale, ctx.smoothing, ctx.chunk,
                                      tuple(ctx.needs_input_grad[:3]))[1:]
        return (*grads, None, None, None, None)


def _check(input: Tensor, target: Tensor, weight: Tensor, bias: Tensor | None, ignore_index: int) -> Tensor:
    owner = "linear_cross_entropy"
    check_floating(owner, "input", input)
    check_ndim(owner, "input", input, (2,), "(N, H) hidden states (flatten any sequence dims into N)")
    check_floating(owner, "classifier_weight", weight)
    check_ndim(owner, "classifier_weight", weight, (2,), "(V, H)")
    if weight.shape[1] != input.shape[1] or weight.dtype != input.dtype:
        raise LossInputError(
            f"{owner}: classifier_weight must be (V, {input.shape[1]}) of dtype {input.dtype} to match the "
            f"hidden states, got {tuple(weight.shape)} of dtype {weight.dtype}."
        )
    if bias is not None:
        check_tensor(owner, "classifier_bias", bias)
        if tuple(bias.shape) != (weight.shape[0],) or bias.dtype != input.dtype:
            raise LossInputError(
                f"{owner}: classifier_bias must be ({weight.shape[0]},) of dtype {input.dtype}, "
                f"got {tuple(bias.shape)} of dtype {bias.dtype}."
            )
    check_tensor(owner, "target", target)
    if tuple(target.shape) != (input.shape[0],):
        raise LossInputError(
            f"{owner}: target must hold one class index per row of input, shape ({input.shape[0]},), "
            f"got {tuple(target.shape)}."
        )
    return check_class_indices(owner, target, weight.shape[0], ignore_index=ignore_index)


class LinearCrossEntropyLoss(Loss, name="linear_cross_entropy"):
    r"""Cross-entropy of a linear classifier's logits ``input @ classifier_weight.T + classifier_bias``,
    chunked over rows so that the ``(N, V)`` logits never exist.

    .. math::
        z_n = W h_n + b,\qquad
        \ell_n = (1-\varepsilon)\,(\operatorname{lse}(z_n) - z_{n,y_n})
                 + \varepsilon\,\big(\operatorname{lse}(z_n) - \tfrac{1}{V} \textstyle\sum_v z_{n,v}\big)

    Equal in value and gradients (w.r.t. ``input``, ``classifier_weight`` and ``classifier_bias``) to
    ``cross_entropy(input @ W.T + b, target)``, but only ``chunk_size`` rows of logits exist at a time.
    ``'mean'`` divides by the number of targets that are not ``ignore_index`` (0 when all are ignored).
    With ``'mean'`` and ``'sum'`` the gradients are computed during the forward pass (held until backward:
    ``N * H + V * H (+ V)`` values, the size of the gradients themselves), so a forward without backward
    costs as much as both; ``'none'`` keeps only the inputs and recomputes the logits in backward.
    Not twice differentiable: double backward raises ``RuntimeError``.

    Args:
        chunk_size: rows of logits computed at once (trades memory for fewer, larger matmuls); ``None``
            (default): ``max(N * H / (2 V), min(256, H / 8))`` rows: a chunk of logits holds at most half as
            many values as the hidden states or an eighth as many as the weight, whichever is more.
        ignore_index: target value that is skipped.
        label_smoothing: in ``[0, 1]``.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input ``(N, H)`` hidden states; target ``(N)`` class indices in ``[0, V)``; output ``(N)`` with
        ``reduction='none'``, else a scalar.

    Context:
        ``classifier_weight`` (required): ``(V, H)``, e.g. ``lm_head.weight``; ``classifier_bias``: ``(V,)``.

    Examples:
        >>> loss = LinearCrossEntropyLoss(chunk_size=2)
        >>> hidden, weight = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), torch.eye(2)
        >>> loss(hidden, torch.tensor([0, 0, 1]), classifier_weight=weight, classifier_bias=torch.zeros(2))
        tensor(0.7732)

    Reference: Wijmans, Huval, Hertzberg, Koltun, Krähenbühl. Cut Your Losses in Large-Vocabulary Language
    Models. ICLR 2025. Matches ``torch.nn.functional.linear_cross_entropy``.
    """

    chunk_size: int | None = param(
        None, "rows of logits computed at a time; None: max(N * H / (2 V), min(256, H / 8)), a chunk of logits at most "
        "half the size of the hidden states or an eighth of the weight's, whichever is more",
        ge=1,
    )
    ignore_index: int = ignore_index_param()
    label_smoothing: float = LABEL_SMOOTHING
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(
        input: Tensor,
        target: Tensor,
        *,
        chunk_size: int | None,
        ignore_index: int,
        label_smoothing: float,
        reduction: Reduction,
        classifier_weight: Tensor,
        classifier_bias: Tensor | None = None,
    ) -> Tensor:
        target = _check(input, target, classifier_weight, classifier_bias, ignore_index)
        kept = target != ignore_index
        index = torch.where(kept, target, 0)
        chunk = _rows_per_chunk(chunk_size, *input.shape, classifier_weight.shape[0])
        with no_autocast(input):  # autocast would compute the logits of float32 hidden states in bfloat16
            tracked = torch.is_grad_enabled() and any(
                t is not None and t.requires_grad for t in (input, classifier_weight, classifier_bias)
            )
            if reduction in ("mean", "sum") and tracked:  # else no gradient is wanted: compute none
                row_scale = kept.to(_work_dtype(input))
                if reduction == "mean":  # over the kept rows; 0 (and zero gradients) when every row is ignored
                    row_scale = row_scale / row_scale.sum().clamp_min(1)
                return output(_ReducedLinearCrossEntropy.apply(
                    input, classifier_weight, classifier_bias, index, row_scale, label_smoothing, chunk
                ), input)
            loss = _ChunkedLinearCrossEntropy.apply(
                input, classifier_weight, classifier_bias, index, kept, label_smoothing, chunk
            )
        return reduce(output(loss, input), reduction, denominator=kept.sum(), owner="linear_cross_entropy")


linear_cross_entropy_loss = LinearCrossEntropyLoss.functional

SPEC = LossSpec.of(
    LinearCrossEntropyLoss,
    family="classification",
    source="Wijmans et al. 2025, Cut Your Losses in Large-Vocabulary Language Models, ICLR; "
    "torch.nn.functional.linear_cross_entropy",
    contract=EMBEDDINGS_AND_CLASSES.with_shapes(input="(N, H)"),
    example=hidden_states,
    reference=linear_cross_entropy_reference,
    aliases=("fused_linear_cross_entropy", "chunked_cross_entropy"),
    tags={"ignore_index", "compile"},
    mean_denominator="non_ignored",
)
