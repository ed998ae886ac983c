"""Isolated registries: no entry points, no builtins."""

from __future__ import annotations

import pytest

from losskit import Registry


@pytest.fixture
def registry() -> Registry:
    return Registry(discover=False, builtins=False, strict=False)
