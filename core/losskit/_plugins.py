"""Plugin settings from the environment, the record kept for each plugin, and warnings about plugins."""

from __future__ import annotations

import os
import sys
import warnings
from dataclasses import dataclass, field
from typing import Literal

from ._naming import normalize
from .errors import ConfigError

__all__ = ["PluginInfo", "PluginSettings", "warn_user"]

ENV_ALLOW = "LOSSKIT_PLUGINS"
ENV_BLOCK = "LOSSKIT_DISABLE_PLUGINS"
ENV_STRICT = "LOSSKIT_STRICT_PLUGINS"
ENV_PREFER = "LOSSKIT_PREFER"
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def warn_user(message: str, category: type[Warning]) -> None:
    """Warn at the first frame outside losskit: the user's line, however deep the lazy loading ran."""
    frame, level = sys._getframe(1), 2
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


@dataclass
class PluginInfo:
    """Provenance of one plugin, as shown by ``losskit list --plugins``."""

    name: str
    distribution: str | None
    version: str | None
    status: Literal["active", "blocked", "failed"]
    error: BaseException | None = None
    losses: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        """``'fancy' (fancy-losses 0.3)``"""
        dist = f" ({self.distribution} {self.version})" if self.distribution else ""
        return f"{self.name!r}{dist}"


def _names(value: str | None) -> frozenset[str] | None:
    if value is None or not value.strip():
        return None
    return frozenset(normalize(v) for v in value.split(",") if v.strip())


def _prefer(value: str | None) -> dict[str, str]:
    prefer = {}
    for item in (value or "").split(","):
        if not item.strip():
            continue
        loss, sep, plugin = item.partition("=")
        if not sep or not loss.strip() or not plugin.strip():
            raise ConfigError(
                f"{ENV_PREFER}: expected comma-separated 'loss=plugin' pairs, got {item.strip()!r}."
            )
        prefer[normalize(loss)] = normalize(plugin)
    return prefer


@dataclass(frozen=True)
class PluginSettings:
    """Which plugins load and how failures are treated.

    ``allow``: only these plugins (entry-point or distribution names) load.
    ``block``: these never load, never even import. ``strict``: a failing plugin
    raises instead of warning. ``prefer``: ``{loss name: plugin}`` settles a name
    that two plugins provide. ``None`` means: read the environment variables
    ``LOSSKIT_PLUGINS``, ``LOSSKIT_DISABLE_PLUGINS``, ``LOSSKIT_STRICT_PLUGINS``
    (``1``/``true``) and ``LOSSKIT_PREFER`` (``focal=myplugin,dice=other``).
    """

    allow: frozenset[str] | None = None
    block: frozenset[str] = frozenset()
    strict: bool = False
    prefer: dict[str, str] = field(default_factory=dict)

    @classmethod
    def resolve(
        cls,
        allow: list[str] | None = None,
        block: list[str] | None = None,
        strict: bool | None = None,
        prefer: dict[str, str] | None = None,
    ) -> PluginSettings:
        env = os.environ
        return cls(
            allow=frozenset(map(normalize, allow)) if allow is not None else _names(env.get(ENV_ALLOW)),
            block=frozenset(map(normalize, block)) if block is not None else (_names(env.get(ENV_BLOCK)) or frozenset()),
            strict=strict if strict is not None else env.get(ENV_STRICT, "").lower() in {"1", "true", "yes"},
            prefer={normalize(k): normalize(v) for k, v in prefer.items()} if prefer is not None else _prefer(env.get(ENV_PREFER)),
        )

    def admits(self, plugin: str, distribution: str | None) -> bool:
        names = {normalize(plugin)} | ({normalize(distribution)} if distribution else set())
        if names & self.block:
            return False
        return self.allow is None or bool(names & self.allow)
