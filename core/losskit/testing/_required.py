"""Values for a required parameter that has no usable default, e.g. ``samples_per_class`` of LDAM.

A loss may declare a per-class tuple with default ``None`` and refuse to be
built without it. The checks then need a value that fits the example: one per
class (the example input's dimension 1), inside the Param's declared range.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor

from ..errors import InvalidParamError
from ..params import Param
from ._examples import make
from ._subject import RegisteredSpec


def _per_class(p: Param, classes: int) -> tuple[float, ...] | None:
    high = p.le if p.le is not None else p.lt
    if high is not None:  # bounded, e.g. priors in [0, 1]: equal shares
        values = [min(high, 1.0) / classes] * classes
    else:  # counts: long-tailed 10^C, ..., 10
        values = [float(10 ** (classes - c)) for c in range(classes)]
    try:
        return p.validate(tuple(values), owner="conformance")
    except InvalidParamError:
        return None


def required_params(subject: RegisteredSpec) -> dict[str, Any]:
    """Fill, one at a time, each tuple param the loss refuses to be built without; ``{}`` when defaults build."""
    by_name = {p.name: p for p in subject.spec.params or ()}
    params: dict[str, Any] = {}
    classes = None
    for _ in range(len(by_name)):
        try:
            subject.registry.get_loss(subject.name, **params)
            return params
        except InvalidParamError as exc:
            p = by_name.get(exc.param or "")
            if p is None or p.type is not tuple or p.default is not None or p.name in params:
                return params
        if classes is None:
            x = make(subject).input
            classes = x.shape[1] if isinstance(x, Tensor) and x.dim() >= 2 else 0
        value = _per_class(p, classes) if classes else None
        if value is None:
            return params
        params[p.name] = value
    return params
