"""Every torch.nn loss is reachable by name once the families are installed (nox session 'all')."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, distribution

import pytest
import torch
from torch.nn.modules.loss import _Loss

from losskit import Registry

FAMILIES = ("losskit-regression", "losskit-classification", "losskit-metric")
try:
    for _family in FAMILIES:
        distribution(_family)
except PackageNotFoundError:
    pytest.skip("needs every loss family installed (nox session 'all')", allow_module_level=True)

#: torch.nn loss class -> losskit name. NLLLoss2d is torch's deprecated alias of NLLLoss.
TORCH_TO_LOSSKIT = {
    "BCELoss": "bce",
    "BCEWithLogitsLoss": "bce_with_logits",
    "CTCLoss": "ctc",
    "CosineEmbeddingLoss": "cosine_embedding",
    "CrossEntropyLoss": "cross_entropy",
    "GaussianNLLLoss": "gaussian_nll",
    "HingeEmbeddingLoss": "hinge_embedding",
    "HuberLoss": "huber",
    "KLDivLoss": "kl_div",
    "L1Loss": "l1",
    "LinearCrossEntropyLoss": "linear_cross_entropy",
    "MSELoss": "mse",
    "MarginRankingLoss": "margin_ranking",
    "MultiLabelMarginLoss": "multilabel_margin",
    "MultiLabelSoftMarginLoss": "multilabel_soft_margin",
    "MultiMarginLoss": "multi_margin",
    "NLLLoss": "nll",
    "NLLLoss2d": "nll",
    "PoissonNLLLoss": "poisson_nll",
    "SmoothL1Loss": "smooth_l1",
    "SoftMarginLoss": "soft_margin",
    "TripletMarginLoss": "triplet",
    "TripletMarginWithDistanceLoss": "triplet_with_distance",
}

#: Losses called like torch's ``loss(input, target)`` with no extra tensors, compared on the spec's example.
SAME_CALL = {"BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "HuberLoss", "L1Loss", "MSELoss",
             "MultiLabelMarginLoss", "MultiLabelSoftMarginLoss", "MultiMarginLoss", "NLLLoss", "PoissonNLLLoss",
             "SmoothL1Loss", "SoftMarginLoss"}


def torch_losses() -> list[str]:
    return sorted(n for n in dir(torch.nn) if isinstance(getattr(torch.nn, n), type)
                  and issubclass(getattr(torch.nn, n), _Loss) and n != "_Loss")


def test_the_table_covers_every_torch_loss():
    assert set(torch_losses()) <= set(TORCH_TO_LOSSKIT), set(torch_losses()) - set(TORCH_TO_LOSSKIT)


@pytest.mark.parametrize("torch_name", torch_losses())
def test_reachable_by_name(torch_name):
    registry = Registry()
    spec = registry.get_spec(TORCH_TO_LOSSKIT[torch_name])
    assert "torch" in spec.source, f"{spec.name} should cite the torch.nn loss it matches"


@pytest.mark.parametrize("torch_name", sorted(SAME_CALL))
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_matches_torch_on_the_spec_example(torch_name, reduction):
    registry = Registry()
    name = TORCH_TO_LOSSKIT[torch_name]
    example = registry.get_spec(name).example(
        torch.Generator().manual_seed(0), dtype=torch.float64, device="cpu", batch_size=5
    )
    ours = registry.get_loss(name, reduction=reduction)(example.input, example.target)
    theirs = getattr(torch.nn, torch_name)(reduction=reduction)(example.input, example.target)
    torch.testing.assert_close(ours, theirs)
