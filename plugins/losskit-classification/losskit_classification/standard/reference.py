"""Independent float64 references, written from each loss's definition, for tests and the conformance suite.

They share no code with the implementations and call no torch loss: each is the formula of the cited
source, in float64, per sample (loops where the definition is a sum over sets or alignments), then
reduced. Called as ``reference(example, **params)`` with every parameter, ``reduction`` included.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from losskit import Example
from losskit.testing.reference import f64, reduce_reference


def _log_softmax(x: Tensor) -> Tensor:
    """Over the last dim: x - log(sum(exp(x))), shifted by the max for range."""
    m = x.max(dim=-1, keepdim=True).values
    return x - m - torch.log(torch.exp(x - m).sum(dim=-1, keepdim=True))


def _log_sigmoid(x: Tensor) -> Tensor:
    """log(1 / (1 + exp(-x))) without overflow."""
    return -(torch.clamp(-x, min=0) + torch.log1p(torch.exp(-x.abs())))


def _rows(input: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
    """``(N, C, *)``, ``(N, *)`` -> ``(M, C)``, ``(M,)`` with the class dim last."""
    x = f64(input).movedim(1, -1)
    return x.reshape(-1, x.shape[-1]), target.detach().cpu().reshape(-1)


def _class_weights(class_weights: tuple[float, ...] | None, num_classes: int) -> list[float]:
    return list(class_weights) if class_weights is not None else [1.0] * num_classes


def cross_entropy_reference(
    example: Example, *, class_weights, ignore_index: int, label_smoothing: float, reduction: str
) -> Tensor:
    input, target = example.input, example.target
    eps, num_classes = label_smoothing, input.shape[1]
    w = _class_weights(class_weights, num_classes)
    if target.is_floating_point():  # class probabilities, same shape as input
        x = f64(input).movedim(1, -1).reshape(-1, num_classes)
        q = f64(target).movedim(1, -1).reshape(-1, num_classes) * (1 - eps) + eps / num_classes
        logp = _log_softmax(x)
        losses = [-sum(w[c] * q[n, c] * logp[n, c] for c in range(num_classes)) for n in range(x.shape[0])]
        out = torch.tensor(losses, dtype=torch.float64).reshape(input.shape[0], *input.shape[2:])
        return reduce_reference(out, reduction)
    x, y = _rows(input, target)
    logp = _log_softmax(x)
    losses, kept_weight = [], 0.0
    for n in range(x.shape[0]):
        t = int(y[n])
        if t == ignore_index:
            losses.append(0.0)
            continue
        smooth = sum(w[c] * -logp[n, c] for c in range(num_classes)) / num_classes
        losses.append(float((1 - eps) * w[t] * -logp[n, t] + eps * smooth))
        kept_weight += w[t]
    out = torch.tensor(losses, dtype=torch.float64).reshape(target.shape)
    return reduce_reference(out, reduction, denominator=kept_weight)


def nll_reference(example: Example, *, class_weights, ignore_index: int, reduction: str) -> Tensor:
    x, y = _rows(example.input, example.target)
    w = _class_weights(class_weights, x.shape[1])
    losses, kept_weight = [], 0.0
    for n in range(x.shape[0]):
        t = int(y[n])
        losses.append(0.0 if t == ignore_index else float(-w[t] * x[n, t]))
        kept_weight += 0.0 if t == ignore_index else w[t]
    out = torch.tensor(losses, dtype=torch.float64).reshape(example.target.shape)
    return reduce_reference(out, reduction, denominator=kept_weight)


def bce_reference(example: Example, *, reduction: str) -> Tensor:
    x, y = f64(example.input), f64(example.target)
    # torch clamps each log at -100 so that x = 0 or 1 stays finite
    loss = -(y * torch.log(x).clamp(min=-100) + (1 - y) * torch.log(1 - x).clamp(min=-100))
    return reduce_reference(loss, reduction, weight=example.context.get("weight"))


def bce_with_logits_reference(example: Example, *, pos_weight, reduction: str) -> Tensor:
    x, y = f64(example.input), f64(example.target)
    p = torch.tensor(pos_weight, dtype=torch.float64) if pos_weight is not None else 1.0
    loss = -(p * y * _log_sigmoid(x) + (1 - y) * _log_sigmoid(-x))
    return reduce_reference(loss, reduction, weight=example.context.get("weight"))


def kl_div_reference(example: Example, *, log_target: bool, reduction: str) -> Tensor:
    x, t = f64(example.input), f64(example.target)
    if log_target:
        loss = torch.exp(t) * (t - x)
    else:
        loss = torch.where(t > 0, t * (torch.log(t.clamp(min=1e-300)) - x), 0.0)
    if reduction == "batchmean":  # the sum over the batch size
        return reduce_reference(loss, "mean", denominator=x.shape[0])
    return reduce_reference(loss, reduction)


def multi_margin_reference(example: Example, *, p: int, margin: float, class_weights, reduction: str) -> Tensor:
    x, y = f64(example.input), example.target.cpu()
    num_classes = x.shape[1]
    w = _class_weights(class_weights, num_classes)
    losses = []
    for n in range(x.shape[0]):
        t = int(y[n])
        hinge = [max(0.0, margin - float(x[n, t]) + float(x[n, c])) ** p for c in range(num_classes) if c != t]
        losses.append(w[t] * sum(hinge) / num_classes)
    return reduce_reference(torch.tensor(losses, dtype=torch.float64), reduction)


def multilabel_margin_reference(example: Example, *, reduction: str) -> Tensor:
    x, y = f64(example.input), example.target.cpu()
    num_classes = x.shape[1]
    losses = []
    for n in range(x.shape[0]):
        labels = []
        for v in y[n].tolist():
            if v == -1:
                break
            labels.append(v)
        others = [i for i in range(num_classes) if i not in labels]
        total = sum(max(0.0, 1 - (float(x[n, j]) - float(x[n, i]))) for j in labels for i in others)
        losses.append(total / num_classes)
    return reduce_reference(torch.tensor(losses, dtype=torch.float64), reduction)


def multilabel_soft_margin_reference(example: Example, *, class_weights, reduction: str) -> Tensor:
    x, y = f64(example.input), f64(example.target)
    w = torch.tensor(_class_weights(class_weights, x.shape[1]), dtype=torch.float64)
    per_class = -w * (y * _log_sigmoid(x) + (1 - y) * _log_sigmoid(-x))
    return reduce_reference(per_class.mean(dim=1), reduction)


def soft_margin_reference(example: Example, *, reduction: str) -> Tensor:
    x, y = f64(example.input), f64(example.target)
    return reduce_reference(-_log_sigmoid(y * x), reduction, weight=example.context.get("weight"))


def hinge_reference(example: Example, *, margin: float, reduction: str) -> Tensor:
    x, y = f64(example.input), f64(example.target)
    return reduce_reference(torch.clamp(margin - y * x, min=0), reduction, weight=example.context.get("weight"))


def squared_hinge_reference(example: Example, *, margin: float, reduction: str) -> Tensor:
    x, y = f64(example.input), f64(example.target)
    return reduce_reference(torch.clamp(margin - y * x, min=0) ** 2, reduction, weight=example.context.get("weight"))


def _log_add(a: float, b: float) -> float:
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    m = max(a, b)
    return m + math.log(math.exp(a - m) + math.exp(b - m))


def _ctc_negative_log_likelihood(log_probs: Tensor, labels: list[int], blank: int) -> float:
    """Graves et al. 2006, eqs. (6)-(8): the forward variables over the blank-extended label sequence."""
    extended = [blank]
    for label in labels:
        extended += [label, blank]
    steps, width = log_probs.shape[0], len(extended)
    alpha = [-math.inf] * width
    alpha[0] = float(log_probs[0, blank])
    if width > 1:
        alpha[1] = float(log_probs[0, extended[1]])
    for t in range(1, steps):
        previous, alpha = alpha, [-math.inf] * width
        for s in range(width):
            total = _log_add(previous[s], previous[s - 1] if s >= 1 else -math.inf)
            if s >= 2 and extended[s] != blank and extended[s] != extended[s - 2]:
                total = _log_add(total, previous[s - 2])
            alpha[s] = total + float(log_probs[t, extended[s]]) if total > -math.inf else -math.inf
    last = _log_add(alpha[-1], alpha[-2] if width > 1 else -math.inf)
    return -last


def ctc_reference(example: Example, *, blank: int, zero_infinity: bool, reduction: str) -> Tensor:
    log_probs, target = _log_softmax(f64(example.input)), example.target.cpu()
    input_lengths = example.context["input_lengths"].cpu().tolist()
    target_lengths = example.context["target_lengths"].cpu().tolist()
    losses, offset = [], 0
    for n in range(log_probs.shape[1]):
        if target.dim() == 2:
            labels = target[n, : target_lengths[n]].tolist()
        else:
            labels = target[offset : offset + target_lengths[n]].tolist()
            offset += target_lengths[n]
        loss = _ctc_negative_log_likelihood(log_probs[: input_lengths[n], n], labels, blank)
        losses.append(0.0 if zero_infinity and math.isinf(loss) else loss)
    out = torch.tensor(losses, dtype=torch.float64)
    if reduction == "mean":  # each loss over its target length, then the mean over the batch
        return reduce_reference(out / torch.tensor(target_lengths, dtype=torch.float64).clamp(min=1), "mean")
    return reduce_reference(out, reduction)


def focal_reference(example: Example, *, gamma: float, alpha, ignore_index: int, reduction: str) -> Tensor:
    x, y = _rows(example.input, example.target)
    p = torch.exp(_log_softmax(x))
    losses, kept = [], 0
    for n in range(x.shape[0]):
        t = int(y[n])
        if t == ignore_index:
            losses.append(0.0)
            continue
        a = 1.0 if alpha is None else alpha if isinstance(alpha, float) else alpha[t]
        pt = float(p[n, t])
        losses.append(-a * (1 - pt) ** gamma * math.log(pt))
        kept += 1
    out = torch.tensor(losses, dtype=torch.float64).reshape(example.target.shape)
    return reduce_reference(out, reduction, denominator=kept)


def sigmoid_focal_reference(example: Example, *, alpha, gamma: float, reduction: str, compiled: bool = False) -> Tensor:
    """torchvision.ops.sigmoid_focal_loss in float64 (``compiled`` says how the loss runs, not what it computes)."""
    x, y = f64(example.input), f64(example.target)
    p = 1 / (1 + torch.exp(-x))
    ce = -(y * torch.log(p) + (1 - y) * torch.log(1 - p))
    p_t = p * y + (1 - p) * (1 - y)
    loss = ce * (1 - p_t) ** gamma
    if alpha is not None:
        loss = (alpha * y + (1 - alpha) * (1 - y)) * loss
    return reduce_reference(loss, reduction, weight=example.context.get("weight"))


def linear_cross_entropy_reference(
    example: Example, *, chunk_size: int, ignore_index: int, label_smoothing: float, reduction: str
) -> Tensor:
    h, y = f64(example.input), example.target.cpu()
    logits = h @ f64(example.context["classifier_weight"]).T
    if example.context.get("classifier_bias") is not None:
        logits = logits + f64(example.context["classifier_bias"])
    logp = _log_softmax(logits)
    eps, losses, kept = label_smoothing, [], 0
    for n in range(h.shape[0]):
        t = int(y[n])
        if t == ignore_index:
            losses.append(0.0)
            continue
        losses.append(float((1 - eps) * -logp[n, t] - eps * logp[n].mean()))
        kept += 1
    return reduce_reference(torch.tensor(losses, dtype=torch.float64), reduction, denominator=kept)
