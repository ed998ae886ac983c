"""Losses from config: ``build_loss(cfg)`` reads a config tree and builds the loss it describes.

A config is a tree of nodes ``{name, weight?, ...}``:

* ``{name: sum, terms: [node, ...]}``: a :class:`~losskit.compose.WeightedSum`; a term may
  carry a ``label``, its name in :meth:`~losskit.Loss.breakdown` (default: its loss name);
* ``{name: multitask, tasks: {task: node}, weighting?, weights?, task_types?}``:
  a :class:`~losskit.multitask.MultiTask`;
* any other name is a registered loss, its other keys its parameters.

Only registered names build: a config never imports or instantiates an object
of its choosing (no dotted paths, no Hydra ``_target_``). Errors are
:class:`~losskit.errors.ConfigError` starting with the path of the culprit:
``terms[1].gamma: must be >= 0, got -1``. See ``docs/config.md``; the JSON Schema of
the format is :func:`losskit.schema.config_schema`.

Hostile configs are errors too, never a crash or a hang: a tree nests at most
:data:`MAX_DEPTH` nodes deep and holds at most :data:`MAX_NODES` nodes (a YAML alias
bomb or a self-referencing dict is refused, not expanded); a file is UTF-8 text of at
most :data:`MAX_FILE_BYTES`; a key given twice in one JSON or YAML mapping is refused
(TOML refuses it itself); values are quoted in messages as bounded excerpts
(:func:`losskit.errors.excerpt`).
"""

from __future__ import annotations

import functools
import json
import math
import numbers
import os
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from torch import Tensor

from ._naming import did_you_mean, normalize
from .compose import WeightedSum, check_term_name, check_weight, scale
from .errors import AmbiguousLossError, ConfigError, InvalidParamError, UnknownLossError, excerpt
from .loss import Loss
from .multitask import WEIGHTINGS, MultiTask

if TYPE_CHECKING:
    from .registry import Registry

__all__ = ["MAX_DEPTH", "MAX_FILE_BYTES", "MAX_NODES", "build_loss", "load_config"]

#: How deep loss nodes may nest (a sum in a sum in a multitask ...), far beyond any real config.
MAX_DEPTH = 100
#: How many loss nodes one config may hold in all; a shared (aliased) node counts each time it is used.
MAX_NODES = 10_000
#: The largest config file read (16 MiB).
MAX_FILE_BYTES = 16 * 2**20
#: The longest message quoted from an underlying error (a parser's, an OmegaConf one).
_MAX_QUOTED = 500

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
    data = load_config(cfg, format=format)
    _check_size(data)
    try:
        loss, weight = _Builder(registry).node(data, "")
    except RecursionError:  # MAX_DEPTH leaves room, unless the caller is already deep in the stack
        raise ConfigError(
            "config: nesting too deep for Python's recursion limit; flatten the sums (a sum in a sum is one sum)."
        ) from None
    return _weighted(loss, weight, "weight")


def load_config(cfg: Any, *, format: Format | None = None) -> dict[str, Any]:
    """The config as plain data (dicts, lists, scalars), without building anything."""
    if type(cfg).__module__.partition(".")[0] == "omegaconf":
        cfg = _from_omegaconf(cfg)
    elif isinstance(cfg, os.PathLike) or (isinstance(cfg, str) and _looks_like_path(cfg)):
        path = Path(cfg)
        cfg = _parse(_read(path), format or _SUFFIXES.get(path.suffix.lower()), excerpt(str(path)))
    elif isinstance(cfg, str):
        cfg = _parse(cfg, format, "the config text")
    if not isinstance(cfg, Mapping):
        raise ConfigError(
            f"config: expected a mapping with a 'name' key (a dict, an OmegaConf node, a file path, or "
            f"YAML / JSON / TOML text), got {type(cfg).__name__}."
        )
    return dict(cfg)


def _clip(text: object) -> str:
    """The first ``_MAX_QUOTED`` characters of an underlying error's message."""
    text = str(text)
    return text if len(text) <= _MAX_QUOTED else text[: _MAX_QUOTED - 3] + "..."


def _from_omegaconf(cfg: Any) -> Any:
    """Plain data from an OmegaConf node; an interpolation that cannot resolve, or ``???``, names its key."""
    from omegaconf import OmegaConf

    try:
        return OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
    except RecursionError:
        raise ConfigError("config: the OmegaConf node nests too deeply to convert.") from None
    except Exception as exc:  # omegaconf's errors: InterpolationKeyError, MissingMandatoryValue, ...
        key = str(getattr(exc, "full_key", "") or "")
        try:
            own = cfg._get_full_key(None)  # this node's key within its root: paths are relative to the node
        except Exception:
            own = ""
        if own and key.startswith(own + "."):
            key = key[len(own) + 1 :]
        reason = str(getattr(exc, "msg", None) or exc).split("\n")[0]
        raise ConfigError(
            f"{key or 'config'}: cannot resolve the OmegaConf config ({type(exc).__name__}: {_clip(reason)}). "
            "Fix the interpolation or give the value."
        ) from exc


