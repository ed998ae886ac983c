"""Example inputs for the checks: made from the spec's maker, called, differentiated, transformed, compared."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import torch
from torch import Tensor, nn
from torch.utils._pytree import tree_flatten, tree_map, tree_unflatten

from ..loss import Loss
from ..params import REDUCTIONS
from ..spec import Example
from ._subject import ConformanceError, RegisteredSpec

SEED = 20240611
BATCH = 6

#: (rtol, atol) of a float32 result against float64; atol is scaled by :func:`magnitude`.
FLOAT32 = (1e-4, 1e-5)


def generator(seed: int = SEED) -> torch.Generator:
    """A CPU generator; a check seeds its own, so that checks never depend on their order."""
    return torch.Generator().manual_seed(seed)


def make(
    subject: RegisteredSpec,
    *,
    dtype: torch.dtype = torch.float64,
    batch_size: int = BATCH,
    device: str = "cpu",
    seed: int = SEED,
) -> Example:
    """The spec's example; equal seeds give the same data in every dtype and on every device."""
    example = subject.spec.example(generator(seed), dtype=dtype, device=device, batch_size=batch_size)
    if not isinstance(example, Example):
        raise ConformanceError(f"the example maker must return a losskit.Example, got {type(example).__name__}")
    return example


def is_penalty(subject: RegisteredSpec) -> bool:
    return "penalty" in subject.spec.tags


def reductions(subject: RegisteredSpec) -> tuple[str, ...]:
    for p in subject.spec.params or ():
        if p.name == "reduction":
            return tuple(p.choices or REDUCTIONS)
    return ()


@contextlib.contextmanager
def fixed_seed(seed: int = SEED) -> Iterator[None]:
    """The global CPU and CUDA generators seeded with ``seed``, and restored afterwards."""
    cuda = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=cuda):
        torch.manual_seed(seed)
        yield


@contextlib.contextmanager
def seeded(subject: RegisteredSpec) -> Iterator[None]:
    """For a nondeterministic loss, the same random draws at every call."""
    if "nondeterministic" not in subject.spec.tags:
        yield
        return
    with fixed_seed():
        yield


def call(subject: RegisteredSpec, loss: Loss, example: Example) -> Tensor:
    """``loss(input, target, **context)``; a nondeterministic loss draws from a fixed seed."""
    with seeded(subject):
        out = loss(example.input, example.target, **example.context)
    if not isinstance(out, Tensor):
        raise ConformanceError(f"the loss must return a tensor, got {type(out).__name__}")
    return out


def model_of(example: Example) -> nn.Module | None:
    model = example.context.get("model")
    return model if isinstance(model, nn.Module) else None


def with_grad(subject: RegisteredSpec, example: Example) -> tuple[Example, list[Tensor]]:
    """A copy whose differentiable leaves require grad, and those leaves (the input, or a penalty's parameters)."""
    if is_penalty(subject):
        model = model_of(example)
        leaves = [p for p in model.parameters() if p.is_floating_point()] if model is not None else []
        for p in leaves:
            p.requires_grad_(True)
            p.grad = None
        return example, leaves
    if isinstance(example.input, Tensor) and example.input.is_floating_point():
        x = example.input.detach().clone().requires_grad_(True)
        return replace(example, input=x), [x]
    return example, []


def grads(leaves: list[Tensor]) -> list[Tensor]:
    return [torch.zeros_like(x) if x.grad is None else x.grad for x in leaves]


def clone(example: Example) -> Example:
    """A deep copy of every tensor (a model in the context is copied too)."""

    def dup(x: Any) -> Any:
        if isinstance(x, Tensor):
            return x.detach().clone()
        return copy.deepcopy(x) if isinstance(x, nn.Module) else x

    return Example(tree_map(dup, example.input), tree_map(dup, example.target), tree_map(dup, dict(example.context)))


def batch_dims(subject: RegisteredSpec) -> list[int | None]:
    """For each tensor of an example (flattened input, target, context), its batch dimension or ``None``.

    Found by making the example with two batch sizes: the batch is the
    dimension that changes (dimension 1 of CTC's ``(T, N, C)`` input, none of
    a per-class weight).
    """
    small, large = (tree_flatten(_parts(make(subject, batch_size=n)))[0] for n in (BATCH, BATCH + 1))
    dims: list[int | None] = []
    for a, b in zip(small, large):
        changed = [d for d in range(a.dim()) if a.shape[d] != b.shape[d]] if isinstance(a, Tensor) else []
        dims.append(changed[0] if len(changed) == 1 else None)
    return dims


