"""Gathering is an explicit parameter: ``gather=False`` computes over this rank's batch without communicating;
with ``gather=True`` (the default) a rank that calls the loss alone gets an error naming the loss and the fix
after ``LOSSKIT_COLLECTIVE_TIMEOUT`` seconds, not a 30-minute hang (2 gloo processes)."""

from __future__ import annotations

import pytest
import torch

from losskit.distributed import GATHER
from losskit.testing import collective_failure, run_on_one_rank
from losskit_metric.multi_similarity import MultiSimilarityLoss
from losskit_metric.nt_xent import NTXentLoss
from losskit_metric.supcon import SupConLoss

LOSSES = {"nt_xent": NTXentLoss, "supcon": SupConLoss, "multi_similarity": MultiSimilarityLoss}
TIMEOUT = 1  # seconds, LOSSKIT_COLLECTIVE_TIMEOUT for rank 0


def batch():
    g = torch.Generator().manual_seed(0)
    return torch.randn(6, 4, generator=g, dtype=torch.float64), torch.randn(6, 4, generator=g, dtype=torch.float64)


def call(name, loss):
    first, second = batch()
    if name == "nt_xent":
        return loss(first, second)
    return loss(first, torch.tensor([0, 1, 0, 1, 2, 2]))


def alone():
    """On rank 0 while rank 1 calls nothing."""
    out = {(name, False): call(name, cls(gather=False)) for name, cls in LOSSES.items()}
    for name, cls in LOSSES.items():
        out[name, True] = collective_failure(call, name, cls())
    return out


@pytest.fixture(scope="module")
def rank0():
    return run_on_one_rank(alone, collective_timeout=TIMEOUT)


@pytest.mark.parametrize("name", LOSSES)
def test_gather_false_is_this_rank_s_batch(rank0, name):
    torch.testing.assert_close(rank0[name, False], call(name, LOSSES[name]()), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", LOSSES)
def test_one_rank_alone_fails_naming_the_loss_and_the_fix(rank0, name):
    message, waited = rank0[name, True]
    assert message.startswith(f"{name}: the ") and f"did not complete within {TIMEOUT} s on rank 0" in message, message
    assert "gather=False" in message and waited < 20


@pytest.mark.parametrize("name", LOSSES)
def test_gather_is_the_shared_documented_parameter(name):
    cls = LOSSES[name]
    assert next(p for p in cls.params if p.name == "gather") == GATHER
    assert cls().hparams["gather"] is True and "gather:" in (cls.__doc__ or "")
    assert cls(gather=False).to_config()["gather"] is False
