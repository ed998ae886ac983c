"""Synthetic loss curves with a known answer, for the monitor's tests, its false-alarm rate and its docs.

Every maker takes a ``torch.Generator`` and returns float64 tensors, so a
curve is the same on every machine. :func:`clean_curve` draws from the family
on which the false-alarm rate is measured: noisy, decreasing, healthy curves.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .records import TOTAL

__all__ = ["clean_curve", "clean_run", "heavy_ball_quadratic", "measure_false_alarms", "overfitting_run", "underfitting_run"]


def _uniform(generator: torch.Generator, low: float, high: float) -> float:
    return low + (high - low) * float(torch.rand((), generator=generator, dtype=torch.float64))


def clean_curve(steps: int, generator: torch.Generator, *, noise: float | None = None) -> Tensor:
    """One curve of :func:`clean_run`'s family, without validation values."""
    return clean_run(steps, generator, noise=noise)[0]


def clean_run(steps: int, generator: torch.Generator, *, every: int = 100,
              noise: float | None = None) -> tuple[Tensor, Tensor, Tensor]:
    r"""A healthy training curve: a power-law descent towards a floor, with multiplicative noise.

    .. math::
        x_t = \big(c + (1 - c)(1 + t/t_0)^{-\alpha}\big)\, L_0\, e^{\sigma \varepsilon_t},
        \quad \varepsilon_t \sim N(0, 1)

    drawn with :math:`L_0 \in [0.5, 5]`, floor :math:`c \in [0, 0.3]`,
    :math:`t_0 \in [50, 300]`, :math:`\alpha \in [0.5, 1]` and noise
    :math:`\sigma \in [0.02, 0.25]` (minibatch noise of 2% to 25%), unless ``noise`` is given.
    Such a curve still falls by more than 4% per 500 steps at step 2000: no
    plateau, no spike, no divergence, no oscillation, so any finding is a false alarm.
    Returns the train curve, the validation steps (every ``every`` steps) and
    values: the same trend, 5% higher, with 1% noise (a healthy gap).
    """
    level0 = _uniform(generator, 0.5, 5.0)
    floor = _uniform(generator, 0.0, 0.3)
    t0 = _uniform(generator, 50.0, 300.0)
    alpha = _uniform(generator, 0.5, 1.0)
    sigma = _uniform(generator, 0.02, 0.25) if noise is None else noise
    t = torch.arange(steps, dtype=torch.float64)
    trend = level0 * (floor + (1 - floor) * (1 + t / t0) ** -alpha)
    train = trend * torch.exp(sigma * torch.randn(steps, generator=generator, dtype=torch.float64))
    val_steps = torch.arange(every - 1, steps, every)
    val = 1.05 * trend[val_steps] * torch.exp(0.01 * torch.randn(val_steps.shape, generator=generator,
                                                                  dtype=torch.float64))
    return train, val_steps, val


def heavy_ball_quadratic(lr: float, steps: int, generator: torch.Generator, *, momentum: float = 0.9,
                         curvatures: tuple[float, ...] = (1.0, 0.5), noise: float = 0.01) -> Tensor:
    r"""The loss of SGD with heavy-ball momentum on :math:`f(x) = \tfrac12 \sum_i \lambda_i x_i^2`, from :math:`x = 1`.

    Gradients carry ``noise`` (standard normal times ``noise``). With momentum
    :math:`\beta`, the iteration is stable for :math:`\eta\lambda < 2(1 + \beta)`; near
    :math:`\eta\lambda = 1 + \beta` each mode turns by a quarter period per step and the
    loss alternates up and down every step: an oscillation from too large a
    step. A small :math:`\eta` gives a smooth descent.
    """
    lam = torch.tensor(curvatures, dtype=torch.float64)
    x = torch.ones_like(lam)
    velocity = torch.zeros_like(lam)
    losses = torch.empty(steps, dtype=torch.float64)
    for t in range(steps):
        losses[t] = 0.5 * (lam * x * x).sum()
        grad = lam * x + noise * torch.randn(lam.shape, generator=generator, dtype=torch.float64)
        velocity = momentum * velocity + grad
        x = x - lr * velocity
    return losses


def overfitting_run(steps: int, every: int, generator: torch.Generator, *, turn: int) -> tuple[Tensor, Tensor, Tensor]:
    """Train, validation steps and validation values: training keeps falling, validation turns up at ``turn``.

    Validation follows training plus a gap that grows linearly after ``turn``
    (the textbook overfitting picture); 5% and 1% noise.
    """
    t = torch.arange(steps, dtype=torch.float64)
    train = (0.05 + 2.0 * (1 + t / 100) ** -1.0) * torch.exp(0.05 * torch.randn(steps, generator=generator,
                                                                                    dtype=torch.float64))
    val_steps = torch.arange(every - 1, steps, every)
    v = val_steps.to(torch.float64)
    base = 0.3 + 2.0 * (1 + v / 100) ** -1.0
    val = (base + 0.0006 * (v - turn).clamp_min(0)) * torch.exp(0.01 * torch.randn(v.shape, generator=generator,
                                                                                     dtype=torch.float64))
    return train, val_steps, val


def underfitting_run(steps: int, every: int, generator: torch.Generator, *, final: float) -> tuple[Tensor, ...]:
    """Train, validation steps and values: both drop quickly from 2.3 to ``final`` and stay there.

    ``final=2.0`` is underfitting (still 87% of the start); ``final=0.3`` a model that fits.
    """
    t = torch.arange(steps, dtype=torch.float64)
    shape = (2.3 - final) * torch.exp(-t / 100) + final
    train = shape * torch.exp(0.05 * torch.randn(steps, generator=generator, dtype=torch.float64))
    val_steps = torch.arange(every - 1, steps, every)
    val = shape[val_steps] * 1.02 * torch.exp(0.005 * torch.randn(val_steps.shape, generator=generator,
                                                                   dtype=torch.float64))
    return train, val_steps, val


def measure_false_alarms(runs: int, *, steps: int = 2000, seed: int = 0, **monitor_kwargs: object) -> dict[str, object]:
    """Run the default monitor over ``runs`` clean runs (:func:`clean_run`); count the runs with findings.

    Returns ``runs``, ``with_alarm`` (runs with a ``warning`` or ``critical``
    finding), ``with_finding`` (runs with any finding, ``info`` included) and
    ``by_detector`` (findings per detector and severity).
    """
    from .monitor import Monitor

    generator = torch.Generator().manual_seed(seed)
    with_alarm = with_finding = 0
    by_detector: dict[str, int] = {}
    for _ in range(runs):
        train, val_steps, val = clean_run(steps, generator)
        monitor = Monitor(actions=[], read_every=500, **monitor_kwargs)
        done = 0
        for step, value in zip(val_steps.tolist(), val.tolist()):
            monitor.extend(list(range(done, step + 1)), {TOTAL: train[done : step + 1].tolist()})
            monitor.validate({TOTAL: value}, step=step)
            done = step + 1
        monitor.extend(list(range(done, steps)), {TOTAL: train[done:].tolist()})
        monitor.close()
        with_alarm += bool(monitor.alarms)
        with_finding += bool(monitor.findings)
        for finding in monitor.findings:
            key = f"{finding.detector}/{finding.severity}"
            by_detector[key] = by_detector.get(key, 0) + 1
    return {"runs": runs, "with_alarm": with_alarm, "with_finding": with_finding, "by_detector": by_detector}
