"""Independent float64 references of the imbalance losses, written from each paper's formula.

They share no code with the implementations: probabilities are computed here
from the definition of the softmax and the sigmoid, sample by sample where that
reads closer to the paper, then reduced by the core's float64
:func:`~losskit.testing.reference.reduce_reference` (``mean`` divides by the
number of elements of the ``'none'`` output).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from losskit import Example
from losskit.testing.reference import f64, reduce_reference


def _softmax(z: Tensor) -> Tensor:
    """Row-wise softmax exp(z_c) / sum_k exp(z_k), shifted by the row maximum."""
    e = torch.exp(z - z.max(dim=1, keepdim=True).values)
    return e / e.sum(dim=1, keepdim=True)


def _log_softmax(z: Tensor) -> Tensor:
    shifted = z - z.max(dim=1, keepdim=True).values
    return shifted - torch.log(torch.exp(shifted).sum(dim=1, keepdim=True))


def _logits_labels(example: Example) -> tuple[Tensor, list[int]]:
    return f64(example.input), [int(y) for y in example.target.cpu()]


def _one_hot(labels: list[int], num_classes: int) -> Tensor:
    q = torch.zeros(len(labels), num_classes, dtype=torch.float64)
    for n, y in enumerate(labels):
        q[n, y] = 1.0
    return q


def _reduced(losses: Tensor | list[Tensor], reduction: str, example: Example) -> Tensor:
    """``losses`` (a tensor, or one scalar tensor per sample) reduced with the example's ``weight``, if any."""
    if isinstance(losses, list):
        losses = torch.stack(losses) if losses else torch.zeros(0, dtype=torch.float64)
    return reduce_reference(losses, reduction, weight=example.context.get("weight"))


def poly1_reference(example: Example, *, epsilon: float, label_smoothing: float, reduction: str) -> Tensor:
    """Leng et al. 2022: L = -sum_c q_c log p_c + epsilon (1 - sum_c q_c p_c), q the (smoothed) label."""
    z, labels = _logits_labels(example)
    p = _softmax(z)
    q = (1 - label_smoothing) * _one_hot(labels, z.shape[1]) + label_smoothing / z.shape[1]
    loss = -(q * torch.log(p)).sum(dim=1) + epsilon * (1 - (q * p).sum(dim=1))
    return _reduced(loss, reduction, example)


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
    return _reduced(torch.tensor(losses, dtype=torch.float64), reduction, example)


def asymmetric_reference(
    example: Example,
    *,
    gamma_pos: float,
    gamma_neg: float,
    clip: float,
    eps: float,
    reduction: str,
    compiled: bool = False,
) -> Tensor:
    """Ridnik et al. 2021: L+ = (1 - p)^{g+} log p, L- = p_m^{g-} log(1 - p_m), p_m = max(p - m, 0).

    ``compiled`` says how the loss runs, not what it computes."""
    x, y = f64(example.input), f64(example.target)
    p = 1 / (1 + torch.exp(-x))
    p_m = torch.clamp(p - clip, min=0)
    l_pos = (1 - p) ** gamma_pos * torch.log(torch.clamp(p, min=eps))
    l_neg = p_m**gamma_neg * torch.log(torch.clamp(1 - p_m, min=eps))
    return _reduced(-y * l_pos - (1 - y) * l_neg, reduction, example)


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
    return _reduced(loss, reduction, example)


def balanced_softmax_reference(example: Example, *, samples_per_class: tuple[float, ...], reduction: str) -> Tensor:
    """Ren et al. 2020: -log( n_y e^{eta_y} / sum_c n_c e^{eta_c} )."""
    z, labels = _logits_labels(example)
    counts = torch.tensor(samples_per_class, dtype=torch.float64)
    loss = []
    for n, y in enumerate(labels):
        scores = counts * torch.exp(z[n] - z[n].max())
        loss.append(-torch.log(scores[y] / scores.sum()))
    return _reduced(loss, reduction, example)


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
    return _reduced(torch.tensor(loss, dtype=torch.float64), reduction, example)


def generalized_ce_reference(example: Example, *, q: float, reduction: str) -> Tensor:
    """Zhang & Sabuncu 2018: L_q = (1 - f_y(x)^q) / q, f = softmax."""
    z, labels = _logits_labels(example)
    p_y = _softmax(z)[torch.arange(len(labels)), labels]
    return _reduced((1 - p_y**q) / q, reduction, example)


def symmetric_ce_reference(example: Example, *, alpha: float, beta: float, log_zero: float, reduction: str) -> Tensor:
    """Wang et al. 2019: alpha * (-sum_k q_k log p_k) + beta * (-sum_k p_k log q_k), log 0 := A."""
    z, labels = _logits_labels(example)
    p = _softmax(z)
    q = _one_hot(labels, z.shape[1])
    log_q = torch.where(q > 0, torch.log(q.clamp(min=1e-300)), torch.full_like(q, log_zero))
    ce = -(q * torch.log(p)).sum(dim=1)
    rce = -(p * log_q).sum(dim=1)
    return _reduced(alpha * ce + beta * rce, reduction, example)


def distillation_reference(example: Example, *, temperature: float, alpha: float, reduction: str) -> Tensor:
    """Hinton et al. 2015: alpha T^2 KL(softmax(t/T) || softmax(s/T)) + (1 - alpha) CE(s, y)."""
    z, labels = _logits_labels(example)
    teacher = f64(example.context["teacher_logits"])
    p_teacher = _softmax(teacher / temperature)
    log_student_t = _log_softmax(z / temperature)
    kl = (p_teacher * (torch.log(p_teacher) - log_student_t)).sum(dim=1)
    ce = -_log_softmax(z)[torch.arange(len(labels)), labels]
    return _reduced(alpha * temperature**2 * kl + (1 - alpha) * ce, reduction, example)
