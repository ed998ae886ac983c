"""The demo's data and its scores: a class-imbalanced binary task whose labels lean on a sensitive group.

About a quarter of the samples are positive: 16% in group 0, 38% in group 1. The
first feature is a noisy copy of the group, so a model trained on accuracy alone
learns to predict positives more often for group 1 (a demographic-parity gap).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

FEATURES = 8


@dataclass(frozen=True)
class Data:
    """``features`` (N, FEATURES), ``labels`` (N,) in {0, 1} as floats, ``groups`` (N,) in {0, 1} as longs."""

    features: Tensor
    labels: Tensor
    groups: Tensor


def synthetic(generator: torch.Generator, n: int) -> Data:
    """``n`` samples: 40% of them in group 1, whose base rate of positives is more than twice group 0's."""
    groups = (torch.rand(n, generator=generator) < 0.4).long()
    features = torch.randn(n, FEATURES, generator=generator)
    features[:, 0] = groups + 0.5 * torch.randn(n, generator=generator)  # the group, visible to the model
    logit = 1.2 * features[:, 1] - features[:, 2] + 0.8 * features[:, 3] * features[:, 4] + 1.6 * groups - 2.4
    labels = (torch.rand(n, generator=generator) < torch.sigmoid(logit)).float()
    return Data(features, labels, groups)


@dataclass(frozen=True)
class Scores:
    """Test-set scores of hard predictions (``score > 0``): the table's first three rows."""

    accuracy: float
    balanced_accuracy: float
    parity_gap: float  # largest difference in the rate of positive predictions between two groups


def score(positive_score: Tensor, data: Data) -> Scores:
    """Scores of the predictions ``positive_score > 0`` (a logit, or a difference of two logits)."""
    predicted = (positive_score > 0).float()
    labels = data.labels
    recalls = [predicted[labels == c].eq(c).float().mean() for c in (0.0, 1.0) if bool((labels == c).any())]
    rates = [predicted[data.groups == g].mean() for g in data.groups.unique()]
    return Scores(
        accuracy=predicted.eq(labels).float().mean().item(),
        balanced_accuracy=torch.stack(recalls).mean().item(),
        parity_gap=(max(rates) - min(rates)).item(),
    )