def _parts(example: Example) -> tuple[Any, Any, dict[str, Any]]:
    return example.input, example.target, dict(example.context)


def take(example: Example, index: Tensor, dims: list[int | None]) -> Example:
    """The samples ``index`` of the batch, along each tensor's batch dimension (see :func:`batch_dims`)."""
    leaves, structure = tree_flatten(_parts(example))
    picked = [x if d is None else x.index_select(d, index.to(x.device)) for x, d in zip(leaves, dims)]
    input, target, context = tree_unflatten(picked, structure)
    return Example(input, target, context)


def extreme(subject: RegisteredSpec, example: Example, scale: float = 1e4) -> Example:
    """Inputs pushed to the extremes: logits and values times 1e4, probabilities to (almost) 0 and 1."""
    if is_penalty(subject):
        model = model_of(example)
        if model is not None:
            with torch.no_grad():
                for p in model.parameters():
                    p.mul_(scale)
        return example
    x = example.input
    if not (isinstance(x, Tensor) and x.is_floating_point()):
        return example
    kind, dtype, x64 = subject.spec.contract.input, x.dtype, x.detach().to(torch.float64)
    normalised = x64.dim() >= 2 and x64.shape[1] > 1
    if kind == "probabilities":
        if normalised and torch.allclose(x64.sum(1), torch.ones(()).to(x64)):
            x64 = torch.softmax(x64.clamp_min(1e-12).log() * scale, dim=1)
        else:
            x64 = torch.sigmoid(torch.logit(x64.clamp(1e-12, 1 - 1e-12)) * scale)
    elif kind == "log_probabilities":
        if normalised and torch.allclose(x64.exp().sum(1), torch.ones(()).to(x64)):
            x64 = torch.log_softmax(x64 * scale, dim=1)
        else:
            x64 = (x64 * scale).clamp_max(0)
    else:
        x64 = x64 * scale
    return replace(example, input=x64.to(dtype))


def flat_tensors(tree: Any) -> list[Tensor]:
    """Every tensor in ``tree`` (an Example, or its input, target or a context value), a model's included."""
    leaves, _ = tree_flatten(_parts(tree) if isinstance(tree, Example) else tree)
    out = []
    for leaf in leaves:
        if isinstance(leaf, Tensor):
            out.append(leaf)
        elif isinstance(leaf, nn.Module):
            out.extend(leaf.state_dict(keep_vars=True).values())
    return out


def magnitude(x: Tensor) -> float:
    """The largest absolute value of ``x``, at least 1: what an absolute tolerance is scaled by."""
    return max(float(x.detach().abs().max()), 1.0) if x.numel() else 1.0


def assert_close(actual: Any, expected: Any, *, rtol: float, atol: float, what: str) -> None:
    """Equal shapes and values within tolerance, else a ConformanceError saying both; NaN equals nothing."""
    if not isinstance(actual, Tensor) or not isinstance(expected, Tensor):
        raise ConformanceError(f"{what}: expected a tensor, got {type(actual).__name__}")
    if actual.shape != expected.shape:
        raise ConformanceError(f"{what}: expected shape {tuple(expected.shape)}, got {tuple(actual.shape)}")
    a, e = actual.detach().to("cpu", torch.float64), expected.detach().to("cpu", torch.float64)
    if torch.allclose(a, e, rtol=rtol, atol=atol):
        return
    diff = (a - e).abs().nan_to_num(nan=float("inf"))
    at = int(diff.flatten().argmax()) if diff.numel() else 0
    got, want = a.flatten()[at].item(), e.flatten()[at].item()
    where = f" at index {tuple(int(i) for i in torch.unravel_index(torch.tensor(at), a.shape))}" if a.dim() else ""
    raise ConformanceError(
        f"{what}: expected {want:.10g}, got {got:.10g}{where} (rtol={rtol:g}, atol={atol:g}, "
        f"{int((~(diff <= atol + rtol * e.abs())).sum())} of {max(a.numel(), 1)} values differ)"
    )


def assert_finite(x: Tensor, what: str) -> None:
    if not bool(torch.isfinite(x.detach()).all()):
        bad = x.detach().to("cpu", torch.float64).flatten()
        bad = bad[~torch.isfinite(bad)][0].item()
        raise ConformanceError(f"{what}: expected finite values, got {bad} ({x.dtype})")
