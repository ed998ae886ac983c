"""Gathering is an explicit parameter: ``gather=False`` computes over this rank's batch without communicating;
with ``gather=True`` (the default) a rank that calls the loss alone gets an error naming the loss and the fix
after ``LOSSKIT_COLLECTIVE_TIMEOUT`` seconds, not a 30-minute hang (2 gloo processes)."""

from __future__ import annotations

import pytest
import torch

from losskit.distributed import GATHER
from losskit.testing import run_in_processes
from losskit_metric.multi_similarity import MultiSimilarityLoss
from losskit_metric.nt_xent import NTXentLoss
from losskit_metric.supcon import SupConLoss

LOSSES = {"nt_xent": NTXentLoss, "supcon": SupConLoss, "multi_similarity": MultiSimilarityLoss}


def batch():
    g = torch.Generator().manual_seed(0)
    return torch.randn(6, 4, generator=g, dtype=torch.float64), torch.randn(6, 4, generator=g, dtype=torch.float64)


def call(name, loss):
    first, second = batch()
    if name == "nt_xent":
        return loss(first, second)
    return loss(first, torch.tensor([0, 1, 0, 1, 2, 2]))


def worker(rank, flag):
    import os
    import time

    from losskit.errors import CollectiveError

    if rank == 1:  # never calls a loss; stays in the group until rank 0 is done
        while not os.path.exists(flag):
            time.sleep(0.05)
        return None
    os.environ["LOSSKIT_COLLECTIVE_TIMEOUT"] = "1"
    out = {}
    for name, cls in LOSSES.items():
        out[name, False] = call(name, cls(gather=False))
    for name, cls in LOSSES.items():
        start = time.monotonic()
        try:
            call(name, cls())
        except CollectiveError as exc:
            out[name, True] = (str(exc), time.monotonic() - start)
        else:
            out[name, True] = ("completed", time.monotonic() - start)
    open(flag, "w").close()
    return out


@pytest.fixture(scope="module")
def rank0(tmp_path_factory):
    return run_in_processes(worker, 2, args=(str(tmp_path_factory.mktemp("flag") / "done"),), timeout=60)[0]


@pytest.mark.parametrize("name", LOSSES)
def test_gather_false_is_this_rank_s_batch(rank0, name):
    torch.testing.assert_close(rank0[name, False], call(name, LOSSES[name]()), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", LOSSES)
def test_one_rank_alone_fails_naming_the_loss_and_the_fix(rank0, name):
    message, waited = rank0[name, True]
    assert message.startswith(f"{name}: the ") and "did not complete within 1 s on rank 0" in message, message
    assert "gather=False" in message and waited < 20


@pytest.mark.parametrize("name", LOSSES)
def test_gather_is_the_shared_documented_parameter(name):
    cls = LOSSES[name]
    assert next(p for p in cls.params if p.name == "gather") == GATHER
    assert cls().hparams["gather"] is True and "gather:" in (cls.__doc__ or "")
    assert cls(gather=False).to_config()["gather"] is False
