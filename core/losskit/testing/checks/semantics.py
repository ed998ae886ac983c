"""Checks of what a loss computes: shapes, reductions, identities, ignore_index, empty and permuted batches."""

from __future__ import annotations

import random
from dataclasses import replace

import torch
from torch import Tensor

from ...loss import Loss
from ...spec import Example
from .._examples import (
    BATCH,
    assert_close,
    assert_finite,
    batch_dims,
    call,
    generator,
    grads,
    is_penalty,
    make,
    reductions,
    take,
    with_grad,
)
from .._params import class_count, valid_value, variant
from .._subject import ConformanceError, RegisteredSpec, conformance_check

_TIGHT = {"rtol": 1e-9, "atol": 1e-11}


@conformance_check("shape")
def check_output_shape(subject: RegisteredSpec) -> None:
    """'mean' and 'sum' give a scalar, 'none' one value per sample; the output has the input's dtype (float32)."""
    example = make(subject, dtype=torch.float32)
    for reduction in reductions(subject):
        out = call(subject, subject.build(reduction=reduction), example)
        if isinstance(example.input, Tensor) and example.input.is_floating_point() and out.dtype != example.input.dtype:
            raise ConformanceError(f"reduction={reduction!r}: expected dtype {example.input.dtype}, got {out.dtype}")
        if reduction != "none":
            if out.shape != ():
                raise ConformanceError(f"reduction={reduction!r}: expected a scalar, got shape {tuple(out.shape)}")
        elif "batch_coupled" not in subject.spec.tags and not is_penalty(subject):
            if out.dim() == 0 or out.shape[0] != BATCH:
                raise ConformanceError(
                    f"reduction='none': expected shape (N, *) with N={BATCH} (the batch), got {tuple(out.shape)}"
                )


#: The ignore_index the checks use: not torch's default -100, so that a loss which drops the parameter
#: (or masks every negative target) is caught; 255 is the usual "void" label of segmentation datasets.
_IGNORED = 255


def _ignored_example(subject: RegisteredSpec, example: Example, count: int) -> tuple[Example, int]:
    """The example with its first ``count`` samples' targets set to an ignore_index; and that index."""
    param = next((p for p in subject.spec.params or () if p.name == "ignore_index"), None)
    if param is None:
        raise ConformanceError("expected an 'ignore_index' parameter (tag or mean_denominator says so), got none")
    target = example.target
    if not isinstance(target, Tensor) or target.is_floating_point() or target.dim() == 0:
        raise ConformanceError(
            f"checking ignore_index needs an example with integer class targets, got {type(target).__name__} "
            f"{getattr(target, 'dtype', '')}"
        )
    index = _IGNORED if valid_value(param, _IGNORED) else param.default
    target = target.clone()
    target[:count] = index
    return replace(example, target=target), index


def _small_class_weights(subject: RegisteredSpec, example: Example) -> dict[str, tuple[float, ...]]:
    """``class_weights`` in [0.05, 0.25] (inverse-frequency weights are often < 1), when the loss takes them."""
    if "class_weights" not in subject.spec.param_names or class_count(example) is None:
        return {}
    rng = random.Random(4)
    return {"class_weights": tuple(rng.uniform(0.05, 0.25) for _ in range(class_count(example)))}


@conformance_check("red")
def check_reduction(subject: RegisteredSpec) -> None:
    """'sum' is the sum of 'none'; 'mean' divides it by the declared denominator (default and random params)."""
    spec = subject.spec
    example = make(subject)
    settings = [{}, variant(subject, random.Random(5), example)]
    if spec.mean_denominator == "non_ignored" or (
        spec.mean_denominator == "weights" and "ignore_index" in spec.param_names
    ):
        example, index = _ignored_example(subject, example, 2)
        settings = [{**params, "ignore_index": index} for params in settings]
    if spec.mean_denominator == "weights":
        settings[1].update(_small_class_weights(subject, example))
    for params in settings:
        losses = {r: subject.build(**{**params, "reduction": r}) for r in reductions(subject)}
        none = call(subject, losses["none"], example)
        with_params = f" with {losses['none'].hparams}" if params else ""
        assert_close(
            call(subject, losses["sum"], example),
            none.sum(),
            **_TIGHT,
            what=f"reduction='sum' against the sum of reduction='none'{with_params}",
        )
        if "mean" not in losses or spec.mean_denominator == "custom":
            continue
        count = _denominator(subject, losses["mean"], example, none)
        assert_close(
            call(subject, losses["mean"], example),
            none.sum() / count if count else none.sum() * 0,
            **_TIGHT,
            what=f"reduction='mean' against the sum of 'none' over the {spec.mean_denominator} count ({count:g})"
            + with_params,
        )


def _denominator(subject: RegisteredSpec, loss: Loss, example: Example, none: Tensor) -> float:
    """What 'mean' divides by, as ``losskit.spec.MEAN_DENOMINATORS`` defines it."""
    kind = subject.spec.mean_denominator
    if kind == "elements":
        return none.numel()
    if kind == "batch":
        return BATCH
    target = example.target
    if not isinstance(target, Tensor) or target.is_floating_point():
        raise ConformanceError(f"mean_denominator={kind!r} needs an example with integer class targets")
    ignore_index = loss.hparams.get("ignore_index")
    kept = target != ignore_index if ignore_index is not None else torch.ones_like(target, dtype=torch.bool)
    if kind == "non_ignored":
        return float(kept.sum())
    weights = loss.hparams.get("class_weights")
    if weights is None:
        return float(kept.sum())
    per_class = torch.tensor(weights, dtype=torch.float64, device=target.device)
    return float(per_class[torch.where(kept, target, 0)][kept].sum())


