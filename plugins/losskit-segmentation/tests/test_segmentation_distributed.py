"""torch.distributed: batch losses (per_image=False) over 3 gloo processes equal one process over the global batch.

Convention checked (see losskit.distributed): every rank gets the global value; rank r's logit gradient
is world_size times the single-process gradient of its slice, so that DDP's averaging of parameter
gradients gives exactly the single-process parameter gradient.
"""

from __future__ import annotations

import pytest
import torch
import torch.distributed as dist

from losskit import get_loss
from losskit.testing import run_in_processes

WORLD = 3
SIZES = (3, 0, 2)  # unequal, and one rank with an empty batch
IGNORE = 255
CASES = [
    ("dice", {}),
    ("dice", {"squared": True}),
    ("generalized_dice", {}),
    ("jaccard", {"smooth": 0.0}),
    ("tversky", {"mode": "multilabel"}),
    ("focal_tversky", {}),
    ("lovasz_softmax", {}),
    ("lovasz_hinge", {"mode": "multilabel"}),
]


def global_batch():
    g = torch.Generator().manual_seed(0)
    n = sum(SIZES)
    features = torch.randn(n, 4, 3, 5, generator=g, dtype=torch.float64)
    classes = torch.randint(0, 3, (n, 3, 5), generator=g)
    classes[torch.rand(classes.shape, generator=g) < 0.2] = IGNORE  # class targets have ignored pixels
    labels = torch.randint(0, 2, (n, 3, 3, 5), generator=g)
    weight = torch.randn(3, 4, generator=g, dtype=torch.float64)
    return features, classes, labels, weight


def run(case, features, classes, labels, weight):
    """Loss value, gradient of the shared weight, gradient of the logits."""
    name, params = case
    w = weight.clone().requires_grad_(True)
    logits = torch.einsum("nfhw,cf->nchw", features, w)
    logits.retain_grad()
    target = labels if params.get("mode") == "multilabel" else classes
    value = get_loss(name, per_image=False, ignore_index=IGNORE, **params)(logits, target)
    value.backward()
    return value.detach(), w.grad, logits.grad


def worker(rank):
    lo, hi = sum(SIZES[:rank]), sum(SIZES[: rank + 1])
    *batch, weight = global_batch()
    results = []
    for case in CASES:
        value, w_grad, logit_grad = run(case, *(t[lo:hi] for t in batch), weight)
        dist.all_reduce(w_grad)  # what DDP does with parameter gradients: average over ranks
        results.append((value, w_grad / WORLD, logit_grad))
    return results


@pytest.fixture(scope="module")
def per_rank():
    return run_in_processes(worker, WORLD)


@pytest.mark.parametrize("index", range(len(CASES)), ids=[f"{n}-{p}" for n, p in CASES])
def test_batch_loss_equals_one_process_over_the_global_batch(per_rank, index):
    value, w_grad, logit_grad = run(CASES[index], *global_batch())
    for rank in range(WORLD):
        r_value, r_w_grad, r_logit_grad = per_rank[rank][index]
        lo, hi = sum(SIZES[:rank]), sum(SIZES[: rank + 1])
        torch.testing.assert_close(r_value, value, rtol=1e-12, atol=1e-14)
        torch.testing.assert_close(r_w_grad, w_grad, rtol=1e-10, atol=1e-14)
        torch.testing.assert_close(r_logit_grad, WORLD * logit_grad[lo:hi], rtol=1e-10, atol=1e-14)
