"""Checks of the numbers: references, dtypes, extreme inputs, the optimum, gradients, functional form, no mutation."""

from __future__ import annotations

import inspect
import random
from collections.abc import Callable
from dataclasses import replace

import torch
from torch import Tensor, nn
from torch.autograd.gradcheck import GradcheckError
from torch.func import functional_call

from ...loss import Loss
from .._examples import (
    FLOAT32,
    assert_close,
    assert_finite,
    call,
    clone,
    extreme,
    fixed_seed,
    flat_tensors,
    grads,
    is_penalty,
    magnitude,
    make,
    model_of,
    reductions,
    seeded,
    with_grad,
)
from .._params import variant
from .._subject import ConformanceError, RegisteredSpec, conformance_check

# (rtol, atol relative to the largest expected value) against float64 results.
_TOLERANCE = {torch.float64: (1e-7, 1e-9), torch.float32: FLOAT32}


def _dtypes(subject: RegisteredSpec) -> list[torch.dtype]:
    out = [torch.float32, torch.float64]
    return out if "no_bfloat16" in subject.spec.tags else [*out, torch.bfloat16]


@conformance_check("ref")
def check_reference(subject: RegisteredSpec) -> None:
    """Match the spec's float64 reference in float64 (tight) and float32, for every reduction and a few params."""
    reference = subject.spec.reference
    rng = random.Random(0)
    settings = [{}, variant(subject, rng, make(subject)), variant(subject, rng, make(subject))]
    for params in settings:
        for reduction in reductions(subject):
            loss = subject.build(**{**params, "reduction": reduction})
            for dtype, (rtol, atol) in _TOLERANCE.items():
                example = make(subject, dtype=dtype)
                expected = reference(example, **loss.hparams)
                assert_close(
                    call(subject, loss, example),
                    expected,
                    rtol=rtol,
                    atol=atol * magnitude(expected),
                    what=f"{dtype} with {loss.hparams} against the float64 reference",
                )


@conformance_check("dtype")
def check_dtypes(subject: RegisteredSpec) -> None:
    """Finite values and gradients in float32, float64 and bfloat16; float32 and bfloat16 close to float64."""
    for reduction in reductions(subject):
        loss = subject.build(reduction=reduction)
        values = {}
        for dtype in _dtypes(subject):
            example, leaves = with_grad(subject, make(subject, dtype=dtype))
            out = call(subject, loss.to(dtype) if is_penalty(subject) else loss, example)
            assert_finite(out, f"{dtype}, reduction={reduction!r}: value")
            out.sum().backward()
            for g in grads(leaves):
                assert_finite(g, f"{dtype}, reduction={reduction!r}: gradient")
            values[dtype] = out
        exact = values[torch.float64]
        rtol, atol = FLOAT32
        assert_close(
            values[torch.float32], exact, rtol=rtol, atol=atol * magnitude(exact), what=f"reduction={reduction!r}: float32 against float64"
        )
        if torch.bfloat16 in values and reduction != "none":  # 8 bits of mantissa: a few percent, summed
            assert_close(
                values[torch.bfloat16],
                exact,
                rtol=5e-2,
                atol=5e-2 * max(float(exact.detach().abs()), 1e-3),
                what=f"reduction={reduction!r}: bfloat16 against float64",
            )


@conformance_check("ext")
def check_extreme_inputs(subject: RegisteredSpec) -> None:
    """Finite values and gradients with inputs scaled by 1e4 (logits ±1e4, probabilities at 0 and 1)."""
    for dtype in _dtypes(subject):
        for reduction in reductions(subject):
            example, leaves = with_grad(subject, extreme(subject, make(subject, dtype=dtype)))
            out = call(subject, subject.build(reduction=reduction), example)
            what = f"{dtype}, reduction={reduction!r}, inputs scaled by 1e4"
            assert_finite(out, f"{what}: value")
            out.sum().backward()
            for g in grads(leaves):
                assert_finite(g, f"{what}: gradient")


@conformance_check("opt", level=2)
def check_optimum(subject: RegisteredSpec) -> None:
    """Input equal to target (the optimum of a same-shape loss): finite values and gradients, float32 and float64.

    With default and random params, for every reduction; ``sqrt((x - y)**2)`` for ``|x - y|`` gives NaN here.
    """
    example = make(subject)
    x, y = example.input, example.target
    if not (isinstance(x, Tensor) and x.is_floating_point() and isinstance(y, Tensor) and x.shape == y.shape):
        raise ConformanceError(
            "the contract's target is 'same_shape', expected the example's input and target to be tensors of one "
            f"shape with a floating-point input, got {_describe(x)} and {_describe(y)}"
        )
    for params in ({}, variant(subject, random.Random(10), example)):
        for dtype in (torch.float32, torch.float64):
            for reduction in reductions(subject):
                made = make(subject, dtype=dtype)
                at_optimum = replace(made, input=made.target.detach().to(made.input.dtype).clone())
                loss = subject.build(**{**params, "reduction": reduction})
                ex, leaves = with_grad(subject, at_optimum)
                out = call(subject, loss, ex)
                what = f"{dtype}, {loss.hparams}, input equal to target"
                assert_finite(out, f"{what}: value")
                out.sum().backward()
                for g in grads(leaves):
                    assert_finite(g, f"{what}: gradient")


