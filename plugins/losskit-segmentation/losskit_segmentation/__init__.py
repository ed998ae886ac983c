"""Segmentation losses for losskit: Dice, generalised Dice, Jaccard, Tversky, focal Tversky, Lovász."""

from __future__ import annotations

from .dice import DiceLoss, dice_loss
from .focal_tversky import FocalTverskyLoss, focal_tversky_loss
from .generalized_dice import GeneralizedDiceLoss, generalized_dice_loss
from .jaccard import JaccardLoss, jaccard_loss
from .lovasz_hinge import LovaszHingeLoss, lovasz_hinge_loss
from .lovasz_softmax import LovaszSoftmaxLoss, lovasz_softmax_loss
from .tversky import TverskyLoss, tversky_loss

__all__ = [
    "DiceLoss",
    "FocalTverskyLoss",
    "GeneralizedDiceLoss",
    "JaccardLoss",
    "LovaszHingeLoss",
    "LovaszSoftmaxLoss",
    "TverskyLoss",
    "dice_loss",
    "focal_tversky_loss",
    "generalized_dice_loss",
    "jaccard_loss",
    "lovasz_hinge_loss",
    "lovasz_softmax_loss",
    "tversky_loss",
]