@conformance_check("ident")
def check_identities(subject: RegisteredSpec) -> None:
    """Each declared Identity holds: this loss with some params equals another loss with others."""
    example = make(subject)
    for identity in subject.spec.identities:
        for reduction in reductions(subject):
            params = {"reduction": reduction, **identity.params}  # exactly the declared ones, no subject.params
            mine = call(subject, subject.registry.get_loss(subject.name, **params), example)
            theirs = call(subject, subject.lookup(identity.equals, **{"reduction": reduction, **identity.equals_params}), example)
            assert_close(
                mine,
                theirs,
                rtol=1e-7,
                atol=1e-9,
                what=f"identity {identity.note or ''} ({subject.name} {params} == {identity.equals} "
                f"{dict(identity.equals_params)})".replace("  ", " "),
            )


@conformance_check("ign")
def check_ignore_index(subject: RegisteredSpec) -> None:
    """Ignored targets change neither value nor gradient (default and random params); all ignored: finite, 0 gradient."""
    base = make(subject)
    example, index = _ignored_example(subject, base, 2)
    everything, _ = _ignored_example(subject, base, BATCH)
    noise = torch.randn(example.input.shape, generator=generator(), dtype=torch.float64).to(example.input)
    shifted = example.input.clone()
    shifted[:2] += noise[:2]
    for params in ({}, variant(subject, random.Random(6), base)):
        for reduction in reductions(subject):
            loss = subject.build(**{**params, "reduction": reduction, "ignore_index": index})
            what = f"{loss.hparams}: "
            ex, leaves = with_grad(subject, example)
            out = call(subject, loss, ex)
            out.sum().backward()
            moved = call(subject, loss, replace(example, input=shifted))
            assert_close(moved, out, **_TIGHT, what=what + "value after changing the ignored samples' input")
            grad = grads(leaves)[0]
            assert_close(grad[:2], torch.zeros_like(grad[:2]), rtol=0, atol=0, what=what + "gradient at ignored samples")
            ex, leaves = with_grad(subject, everything)
            out = call(subject, loss, ex)
            assert_finite(out, what + "every target ignored: value")
            out.sum().backward()
            grad = grads(leaves)[0]
            assert_close(grad, torch.zeros_like(grad), rtol=0, atol=0, what=what + "every target ignored: gradient")


@conformance_check("empty")
def check_empty_batch(subject: RegisteredSpec) -> None:
    """A batch of 0 samples: 'sum' and 'mean' give a finite 0 (penalties: finite), 'none' an empty tensor."""
    example = make(subject, batch_size=0)
    for reduction in reductions(subject):
        ex, leaves = with_grad(subject, example)
        out = call(subject, subject.build(reduction=reduction), ex)
        assert_finite(out, f"reduction={reduction!r}, empty batch")
        if is_penalty(subject):
            continue
        if reduction == "none":
            if out.numel() != 0:
                raise ConformanceError(f"reduction='none', empty batch: expected an empty tensor, got shape {tuple(out.shape)}")
        elif out.item() != 0:
            raise ConformanceError(f"reduction={reduction!r}, empty batch: expected 0, got {out.item():g}")
        if out.requires_grad:
            out.sum().backward()
            for g in grads(leaves):
                assert_finite(g, f"reduction={reduction!r}, empty batch: gradient")


@conformance_check("indep")
def check_batch_independence(subject: RegisteredSpec) -> None:
    """Without the batch_coupled tag: permuting the batch permutes 'none'; 'sum' over two shards adds up."""
    example, dims = make(subject), batch_dims(subject)
    if "none" in reductions(subject):
        loss = subject.build(reduction="none")
        perm = torch.randperm(BATCH, generator=generator())
        assert_close(
            call(subject, loss, take(example, perm, dims)),
            call(subject, loss, example)[perm.to(example.input.device)],
            **_TIGHT,
            what=f"reduction='none' on the batch permuted by {perm.tolist()} against the permuted output",
        )
    if "sum" in reductions(subject):
        loss = subject.build(reduction="sum")
        index, half = torch.arange(BATCH), BATCH // 2
        shards = call(subject, loss, take(example, index[:half], dims)) + call(subject, loss, take(example, index[half:], dims))
        assert_close(
            shards,
            call(subject, loss, example),
            **_TIGHT,
            what=f"reduction='sum' over samples [0, {half}) plus [{half}, {BATCH}) against the whole batch "
            "(one sample's loss depends on the others; declare the batch_coupled tag if that is meant)",
        )


@conformance_check("wgt")
def check_weight(subject: RegisteredSpec) -> None:
    """Tagged ``weight``: a per-sample ``weight=`` of shape ``(N,)`` multiplies each sample's loss, in every reduction.

    The weights never change what 'mean' divides by (``losskit.reduction``'s convention, torch's too).
    """
    example = make(subject)
    plain = call(subject, subject.build(reduction="none"), example)
    weight = (0.5 + torch.rand(BATCH, generator=generator(), dtype=torch.float64)).to(plain)
    weighted = replace(example, context={**example.context, "weight": weight})
    expected = plain * weight.reshape(-1, *([1] * (plain.dim() - 1)))
    for reduction in reductions(subject):
        loss = subject.build(reduction=reduction)
        if reduction == "none":
            want = expected
        elif reduction == "sum":
            want = expected.sum()
        elif subject.spec.mean_denominator in ("elements", "batch"):
            want = expected.sum() / (expected.numel() if subject.spec.mean_denominator == "elements" else BATCH)
        else:
            continue
        assert_close(
            call(subject, loss, weighted),
            want,
            **_TIGHT,
            what=f"reduction={reduction!r} with a per-sample weight against the unweighted 'none' output times the weight",
        )
