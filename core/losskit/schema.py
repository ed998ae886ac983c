"""The JSON Schema (draft 2020-12) of the config format, generated from a registry's specs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .compose import MAX_TERM_NAME, PART_SEPARATOR
from .multitask import TASK_TYPES, WEIGHTINGS
from .params import Param

if TYPE_CHECKING:
    from .registry import Registry

__all__ = ["config_schema"]

_WEIGHT_SCHEMA = {"type": "number", "description": "finite factor of this node in its parent's sum (default 1)"}
_LABEL_SCHEMA = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_TERM_NAME,
    "pattern": f"^[^{PART_SEPARATOR}]+$",
    "description": "this term's name in its sum's breakdown (default: its loss name); only on a sum's terms",
}


def config_schema(registry: Registry | None = None) -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) of the config format for the losses in ``registry``.

    Leaf nodes are generated from each spec's parameters: their types, ranges,
    defaults and choices. Names are matched as spelled in ``losskit list``
    (the builder itself also accepts other cases and ``-`` for ``_``).
    """
    if registry is None:
        from ._default import default_registry

        registry = default_registry()
    defs: dict[str, Any] = {"sum": _sum_schema(), "multitask": _multitask_schema()}
    names: dict[str, list[str]] = {"sum": ["sum"], "multitask": ["multitask"]}
    conflicts = registry.conflicts()
    for qualified, spec in registry.specs():
        spellings = [qualified]
        if spec.name not in conflicts:
            spellings += [spec.name, *spec.aliases]
        key = f"loss:{qualified}"
        defs[key] = _leaf_schema(spec.summary, spellings, spec.params or ())
        names[key] = spellings
    every_name = sorted({n for spellings in names.values() for n in spellings})
    defs["node"] = {
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"enum": every_name}},
        "allOf": [
            {"if": {"properties": {"name": {"enum": spellings}}}, "then": {"$ref": f"#/$defs/{key}"}}
            for key, spellings in names.items()
        ],
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "losskit loss config",
        "$ref": "#/$defs/node",
        "$defs": defs,
    }


def _sum_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "weighted sum of its terms",
        "properties": {
            "name": {"const": "sum"},
            "weight": _WEIGHT_SCHEMA,
            "terms": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/node"}},
        },
        "required": ["name", "terms"],
        "additionalProperties": False,
    }


def _multitask_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "one loss per task over dict outputs and targets (Kendall et al. 2018 for 'uncertainty')",
        "properties": {
            "name": {"const": "multitask"},
            "weight": _WEIGHT_SCHEMA,
            "label": _LABEL_SCHEMA,
            "tasks": {"type": "object", "minProperties": 1, "additionalProperties": {"$ref": "#/$defs/node"}},
            "weighting": {"enum": list(WEIGHTINGS), "default": "fixed"},
            "weights": {"type": "object", "additionalProperties": {"type": "number"}},
            "task_types": {"type": "object", "additionalProperties": {"enum": list(TASK_TYPES)}},
        },
        "required": ["name", "tasks"],
        "additionalProperties": False,
    }


def _leaf_schema(summary: str, names: list[str], params: tuple[Param, ...]) -> dict[str, Any]:
    properties: dict[str, Any] = {"name": {"enum": names}, "weight": _WEIGHT_SCHEMA, "label": _LABEL_SCHEMA}
    properties.update({p.name: _param_schema(p) for p in params})
    return {
        "type": "object",
        "description": summary,
        "properties": properties,
        "required": ["name"],
        "additionalProperties": False,
    }


def _param_schema(p: Param) -> dict[str, Any]:
    default = list(p.default) if isinstance(p.default, tuple) else p.default
    schema: dict[str, Any] = {"description": p.doc, "default": default}
    if type(p).validate is not Param.validate:  # a plugin's own rule, e.g. "a float or one per class"
        return {**schema, "$comment": f"validated by the loss: {p.expected()}"}
    if p.choices is not None:
        schema["enum"] = [*p.choices, None] if p.nullable else list(p.choices)
        return schema
    bounds = {
        key: bound
        for key, bound in (("minimum", p.ge), ("exclusiveMinimum", p.gt), ("maximum", p.le), ("exclusiveMaximum", p.lt))
        if bound is not None
    }
    kind = {float: "number", int: "integer", bool: "boolean", str: "string"}.get(p.type)
    alternatives: list[dict[str, Any]]
    if kind is None:  # tuple of floats, or also one float
        alternatives = [{"type": "array", "items": {"type": "number", **bounds}}]
        if p.scalar:
            alternatives.insert(0, {"type": "number", **bounds})
    else:
        alternatives = [{"type": kind, **(bounds if kind in ("number", "integer") else {})}]
    if p.nullable:
        alternatives.append({"type": "null"})
    if p.finite:
        schema["$comment"] = "finite values only"
    return {**schema, "anyOf": alternatives} if len(alternatives) > 1 else {**schema, **alternatives[0]}
