"""Losses of one's own, registered with the decorator in isolated registries (module level: they pickle)."""

from __future__ import annotations

import torch
from torch import Tensor

from losskit import Loss, Registry, param, reduction_param
from losskit.contract import SAME_SHAPE_VALUES
from losskit.examples import paired_values
from losskit.inputs import check_value_target
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce

REGISTRY = Registry(discover=False, builtins=False)
FACTS = dict(family="custom", source="Huber, Ann. Math. Statist. 1964", contract=SAME_SHAPE_VALUES)


@REGISTRY.register_loss("my_huber", **FACTS, example=paired_values(input_scale=2.0), tags={"compile", "weight"})
def my_huber(
    input: Tensor,
    target: Tensor,
    *,
    delta: float = param(1.0, "residual at which the loss turns linear", gt=0, finite=True),
    scale=1.0,
    reduction="mean",
    weight: Tensor | None = None,
) -> Tensor:
    r"""Huber's loss, scaled: quadratic within ``delta``, linear beyond.

    .. math::
        \ell_n = s \cdot \begin{cases} \tfrac12 r_n^2 & |r_n| < \delta \\
                 \delta (|r_n| - \tfrac12 \delta) & \text{otherwise} \end{cases}, \qquad r_n = x_n - y_n

    Args:
        scale: factor of every element's loss
            (continued on a second line).

    >>> my_huber(torch.tensor([0.0, 3.0]), torch.zeros(2))
    tensor(1.2500)

    Reference: Huber, P. J. Robust estimation of a location parameter. Ann. Math. Statist. 35(1), 1964.
    """
    target = check_value_target("my_huber", input, target)
    r = (working(input) - target).abs()
    value = scale * torch.where(r < delta, 0.5 * r * r, delta * (r - 0.5 * delta))
    return reduce(output(value, input), reduction, weight=weight, owner="my_huber")


@REGISTRY.register_loss(**FACTS, example=paired_values())
def needs_var(input: Tensor, target: Tensor, *, reduction: str = "sum", var: Tensor) -> Tensor:
    r"""A fixture with a required context keyword: :math:`\sum (x - y)^2 / v`. Reference: none (fixture)."""
    return reduce((input - target).square() / var, reduction, owner="needs_var")


@REGISTRY.register_loss(**FACTS, example=paired_values(), tags={"compile"})
class SquaredLoss(Loss, name="squared_error"):
    r"""Squared error, a fixture class: :math:`(x - y)^2`. Reference: none (fixture, 2026)."""

    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(input: Tensor, target: Tensor, *, reduction: Reduction) -> Tensor:
        target = check_value_target("squared_error", input, target)
        return reduce(output((working(input) - target).square(), input), reduction, owner="squared_error")
