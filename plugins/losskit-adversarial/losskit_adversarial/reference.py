"""Float64 references for the conformance suite, written from the papers and their authors' code.

The attack is re-implemented here in the style of the TRADES / MART reference
code (iterating on ``x_adv``, ``min``/``max`` projection for l-inf) and of
Madry et al.'s robustness library for l2, on a float64 copy of the model. A
reference replays the example's ``start=`` perturbation; it cannot replay a
random draw, so without ``start=`` it supports the zero start only.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from losskit import Example
from losskit.testing.reference import f64, reduce_reference

__all__ = [
    "fgsm_adversarial_reference",
    "mart_reference",
    "pgd_adversarial_reference",
    "trades_kl_reference",
    "trades_reference",
]


def _log_softmax(z: Tensor) -> Tensor:
    return z - torch.logsumexp(z, dim=1, keepdim=True)


def _ce(logits: Tensor, y: Tensor) -> Tensor:
    return -_log_softmax(logits).gather(1, y.view(-1, 1)).squeeze(1)


def _kl(clean_logits: Tensor, adv_logits: Tensor) -> Tensor:
    """KL(p(x) || p(x')) per sample, summed over classes."""
    p = torch.softmax(clean_logits, dim=1)
    return (p * (_log_softmax(clean_logits) - _log_softmax(adv_logits))).sum(dim=1)


def _clamp(x: Tensor, low: float | None, high: float | None) -> Tensor:
    return x if low is None and high is None else torch.clamp(x, low, high)


def _adversarial_logits(
    example: Example, objective: Callable[[nn.Module, Tensor, Tensor], Tensor], *, epsilon: float,
    step_size: float, steps: int, norm: str, clip_min: float | None, clip_max: float | None, bn_mode: str,
    random_start: bool, **_: Any,
) -> Tensor:
    """f(x_adv) in float64; the clean logits themselves when epsilon or steps is 0."""
    if epsilon == 0 or steps == 0:
        return f64(example.input)
    model = copy.deepcopy(example.context["model"]).to("cpu", torch.float64)
    attacked = copy.deepcopy(model).eval() if bn_mode == "eval" else model
    x = f64(example.context["inputs"])
    if "start" in example.context:
        start = f64(example.context["start"])
    elif not random_start:
        start = torch.zeros_like(x)
    else:
        raise ValueError("the reference replays the start= perturbation of the example; it cannot replay a random draw")
    x_adv = _project(x + start, x, epsilon, norm, clip_min, clip_max)
    for _ in range(steps):
        x_adv.requires_grad_()
        with torch.enable_grad():
            value = objective(attacked, x_adv, x)
        grad = torch.autograd.grad(value, [x_adv])[0]
        if norm == "linf":
            x_adv = x_adv.detach() + step_size * torch.sign(grad.detach())
        else:
            g_norm = grad.flatten(1).norm(dim=1).view(-1, *[1] * (x.dim() - 1))
            x_adv = x_adv.detach() + step_size * grad / torch.where(g_norm == 0, 1.0, g_norm)
        x_adv = _project(x_adv, x, epsilon, norm, clip_min, clip_max)
    return model(x_adv.detach())


def _project(x_adv: Tensor, x: Tensor, epsilon: float, norm: str, low: float | None, high: float | None) -> Tensor:
    if norm == "linf":
        x_adv = torch.min(torch.max(x_adv, x - epsilon), x + epsilon)
    else:
        delta = x_adv - x
        d_norm = delta.flatten(1).norm(dim=1).view(-1, *[1] * (x.dim() - 1))
        x_adv = x + delta * torch.where(d_norm > epsilon, epsilon / d_norm, 1.0)
    return _clamp(x_adv, low, high).detach()


def _target(example: Example) -> Tensor:
    return example.target.cpu().long()


def _cross_entropy_attack(example: Example) -> Callable[[nn.Module, Tensor, Tensor], Tensor]:
    y = _target(example)
    return lambda model, x_adv, x: _ce(model(x_adv), y).sum()


def _kl_attack(model: nn.Module, x_adv: Tensor, x: Tensor) -> Tensor:
    with torch.no_grad():
        clean = model(x)
    return _kl(clean, model(x_adv)).sum()


def _weight(example: Example) -> Tensor | None:
    return example.context.get("weight")


def _mixed(example: Example, adv: Tensor, clean_weight: float, reduction: str) -> Tensor:
    """Goodfellow et al.'s alpha J(x) + (1 - alpha) J(x'); Madry et al.'s J(x') at alpha = 0."""
    y = _target(example)
    losses = clean_weight * _ce(f64(example.input), y) + (1 - clean_weight) * _ce(adv, y)
    return reduce_reference(losses, reduction, weight=_weight(example))


def pgd_adversarial_reference(example: Example, *, reduction: str, clean_weight: float, **params: Any) -> Tensor:
    """Madry et al. 2018: CE(f(x + delta*), y), delta* from PGD on the CE."""
    adv = _adversarial_logits(example, _cross_entropy_attack(example), **params)
    return _mixed(example, adv, clean_weight, reduction)


def fgsm_adversarial_reference(example: Example, *, reduction: str, clean_weight: float, step_size: float | None,
                               random_start: bool, **params: Any) -> Tensor:
    """Goodfellow et al. 2015 (x + epsilon * sign(grad)); Wong et al. 2020 with a random start and alpha = 1.25 eps."""
    if step_size is None:
        step_size = 1.25 * params["epsilon"] if random_start else params["epsilon"]
    adv = _adversarial_logits(example, _cross_entropy_attack(example), step_size=step_size, steps=1,
                              random_start=random_start, **params)
    return _mixed(example, adv, clean_weight, reduction)


def trades_kl_reference(example: Example, *, reduction: str, **params: Any) -> Tensor:
    """Zhang et al. 2019: KL(f(x) || f(x')) with x' from PGD on that KL (the robust term of TRADES)."""
    adv = _adversarial_logits(example, _kl_attack, random_start=True, **params)
    return reduce_reference(_kl(f64(example.input), adv), reduction, weight=_weight(example))


def trades_reference(example: Example, *, reduction: str, beta: float, **params: Any) -> Tensor:
    """Zhang et al. 2019: CE(f(x), y) + beta * KL(f(x) || f(x'))."""
    adv = _adversarial_logits(example, _kl_attack, random_start=True, **params)
    clean = f64(example.input)
    losses = _ce(clean, _target(example)) + beta * _kl(clean, adv)
    return reduce_reference(losses, reduction, weight=_weight(example))


def mart_reference(example: Example, *, reduction: str, beta: float, **params: Any) -> Tensor:
    """Wang et al. 2020, eq. (8): BCE(p(x'), y) + beta * KL(p(x) || p(x')) * (1 - p_y(x)), x' from PGD on the CE."""
    adv = _adversarial_logits(example, _cross_entropy_attack(example), random_start=True, **params)
    clean = f64(example.input)
    y = _target(example)
    p_adv = torch.softmax(adv, dim=1)
    others = p_adv.scatter(1, y.view(-1, 1), -1.0)  # the true class can never be the runner-up
    runner_up = others.max(dim=1).values
    bce = -torch.log(p_adv.gather(1, y.view(-1, 1)).squeeze(1)) - torch.log(1 - runner_up)
    p_clean_true = torch.softmax(clean, dim=1).gather(1, y.view(-1, 1)).squeeze(1)
    losses = bce + beta * _kl(clean, adv) * (1 - p_clean_true)
    return reduce_reference(losses, reduction, weight=_weight(example))
