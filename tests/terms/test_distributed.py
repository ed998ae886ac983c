"""torch.distributed: fairness penalties and gathers over 3 gloo processes equal one process over the global batch.

Convention checked (see losskit.distributed): every rank gets the global value;
rank r's input gradient is world_size * the single-process gradient of its
slice, so that DDP's averaging of parameter gradients gives exactly the
single-process parameter gradient.
"""

from __future__ import annotations

import pytest
import torch
import torch.distributed as dist

from losskit import get_loss
from losskit.distributed import all_gather_cat, all_reduce_sum, is_distributed, world_size
from losskit.testing import run_in_processes

WORLD = 3
SIZES = (7, 0, 5)  # unequal, and one rank with an empty batch
CASES = [
    ("demographic_parity", {}),
    ("equal_opportunity", {"gap": "to_overall"}),
    ("equalized_odds", {"form": "squared"}),
    ("equalized_odds", {"gap": "to_overall", "form": "squared"}),
]


def global_batch():
    g = torch.Generator().manual_seed(0)
    n = sum(SIZES)
    features = torch.randn(n, 4, generator=g, dtype=torch.float64)
    labels = torch.randint(0, 2, (n,), generator=g).to(torch.float64)
    groups = torch.tensor([0, 1, 3, 0, 1, 3, 0, 1, 3, 4, 4, 3])  # id 2 absent; id 4 only on the last rank
    weight = torch.randn(4, generator=g, dtype=torch.float64)
    return features, labels, groups, weight


def run(case, features, labels, groups, weight):
    """Loss value, gradient of the shared weight, gradient of the logits."""
    name, params = case
    w = weight.clone().requires_grad_(True)
    logits = features @ w
    logits.retain_grad()
    value = get_loss(name, **params)(logits, labels, groups=groups)
    value.backward()
    return value.detach(), w.grad, logits.grad


def gathered_quadratic(x):
    """A batch-coupled function through all_gather_cat: each rank's local terms against the global mean."""
    everyone = all_gather_cat(x)
    return ((x - everyone.mean()) ** 2).sum()


def worker(rank):
    features, labels, groups, weight = global_batch()
    lo, hi = sum(SIZES[:rank]), sum(SIZES[: rank + 1])
    results = []
    for case in CASES:
        value, w_grad, logit_grad = run(case, features[lo:hi], labels[lo:hi], groups[lo:hi], weight)
        dist.all_reduce(w_grad)  # what DDP does with parameter gradients: average over ranks
        results.append((value, w_grad / WORLD, logit_grad))
    x = features[lo:hi, 0].clone().requires_grad_(True)
    gathered_quadratic(x).backward()
    return results, x.grad, is_distributed(), world_size(), all_reduce_sum(torch.ones(1)).item()


@pytest.fixture(scope="module")
def per_rank():
    return run_in_processes(worker, WORLD)


def test_helpers_see_the_process_group(per_rank):
    for rank in range(WORLD):
        _, _, distributed, size, total = per_rank[rank]
        assert distributed and size == WORLD and total == WORLD


@pytest.mark.parametrize("index", range(len(CASES)), ids=[f"{n}-{p}" for n, p in CASES])
def test_value_and_gradients_equal_one_process_over_the_global_batch(per_rank, index):
    value, w_grad, logit_grad = run(CASES[index], *global_batch())
    for rank in range(WORLD):
        r_value, r_w_grad, r_logit_grad = per_rank[rank][0][index]
        lo, hi = sum(SIZES[:rank]), sum(SIZES[: rank + 1])
        assert torch.allclose(r_value, value, rtol=1e-12, atol=1e-15)
        assert torch.allclose(r_w_grad, w_grad, rtol=1e-10, atol=1e-14)
        assert torch.allclose(r_logit_grad, WORLD * logit_grad[lo:hi], rtol=1e-10, atol=1e-14)


def test_all_gather_cat_gradient(per_rank):
    x = global_batch()[0][:, 0].clone().requires_grad_(True)
    # Every rank's loss is its local part; summed over ranks it is the single-process function.
    ((x - x.mean()) ** 2).sum().backward()
    for rank in range(WORLD):
        lo, hi = sum(SIZES[:rank]), sum(SIZES[: rank + 1])
        assert torch.allclose(per_rank[rank][1], x.grad[lo:hi], rtol=1e-10, atol=1e-14)


def test_single_process_helpers_are_the_identity():
    x = torch.randn(3, requires_grad=True)
    assert not is_distributed() and world_size() == 1
    assert all_reduce_sum(x) is x and all_gather_cat(x) is x
