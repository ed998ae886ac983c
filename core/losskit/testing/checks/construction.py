"""Checks of how a loss is found and built: discovery, defaults, invalid parameters, docstring."""

from __future__ import annotations

import functools
import inspect
import re
from importlib import metadata

from ...errors import AmbiguousLossError, InvalidParamError
from ...loss import Loss
from .._params import invalid_values
from .._subject import CheckSkipped, ConformanceError, RegisteredSpec, conformance_check


def _dist_key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@functools.cache
def _packages_distributions() -> dict[str, list[str]]:
    """Top-level import name -> distributions: slow to compute (it reads every installed RECORD), so once."""
    return metadata.packages_distributions()


@conformance_check("disc")
def check_discovery(subject: RegisteredSpec) -> None:
    """The registry finds the spec by its name and aliases, from the plugin of the distribution that ships it."""
    if subject.plugin is None:
        raise CheckSkipped("the spec was passed directly, not discovered through a plugin")
    registry, spec = subject.registry, subject.spec
    for name in (subject.name, *spec.aliases):
        try:
            found = registry.get_spec(name)
        except AmbiguousLossError:
            continue
        if found is not spec:
            raise ConformanceError(f"the name {name!r} should resolve to this spec, got the spec of {found.name!r}")
    provider = registry.provider(subject.name)
    if provider.name != subject.plugin.name:
        raise ConformanceError(f"expected plugin {subject.plugin.name!r} to provide it, got {provider.name!r}")
    dist = provider.distribution
    if dist is None:
        return
    top = getattr(spec.factory, "__module__", "").partition(".")[0]
    shipping = _packages_distributions().get(top)
    if shipping and _dist_key(dist) not in {_dist_key(d) for d in shipping}:
        raise ConformanceError(
            f"the factory {spec.factory.__module__}.{getattr(spec.factory, '__qualname__', '?')} is shipped by "
            f"{', '.join(shipping)}, but the plugin {provider.label} that registers it belongs to {dist}"
        )


@conformance_check("def")
def check_defaults(subject: RegisteredSpec) -> None:
    """Defaults construct (a required param without default: a clear InvalidParamError); they match ``__init__``'s."""
    spec = subject.spec
    names = spec.param_names
    if "reduction" not in names:
        raise ConformanceError(f"expected a 'reduction' parameter (losskit.reduction_param()), got params {names}")
    if subject.params:  # a required parameter: building without it must say so
        try:
            subject.registry.get_loss(subject.name)
        except InvalidParamError:
            pass
        else:
            raise ConformanceError(f"checked with params {dict(subject.params)}, but the defaults build too: drop them")
    loss = subject.build()
    if not isinstance(loss, Loss):
        raise ConformanceError(f"expected the factory to build a losskit.Loss, got {type(loss).__name__}")
    declared = {p.name: p.default for p in spec.params or ()}
    expected = {**declared, **subject.params}
    if loss.hparams != expected:
        raise ConformanceError(f"expected hparams {expected} (the declared defaults), got {loss.hparams}")
    if not isinstance(spec.factory, type):
        return
    signature = {
        p.name: p.default
        for p in inspect.signature(spec.factory).parameters.values()
        if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
    }
    if set(signature) != set(declared):
        raise ConformanceError(
            f"expected __init__ to take exactly the declared params {sorted(declared)}, got {sorted(signature)}"
        )
    for name, default in declared.items():
        if signature[name] != default:
            raise ConformanceError(
                f"param {name!r}: declared default {default!r}, but __init__ defaults it to {signature[name]!r}"
            )


@conformance_check("inv")
def check_invalid_params(subject: RegisteredSpec) -> None:
    """Unknown names and values outside each Param's range, choices or type raise InvalidParamError naming the param."""
    spec = subject.spec
    try:
        subject.build(not_a_param_xyz=1)
    except InvalidParamError as exc:
        if "not_a_param_xyz" not in str(exc):
            raise ConformanceError(f"expected the error for an unknown param to name it, got {exc}") from None
    else:
        raise ConformanceError("expected InvalidParamError for the unknown param 'not_a_param_xyz', got a loss")
    builders = [("the registry", subject.build)]
    if isinstance(spec.factory, type):
        builders.append((f"{spec.factory.__name__}(...)", lambda **kw: spec.factory(**{**subject.params, **kw})))
    for p in spec.params or ():
        for value, why in invalid_values(p):
            for how, build in builders:
                try:
                    build(**{p.name: value})
                except InvalidParamError as exc:
                    if p.name not in str(exc):
                        raise ConformanceError(f"expected the error for {p.name}={value!r} to name {p.name!r}, got {exc}") from None
                    continue
                except Exception as exc:
                    raise ConformanceError(
                        f"expected InvalidParamError for {p.name}={value!r} ({why}) through {how}, "
                        f"got {type(exc).__name__}: {exc}"
                    ) from exc
                raise ConformanceError(
                    f"expected InvalidParamError for {p.name}={value!r} ({why}) through {how}, "
                    "got a loss: the value was accepted silently"
                )


_FORMULA = re.compile(r"\.\. math::|:math:`")
_SOURCE = re.compile(r"reference|\b(1[89]|20)\d\d\b|arxiv|doi", re.IGNORECASE)


@conformance_check("doc")
def check_docstring(subject: RegisteredSpec) -> None:
    """The Loss class has a docstring with a formula (``.. math::`` or ``:math:``) and a source; the spec cites one."""
    cls = subject.spec.factory if isinstance(subject.spec.factory, type) else type(subject.build())
    doc = cls.__doc__ or ""  # not inspect.getdoc: it would inherit losskit.Loss's docstring
    if not doc.strip():
        raise ConformanceError(f"expected a docstring on {cls.__qualname__}, got none")
    if not _FORMULA.search(doc):
        raise ConformanceError(f"expected the docstring of {cls.__qualname__} to give the formula (.. math::), got none")
    if not _SOURCE.search(doc):
        raise ConformanceError(
            f"expected the docstring of {cls.__qualname__} to cite its source (a 'Reference:' line), got none"
        )
    if not subject.spec.source.strip():
        raise ConformanceError("expected LossSpec.source to cite the paper, got an empty string")
