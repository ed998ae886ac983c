"""Connectionist temporal classification loss (Graves et al., ICML 2006; torch.nn.CTCLoss)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from losskit import InputContract, Loss, LossSpec, param, reduction_param
from losskit.errors import LossInputError
from losskit.inputs import check_floating, check_ndim, check_tensor
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce

from .._examples import ctc_alignments
from .reference import ctc_reference


def _as_lengths(what: str, lengths: Tensor | Sequence[int], device: torch.device) -> Tensor:
    """Lengths given as a tensor, or as torch also takes them, a list or tuple of ints."""
    if isinstance(lengths, Tensor):
        return lengths
    if isinstance(lengths, (list, tuple)) and all(isinstance(n, int) and not isinstance(n, bool) for n in lengths):
        return torch.tensor(lengths, dtype=torch.long, device=device)
    raise LossInputError(
        f"ctc: {what} must be an integer tensor or a list or tuple of ints, one length per sample, "
        f"got {type(lengths).__name__}."
    )


def _check_lengths(what: str, lengths: Tensor, batch: int, high: int) -> None:
    check_tensor("ctc", what, lengths)
    if lengths.is_floating_point() or lengths.dtype == torch.bool or tuple(lengths.shape) != (batch,):
        raise LossInputError(
            f"ctc: {what} must be an integer tensor of shape ({batch},), one length per sample, "
            f"got {lengths.dtype} of shape {tuple(lengths.shape)}."
        )
    if batch and not bool(((lengths >= 0) & (lengths <= high)).all()):
        raise LossInputError(f"ctc: {what} must lie in [0, {high}], got {lengths.tolist()}.")


def _check(input: Tensor, target: Tensor, input_lengths: Tensor, target_lengths: Tensor, blank: int) -> Tensor:
    """Checks every argument; returns the target as int64 (any integer dtype is accepted)."""
    check_floating("ctc", "input", input)
    check_ndim("ctc", "input", input, (3,), "(T, N, C) log-probabilities (time first, as torch.nn.CTCLoss)")
    check_tensor("ctc", "target", target)
    steps, batch, classes = input.shape
    if target.is_floating_point() or target.dtype == torch.bool or target.is_complex():
        raise LossInputError(
            f"ctc: target must hold integer class indices (any integer dtype, e.g. torch.long), got {target.dtype}."
        )
    target = target.long()
    if blank >= classes:
        raise LossInputError(f"ctc: blank={blank} is not a class of the input, which has {classes} classes.")
    _check_lengths("input_lengths", input_lengths, batch, steps)
    if target.dim() == 2 and target.shape[0] == batch:
        _check_lengths("target_lengths", target_lengths, batch, target.shape[1])
        used = torch.arange(target.shape[1], device=target.device) < target_lengths[:, None]
        labels = target[used]
    elif target.dim() == 1:
        _check_lengths("target_lengths", target_lengths, batch, target.numel())
        if int(target_lengths.sum()) != target.numel():
            raise LossInputError(
                f"ctc: a 1-D target holds the targets end to end, so its length {target.numel()} must equal "
                f"target_lengths.sum() = {int(target_lengths.sum())}."
            )
        labels = target
    else:
        raise LossInputError(
            f"ctc: target must have shape ({batch}, S) or (sum(target_lengths),), got {tuple(target.shape)}."
        )
    bad = (labels < 0) | (labels >= classes) | (labels == blank)
    if labels.numel() and bool(bad.any()):
        raise LossInputError(
            f"ctc: target labels must be classes in [0, {classes}) other than blank={blank}, "
            f"got {labels[bad][0].item()}."
        )
    return target


class CTCLoss(
    Loss,
    name="ctc",
    inputs={"log_probs": "input", "targets": "target", "input_lengths": "input_lengths", "target_lengths": "target_lengths"},
    positional=("blank", "reduction", "zero_infinity"),
):
    r"""Connectionist temporal classification: the negative log-probability of a label sequence summed
    over all its alignments, for sequence labels without frame-level alignment.

    .. math::
        \ell_n = -\log \sum_{\pi \in \mathcal{B}^{-1}(y_n)} \prod_{t=1}^{T_n} p_{t, n, \pi_t}

    where :math:`\mathcal{B}` removes repeated labels then blanks and :math:`p_t = \operatorname{softmax}(x_t)`:
    the input is normalised with ``log_softmax`` over the classes, a no-op on log-probabilities (so values
    and gradients there are torch's), which also accepts logits and makes the gradient exact for any input
    (torch's CTC backward is exact only on normalised input). ``'mean'`` divides each
    :math:`\ell_n` by its target length (at least 1), then averages over the batch, as torch.
    ``zero_infinity`` replaces the infinite loss of an impossible alignment (and its gradient) by 0.

    Args:
        blank: index of the blank class.
        zero_infinity: zero infinite losses and their gradients.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input ``(T, N, C)`` log-probabilities (time first); target ``(N, S)`` padded or
        ``(sum(target_lengths),)`` concatenated; output ``(N)`` with ``reduction='none'``, else a scalar.

    Context:
        ``input_lengths`` and ``target_lengths`` (required): ``(N,)`` integer tensors, or lists or tuples of
        ints. torch's ``loss(log_probs, targets, input_lengths, target_lengths)`` works as well, by position.

    Examples:
        >>> loss = CTCLoss(reduction="sum")
        >>> log_probs = torch.tensor([[[0.5, 0.3, 0.2]], [[0.2, 0.6, 0.2]], [[0.6, 0.2, 0.2]]]).log()
        >>> loss(log_probs, torch.tensor([[1]]), input_lengths=torch.tensor([3]), target_lengths=torch.tensor([1]))
        tensor(0.8210)

    Reference: Graves, Fernández, Gomez, Schmidhuber. Connectionist temporal classification: labelling
    unsegmented sequence data with recurrent neural networks. ICML 2006. Matches ``torch.nn.CTCLoss``.
    """

    blank: int = param(0, "index of the blank class", ge=0)
    zero_infinity: bool = param(False, "replace infinite losses (impossible alignments) and their gradients by 0")
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(
        input: Tensor,
        target: Tensor,
        *,
        blank: int,
        zero_infinity: bool,
        reduction: Reduction,
        input_lengths: Tensor | Sequence[int],
        target_lengths: Tensor | Sequence[int],
    ) -> Tensor:
        input_lengths = _as_lengths("input_lengths", input_lengths, input.device)
        target_lengths = _as_lengths("target_lengths", target_lengths, input.device)
        target = _check(input, target, input_lengths, target_lengths, blank)
        # torch's CTC kernels take float32/float64 only; half precision is computed in float32.
        # torch's CTC backward returns the gradient of the loss of log_softmax(input), which is the true
        # gradient only for normalised input. Normalising here (a no-op on log-probabilities) makes the
        # loss that function, so its gradient is exact for any input, logits included.
        work = working(input).log_softmax(dim=2)
        if work.shape[1] == 0:  # torch refuses an empty batch
            loss = work.sum(dim=(0, 2))
        else:
            loss = F.ctc_loss(
                work, target, input_lengths, target_lengths, blank=blank, reduction="none", zero_infinity=zero_infinity
            )
        if reduction == "mean":  # each loss over its target length, then the mean over the batch
            loss = loss / target_lengths.to(loss.dtype).clamp_min(1)
        return output(reduce(loss, reduction, owner="ctc"), input)


ctc_loss = CTCLoss.functional

SPEC = LossSpec.of(
    CTCLoss,
    family="classification",
    source="Graves et al. 2006, Connectionist temporal classification, ICML; torch.nn.CTCLoss",
    contract=InputContract(
        "log_probabilities",
        "class_indices",
        input_shape="(T, N, C)",
        target_shape="(N, S) padded or (sum(target_lengths),)",
        output_shape="(N,) with reduction='none', else ()",
    ),
    example=ctc_alignments,
    reference=ctc_reference,
    aliases=("ctc_loss", "connectionist_temporal_classification"),
    tags={"compile"},
    mean_denominator="custom",
)
