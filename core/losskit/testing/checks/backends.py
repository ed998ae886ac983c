"""Checks on other execution paths: ``torch.compile`` (tag ``compile``) and CUDA (when present)."""

from __future__ import annotations

import random

import torch

from .._examples import (
    FLOAT32,
    assert_close,
    assert_finite,
    call,
    grads,
    magnitude,
    make,
    reductions,
    seeded,
    with_grad,
)
from .._params import variant
from .._subject import ConformanceError, RegisteredSpec, conformance_check


@conformance_check("comp")
def check_compile(subject: RegisteredSpec) -> None:
    """Tagged ``compile``: ``torch.compile`` (aot_eager backend) matches eager in value and gradient.

    One reduction ('mean' where offered: the whole path, elementwise then reduced), since compiling is slow.
    """
    offered = reductions(subject)
    reduction = "mean" if "mean" in offered or not offered else offered[0]
    loss = subject.build(reduction=reduction)
    torch.compiler.reset()  # the lambda's code is shared by every loss: past dynamo's recompile limit it runs eagerly
    compiled = torch.compile(lambda x, y, **ctx: loss(x, y, **ctx), backend="aot_eager")
    results = []
    for run in (loss, compiled):
        example, leaves = with_grad(subject, make(subject))
        with seeded(subject):
            out = run(example.input, example.target, **example.context)
        out.sum().backward()
        results.append((out, grads(leaves)))
    (eager_out, eager_grads), (compiled_out, compiled_grads) = results
    what = f"reduction={reduction!r}: torch.compile"
    assert_close(compiled_out, eager_out, rtol=1e-6, atol=1e-9, what=f"{what} against eager")
    for got, want in zip(compiled_grads, eager_grads):
        assert_close(got, want, rtol=1e-6, atol=1e-9, what=f"{what} gradient against eager")


@conformance_check("cuda")
def check_cuda(subject: RegisteredSpec) -> None:
    """On a GPU: with default and random params, the loss moved to CUDA matches CPU in value and gradient.

    Float32 on both; the example is made from the same CPU generator for both
    devices, so the data are equal. A nondeterministic loss draws from another
    generator on the GPU: only its output's device and finiteness are checked.
    """
    exact = "nondeterministic" not in subject.spec.tags
    for params in ({}, variant(subject, random.Random(8), make(subject))):
        for reduction in reductions(subject):
            loss = subject.build(**{**params, "reduction": reduction})
            what = f"{loss.hparams}: "
            results = []
            for device in ("cpu", "cuda"):  # the CPU run first: .to() moves the loss itself
                example, leaves = with_grad(subject, make(subject, dtype=torch.float32, device=device))
                out = call(subject, loss.to(device), example)
                if out.device.type != device:
                    raise ConformanceError(f"{what}expected the output on {device}, got {out.device}")
                assert_finite(out, f"{what}value on {device}")
                out.sum().backward()
                results.append((out, grads(leaves)))
            if not exact:
                continue
            (cpu_out, cpu_grads), (gpu_out, gpu_grads) = results
            rtol, atol = FLOAT32
            assert_close(gpu_out, cpu_out, rtol=rtol, atol=atol * magnitude(cpu_out), what=what + "CUDA against CPU")
            for got, want in zip(gpu_grads, cpu_grads):
                assert_close(got, want, rtol=rtol, atol=atol * magnitude(want), what=what + "CUDA gradient against CPU")