def _describe(x: object) -> str:
    return f"{x.dtype} {tuple(x.shape)}" if isinstance(x, Tensor) else type(x).__name__


class _Holder(nn.Module):
    """Holds a penalty's model so that ``functional_call`` can swap its parameters for gradcheck's inputs."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, evaluate: Callable[[], Tensor]) -> Tensor:
        return evaluate()


@conformance_check("grad")
def check_gradcheck(subject: RegisteredSpec) -> None:
    """``torch.autograd.gradcheck`` in float64 on a small batch, for every reduction."""
    example = make(subject, batch_size=3)
    model = model_of(example)
    for reduction in reductions(subject):
        loss = subject.build(reduction=reduction)
        if is_penalty(subject):
            holder, names = _Holder(model), [f"model.{n}" for n, _ in model.named_parameters()]
            inputs = tuple(p.detach().clone().requires_grad_(True) for p in model.parameters())

            def function(*params: Tensor, loss: Loss = loss) -> Tensor:
                # Called by gradcheck within this iteration, so the loop variables are current.
                return functional_call(holder, dict(zip(names, params)), (lambda: call(subject, loss, example),))  # noqa: B023

        else:
            inputs = (example.input.detach().clone().requires_grad_(True),)

            def function(x: Tensor, loss: Loss = loss) -> Tensor:
                return call(subject, loss, replace(example, input=x))

        try:
            with fixed_seed():  # fast_mode draws its random directions from the global generator
                torch.autograd.gradcheck(function, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, fast_mode=True)
        except GradcheckError as exc:
            raise ConformanceError(
                f"reduction={reduction!r}: expected analytical and numerical gradients to agree, got: "
                + str(exc).strip().splitlines()[0]
            ) from exc


@conformance_check("func")
def check_functional(subject: RegisteredSpec) -> None:
    """The functional form takes the declared defaults and agrees with the module, with default and random params.

    Its signature's defaults are the declared ones, and called without parameters it equals the loss built
    with its defaults (a hand-written functional can drift from the declarations).
    """
    functional, spec = subject.spec.functional, subject.spec
    name = getattr(functional, "__name__", "the functional form")
    try:
        signature = inspect.signature(functional).parameters
    except (TypeError, ValueError):  # a builtin without a signature: only its behaviour can be compared
        signature = {}
    takes_any = any(p.kind is p.VAR_KEYWORD for p in signature.values())
    for p in spec.params or ():
        given = signature.get(p.name)
        if given is None:
            if signature and not takes_any:
                raise ConformanceError(f"expected {name}() to take the declared param {p.name!r}, got {list(signature)}")
        elif given.default is not given.empty and given.default != p.default:
            raise ConformanceError(
                f"param {p.name!r}: declared default {p.default!r}, but {name}() defaults it to {given.default!r}"
            )
    example = make(subject)
    for params in ({}, variant(subject, random.Random(1), example)):
        for reduction in reductions(subject):
            loss = subject.build(**{**params, "reduction": reduction})
            expected = call(subject, loss, example)
            with seeded(subject):
                got = functional(example.input, example.target, **loss.hparams, **example.context)
            assert_close(got, expected, rtol=1e-12, atol=1e-12, what=f"functional form with {loss.hparams} against the module")
    with seeded(subject):
        got = functional(example.input, example.target, **subject.params, **example.context)
    assert_close(
        got,
        call(subject, subject.build(), example),
        rtol=1e-12,
        atol=1e-12,
        what=f"{name}() called without parameters against the module with the declared defaults",
    )


def _same(a: Tensor, b: Tensor) -> bool:
    return torch.equal(a, b) or (a.is_floating_point() and torch.allclose(a, b, rtol=0, atol=0, equal_nan=True))


@conformance_check("mut")
def check_no_mutation(subject: RegisteredSpec) -> None:
    """Neither the input, the target nor the context (a model included) is modified, with default and random params."""
    example = make(subject)
    settings = ({}, variant(subject, random.Random(7), clone(example)))
    originals = clone(example)
    before = [t._version for t in flat_tensors(example)]
    for params in settings:
        for reduction in reductions(subject):
            call(subject, subject.build(**{**params, "reduction": reduction}), example)
    after = [t._version for t in flat_tensors(example)]
    labels = ["input"] * len(flat_tensors(example.input)) + ["target"] * len(flat_tensors(example.target))
    labels += [f"context[{k!r}]" for k, v in example.context.items() for _ in flat_tensors(v)]
    for label, old, new, was, now in zip(labels, before, after, flat_tensors(originals), flat_tensors(example)):
        if new != old:
            raise ConformanceError(f"expected {label} untouched, got an in-place modification (_version {old} -> {new})")
        if not _same(was, now):
            raise ConformanceError(f"expected {label} unchanged, got different values after the call")
