"""Independent float64 references of the imbalance losses, written from each paper's formula.

They share no code with the implementations: probabilities are computed here
from the definition of the softmax and the sigmoid, sample by sample where that
reads closer to the paper, then reduced by :func:`_reduce` (``mean`` divides by
the number of elements of the ``'none'`` output).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from losskit import Example


def _reduce(elementwise: Tensor, reduction: str, weight: Tensor | None) -> Tensor:
    if weight is not None:
        w = weight.to(torch.float64)
        if w.shape != elementwise.shape:
            w = w.reshape(-1, *([1] * (elementwise.dim() - 1)))
        elementwise = elementwise * w
    if reduction == "none":
        return elementwise
    total = elementwise.sum()
    return total if reduction == "sum" else total / max(elementwise.numel(), 1)


def _softmax(z: Tensor) -> Tensor:
    """Row-wise softmax exp(z_c) / sum_k exp(z_k), shifted by the row maximum."""
    e = torch.exp(z - z.max(dim=1, keepdim=True).values)
    return e / e.sum(dim=1, keepdim=True)


def _log_softmax(z: Tensor) -> Tensor:
    shifted = z - z.max(dim=1, keepdim=True).values
    return shifted - torch.log(torch.exp(shifted).sum(dim=1, keepdim=True))


def _logits_labels(example: Example) -> tuple[Tensor, list[int]]:
    return example.input.detach().cpu().to(torch.float64), [int(y) for y in example.target.cpu()]


def _one_hot(labels: list[int], num_classes: int) -> Tensor:
    q = torch.zeros(len(labels), num_classes, dtype=torch.float64)
    for n, y in enumerate(labels):
        q[n, y] = 1.0
    return q


def _weight(example: Example) -> Tensor | None:
    weight = example.context.get("weight")
    return None if weight is None else weight.detach().cpu()


def poly1_reference(example: Example, *, epsilon: float, label_smoothing: float, reduction: str) -> Tensor:
    """Leng et al. 2022: L = -sum_c q_c log p_c + epsilon (1 - sum_c q_c p_c), q the (smoothed) label."""
    z, labels = _logits_labels(example)
    p = _softmax(z)
    q = (1 - label_smoothing) * _one_hot(labels, z.shape[1]) + label_smoothing / z.shape[1]
    loss = -(q * torch.log(p)).sum(dim=1) + epsilon * (1 - (q * p).sum(dim=1))
    return _reduce(loss, reduction, _weight(example))


def class_balanced_reference(
    example: Example, *, samples_per_class: tuple[float, ...], beta: float, base: str, gamma: float, reduction: str
) -> Tensor:
    """Cui et al. 2019: CB(p, y) = (1 - beta) / (1 - beta^{n_y}) L(p, y), weights normalised to sum to C."""
    z, labels = _logits_labels(example)
    num_classes = z.shape[1]
    raw = [(1 - beta) / (1 - beta**n) for n in samples_per_class]
    alpha = [num_classes * w / sum(raw) for w in raw]
    losses = []
    for n, y in enumerate(labels):
        if base == "softmax":
            value = -math.log(_softmax(z[n : n + 1])[0, y].item())
        else:
            value = 0.0
            for c in range(num_classes):
                z_t = z[n, c].item() if c == y else -z[n, c].item()
                p_t = 1 / (1 + math.exp(-z_t))
                modulator = (1 - p_t) ** gamma if base == "focal" else 1.0
                value -= modulator * math.log(p_t)
        losses.append(alpha[y] * value)
    return _reduce(torch.tensor(losses, dtype=torch.float64), reduction, _weight(example))


def asymmetric_reference(
    example: Example, *, gamma_pos: float, gamma_neg: float, clip: float, eps: float, reduction: str
) -> Tensor:
    """Ridnik et al. 2021: L+ = (1 - p)^{g+} log p, L- = p_m^{g-} log(1 - p_m), p_m = max(p - m, 0)."""
    x = example.input.detach().cpu().to(torch.float64)
    y = example.target.detach().cpu().to(torch.float64)
    p = 1 / (1 + torch.exp(-x))
    p_m = torch.clamp(p - clip, min=0)
    l_pos = (1 - p) ** gamma_pos * torch.log(torch.clamp(p, min=eps))
    l_neg = p_m**gamma_neg * torch.log(torch.clamp(1 - p_m, min=eps))
    return _reduce(-y * l_pos - (1 - y) * l_neg, reduction, _weight(example))


def _priors(class_priors: tuple[float, ...] | None, samples_per_class: tuple[float, ...] | None) -> Tensor:
    values = torch.tensor(class_priors if class_priors is not None else samples_per_class, dtype=torch.float64)
    return values / values.sum()


def logit_adjusted_reference(
    example: Example,
    *,
    tau: float,
    class_priors: tuple[float, ...] | None,
    samples_per_class: tuple[float, ...] | None,
    reduction: str,
) -> Tensor:
    """Menon et al. 2021: -log( e^{f_y + tau log pi_y} / sum_c e^{f_c + tau log pi_c} )."""
    z, labels = _logits_labels(example)
    pi = _priors(class_priors, samples_per_class)
    loss = []
    for n, y in enumerate(labels):
        scores = torch.exp(z[n] - z[n].max()) * pi**tau
        loss.append(-torch.log(scores[y] / scores.sum()))
    return _reduce(torch.stack(loss) if loss else torch.zeros(0, dtype=torch.float64), reduction, _weight(example))


def balanced_softmax_reference(example: Example, *, samples_per_class: tuple[float, ...], reduction: str) -> Tensor:
    """Ren et al. 2020: -log( n_y e^{eta_y} / sum_c n_c e^{eta_c} )."""
    z, labels = _logits_labels(example)
    counts = torch.tensor(samples_per_class, dtype=torch.float64)
    loss = []
    for n, y in enumerate(labels):
        scores = counts * torch.exp(z[n] - z[n].max())
        loss.append(-torch.log(scores[y] / scores.sum()))
    return _reduce(torch.stack(loss) if loss else torch.zeros(0, dtype=torch.float64), reduction, _weight(example))


def ldam_reference(
    example: Example, *, samples_per_class: tuple[float, ...], max_m: float, s: float, reduction: str
) -> Tensor:
    """Cao et al. 2019: Delta_j = C / n_j^{1/4} with C such that max_j Delta_j = max_m;
    -log( e^{s(z_y - Delta_y)} / (e^{s(z_y - Delta_y)} + sum_{j != y} e^{s z_j}) )."""
    z, labels = _logits_labels(example)
    constant = max_m / max(n**-0.25 for n in samples_per_class)
    delta = [constant / n**0.25 for n in samples_per_class]
    loss = []
    for n, y in enumerate(labels):
        logits = [s * (z[n, j].item() - (delta[y] if j == y else 0.0)) for j in range(z.shape[1])]
        top = max(logits)
        denominator = sum(math.exp(v - top) for v in logits)
        loss.append(-(logits[y] - top - math.log(denominator)))
    return _reduce(torch.tensor(loss, dtype=torch.float64), reduction, _weight(example))


def generalized_ce_reference(example: Example, *, q: float, reduction: str) -> Tensor:
    """Zhang & Sabuncu 2018: L_q = (1 - f_y(x)^q) / q, f = softmax."""
    z, labels = _logits_labels(example)
    p_y = _softmax(z)[torch.arange(len(labels)), labels]
    return _reduce((1 - p_y**q) / q, reduction, _weight(example))


def symmetric_ce_reference(example: Example, *, alpha: float, beta: float, log_zero: float, reduction: str) -> Tensor:
    """Wang et al. 2019: alpha * (-sum_k q_k log p_k) + beta * (-sum_k p_k log q_k), log 0 := A."""
    z, labels = _logits_labels(example)
    p = _softmax(z)
    q = _one_hot(labels, z.shape[1])
    log_q = torch.where(q > 0, torch.log(q.clamp(min=1e-300)), torch.full_like(q, log_zero))
    ce = -(q * torch.log(p)).sum(dim=1)
    rce = -(p * log_q).sum(dim=1)
    return _reduce(alpha * ce + beta * rce, reduction, _weight(example))


def distillation_reference(example: Example, *, temperature: float, alpha: float, reduction: str) -> Tensor:
    """Hinton et al. 2015: alpha T^2 KL(softmax(t/T) || softmax(s/T)) + (1 - alpha) CE(s, y)."""
    z, labels = _logits_labels(example)
    teacher = example.context["teacher_logits"].detach().cpu().to(torch.float64)
    p_teacher = _softmax(teacher / temperature)
    log_student_t = _log_softmax(z / temperature)
    kl = (p_teacher * (torch.log(p_teacher) - log_student_t)).sum(dim=1)
    ce = -_log_softmax(z)[torch.arange(len(labels)), labels]
    return _reduce(alpha * temperature**2 * kl + (1 - alpha) * ce, reduction, _weight(example))
