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


# -- gather=False, and a collective that not every rank joins -------------------------------------------------

LONELY_TIMEOUT = "1"  # seconds a collective waits in these tests (LOSSKIT_COLLECTIVE_TIMEOUT)


def lonely_worker(rank, flag):
    """Rank 0 alone calls the penalties; rank 1 takes part in one forward only, then waits for rank 0 to finish."""
    import os
    import time

    from losskit.errors import CollectiveError
    from losskit.terms.fairness import DemographicParity, EqualizedOdds  # no plugin discovery in the children

    os.environ["LOSSKIT_COLLECTIVE_TIMEOUT"] = LONELY_TIMEOUT
    features, labels, groups, weight = global_batch()
    lo, hi = (0, 7) if rank == 0 else (7, 12)
    logits = (features[lo:hi] @ weight).requires_grad_(True)
    shared = DemographicParity()(logits, labels[lo:hi], groups=groups[lo:hi])  # both ranks: completes
    if rank == 1:
        while not os.path.exists(flag):
            time.sleep(0.05)
        return None
    out = {"local": DemographicParity(gather=False)(logits.detach(), labels[lo:hi], groups=groups[lo:hi])}
    for step, call in (
        ("backward", lambda: shared.backward()),  # rank 1 never runs the backward of the shared value
        ("forward", lambda: EqualizedOdds()(logits.detach(), labels[lo:hi], groups=groups[lo:hi])),
    ):
        start = time.monotonic()
        try:
            call()
        except CollectiveError as exc:
            out[step] = (str(exc), time.monotonic() - start)
        else:
            out[step] = ("completed", time.monotonic() - start)
    open(flag, "w").close()
    return out


@pytest.fixture(scope="module")
def lonely(tmp_path_factory):
    return run_in_processes(lonely_worker, 2, args=(str(tmp_path_factory.mktemp("flag") / "done"),), timeout=60)[0]


def test_gather_false_gives_this_rank_s_batch_without_communicating(lonely):
    features, labels, groups, weight = global_batch()
    expected = get_loss("demographic_parity")(features[:7] @ weight, labels[:7], groups=groups[:7])
    torch.testing.assert_close(lonely["local"], expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(("step", "loss"), [("forward", "equalized_odds"), ("backward", "demographic_parity")])
def test_a_collective_that_one_rank_calls_alone_fails_naming_the_loss_and_the_fix(lonely, step, loss):
    message, waited = lonely[step]
    assert message.startswith(f"{loss}: the "), message
    assert "did not complete within 1 s on rank 0" in message and "gather=False" in message
    assert "LOSSKIT_COLLECTIVE_TIMEOUT" in message
    assert waited < 20  # bounded by the losskit timeout, not the process group's


def test_gather_is_one_documented_parameter_of_every_fairness_penalty():
    from losskit.distributed import GATHER

    for name in ("demographic_parity", "equal_opportunity", "equalized_odds"):
        loss = get_loss(name)
        assert next(p for p in type(loss).params if p.name == "gather") == GATHER
        assert loss.hparams["gather"] is True and loss.to_config()["gather"] is True
        assert "gather" in (type(loss).__doc__ or "")


@pytest.mark.parametrize(("text", "seconds"), [("", 300.0), ("2.5", 2.5), ("0", None), (" 7 ", 7.0)])
def test_the_collective_timeout_from_the_environment(monkeypatch, text, seconds):
    from losskit.distributed import collective_timeout

    monkeypatch.setenv("LOSSKIT_COLLECTIVE_TIMEOUT", text)
    assert collective_timeout() == seconds


@pytest.mark.parametrize("text", ["-1", "soon", "inf", "nan"])
def test_a_bad_collective_timeout_is_a_config_error(monkeypatch, text):
    from losskit import ConfigError
    from losskit.distributed import collective_timeout

    monkeypatch.setenv("LOSSKIT_COLLECTIVE_TIMEOUT", text)
    with pytest.raises(ConfigError, match="^LOSSKIT_COLLECTIVE_TIMEOUT: must be a number of seconds"):
        collective_timeout()
