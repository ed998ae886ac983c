"""Rows of the metric-learning losses (against pytorch-metric-learning) and the fairness penalties (fairret)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from . import _peers
from ._row import Contender, Context, Row, losskit_loss, with_module


def _views(ctx: Context) -> tuple[int, int]:
    return ctx.size((512, 128), (32, 16))


def nt_xent(ctx: Context) -> Row:
    # pml's NTXentLoss builds a (positive pairs × negative pairs) matrix: 2N × 4N² elements, minutes at N = 512.
    n, d = ctx.size((128, 128), (32, 16))
    a, b = ctx.floats(n, d), ctx.floats(n, d, seed=1)
    ours = losskit_loss("nt_xent", ctx, temperature=0.1)
    row = Row(
        "nt_xent", "metric", f"nt_xent {n} pairs × {d}, τ .1",
        "pml's NTXentLoss on cat(first views, second views) with labels cat(arange N, arange N): one positive per "
        "anchor, every other view a negative, MeanReducer over the 2N positive pairs = SimCLR's mean.",
        [a, b], Contender("losskit", lambda: ours(a, b)),
    )

    def pml():
        peer = _peers.pml().losses.NTXentLoss(temperature=0.1)
        labels = torch.arange(n, device=ctx.device).repeat(2)
        return lambda: peer(torch.cat([a, b]), labels)

    row.peer("pml NTXentLoss", pml)
    return row


def contrastive(ctx: Context) -> Row:
    n, d = ctx.size((1024, 128), (64, 16))  # pml computes the (2N, 2N) distance matrix to read N pairs from it
    first, second = ctx.floats(n, d, scale=0.1), ctx.floats(n, d, scale=0.1, seed=1)
    target = torch.where(ctx.binary(n, seed=3) > 0, 1, -1)
    ours = losskit_loss("contrastive", ctx, margin=1.0)
    similar = target == 1
    row = Row(
        "contrastive", "metric", f"contrastive {n} pairs × {d}, margin 1",
        "pml's ContrastiveLoss is given the same pairs (indices_tuple over cat(first, second)), LpDistance without "
        "normalisation, pos_margin 0, neg_margin 1. It is another function of the distances: D for a similar pair, "
        "max(0, m - D) for a dissimilar one (no square), the two kinds averaged separately and added. The check "
        "therefore compares the per-pair values: losskit's (reduction='none') with half the square of pml's "
        "(DoNothingReducer). The timing runs pml's own loss with MeanReducer.",
        [first, second, target], Contender("losskit", lambda: ours(first, target, other=second)),
    )
    per_pair = losskit_loss("contrastive", ctx, margin=1.0, reduction="none")
    row.ours.value = lambda: per_pair(first, target, other=second)

    def pml():
        lib = _peers.pml()
        index = torch.arange(n, device=ctx.device)
        pos, neg = index[similar], index[~similar]
        pairs = (pos, pos + n, neg, neg + n)
        labels = torch.arange(2 * n, device=ctx.device)

        def make(reducer):  # noqa: ANN001, ANN202
            return lib.losses.ContrastiveLoss(
                pos_margin=0.0, neg_margin=1.0, distance=lib.distances.LpDistance(normalize_embeddings=False),
                reducer=reducer,
            )

        timed, checked = make(lib.reducers.MeanReducer()), make(lib.reducers.DoNothingReducer())

        def value() -> Tensor:
            parts = checked(torch.cat([first, second]), labels, indices_tuple=pairs)
            out = torch.empty(n, device=ctx.device, dtype=first.dtype)
            out[pos] = parts["pos_loss"]["losses"].square() / 2
            out[neg] = parts["neg_loss"]["losses"].square() / 2
            return out

        contender = Contender("pml ContrastiveLoss", lambda: timed(torch.cat([first, second]), labels, indices_tuple=pairs))
        contender.value = value
        return contender

    row.peer("pml ContrastiveLoss", pml)
    return row


def _labelled(ctx: Context, classes: int) -> tuple[Tensor, Tensor, int, int]:
    n, d = _views(ctx)
    return ctx.floats(n, d), torch.arange(n, device=ctx.device) % classes, n, d


def supcon(ctx: Context) -> Row:
    e, y, n, d = _labelled(ctx, ctx.size(64, 4))
    ours = losskit_loss("supcon", ctx, temperature=0.07, base_temperature=0.07)
    row = Row(
        "supcon", "metric", f"supcon {n}×{d}, {int(y.max()) + 1} classes, τ .07",
        "Every anchor has positives here, so pml's AvgNonZeroReducer is the mean over anchors, as losskit's; "
        "τ/τ_base = 1, the scale pml does not apply.",
        [e], Contender("losskit", lambda: ours(e, y)),
    )

    def pml():
        peer = _peers.pml().losses.SupConLoss(temperature=0.07)
        return lambda: peer(e, y)

    row.peer("pml SupConLoss", pml)
    return row


def multi_similarity(ctx: Context) -> Row:
    e, y, n, d = _labelled(ctx, ctx.size(64, 4))
    ours = losskit_loss("multi_similarity", ctx, alpha=2.0, beta=50.0, base=0.5, epsilon=0.1)
    row = Row(
        "multi_similarity", "metric", f"multi_similarity {n}×{d}, {int(y.max()) + 1} classes",
        "pml splits the paper's loss into MultiSimilarityMiner(epsilon) and MultiSimilarityLoss(alpha, beta, base); "
        "the peer runs both, as the paper's loss does.",
        [e], Contender("losskit", lambda: ours(e, y)),
    )

    def pml():
        lib = _peers.pml()
        miner = lib.miners.MultiSimilarityMiner(epsilon=0.1)
        peer = lib.losses.MultiSimilarityLoss(alpha=2.0, beta=50.0, base=0.5)
        return lambda: peer(e, y, miner(e, y))

    row.peer("pml MultiSimilarityMiner + Loss", pml)
    return row


def _margin_head(ctx: Context, name: str, margin: float, pml_class: str, pml_margin: float, semantics: str) -> Row:
    e, _, n, d = _labelled(ctx, 1)
    classes = ctx.size(1000, 10)
    y = ctx.classes(classes, n)
    ours = losskit_loss(name, ctx, num_classes=classes, embedding_dim=d, init_seed=0, margin=margin, scale=64.0)
    row = Row(
        name, "metric", f"{name} {n}×{d}, {classes} classes, s 64", semantics,
        [e], Contender("losskit", with_module(ours, lambda: ours(e, y))),
    )

    def pml():
        peer = getattr(_peers.pml().losses, pml_class)(classes, d, margin=pml_margin, scale=64.0).to(ctx.device)
        with torch.no_grad():
            peer.W.copy_(ours.class_centers.T)  # pml keeps W as (D, C)
        return Contender(f"pml {pml_class}", with_module(peer, lambda: peer(e, y)))

    row.peer(f"pml {pml_class}", pml)
    return row


def arcface(ctx: Context) -> Row:
    return _margin_head(
        ctx, "arcface", 0.5, "ArcFaceLoss", math.degrees(0.5),
        "pml's margin is in degrees: 28.65° = losskit's 0.5 rad; pml's W (D, C) is set to losskit's class centres "
        "transposed. Both learn the centres (their gradients are part of the step).",
    )


def cosface(ctx: Context) -> Row:
    return _margin_head(
        ctx, "cosface", 0.35, "CosFaceLoss", 0.35,
        "Same margin and scale; pml's W (D, C) is set to losskit's class centres transposed.",
    )


def _fairness(ctx: Context, name: str, statistic: str, with_labels: bool) -> Row:
    n, groups = ctx.size(65536, 256), 4
    x = ctx.floats(n)
    labels = ctx.binary(n, seed=3)
    g = ctx.classes(groups, n, seed=4)
    sens = F.one_hot(g, groups).to(x.dtype)
    ours = losskit_loss(name, ctx, gap="to_overall", form="absolute")
    p = torch.sigmoid(x.detach())
    overall = p[labels == 1].mean() if with_labels else p.mean()
    row = Row(
        name, "fairness", f"{name} {n} samples, {groups} groups",
        "fairret's NormLoss(p=1) of the statistic is Σ_g |r_g / r - 1| (r the overall rate); losskit's "
        "gap='to_overall', form='absolute' is the mean over groups of |r_g - r|: so losskit = fairret · r / G, "
        "r computed once from the inputs for the comparison.",
        [x, labels, g], Contender("losskit", lambda: ours(x, labels, groups=g)),
    )

    def fairret():
        lib = _peers.fairret()
        peer = lib.loss.NormLoss(getattr(lib.statistic, statistic)(), p=1)
        forward = (lambda: peer(x[:, None], sens, labels[:, None])) if with_labels else (lambda: peer(x[:, None], sens))
        return Contender(f"fairret NormLoss({statistic})", forward, lambda v: v * overall / groups)

    row.peer(f"fairret NormLoss({statistic})", fairret)
    return row


def demographic_parity(ctx: Context) -> Row:
    return _fairness(ctx, "demographic_parity", "PositiveRate", with_labels=False)


def equal_opportunity(ctx: Context) -> Row:
    return _fairness(ctx, "equal_opportunity", "TruePositiveRate", with_labels=True)


ROWS = {
    row.__name__: row
    for row in (nt_xent, contrastive, supcon, multi_similarity, arcface, cosface, demographic_parity, equal_opportunity)
}