def _read(path: Path) -> str:
    """A config file's text: UTF-8 (a BOM is allowed), at most MAX_FILE_BYTES."""
    shown = excerpt(str(path))
    try:
        if not path.is_file():
            raise ConfigError(f"config: no such config file: {shown}.")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ConfigError(
                f"config: the config file {shown} has {size} bytes; a loss config is at most {MAX_FILE_BYTES}."
            )
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"config: cannot read the config file {shown}: {_clip(exc.strerror or exc)}.") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"config: the config file {shown} is not UTF-8 text (byte {data[exc.start]:#04x} at offset "
            f"{exc.start}); save it as UTF-8."
        ) from None


def _looks_like_path(text: str) -> bool:
    return "\n" not in text and Path(text.strip()).suffix.lower() in _SUFFIXES


def _parse(text: str, format: Format | None, where: str) -> Any:
    if format is None:
        return _guess(text, where)
    if format not in ("yaml", "json", "toml"):
        raise ConfigError(f"config: format must be 'yaml', 'json' or 'toml', got {format!r}.")
    loads = _json_loads if format == "json" else _yaml_loads if format == "yaml" else _toml().loads
    try:
        return loads(text)
    except _DuplicateKey as exc:
        raise ConfigError(f"config: {where}: {exc}") from None
    except RecursionError:
        raise ConfigError(f"config: {where} nests too deeply to read as {format.upper()}.") from None
    except Exception as exc:  # each parser has its own error class
        raise ConfigError(f"config: {where} is not valid {format.upper()}: {_clip(exc)}") from exc


class _DuplicateKey(ValueError):
    """A key given twice in one mapping of JSON or YAML text (whose parsers would keep the last one)."""


def _json_loads(text: str) -> Any:
    return json.loads(text, object_pairs_hook=_unique_pairs)


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(
                f"the key {excerpt(key)} appears twice in one JSON object (JSON would keep the last one "
                "silently); remove one."
            )
        out[key] = value
    return out


def _yaml_loads(text: str) -> Any:
    return _yaml().load(text, Loader=_unique_key_loader())


@functools.cache
def _unique_key_loader() -> type:
    """PyYAML's safe loader, refusing a key given twice in one mapping (merge keys ``<<`` still merge).

    libyaml's parser when PyYAML has it: it is fast and bounds nesting, where the pure-Python
    one spends seconds on a few thousand nested brackets before running out of stack.
    """
    yaml = _yaml()

    class UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            if isinstance(node, yaml.MappingNode):
                seen: set[Any] = set()
                for key_node, _ in node.value:
                    if key_node.tag == "tag:yaml.org,2002:merge":
                        continue
                    key = self.construct_object(key_node, deep=False)
                    try:
                        duplicate = key in seen
                    except TypeError:  # an unhashable key: the base class says so
                        continue
                    if duplicate:
                        mark = key_node.start_mark
                        raise _DuplicateKey(
                            f"the key {excerpt(key)} appears twice in one YAML mapping (line {mark.line + 1}, "
                            f"column {mark.column + 1}; YAML would keep the last one silently); remove one."
                        )
                    seen.add(key)
            return super().construct_mapping(node, deep=deep)

    return UniqueKeyLoader


def _guess(text: str, where: str) -> Any:
    """JSON if it starts with ``{``; else YAML when that reads a mapping; else TOML."""
    if text.lstrip().startswith("{"):
        return _parse(text, "json", where)
    try:
        data = _yaml_loads(text)
    except _DuplicateKey as exc:
        raise ConfigError(f"config: {where}: {exc}") from None
    except RecursionError:
        raise ConfigError(f"config: {where} nests too deeply to read.") from None
    except Exception as exc:
        data, yaml_problem = None, f"YAML: {_clip(exc)}"
    else:
        yaml_problem = f"YAML reads it as {type(data).__name__}"
    if isinstance(data, Mapping):
        return data
    try:
        return _toml().loads(text)
    except RecursionError:
        raise ConfigError(f"config: {where} nests too deeply to read.") from None
    except Exception as exc:
        raise ConfigError(
            f"config: {where} is neither a YAML mapping nor valid TOML ({yaml_problem}; TOML: {_clip(exc)}). "
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
    text = _clip(text)
    return text if text.endswith((".", "?")) else text + "."


def _yaml_hint(value: Any) -> str:
    """PyYAML (YAML 1.1) reads ``1e-4`` as a string; say so when a number was clearly meant."""
    if not isinstance(value, str) or len(value) > 64:
        return ""
    try:
        float(value)
    except ValueError:
        return ""
    return " YAML 1.1 reads 1e-4 as a string: write 1.0e-4."


_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-]{0,63}$")


