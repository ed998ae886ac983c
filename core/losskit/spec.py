"""What a plugin registers: a :class:`LossSpec` per loss, never an instance."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import torch
from torch import Tensor

from ._naming import is_valid_name, normalize
from .contract import InputContract
from .errors import SpecError
from .loss import ContextKeys, Loss, context_keys_of
from .params import Param

__all__ = [
    "API_VERSION",
    "CONFORMANCE_LEVEL",
    "Example",
    "ExampleMaker",
    "Identity",
    "InputContract",
    "LossSpec",
    "MEAN_DENOMINATORS",
    "TAGS",
]

#: The plugin API version this core implements; a spec declaring another is refused.
API_VERSION = 1

#: The conformance kit's level. A check introduced at a level above the one a spec declares
#: (``LossSpec.conformance``) warns instead of failing for it. Level 2 added the checks of hostile
#: input (integer and other target dtypes, NaN propagation, autocast) and of the optimum.
CONFORMANCE_LEVEL = 2

#: Capability tags a spec may carry; the conformance suite reads them.
TAGS = {
    "batch_coupled": "the value of one sample depends on the others (contrastive, fairness, dice over the batch)",
    "compile": "works under torch.compile (checked)",
    "ignore_index": "has an ignore_index parameter; ignored targets change neither value nor gradient",
    "weight": "accepts a per-element or per-sample weight= context tensor",
    "no_bfloat16": "not defined in bfloat16 (e.g. relies on float64-only kernels)",
    "no_gradcheck": "not differentiable everywhere, so gradcheck does not apply (e.g. hinge at the kink)",
    "nondeterministic": "uses random sampling; fixed seeds are needed for repeatable values",
    "penalty": "a regularisation term: reads model= from context, ignores input and target",
    "composite": "built from other losses (informational: kept for plugins that declare it; no check reads it)",
}

#: What ``reduction='mean'`` divides the summed ``'none'`` output by (the conformance suite checks it):
#: ``elements``: the number of elements of the ``'none'`` output; ``batch``: the batch size N;
#: ``non_ignored``: the number of class targets not equal to the ``ignore_index`` param;
#: ``weights``: the sum, over those targets, of their class's weight ``class_weights[y_n]`` (1 without
#: the ``class_weights`` param), as torch's ``cross_entropy`` and ``nll_loss`` do with ``weight=``;
#: ``custom``: anything else (not checked). A zero denominator gives a 'mean' of 0. A per-sample
#: ``weight=`` context tensor scales the summed losses but never changes the denominator.
MEAN_DENOMINATORS = ("elements", "batch", "non_ignored", "weights", "custom")


@dataclass(frozen=True)
class Example:
    """One call's worth of arguments: ``loss(example.input, example.target, **example.context)``."""

    input: Any
    target: Any
    context: Mapping[str, Any] = field(default_factory=dict)


class ExampleMaker(Protocol):
    def __call__(
        self, generator: torch.Generator, *, dtype: torch.dtype, device: torch.device | str, batch_size: int
    ) -> Example: ...


