"""The index behind a registry: which plugin provides which name, and what a name resolves to.

Names are stored normalised (see :func:`~losskit._naming.normalize`), aliases beside
names. A name that two plugins provide stays reachable as ``plugin:name``; the bare
name is ambiguous unless a preference (``prefer``) settles it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from . import _presentation
from ._naming import did_you_mean, loose, normalize
from ._plugins import ENV_PREFER, PluginInfo
from .errors import AmbiguousLossError, PluginLoadError, SpecError, UnknownLossError
from .loss import Loss, validated
from .spec import LossSpec

__all__ = ["Entry", "LossIndex"]


@dataclass(frozen=True)
class Entry:
    """One spec as one plugin provides it."""

    plugin: str
    spec: LossSpec


def _check_specs(specs: Iterable[object], taken: dict[str, LossSpec] | None = None) -> dict[str, LossSpec]:
    """``{name or alias: spec}`` for ``specs``; :class:`SpecError` for a non-spec or a name given twice
    (among ``specs``, or already in ``taken``: what the plugin provides so far)."""
    own = dict(taken or {})
    new: dict[str, LossSpec] = {}
    for spec in specs:
        if not isinstance(spec, LossSpec):
            raise SpecError(f"register() takes a losskit.LossSpec, got {type(spec).__name__}")
        for key in (spec.name, *spec.aliases):
            if key in own:
                raise SpecError(f"the name {key!r} is registered twice ({own[key].name!r} and {spec.name!r})")
            own[key] = new[key] = spec
    return new


class LossIndex:
    """Every plugin seen (its :class:`PluginInfo` record) and the names its specs answer to.

    Args:
        prefer: ``{loss name: plugin}``, the preferences that settle a clashing bare name.
    """

    def __init__(self, prefer: dict[str, str]) -> None:
        self._prefer = prefer
        self.plugins: dict[str, PluginInfo] = {}  # every plugin seen: active, blocked or failed
        self._names: dict[str, list[Entry]] = {}
        self._by_plugin: dict[str, dict[str, LossSpec]] = {}  # active plugins only
        self._resolved: dict[str, tuple[Entry, str]] = {}  # resolve()'s answers; emptied by every change
        self._changes = 0  # counts changes, so that an answer computed before one is not kept after it

    # -- filling -----------------------------------------------------------------

    def record(self, info: PluginInfo, *, replace: bool = False) -> None:
        """Keep the record of a plugin that provides nothing (blocked or failed); the first one wins
        unless ``replace``, which never hides an active plugin of the same name (its losses stay reachable)."""
        current = self.plugins.get(info.name)
        if current is None or (replace and current.status != "active"):
            self.plugins[info.name] = info
        self._changed()

    def add(self, info: PluginInfo, specs: Iterable[object]) -> list[str]:
        """Index the specs of a new, active plugin under its record: the names indexed, or
        :class:`SpecError` changing nothing."""
        own = _check_specs(specs)
        self.plugins[info.name] = info
        self._by_plugin[info.name] = {}
        return self._index(info, own)

    def extend(self, plugin: str, specs: Iterable[object]) -> list[str]:
        """Index more specs of an active plugin: the names indexed, or :class:`SpecError` changing nothing."""
        return self._index(self.plugins[plugin], _check_specs(specs, self._by_plugin[plugin]))

    def _index(self, info: PluginInfo, own: dict[str, LossSpec]) -> list[str]:
        self._by_plugin[info.name].update(own)
        for key, spec in own.items():
            self._names.setdefault(key, []).append(Entry(info.name, spec))
        info.losses = sorted({*info.losses, *(s.name for s in own.values())})
        self._changed()
        return list(own)

    def _changed(self) -> None:
        # After the change, not before: lookups run without the registry's lock, and an answer stored while
        # a change was under way is dropped here; one computed before it is not stored (see resolve).
        self._changes += 1
        self._resolved.clear()

    def provided(self, plugin: str) -> set[str]:
        """Every name and alias an active plugin provides."""
        return set(self._by_plugin.get(plugin, ()))

    def answers(self, name: str) -> bool:
        """Whether ``name`` was resolved since the index last changed (then :meth:`resolve` is one dict read)."""
        return name in self._resolved

    # -- clashes and preferences -----------------------------------------------------

    def _providers(self, key: str) -> list[str]:
        return sorted({e.plugin for e in self._names[key]})

    def conflicts(self) -> dict[str, list[str]]:
        """``{name: [plugins]}`` for every name provided by more than one plugin."""
        return {k: self._providers(k) for k in sorted(self._names) if len(self._providers(k)) > 1}

    def clash_warnings(self, keys: Iterable[str] | None = None) -> list[str]:
        """A message for each clash among ``keys`` (default: every name) that no preference settles."""
        wanted = set(self._names if keys is None else keys)
        return [
            self._ambiguity(key)
            for key in self._names
            if key in wanted and len(self._providers(key)) > 1 and key not in self._prefer
        ]

    def unmet_preferences(self) -> list[str]:
        """A message for each preference naming a plugin that is not active or lacks the name."""
        messages = []
        for key, plugin in sorted(self._prefer.items()):
            if plugin not in self._by_plugin:
                problem = f"no active plugin named {plugin!r} (active: {', '.join(sorted(self._by_plugin))})"
            elif key not in self._by_plugin[plugin]:
                problem = f"plugin {plugin!r} provides no loss named {key!r}"
            else:
                continue
            messages.append(f"{ENV_PREFER} / Registry(prefer=) asks for {key}={plugin}, but there is {problem}; "
                            "the preference has no effect.")
        return messages

    def _ambiguity(self, key: str) -> str:
        return _presentation.ambiguity(key, [self.plugins[p] for p in self._providers(key)])

    # -- lookup ------------------------------------------------------------------

    def resolve(self, name: str) -> tuple[Entry, str]:
        """The plugin and spec behind ``name``, and the name to record in configs.

        The config name is qualified (``plugin:name``) when the caller qualified
        it or when the bare name is ambiguous, so that the config rebuilds the
        same loss wherever another plugin provides the name too.
        """
        resolved = self._resolved.get(name) if type(name) is str else None  # a repeated lookup: one dict read
        if resolved is not None:
            return resolved
        if not isinstance(name, str):
            raise UnknownLossError(f"a loss name must be a string, got {name!r} of type {type(name).__name__}.")
        changes = self._changes
        plugin, sep, bare = name.partition(":")
        if sep:
            entry = self._resolve_qualified(normalize(plugin), normalize(bare), name)
        else:
            entry = self._resolve_bare(normalize(name), name)
        canonical = entry.spec.name
        qualify = sep or len(self._providers(canonical)) > 1
        resolved = (entry, f"{entry.plugin}:{canonical}" if qualify else canonical)
        if changes == self._changes:
            self._resolved[name] = resolved
        return resolved

    def _resolve_qualified(self, plugin: str, key: str, name: str) -> Entry:
        info = self.plugins.get(plugin)
        if info is None:
            raise UnknownLossError(
                f"no plugin named {plugin!r} (in {name!r}){did_you_mean(plugin, self.plugins) or '.'} "
                f"Installed plugins: {', '.join(sorted(self.plugins)) or 'none'}."
            )
        if info.status == "failed":
            raise PluginLoadError(
                f"{name!r}: plugin {info.label} failed to load: {type(info.error).__name__}: {info.error}"
            ) from info.error
        if info.status == "blocked":
            raise UnknownLossError(
                f"{name!r}: plugin {info.label} is blocked by the plugin allow/block settings "
                "(LOSSKIT_PLUGINS / LOSSKIT_DISABLE_PLUGINS)."
            )
        own = self._by_plugin[plugin]
        spec = own.get(key) or own.get(self._loosely(key, own), None)
        if spec is None:
            raise UnknownLossError(
                f"plugin {plugin!r} has no loss named {key!r}{did_you_mean(key, self._by_plugin[plugin]) or '.'} "
                f"It provides: {', '.join(info.losses) or 'nothing'}."
            )
        return Entry(plugin, spec)

    def _resolve_bare(self, key: str, name: str) -> Entry:
        if key not in self._names:
            key = self._loosely(key, self._names) or key
        entries = self._names.get(key)
        if not entries:
            raise _presentation.unknown_loss(name, key, self._names, self.plugins.values())
        providers = self._providers(key)
        if len(providers) == 1:
            return entries[0]
        preferred = self._prefer.get(key)
        for entry in entries:
            if entry.plugin == preferred:
                return entry
        raise AmbiguousLossError(self._ambiguity(key))

    @staticmethod
    def _loosely(key: str, names: dict[str, Any]) -> str:
        """The name in ``names`` that ``key`` matches in the :func:`~losskit._naming.loose` form (torch's
        ``CrossEntropyLoss`` is ``cross_entropy``), or ``""`` when none does or names of different losses do."""
        form = loose(key)
        matches = [k for k in names if loose(k) == form]
        return matches[0] if matches and all(names[k] == names[matches[0]] for k in matches) else ""

    def build(self, name: str, params: dict[str, Any]) -> Loss:
        """The loss ``name`` resolves to, built with validated ``params`` and its config name."""
        entry, config_name = self.resolve(name)
        spec = entry.spec
        values = validated(config_name, spec.params, params)
        loss = spec.factory(**values)
        if not isinstance(loss, Loss):
            raise SpecError(
                f"{config_name}: the factory of plugin spec {spec.name!r} returned "
                f"{type(loss).__name__}, expected a losskit.Loss subclass."
            )
        object.__setattr__(loss, "_config_name", config_name)  # a plain str: nn.Module.__setattr__'s checks not needed
        return loss

    # -- listing -----------------------------------------------------------------

    def list_losses(self, family: str | None = None) -> list[str]:
        """Sorted names of the losses (of one family); clashing names are listed qualified."""
        if family is not None and normalize(family) not in map(normalize, self.families()):
            raise UnknownLossError(
                f"no loss family named {family!r}{did_you_mean(normalize(family), self.families()) or '.'} "
                f"Installed families: {', '.join(self.families()) or 'none'}."
            )
        names = set()
        for plugin, own in self._by_plugin.items():
            for spec in own.values():
                if family is not None and normalize(spec.family) != normalize(family):
                    continue
                clash = len(self._providers(spec.name)) > 1
                names.add(f"{plugin}:{spec.name}" if clash else spec.name)
        return sorted(names)

    def families(self) -> list[str]:
        return sorted({s.family for own in self._by_plugin.values() for s in own.values()})

    def specs(self) -> list[tuple[str, LossSpec]]:
        """``(qualified name, spec)`` for every loss, sorted."""
        unique = {f"{p}:{s.name}": s for p, own in self._by_plugin.items() for s in own.values()}
        return sorted(unique.items())