def _label(key: Any) -> str:
    """How a mapping key reads in a path: ``gamma``, ``1``; anything else quoted: ``['']``, ``['a.b']``."""
    if isinstance(key, str) and _PLAIN_KEY.match(key):
        return key
    if isinstance(key, int) and not isinstance(key, bool) and abs(key) < 10**18:
        return str(key)
    return f"[{excerpt(key, 60)}]"


def _at(path: str, key: Any) -> str:
    """The path of ``key`` in the mapping at ``path`` (``""`` is the root)."""
    label = _label(key)
    if label.startswith("["):
        return f"{path}{label}"
    return f"{path}.{label}" if path else label


def _item(path: str, index: int) -> str:
    return f"{path}[{index}]"


def _under(path: str, relative: str | None, default: str) -> str:
    """``path`` joined with a dotted path reported by a loss (``weights.seg``); never empty."""
    relative = relative or default
    return f"{path}.{relative}" if path else relative


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_finite_real(value: Any) -> bool:
    try:
        return _is_real(value) and math.isfinite(float(value))
    except OverflowError:  # an int beyond float range
        return False


def _weighted(loss: Loss, weight: float, path: str) -> Loss:
    """``weight * loss``; a product of nested weights that overflows is an error at ``path``."""
    if weight == 1.0:
        return loss
    total = scale(loss, weight)
    _check_products(total, path)
    return total


def _check_products(loss: WeightedSum, path: str) -> None:
    bad = next((w for w in loss.weights if not math.isfinite(w)), None)
    if bad is not None:
        raise ConfigError(
            f"{path}: the weights of the nested sums multiply to {bad!r}; a loss weight must be finite. "
            "Use smaller weights."
        )


def _check_size(root: Any) -> None:
    """Refuse, before building anything, a tree of loss nodes deeper than MAX_DEPTH, with more than
    MAX_NODES nodes, or containing itself: no config can then recurse or expand without end."""
    count = 0
    ancestors: set[int] = set()  # ids of the mappings on the current branch

    def visit(node: Any, path: str, depth: int) -> None:
        nonlocal count
        if not isinstance(node, Mapping):
            return  # the builder says what is wrong with it
        where = path or "config"
        if id(node) in ancestors:
            raise ConfigError(
                f"{where}: this mapping contains itself (it is one of its own ancestors); a loss config is a tree."
            )
        if depth > MAX_DEPTH:
            raise ConfigError(
                f"{where}: loss nodes nest more than {MAX_DEPTH} levels deep; flatten the sums "
                "(a sum in a sum is one sum)."
            )
        count += 1
        if count > MAX_NODES:
            raise ConfigError(
                f"{where}: the config holds more than {MAX_NODES} loss nodes (a shared or aliased node counts "
                "each time it is used, so a YAML alias that repeats a sum multiplies its terms)."
            )
        ancestors.add(id(node))
        for child, child_path in _children(node, path):
            visit(child, child_path, depth + 1)
        ancestors.discard(id(node))

    visit(root, "", 0)


def _children(node: Mapping[Any, Any], path: str) -> Iterator[tuple[Any, str]]:
    """The sub-nodes of a sum's terms or a multitask's tasks, with their paths."""
    name = node.get("name")
    kind = normalize(name) if isinstance(name, str) else None
    children = node.get("terms") if kind == "sum" else node.get("tasks") if kind == "multitask" else None
    if isinstance(children, Mapping):
        for task, sub in children.items():
            yield sub, _at(_at(path, "tasks"), task)
    elif isinstance(children, Sequence) and not isinstance(children, (str, bytes)):
        for i, term in enumerate(children):
            yield term, _item(_at(path, "terms"), i)


