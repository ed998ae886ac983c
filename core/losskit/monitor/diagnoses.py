"""The rules of thumb behind each finding: what the curve usually means, why, and what to try.

Practitioners read loss curves by a handful of rules: a NaN means the run is
lost; a sudden jump means an outlier batch or exploding gradients; a loss
that keeps rising means the step is too large; violent oscillation means the
learning rate is too high (or the batch too small); a long plateau means too
little capacity, vanishing gradients or a learning rate too low; a falling
training loss with a rising validation loss is overfitting; both losses high
and flat is underfitting; in a composite, a weight can drown the other terms.
Each detector attaches one :class:`Diagnosis` from :data:`DIAGNOSES` to its
findings, keyed by the detector's name (and a variant after a ``/``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["DIAGNOSES", "Diagnosis", "diagnosis"]


@dataclass(frozen=True)
class Diagnosis:
    """A rule of thumb: likely causes and remedies, most likely first, and where the rule comes from."""

    rule: str
    causes: tuple[str, ...]
    remedies: tuple[str, ...]
    source: str


DIAGNOSES: Mapping[str, Diagnosis] = MappingProxyType({
    "nonfinite": Diagnosis(
        "a NaN or an infinity means the run is lost from that step on",
        ("learning rate too high: the weights overflowed", "exploding gradients",
         "a log or a division of 0 in this term (log(0), 0/0)", "a corrupt batch at that step (NaN/inf in the data)",
         "float16 overflow without loss scaling"),
        ("lower the learning rate", "clip gradients (torch.nn.utils.clip_grad_norm_)",
         "check the batch at that step for NaN/inf", "add an epsilon or clamp inside this term",
         "use bfloat16 or torch.amp.GradScaler"),
        "stop-on-NaN callbacks (Keras TerminateOnNaN, Lightning EarlyStopping(check_finite=True))",
    ),
    "spike": Diagnosis(
        "a sudden jump means an outlier batch or exploding gradients",
        ("an outlier or mislabelled batch at that step", "exploding gradients", "learning rate too high at that point "
         "of the schedule (end of warm-up, a restart)", "Adam's second-moment estimate too small (epsilon too small)"),
        ("check the data of that step", "clip gradients", "skip the step (losskit.monitor.SkipStep)",
         "lower the peak learning rate or lengthen the warm-up"),
        "modified z-score with the MAD (Iglewicz & Hoaglin 1993); large-model trainers skip steps whose loss "
        "z-score over ~128 steps exceeds ~6; PaLM (Chowdhery et al. 2022, sec. 5.1) on loss spikes",
    ),
    "divergence": Diagnosis(
        "a loss that rises and stays up means the step is too large for the curvature",
        ("learning rate too high (above the stability limit 2/lambda_max)", "exploding gradients",
         "a bug that changes the data or the target distribution mid-run"),
        ("lower the learning rate (by 3-10x)", "clip gradients", "add or lengthen the warm-up",
         "roll back to the last good checkpoint"),
        "LeCun, Bottou, Orr & Mueller, Efficient BackProp (1998): step sizes beyond 2/lambda_max diverge",
    ),
    "plateau/high": Diagnosis(
        "a long plateau far above the start means the model is stuck",
        ("learning rate too low, or decayed too early", "vanishing gradients (saturated activations, bad "
         "initialisation, dead ReLUs)", "too little capacity", "a bug: labels shuffled apart from inputs, a frozen model"),
        ("raise the learning rate or delay its decay", "check gradient norms per layer; use normalisation, residual "
         "connections or a better initialisation", "first overfit one small batch to rule out a bug",
         "add capacity"),
        "early stopping's patience and min_delta (Keras EarlyStopping, torch ReduceLROnPlateau); "
        "Glorot & Bengio (2010) on vanishing gradients",
    ),
    "plateau/low": Diagnosis(
        "a plateau after a large decrease usually means convergence at this learning rate",
        ("converged at this learning rate", "learning rate too high to descend further (noise floor)",
         "the capacity limit of the model"),
        ("decay the learning rate (ReduceLROnPlateau)", "stop early if validation agrees",
         "add capacity if the loss is still higher than wanted"),
        "early stopping's patience and min_delta (Keras EarlyStopping, torch ReduceLROnPlateau)",
    ),
    "oscillation": Diagnosis(
        "violent oscillation means the learning rate is too high or the batch too small",
        ("learning rate too high: each step overshoots the minimum", "momentum too high for this learning rate",
         "batches that alternate between two populations (unshuffled or interleaved data)", "batch too small"),
        ("lower the learning rate", "lower the momentum", "shuffle the data", "increase the batch size"),
        "LeCun et al. (1998); Goodfellow, Bengio & Courville, Deep Learning (2016), sec. 8.3; "
        "Goh, Why Momentum Really Works (Distill 2017)",
    ),
    "overfitting": Diagnosis(
        "a falling training loss with a rising validation loss is overfitting",
        ("the model memorises the training set", "too little data or data augmentation", "too little regularisation",
         "training too long"),
        ("stop early: keep the checkpoint of the best validation loss", "add regularisation (weight decay, "
         "dropout, an l2_penalty term)", "add data or augmentation", "reduce capacity"),
        "Prechelt, Early Stopping - But When? (1998): generalisation loss GL = 100 (E_va / E_opt - 1)",
    ),
    "underfitting": Diagnosis(
        "both losses high and flat is underfitting",
        ("too little capacity", "learning rate too low", "too much regularisation", "features that do not "
         "carry the target, or a bug in the labels"),
        ("add capacity (wider, deeper)", "raise the learning rate or train longer", "reduce regularisation",
         "first overfit one small batch to rule out a bug"),
        "Goodfellow, Bengio & Courville, Deep Learning (2016), sec. 5.2; "
        "Karpathy, A Recipe for Training Neural Networks (2019)",
    ),
    "balance/dominating": Diagnosis(
        "in a composite, one term whose weighted value drowns the others decides the gradient alone",
        ("its weight is too large for its scale", "the other terms' weights too small", "a term with a "
         "different unit (a sum where the others are means)"),
        ("rebalance the weights so that the weighted terms have comparable sizes", "normalise every term "
         "the same way (reduction='mean')", "learn the weights (losskit MultiTask with uncertainty weighting)"),
        "Kendall, Gal & Cipolla (CVPR 2018); Chen et al., GradNorm (ICML 2018)",
    ),
    "balance/vanishing": Diagnosis(
        "a term whose weighted share falls to nothing no longer shapes the model",
        ("the term is satisfied (a penalty reaching 0), which may be fine", "its weight is too small for its scale",
         "it collapsed (a constant prediction makes some terms 0)"),
        ("raise its weight if it should still matter", "drop it if it is satisfied",
         "check its inputs if it fell suddenly"),
        "Kendall, Gal & Cipolla (CVPR 2018); Chen et al., GradNorm (ICML 2018)",
    ),
})


def diagnosis(key: str) -> Diagnosis:
    """The diagnosis for a detector (``"spike"``) or a variant (``"plateau/high"``)."""
    return DIAGNOSES[key]
