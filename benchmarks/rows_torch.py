"""Rows against torch itself: the hot path (a small module, composites, forward-only input checks),
triplet, chunked linear cross-entropy, and every torch.nn loss that losskit also has."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from . import _peers
from ._row import Contender, Context, LossMissing, Row, losskit_loss


def mse_module(ctx: Context) -> Row:
    x, y = ctx.floats(1024, 10), ctx.floats(1024, 10, grad=False)
    ours, theirs = losskit_loss("mse", ctx), nn.MSELoss()
    row = Row(
        "mse_module", "hot path", "mse module 1024×10", "Identical definitions.",
        [x, y], Contender("losskit", lambda: ours(x, y)),
    )
    row.peer("nn.MSELoss", lambda: lambda: theirs(x, y))
    return row


def bce_forward(ctx: Context) -> Row:
    n, c = ctx.size((65536, 1000), (512, 100))
    x, t = ctx.floats(n, c, grad=False), ctx.binary(n, c)
    ours = losskit_loss("bce_with_logits", ctx)
    row = Row(
        "bce_forward", "hot path", f"bce_with_logits forward {n}×{c}",
        "Identical definitions; forward only (no gradient): what the input checks cost on a large input.",
        [x, t], Contender("losskit", lambda: ours(x, t)), backward=False,
    )
    row.peer("F.binary_cross_entropy_with_logits", lambda: lambda: F.binary_cross_entropy_with_logits(x, t))
    return row


def composite2(ctx: Context, *, breakdown: bool = False) -> Row:
    x, y = ctx.floats(1024, 10), ctx.floats(1024, 10, grad=False)
    loss = losskit_loss("mse", ctx) + 0.5 * losskit_loss("l1", ctx)
    if breakdown:
        ours = Contender("losskit", lambda: loss.breakdown(x, y).total)

        def handwritten():
            parts = {"mse": F.mse_loss(x, y), "l1": F.l1_loss(x, y)}
            total = parts["mse"] + 0.5 * parts["l1"]
            _ = {name: value.detach() for name, value in parts.items()}  # the per-term values breakdown hands back
            return total
    else:
        ours = Contender("losskit", lambda: loss(x, y))

        def handwritten():
            return F.mse_loss(x, y) + 0.5 * F.l1_loss(x, y)

    what = "breakdown" if breakdown else "call"
    row = Row(
        f"composite2_{what}", "hot path", f"mse + 0.5·l1 1024×10, {what}",
        "The same sum; breakdown also returns the detached per-term values, which the handwritten version builds too.",
        [x, y], ours,
    )
    row.peer("handwritten sum", lambda: handwritten)
    return row


def composite3(ctx: Context, *, breakdown: bool = False) -> Row:
    x, y = ctx.floats(1024, 10), ctx.floats(1024, 10, grad=False)
    loss = losskit_loss("mse", ctx) + 0.5 * losskit_loss("l1", ctx) + 0.1 * losskit_loss("huber", ctx)
    if breakdown:
        ours = Contender("losskit", lambda: loss.breakdown(x, y).total)

        def handwritten():
            parts = {"mse": F.mse_loss(x, y), "l1": F.l1_loss(x, y), "huber": F.huber_loss(x, y)}
            total = parts["mse"] + 0.5 * parts["l1"] + 0.1 * parts["huber"]
            _ = {name: value.detach() for name, value in parts.items()}
            return total
    else:
        ours = Contender("losskit", lambda: loss(x, y))

        def handwritten():
            return F.mse_loss(x, y) + 0.5 * F.l1_loss(x, y) + 0.1 * F.huber_loss(x, y)

    what = "breakdown" if breakdown else "call"
    row = Row(
        f"composite3_{what}", "hot path", f"mse + 0.5·l1 + 0.1·huber 1024×10, {what}",
        "The same sum; breakdown also returns the detached per-term values, which the handwritten version builds too.",
        [x, y], ours,
    )
    row.peer("handwritten sum", lambda: handwritten)
    return row


def triplet(ctx: Context) -> Row:
    n, d = ctx.size((512, 128), (64, 16))
    a, p, q = ctx.floats(n, d), ctx.floats(n, d, seed=1), ctx.floats(n, d, seed=2)
    ours = losskit_loss("triplet", ctx, margin=1.0)
    row = Row(
        "triplet", "metric", f"triplet {n}×{d}, margin 1",
        "torch: the same definition (eps 1e-6 added to the difference). pytorch-metric-learning mines triplets "
        "from labels; it is given the same explicit triplets (indices_tuple over cat(anchor, positive, negative)), "
        "LpDistance without normalisation, MeanReducer (its default AvgNonZeroReducer averages only the non-zero "
        "terms). pml adds no eps to the difference: a difference far inside the tolerance.",
        [a, p, q], Contender("losskit", lambda: ours(a, p, negative=q)),
    )
    row.peer("F.triplet_margin_loss", lambda: lambda: F.triplet_margin_loss(a, p, q, margin=1.0))

    def pml():
        lib = _peers.pml()
        peer = lib.losses.TripletMarginLoss(
            margin=1.0, distance=lib.distances.LpDistance(normalize_embeddings=False), reducer=lib.reducers.MeanReducer()
        )
        labels = torch.arange(3 * n, device=ctx.device)
        index = torch.arange(n, device=ctx.device)
        triplets = (index, index + n, index + 2 * n)
        return lambda: peer(torch.cat([a, p, q]), labels, indices_tuple=triplets)

    row.peer("pml TripletMarginLoss", pml)
    return row


def linear_cross_entropy(ctx: Context) -> Row:
    rows, vocab = ctx.size((2048, 32000), (64, 1000))
    hidden_size = ctx.lce_hidden or ctx.size(256, 32)
    h = ctx.floats(rows, hidden_size)
    w = (ctx.floats(vocab, hidden_size, grad=False, seed=1) / hidden_size**0.5).requires_grad_()
    y = ctx.classes(vocab, rows)
    ours = losskit_loss("linear_cross_entropy", ctx)
    row = Row(
        "linear_cross_entropy", "memory", f"linear_cross_entropy {rows} tokens / {vocab} vocab / {hidden_size} hidden",
        "The same mean cross-entropy of h Wᵀ. losskit with its default chunk_size; torch's F.linear_cross_entropy "
        "(behind nn.LinearCrossEntropyLoss) with options=LinearCrossEntropyOptions(), its chunked path (options=None "
        "is its reference path, the logits materialised); 'naive' materialises the logits.",
        [h, w, y], Contender("losskit", lambda: ours(h, y, classifier_weight=w)), rtol=1e-4, atol=1e-5,
        heavy=not ctx.quick,
    )
    if hasattr(F, "linear_cross_entropy") and hasattr(nn, "LinearCrossEntropyOptions"):
        options = nn.LinearCrossEntropyOptions()  # opts in to the chunked path ("auto" policy); None is the reference
        row.peer("torch chunked F.linear_cross_entropy",
                 lambda: lambda: F.linear_cross_entropy(h, w, y, options=options))
    else:
        row.missing["torch chunked F.linear_cross_entropy"] = f"torch {torch.__version__} has no chunked F.linear_cross_entropy"
    row.peer("naive logits + F.cross_entropy", lambda: lambda: F.cross_entropy(h @ w.T, y))
    return row


# Every torch.nn loss that losskit also has (the old bench_vs_torch.py), on the spec's own example inputs.
TORCH_NN = {
    "mse": nn.MSELoss,
    "l1": nn.L1Loss,
    "huber": nn.HuberLoss,
    "smooth_l1": nn.SmoothL1Loss,
    "poisson_nll": nn.PoissonNLLLoss,
    "cross_entropy": nn.CrossEntropyLoss,
    "nll": nn.NLLLoss,
    "bce": nn.BCELoss,
    "bce_with_logits": nn.BCEWithLogitsLoss,
    "kl_div": lambda: nn.KLDivLoss(reduction="batchmean"),
    "multi_margin": nn.MultiMarginLoss,
    "multilabel_margin": nn.MultiLabelMarginLoss,
    "multilabel_soft_margin": nn.MultiLabelSoftMarginLoss,
    "soft_margin": nn.SoftMarginLoss,
}


def torch_nn(name: str):  # noqa: ANN201
    def build(ctx: Context) -> Row:
        import losskit

        try:
            spec = losskit.get_spec(name)
        except losskit.UnknownLossError as error:
            raise LossMissing(str(error).splitlines()[0]) from None
        batch = ctx.size(4096, 64)
        example = spec.example(ctx.generator(), dtype=ctx.dtype, device=ctx.device, batch_size=batch)
        if example.context:
            raise LossMissing(f"{name}'s example needs context {sorted(example.context)}")
        x = example.input.detach().clone().requires_grad_(True)
        ours, theirs = losskit_loss(name, ctx), TORCH_NN[name]()
        row = Row(
            f"nn.{name}", "torch.nn", f"{name} batch {batch}", "Identical definitions (the spec's example inputs).",
            [x, example.target], Contender("losskit", lambda: ours(x, example.target)),
        )
        row.peer(f"nn.{type(theirs).__name__}", lambda: lambda: theirs(x, example.target))
        return row

    return build


ROWS = {
    "mse_module": mse_module,
    "bce_forward": bce_forward,
    "composite2_call": composite2,
    "composite2_breakdown": lambda ctx: composite2(ctx, breakdown=True),
    "composite3_call": composite3,
    "composite3_breakdown": lambda ctx: composite3(ctx, breakdown=True),
    "triplet": triplet,
    "linear_cross_entropy": linear_cross_entropy,
    **{f"nn.{name}": torch_nn(name) for name in TORCH_NN},
}