class _Builder:
    """Walks a config tree (bounded by :func:`_check_size`), building each node and prefixing every
    error with its path."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def node(self, node: Any, path: str) -> tuple[Loss, float]:
        """The loss of ``node`` and its ``weight`` (1 when absent)."""
        where = path or "config"
        if not isinstance(node, Mapping):
            raise ConfigError(f"{where}: expected a mapping with a 'name' key, got {excerpt(node)}.")
        self._refuse_hydra(node, path)
        if "name" not in node:
            keys = ", ".join(_label(k) for k in list(node)[:20]) + (", ..." if len(node) > 20 else "")
            raise ConfigError(
                f"{where}: missing 'name' (a registered loss, 'sum' or 'multitask'); keys given: {keys or 'none'}."
            )
        name = node["name"]
        if not isinstance(name, str):
            raise ConfigError(f"{_at(path, 'name')}: must be a string, got {excerpt(name)}.")
        if "label" in node:  # a sum's terms have theirs taken off by _sum
            raise ConfigError(
                f"{_at(path, 'label')}: a label names a term of a sum in its breakdown, and this node is no sum's "
                "term (a task's name is its key in 'tasks'); remove it."
            )
        weight = self._weight(node, path)
        kind = normalize(name)
        if kind == "sum":
            return self._sum(node, path), weight
        if kind == "multitask":
            return self._multitask(node, path), weight
        return self._leaf(name, node, path), weight

    def _refuse_hydra(self, node: Mapping[Any, Any], path: str) -> None:
        special = [k for k in node if isinstance(k, str) and len(k) > 2 and k.startswith("_") and k.endswith("_")]
        if special:
            raise ConfigError(
                f"{_at(path, special[0])}: Hydra instantiation keys ({_label(special[0])}) are not "
                "supported: a losskit config builds only registered losses by name and never imports objects. "
                "Write {name: <registered loss>, ...params} instead; `losskit list` shows the names."
            )
        name = node.get("name")
        if isinstance(name, str) and ("." in name or "/" in name):
            raise ConfigError(
                f"{_at(path, 'name')}: {excerpt(name)} looks like an import path; a losskit config builds only "
                "registered losses by name and never imports objects. `losskit list` shows the names."
            )

    def _weight(self, node: Mapping[Any, Any], path: str) -> float:
        if "weight" not in node:
            return 1.0
        weight = node["weight"]
        if not (_is_real(weight) or isinstance(weight, Tensor)):
            raise ConfigError(
                f"{_at(path, 'weight')}: must be a finite real number, got {excerpt(weight)}.{_yaml_hint(weight)}"
            )
        try:
            return check_weight(weight)
        except (TypeError, OverflowError) as exc:  # a tensor of several values; an int beyond float range
            raise ConfigError(
                f"{_at(path, 'weight')}: must be a finite real number, got {excerpt(weight)}."
            ) from exc
        except InvalidParamError as exc:
            raise ConfigError(f"{_at(path, 'weight')}: {_sentence(exc.reason)}") from exc

    def _check_keys(self, node: Mapping[Any, Any], path: str, allowed: tuple[str, ...], kind: str) -> None:
        for key in node:
            if key not in allowed:
                close = did_you_mean(key, allowed) if isinstance(key, str) and len(key) <= 64 else ""
                raise ConfigError(
                    f"{_at(path, key)}: unknown key{close or '.'} A {kind} node takes: {', '.join(allowed)}."
                )

    def _sum(self, node: Mapping[Any, Any], path: str) -> WeightedSum:
        self._check_keys(node, path, _SUM_KEYS, "sum")
        terms = node.get("terms")
        if isinstance(terms, (str, bytes)) or not isinstance(terms, Sequence) or not terms:
            raise ConfigError(
                f"{_at(path, 'terms')}: a sum needs a non-empty list of terms, got {excerpt(terms)}."
            )
        built, labels = [], []
        seen: dict[str, int] = {}  # label -> the index of the term that has it
        for i, term in enumerate(terms):
            where = _item(_at(path, "terms"), i)
            label = self._term_label(term, where, seen)
            if label is not None:
                seen[label] = i
                term = {k: v for k, v in term.items() if k != "label"}
            built.append(self.node(term, where))
            labels.append(label)
        try:
            total = WeightedSum([loss for loss, _ in built], [w for _, w in built], names=labels)
        except InvalidParamError as exc:  # a label that a nested sum, flattened into this one, has too
            raise ConfigError(f"{_at(path, 'terms')}: {_sentence(exc.reason)}") from exc
        _check_products(total, _at(path, "terms"))
        return total

    def _term_label(self, term: Any, path: str, seen: Mapping[str, int]) -> str | None:
        """The ``label`` of a sum's term (``None`` without one): a valid term name that no earlier term has."""
        if not isinstance(term, Mapping) or "label" not in term:
            return None
        label = term["label"]
        try:
            check_term_name(label, owner="sum", what="label")
        except InvalidParamError as exc:
            raise ConfigError(f"{_at(path, 'label')}: {_sentence(exc.reason)}") from None
        name = term.get("name")
        if isinstance(name, str) and normalize(name) == "sum":
            raise ConfigError(
                f"{_at(path, 'label')}: this term is a sum, which is flattened into the sum holding it: label its "
                "terms instead."
            )
        if label in seen:
            raise ConfigError(
                f"{_at(path, 'label')}: {excerpt(label)} labels terms[{seen[label]}] already; a sum's labels are unique."
            )
        return label

    def _multitask(self, node: Mapping[Any, Any], path: str) -> MultiTask:
        self._check_keys(node, path, _MULTITASK_KEYS, "multitask")
        tasks = node.get("tasks")
        if not isinstance(tasks, Mapping) or not tasks:
            raise ConfigError(
                f"{_at(path, 'tasks')}: a multitask needs a non-empty mapping of task name to loss, "
                f"got {excerpt(tasks)}."
            )
        for task in tasks:
            if not isinstance(task, str) or not task or "." in task or len(task) > 64:
                raise ConfigError(
                    f"{_at(_at(path, 'tasks'), task)}: a task name must be a non-empty string of at most 64 "
                    "characters without '.'."
                )
        options = self._multitask_options(node, path, tasks)
        built = {}
        for task, sub in tasks.items():
            task_path = _at(_at(path, "tasks"), task)
            loss, weight = self.node(sub, task_path)
            built[task] = _weighted(loss, weight, _at(task_path, "weight"))
        try:
            return MultiTask(built, **options)
        except InvalidParamError as exc:
            raise ConfigError(f"{_under(path, exc.param, 'tasks')}: {_sentence(exc.reason)}") from exc

    def _multitask_options(self, node: Mapping[Any, Any], path: str, tasks: Mapping[str, Any]) -> dict[str, Any]:
        """``weighting``, ``weights`` and ``task_types`` checked for their kind: a mapping is a mapping
        (``weights: false`` is not "no weights"), weights are real numbers, the others strings."""
        options = {k: node[k] for k in ("weighting", "weights", "task_types") if k in node}
        if "weighting" in options and options["weighting"] not in WEIGHTINGS:
            weighting = options["weighting"]
            close = did_you_mean(weighting, WEIGHTINGS) if isinstance(weighting, str) and len(weighting) <= 64 else ""
            raise ConfigError(
                f"{_at(path, 'weighting')}: must be one of {', '.join(map(repr, WEIGHTINGS))}, "
                f"got {excerpt(weighting)}{close or '.'}"
            )
        checks = (("weights", "a finite real number", _is_finite_real), ("task_types", "a string", None))
        for option, expected, valid in checks:
            if option not in options:
                continue
            mapping = options[option]
            if not isinstance(mapping, Mapping):
                raise ConfigError(
                    f"{_at(path, option)}: must be a mapping of task name to {expected.removeprefix('a finite ')}, "
                    f"got {excerpt(mapping)}."
                )
            for task, value in mapping.items():
                where = _at(_at(path, option), task)
                if not isinstance(task, str) or task not in tasks:
                    close = did_you_mean(task, tasks) if isinstance(task, str) and len(task) <= 64 else ""
                    names = ", ".join(list(tasks)[:20]) + (", ..." if len(tasks) > 20 else "")
                    raise ConfigError(f"{where}: no such task{close or '.'} Tasks: {names}.")
                if not (valid(value) if valid else isinstance(value, str) and len(value) <= 64):
                    raise ConfigError(f"{where}: must be {expected}, got {excerpt(value)}.")
        return options

    def _leaf(self, name: str, node: Mapping[Any, Any], path: str) -> Loss:
        try:
            spec = self.registry.get_spec(name)
        except (UnknownLossError, AmbiguousLossError) as exc:
            raise ConfigError(f"{_at(path, 'name')}: {_clip(exc)}") from exc
        self._check_keys(node, path, ("name", "weight", *spec.param_names), repr(spec.name))
        params = {k: v for k, v in node.items() if k not in ("name", "weight")}
        try:
            return self.registry.get_loss(name, **params)
        except InvalidParamError as exc:
            param = exc.param or "name"
            hint = _yaml_hint(node.get(param)) if param in node else ""
            raise ConfigError(f"{_under(path, param, 'name')}: {_sentence(exc.reason)}{hint}") from exc
        except (MemoryError, RuntimeError) as exc:  # e.g. learned class centres larger than this machine holds
            raise ConfigError(
                f"{path or 'config'}: {spec.name!r} cannot be built with these parameters on this machine "
                f"({type(exc).__name__}: {_clip(exc)}). Use smaller sizes."
            ) from exc
