"""A loss and its gradient drawn as curves: :func:`plot_loss` writes the figure, :func:`loss_curves` the numbers.

Regression losses (``values`` input, ``same_shape`` target) are drawn against
the residual ``r = input - target`` at ``target = 1``; classification losses
(logits, log-probabilities or probabilities with class-index, one-hot, soft,
binary or ±1 targets) against ``p``, the probability the model gives the true
class. Every point is one sample, evaluated by the loss itself in float64 with
``reduction='none'``; the gradient is the derivative of that value by the
residual, or by the true class's logit ``z`` (the other logits held at 0, so
``p = sigmoid(z)`` with two classes). ``plot_loss("focal", "gamma", None, ...)``
draws Lin et al.'s figure 1, gamma = 0, 0.5, 1, 2, 5.

matplotlib is imported only when a figure is drawn, and only its Agg canvas:
pyplot and its global backend are never touched.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from ._naming import did_you_mean
from .errors import InvalidParamError, LossInputError
from .spec import LossSpec

__all__ = ["SWEEPS", "Curve", "LossCurves", "loss_curves", "plot_loss"]

#: Sweeps worth drawing, by loss name: the parameter and its values when ``values`` is not given.
SWEEPS: dict[str, tuple[str, tuple[Any, ...]]] = {
    "focal": ("gamma", (0.0, 0.5, 1.0, 2.0, 5.0)),  # Lin et al. 2017, figure 1
    "sigmoid_focal": ("gamma", (0.0, 0.5, 1.0, 2.0, 5.0)),
    "huber": ("delta", (0.5, 1.0, 2.0)),
    "smooth_l1": ("beta", (0.5, 1.0, 2.0)),
    "pseudo_huber": ("delta", (0.5, 1.0, 2.0)),
    "quantile": ("q", (0.1, 0.5, 0.9)),
    "barron": ("alpha", (-2.0, 0.0, 1.0, 2.0)),  # Barron 2019, figure 1
    "tukey_biweight": ("c", (1.0, 2.0, 3.0)),
    "generalized_ce": ("q", (0.1, 0.4, 0.7, 1.0)),
    "poly1": ("epsilon", (-1.0, 0.0, 1.0, 2.0)),
    "hinge": ("margin", (0.5, 1.0, 2.0)),
    "squared_hinge": ("margin", (0.5, 1.0, 2.0)),
    "asymmetric": ("gamma_neg", (0.0, 2.0, 4.0)),
}

TARGET = 1.0  # the regression target: input = TARGET + r
RESIDUALS = (-3.0, 3.0)
PROBABILITIES = (0.01, 0.99)
POINTS = 201

_WHAT_IT_DRAWS = (
    "plot_loss draws regression losses (input values, a target of the same shape) against the residual, "
    "and classification losses (logits or probabilities, class-index, one-hot, binary or ±1 targets) "
    "against the probability of the true class"
)
_CLASS_INPUTS = ("logits", "log_probabilities", "probabilities")
_CLASS_TARGETS = ("class_indices", "one_hot", "soft", "binary", "signs")


@dataclass(frozen=True)
class Curve:
    """One parameter setting: its label, the parameters it was built with, and the loss and gradient at ``x``."""

    label: str
    params: Mapping[str, Any]
    loss: Tensor
    grad: Tensor


@dataclass(frozen=True)
class LossCurves:
    """What :func:`plot_loss` draws: ``x`` (residuals or probabilities) and one :class:`Curve` per value."""

    name: str
    kind: str  # "residual" | "probability"
    x: Tensor
    curves: tuple[Curve, ...]
    x_label: str
    grad_label: str


def loss_curves(
    name: str,
    sweep_param: str | None = None,
    values: Sequence[Any] | None = None,
    *,
    registry: Any = None,
    params: Mapping[str, Any] | None = None,
    limits: tuple[float, float] | None = None,
    points: int = POINTS,
) -> LossCurves:
    """The curves :func:`plot_loss` draws, as float64 tensors.

    Args:
        name: a registered loss (any spelling ``get_loss`` takes).
        sweep_param: the parameter that varies between curves; ``None``: one curve.
        values: its values (strings are read as the parameter's type); ``None`` takes the
            loss's entry in :data:`SWEEPS`.
        params: the other parameters, fixed for every curve (a loss with a required parameter
            and no value here is drawn with the conformance suite's ``example_params``).
        limits: the x range: residuals (default ``(-3, 3)``) or probabilities (default ``(0.01, 0.99)``).
        points: points per curve.

    Raises:
        LossInputError: the loss has no such curve (metric, embedding, penalty, fairness or
            batch-coupled losses, or one that needs a context tensor).
        InvalidParamError: an unknown parameter, a value the parameter refuses, or values without a parameter.
    """
    if registry is None:
        from ._default import default_registry

        registry = default_registry()
    spec: LossSpec = registry.get_spec(name)
    kind = _kind(spec)
    settings = _settings(spec, sweep_param, values)
    fixed = _base_params(registry, name, spec, dict(params or {}))
    if "reduction" in fixed:
        raise InvalidParamError(spec.name, "reduction", "is fixed at 'none' by the plot: every point is one sample")
    if points < 2:
        raise InvalidParamError(spec.name, None, f"a curve needs at least 2 points, got {points}")
    low, high = limits or (RESIDUALS if kind == "residual" else PROBABILITIES)
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise InvalidParamError(spec.name, None, f"limits must be finite with low < high, got ({low}, {high})")
    if kind == "probability" and not (0 < low and high < 1):
        raise InvalidParamError(spec.name, None, f"probability limits must lie inside (0, 1), got ({low}, {high})")
    x = torch.linspace(low, high, points, dtype=torch.float64)
    curves, classes = [], 2
    for label, setting in settings:
        loss = registry.get_loss(name, **fixed, **setting, **({"reduction": "none"} if _reduces(spec) else {}))
        classes = _classes(spec, {**fixed, **setting})
        value, grad = _evaluate(spec, loss, kind, x, classes)
        curves.append(Curve(label, {**fixed, **setting}, value, grad))
    if kind == "residual":
        x_label, grad_label = f"residual r = input - target (target = {TARGET:g})", "dℓ/dr"
    else:
        x_label = "p, probability of the true class" + (f" (class 0 of {classes})" if classes > 2 else "")
        grad_label = "dℓ/dz, z = true-class logit"
    return LossCurves(spec.name, kind, x, tuple(curves), x_label, grad_label)


def plot_loss(
    name: str,
    sweep_param: str | None,
    values: Sequence[Any] | None,
    out: Path | str,
    *,
    registry: Any = None,
    params: Mapping[str, Any] | None = None,
    limits: tuple[float, float] | None = None,
    dpi: int = 100,
) -> Path:
    """Draw the loss (left) and its gradient (right), one curve per value of ``sweep_param``; return ``out``.

    ``plot_loss("focal", "gamma", [0, 0.5, 1, 2, 5], "focal.png")`` is the figure of Lin et al.
    (2017) with its gradient beside it. The format follows ``out``'s suffix (PNG, SVG, PDF);
    missing folders are created. Arguments and errors as in :func:`loss_curves`; matplotlib must
    be installed (``pip install matplotlib``, or ``pip install '.[plot]'`` from a losskit checkout).
    """
    data = loss_curves(name, sweep_param, values, registry=registry, params=params, limits=limits)
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(
            "losskit.plotting needs matplotlib, which is not installed: `pip install matplotlib` "
            "(or `pip install '.[plot]'` from a losskit checkout) adds it."
        ) from None
    fig = Figure(figsize=(9, 3.6), layout="constrained")
    FigureCanvasAgg(fig)
    loss_ax, grad_ax = fig.subplots(1, 2)
    x = data.x.numpy()
    for curve in data.curves:
        loss_ax.plot(x, curve.loss.numpy(), lw=1.6, label=curve.label)
        grad_ax.plot(x, curve.grad.numpy(), lw=1.6, label=curve.label)
    loss_ax.set(xlabel=data.x_label, ylabel="loss ℓ", title=f"{data.name}: loss")
    grad_ax.set(xlabel=data.x_label, ylabel=data.grad_label, title=f"{data.name}: gradient")
    for ax in (loss_ax, grad_ax):
        ax.grid(alpha=0.3)
        ax.axhline(0.0, color="black", lw=0.6)
    if len(data.curves) > 1 or data.curves[0].label:
        loss_ax.legend(fontsize="small")
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    return path


# -- what can be drawn ------------------------------------------------------------------


def _kind(spec: LossSpec) -> str:
    c = spec.contract
    keys = spec.context_keys
    reason = None
    if "penalty" in spec.tags or c.input == "any":
        reason = "it is a penalty on the model's parameters, not a function of an input and a target"
    elif "batch_coupled" in spec.tags:
        reason = "one sample's loss depends on the rest of the batch, so it has no curve of its own"
    elif keys is not None and keys.required:
        reason = f"it needs the context keyword{'s' if len(keys.required) > 1 else ''} " + ", ".join(
            f"{k}=" for k in sorted(keys.required)
        ) + ", which a plot cannot make up"
    elif c.input == "embeddings" or c.target == "labels":
        reason = "it compares embeddings, which have no residual or class probability"
    elif c.input == "values" and c.target == "same_shape":
        return "residual"
    elif c.input in _CLASS_INPUTS and c.target in _CLASS_TARGETS:
        return "probability"
    else:
        reason = f"its input contract ({c.input} input, {c.target} target) is neither of those"
    raise LossInputError(f"plot_loss cannot draw {spec.name!r}: {reason}.\n  {_WHAT_IT_DRAWS}.")


def _reduces(spec: LossSpec) -> bool:
    return "reduction" in spec.param_names


def _settings(spec: LossSpec, sweep_param: str | None, values: Sequence[Any] | None) -> list[tuple[str, dict]]:
    """``(label, {param: value})`` for each curve, values read as the parameter's type."""
    if sweep_param is None:
        if values is not None:
            raise InvalidParamError(spec.name, None, "values given without a parameter to sweep")
        return [("", {})]
    declared = {p.name: p for p in spec.params or ()}
    if sweep_param == "reduction":
        raise InvalidParamError(spec.name, "reduction", "is fixed at 'none' by the plot: every point is one sample")
    if sweep_param not in declared:
        sweepable = ", ".join(n for n in declared if n != "reduction") or "none"
        raise InvalidParamError(
            spec.name,
            sweep_param,
            f"unknown parameter{did_you_mean(sweep_param, declared) or '.'} Parameters to sweep: {sweepable}.",
        )
    if values is None:
        preset = SWEEPS.get(spec.name)
        if preset is None or preset[0] != sweep_param:
            raise InvalidParamError(spec.name, sweep_param, "give the values to sweep, e.g. --sweep PARAM=1,2,3")
        values = preset[1]
    if isinstance(values, (str, bytes)) or len(values) == 0:
        raise InvalidParamError(spec.name, sweep_param, f"give a non-empty list of values, got {values!r}")
    param = declared[sweep_param]
    read = [_read(spec.name, param, v) for v in values]
    return [(f"{sweep_param}={v:g}" if isinstance(v, float) else f"{sweep_param}={v}", {sweep_param: v}) for v in read]


def _read(owner: str, param: Any, value: Any) -> Any:
    """A command-line string as the parameter's type (``none`` for a nullable one); anything else as given
    (the loss validates it)."""
    if not isinstance(value, str) or param.type is str:
        return value
    text = value.strip()
    if param.nullable and text.lower() in ("none", "null"):
        return None
    try:
        if param.type is bool:
            if text.lower() not in ("true", "false"):
                raise ValueError(text)
            return text.lower() == "true"
        if param.type is int:
            return int(text)
        return float(text)
    except ValueError:
        raise InvalidParamError(owner, param.name, f"must be {param.expected()}, got {value!r}") from None


def _base_params(registry: Any, name: str, spec: LossSpec, given: dict[str, Any]) -> dict[str, Any]:
    """``given``, or, when the loss cannot be built from it alone (a required per-class count), the
    conformance suite's ``example_params`` under it."""
    try:
        registry.get_loss(name, **given)
    except InvalidParamError:
        extra = {k: v for k, v in spec.example_params.items() if k not in given}
        if not extra:
            raise
        return {**extra, **given}
    return given


def _classes(spec: LossSpec, params: Mapping[str, Any]) -> int:
    """2, or the length of the per-class parameters (class weights, counts, alpha per class)."""
    declared = {p.name: p for p in spec.params or ()}
    lengths = {len(v) for k, v in params.items() if isinstance(v, (tuple, list)) and declared[k].type is tuple}
    if len(lengths) > 1:
        raise InvalidParamError(spec.name, None, f"per-class parameters of different lengths: {sorted(lengths)}")
    return max(2, *lengths) if lengths else 2


# -- evaluation ---------------------------------------------------------------------------


def _evaluate(spec: LossSpec, loss: Any, kind: str, x: Tensor, classes: int) -> tuple[Tensor, Tensor]:
    """Per-point loss and its gradient by the residual or the true class's logit."""
    c = spec.contract
    if kind == "residual":
        leaf = x.clone().requires_grad_(True)
        args = (TARGET + leaf, torch.full_like(x, TARGET))
    else:
        shift = math.log(classes - 1) if c.target not in ("binary", "signs") else 0.0
        leaf = (torch.log(x) - torch.log1p(-x) + shift).requires_grad_(True)
        args = _class_inputs(c.input, c.target, leaf, classes)
    try:
        with torch.enable_grad():
            out = loss(*args)
            per_point = out.reshape(len(x), -1).sum(dim=1) if out.dim() else None
            if per_point is None:
                raise LossInputError(f"it returned a scalar {tuple(out.shape)} with reduction='none'")
            (grad,) = torch.autograd.grad(per_point.sum(), leaf, allow_unused=True)
    except (LossInputError, RuntimeError, ValueError, TypeError) as exc:
        raise LossInputError(
            f"plot_loss cannot draw {spec.name!r}: evaluating it on {len(x)} one-element samples "
            f"({c.input} input, {c.target} target) failed: {exc}"
        ) from exc
    if grad is None:
        grad = torch.zeros_like(x)
    value = per_point.detach()
    if not torch.isfinite(value).any():
        raise LossInputError(f"plot_loss cannot draw {spec.name!r}: no point of its curve is finite.")
    return value, grad.detach()


def _class_inputs(input_kind: str, target_kind: str, z: Tensor, classes: int) -> tuple[Tensor, Tensor]:
    """Inputs whose true class (class 0, or the positive / +1 target) has probability ``p`` given by ``z``."""
    n = len(z)
    if target_kind in ("binary", "signs"):
        logits = z.unsqueeze(1)
        target = torch.ones(n, 1, dtype=z.dtype)
        if input_kind == "probabilities":
            return torch.sigmoid(logits), target
        if input_kind == "log_probabilities":
            return torch.nn.functional.logsigmoid(logits), target
        return logits, target
    logits = torch.cat([z.unsqueeze(1), torch.zeros(n, classes - 1, dtype=z.dtype)], dim=1)
    if input_kind == "probabilities":
        inputs = torch.softmax(logits, dim=1)
    elif input_kind == "log_probabilities":
        inputs = torch.log_softmax(logits, dim=1)
    else:
        inputs = logits
    if target_kind == "class_indices":
        return inputs, torch.zeros(n, dtype=torch.long)
    return inputs, torch.nn.functional.one_hot(torch.zeros(n, dtype=torch.long), classes).to(z.dtype)
