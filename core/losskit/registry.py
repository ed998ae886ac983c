"""The registry: finds plugins through entry points and builds losses by name.

Registries are plain objects: ``Registry(discover=False)`` is an empty,
isolated one for tests, and the default registry behind ``losskit.get_loss``
is built lazily on first use (see :mod:`losskit._default`).

:class:`Registry` is the facade over four parts, each with one job:
:mod:`losskit._catalog` (which plugins a name needs imported, from the names
plugins list in their metadata), :mod:`losskit._loading` (plugins in: entry
points, allow/block lists, strict mode, failures), :mod:`losskit._index`
(names, aliases, clashes, preferences, resolution and building) and
:mod:`losskit._presentation` (what people read).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import importlib_metadata

from . import _presentation, hooks
from ._catalog import BUILTIN_VALUE, NAMES_GROUP, Catalog, PluginEntry, listing_mismatch
from ._index import LossIndex
from ._loading import PluginLoader
from ._naming import normalize
from ._plugins import PluginInfo, PluginSettings, warn_user
from .errors import AmbiguousLossError, PluginConflictWarning, PluginLoadError, PluginLoadWarning, UnknownLossError
from .loss import Loss
from .spec import LossSpec

__all__ = ["Registry"]

BUILTIN_PLUGIN = "losskit"

T = TypeVar("T")


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
        self._catalog: Catalog | None = None
        self._index = LossIndex(self._settings.prefer)
        self._loader = PluginLoader(self._settings, self._index)

    def reset(self) -> None:
        """Forget every plugin; the next lookup discovers them again."""
        with self._lock:
            self._clear()

    # -- loading -----------------------------------------------------------------

    def _ensure_loaded(self) -> None:
        """Import every plugin (what is not imported yet), once."""
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            try:
                if self._builtins:
                    self._warn_clashes(self._import([self._read_catalog().builtin]))
                if self._discover:
                    self._load_entry_points()
            except BaseException:  # strict mode: forget the half-loaded state so that a retry starts afresh
                self._clear()
                raise
            if self._discover:  # plugins registered later by hand may still satisfy a preference
                for message in self._index.unmet_preferences():
                    warn_user(message, PluginConflictWarning)
            self._loaded = True

    def _load_entry_points(self) -> None:
        self._warn_clashes(self._import(self._read_catalog().plugins))

    def _read_catalog(self) -> Catalog:
        if self._catalog is None:
            found = importlib_metadata.entry_points() if self._discover else None  # one scan for both groups
            plugins = found.select(group=self._group) if found is not None else ()
            names = found.select(group=NAMES_GROUP) if found is not None else ()
            self._catalog = Catalog(plugins, names, builtins=self._builtins)
        return self._catalog

    def _load_for(self, name: str) -> bool:
        """Import only the plugins that ``name`` needs (see :mod:`losskit._catalog`); ``False`` when the
        answer needs every plugin: an unknown name (its error suggests from them all), a qualified
        name, preferences, or plugins that list no names and do not provide it."""
        if not self._discover or self._settings.prefer or ":" in name:
            return False
        catalog = self._read_catalog()
        if not catalog.selective:
            return False
        try:
            self._warn_clashes(self._import(catalog.needed_for(name)))
            entry, _ = self._index.resolve(name)
            more = catalog.needed_for(entry.spec.name)  # another plugin may list the canonical name only
            if more:
                self._warn_clashes(self._import(more))
                self._index.resolve(name)
        except AmbiguousLossError:  # every plugin listing the name is imported: the same ambiguity
            return True
        except UnknownLossError:
            return False
        except BaseException:
            self._clear()
            raise
        return True

    def _import(self, entries: Iterable[PluginEntry | None]) -> list[str]:
        """Import ``entries`` not imported yet, in order, checking what each lists: the names indexed."""
        added: list[str] = []
        for entry in entries:
            if entry is None or entry.imported:
                continue
            entry.imported = True
            if entry.entry_point is None:
                from . import __version__, _builtin

                info, names = self._loader.add_plugin(_builtin, BUILTIN_PLUGIN, "losskit", __version__)
            else:
                info, names = self._loader.load_entry_point(entry.entry_point)
            added += names
            if entry.names is not None and info.status == "active":
                self._check_listing(info, entry)
        return added

    def _check_listing(self, info: PluginInfo, entry: PluginEntry) -> None:
        value = BUILTIN_VALUE if entry.entry_point is None else str(entry.entry_point.value)
        message = listing_mismatch(info.label, value, entry.names or frozenset(), self._index.provided(info.name))
        if message and self._settings.strict:
            raise PluginLoadError(message)
        if message:
            warn_user(message, PluginLoadWarning)

    def _add_plugin(self, plugin: object, name: str, dist: str | None, version: str | None) -> PluginInfo:
        return self._loader.add_plugin(plugin, name, dist, version)[0]

    def _warn_clashes(self, keys: Iterable[str] | None = None) -> None:
        for message in self._index.clash_warnings(keys):
            warn_user(message, PluginConflictWarning)

    def _loaded_for(self, name: object) -> LossIndex:
        """The index, with what ``name`` needs imported (unless ``name`` is not even a string: the index
        refuses it)."""
        if isinstance(name, str) and not self._loaded and not self._index.answers(name):
            with self._lock:
                if not self._loaded and not self._load_for(name):
                    self._ensure_loaded()
        return self._index

    def register_plugin(
        self, plugin: object, name: str, *, distribution: str | None = None, version: str | None = None
    ) -> PluginInfo:
        """Register an in-process plugin (a module or object with a ``losskit_register_losses`` hookimpl)."""
        with self._lock:
            self._ensure_loaded()
            info, added = self._loader.add_plugin(plugin, normalize(name), distribution, version)
            self._warn_clashes(added)
            return info

    def register(self, *specs: LossSpec, plugin: str = "__main__") -> None:
        """Register specs directly, as if a plugin named ``plugin`` had handed them over.

        Calling it again with the same ``plugin`` adds to that plugin; a name it
        already provides raises :class:`SpecError` and changes nothing.
        """
        with self._lock:
            self._ensure_loaded()
            self._warn_clashes(self._loader.add_specs(normalize(plugin), specs))

    def register_loss(self, name: str | None = None, /, *, plugin: str = "__main__", **facts: Any) -> Callable[[T], T]:
        """A decorator registering a :class:`Loss` class, or a plain function made one, as :meth:`register` does.

        ``facts`` are the keywords of :meth:`LossSpec.of` (``family``, ``source``, ``contract``,
        ``example``, ``reference``, ``tags``, ...). ``name`` is the registered name of a function
        (default: the function's name); a class names itself (``class X(Loss, name=...)``) and takes
        none. How a function's signature declares its parameters and context keywords:
        :mod:`losskit.custom`. A class is returned unchanged; a function as the loss's functional form
        (the same function with its declared defaults, validating its parameters on each call)::

            @registry.register_loss("my_huber", family="custom", source="Huber 1964",
                                    contract=SAME_SHAPE_VALUES, example=paired_values())
            def my_huber(input, target, *, delta: float = param(1.0, "kink", gt=0), reduction="mean"):
                ...
        """
        from .custom import spec_of

        def decorate(obj: T) -> T:
            spec = spec_of(obj, name, facts)
            self.register(spec, plugin=plugin)
            return obj if isinstance(obj, type) else spec.functional  # type: ignore[return-value]

        return decorate

    # -- lookup ------------------------------------------------------------------

    def get_spec(self, name: str) -> LossSpec:
        """The :class:`LossSpec` registered under ``name`` (or an alias, or ``plugin:name``)."""
        return self._loaded_for(name).resolve(name)[0].spec

    def get_loss(self, name: str, **params: Any) -> Loss:
        """Build the loss registered under ``name`` with validated ``params``.

        >>> get_loss("huber", delta=0.5)  # doctest: +SKIP
        """
        return self._loaded_for(name).build(name, params)

    def list_losses(self, family: str | None = None) -> list[str]:
        """Sorted names of the registered losses (of one family); clashing names are listed qualified."""
        self._ensure_loaded()
        return self._index.list_losses(family)

    def families(self) -> list[str]:
        self._ensure_loaded()
        return self._index.families()

    def specs(self) -> list[tuple[str, LossSpec]]:
        """``(qualified name, spec)`` for every registered loss, sorted; what the conformance suite runs over."""
        self._ensure_loaded()
        return self._index.specs()

    def provider(self, name: str) -> PluginInfo:
        """The plugin that provides ``name``."""
        index = self._loaded_for(name)
        return index.plugins[index.resolve(name)[0].plugin]

    def conflicts(self) -> dict[str, list[str]]:
        """``{name: [plugins]}`` for every name provided by more than one plugin."""
        self._ensure_loaded()
        return self._index.conflicts()

    # -- presentation ------------------------------------------------------------

    def describe(self, name: str) -> str:
        """A readable description: summary, parameters, input contract, source."""
        index = self._loaded_for(name)
        entry, config_name = index.resolve(name)
        return _presentation.describe(entry.spec, config_name, index.plugins[entry.plugin])

    def list_plugins(self) -> list[PluginInfo]:
        """Every plugin seen: active, blocked or failed, with its distribution, version and losses (copies)."""
        self._ensure_loaded()
        return _presentation.plugin_records(self._index.plugins)

    def fingerprint(self) -> str:
        """Sorted ``distribution==version`` of the active plugins, for experiment logs."""
        self._ensure_loaded()
        return _presentation.fingerprint(self._index.plugins)