@dataclass(frozen=True)
class Identity:
    """A declared equality: this loss with ``params`` equals ``equals`` with ``equals_params``.

    e.g. ``Identity({"gamma": 0.0}, "cross_entropy", note="focal with gamma=0 is cross-entropy")``.
    """

    params: Mapping[str, Any]
    equals: str
    equals_params: Mapping[str, Any] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class LossSpec:
    """Everything the registry, the docs and the conformance suite know about one loss.

    ``factory`` builds the loss from validated keyword parameters; when it is a
    :class:`Loss` subclass, ``params`` default to its declared ``params``.
    ``example`` makes inputs for the conformance suite. ``reference``, written
    independently of the implementation in float64 from the paper, is called
    as ``reference(example, **params)`` with every parameter (``reduction``
    included) and returns the expected loss. ``functional`` is the functional
    form, called as ``functional(input, target, **params, **context)``.
    ``example_params`` are the parameters the conformance suite builds the loss
    with when its defaults cannot run on the example inputs, e.g. a required
    ``samples_per_class`` with one count per class of the example.

    For a class written in the declaration form, :meth:`of` takes what the
    class already says (name, parameters, functional form, summary) and adds
    only the facts.
    """

    name: str
    factory: Callable[..., Loss]
    summary: str
    family: str
    source: str
    contract: InputContract
    example: ExampleMaker
    params: tuple[Param, ...] | None = None
    aliases: tuple[str, ...] = ()
    reference: Callable[..., Tensor] | None = None
    functional: Callable[..., Tensor] | None = None
    tags: frozenset[str] = frozenset()
    identities: tuple[Identity, ...] = ()
    example_params: Mapping[str, Any] = field(default_factory=dict)
    mean_denominator: Literal["elements", "batch", "non_ignored", "weights", "custom"] = "elements"
    api_version: int = API_VERSION
    conformance: int = 1

    def __post_init__(self) -> None:
        where = f"LossSpec {self.name!r}"
        for n in (self.name, *self.aliases):
            if not isinstance(n, str) or not is_valid_name(normalize(n)):
                raise SpecError(f"{where}: name {n!r} must be lower_snake_case letters, digits and '_'.")
        if self.api_version != API_VERSION:
            newer = isinstance(self.api_version, int) and self.api_version > API_VERSION
            fix = (
                "It is written for a newer losskit: upgrade losskit (pip install --upgrade losskit), or install "
                f"a release of the plugin written for plugin API {API_VERSION}."
                if newer
                else f"Use a release of the plugin written for plugin API {API_VERSION}."
            )
            raise SpecError(
                f"{where}: declares plugin API version {self.api_version!r}; this losskit "
                f"({_losskit_version()}) implements version {API_VERSION}. {fix}"
            )
        if not (isinstance(self.conformance, int) and 1 <= self.conformance <= CONFORMANCE_LEVEL):
            raise SpecError(
                f"{where}: conformance must be a level from 1 to {CONFORMANCE_LEVEL} (this losskit's kit), "
                f"got {self.conformance!r}; a higher level needs a newer losskit."
            )
        if not callable(self.factory):
            raise SpecError(f"{where}: factory must be callable, got {self.factory!r}.")
        unknown_tags = set(self.tags) - TAGS.keys()
        if unknown_tags:
            raise SpecError(f"{where}: unknown tags {sorted(unknown_tags)}; known: {sorted(TAGS)}.")
        if self.mean_denominator not in MEAN_DENOMINATORS:
            raise SpecError(f"{where}: mean_denominator must be one of {MEAN_DENOMINATORS}.")
        if self.params is None:
            if not (isinstance(self.factory, type) and issubclass(self.factory, Loss)):
                raise SpecError(f"{where}: params are required when the factory is not a Loss subclass.")
            object.__setattr__(self, "params", tuple(self.factory.params))
        object.__setattr__(self, "tags", frozenset(self.tags))
        object.__setattr__(self, "aliases", tuple(normalize(a) for a in self.aliases))
        object.__setattr__(self, "name", normalize(self.name))

    @classmethod
    def of(
        cls,
        loss: type[Loss],
        *,
        family: str,
        source: str,
        contract: InputContract,
        example: ExampleMaker,
        reference: Callable[..., Tensor] | None = None,
        aliases: tuple[str, ...] = (),
        tags: Iterable[str] = (),
        identities: tuple[Identity, ...] = (),
        example_params: Mapping[str, Any] | None = None,
        mean_denominator: Literal["elements", "batch", "non_ignored", "weights", "custom"] = "elements",
        summary: str | None = None,
        conformance: int = CONFORMANCE_LEVEL,
    ) -> LossSpec:
        """The spec of ``loss``: its name (``class X(Loss, name=...)``), parameters, functional form and
        summary (the docstring's first sentence, unless ``summary`` is given) come from the class."""
        if not (isinstance(loss, type) and issubclass(loss, Loss)):
            raise SpecError(f"LossSpec.of takes a losskit.Loss subclass, got {loss!r}.")
        if not loss.loss_name:
            raise SpecError(
                f"LossSpec.of({loss.__qualname__}): the class has no name; declare it once: "
                f"class {loss.__qualname__}(Loss, name=\"...\")."
            )
        return cls(
            name=loss.loss_name,
            factory=loss,
            summary=summary or _first_sentence(loss.__doc__, loss.__qualname__),
            family=family,
            source=source,
            contract=contract,
            example=example,
            aliases=tuple(aliases),
            reference=reference,
            functional=getattr(loss, "functional", None),
            tags=frozenset(tags),
            identities=tuple(identities),
            example_params=dict(example_params or {}),
            mean_denominator=mean_denominator,
            conformance=conformance,
        )

    @property
    def context_keys(self) -> ContextKeys | None:
        """The context keywords the loss takes, read from its class's ``forward``; ``None`` for a factory function."""
        if isinstance(self.factory, type) and issubclass(self.factory, Loss):
            return context_keys_of(self.factory.forward)
        return None

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params or ())


def _losskit_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"losskit {version('losskit')}"
    except PackageNotFoundError:
        return "losskit from source"


def _first_sentence(doc: str | None, owner: str) -> str:
    """The docstring's opening sentence, on one line, without its final period."""
    text = " ".join((doc or "").strip().split("\n\n")[0].split())
    text = re.sub(r":math:`([^`]*)`", r"\1", text).replace("``", "`")  # plain text: no reST roles
    if not text:
        raise SpecError(f"LossSpec.of({owner}): give the class a docstring (its first sentence is the summary).")
    return text.split(". ")[0].rstrip(".")
