"""Correct fixture losses pass every check that applies; the checks that do not apply say why."""

from __future__ import annotations

import pytest
import torch

from losskit.testing import check_loss
from tests.conformance.conformance_fixtures import CORRECT, MASKED_CE, SQUARED_NORM, registry_with

APPLIES_NOT = {  # the checks that do not apply to each fixture (check_cuda: on a machine without a GPU)
    "power": {"check_discovery", "check_ignore_index", "check_integer_targets", "check_cuda"},
    "masked_ce": {
        "check_discovery", "check_identities", "check_weight", "check_functional", "check_target_dtypes",
        "check_optimum", "check_compile", "check_cuda",
    },
    "weighted_ce": {
        "check_discovery", "check_identities", "check_weight", "check_target_dtypes", "check_optimum", "check_cuda",
    },
    "squared_norm": {
        "check_discovery", "check_identities", "check_ignore_index", "check_weight", "check_batch_independence",
        "check_reference", "check_functional", "check_integer_targets", "check_target_dtypes", "check_optimum",
        "check_cuda",
    },
    "scaled_abs": {
        "check_discovery", "check_identities", "check_ignore_index", "check_integer_targets", "check_compile",
        "check_cuda",
    },
}


@pytest.mark.parametrize("spec", CORRECT, ids=[s.name for s in CORRECT])
def test_correct_loss_passes_every_check(spec):
    results = check_loss(spec)  # passed directly: an isolated registry of its own
    failed = [f"{r.check}: {r.message}" for r in results if r.status == "failed"]
    assert not failed, "\n".join(failed)
    cuda = set() if torch.cuda.is_available() else {"check_cuda"}
    assert {r.check for r in results if r.status == "skipped"} == APPLIES_NOT[spec.name] - {"check_cuda"} | cuda
    assert all(r.message.startswith("not applicable: ") for r in results if r.status == "skipped")


def test_discovery_passes_for_a_registered_spec():
    registry = registry_with(*CORRECT)
    results = {r.check: r for r in check_loss("power", registry=registry)}
    assert results["check_discovery"].status == "passed"  # in-process plugin: no distribution to compare
    assert {r.status for r in results.values()} <= {"passed", "skipped"}


def test_penalty_is_checked_through_its_model():
    results = {r.check: r for r in check_loss(SQUARED_NORM)}
    for name in ("check_gradcheck", "check_extreme_inputs", "check_no_mutation", "check_dtypes"):
        assert results[name].status == "passed", results[name].message


def test_ignore_index_and_non_ignored_mean_are_checked():
    results = {r.check: r for r in check_loss(MASKED_CE)}
    assert results["check_ignore_index"].status == "passed"
    assert results["check_reduction"].status == "passed"
