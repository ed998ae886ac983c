"""Gathering is an explicit parameter: with ``per_image=False``, ``gather=False`` computes over this rank's batch
without communicating; with ``gather=True`` (the default) a rank that calls the loss alone gets an error naming the
loss and the fix after ``LOSSKIT_COLLECTIVE_TIMEOUT`` seconds, not a 30-minute hang (2 gloo processes)."""

from __future__ import annotations

import pytest
import torch

from losskit.distributed import GATHER
from losskit.testing import collective_failure, run_on_one_rank
from losskit_segmentation import (
    DiceLoss,
    FocalTverskyLoss,
    GeneralizedDiceLoss,
    JaccardLoss,
    LovaszHingeLoss,
    LovaszSoftmaxLoss,
    TverskyLoss,
    _params,
)

LOSSES = {
    "dice": DiceLoss,
    "jaccard": JaccardLoss,
    "tversky": TverskyLoss,
    "focal_tversky": FocalTverskyLoss,
    "generalized_dice": GeneralizedDiceLoss,
    "lovasz_softmax": LovaszSoftmaxLoss,
    "lovasz_hinge": LovaszHingeLoss,
}
TIMEOUT = 0.25  # seconds, LOSSKIT_COLLECTIVE_TIMEOUT for rank 0


def batch():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 3, 4, 5, generator=g, dtype=torch.float64)
    classes = torch.randint(0, 3, (3, 4, 5), generator=g)
    masks = torch.randint(0, 2, (3, 1, 4, 5), generator=g)
    return logits, classes, masks


def call(name, loss):
    logits, classes, masks = batch()
    if name == "lovasz_hinge":
        return loss(logits[:, :1], masks)
    return loss(logits, classes)


def alone():
    """On rank 0 while rank 1 calls nothing."""
    out = {}
    for name, cls in LOSSES.items():
        out[name, False] = call(name, cls(per_image=False, gather=False))
        out[name, "per_image"] = call(name, cls())  # per-image: no collective, whatever gather says
    for name, cls in LOSSES.items():
        out[name, True] = collective_failure(call, name, cls(per_image=False))
    return out


@pytest.fixture(scope="module")
def rank0():
    return run_on_one_rank(alone, collective_timeout=TIMEOUT)  # short: seven losses each wait it out once


@pytest.mark.parametrize("name", LOSSES)
def test_gather_false_is_this_rank_s_batch(rank0, name):
    local = call(name, LOSSES[name](per_image=False))
    torch.testing.assert_close(rank0[name, False], local, rtol=1e-12, atol=1e-15)
    torch.testing.assert_close(rank0[name, "per_image"], call(name, LOSSES[name]()), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", LOSSES)
def test_one_rank_alone_fails_naming_the_loss_and_the_fix(rank0, name):
    message, waited = rank0[name, True]
    assert message.startswith(f"{name}: the ") and f"did not complete within {TIMEOUT} s on rank 0" in message, message
    assert "gather=False" in message and waited < 20


@pytest.mark.parametrize("name", LOSSES)
def test_gather_is_the_shared_documented_parameter(name):
    cls = LOSSES[name]
    assert _params.GATHER is GATHER
    assert next(p for p in cls.params if p.name == "gather") == GATHER
    assert cls().hparams["gather"] is True and "gather:" in (cls.__doc__ or "")
    assert cls(gather=False).to_config()["gather"] is False
