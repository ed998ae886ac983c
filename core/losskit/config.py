"""Losses from config: ``build_loss(cfg)`` reads a config tree and builds the loss it describes.

A config is a tree of nodes ``{name, weight?, ...}``:

* ``{name: sum, terms: [node, ...]}``: a :class:`~losskit.compose.WeightedSum`;
* ``{name: multitask, tasks: {task: node}, weighting?, weights?, task_types?}``:
  a :class:`~losskit.multitask.MultiTask`;
* any other name is a registered loss, its other keys its parameters.

Only registered names build: a config never imports or instantiates an object
of its choosing (no dotted paths, no Hydra ``_target_``). Errors are
:class:`~losskit.errors.ConfigError` starting with the path of the culprit:
``terms[1].gamma: must be >= 0, got -1``. See ``docs/config.md``; the JSON Schema of
the format is :func:`losskit.schema.config_schema`.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ._naming import did_you_mean, normalize
from .compose import WeightedSum, check_weight, scale
from .errors import AmbiguousLossError, ConfigError, InvalidParamError, UnknownLossError
from .loss import Loss
from .multitask import MultiTask

if TYPE_CHECKING:
    from .registry import Registry

__all__ = ["build_loss", "load_config"]

Format = Literal["yaml", "json", "toml"]
_SUFFIXES: dict[str, Format] = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".toml": "toml"}
_SUM_KEYS = ("name", "weight", "terms")
_MULTITASK_KEYS = ("name", "weight", "tasks", "weighting", "weights", "task_types")


def build_loss(cfg: Any, *, registry: Registry | None = None, format: Format | None = None) -> Loss:
    """Build a loss from a config: a dict, an OmegaConf node, a file path, or YAML / JSON / TOML text.

    Args:
        cfg: the config; a ``str`` ending in ``.yaml``/``.yml``/``.json``/``.toml``
            (without a newline) or a :class:`~pathlib.Path` is read as a file.
        registry: where leaf names are looked up; default :func:`losskit.default_registry`.
        format: the format of text or of a file without a known suffix; guessed if omitted.

    >>> build_loss({"name": "sum", "terms": [{"name": "mse"}, {"name": "l1", "weight": 0.5}]})  # doctest: +SKIP
    """
    if registry is None:
        from ._default import default_registry

        registry = default_registry()
    loss, weight = _Builder(registry).node(load_config(cfg, format=format), "")
    return loss if weight == 1.0 else scale(loss, weight)


def load_config(cfg: Any, *, format: Format | None = None) -> dict[str, Any]:
    """The config as plain data (dicts, lists, scalars), without building anything."""
    if type(cfg).__module__.partition(".")[0] == "omegaconf":
        from omegaconf import OmegaConf

        cfg = OmegaConf.to_container(cfg, resolve=True)
    elif isinstance(cfg, os.PathLike) or (isinstance(cfg, str) and _looks_like_path(cfg)):
        path = Path(cfg)
        if not path.is_file():
            raise ConfigError(f"config: no such config file: {str(path)!r}.")
        cfg = _parse(path.read_text(encoding="utf-8"), format or _SUFFIXES.get(path.suffix.lower()), str(path))
    elif isinstance(cfg, str):
        cfg = _parse(cfg, format, "the config text")
    if not isinstance(cfg, Mapping):
        raise ConfigError(
            f"config: expected a mapping with a 'name' key (a dict, an OmegaConf node, a file path, or "
            f"YAML / JSON / TOML text), got {type(cfg).__name__}."
        )
    return dict(cfg)


def _looks_like_path(text: str) -> bool:
    return "\n" not in text and Path(text.strip()).suffix.lower() in _SUFFIXES


def _parse(text: str, format: Format | None, where: str) -> Any:
    if format is None:
        return _guess(text, where)
    if format not in ("yaml", "json", "toml"):
        raise ConfigError(f"config: format must be 'yaml', 'json' or 'toml', got {format!r}.")
    loads = json.loads if format == "json" else _yaml().safe_load if format == "yaml" else _toml().loads
    try:
        return loads(text)
    except Exception as exc:  # each parser has its own error class
        raise ConfigError(f"config: {where} is not valid {format.upper()}: {exc}") from exc


def _guess(text: str, where: str) -> Any:
    """JSON if it starts with ``{``; else YAML when that reads a mapping; else TOML."""
    if text.lstrip().startswith("{"):
        return _parse(text, "json", where)
    try:
        data = _yaml().safe_load(text)
    except Exception as exc:
        data, yaml_problem = None, f"YAML: {exc}"
    else:
        yaml_problem = f"YAML reads it as {type(data).__name__}"
    if isinstance(data, Mapping):
        return data
    try:
        return _toml().loads(text)
    except Exception as exc:
        raise ConfigError(
            f"config: {where} is neither a YAML mapping nor valid TOML ({yaml_problem}; TOML: {exc}). "
            "Pass format='yaml', 'json' or 'toml' to see one parser's error."
        ) from exc


def _yaml() -> Any:
    try:
        import yaml
    except ImportError as exc:
        raise ConfigError("config: reading YAML needs PyYAML: pip install 'losskit[config]'.") from exc
    return yaml


def _toml() -> Any:
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    try:
        import tomli
    except ImportError as exc:
        raise ConfigError("config: reading TOML on Python < 3.11 needs tomli: pip install tomli.") from exc
    return tomli


def _sentence(text: str) -> str:
    return text if text.endswith((".", "?")) else text + "."


def _yaml_hint(value: Any) -> str:
    """PyYAML (YAML 1.1) reads ``1e-4`` as a string; say so when a number was clearly meant."""
    if not isinstance(value, str):
        return ""
    try:
        float(value)
    except ValueError:
        return ""
    return " YAML 1.1 reads 1e-4 as a string: write 1.0e-4."


def _at(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


class _Builder:
    """Walks a config tree, building each node and prefixing every error with its path."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def node(self, node: Any, path: str) -> tuple[Loss, float]:
        """The loss of ``node`` and its ``weight`` (1 when absent)."""
        where = path or "config"
        if not isinstance(node, Mapping):
            raise ConfigError(f"{where}: expected a mapping with a 'name' key, got {node!r}.")
        self._refuse_hydra(node, path)
        if "name" not in node:
            raise ConfigError(
                f"{where}: missing 'name' (a registered loss, 'sum' or 'multitask'); keys given: "
                f"{', '.join(map(str, node)) or 'none'}."
            )
        name = node["name"]
        if not isinstance(name, str):
            raise ConfigError(f"{_at(path, 'name')}: must be a string, got {name!r}.")
        weight = self._weight(node, path)
        kind = normalize(name)
        if kind == "sum":
            return self._sum(node, path), weight
        if kind == "multitask":
            return self._multitask(node, path), weight
        return self._leaf(name, node, path), weight

    def _refuse_hydra(self, node: Mapping[str, Any], path: str) -> None:
        special = [k for k in node if isinstance(k, str) and len(k) > 2 and k.startswith("_") and k.endswith("_")]
        if special:
            raise ConfigError(
                f"{_at(path, special[0])}: Hydra instantiation keys ({special[0]}) are not supported: a losskit "
                "config builds only registered losses by name and never imports objects. Write "
                "{name: <registered loss>, ...params} instead; `losskit list` shows the names."
            )
        name = node.get("name")
        if isinstance(name, str) and ("." in name or "/" in name):
            raise ConfigError(
                f"{_at(path, 'name')}: {name!r} looks like an import path; a losskit config builds only "
                "registered losses by name and never imports objects. `losskit list` shows the names."
            )

    def _weight(self, node: Mapping[str, Any], path: str) -> float:
        if "weight" not in node:
            return 1.0
        try:
            return check_weight(node["weight"])
        except TypeError as exc:
            weight = node["weight"]
            raise ConfigError(
                f"{_at(path, 'weight')}: must be a finite real number, got {weight!r}.{_yaml_hint(weight)}"
            ) from exc
        except InvalidParamError as exc:
            raise ConfigError(f"{_at(path, 'weight')}: {_sentence(exc.reason)}") from exc

    def _check_keys(self, node: Mapping[str, Any], path: str, allowed: tuple[str, ...], kind: str) -> None:
        for key in node:
            if key not in allowed:
                raise ConfigError(
                    f"{_at(path, str(key))}: unknown key{did_you_mean(str(key), allowed) or '.'} "
                    f"A {kind} node takes: {', '.join(allowed)}."
                )

    def _sum(self, node: Mapping[str, Any], path: str) -> WeightedSum:
        self._check_keys(node, path, _SUM_KEYS, "sum")
        terms = node.get("terms")
        if isinstance(terms, (str, bytes)) or not isinstance(terms, Sequence) or not terms:
            raise ConfigError(f"{_at(path, 'terms')}: a sum needs a non-empty list of terms, got {terms!r}.")
        built = [self.node(term, _at(_at(path, "terms"), i)) for i, term in enumerate(terms)]
        return WeightedSum([loss for loss, _ in built], [w for _, w in built])

    def _multitask(self, node: Mapping[str, Any], path: str) -> MultiTask:
        self._check_keys(node, path, _MULTITASK_KEYS, "multitask")
        tasks = node.get("tasks")
        if not isinstance(tasks, Mapping) or not tasks:
            raise ConfigError(
                f"{_at(path, 'tasks')}: a multitask needs a non-empty mapping of task name to loss, got {tasks!r}."
            )
        built = {}
        for task, sub in tasks.items():
            loss, weight = self.node(sub, _at(_at(path, "tasks"), str(task)))
            built[task] = loss if weight == 1.0 else scale(loss, weight)
        options = {k: node[k] for k in ("weighting", "weights", "task_types") if k in node}
        try:
            return MultiTask(built, **options)
        except InvalidParamError as exc:
            raise ConfigError(f"{_at(path, exc.param or 'tasks')}: {_sentence(exc.reason)}") from exc

    def _leaf(self, name: str, node: Mapping[str, Any], path: str) -> Loss:
        try:
            spec = self.registry.get_spec(name)
        except (UnknownLossError, AmbiguousLossError) as exc:
            raise ConfigError(f"{_at(path, 'name')}: {exc}") from exc
        self._check_keys(node, path, ("name", "weight", *spec.param_names), repr(spec.name))
        params = {k: v for k, v in node.items() if k not in ("name", "weight")}
        try:
            return self.registry.get_loss(name, **params)
        except InvalidParamError as exc:
            param = exc.param if exc.param is not None else "name"
            raise ConfigError(f"{_at(path, param)}: {_sentence(exc.reason)}{_yaml_hint(node.get(param))}") from exc
