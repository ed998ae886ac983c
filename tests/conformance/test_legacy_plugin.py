"""A plugin written against losskit 0.1's documented API keeps working as the API and the kit grow."""

from __future__ import annotations

import pytest
import torch

from losskit import Registry
from losskit.spec import CONFORMANCE_LEVEL
from losskit.testing import check_loss
from tests.conformance import legacy_tukey_0_1 as legacy


def test_the_0_1_example_builds_and_computes_as_it_did():
    registry = Registry(discover=False)
    registry.register(legacy.SPEC, plugin="legacy")
    loss = registry.get_loss("biweight", c=1.0)
    assert torch.allclose(loss(torch.tensor([0.0, 5.0]), torch.zeros(2)), torch.tensor(1 / 12))
    assert loss.to_config() == {"name": "tukey_biweight", "c": 1.0, "reduction": "mean"}


def test_the_0_1_example_passes_the_kit_with_warnings_only_for_newer_checks():
    assert legacy.SPEC.conformance == 1 < CONFORMANCE_LEVEL
    results = check_loss(legacy.SPEC)
    failed = [r for r in results if r.status == "failed"]
    assert not failed, failed
    warned = {r.check for r in results if r.status == "warned"}
    # What the 0.1 example does that the level-2 rules refuse: a float64 target promotes the loss, and
    # the loss is rounded to bfloat16 under autocast. Both are reported, with the fix.
    assert warned == {"check_target_dtypes", "check_autocast"}
    assert all("conformance=2" in r.message for r in results if r.status == "warned")


def test_declaring_the_current_level_makes_the_newer_checks_fail():
    import dataclasses

    current = dataclasses.replace(legacy.SPEC, conformance=CONFORMANCE_LEVEL)
    results = {r.check: r.status for r in check_loss(current)}
    assert results["check_target_dtypes"] == results["check_autocast"] == "failed"


@pytest.mark.parametrize("level", [0, CONFORMANCE_LEVEL + 1, "2"])
def test_a_conformance_level_this_kit_does_not_know_is_refused(level):
    import dataclasses

    from losskit.errors import SpecError

    with pytest.raises(SpecError, match="conformance must be a level from 1 to"):
        dataclasses.replace(legacy.SPEC, conformance=level)


def test_losskit_check_shows_the_warnings_and_does_not_fail(capsys):
    from losskit.testing import cli_table

    registry = Registry(discover=False)
    registry.register(legacy.SPEC, plugin="legacy")
    status = cli_table.run_and_print(registry, ["tukey_biweight"], only=["check_autocast", "check_reduction"])
    out = capsys.readouterr().out
    assert status == 0
    assert "1 passed, 0 failed, 1 warned" in out
    assert "tukey_biweight check_autocast: " in out and "conformance=2" in out
