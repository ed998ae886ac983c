"""docs/catalogue.md lists every loss the repository's own distributions register."""

from __future__ import annotations

from pathlib import Path

from losskit import Registry

CATALOGUE = (Path(__file__).resolve().parents[2] / "docs" / "catalogue.md").read_text()
OURS = {
    "losskit",
    "losskit-adversarial",
    "losskit-classification",
    "losskit-metric",
    "losskit-regression",
    "losskit-rl",
    "losskit-segmentation",
}


def test_every_installed_loss_of_ours_is_in_the_catalogue():
    registry = Registry()
    missing = []
    for qualified, spec in registry.specs():
        if registry.provider(qualified).distribution not in OURS:
            continue
        if f"| `{spec.name}` |" not in CATALOGUE or spec.source not in CATALOGUE:
            missing.append(spec.name)
    assert not missing, f"regenerate docs/catalogue.md with `losskit list --markdown`; missing: {missing}"
