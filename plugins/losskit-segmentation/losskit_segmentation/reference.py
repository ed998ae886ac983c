"""Independent float64 references, written from each loss's paper, for the conformance suite and the tests.

They share no code with the implementations: each unit (an image, or the whole batch) and each class
is handled on its own, with the ignored pixels dropped, and every formula is written out as in its
paper, with this family's documented conventions (``smooth``, the ``eps`` floor, a zero denominator
counting as a perfect score, the reductions). The Lovász extension is evaluated from its definition,
the Jaccard loss of every prefix set of the sorted errors computed with set operations.

Each accepts the loss's ``gather`` (through ``**params`` for the region losses) and ignores it: a
reference runs in one process, where gathering is the identity.
"""

from __future__ import annotations

import torch
from torch import Tensor

from losskit import Example
from losskit.testing.reference import f64, reduce_reference

F64 = torch.float64


def _class_pixels(example: Example, *, mode: str, from_logits: bool, per_image: bool, ignore_index: int,
                  hinge: bool = False) -> list[list[tuple[Tensor, Tensor]]]:
    """For each unit (image, or the batch), for each class: (scores, targets) over the kept pixels.

    Scores are probabilities, or the logits themselves when ``hinge``.
    """
    x, y = f64(example.input), example.target.detach().to("cpu")
    n, c = x.shape[0], x.shape[1]
    if mode == "multiclass":
        score = x if hinge or not from_logits else torch.softmax(x, dim=1)
        truth = torch.stack([y == k for k in range(c)], dim=1)
        keep = torch.stack([y != ignore_index] * c, dim=1)
    else:
        if y.dim() == x.dim() - 1:
            y = y.unsqueeze(1)
        score = x if hinge or not from_logits else 1 / (1 + torch.exp(-x))
        truth, keep = y == 1, y != ignore_index
    groups = [[i] for i in range(n)] if per_image else [list(range(n))]
    out = []
    for images in groups:
        classes = []
        for k in range(c):
            s = torch.cat([score[i, k].flatten() for i in images]) if images else torch.zeros(0, dtype=F64)
            t = torch.cat([truth[i, k].flatten() for i in images]) if images else torch.zeros(0, dtype=torch.bool)
            m = torch.cat([keep[i, k].flatten() for i in images]) if images else torch.zeros(0, dtype=torch.bool)
            classes.append((s[m], t[m].to(F64)))
        out.append(classes)
    return out


def _per_class(values: list[list[float]], per_image: bool, width: int) -> Tensor:
    table = torch.tensor(values, dtype=F64).reshape(-1, width)
    return table if per_image else table[0]


def _score(num: float, den: float, smooth: float, eps: float) -> float:
    den = den + smooth
    return 1.0 if den == 0 else (num + smooth) / max(den, eps)


def _region(example: Example, params: dict, loss_of_class) -> Tensor:
    units = _class_pixels(example, mode=params["mode"], from_logits=params["from_logits"],
                          per_image=params["per_image"], ignore_index=params["ignore_index"])
    values = [[loss_of_class(p, g) for p, g in unit] for unit in units]
    return reduce_reference(_per_class(values, params["per_image"], example.input.shape[1]), params["reduction"])


def dice_reference(example: Example, *, squared: bool, smooth: float, eps: float, **params) -> Tensor:
    # Milletari et al. 2016, eq. (1): D = 2 sum p g / (sum p^2 + sum g^2); the unsquared form with squared=False.
    def loss(p: Tensor, g: Tensor) -> float:
        den = float((p**2).sum() + (g**2).sum()) if squared else float(p.sum() + g.sum())
        return 1 - _score(2 * float((p * g).sum()), den, smooth, eps)

    return _region(example, params, loss)


def jaccard_reference(example: Example, *, smooth: float, eps: float, **params) -> Tensor:
    # Rahman & Wang 2016: I = sum p g, U = sum (p + g - p g), loss 1 - I / U.
    def loss(p: Tensor, g: Tensor) -> float:
        return 1 - _score(float((p * g).sum()), float((p + g - p * g).sum()), smooth, eps)

    return _region(example, params, loss)


def _tversky_index(p: Tensor, g: Tensor, alpha: float, beta: float, smooth: float, eps: float) -> float:
    # Salehi et al. 2017, eq. (3): p0 = p, p1 = 1 - p, g0 = g, g1 = 1 - g; alpha on p0 g1, beta on p1 g0.
    p0, p1, g0, g1 = p, 1 - p, g, 1 - g
    tp = float((p0 * g0).sum())
    return _score(tp, tp + alpha * float((p0 * g1).sum()) + beta * float((p1 * g0).sum()), smooth, eps)


