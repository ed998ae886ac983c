"""``losskit show`` (and its older name ``describe``): a loss or a composite, with its formula and an example."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import click

from .._naming import normalize
from ._docstrings import docstring_example, formula, import_path, indent
from ._output import JSON_OPTION, console, echo_json, registry
from .catalog import loss_json

if TYPE_CHECKING:
    from ..registry import Registry


@dataclass(frozen=True)
class Shown:
    """What ``losskit show`` prints about a loss or a composite (``--json`` prints it as it is)."""

    name: str
    summary: str
    description: str  # the registry's description, or a composite's config keys
    import_path: str
    functional: str | None
    formula: str | None
    example: str
    config: dict[str, Any]
    details: dict[str, Any] = field(default_factory=dict)


#: Config examples of the composites, which have no spec of their own.
_COMPOSITE_EXAMPLES = {
    "sum": {"name": "sum", "terms": [{"name": "focal", "gamma": 2.0}, {"name": "l2_penalty", "weight": 1.0e-4}]},
    "multitask": {"name": "multitask", "tasks": {"seg": {"name": "cross_entropy"}, "depth": {"name": "l1"}},
                  "weighting": "uncertainty", "task_types": {"seg": "classification", "depth": "regression"}},
}


def _show_options(command: Any) -> Any:
    command = click.argument("name")(command)
    return JSON_OPTION(command)


@click.command("show")
@_show_options
def show_command(name: str, as_json: bool) -> int:
    """Show a loss: parameters, contract, formula, example.

    The summary, parameters, input contract, formula, import path and an example. NAME is a
    registered loss (any case, an alias, or plugin:name) or a composite (sum, multitask).
    """
    reg = registry()
    shown = _composite(name, reg) if normalize(name) in _COMPOSITE_EXAMPLES else _registered(name, reg)
    if as_json:
        data = asdict(shown)
        echo_json({**{k: v for k, v in data.items() if k not in ("details", "description")}, **data["details"]})
        return 0
    out = console()
    if not out.is_terminal:
        click.echo(_show_text(shown))
        return 0
    from rich.markup import escape
    from rich.syntax import Syntax

    first, _, rest = shown.description.partition("\n")
    out.print(f"[bold cyan]{escape(first)}[/]")
    out.print(escape(rest))
    out.print(f"  [dim]import:[/] {shown.import_path}" + (f"   [dim]functional:[/] {shown.functional}"
                                                           if shown.functional else ""))
    if shown.formula:
        out.print("  [dim]formula:[/]")
        out.print(f"[yellow]{escape(indent(shown.formula, 4))}[/]")
    out.print("  [dim]example:[/]")
    lexer = "pycon" if ">>>" in shown.example else "python"
    out.print(Syntax(shown.example, lexer, padding=(0, 4), background_color="default"))
    out.print(f"  [dim]config:[/] {escape(json.dumps(shown.config))}")
    return 0


describe_command = _show_options(
    click.Command("describe", callback=show_command.callback, help="Same as show (its older name)."),
)


def _show_text(shown: Shown) -> str:
    lines = [shown.description, f"  import: {shown.import_path}"]
    if shown.functional:
        lines.append(f"  functional: {shown.functional}")
    if shown.formula:
        lines += ["  formula:", indent(shown.formula, 4)]
    lines += ["  example:", indent(shown.example, 4), f"  config: {json.dumps(shown.config)}"]
    return "\n".join(lines)


def _registered(name: str, reg: Registry) -> Shown:
    spec, factory = reg.get_spec(name), reg.get_spec(name).factory
    config = {"name": spec.name, **dict(spec.example_params)}
    args = "".join(f", {k}={v!r}" for k, v in spec.example_params.items())
    example = docstring_example(factory.__doc__) or f'>>> loss = get_loss("{spec.name}"{args})'
    c, keys = spec.contract, spec.context_keys
    details = {
        **{k: v for k, v in loss_json(reg, name).items() if k not in ("name", "summary")},
        "context": None if keys is None else {"accepted": sorted(keys.accepted), "required": sorted(keys.required)},
        "contract": {"input": c.input, "target": c.target, "input_shape": c.input_shape,
                     "target_shape": c.target_shape, "output_shape": c.output_shape},
        "tags": sorted(spec.tags),
    }
    return Shown(spec.name, spec.summary, reg.describe(name), import_path(factory),
                 import_path(spec.functional) if spec.functional else None, formula(factory), example, config,
                 details)


def _composite(name: str, reg: Registry) -> Shown:
    from ..compose import WeightedSum
    from ..multitask import MultiTask
    from ..schema import config_schema

    key = normalize(name)
    cls = {WeightedSum.loss_name: WeightedSum, MultiTask.loss_name: MultiTask}[key]
    schema = config_schema(reg)["$defs"][key]
    keys = {k: v for k, v in schema["properties"].items() if k != "name"}
    lines = [f"{key} — {schema['description']}", "  config keys:"]
    for k, prop in keys.items():
        required = " (required)" if k in schema.get("required", ()) else ""
        lines.append(f"    {k}{required}: {_describe_property(prop)}")
    config = _COMPOSITE_EXAMPLES[key]
    example = docstring_example(cls.__doc__, sys.modules[cls.__module__].__doc__) or f">>> build_loss({config!r})"
    details = {"kind": "composite", "keys": keys, "required": list(schema.get("required", ()))}
    return Shown(key, schema["description"], "\n".join(lines), import_path(cls), None, formula(cls), example,
                 config, details)


def _describe_property(prop: dict[str, Any]) -> str:
    if "description" in prop:
        return prop["description"]
    if "enum" in prop:
        default = f" (default {prop['default']})" if "default" in prop else ""
        return "one of " + ", ".join(map(str, prop["enum"])) + default
    if prop.get("type") == "array":
        return "a list of config nodes"
    if prop.get("type") not in (None, "object"):
        return f"a {prop['type']}"
    values = prop.get("additionalProperties", {})
    of = "a config node" if "$ref" in values else _describe_property(values) if values else "a value"
    return f"a mapping of names to {of}"
