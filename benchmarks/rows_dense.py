"""Rows of the dense losses, computed on every pixel or anchor: focal, dice, jaccard, tversky, lovasz, asymmetric."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from . import _peers
from ._row import Contender, Context, Row, losskit_loss

SEGMENTATION = ((8, 4, 128, 128), (2, 4, 16, 16))  # (N, C, H, W): full, quick


def torchvision_sigmoid_focal(x: Tensor, t: Tensor, alpha: float = 0.25, gamma: float = 2.0) -> Tensor:
    """``torchvision.ops.sigmoid_focal_loss(x, t, alpha, gamma, reduction='mean')``, its formula copied inline
    (torchvision 0.20, ``torchvision/ops/focal_loss.py``): there is no CPU torchvision wheel for the pinned torch."""
    p = torch.sigmoid(x)
    ce = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    p_t = p * t + (1 - p) * (1 - t)
    loss = ce * ((1 - p_t) ** gamma)
    alpha_t = alpha * t + (1 - alpha) * (1 - t)
    return (alpha_t * loss).mean()


def monai_region(x: Tensor, y: Tensor, loss: str, **options: object):  # noqa: ANN201
    """A peer factory: MONAI's region ``loss`` (DiceLoss, TverskyLoss) from the logits ``x`` with softmax, the
    class indices ``y`` given as the one channel it one-hot encodes."""
    def build():
        peer, channel = getattr(_peers.monai(), loss)(softmax=True, to_onehot_y=True, **options), y[:, None]
        return lambda: peer(x, channel)

    return build


def sigmoid_focal(ctx: Context) -> Row:
    n, c = ctx.size((65536, 80), (512, 80))
    x, t = ctx.floats(n, c, scale=2.0), ctx.binary(n, c, p=0.1)
    ours = losskit_loss("sigmoid_focal", ctx, alpha=0.25, gamma=2.0)
    row = Row(
        "sigmoid_focal", "dense", f"sigmoid focal {n}×{c}, α .25, γ 2",
        "All compute the mean over every element of α_t (1 - p_t)^γ BCE; smp in mode='binary' (its multilabel mode "
        "loops over the classes); MONAI with use_softmax=False; kornia's BinaryFocalLossWithLogits.",
        [x, t], Contender("losskit", lambda: ours(x, t)),
    )
    row.peer("torchvision formula", lambda: lambda: torchvision_sigmoid_focal(x, t))

    def smp():
        peer = _peers.smp().FocalLoss(mode="binary", alpha=0.25, gamma=2.0)
        return lambda: peer(x, t)

    def monai():
        peer = _peers.monai().FocalLoss(gamma=2.0, alpha=0.25, use_softmax=False, reduction="mean")
        return lambda: peer(x, t)

    def kornia():
        peer = _peers.kornia().BinaryFocalLossWithLogits(alpha=0.25, gamma=2.0, reduction="mean")
        return lambda: peer(x, t)

    row.peer("smp FocalLoss binary", smp)
    row.peer("MONAI FocalLoss", monai)
    row.peer("kornia BinaryFocalLossWithLogits", kornia)
    return row


def softmax_focal(ctx: Context) -> Row:
    n, c, h, w = ctx.size(*SEGMENTATION)
    x, y = ctx.floats(n, c, h, w, scale=2.0), ctx.classes(c, n, h, w)
    ours = losskit_loss("focal", ctx, gamma=2.0)
    row = Row(
        "softmax_focal", "dense", f"softmax focal {n}×{c}×{h}×{w}, γ 2",
        "losskit's mean is over the N·H·W pixels (the paper's); kornia's and MONAI's 'mean' divide the same sum by "
        f"N·C·H·W, so their values are multiplied by C = {c} before the comparison. alpha=None everywhere. smp's "
        "multiclass focal is one sigmoid focal per class (one-vs-rest), another loss: not a peer.",
        [x, y], Contender("losskit", lambda: ours(x, y)),
    )

    def kornia():
        peer = _peers.kornia().FocalLoss(alpha=None, gamma=2.0, reduction="mean")
        return Contender("kornia FocalLoss", lambda: peer(x, y), lambda v: v * c)

    def monai():
        peer = _peers.monai().FocalLoss(gamma=2.0, to_onehot_y=True, use_softmax=True, reduction="mean")
        y1 = y[:, None]
        return Contender("MONAI FocalLoss softmax", lambda: peer(x, y1), lambda v: v * c)

    row.peer("kornia FocalLoss", kornia)
    row.peer("MONAI FocalLoss softmax", monai)
    return row


def _segmentation_inputs(ctx: Context) -> tuple[Tensor, Tensor, tuple[int, ...]]:
    n, c, h, w = shape = ctx.size(*SEGMENTATION)
    return ctx.floats(n, c, h, w, scale=2.0), ctx.classes(c, n, h, w), shape


def _shape(shape: tuple[int, ...]) -> str:
    return "×".join(map(str, shape))


def dice(ctx: Context) -> Row:
    x, y, shape = _segmentation_inputs(ctx)
    ours = losskit_loss("dice", ctx)  # per image, smooth 1e-5 on both sides
    row = Row(
        "dice", "dense", f"dice {_shape(shape)}, per image",
        "Per image and class, softmax, mean over images and classes. MONAI: smooth_nr = smooth_dr = 1e-5, losskit's "
        "smooth (its defaults). kornia average='macro' (per image and class, over the classes present: all are, "
        "in these random targets) has no smoothing, only eps = 1e-8 in the denominator: a difference of ~1e-9 "
        "relative here, inside the tolerance.",
        [x, y], Contender("losskit", lambda: ours(x, y)),
    )

    def kornia():
        fn = _peers.kornia().dice_loss
        return lambda: fn(x, y, average="macro")

    row.peer("MONAI DiceLoss", monai_region(x, y, "DiceLoss", smooth_nr=1e-5, smooth_dr=1e-5, batch=False))
    row.peer("kornia dice_loss macro", kornia)
    return row


def dice_batch(ctx: Context) -> Row:
    x, y, shape = _segmentation_inputs(ctx)
    ours = losskit_loss("dice", ctx, per_image=False, smooth=0.0)
    row = Row(
        "dice_batch", "dense", f"dice {_shape(shape)}, over the batch",
        "Sums over the whole batch per class (losskit per_image=False, MONAI batch=True, smp's only mode). smp: "
        "smooth=0 and a class absent from the target zeroed (all are present here); losskit and MONAI with smooth 0 "
        "to match it (MONAI smooth_nr = smooth_dr = 0).",
        [x, y], Contender("losskit", lambda: ours(x, y)),
    )

    def smp():
        peer = _peers.smp().DiceLoss(mode="multiclass", from_logits=True)
        return lambda: peer(x, y)

    row.peer("MONAI DiceLoss batch", monai_region(x, y, "DiceLoss", smooth_nr=0.0, smooth_dr=0.0, batch=True))
    row.peer("smp DiceLoss", smp)
    return row


def jaccard(ctx: Context) -> Row:
    x, y, shape = _segmentation_inputs(ctx)
    ours = losskit_loss("jaccard", ctx, smooth=5e-6)
    row = Row(
        "jaccard", "dense", f"jaccard {_shape(shape)}, per image",
        "MONAI DiceLoss(jaccard=True) computes 1 - (2I + s)/(2(P + G - I) + s) = 1 - (I + s/2)/(P + G - I + s/2): "
        "its smooth_nr = smooth_dr = 1e-5 equal losskit's smooth = 5e-6.",
        [x, y], Contender("losskit", lambda: ours(x, y)),
    )

    row.peer("MONAI DiceLoss jaccard",
             monai_region(x, y, "DiceLoss", jaccard=True, smooth_nr=1e-5, smooth_dr=1e-5, batch=False))
    return row


def jaccard_batch(ctx: Context) -> Row:
    x, y, shape = _segmentation_inputs(ctx)
    ours = losskit_loss("jaccard", ctx, per_image=False, smooth=0.0)
    row = Row(
        "jaccard_batch", "dense", f"jaccard {_shape(shape)}, over the batch",
        "smp's JaccardLoss sums over the batch (losskit per_image=False), smooth 0, absent classes zeroed "
        "(none absent here).",
        [x, y], Contender("losskit", lambda: ours(x, y)),
    )

    def smp():
        peer = _peers.smp().JaccardLoss(mode="multiclass", from_logits=True)
        return lambda: peer(x, y)

    row.peer("smp JaccardLoss", smp)
    return row


def tversky(ctx: Context) -> Row:
    x, y, shape = _segmentation_inputs(ctx)
    ours = losskit_loss("tversky", ctx, alpha=0.3, beta=0.7)
    row = Row(
        "tversky", "dense", f"tversky {_shape(shape)}, α .3 β .7, per image",
        "α weighs the false positives and β the false negatives in all. MONAI smooth_nr = smooth_dr = 1e-5 "
        "(losskit's smooth). kornia's tversky_loss pools the classes of an image into one index (micro): another "
        "loss, not a peer.",
        [x, y], Contender("losskit", lambda: ours(x, y)),
    )

    row.peer("MONAI TverskyLoss",
             monai_region(x, y, "TverskyLoss", alpha=0.3, beta=0.7, smooth_nr=1e-5, smooth_dr=1e-5, batch=False))
    return row


def tversky_batch(ctx: Context) -> Row:
    x, y, shape = _segmentation_inputs(ctx)
    ours = losskit_loss("tversky", ctx, alpha=0.3, beta=0.7, per_image=False, smooth=0.0)
    row = Row(
        "tversky_batch", "dense", f"tversky {_shape(shape)}, α .3 β .7, over the batch",
        "smp's TverskyLoss sums over the batch (losskit per_image=False), smooth 0, absent classes zeroed "
        "(none absent here); MONAI batch=True, smooth 0.",
        [x, y], Contender("losskit", lambda: ours(x, y)),
    )

    def smp():
        peer = _peers.smp().TverskyLoss(mode="multiclass", alpha=0.3, beta=0.7)
        return lambda: peer(x, y)

    row.peer("smp TverskyLoss", smp)
    row.peer("MONAI TverskyLoss batch",
             monai_region(x, y, "TverskyLoss", alpha=0.3, beta=0.7, smooth_nr=0.0, smooth_dr=0.0, batch=True))
    return row


def lovasz_softmax(ctx: Context) -> Row:
    x, y, shape = _segmentation_inputs(ctx)
    ours = losskit_loss("lovasz_softmax", ctx)  # per image, classes present
    row = Row(
        "lovasz_softmax", "dense", f"lovasz softmax {_shape(shape)}, per image",
        "Per image, over the classes present in it, then the mean over images: smp per_image=True (Berman et "
        "al.'s code); kornia's lovasz_softmax_loss averages over every class of each image (all are present here).",
        [x, y], Contender("losskit", lambda: ours(x, y)),
    )

    def smp():
        peer = _peers.smp().LovaszLoss(mode="multiclass", per_image=True)
        return lambda: peer(x, y)

    def kornia():
        fn = _peers.kornia().lovasz_softmax_loss
        return lambda: fn(x, y)

    row.peer("smp LovaszLoss", smp)
    row.peer("kornia lovasz_softmax_loss", kornia)
    return row


def asymmetric(ctx: Context) -> Row:
    n, c = ctx.size((65536, 80), (512, 80))
    x, t = ctx.floats(n, c, scale=2.0), ctx.binary(n, c, p=0.1)
    ours = losskit_loss("asymmetric", ctx, gamma_pos=0.0, gamma_neg=4.0, clip=0.05, eps=1e-8)
    row = Row(
        "asymmetric", "dense", f"asymmetric {n}×{c}, γ+ 0, γ- 4, clip .05",
        "timm's AsymmetricLossMultiLabel with reduction='mean' (its default 'batchmean' sums over the classes), "
        "gamma_pos=0 (its default is 1), disable_torch_grad_focal_loss=False (the focusing weight is "
        "differentiated, as in losskit).",
        [x, t], Contender("losskit", lambda: ours(x, t)),
    )

    def timm():
        peer = _peers.timm_loss().AsymmetricLossMultiLabel(gamma_neg=4, gamma_pos=0, clip=0.05, eps=1e-8, reduction="mean")
        return lambda: peer(x, t)

    row.peer("timm AsymmetricLossMultiLabel", timm)
    return row


ROWS = {
    row.__name__: row
    for row in (
        sigmoid_focal, softmax_focal, dice, dice_batch, jaccard, jaccard_batch, tversky, tversky_batch,
        lovasz_softmax, asymmetric,
    )
}
