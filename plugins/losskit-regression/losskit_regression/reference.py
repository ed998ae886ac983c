"""Independent float64 references, written from each loss's source, for the conformance suite.

They share no code with the implementations: each is the formula of the cited
source, computed elementwise in float64, then reduced by
:func:`losskit.testing.reference.reduce_reference`.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from losskit import Example
from losskit.testing.reference import f64, reduce_reference


def _xy(example: Example) -> tuple[Tensor, Tensor]:
    return f64(example.input), f64(example.target)


def mse_reference(example: Example, *, reduction: str) -> Tensor:
    x, y = _xy(example)
    return reduce_reference((x - y) ** 2, reduction, weight=example.context.get("weight"))


def l1_reference(example: Example, *, reduction: str) -> Tensor:
    x, y = _xy(example)
    return reduce_reference((x - y).abs(), reduction, weight=example.context.get("weight"))


def huber_reference(example: Example, *, delta: float, reduction: str) -> Tensor:
    # Huber 1964: rho(t) = t^2 / 2 for |t| < k, k|t| - k^2 / 2 otherwise.
    x, y = _xy(example)
    t = (x - y).abs()
    rho = torch.where(t < delta, t**2 / 2, delta * t - delta**2 / 2)
    return reduce_reference(rho, reduction, weight=example.context.get("weight"))


def smooth_l1_reference(example: Example, *, beta: float, reduction: str) -> Tensor:
    # Girshick 2015, eq. 3, generalised by the transition point beta (beta = 0: |t|).
    x, y = _xy(example)
    t = (x - y).abs()
    rho = t if beta == 0 else torch.where(t < beta, t**2 / (2 * beta), t - beta / 2)
    return reduce_reference(rho, reduction, weight=example.context.get("weight"))


def log_cosh_reference(example: Example, *, reduction: str) -> Tensor:
    x, y = _xy(example)
    return reduce_reference(torch.log(torch.cosh(x - y)), reduction, weight=example.context.get("weight"))


def quantile_reference(example: Example, *, q: float, reduction: str) -> Tensor:
    # Koenker & Bassett 1978: rho_q(u) = max(q u, (q - 1) u), u = y - x.
    x, y = _xy(example)
    u = y - x
    return reduce_reference(torch.maximum(q * u, (q - 1) * u), reduction, weight=example.context.get("weight"))


def poisson_nll_reference(
    example: Example, *, log_input: bool, full: bool, eps: float, reduction: str
) -> Tensor:
    # -log P(y | lam) = lam - y log lam + log y!; log y! dropped, or Stirling's formula for y > 1.
    x, y = _xy(example)
    nll = torch.exp(x) - y * x if log_input else x - y * torch.log(x + eps)
    if full:
        stirling = y * torch.log(y) - y + 0.5 * torch.log(2 * math.pi * y)
        nll = nll + torch.where(y > 1, stirling, torch.zeros_like(y))
    return reduce_reference(nll, reduction, weight=example.context.get("weight"))


def gaussian_nll_reference(example: Example, *, full: bool, eps: float, reduction: str) -> Tensor:
    # -log N(y | mu, s2) = (log s2 + (y - mu)^2 / s2) / 2 + log(2 pi) / 2, with s2 clamped to eps.
    x, y = _xy(example)
    var = example.context["var"]
    s2 = (f64(var) if isinstance(var, Tensor) else torch.tensor(float(var), dtype=torch.float64)).clamp(min=eps)
    if s2.dim() == x.dim() - 1 and s2.shape == x.shape[:-1]:
        s2 = s2.unsqueeze(-1)
    nll = (torch.log(s2) + (y - x) ** 2 / s2) / 2
    if full:
        nll = nll + math.log(2 * math.pi) / 2
    return reduce_reference(nll.expand(x.shape), reduction, weight=example.context.get("weight"))


def pseudo_huber_reference(example: Example, *, delta: float, reduction: str) -> Tensor:
    x, y = _xy(example)
    rho = delta**2 * (torch.sqrt(1 + ((x - y) / delta) ** 2) - 1)
    return reduce_reference(rho, reduction, weight=example.context.get("weight"))


def barron_reference(example: Example, *, alpha: float, scale: float, reduction: str) -> Tensor:
    # Barron 2019, eq. 1 and its limits at alpha = 2, 0, -inf (and +inf).
    x, y = _xy(example)
    z = ((x - y) / scale) ** 2
    if alpha == 2:
        rho = z / 2
    elif alpha == 0:
        rho = torch.log(z / 2 + 1)
    elif alpha == -math.inf:
        rho = 1 - torch.exp(-z / 2)
    elif alpha == math.inf:
        rho = torch.exp(z / 2) - 1
    else:
        rho = abs(alpha - 2) / alpha * ((z / abs(alpha - 2) + 1) ** (alpha / 2) - 1)
    return reduce_reference(rho, reduction, weight=example.context.get("weight"))
