"""DDP over 2 gloo processes: adversarial training gives the gradients of one process over the global batch.

Each rank attacks its own half of the batch through the DDP wrapper's
``.module`` (no collective inside the attack); the final forward passes go
through the wrapper, so DDP averages the parameter gradients. With
``reduction='mean'`` and equal halves, that average is the single-process
gradient of the mean over the whole batch.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from losskit.testing import run_in_processes
from losskit_adversarial import MARTLoss, PGDAdversarialLoss, TradesLoss

WORLD = 2
# The classes, not get_loss: the spawned ranks then skip discovering every installed plugin.
CASES = (
    ("pgd_adversarial", PGDAdversarialLoss, {"steps": 3, "random_start": False}),
    ("trades", TradesLoss, {"steps": 3}),
    ("mart", MARTLoss, {"steps": 3}),
)


def setup():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3)).double()
    g = torch.Generator().manual_seed(1)
    x = torch.rand(8, 6, generator=g, dtype=torch.float64)
    y = torch.randint(0, 3, (8,), generator=g)
    start = 1e-3 * torch.randn(8, 6, generator=g, dtype=torch.float64)
    return model, x, y, start


def step(model, wrapper, x, y, start, loss, params):
    """One training step's gradients: clean forward through the wrapper, the loss, backward."""
    model.zero_grad()
    value = loss(**params)(wrapper(x), y, model=wrapper, inputs=x, start=start)
    value.backward()
    return value.detach(), [p.grad.clone() for p in model.parameters()]


def worker(rank):
    torch.set_num_threads(1)
    model, x, y, start = setup()
    ddp = DistributedDataParallel(model)
    half = slice(rank * 4, rank * 4 + 4)
    results = [step(model, ddp, x[half], y[half], start[half], loss, params) for _, loss, params in CASES]
    modes = [m.training for m in ddp.modules()]
    return results, modes


@pytest.fixture(scope="module")
def per_rank():
    return run_in_processes(worker, WORLD, timeout=120)


@pytest.mark.parametrize("index", range(len(CASES)), ids=[name for name, _, _ in CASES])
def test_ddp_gradients_equal_one_process_over_the_global_batch(per_rank, index):
    model, x, y, start = setup()
    _, loss, params = CASES[index]
    value, grads = step(model, model, x, y, start, loss, params)
    values = [per_rank[rank][0][index][0] for rank in range(WORLD)]
    torch.testing.assert_close(sum(values) / WORLD, value, rtol=1e-10, atol=1e-12)
    for rank in range(WORLD):
        for got, want in zip(per_rank[rank][0][index][1], grads):
            torch.testing.assert_close(got, want, rtol=1e-9, atol=1e-12)


def test_ddp_modes_are_restored(per_rank):
    for rank in range(WORLD):
        assert all(per_rank[rank][1])
