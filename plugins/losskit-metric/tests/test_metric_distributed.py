"""torch.distributed: the in-batch losses over 3 gloo processes equal one process over the global batch.

Convention checked (see losskit_metric._gather and losskit.distributed): each rank
scores its local anchors against the gathered global batch. 'none' gives the local
samples' losses (the rows of the global 'none'); 'mean' and 'sum' give the global
value on every rank, rank r's embedding gradient is world_size times the
single-process gradient of its rows, and averaging parameter gradients over ranks
(what DDP does) gives exactly the single-process parameter gradient.
"""

from __future__ import annotations

import pytest
import torch
import torch.distributed as dist

from losskit import get_loss
from losskit.testing import run_in_processes

WORLD = 3
SIZES = (4, 0, 3)  # unequal, and one rank with an empty batch
CASES = [
    ("nt_xent", {"temperature": 0.5}, "two_views"),
    ("supcon", {"temperature": 0.3}, "views"),
    ("supcon", {}, "single"),
    ("multi_similarity", {"epsilon": 0.3}, "single"),
]
REDUCTIONS = ("mean", "sum", "none")


def global_batch():
    g = torch.Generator().manual_seed(0)
    n = sum(SIZES)
    features = torch.randn(n, 2, 5, generator=g, dtype=torch.float64)
    labels = torch.tensor([0, 1, 2, 0, 1, 1, 3])  # label 3 has no positive; labels cross ranks
    weight = torch.randn(5, 5, generator=g, dtype=torch.float64)
    return features, labels, weight


def run(case, reduction, features, labels, weight):
    """Loss value, gradient of the shared weight, gradient of the embeddings."""
    name, params, kind = case
    w = weight.clone().requires_grad_(True)
    embeddings = features @ w
    embeddings.retain_grad()
    loss = get_loss(name, reduction=reduction, **params)
    if kind == "two_views":
        value = loss(embeddings[:, 0], embeddings[:, 1])
    else:
        value = loss(embeddings if kind == "views" else embeddings[:, 0], labels)
    value.sum().backward()
    return value.detach(), w.grad, embeddings.grad


def worker(rank):
    features, labels, weight = global_batch()
    lo, hi = sum(SIZES[:rank]), sum(SIZES[: rank + 1])
    results = {}
    for case in CASES:
        for reduction in REDUCTIONS:
            value, w_grad, grad = run(case, reduction, features[lo:hi], labels[lo:hi], weight)
            dist.all_reduce(w_grad)  # what DDP does with parameter gradients: average over ranks
            results[case[0], case[2], reduction] = (value, w_grad / WORLD, grad)
    return results


@pytest.fixture(scope="module")
def per_rank():
    return run_in_processes(worker, WORLD)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("case", CASES, ids=[f"{n}-{k}" for n, _, k in CASES])
def test_value_and_gradients_equal_one_process_over_the_global_batch(per_rank, case, reduction):
    value, w_grad, grad = run(case, reduction, *global_batch())
    for rank in range(WORLD):
        r_value, r_w_grad, r_grad = per_rank[rank][case[0], case[2], reduction]
        lo, hi = sum(SIZES[:rank]), sum(SIZES[: rank + 1])
        torch.testing.assert_close(r_value, value, rtol=1e-12, atol=1e-14)
        torch.testing.assert_close(r_w_grad, w_grad, rtol=1e-10, atol=1e-13)
        torch.testing.assert_close(r_grad, WORLD * grad[lo:hi], rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("case", CASES, ids=[f"{n}-{k}" for n, _, k in CASES])
def test_none_gives_the_local_rows_of_the_global_losses(per_rank, case):
    value, _, _ = run(case, "none", *global_batch())
    for rank in range(WORLD):
        lo, hi = sum(SIZES[:rank]), sum(SIZES[: rank + 1])
        torch.testing.assert_close(per_rank[rank][case[0], case[2], "none"][0], value[lo:hi], rtol=1e-12, atol=1e-14)
