"""The peer libraries, imported on demand; a missing one is a reason to skip its column, never an error.

segmentation-models-pytorch and timm import torchvision in their package ``__init__`` (for their
models), and there is no CPU torchvision wheel for the pinned torch. Their loss modules need none
of it, so where torchvision is absent the package is entered without running its ``__init__``:
a bare package module is put in ``sys.modules`` with the real ``__path__``, and only
``segmentation_models_pytorch.losses`` / ``timm.loss`` are executed. Where torchvision is
installed the packages are imported normally.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from functools import cache
from types import ModuleType


class PeerMissing(Exception):
    """The peer library cannot be imported here; the message says why."""


def _import(module: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise PeerMissing(f"{module}: {type(error).__name__}: {error}") from None


def _without_package_init(package: str, submodule: str) -> ModuleType:
    if importlib.util.find_spec("torchvision") is not None or package in sys.modules:
        return _import(f"{package}.{submodule}")
    spec = importlib.util.find_spec(package)
    if spec is None or spec.submodule_search_locations is None:
        raise PeerMissing(f"{package} is not installed")
    bare = importlib.util.module_from_spec(spec)  # not executed: its __init__ would import torchvision
    sys.modules[package] = bare
    try:
        return _import(f"{package}.{submodule}")
    except PeerMissing:
        del sys.modules[package]
        raise


@cache
def smp() -> ModuleType:
    """``segmentation_models_pytorch.losses``."""
    return _without_package_init("segmentation_models_pytorch", "losses")


@cache
def timm_loss() -> ModuleType:
    """``timm.loss``."""
    return _without_package_init("timm", "loss")


@cache
def monai() -> ModuleType:
    """``monai.losses``."""
    return _import("monai.losses")


@cache
def kornia() -> ModuleType:
    """``kornia.losses``."""
    return _import("kornia.losses")


@cache
def pml() -> ModuleType:
    """``pytorch_metric_learning`` (``.losses``, ``.miners``, ``.distances``, ``.reducers`` imported)."""
    for sub in ("losses", "miners", "distances", "reducers"):
        _import(f"pytorch_metric_learning.{sub}")
    return _import("pytorch_metric_learning")


@cache
def fairret() -> ModuleType:
    """``fairret`` (``.loss`` and ``.statistic`` imported)."""
    _import("fairret.loss")
    _import("fairret.statistic")
    return _import("fairret")


def version(distribution: str) -> str | None:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as _version

    try:
        return _version(distribution)
    except PackageNotFoundError:
        return None


DISTRIBUTIONS = (
    "torch",
    "segmentation-models-pytorch",
    "monai",
    "kornia",
    "kornia_rs",
    "pytorch-metric-learning",
    "timm",
    "fairret",
)
