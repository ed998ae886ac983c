"""Fixture losses in an isolated registry (see compose_fixtures)."""

from __future__ import annotations

import pytest

from losskit import Loss, Registry
from tests.compose.compose_fixtures import SPECS


@pytest.fixture
def registry() -> Registry:
    reg = Registry(discover=False, builtins=False)
    reg.register(*SPECS, plugin="fixtures")
    return reg


@pytest.fixture
def square(registry) -> Loss:
    return registry.get_loss("square")


@pytest.fixture
def absolute(registry) -> Loss:
    return registry.get_loss("absolute")
