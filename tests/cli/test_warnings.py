"""No warning greets a command: torch's "Failed to initialize NumPy" (numpy is a dependency of the core), and
Dynamo's lru_cache warning when a composite is compiled (tests/cli/test_pipes.py checks that a command's stderr
is empty)."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import torch

from losskit import Registry
from tests.core.registry_helpers import plugin_module, spec

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]


def test_numpy_is_a_dependency_of_the_core():
    """``import torch`` without numpy warns "Failed to initialize NumPy: No module named 'numpy'"."""
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert any(d.split(">")[0].split("=")[0].strip() == "numpy" for d in dependencies)


def test_compiling_a_composite_does_not_warn_about_lru_cache():
    registry = Registry(discover=False, builtins=False)
    registry.register_plugin(plugin_module(spec()), "fix")
    loss = registry.get_loss("scaled_abs") + 0.5 * registry.get_loss("scaled_abs", scale=2.0)
    x, y, w = torch.randn(4, 2), torch.randn(4, 2), torch.rand(4, 2)
    torch.compiler.reset()
    compiled = torch.compile(lambda a, b, w: loss(a, b, weight=w), backend="eager")  # routing a context keyword
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch._dynamo.utils.warn_once_cache.clear()
        assert torch.allclose(compiled(x, y, w), loss(x, y, weight=w))
    assert not [w for w in caught if "lru_cache" in str(w.message)]
