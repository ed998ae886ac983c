"""Checks of the tensors users pass beyond the example: other target dtypes, NaN, autocast.

The rules they check are those of :mod:`losskit.inputs` (class indices of every integer dtype; targets of
values converted to the precision the loss computes in) and :mod:`losskit.precision` (the dtype a loss
returns, under autocast too), and one of the numbers: a NaN in never comes out as a finite loss.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import torch
from torch import Tensor, nn
from torch.utils._pytree import tree_map

from ...errors import LossInputError
from ...spec import Example
from .._examples import (
    BATCH,
    FLOAT32,
    assert_close,
    call,
    grads,
    is_penalty,
    magnitude,
    make,
    model_of,
    reductions,
    with_grad,
)
from .._subject import ConformanceError, RegisteredSpec, conformance_check
from ._conditions import VALUE_KINDS

#: Every integer dtype a class index may come in (the rule of losskit.inputs.check_class_indices).
INTEGER_DTYPES = (
    torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8, torch.uint16, torch.uint32, torch.uint64,
)


def _run(subject: RegisteredSpec, loss: nn.Module, example: Example, what: str) -> Tensor:
    """``call``, with ``what`` (the dtype tried...) in the message of anything the loss raises."""
    try:
        return call(subject, loss, example)
    except ConformanceError:
        raise
    except Exception as exc:
        raise ConformanceError(f"{what}: raised {type(exc).__name__}: {exc}") from exc


@conformance_check("int", level=2)
def check_integer_targets(subject: RegisteredSpec) -> None:
    """Class indices (or labels) of every integer dtype that holds the example's values, int8 to uint64, give
    the value and gradient of the same int64 target, for every reduction (the target is never refused or
    crashed on for its integer dtype)."""
    example = make(subject)
    target = example.target
    low, high = (int(target.min()), int(target.max())) if target.numel() else (0, 0)
    dtypes = [d for d in INTEGER_DTYPES if torch.iinfo(d).min <= low and high <= torch.iinfo(d).max]
    for reduction in reductions(subject):
        loss = subject.build(reduction=reduction)
        ex, leaves = with_grad(subject, replace(example, target=target.long()))
        expected = call(subject, loss, ex)
        if expected.requires_grad:
            expected.sum().backward()
        expected_grads = grads(leaves)
        for dtype in dtypes:
            what = f"reduction={reduction!r}, a {dtype} target"
            ex, leaves = with_grad(subject, replace(example, target=target.to(dtype)))
            out = _run(subject, loss, ex, what)
            assert_close(out, expected, rtol=1e-12, atol=1e-12, what=f"{what} against the same int64 target")
            if out.requires_grad:
                out.sum().backward()
            for got, want in zip(grads(leaves), expected_grads):
                assert_close(got, want, rtol=1e-12, atol=1e-12, what=f"{what}: gradient against the int64 target's")


def _value_targets(subject: RegisteredSpec, y: Tensor) -> Iterator[tuple[str, Tensor]]:
    """The target in other dtypes: floating ones; for targets of values (not embeddings) whole numbers and bool."""
    yield "float64", y.double()
    yield "bfloat16", y.bfloat16()
    if subject.spec.contract.input != "embeddings":
        yield "int64 (whole values)", y.round().long()
        yield "bool", y > 0


@conformance_check("tdt", level=2)
def check_target_dtypes(subject: RegisteredSpec) -> None:
    """A target of values in another dtype (float64, bfloat16; int64 and bool unless embeddings) with a float32
    input gives the loss of that target converted to float32, as a float32 tensor; or both are refused with a
    LossInputError (a bool target of a ±1 loss). The rule of ``losskit.inputs.check_value_target``."""
    example = make(subject, dtype=torch.float32)
    x = example.input
    for reduction in reductions(subject):
        loss = subject.build(reduction=reduction)
        for name, y in _value_targets(subject, example.target):
            what = f"reduction={reduction!r}, the target as {name} with a {x.dtype} input"
            converted = replace(example, target=y.to(x.dtype))
            try:
                want = call(subject, loss, converted)
            except LossInputError as exc:
                refused: LossInputError | None = exc
            else:
                refused = None
            try:
                got = call(subject, loss, replace(example, target=y))
            except LossInputError as exc:
                if refused is None:
                    raise ConformanceError(
                        f"{what}: expected the loss of target.to({x.dtype}) (losskit converts a target of values "
                        f"to the precision it computes in), got LossInputError: {exc}"
                    ) from exc
                continue
            except Exception as exc:
                raise ConformanceError(f"{what}: raised {type(exc).__name__}: {exc}") from exc
            if refused is not None:
                raise ConformanceError(f"{what}: accepted, but target.to({x.dtype}) is refused: {refused}")
            if got.dtype != x.dtype:
                raise ConformanceError(f"{what}: expected a {x.dtype} loss (the input's dtype), got {got.dtype}")
            assert_close(got, want, rtol=1e-6, atol=1e-6 * magnitude(want), what=f"{what} against target.to({x.dtype})")


def _batch_slots(subject: RegisteredSpec, example: Example) -> list[tuple[str, int]]:
    """``(slot, batch dim)`` of the floating tensors among the input, a target of values (a target of another
    kind may be unused, as a fairness term's) and the top-level context values."""
    other = make(subject, batch_size=BATCH + 1)
    found = []
    target = ("target",) if subject.spec.contract.target in VALUE_KINDS else ()
    for slot in ("input", *target, *(f"context:{k}" for k in example.context)):
        a, b = _get(example, slot), _get(other, slot)
        if not (isinstance(a, Tensor) and a.is_floating_point() and isinstance(b, Tensor) and a.dim() == b.dim()):
            continue
        changed = [d for d in range(a.dim()) if a.shape[d] != b.shape[d]]
        if len(changed) == 1:
            found.append((slot, changed[0]))
    return found


def _get(example: Example, slot: str) -> object:
    if slot.startswith("context:"):
        return example.context.get(slot.removeprefix("context:"))
    return getattr(example, slot)


def _with_nan(example: Example, slot: str, dim: int) -> Example:
    """``example`` with the first sample of ``slot`` (along its batch dimension ``dim``) set to NaN."""
    x = _get(example, slot).detach().clone()
    x.select(dim, 0).fill_(float("nan"))
    if slot.startswith("context:"):
        return replace(example, context={**example.context, slot.removeprefix("context:"): x})
    return replace(example, **{slot: x})


def _says(slot: str) -> str:
    return f"context {slot.removeprefix('context:')}=" if slot.startswith("context:") else slot


@conformance_check("nan", level=2)
def check_nan_propagation(subject: RegisteredSpec) -> None:
    """NaN in the first sample of the input (and of a floating target or context tensor) never gives a finite
    loss: 'mean' and 'sum' are non-finite, 'none' is non-finite at that sample (somewhere, for a batch-coupled
    loss). Refusing it with a LossInputError is allowed. A penalty: NaN in every parameter of the model."""
    example = make(subject)
    coupled = "batch_coupled" in subject.spec.tags
    if is_penalty(subject):
        cases: list[tuple[str, Example]] = [("NaN in the model's parameters", _nan_model(example))]
    else:
        cases = [(f"NaN in sample 0 of the {_says(slot)}", _with_nan(example, slot, dim))
                 for slot, dim in _batch_slots(subject, example)]
    for what, poisoned in cases:
        for reduction in reductions(subject):
            loss = subject.build(reduction=reduction)
            try:
                out = call(subject, loss, poisoned)
            except LossInputError:
                continue
            finite = torch.isfinite(out.detach())
            if reduction == "none" and not coupled and not is_penalty(subject) and out.dim() > 0:
                finite, where = finite[0], "at sample 0 "
            else:
                where = ""
            if bool(finite.all()):
                shown = f"{out.item():g}" if out.numel() == 1 else f"finite values, shape {tuple(out.shape)}"
                raise ConformanceError(
                    f"{what}, reduction={reduction!r}: expected a non-finite loss {where}(NaN in, never a finite "
                    f"number out), got {shown}"
                )


def _nan_model(example: Example) -> Example:
    model = model_of(example)
    with torch.no_grad():
        for p in model.parameters() if model is not None else ():
            if p.is_floating_point() and p.numel():
                p.view(-1)[0] = float("nan")
    return example


def _float32(example: Example) -> Example:
    """Every floating tensor (and model) of ``example`` in float32: the same values as the bfloat16 ones."""

    def up(x: object) -> object:
        if isinstance(x, Tensor) and x.is_floating_point():
            return x.float()
        return x.float() if isinstance(x, nn.Module) else x

    return Example(tree_map(up, example.input), tree_map(up, example.target), tree_map(up, dict(example.context)))


@conformance_check("amp", level=2)
def check_autocast(subject: RegisteredSpec) -> None:
    """Under CPU autocast (bfloat16), float32 inputs and (unless tagged no_bfloat16) bfloat16 inputs give a float32
    loss, as torch's own losses do there, close to the float32 loss of the same values outside autocast: for
    float32 inputs within float32 tolerance (autocast runs no step of the maths in bfloat16), and the result is
    never rounded to bfloat16."""
    cases = [("float32 inputs", make(subject, dtype=torch.float32))]
    if not is_penalty(subject) and "no_bfloat16" not in subject.spec.tags:
        cases.append(("bfloat16 inputs", make(subject, dtype=torch.bfloat16)))
    for reduction in reductions(subject):
        loss = subject.build(reduction=reduction)
        for what, example in cases:
            # bfloat16 inputs: a loss may multiply them in bfloat16 as given (a linear layer's logits), so
            # their values are held to a bfloat16 tolerance; the float32 ones to float32's.
            rtol, atol = FLOAT32 if example.input.dtype == torch.float32 else (1e-2, 1e-3)
            exact = call(subject, loss, _float32(example))
            with torch.autocast("cpu", dtype=torch.bfloat16):
                out = _run(subject, loss, example, f"{what} under autocast")
            if out.dtype != torch.float32:
                raise ConformanceError(
                    f"reduction={reduction!r}, {what} under autocast: expected a float32 loss (torch's losses return "
                    f"float32 there), got {out.dtype}"
                )
            assert_close(
                out, exact, rtol=rtol, atol=atol * magnitude(exact),
                what=f"reduction={reduction!r}, {what} under autocast against the same values in float32 without it",
            )
