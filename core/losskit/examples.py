"""Example-input makers for common contracts, for a spec's ``example=`` (the conformance suite calls them).

A maker is called as ``maker(generator, dtype=..., device=..., batch_size=...)``
and returns an :class:`~losskit.Example`; equal seeds give the same data in
every dtype and on every device (drawn in float64 on the CPU, then moved).
"""

from __future__ import annotations

import torch

from .spec import Example, ExampleMaker

__all__ = ["paired_values"]


def paired_values(*, width: int = 3, input_scale: float = 1.0, target_scale: float = 1.0) -> ExampleMaker:
    """``input`` and ``target`` ``(batch_size, width)``, normal with standard deviations ``input_scale`` and
    ``target_scale`` (widen them so that residuals fall on both sides of a loss's threshold)."""

    def make(generator: torch.Generator, *, dtype: torch.dtype, device: torch.device | str, batch_size: int) -> Example:
        shape = (batch_size, width)
        input = input_scale * torch.randn(shape, generator=generator, dtype=torch.float64)
        target = target_scale * torch.randn(shape, generator=generator, dtype=torch.float64)
        return Example(input.to(device=device, dtype=dtype), target.to(device=device, dtype=dtype))

    make.__doc__ = f"``input`` and ``target`` ``(batch_size, {width})``, normal (sd {input_scale:g} and {target_scale:g})."
    return make
