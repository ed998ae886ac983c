"""Checks of how a loss is found and built: discovery, defaults, name, invalid parameters, docstring."""

from __future__ import annotations

import doctest
import functools
import inspect
import random
import re
import sys
from importlib import metadata

import torch

from ...config import build_loss
from ...errors import AmbiguousLossError, InvalidParamError, LosskitError
from ...loss import Loss
from .._examples import fixed_seed, make
from .._params import invalid_values, non_defaults
from .._subject import ConformanceError, RegisteredSpec, conformance_check


def _dist_key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@functools.cache
def _packages_distributions() -> dict[str, list[str]]:
    """Top-level import name -> distributions: slow to compute (it reads every installed RECORD), so once."""
    return metadata.packages_distributions()


@conformance_check("disc")
def check_discovery(subject: RegisteredSpec) -> None:
    """The registry finds the spec by its name and aliases, from the plugin of the distribution that ships it."""
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
    """Defaults construct (a required param without default: a clear InvalidParamError); they match ``__init__``'s.

    Built directly through its class with a valid non-default value for each param in turn, the loss
    records that value: a hand-written ``__init__`` that does not pass a param on is caught.
    """
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
    _passes_every_param_on(subject, spec.factory)


def _passes_every_param_on(subject: RegisteredSpec, cls: type) -> None:
    """``cls(**{param: valid non-default value})`` records that value, for each param in turn."""
    rng, example = random.Random(9), make(subject)
    for p in subject.spec.params or ():
        for value in non_defaults(subject, p, rng, example):
            call = f"{cls.__qualname__}({p.name}={value!r})"
            try:
                loss = cls(**{**subject.params, p.name: value})
            except InvalidParamError:
                continue  # refused by a rule across params: try another value
            except Exception as exc:  # SpecError: a hand-written __init__ dropped it (losskit.declare.dropped_params)
                raise ConformanceError(f"param {p.name!r}: {call} raised {type(exc).__name__}: {exc}") from exc
            recorded, wanted = loss.hparams.get(p.name), p.validate(value, owner=cls.__qualname__)
            if recorded != wanted:
                raise ConformanceError(
                    f"param {p.name!r}: {call} records {p.name}={recorded!r}, not the value given: pass every param "
                    "on to super().__init__(), and do not replace it afterwards"
                )
            break


@conformance_check("name")
def check_name(subject: RegisteredSpec) -> None:
    """The Loss class is named as its spec (``loss_name``), and ``Cls().to_config()`` builds back into this spec."""
    cls, spec = subject.spec.factory, subject.spec
    if cls.loss_name != spec.name:
        raise ConformanceError(
            f"expected {cls.__qualname__}.loss_name to be {spec.name!r}, the spec's name, got {cls.loss_name!r}: "
            f"a loss built as {cls.__qualname__}(...) writes that name into its errors and its config; "
            f'name it once: class {cls.__qualname__}(Loss, name="{spec.name}")'
        )
    config = cls(**subject.params).to_config()
    written = config.get("name")
    try:
        found = subject.registry.get_spec(written)
    except AmbiguousLossError:
        return  # two plugins register the name: reported by the registry, not this loss's doing
    except LosskitError as exc:
        raise ConformanceError(
            f"{cls.__qualname__}().to_config() names {written!r}, which the registry cannot build: {exc}"
        ) from None
    if found is not spec:
        raise ConformanceError(
            f"{cls.__qualname__}().to_config() names {written!r}, which the registry builds as the spec of "
            f"{found.name!r}, not this one"
        )
    rebuilt = build_loss(config, registry=subject.registry).to_config()
    if rebuilt != config:
        raise ConformanceError(f"expected {cls.__qualname__}().to_config() {config} to build back into it, got {rebuilt}")


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
    """The Loss class has a docstring with a formula (``.. math::`` or ``:math:``) and a source; the spec cites one.

    The docstring's ``>>>`` examples run as doctests (ELLIPSIS allowed; global generators seeded), in the
    class's module globals plus ``torch``; a failing example fails the check with doctest's report.
    """
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
    report = _run_examples(cls)
    if report:
        raise ConformanceError(f"expected the docstring examples of {cls.__qualname__} to pass, got:\n{report}")


def _run_examples(cls: type) -> str:
    """doctest's report of the class docstring's failing ``>>>`` examples; empty when they pass (or there are none)."""
    module = sys.modules.get(cls.__module__)
    globs = {**(vars(module) if module else {}), "torch": torch}
    finder = doctest.DocTestFinder(recurse=False)
    report: list[str] = []
    runner = doctest.DocTestRunner(verbose=False, optionflags=doctest.ELLIPSIS)
    for test in finder.find(cls, f"{cls.__module__}.{cls.__qualname__}", module=module or False, globs=globs):
        with fixed_seed():
            runner.run(test, out=report.append)
    return "".join(report).strip()
