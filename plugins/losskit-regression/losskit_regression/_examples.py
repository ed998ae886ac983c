"""Example inputs for the conformance suite beyond :func:`losskit.examples.paired_values`: counts, variances."""

from __future__ import annotations

import torch

from losskit import Example
from losskit.examples import paired_values


def poisson_counts(
    generator: torch.Generator, *, dtype: torch.dtype, device: torch.device | str, batch_size: int
) -> Example:
    """Log-rates in ``[-2, 0]`` as ``input``, Poisson counts (rate 2) as ``target``, ``(batch_size, 3)``.

    Non-positive log-rates stay finite when scaled towards ``-inf`` (the rate collapses to 0); a
    large positive log-rate overflows ``exp`` in any dtype, which is the true value of the loss.
    For ``log_input=False`` pass ``input.exp()``.
    """
    shape = (batch_size, 3)
    log_rate = -2 * torch.rand(shape, generator=generator, dtype=torch.float64)
    counts = torch.poisson(torch.full(shape, 2.0, dtype=torch.float64), generator=generator)
    return Example(log_rate.to(device=device, dtype=dtype), counts.to(device=device, dtype=dtype))


def values_with_variance(
    generator: torch.Generator, *, dtype: torch.dtype, device: torch.device | str, batch_size: int
) -> Example:
    """Standard normal ``input`` and ``target`` with a positive ``var`` context of the same shape."""
    example = paired_values()(generator, dtype=dtype, device=device, batch_size=batch_size)
    var = 0.1 + 1.9 * torch.rand(example.input.shape, generator=generator, dtype=torch.float64)
    return Example(example.input, example.target, {"var": var.to(device=device, dtype=dtype)})
