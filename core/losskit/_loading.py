"""Loading plugins into an index: entry points, the allow/block lists, strict mode, failures.

A plugin is a module or object with a ``losskit_register_losses`` hook
implementation (pluggy), found through an entry point or handed over in process,
or a set of specs handed over directly (:meth:`Registry.register`), which needs
no hook. A plugin that fails is recorded and reported, never fatal to the
others, unless the settings are strict.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from . import hooks
from ._index import LossIndex
from ._naming import normalize
from ._plugins import ENV_BLOCK, PluginInfo, PluginSettings, warn_user
from .errors import PluginLoadError, PluginLoadWarning, SpecError

__all__ = ["PluginLoader", "provenance"]


def provenance(dist: Any) -> tuple[str | None, str | None]:
    """A distribution's name and version from the head of its METADATA, where ``Name:`` and ``Version:`` are
    one-line fields. ``dist.metadata`` would import the email package's header parser, which takes longer than
    the rest of a lookup; an unusual file gets the full parser."""
    fields: dict[str, str] = {}
    for line in (dist.read_text("METADATA") or dist.read_text("PKG-INFO") or "").splitlines():
        if not line.strip():  # the header ends at the first blank line
            break
        key, sep, value = line.partition(":")
        if sep and key in ("Name", "Version"):
            fields.setdefault(key, value.strip())
    if len(fields) < 2:
        return dist.metadata["Name"], dist.version
    return fields["Name"], fields["Version"]


class PluginLoader:
    """Hands each plugin's specs to ``index`` under the plugin's record; one pluggy manager per loader.

    The ``add_*`` methods return the names they indexed, so that the caller can report new clashes.
    """

    def __init__(self, settings: PluginSettings, index: LossIndex) -> None:
        self._settings, self._index = settings, index
        self._pm = hooks.PluginManager(hooks.PROJECT)
        self._pm.add_hookspecs(hooks)
        self._direct: set[str] = set()  # active plugins made of specs handed over by add_specs

    def load_entry_point(self, ep: Any) -> tuple[PluginInfo, list[str]]:
        """Load ``ep`` (an ``importlib.metadata.EntryPoint``-like) if admitted: its record and the names indexed."""
        dist, version = provenance(ep.dist) if ep.dist else (None, None)
        name = normalize(ep.name)
        if not self._settings.admits(name, dist):
            info = PluginInfo(name, dist, version, "blocked")
            self._index.record(info, replace=True)
            return info, []
        try:
            plugin = ep.load()
        except Exception as exc:
            info = PluginInfo(name, dist, version, "failed")
            self._fail(info, exc, "failed to import")
            return info, []
        return self.add_plugin(plugin, name, dist, version)

    def add_plugin(
        self, plugin: object, name: str, dist: str | None, version: str | None
    ) -> tuple[PluginInfo, list[str]]:
        """Register ``plugin`` under ``name`` and index what its hook hands over; its record and names."""
        return self._add(PluginInfo(name, dist, version, "active"), lambda info: self._index_hooked(plugin, info))

    def add_specs(self, name: str, specs: Iterable[object]) -> list[str]:
        """Index ``specs`` as plugin ``name``: a new plugin on the first call, added to on later ones.

        A later call that repeats a name the plugin provides raises :class:`SpecError` and changes nothing.
        """
        if name in self._direct:
            return self._index.extend(name, specs)
        info, added = self._add(PluginInfo(name, None, None, "active"), lambda info: self._index.add(info, specs))
        if info.status == "active":
            self._direct.add(name)
        return added

    def _add(self, info: PluginInfo, index: Callable[[PluginInfo], list[str]]) -> tuple[PluginInfo, list[str]]:
        known = self._index.plugins.get(info.name)
        if known is not None:
            self._fail(info, SpecError(f"the plugin name is already used by {known.label}"), "was refused")
            return info, []
        try:
            return info, index(info)
        except Exception as exc:
            self._fail(info, exc, "failed to register its losses")
            return info, []

    def _index_hooked(self, plugin: object, info: PluginInfo) -> list[str]:
        self._pm.register(plugin, name=info.name)
        try:
            self._pm.check_pending()
            specs: list[object] = []
            for impl in self._pm.hook.losskit_register_losses.get_hookimpls():
                if impl.plugin_name == info.name:
                    impl.function(register=specs.append)
            return self._index.add(info, specs)
        except BaseException:
            self._pm.unregister(name=info.name)
            raise

    def _fail(self, info: PluginInfo, exc: BaseException, what: str) -> None:
        info.status, info.error = "failed", exc
        self._index.record(info)
        message = (
            f"plugin {info.label} {what}: {type(exc).__name__}: {exc}. The other plugins are loaded; "
            f"`losskit list --plugins` shows its status, {ENV_BLOCK}={info.name} skips it."
        )
        if self._settings.strict:
            raise PluginLoadError(message) from exc
        warn_user(message, PluginLoadWarning)
