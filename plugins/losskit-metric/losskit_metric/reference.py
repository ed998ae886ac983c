"""Independent float64 references, written from each loss's source, for the conformance suite and the tests.

They share no code with the implementations: each follows the cited paper (or,
for the torch losses, torch's documented formula) sample by sample in float64,
with loops where the paper sums over pairs, then reduces with
:func:`losskit.testing.reference.reduce_reference`.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from losskit import Example
from losskit.testing.reference import f64, reduce_reference


def _stacked(per_sample: list[Tensor]) -> Tensor:
    return torch.stack(per_sample) if per_sample else torch.zeros(0, dtype=torch.float64)


def _unit(x: Tensor) -> Tensor:
    return x / x.norm()


def _triplet(example: Example) -> tuple[Tensor, Tensor, Tensor]:
    return f64(example.input), f64(example.target), f64(example.context["negative"])


def triplet_reference(example: Example, *, margin: float, p: float, eps: float, swap: bool, reduction: str) -> Tensor:
    # torch.nn.TripletMarginLoss: d(x, y) = ||x - y + eps||_p, the swap of Balntas et al. 2016.
    def d(x: Tensor, y: Tensor) -> Tensor:
        return ((x - y + eps).abs() ** p).sum(dim=-1) ** (1 / p)

    a, pos, neg = _triplet(example)
    negative = torch.minimum(d(a, neg), d(pos, neg)) if swap else d(a, neg)
    return reduce_reference((d(a, pos) - negative + margin).clamp(min=0), reduction)


def triplet_with_distance_reference(
    example: Example, *, distance: str, margin: float, swap: bool, reduction: str
) -> Tensor:
    def d(x: Tensor, y: Tensor) -> Tensor:
        if distance == "cosine":
            norms = x.norm(dim=-1).clamp(min=1e-8) * y.norm(dim=-1).clamp(min=1e-8)
            return 1 - (x * y).sum(dim=-1) / norms
        return ((x - y + 1e-6) ** 2).sum(dim=-1).sqrt()

    a, pos, neg = _triplet(example)
    negative = torch.minimum(d(a, neg), d(pos, neg)) if swap else d(a, neg)
    return reduce_reference((d(a, pos) - negative + margin).clamp(min=0), reduction)


def cosine_embedding_reference(example: Example, *, margin: float, reduction: str) -> Tensor:
    x, y, other = f64(example.input), f64(example.target), f64(example.context["other"])
    cos = (x * other).sum(dim=1) / (x.norm(dim=1) * other.norm(dim=1))
    return reduce_reference(torch.where(y == 1, 1 - cos, (cos - margin).clamp(min=0)), reduction)


def margin_ranking_reference(example: Example, *, margin: float, reduction: str) -> Tensor:
    x, y, other = f64(example.input), f64(example.target), f64(example.context["other"])
    return reduce_reference((-y * (x - other) + margin).clamp(min=0), reduction)


def hinge_embedding_reference(example: Example, *, margin: float, reduction: str) -> Tensor:
    x, y = f64(example.input), f64(example.target)
    return reduce_reference(torch.where(y == 1, x, (margin - x).clamp(min=0)), reduction)


def contrastive_reference(example: Example, *, margin: float, reduction: str) -> Tensor:
    # Hadsell et al. 2006, eq. 4: (1 - Y) D^2 / 2 + Y max(0, m - D)^2 / 2, Y = 1 for a dissimilar pair (y = -1).
    x, y, other = f64(example.input), f64(example.target), f64(example.context["other"])
    dissimilar = (y == -1).to(torch.float64)
    distance = ((x - other) ** 2).sum(dim=1).sqrt()
    return reduce_reference(
        (1 - dissimilar) * distance**2 / 2 + dissimilar * (margin - distance).clamp(min=0) ** 2 / 2, reduction
    )


def nt_xent_reference(example: Example, *, temperature: float, gather: bool, reduction: str) -> Tensor:
    # SimCLR, Algorithm 1: z_{2k-1}, z_{2k} the two views of sample k, l(i, j) over the other 2N - 1 views.
    first, second = f64(example.input), f64(example.target)
    n = first.shape[0]
    z = [_unit(v) for pair in zip(first, second) for v in pair]

    def ell(i: int, j: int) -> Tensor:
        denominator = sum(torch.exp(z[i] @ z[k] / temperature) for k in range(2 * n) if k != i)
        return -torch.log(torch.exp(z[i] @ z[j] / temperature) / denominator)

    per_sample = [(ell(2 * k, 2 * k + 1) + ell(2 * k + 1, 2 * k)) / 2 for k in range(n)]
    return reduce_reference(_stacked(per_sample), reduction)


def supcon_reference(
    example: Example, *, temperature: float, base_temperature: float, gather: bool, reduction: str
) -> Tensor:
    # Khosla et al. 2020, eq. 2 (L^sup_out), times tau / tau_b as in the official code; no positive: 0.
    x, labels = f64(example.input), example.target.tolist()
    views = x if x.dim() == 3 else x[:, None]
    n, count = views.shape[:2]
    z = [_unit(views[s, v]) for s in range(n) for v in range(count)]
    label = [labels[s] for s in range(n) for _ in range(count)]

    def anchor(i: int) -> Tensor:
        others = [a for a in range(len(z)) if a != i]
        positives = [p for p in others if label[p] == label[i]]
        if not positives:
            return torch.zeros((), dtype=torch.float64)
        denominator = sum(torch.exp(z[i] @ z[a] / temperature) for a in others)
        total = sum(torch.log(torch.exp(z[i] @ z[p] / temperature) / denominator) for p in positives)
        return -(temperature / base_temperature) * total / len(positives)

    per_sample = [torch.stack([anchor(s * count + v) for v in range(count)]).mean() for s in range(n)]
    return reduce_reference(_stacked(per_sample), reduction)


def multi_similarity_reference(
    example: Example, *, alpha: float, beta: float, base: float, epsilon: float, gather: bool, reduction: str
) -> Tensor:
    # Wang et al. 2019: mine pairs against the hardest pair of the other kind, then the MS loss per anchor.
    x, labels = f64(example.input), example.target.tolist()
    z = [_unit(row) for row in x]
    n = len(z)

    def anchor(i: int) -> Tensor:
        s = {k: z[i] @ z[k] for k in range(n) if k != i}
        positives = [k for k in s if labels[k] == labels[i]]
        negatives = [k for k in s if labels[k] != labels[i]]
        if not positives or not negatives:  # nothing to compare with: no pair is mined
            return torch.zeros((), dtype=torch.float64)
        kept_neg = [k for k in negatives if s[k] > min(s[p] for p in positives) - epsilon]
        kept_pos = [k for k in positives if s[k] < max(s[q] for q in negatives) + epsilon]
        pos = sum((torch.exp(-alpha * (s[k] - base)) for k in kept_pos), torch.zeros((), dtype=torch.float64))
        neg = sum((torch.exp(beta * (s[k] - base)) for k in kept_neg), torch.zeros((), dtype=torch.float64))
        return torch.log(1 + pos) / alpha + torch.log(1 + neg) / beta

    per_sample = [anchor(i) for i in range(n)]
    return reduce_reference(_stacked(per_sample), reduction)


def _class_centres(num_classes: int, embedding_dim: int, init_seed: int | None) -> Tensor:
    # The documented initialisation of the loss's class centres: standard normal from a generator seeded with
    # init_seed, drawn in float64 and stored in the default dtype.
    if init_seed is None:
        raise ValueError("the reference of a loss with learned class centres needs init_seed")
    g = torch.Generator().manual_seed(init_seed)
    return (
        torch.randn((num_classes, embedding_dim), generator=g, dtype=torch.float64)
        .to(torch.get_default_dtype())
        .to(torch.float64)
    )


def _softmax_ce(logits: Tensor, y: int) -> Tensor:
    return -(logits[y] - torch.log(torch.exp(logits - logits.max()).sum()) - logits.max())


def arcface_reference(
    example: Example,
    *,
    num_classes: int,
    embedding_dim: int,
    init_seed: int | None,
    margin: float,
    scale: float,
    easy_margin: bool,
    reduction: str,
) -> Tensor:
    # Deng et al. 2019, with theta from acos; theta + m > pi (or theta > pi/2 with easy_margin) as insightface.
    w = [_unit(row) for row in _class_centres(num_classes, embedding_dim, init_seed)]
    per_sample = []
    for x, y in zip(f64(example.input), example.target.tolist()):
        theta = torch.stack([torch.acos((_unit(x) @ wj).clamp(-1, 1)) for wj in w])
        logits = scale * torch.cos(theta)
        t = theta[y]
        if easy_margin:
            target_logit = torch.cos(t + margin) if t < math.pi / 2 else torch.cos(t)
        else:
            target_logit = torch.cos(t + margin) if t + margin < math.pi else torch.cos(t) - margin * math.sin(margin)
        logits[y] = scale * target_logit
        per_sample.append(_softmax_ce(logits, y))
    return reduce_reference(_stacked(per_sample), reduction)


def cosface_reference(
    example: Example,
    *,
    num_classes: int,
    embedding_dim: int,
    init_seed: int | None,
    margin: float,
    scale: float,
    reduction: str,
) -> Tensor:
    # Wang et al. 2018, the large margin cosine loss:
    # -log e^{s (cos theta_y - m)} / (e^{s (cos theta_y - m)} + sum_{j != y} e^{s cos theta_j})
    w = [_unit(row) for row in _class_centres(num_classes, embedding_dim, init_seed)]
    per_sample = []
    for x, y in zip(f64(example.input), example.target.tolist()):
        logits = scale * torch.stack([_unit(x) @ wj for wj in w])
        logits[y] = logits[y] - scale * margin
        per_sample.append(_softmax_ce(logits, y))
    return reduce_reference(_stacked(per_sample), reduction)
