"""The installed families list their names (``losskit.losses`` entry points): a lookup imports only the
family that provides the name, and every family's list is exactly what it registers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from importlib.metadata import PackageNotFoundError, distribution

import pytest

from losskit import Registry
from losskit.errors import PluginLoadWarning

FAMILIES = ("adversarial", "classification", "metric", "regression", "rl", "segmentation")


def installed(family: str) -> bool:
    try:
        distribution(f"losskit-{family}")
    except PackageNotFoundError:
        return False
    return True


def test_every_installed_list_is_what_its_plugin_registers():
    with warnings.catch_warnings():
        warnings.simplefilter("error", PluginLoadWarning)  # a mismatch is a warning (an error when strict)
        plugins = Registry(strict=True).list_plugins()
    assert {"losskit", *(f for f in FAMILIES if installed(f))} <= {p.name for p in plugins}


@pytest.mark.skipif(not installed("classification"), reason="needs the classification family")
def test_a_lookup_imports_only_the_family_that_provides_the_name():
    code = (
        "import json, sys, losskit; losskit.get_loss('focal', gamma=2.0); "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('losskit'))))"
    )
    env = {**os.environ, "LOSSKIT_STRICT_PLUGINS": "1"}
    env.pop("LOSSKIT_PREFER", None)
    modules = json.loads(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                                        env=env).stdout)
    assert {m.split(".")[0] for m in modules} == {"losskit", "losskit_classification"}
    assert "losskit._builtin" not in modules and "losskit.terms" not in modules  # the core's terms: not needed
