"""What a check runs against: a spec, the registry it is built from, and the plugin that provides it."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from .._default import default_registry
from .._naming import normalize
from .._plugins import PluginInfo
from ..errors import PluginLoadError, UnknownLossError
from ..loss import Loss
from ..registry import Registry
from ..spec import LossSpec

__all__ = ["CheckSkipped", "ConformanceError", "ConformanceWarning", "RegisteredSpec", "conformance_check", "plugin_specs", "subject_of"]


class ConformanceError(AssertionError):
    """A loss breaks the losskit contract; the message names the loss, the check, what was expected and what came."""

    def __init__(self, message: str, *, loss: str | None = None, check: str | None = None) -> None:
        self.detail, self.loss, self.check = message, loss, check
        where = ": ".join(part for part in (loss, check) if part)
        super().__init__(f"{where}: {message}" if where else message)


class ConformanceWarning(UserWarning):
    """A check introduced after the level a spec is written for failed: a warning for that spec, not a failure."""


class CheckSkipped(Exception):
    """A check does not apply to this loss (a tag, no reference, no GPU...); the message says why.

    Raised when a check function is called on a loss that its row of
    :data:`losskit.testing.checks.APPLICABILITY` excludes, before the check runs.
    """


@dataclass(frozen=True)
class RegisteredSpec:
    """A spec as a registry holds it: what the checks run against.

    ``name`` builds it (``registry.get_loss(name)``; qualified ``plugin:name``
    when two plugins provide the name). ``plugin`` is ``None`` for a spec
    passed directly, which then lives in an isolated registry of its own.
    ``params`` are the ones every check builds the loss with: the spec's
    ``example_params`` unless the caller gives others.
    """

    name: str
    spec: LossSpec
    registry: Registry
    plugin: PluginInfo | None
    params: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.name

    def build(self, **params: Any) -> Loss:
        """The loss with ``params`` over the subject's own ``params`` over the declared defaults."""
        return self.registry.get_loss(self.name, **{**self.params, **params})

    def lookup(self, name: str, **params: Any) -> Loss:
        """Another loss, by name: from this registry, else from the default one (identities name other losses)."""
        try:
            return self.registry.get_loss(name, **params)
        except UnknownLossError:
            if self.registry is default_registry():
                raise
            return default_registry().get_loss(name, **params)


def subject_of(
    spec: RegisteredSpec | LossSpec | str, registry: Registry | None = None, params: Mapping[str, Any] | None = None
) -> RegisteredSpec:
    """Normalise what a user passes (a name, a spec, a registered spec) to a :class:`RegisteredSpec`."""
    if isinstance(spec, RegisteredSpec):
        subject = spec if params is None else replace(spec, params=dict(params))
    elif isinstance(spec, LossSpec):
        isolated = Registry(discover=False, builtins=False)
        isolated.register(spec, plugin="direct")
        subject = RegisteredSpec(spec.name, spec, isolated, None, dict(params or {}))
    elif isinstance(spec, str):
        registry = registry or default_registry()
        found = registry.get_spec(spec)
        qualified = next(n for n, s in registry.specs() if s is found)
        name = _display_name(registry, qualified)
        subject = RegisteredSpec(name, found, registry, registry.provider(name), dict(params or {}))
    else:
        raise TypeError(f"expected a loss name, a LossSpec or a RegisteredSpec, got {type(spec).__name__}")
    if params is None and not subject.params:
        subject = replace(subject, params=dict(subject.spec.example_params))
    return subject


def _display_name(registry: Registry, qualified: str) -> str:
    """``plugin:name`` only where the bare name is ambiguous (what ``list_losses`` shows)."""
    bare = qualified.partition(":")[2]
    return bare if bare in registry.list_losses() else qualified


def plugin_specs(
    plugin: str | None = None,
    *,
    registry: Registry | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[RegisteredSpec]:
    """The specs that ``plugin`` (entry-point or distribution name; ``None`` or ``"all"``: every plugin) registers.

    ``params`` maps a loss name to the parameters its checks build it with,
    overriding the spec's ``example_params``: ``{"ldam": {"samples_per_class": (...)}}``.
    """
    registry = registry or default_registry()
    infos = registry.list_plugins()
    if plugin is not None and normalize(plugin) != "all":
        wanted = normalize(plugin)
        infos = [i for i in infos if wanted in {normalize(i.name), normalize(i.distribution or "")}]
        if not infos:
            known = ", ".join(sorted(i.name for i in registry.list_plugins())) or "none"
            raise UnknownLossError(f"no losskit plugin named {plugin!r}. Installed plugins: {known}.")
        for info in infos:
            if info.status == "failed":
                raise PluginLoadError(
                    f"plugin {info.label} failed to load: {type(info.error).__name__}: {info.error}"
                ) from info.error
    by_plugin = {i.name: i for i in infos if i.status == "active"}
    subjects = []
    for qualified, spec in registry.specs():
        plugin_name = qualified.partition(":")[0]
        if plugin_name in by_plugin:
            subject = RegisteredSpec(_display_name(registry, qualified), spec, registry, by_plugin[plugin_name])
            subjects.append(subject_of(subject, params=(params or {}).get(spec.name)))
    return subjects


F = TypeVar("F", bound=Callable[..., None])


def conformance_check(short: str, *, level: int = 1) -> Callable[[F], F]:
    """Make ``func(subject)`` a public check ``check_x(spec, *, registry=None)``.

    A loss the check does not apply to (see
    :data:`losskit.testing.checks.APPLICABILITY`) raises :class:`CheckSkipped`
    with the reason, without running ``func``. Every failure comes out as a
    :class:`ConformanceError` naming the loss and the check; an unexpected
    exception from the loss is wrapped into one. ``short`` is the check's
    column header in ``losskit check``.

    ``level`` is the conformance level that introduced the check. A spec
    written for an earlier level (``LossSpec.conformance``) gets a failure of
    it as a :class:`ConformanceWarning` instead, so that a plugin that passed
    the kit keeps passing when the kit grows, and is told what to fix.
    """

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def check(spec: RegisteredSpec | LossSpec | str, *, registry: Registry | None = None) -> None:
            from .checks import why_not  # the table is built from the checks this decorates

            subject = subject_of(spec, registry)
            reason = why_not(subject, check)
            if reason:
                raise CheckSkipped(reason)
            try:
                func(subject)
            except CheckSkipped:
                raise
            except ConformanceError as exc:
                failure = ConformanceError(exc.detail, loss=subject.name, check=func.__name__)
                cause = exc.__cause__
            except Exception as exc:
                failure = ConformanceError(f"raised {type(exc).__name__}: {exc}", loss=subject.name, check=func.__name__)
                cause = exc
            else:
                return
            written_for = subject.spec.conformance
            if written_for < level:
                warnings.warn(
                    ConformanceWarning(
                        f"{failure} [a level-{level} check; the spec is written for conformance level "
                        f"{written_for}, so this is a warning: fix it, then declare LossSpec(..., conformance={level}) "
                        f"(LossSpec.of declares the current level)]"
                    ),
                    stacklevel=2,
                )
                return
            raise failure from cause

        check.short = short  # type: ignore[attr-defined]
        check.level = level  # type: ignore[attr-defined]
        return check  # type: ignore[return-value]

    return decorate
