"""The docs site's catalogue of losses, generated from the installed registry: one page per family and an index.

For every registered loss: its summary, the description and formula of its
class docstring (``.. math::`` blocks become display maths, ``:math:`` roles
inline maths), its parameters, context keywords, input contract, source (the
paper, and the code), an example, and its plot from :func:`losskit.plotting.plot_loss`
(or why there is none). Used by ``hooks.py`` at build time; nothing here is committed.
"""

from __future__ import annotations

import inspect
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

from losskit import LosskitError, LossSpec, Registry
from losskit.plotting import SWEEPS, plot_loss

ROOT = Path(__file__).resolve().parents[2]
SECTION = re.compile(r"^(Args|Arguments|Shape|Context|Examples?|Returns|Raises|Notes?|Attributes):\s*$")
ROLE = re.compile(r":(?:class|func|meth|mod|data|attr|obj|exc):`~?([^`]+)`")
INLINE_MATH = re.compile(r":math:`([^`]+)`")


@dataclass(frozen=True)
class Entry:
    """One loss as the catalogue shows it: the name ``list_losses`` gives it (qualified on a clash)."""

    name: str
    spec: LossSpec
    distribution: str
    plugin: str

    @property
    def anchor(self) -> str:
        return self.name.replace(":", "-")

    @property
    def page(self) -> str:
        return family_uri(self.spec.family)


def family_uri(family: str) -> str:
    return f"losses/{family}.md"


def entries(registry: Registry) -> list[Entry]:
    out = []
    for name in registry.list_losses():
        info = registry.provider(name)
        out.append(Entry(name, registry.get_spec(name), info.distribution or "", info.name))
    return out


# -- plots ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plot:
    """A drawn plot (``path``, with the sweep it shows) or the reason there is none."""

    path: Path | None
    sweep: str
    reason: str


def make_plot(entry: Entry, folder: Path, registry: Registry) -> Plot:
    preset = SWEEPS.get(entry.spec.name)
    param, values = preset if preset else (None, None)
    try:
        path = plot_loss(entry.name, param, None if param else values, folder / f"{entry.anchor}.png", registry=registry)
    except LosskitError as exc:
        reason = str(exc).split("\n")[0]
        reason = re.sub(r"^plot_loss cannot draw '[^']+': ", "", reason)
        return Plot(None, "", reason[:1].upper() + reason[1:])
    sweep = f"{param} = {', '.join(f'{v:g}' for v in values)}" if param else "default parameters"
    return Plot(path, sweep, "")


# -- docstrings to Markdown ---------------------------------------------------------------------


def split_docstring(doc: str) -> tuple[str, dict[str, str], str]:
    """The description (before the first section), the sections by name, and the ``Reference:`` paragraph."""
    description: list[str] = []
    sections: dict[str, list[str]] = {}
    reference: list[str] = []
    current = description
    for line in doc.splitlines():
        header = SECTION.match(line)
        if header:
            current = sections.setdefault(header.group(1), [])
            continue
        if line.startswith("Reference:") or line.startswith("References:"):
            current = reference
            line = line.split(":", 1)[1].strip()
        elif current is reference and not line.strip():
            current = description
        current.append(line)
    return (
        "\n".join(description).strip(),
        {k: textwrap.dedent("\n".join(v)).strip() for k, v in sections.items()},
        " ".join(" ".join(reference).split()),
    )


def inline(text: str) -> str:
    """RST roles to Markdown: ``:math:`x``` to ``\\(x\\)``, ``:class:`~a.B``` to a code span."""
    text = INLINE_MATH.sub(lambda m: rf"\({m.group(1)}\)", text)
    return ROLE.sub(lambda m: f"`{m.group(1).rsplit('.', 1)[-1] if '~' in m.group(0) else m.group(1)}`", text)


def description_markdown(text: str) -> str:
    """The description, ``.. math::`` blocks as display maths (``$$`` blocks for arithmatex)."""
    out: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith(".. math::"):
            body = [stripped[len(".. math::") :].strip()] if stripped != ".. math::" else []
            i += 1
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith((" ", "\t"))):
                body.append(lines[i])
                i += 1
            formula = textwrap.dedent("\n".join(body)).strip()
            out += ["", "$$", formula, "$$", ""]
            continue
        out.append(inline(line))
        i += 1
    return "\n".join(out).strip()


def formulas(doc: str) -> int:
    return doc.count(".. math::")


