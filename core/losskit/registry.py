"""The registry: finds plugins through entry points and builds losses by name.

Registries are plain objects: ``Registry(discover=False)`` is an empty,
isolated one for tests, and the default registry behind ``losskit.get_loss``
is built lazily on first use (see :mod:`losskit._default`).
"""

from __future__ import annotations

import os
import sys
import threading
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import importlib_metadata

from . import hooks
from ._naming import did_you_mean, normalize
from ._plugins import ENV_ALLOW, ENV_BLOCK, ENV_PREFER, PluginInfo, PluginSettings
from .errors import (
    AmbiguousLossError,
    PluginConflictWarning,
    PluginLoadError,
    PluginLoadWarning,
    SpecError,
    UnknownLossError,
)
from .loss import Loss
from .params import validate_params
from .spec import LossSpec

__all__ = ["Registry"]

BUILTIN_PLUGIN = "losskit"
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _warn(message: str, category: type[Warning]) -> None:
    """Warn at the first frame outside losskit: the user's line, however deep the lazy loading ran."""
    frame, level = sys._getframe(1), 2
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


@dataclass(frozen=True)
class _Entry:
    plugin: str
    spec: LossSpec


class Registry:
    """Loss specs from plugins, looked up by (case- and ``-``/``_``-insensitive) name.

    Args:
        discover: load the plugins installed under the ``losskit.plugins`` entry-point group.
        builtins: register the core's own terms (penalties, fairness, composites).
        allow, block, strict, prefer: see :class:`~losskit._plugins.PluginSettings`;
            ``None`` reads the corresponding environment variable.
    """

    def __init__(
        self,
        *,
        discover: bool = True,
        builtins: bool = True,
        allow: list[str] | None = None,
        block: list[str] | None = None,
        strict: bool | None = None,
        prefer: dict[str, str] | None = None,
        group: str = hooks.ENTRY_POINT_GROUP,
    ) -> None:
        self._settings = PluginSettings.resolve(allow, block, strict, prefer)
        self._discover, self._builtins, self._group = discover, builtins, group
        self._lock = threading.RLock()
        self._clear()

    def _clear(self) -> None:
        self._loaded = False
        self._pm = hooks.PluginManager(hooks.PROJECT)
        self._pm.add_hookspecs(hooks)
        self._plugins: dict[str, PluginInfo] = {}
        self._index: dict[str, list[_Entry]] = {}
        self._by_plugin: dict[str, dict[str, LossSpec]] = {}
        self._inline: dict[str, tuple[LossSpec, ...]] = {}  # what register() was given, per plugin name

    def reset(self) -> None:
        """Forget every plugin; the next lookup discovers them again."""
        with self._lock:
            self._clear()

    # -- loading -----------------------------------------------------------------

    def _ensure_loaded(self) -> None:
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            try:
                if self._builtins:
                    from . import __version__, _builtin

                    self._add_plugin(_builtin, BUILTIN_PLUGIN, "losskit", __version__)
                if self._discover:
                    self._load_entry_points()
            except BaseException:  # strict mode: forget the half-loaded state so that a retry starts afresh
                self._clear()
                raise
            self._warn_conflicts(self._index)
            if self._discover:  # plugins registered later by hand may still satisfy a preference
                self._warn_unmet_preferences()
            self._loaded = True

    def _warn_unmet_preferences(self) -> None:
        for key, plugin in sorted(self._settings.prefer.items()):
            if plugin not in self._by_plugin:
                problem = f"no active plugin named {plugin!r} (active: {', '.join(sorted(self._by_plugin))})"
            elif key not in self._by_plugin[plugin]:
                problem = f"plugin {plugin!r} provides no loss named {key!r}"
            else:
                continue
            _warn(f"{ENV_PREFER} / Registry(prefer=) asks for {key}={plugin}, but there is {problem}; "
                  "the preference has no effect.", PluginConflictWarning)

    def _load_entry_points(self) -> None:
        for ep in importlib_metadata.entry_points(group=self._group):
            dist = ep.dist.metadata["Name"] if ep.dist else None
            version = ep.dist.version if ep.dist else None
            name = normalize(ep.name)
            if not self._settings.admits(name, dist):
                self._plugins[name] = PluginInfo(name, dist, version, "blocked")
                continue
            try:
                plugin = ep.load()
            except Exception as exc:
                self._fail(PluginInfo(name, dist, version, "failed"), exc, "failed to import")
                continue
            self._add_plugin(plugin, name, dist, version)

    def register_plugin(
        self, plugin: object, name: str, *, distribution: str | None = None, version: str | None = None
    ) -> PluginInfo:
        """Register an in-process plugin (a module or object with a ``losskit_register_losses`` hookimpl)."""
        with self._lock:
            self._ensure_loaded()
            before = {k: list(v) for k, v in self._index.items()}
            info = self._add_plugin(plugin, normalize(name), distribution, version)
            self._warn_conflicts({k: v for k, v in self._index.items() if len(v) != len(before.get(k, ()))})
            return info

    def register(self, *specs: LossSpec, plugin: str = "__main__") -> None:
        """Register specs directly, as if a plugin named ``plugin`` had handed them over.

        Calling it again with the same ``plugin`` adds to that plugin; a name it
        already provides raises :class:`SpecError` and changes nothing.
        """
        with self._lock:
            self._ensure_loaded()
            name = normalize(plugin)
            earlier = self._inline.get(name, ())
            if earlier:
                self._check_specs([*earlier, *specs])
                self._forget(name)
            every = (*earlier, *specs)

            class _Inline:
                @hooks.hookimpl
                def losskit_register_losses(self, register: Any) -> None:
                    for spec in every:
                        register(spec)

            if self.register_plugin(_Inline(), name).status == "active":
                self._inline[name] = every

    def _forget(self, name: str) -> None:
        """Remove an active plugin and its names (``register`` then re-adds it with more specs)."""
        self._pm.unregister(name=name)
        del self._plugins[name]
        for key in self._by_plugin.pop(name):
            self._index[key] = [e for e in self._index[key] if e.plugin != name]
            if not self._index[key]:
                del self._index[key]

    def _add_plugin(self, plugin: object, name: str, dist: str | None, version: str | None) -> PluginInfo:
        info = PluginInfo(name, dist, version, "active")
        if name in self._plugins:
            self._fail(info, SpecError(f"the plugin name is already used by {self._plugins[name].label}"), "was refused")
            return info
        specs: list[LossSpec] = []
        try:
            self._pm.register(plugin, name=name)
            try:
                self._pm.check_pending()
                for impl in self._pm.hook.losskit_register_losses.get_hookimpls():
                    if impl.plugin_name == name:
                        impl.function(register=specs.append)
                own = self._check_specs(specs)
            except BaseException:
                self._pm.unregister(name=name)
                raise
        except Exception as exc:
            self._fail(info, exc, "failed to register its losses")
            return info
        self._plugins[name] = info
        self._by_plugin[name] = own
        for key, spec in own.items():
            self._index.setdefault(key, []).append(_Entry(name, spec))
        info.losses = sorted({s.name for s in specs})
        return info

    @staticmethod
    def _check_specs(specs: Iterable[object]) -> dict[str, LossSpec]:
        own: dict[str, LossSpec] = {}
        for spec in specs:
            if not isinstance(spec, LossSpec):
                raise SpecError(f"register() takes a losskit.LossSpec, got {type(spec).__name__}")
            for key in (spec.name, *spec.aliases):
                if key in own:
                    raise SpecError(f"the name {key!r} is registered twice ({own[key].name!r} and {spec.name!r})")
                own[key] = spec
        return own

    def _fail(self, info: PluginInfo, exc: BaseException, what: str) -> None:
        info.status, info.error = "failed", exc
        self._plugins.setdefault(info.name, info)
        message = (
            f"plugin {info.label} {what}: {type(exc).__name__}: {exc}. The other plugins are loaded; "
            f"`losskit list --plugins` shows its status, {ENV_BLOCK}={info.name} skips it."
        )
        if self._settings.strict:
            raise PluginLoadError(message) from exc
        _warn(message, PluginLoadWarning)

    def _warn_conflicts(self, index: dict[str, list[_Entry]]) -> None:
        for key, entries in index.items():
            providers = sorted({e.plugin for e in entries})
            if len(providers) > 1 and key not in self._settings.prefer:
                _warn(self._ambiguity(key, providers), PluginConflictWarning)

    def _ambiguity(self, key: str, providers: list[str]) -> str:
        labels = " and ".join(self._plugins[p].label for p in providers)
        qualified = " or ".join(f"'{p}:{key}'" for p in providers)
        return (
            f"the loss name {key!r} is provided by plugins {labels}. Choose one with a qualified name "
            f"({qualified}) or a preference: {ENV_PREFER}={key}={providers[0]} or Registry(prefer=...)."
        )

    # -- lookup ------------------------------------------------------------------

    def _resolve(self, name: str) -> tuple[_Entry, str]:
        """The plugin and spec behind ``name``, and the name to record in configs.

        The config name is qualified (``plugin:name``) when the caller qualified
        it or when the bare name is ambiguous, so that the config rebuilds the
        same loss wherever another plugin provides the name too.
        """
        if not isinstance(name, str):
            raise UnknownLossError(f"a loss name must be a string, got {name!r} of type {type(name).__name__}.")
        self._ensure_loaded()
        plugin, sep, bare = name.partition(":")
        if sep:
            entry = self._resolve_qualified(normalize(plugin), normalize(bare), name)
        else:
            entry = self._resolve_bare(normalize(name), name)
        canonical = entry.spec.name
        qualify = sep or len({e.plugin for e in self._index[canonical]}) > 1
        return entry, f"{entry.plugin}:{canonical}" if qualify else canonical

    def _resolve_qualified(self, plugin: str, key: str, name: str) -> _Entry:
        info = self._plugins.get(plugin)
        if info is None:
            raise UnknownLossError(
                f"no plugin named {plugin!r} (in {name!r}){did_you_mean(plugin, self._plugins) or '.'} "
                f"Installed plugins: {', '.join(sorted(self._plugins)) or 'none'}."
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
        spec = self._by_plugin[plugin].get(key)
        if spec is None:
            raise UnknownLossError(
                f"plugin {plugin!r} has no loss named {key!r}{did_you_mean(key, self._by_plugin[plugin]) or '.'} "
                f"It provides: {', '.join(info.losses) or 'nothing'}."
            )
        return _Entry(plugin, spec)

    def _resolve_bare(self, key: str, name: str) -> _Entry:
        entries = self._index.get(key)
        if not entries:
            raise self._unknown(name, key)
        providers = sorted({e.plugin for e in entries})
        if len(providers) == 1:
            return entries[0]
        preferred = self._settings.prefer.get(key)
        for entry in entries:
            if entry.plugin == preferred:
                return entry
        raise AmbiguousLossError(self._ambiguity(key, providers))

    def _unknown(self, name: str, key: str) -> UnknownLossError:
        message = (
            f"no loss named {name!r}{did_you_mean(key, self._index) or '.'}\n"
            "  `losskit list` shows every installed loss; loss families install separately, "
            "e.g. `pip install losskit-classification`."
        )
        blocked = [i.label for i in self._plugins.values() if i.status == "blocked"]
        if blocked:
            message += (
                f"\n  These plugins are blocked by {ENV_ALLOW} / {ENV_BLOCK} (or Registry(allow=, block=)) "
                f"and may provide it: {', '.join(blocked)}."
            )
        failed = [i for i in self._plugins.values() if i.status == "failed"]
        if failed:
            message += "\n  These plugins failed to load and may provide it: " + ", ".join(
                f"{i.label}: {type(i.error).__name__}: {i.error}" for i in failed
            )
        error = UnknownLossError(message)
        if failed:
            error.__cause__ = failed[0].error
        return error

    def get_spec(self, name: str) -> LossSpec:
        """The :class:`LossSpec` registered under ``name`` (or an alias, or ``plugin:name``)."""
        return self._resolve(name)[0].spec

    def get_loss(self, name: str, **params: Any) -> Loss:
        """Build the loss registered under ``name`` with validated ``params``.

        >>> get_loss("huber", delta=0.5)  # doctest: +SKIP
        """
        entry, config_name = self._resolve(name)
        spec = entry.spec
        values = validate_params(config_name, spec.params, params)
        loss = spec.factory(**values)
        if not isinstance(loss, Loss):
            raise SpecError(
                f"{config_name}: the factory of plugin spec {spec.name!r} returned "
                f"{type(loss).__name__}, expected a losskit.Loss subclass."
            )
        loss._config_name = config_name
        return loss

    def list_losses(self, family: str | None = None) -> list[str]:
        """Sorted names of the registered losses (of one family); clashing names are listed qualified."""
        self._ensure_loaded()
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
                clash = len({e.plugin for e in self._index[spec.name]}) > 1
                names.add(f"{plugin}:{spec.name}" if clash else spec.name)
        return sorted(names)

    def families(self) -> list[str]:
        self._ensure_loaded()
        return sorted({s.family for own in self._by_plugin.values() for s in own.values()})

    def specs(self) -> list[tuple[str, LossSpec]]:
        """``(qualified name, spec)`` for every registered loss, sorted; what the conformance suite runs over."""
        self._ensure_loaded()
        unique = {f"{p}:{s.name}": s for p, own in self._by_plugin.items() for s in own.values()}
        return sorted(unique.items())

    def provider(self, name: str) -> PluginInfo:
        """The plugin that provides ``name``."""
        return self._plugins[self._resolve(name)[0].plugin]

    def describe(self, name: str) -> str:
        """A readable description: summary, parameters, input contract, source."""
        entry, config_name = self._resolve(name)
        spec, info = entry.spec, self._plugins[entry.plugin]
        lines = [
            f"{config_name} — {spec.summary}",
            f"  family: {spec.family}; plugin: {info.label}",
        ]
        if spec.aliases:
            lines.append(f"  aliases: {', '.join(spec.aliases)}")
        lines.append("  parameters:")
        for p in spec.params or ():
            lines.append(f"    {p.name} = {p.default!r}  ({p.expected()}): {p.doc}")
        keys = spec.context_keys
        if keys is not None and keys.accepted:
            described = (f"{k} (required)" if k in keys.required else k for k in sorted(keys.accepted))
            lines.append(f"  context keywords: {', '.join(described)}")
        c = spec.contract
        lines += [
            f"  input: {c.input} {c.input_shape}; target: {c.target} {c.target_shape}",
            f"  output: {c.output_shape}",
            f"  source: {spec.source}",
        ]
        if spec.tags:
            lines.append(f"  tags: {', '.join(sorted(spec.tags))}")
        return "\n".join(lines)

    def list_plugins(self) -> list[PluginInfo]:
        """Every plugin seen: active, blocked or failed, with its distribution, version and losses (copies)."""
        self._ensure_loaded()
        return [replace(self._plugins[k], losses=list(self._plugins[k].losses)) for k in sorted(self._plugins)]

    def conflicts(self) -> dict[str, list[str]]:
        """``{name: [plugins]}`` for every name provided by more than one plugin."""
        self._ensure_loaded()
        return {
            k: sorted({e.plugin for e in v}) for k, v in sorted(self._index.items()) if len({e.plugin for e in v}) > 1
        }

    def fingerprint(self) -> str:
        """Sorted ``distribution==version`` of the active plugins, for experiment logs."""
        active = {
            f"{i.distribution}=={i.version}"
            for i in self.list_plugins()
            if i.status == "active" and i.distribution
        }
        return ";".join(sorted(active))
