"""losskit.testing.run_on_one_rank and collective_failure: one rank calling a collective alone, for plugin tests."""

from __future__ import annotations

import os

import pytest
import torch
import torch.distributed as dist

from losskit.distributed import ENV_TIMEOUT, all_reduce_sum
from losskit.testing import collective_failure, run_on_one_rank


def alone(offset):
    x = torch.tensor([1.0])
    return {
        "rank": dist.get_rank(),
        "timeout": os.environ[ENV_TIMEOUT],
        "local": collective_failure(torch.add, x, offset),
        "alone": collective_failure(all_reduce_sum, x),
    }


def raise_on_rank_zero():
    raise ValueError("deliberate failure")


def test_rank_zero_s_collective_fails_within_the_timeout_and_a_local_call_completes():
    out = run_on_one_rank(alone, args=(2.0,), collective_timeout=0.25)
    assert out["rank"] == 0 and out["timeout"] == "0.25"
    assert out["local"][0] == "completed"
    message, waited = out["alone"]
    assert "did not complete within 0.25 s on rank 0" in message and waited < 20, message


def test_a_failure_on_rank_zero_is_named_with_its_traceback():
    with pytest.raises(RuntimeError, match=r"^run_on_one_rank: rank 0 of 2 failed in .*raise_on_rank_zero") as info:
        run_on_one_rank(raise_on_rank_zero, timeout=30)
    assert "ValueError: deliberate failure" in str(info.value)