# -- pages ---------------------------------------------------------------------------------------


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def loss_section(entry: Entry, plot: Plot) -> str:
    spec = entry.spec
    factory = spec.factory
    doc = inspect.getdoc(factory) or ""
    description, sections, reference = split_docstring(doc)
    lines = [f"## {entry.name} {{ #{entry.anchor} }}", ""]
    facts = [f"plugin `{entry.plugin}` ({entry.distribution or 'in-process'})"]
    if spec.aliases:
        facts.append("aliases " + ", ".join(f"`{a}`" for a in spec.aliases))
    lines += ["; ".join(facts).capitalize() + ".", ""]
    lines += [description_markdown(description) if description else f"{inline(spec.summary)}.", ""]
    if not formulas(doc):
        lines += ['!!! note "No formula"', "    The class docstring has no `.. math::` block.", ""]
    params = [p for p in spec.params or () if p.name != "reduction"]
    if params:
        lines += ["| parameter | default | accepts | meaning |", "|---|---|---|---|"]
        for p in params:
            lines.append(f"| `{p.name}` | `{p.default!r}` | {cell(p.expected())} | {cell(inline(p.doc))} |")
        lines.append("")
    reduction = next((p for p in spec.params or () if p.name == "reduction"), None)
    if reduction is not None:
        lines += [f"`reduction`: {', '.join(f'`{c!r}`' for c in reduction.choices or ())}; default `{reduction.default!r}`.", ""]
    keys = spec.context_keys
    if keys is not None and keys.accepted:
        described = ", ".join(f"`{k}=` (required)" if k in keys.required else f"`{k}=`" for k in sorted(keys.accepted))
        lines += [f"**Context keywords:** {described}.", ""]
    c = spec.contract
    lines += [
        f"**Input:** {c.input}, `{c.input_shape}`. **Target:** {c.target}, `{c.target_shape}`. "
        f"**Output:** `{c.output_shape}`.",
        "",
    ]
    if sections.get("Shape"):
        lines += [f"**Shape.** {inline(' '.join(sections['Shape'].split()))}", ""]
    if spec.identities:
        said = "; ".join(
            f"with {', '.join(f'{k}={v!r}' for k, v in i.params.items())} it equals `{i.equals}`"
            + (f" ({', '.join(f'{k}={v!r}' for k, v in i.equals_params.items())})" if i.equals_params else "")
            for i in spec.identities
        )
        lines += [f"**Identities** (checked by the conformance suite): {said}.", ""]
    if spec.tags:
        lines += ["**Tags:** " + ", ".join(f"`{t}`" for t in sorted(spec.tags)) + ".", ""]
    lines += [f"**Source:** {inline(spec.source)}.", ""]
    if reference and reference not in spec.source:
        lines += [f"**Reference:** {inline(reference)}", ""]
    if plot.path is not None:
        kind = "probability of the true class" if spec.contract.target != "same_shape" else "residual"
        alt = f"{entry.name}: the loss and its gradient against the {kind}, {plot.sweep}"
        lines += [f"![{alt}](plots/{plot.path.name}){{ .losskit-plot loading=eager }}", "", f"*Plot: {plot.sweep}.*", ""]
    else:
        lines += ['!!! info "No plot"', f"    `plot_loss` cannot draw this loss: {plot.reason}.", ""]
    if sections.get("Examples") or sections.get("Example"):
        example = sections.get("Examples") or sections.get("Example")
        lines += ["```pycon", example, "```", ""]
    lines += code_block(factory)
    return "\n".join(lines)


def code_block(factory: object) -> list[str]:
    """A collapsed block with the class's source and where it lives."""
    module = inspect.getmodule(factory)
    try:
        source = inspect.getsource(factory)  # type: ignore[arg-type]
        file = Path(inspect.getsourcefile(factory) or "")  # type: ignore[arg-type]
    except (OSError, TypeError):
        return []
    where = repository_path(file, module.__name__ if module else "")
    qualname = f"{module.__name__}.{getattr(factory, '__qualname__', '')}" if module else ""
    body = textwrap.indent(f"```python\n{source.rstrip()}\n```", "    ")
    return [f'??? abstract "Code: `{qualname}` in `{where}`"', "", body, ""]


def repository_path(file: Path, module: str) -> str:
    """Where a module lives in this repository (installed copies point back to their folder), else its file name."""
    if file.is_relative_to(ROOT):
        return str(file.relative_to(ROOT))
    package = module.split(".")[0]
    inside = Path(*module.split(".")[1:-1], file.name) if file.name != "__init__.py" else Path(*module.split(".")[1:], file.name)
    for folder in (ROOT / "core", *ROOT.glob("plugins/*"), *ROOT.glob("docs/examples/*")):
        candidate = folder / package / inside
        if candidate.is_file():
            return str(candidate.relative_to(ROOT))
    return file.name


def family_page(family: str, family_entries: list[Entry], plots: dict[str, Plot]) -> str:
    head = [
        f"# {family}",
        "",
        f"The {len(family_entries)} losses of the `{family}` family installed when this site was built, "
        "generated from the registry (see [all families](index.md)). Each plot shows the loss and its "
        "gradient, drawn by `losskit.plotting.plot_loss`.",
        "",
    ]
    return "\n".join(head + [loss_section(e, plots[e.name]) for e in family_entries])


def index_page(all_entries: list[Entry], plots: dict[str, Plot], fingerprint: str) -> str:
    families = sorted({e.spec.family for e in all_entries})
    drawn = sum(p.path is not None for p in plots.values())
    lines = [
        "# Losses",
        "",
        f"Every loss registered when this site was built: {len(all_entries)} losses in {len(families)} families "
        f"({drawn} with a plot). The pages are generated from the registry, so they show what the installed "
        "plugins declare: the formula from each class's docstring, the parameters with their ranges, the "
        "paper, the code and a plot of the loss and its gradient. `losskit list` shows the same losses in a "
        "terminal, and the [catalogue table](../catalogue.md) is the same list as one page of Markdown.",
        "",
        "Built with: " + ", ".join(f"`{d}`" for d in fingerprint.split(";") if d) + ".",
        "",
    ]
    for family in families:
        own = [e for e in all_entries if e.spec.family == family]
        lines += [f"## {family}", "", "| loss | summary | source | plot |", "|---|---|---|---|"]
        for e in own:
            plot = "yes" if plots[e.name].path is not None else "no"
            lines.append(
                f"| [`{e.name}`]({family}.md#{e.anchor}) | {cell(inline(e.spec.summary))} | {cell(inline(e.spec.source))} | {plot} |"
            )
        lines.append("")
    return "\n".join(lines)
