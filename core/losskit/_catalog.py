"""Which plugin to import for a name, read from entry points without importing any plugin.

A plugin may list the names it provides (its losses' names and aliases) as entry points of the
``losskit.losses`` group, each pointing at the plugin's module, the same value as its
``losskit.plugins`` entry point::

    [project.entry-points."losskit.plugins"]
    fancy = "fancy_losses.plugin"

    [project.entry-points."losskit.losses"]
    fancy_focal = "fancy_losses.plugin"
    ffl = "fancy_losses.plugin"

``get_loss("fancy_focal")`` then imports that plugin, plus every plugin that lists no names (it
might provide any), and no other. The answer is the one a registry with every plugin imported
gives: every plugin that lists the name, or a name of the same loose form, is imported, so
clashes and qualified config names come out the same. The registry checks each listing against
what the plugin registers when it imports it (:func:`listing_mismatch`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ._naming import loose, normalize

__all__ = ["BUILTIN_VALUE", "NAMES_GROUP", "Catalog", "PluginEntry", "listing_mismatch"]

NAMES_GROUP = "losskit.losses"
BUILTIN_VALUE = "losskit._builtin"  # the core's own terms list their names under this value


@dataclass(eq=False)  # identity: one record per plugin
class PluginEntry:
    """One plugin to import: a ``losskit.plugins`` entry point, or ``None`` for the core's own terms,
    and the names it lists (``None``: it lists none, so it may provide any name)."""

    entry_point: Any
    names: frozenset[str] | None = None
    loose_names: frozenset[str] = field(default=frozenset())
    imported: bool = False

    def lists(self, key: str, form: str) -> bool:
        return self.names is not None and (key in self.names or form in self.loose_names)


def _value(ep: Any) -> str:
    return str(getattr(ep, "value", "")).strip()


def _entry(ep: Any, names: set[str] | None) -> PluginEntry:
    if not names:
        return PluginEntry(ep)
    return PluginEntry(ep, frozenset(names), frozenset(map(loose, names)))


class Catalog:
    """The plugins a registry may import, in load order, and the names each lists.

    Args:
        plugins: the ``losskit.plugins`` entry points (admitted or not: the loader decides).
        name_entry_points: the ``losskit.losses`` entry points of every distribution.
        builtins: whether the core's own terms are part of the registry.
    """

    def __init__(self, plugins: Iterable[Any], name_entry_points: Iterable[Any], *, builtins: bool) -> None:
        listed: dict[str, set[str]] = {}  # by module: one module is one distribution's
        for ep in name_entry_points:
            listed.setdefault(_value(ep), set()).add(normalize(ep.name))
        self.builtin = _entry(None, listed.get(BUILTIN_VALUE)) if builtins else None
        self.plugins = [_entry(ep, listed.get(_value(ep))) for ep in plugins]
        plugin_names = [normalize(ep.entry_point.name) for ep in self.plugins]
        # Two plugins of one name (or one named like the core's terms): which is refused depends on the
        # order of import, so only importing them all in order gives the answer.
        self.selective = len(set(plugin_names)) == len(plugin_names) and "losskit" not in plugin_names

    def needed_for(self, name: str) -> list[PluginEntry]:
        """What to import so that ``name`` resolves as with every plugin imported: the plugins listing
        it (exactly or, when none does, in its loose form) and those listing nothing; not yet imported."""
        key = normalize(name)
        everyone = ([self.builtin] if self.builtin else []) + self.plugins
        exact = [p for p in everyone if p.names is not None and key in p.names]
        listing = exact or [p for p in everyone if p.lists(key, loose(key))]
        return [p for p in everyone if (p.names is None or p in listing) and not p.imported]


def listing_mismatch(label: str, value: str, listed: frozenset[str] | set[str], registered: Iterable[str]) -> str:
    """A message when a plugin's ``losskit.losses`` entry points are not exactly the names it registers, or ``""``."""
    registered = set(registered)
    missing, extra = sorted(registered - set(listed)), sorted(set(listed) - registered)
    if not missing and not extra:
        return ""
    parts = [f"lists {', '.join(map(repr, extra))}, which it does not register" if extra else "",
             f"does not list {', '.join(map(repr, missing))}, which it registers" if missing else ""]
    table = "\n".join(f'{name} = "{value}"' for name in sorted(registered))
    return (
        f"plugin {label}: its {NAMES_GROUP!r} entry points {' and '.join(p for p in parts if p)}; lookups by "
        f"name may import the wrong plugins. Its package metadata should list every name and alias it "
        f'registers:\n[project.entry-points."{NAMES_GROUP}"]\n{table}'
    )
