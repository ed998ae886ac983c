r"""Multi-task losses: dict outputs and dict targets routed to one loss per task.

.. code-block:: python

    loss = MultiTask({"seg": get_loss("cross_entropy"), "depth": get_loss("l1")},
                     weighting="uncertainty",
                     task_types={"seg": "classification", "depth": "regression"})
    total = loss({"seg": logits, "depth": depth}, {"seg": labels, "depth": depth_gt})

With ``weighting="fixed"`` the total is :math:`\sum_i w_i L_i`. With
``weighting="uncertainty"`` each task learns :math:`s_i = \log \sigma_i^2`
(Kendall, Gal & Cipolla 2018, eq. 7 and 10, written in :math:`s` as their
section 3.2 advises, for numerical stability):

.. math::
    L = \sum_{i \in \text{regression}} \left(\tfrac12 e^{-s_i} L_i + \tfrac12 s_i\right)
      + \sum_{i \in \text{classification}} \left(e^{-s_i} L_i + \tfrac12 s_i\right)

The regression form is the Gaussian likelihood's :math:`\frac{1}{2\sigma^2}L + \log\sigma`;
the classification form is the scaled-softmax approximation
:math:`\frac{1}{\sigma^2}L + \log\sigma`. Which applies is declared per task in
``task_types``, never guessed from the loss. The :math:`s_i` start at 0 and
are parameters of the loss (``loss.parameters()``, ``state_dict``): give
them to the optimiser along with the model's, and move the loss to the model's device.

Reference: A. Kendall, Y. Gal, R. Cipolla. Multi-Task Learning Using Uncertainty
to Weigh Losses for Scene Geometry and Semantics. CVPR 2018.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Literal

import torch
from torch import Tensor, nn

from ._naming import did_you_mean
from .compose import Composite, check_weight
from .errors import ConfigError, InvalidParamError, LossInputError
from .loss import Loss, LossOutput

__all__ = ["MultiTask", "TASK_TYPES", "WEIGHTINGS"]

WEIGHTINGS = ("fixed", "uncertainty")
#: Task type -> the factor c in ``c * exp(-s) * L + s / 2``.
TASK_TYPES = {"regression": 0.5, "classification": 1.0}

_OWNER = "multitask"
#: Names nn.ModuleDict / nn.ParameterDict refuse as keys because an attribute has them (``type``, ``values``...).
_TAKEN_NAMES = frozenset(dir(nn.ModuleDict()) + dir(nn.ParameterDict()))


class MultiTask(Composite):
    """One loss per task, over dict outputs and dict targets keyed by task name.

    Args:
        tasks: ``{task name: loss}``; the outputs and targets passed in must
            have exactly these keys.
        weights: fixed weight per task (finite; default 1; 0 logs the task
            without training on it). Only with ``weighting="fixed"``.
        weighting: ``"fixed"`` or ``"uncertainty"`` (learned, Kendall et al. 2018).
        task_types: ``{task name: "regression" | "classification"}`` for every
            task; required with ``weighting="uncertainty"``, refused otherwise.

    Shape:
        each task's loss must return a scalar (``reduction='mean'`` or ``'sum'``).

    :meth:`breakdown` parts are the tasks' unweighted losses keyed by task name.
    """

    loss_name = _OWNER

    def __init__(
        self,
        tasks: Mapping[str, Loss],
        *,
        weights: Mapping[str, float] | None = None,
        weighting: Literal["fixed", "uncertainty"] = "fixed",
        task_types: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        if not isinstance(tasks, Mapping) or not tasks:
            raise InvalidParamError(_OWNER, "tasks", f"must be a non-empty mapping of task name to loss, got {tasks!r}")
        for name, task in tasks.items():
            if not isinstance(name, str) or not name or "." in name:
                raise InvalidParamError(
                    _OWNER, "tasks", f"task names must be non-empty strings without '.', got {name!r}"
                )
            if name in _TAKEN_NAMES:
                raise InvalidParamError(
                    _OWNER, "tasks", f"the task name {name!r} is taken by an nn.Module attribute of the same name; "
                    f"rename the task, e.g. {name + '_task'!r}"
                )
            if not isinstance(task, Loss):
                hint = "; wrap it to make it a term: losskit.wrap(obj, name=...)" if callable(task) else ""
                raise InvalidParamError(
                    _OWNER, f"tasks.{name}", f"must be a losskit.Loss, got {type(task).__name__}{hint}"
                )
        if weighting not in WEIGHTINGS:
            raise InvalidParamError(
                _OWNER, "weighting", f"must be one of {', '.join(map(repr, WEIGHTINGS))}, got {weighting!r}"
                + did_you_mean(str(weighting), WEIGHTINGS)
            )
        self.weighting = weighting
        self.tasks = nn.ModuleDict(dict(tasks))
        self.weights: dict[str, float] = {}
        self.task_types: dict[str, str] = {}
        if weighting == "fixed":
            if task_types is not None:
                raise InvalidParamError(
                    _OWNER, "task_types", "only apply to weighting='uncertainty'; drop them or switch the weighting"
                )
            given = self._per_task("weights", weights or {})
            self.weights = {name: self._weight(name, given.get(name, 1.0)) for name in tasks}
        else:
            if weights is not None:
                raise InvalidParamError(
                    _OWNER, "weights", "are learned with weighting='uncertainty'; drop them or use weighting='fixed'"
                )
            self.task_types = self._task_types(task_types)
            self.log_vars = nn.ParameterDict({name: nn.Parameter(torch.zeros(())) for name in tasks})

    @staticmethod
    def _weight(name: str, value: Any) -> float:
        try:
            return check_weight(value, owner=_OWNER)
        except (TypeError, InvalidParamError):
            raise InvalidParamError(_OWNER, f"weights.{name}", f"must be a finite real number, got {value!r}") from None

    def _per_task(self, what: str, mapping: Any) -> dict[str, Any]:
        if not isinstance(mapping, Mapping):
            raise InvalidParamError(_OWNER, what, f"must be a mapping of task name to value, got {mapping!r}")
        for key in mapping:
            if key not in self.tasks:
                raise InvalidParamError(
                    _OWNER, f"{what}.{key}", f"no such task{did_you_mean(str(key), self.tasks) or '.'} "
                    f"Tasks: {', '.join(self.tasks)}."
                )
        return dict(mapping)

    def _task_types(self, task_types: Any) -> dict[str, str]:
        example = ", ".join(f"{name!r}: 'regression'" for name in self.tasks)
        given = self._per_task("task_types", task_types if task_types is not None else {})
        for name in self.tasks:
            kind = given.get(name)
            if kind is None:
                raise InvalidParamError(
                    _OWNER, "task_types", f"weighting='uncertainty' needs the type of every task, and task "
                    f"{name!r} has none: pass task_types={{{example}}} with 'regression' or 'classification' each"
                )
            if kind not in TASK_TYPES:
                raise InvalidParamError(
                    _OWNER, f"task_types.{name}", f"must be 'regression' or 'classification', got {kind!r}"
                    + did_you_mean(str(kind), TASK_TYPES)
                )
        return {name: given[name] for name in self.tasks}

    def labelled_terms(self) -> Iterator[tuple[str, Loss]]:
        return iter(self.tasks.items())

    def _check_keys(self, what: str, value: Any) -> None:
        if not isinstance(value, Mapping):
            raise LossInputError(
                f"{_OWNER}: {what} must be a dict keyed by task ({', '.join(self.tasks)}), got {type(value).__name__}."
            )
        missing = [t for t in self.tasks if t not in value]
        if missing:
            raise LossInputError(
                f"{_OWNER}: {what} have no entry for task {missing[0]!r} (got keys: "
                f"{', '.join(map(str, value)) or 'none'}); every task needs an output and a target."
            )
        extra = [k for k in value if k not in self.tasks]
        if extra:
            raise LossInputError(
                f"{_OWNER}: {what} have the key {extra[0]!r}, which is no task"
                f"{did_you_mean(str(extra[0]), self.tasks) or '.'} Tasks: {', '.join(self.tasks)}."
            )

    def evaluate(self, input: Any, target: Any, context: dict[str, Any]) -> LossOutput:
        self._check_keys("outputs", input)
        self._check_keys("targets", target)
        parts: dict[str, Tensor] = {}
        values = []
        for name, task in self.tasks.items():
            weight = self.weights.get(name, 1.0)
            out = self.run_term(task, input[name], target[name], context, weight=weight)
            if out.total.dim() != 0:
                raise LossInputError(
                    f"{_OWNER}: task {name!r} returned a loss of shape {tuple(out.total.shape)}; tasks must "
                    "return scalars, so build it with reduction='mean' or 'sum'."
                )
            self.add_parts(parts, name, task, out)
            values.append((name, weight, self._weighted(name, out.total)))
        return LossOutput(self.weighted_total(_OWNER, values), parts)

    def _weighted(self, name: str, value: Tensor) -> Tensor:
        if self.weighting == "fixed":
            return value
        s = self.log_vars[name]
        return TASK_TYPES[self.task_types[name]] * torch.exp(-s) * value + 0.5 * s

    def to_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "name": _OWNER,
            "tasks": {name: self._task_config(name, task) for name, task in self.tasks.items()},
            "weighting": self.weighting,
        }
        if self.weighting == "fixed":
            config["weights"] = dict(self.weights)
        else:
            config["task_types"] = dict(self.task_types)
        return config

    @staticmethod
    def _task_config(name: str, task: Loss) -> dict[str, Any]:
        try:
            return task.to_config()
        except ConfigError as exc:  # a wrapped term (losskit.wrap): say where it sits
            raise ConfigError(f"tasks.{name}: {exc}") from None

    def extra_repr(self) -> str:
        return f"weighting={self.weighting!r}, " + (
            f"weights={self.weights!r}" if self.weighting == "fixed" else f"task_types={self.task_types!r}"
        )
