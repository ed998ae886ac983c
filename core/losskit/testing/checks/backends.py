"""Checks on other execution paths: ``torch.compile`` (tag ``compile``) and CUDA (when present)."""

from __future__ import annotations

import torch

from .._examples import assert_close, call, grads, make, reductions, with_grad
from .._subject import CheckSkipped, ConformanceError, RegisteredSpec, conformance_check


@conformance_check("comp")
def check_compile(subject: RegisteredSpec) -> None:
    """Tagged ``compile``: ``torch.compile`` (aot_eager backend, forward and backward) matches eager."""
    if "compile" not in subject.spec.tags:
        raise CheckSkipped("no 'compile' tag")
    torch.compiler.reset()  # one lambda serves every loss: without a reset, dynamo's recompile limit would fall back to eager
    for reduction in ("none", "mean"):
        if reduction not in reductions(subject):
            continue
        loss = subject.build(reduction=reduction)
        compiled = torch.compile(lambda x, y, ctx, loss=loss: loss(x, y, **ctx), backend="aot_eager")
        outs, gs = [], []
        eager_and_compiled = (
            lambda ex: call(subject, loss, ex),  # noqa: B023 (called within this iteration)
            lambda ex: compiled(ex.input, ex.target, dict(ex.context)),  # noqa: B023
        )
        for run in eager_and_compiled:
            example, leaves = with_grad(subject, make(subject))
            out = run(example)
            out.sum().backward()
            outs.append(out)
            gs.append(grads(leaves))
        assert_close(outs[1], outs[0], rtol=1e-6, atol=1e-9, what=f"reduction={reduction!r}: torch.compile against eager")
        for got, want in zip(gs[1], gs[0]):
            assert_close(got, want, rtol=1e-6, atol=1e-9, what=f"reduction={reduction!r}: torch.compile gradient against eager")


@conformance_check("cuda")
def check_cuda(subject: RegisteredSpec) -> None:
    """On a GPU: the loss moved to CUDA matches CPU in value and gradient, and stays on the GPU."""
    if not torch.cuda.is_available():
        raise CheckSkipped("no CUDA device")
    for reduction in reductions(subject):
        loss = subject.build(reduction=reduction)
        results = []
        for device in ("cpu", "cuda"):
            example, leaves = with_grad(subject, make(subject, dtype=torch.float32, device=device))
            out = call(subject, loss.to(device), example)
            if out.device.type != device:
                raise ConformanceError(f"reduction={reduction!r}: expected the output on {device}, got {out.device}")
            out.sum().backward()
            results.append((out, grads(leaves)))
        (cpu_out, cpu_grads), (gpu_out, gpu_grads) = results
        assert_close(gpu_out, cpu_out, rtol=1e-4, atol=1e-5, what=f"reduction={reduction!r}: CUDA against CPU")
        for got, want in zip(gpu_grads, cpu_grads):
            assert_close(got, want, rtol=1e-4, atol=1e-5, what=f"reduction={reduction!r}: CUDA gradient against CPU")
