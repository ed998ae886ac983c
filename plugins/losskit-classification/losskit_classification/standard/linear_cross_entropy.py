"""Cross-entropy of a linear classifier's logits, without materialising the (N, V) logits.

For large vocabularies the logits of ``hidden @ weight.T`` dominate memory (Wijmans et al., Cut Your
Losses in Large-Vocabulary Language Models, ICLR 2025). Here they are computed a chunk of rows at a
time: the forward keeps only the per-row logsumexp, the backward recomputes each chunk's logits.
Peak extra memory is ``chunk_size * V`` instead of ``N * V``.
"""

from __future__ import annotations

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


def _chunk_logits(hidden: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    logits = hidden @ weight.T
    return logits if bias is None else logits + bias


class _ChunkedLinearCrossEntropy(torch.autograd.Function):
    """Per-row cross-entropy of ``hidden @ weight.T + bias``; rows with ``kept == False`` give 0."""

    @staticmethod
    def forward(
        ctx: Any,
        hidden: Tensor,
        weight: Tensor,
        bias: Tensor | None,
        index: Tensor,
        kept: Tensor,
        smoothing: float,
        chunk_size: int,
    ) -> Tensor:
        # half precision: logits are accumulated in float32, as torch's cross_entropy does
        work = torch.float32 if hidden.dtype in (torch.float16, torch.bfloat16) else hidden.dtype
        log_norm = hidden.new_empty(hidden.shape[0], dtype=work)
        loss = hidden.new_empty(hidden.shape[0], dtype=work)
        for start in range(0, hidden.shape[0], chunk_size):
            rows = slice(start, start + chunk_size)
            logits = _chunk_logits(hidden[rows], weight, bias).to(work)
            log_norm[rows] = logits.logsumexp(dim=1)
            target_logit = logits.gather(1, index[rows, None]).squeeze(1)
            # (1 - eps) * (lse - z_y) + eps * (lse - mean_c z_c): the smoothed cross-entropy
            loss[rows] = log_norm[rows] - (1 - smoothing) * target_logit - smoothing * logits.mean(dim=1)
        ctx.save_for_backward(hidden, weight, bias, index, kept, log_norm)
        ctx.smoothing, ctx.chunk_size = smoothing, chunk_size
        return torch.where(kept, loss, 0)  # in the working precision; the caller gives the output dtype

    @staticmethod
    def backward(ctx: Any, grad_loss: Tensor) -> tuple[Tensor | None, ...]:
        hidden, weight, bias, index, kept, log_norm = ctx.saved_tensors
        smoothing, num_classes = ctx.smoothing, weight.shape[0]
        grad_hidden = torch.zeros_like(hidden) if ctx.needs_input_grad[0] else None
        grad_weight = torch.zeros_like(weight) if ctx.needs_input_grad[1] else None
        grad_bias = torch.zeros_like(bias) if bias is not None and ctx.needs_input_grad[2] else None
        scale = torch.where(kept, grad_loss, 0)
        for start in range(0, hidden.shape[0], ctx.chunk_size):
            rows = slice(start, start + ctx.chunk_size)
            # d loss / d logits = softmax - (1 - eps) * one_hot(y) - eps / V
            logits = _chunk_logits(hidden[rows], weight, bias).to(log_norm.dtype)
            grad_logits = (logits - log_norm[rows, None]).exp_()
            grad_logits.sub_(smoothing / num_classes)
            grad_logits.scatter_add_(
                1, index[rows, None], grad_logits.new_full((grad_logits.shape[0], 1), smoothing - 1)
            )
            grad_logits = grad_logits.mul_(scale[rows, None]).to(hidden.dtype)
            if grad_hidden is not None:
                grad_hidden[rows] = grad_logits @ weight
            if grad_weight is not None:
                grad_weight.addmm_(grad_logits.T, hidden[rows])
            if grad_bias is not None:
                grad_bias.add_(grad_logits.sum(dim=0))
        return grad_hidden, grad_weight, grad_bias, None, None, None, None


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
    Not twice differentiable (custom backward).

    Args:
        chunk_size: rows of logits computed at once (trades memory for fewer matmuls).
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

    chunk_size: int = param(1024, "rows of logits computed at a time", ge=1)
    ignore_index: int = ignore_index_param()
    label_smoothing: float = LABEL_SMOOTHING
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(
        input: Tensor,
        target: Tensor,
        *,
        chunk_size: int,
        ignore_index: int,
        label_smoothing: float,
        reduction: Reduction,
        classifier_weight: Tensor,
        classifier_bias: Tensor | None = None,
    ) -> Tensor:
        target = _check(input, target, classifier_weight, classifier_bias, ignore_index)
        kept = target != ignore_index
        index = torch.where(kept, target, 0)
        with no_autocast(input):  # autocast would compute the logits of float32 hidden states in bfloat16
            loss = _ChunkedLinearCrossEntropy.apply(
                input, classifier_weight, classifier_bias, index, kept, label_smoothing, chunk_size
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
    tags={"ignore_index"},
    mean_denominator="non_ignored",
)
