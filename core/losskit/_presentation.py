"""What a registry shows people: a loss described, the plugins listed, the fingerprint of a run,
and the longer lookup errors."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from ._naming import did_you_mean
from ._plugins import ENV_ALLOW, ENV_BLOCK, ENV_PREFER, PluginInfo
from .errors import UnknownLossError
from .spec import LossSpec

__all__ = ["ambiguity", "describe", "fingerprint", "plugin_records", "unknown_loss"]


def describe(spec: LossSpec, config_name: str, plugin: PluginInfo) -> str:
    """Summary, family and plugin, aliases, parameters, context keywords, input contract, source, tags."""
    lines = [
        f"{config_name} — {spec.summary}",
        f"  family: {spec.family}; plugin: {plugin.label}",
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


def plugin_records(plugins: Mapping[str, PluginInfo]) -> list[PluginInfo]:
    """Copies of the records, sorted by plugin name, so that callers cannot change the registry's."""
    return [replace(plugins[k], losses=list(plugins[k].losses)) for k in sorted(plugins)]


def fingerprint(plugins: Mapping[str, PluginInfo]) -> str:
    """Sorted ``distribution==version`` of the active plugins, for experiment logs."""
    active = {f"{i.distribution}=={i.version}" for i in plugins.values() if i.status == "active" and i.distribution}
    return ";".join(sorted(active))


def ambiguity(key: str, providers: list[PluginInfo]) -> str:
    """Why the bare name ``key`` is ambiguous, and the two ways to choose."""
    labels = " and ".join(p.label for p in providers)
    qualified = " or ".join(f"'{p.name}:{key}'" for p in providers)
    return (
        f"the loss name {key!r} is provided by plugins {labels}. Choose one with a qualified name "
        f"({qualified}) or a preference: {ENV_PREFER}={key}={providers[0].name} or Registry(prefer=...)."
    )


def unknown_loss(name: str, key: str, names: Iterable[str], plugins: Iterable[PluginInfo]) -> UnknownLossError:
    """No loss ``name`` among ``names``: the close ones, and the blocked or failed plugins that may have it."""
    message = (
        f"no loss named {name!r}{did_you_mean(key, names, loss_names=True) or '.'}\n"
        "  `losskit list` shows every installed loss; loss families install separately, from a losskit "
        "checkout: e.g. `pip install ./plugins/losskit-classification`, or the wheel that `nox -s build` "
        "leaves in dist/ (`pip install dist/losskit_classification-*.whl`)."
    )
    plugins = list(plugins)
    blocked = [i.label for i in plugins if i.status == "blocked"]
    if blocked:
        message += (
            f"\n  These plugins are blocked by {ENV_ALLOW} / {ENV_BLOCK} (or Registry(allow=, block=)) "
            f"and may provide it: {', '.join(blocked)}."
        )
    failed = [i for i in plugins if i.status == "failed"]
    if failed:
        message += "\n  These plugins failed to load and may provide it: " + ", ".join(
            f"{i.label}: {type(i.error).__name__}: {i.error}" for i in failed
        )
    error = UnknownLossError(message)
    if failed:
        error.__cause__ = failed[0].error
    return error
