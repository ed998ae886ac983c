"""The public surface, and what ``import losskit`` must not do."""

from __future__ import annotations

import subprocess
import sys

import losskit

EXPECTED = {
    "AmbiguousLossError", "ConfigError", "ContextError", "ContextKeys", "Example", "Identity", "InputContract",
    "InvalidParamError", "Loss", "LossInputError", "LossSpec", "LosskitError", "Param", "PluginConflictWarning",
    "PluginInfo", "PluginLoadError", "PluginLoadWarning", "Registry", "SpecError", "UnknownLossError",
    "__version__", "default_registry", "describe", "get_loss", "get_spec", "hookimpl", "list_losses",
    "list_plugins", "reduction_param", "reset_default_registry",
}


def test_all_is_pinned_and_every_name_resolves():
    assert EXPECTED <= set(losskit.__all__)
    for name in losskit.__all__:
        assert getattr(losskit, name) is not None


def test_errors_share_one_root():
    for name in ("AmbiguousLossError", "ConfigError", "ContextError", "InvalidParamError", "LossInputError",
                 "PluginLoadError", "SpecError", "UnknownLossError"):
        assert issubclass(getattr(losskit, name), losskit.LosskitError)


def test_import_is_lazy():
    code = (
        "import sys, losskit\n"
        "heavy = [m for m in sys.modules if m == 'torch' or m.startswith('losskit_') and 'editable' not in m"
        " or m in ('losskit.registry', 'importlib_metadata', 'pluggy')]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