def tversky_reference(example: Example, *, alpha: float, beta: float, smooth: float, eps: float,
                      **params) -> Tensor:
    return _region(example, params, lambda p, g: 1 - _tversky_index(p, g, alpha, beta, smooth, eps))


def focal_tversky_reference(example: Example, *, alpha: float, beta: float, gamma: float, smooth: float,
                            eps: float, **params) -> Tensor:
    # Abraham & Khan 2019, eq. (4): FTL_c = (1 - TI_c)^(1 / gamma).
    def loss(p: Tensor, g: Tensor) -> float:
        return max(1 - _tversky_index(p, g, alpha, beta, smooth, eps), 0.0) ** (1 / gamma)

    return _region(example, params, loss)


def generalized_dice_reference(example: Example, *, mode: str, from_logits: bool, smooth: float, eps: float,
                               per_image: bool, ignore_index: int, reduction: str, gather: bool = True) -> Tensor:
    # Sudre et al. 2017, eq. (2), w_l = 1 / (sum_n r_ln)^2; absent classes take the largest present weight,
    # and the weights are normalised to sum to 1 (this family's documented conventions).
    units = _class_pixels(example, mode=mode, from_logits=from_logits, per_image=per_image,
                          ignore_index=ignore_index)
    values = []
    for unit in units:
        volumes = [float(g.sum()) for _, g in unit]
        present = [1 / v**2 for v in volumes if v > 0]
        w = [1 / v**2 if v > 0 else (max(present) if present else 0.0) for v in volumes]
        w = [wi / sum(w) for wi in w] if sum(w) > 0 else w
        num = 2 * sum(wi * float((p * g).sum()) for wi, (p, g) in zip(w, unit))
        den = sum(wi * float((p + g).sum()) for wi, (p, g) in zip(w, unit))
        values.append(1 - _score(num, den, smooth, eps))
    losses = torch.tensor(values, dtype=F64)
    return reduce_reference(losses if per_image else losses[0], reduction)


def _jaccard_set_loss(mistakes: Tensor, truth: Tensor) -> float:
    # Berman et al. 2018, eq. (4): Delta_J(M) = |M| / |{y = c} union M|.
    union = int((mistakes | truth).sum())
    return 0.0 if union == 0 else int(mistakes.sum()) / union


def lovasz_extension_reference(errors: Tensor, truth: Tensor) -> float:
    """Berman et al. 2018, eqs. (8)-(9): sum_k m_(k) (Delta(first k) - Delta(first k - 1)), by brute force."""
    order = torch.argsort(errors, descending=True, stable=True)
    total, previous = 0.0, 0.0
    for k in range(1, errors.numel() + 1):
        mistakes = torch.zeros(errors.numel(), dtype=torch.bool)
        mistakes[order[:k]] = True
        current = _jaccard_set_loss(mistakes, truth)
        total += float(errors[order[k - 1]]) * (current - previous)
        previous = current
    return total


def lovasz_softmax_reference(example: Example, *, from_logits: bool, classes: str, per_image: bool,
                             ignore_index: int, reduction: str, gather: bool = True) -> Tensor:
    # Berman et al. 2018, eq. (10)-(12): m_i(c) = |[y_i = c] - p_i(c)|; mean over (present) classes, then images.
    units = _class_pixels(example, mode="multiclass", from_logits=from_logits, per_image=per_image,
                          ignore_index=ignore_index)
    table, counted = [], []
    for unit in units:
        row, mask = [], []
        for p, g in unit:
            counts = classes == "all" or bool(g.sum() > 0)
            row.append(lovasz_extension_reference((g - p).abs(), g > 0) if counts else 0.0)
            mask.append(counts)
        table.append(row)
        counted.append(mask)
    losses = _per_class(table, per_image, example.input.shape[1])
    if reduction != "mean":
        return reduce_reference(losses, reduction)
    means = [sum(r) / max(sum(m), 1) for r, m in zip(table, counted)]
    return torch.tensor(sum(means) / max(len(means), 1), dtype=F64)


def lovasz_hinge_reference(example: Example, *, mode: str, per_image: bool, ignore_index: int,
                           reduction: str, gather: bool = True) -> Tensor:
    # Berman et al. 2018, section 3.1: m_i = max(1 - F_i y_i, 0) with y_i in {-1, +1}.
    units = _class_pixels(example, mode=mode, from_logits=True, per_image=per_image, ignore_index=ignore_index,
                          hinge=True)
    values = [[lovasz_extension_reference((1 - x * (2 * g - 1)).clamp_min(0), g > 0) for x, g in unit]
              for unit in units]
    return reduce_reference(_per_class(values, per_image, example.input.shape[1]), reduction)
