"""losskit.testing.run_in_processes: results come back in rank order, a failing rank is named with its traceback."""

from __future__ import annotations

import pytest
import torch
import torch.distributed as dist

from losskit.testing import run_in_processes


def sum_of_ranks(rank, offset):
    total = torch.tensor([float(rank)])
    dist.all_reduce(total)
    return {"rank": rank, "world": dist.get_world_size(), "total": total + offset}


def fail_on_rank_one(rank):
    if rank == 1:
        raise ValueError("deliberate failure")


def test_results_come_back_in_rank_order():
    per_rank = run_in_processes(sum_of_ranks, 3, args=(10.0,))
    assert [r["rank"] for r in per_rank] == [0, 1, 2]
    assert all(r["world"] == 3 and torch.equal(r["total"], torch.tensor([13.0])) for r in per_rank)
    assert not dist.is_initialized()  # the parent process never joins the group


def test_a_failing_rank_is_named_with_its_traceback():
    with pytest.raises(RuntimeError, match=r"rank 1 of 2 failed in .*fail_on_rank_one") as info:
        run_in_processes(fail_on_rank_one, 2)
    assert "ValueError: deliberate failure" in str(info.value)
