"""Poisson negative log-likelihood for count targets (as torch.nn.PoissonNLLLoss)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from losskit import Loss, LossSpec, param, reduction_param
from losskit.contract import SAME_SHAPE_VALUES
from losskit.inputs import check_value_target, check_values_in
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce, torch_reduces

from ._examples import poisson_counts
from .reference import poisson_nll_reference


class PoissonNLLLoss(Loss, name="poisson_nll", positional=("log_input", "full")):  # as torch.nn.PoissonNLLLoss
    r"""Negative log-likelihood of a count target under a Poisson distribution with the predicted (log-)rate.

    .. math::
        \ell_n = \begin{cases}
            e^{x_n} - y_n x_n & \text{log\_input} \\
            x_n - y_n \log(x_n + \varepsilon) & \text{otherwise}
        \end{cases}
        \; + \; \mathbb{1}[\text{full}, y_n > 1]
            \left(y_n \log y_n - y_n + \tfrac12 \log(2\pi y_n)\right)

    Without ``full`` the constant ``log(y!)`` is dropped; with it, it is replaced
    by Stirling's approximation (for ``y > 1``), as in torch.

    Args:
        log_input: the input is the log of the rate (``True``) or the rate itself.
        full: add Stirling's approximation of ``log(y!)``.
        eps: added to the rate under the log when ``log_input=False``, ``>= 0``.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input (log-rate or rate, ``>= 0`` if a rate) and target (counts ``>= 0``) ``(N, *)``,
        the same shape (no broadcasting); output ``(N, *)`` with ``reduction='none'``, else a scalar.

    Context:
        ``weight``: per-element ``(N, *)`` or per-sample ``(N,)`` weights.

    Examples:
        >>> loss = PoissonNLLLoss()
        >>> loss(torch.zeros(2), torch.tensor([0.0, 2.0]))
        tensor(1.)

    Reference: McCullagh, Nelder, Generalized Linear Models, 2nd ed., 1989 (Poisson log-likelihood).
    Matches ``torch.nn.PoissonNLLLoss``, except that negative targets (and negative rates with
    ``log_input=False``) raise ``LossInputError``.
    """

    log_input: bool = param(True, "the input is the log-rate (True) or the rate (False)")
    full: bool = param(False, "add Stirling's approximation of log(target!)")
    eps: float = param(1e-8, "added to the rate under the log when log_input=False", ge=0, finite=True)
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(
        input: Tensor,
        target: Tensor,
        *,
        log_input: bool,
        full: bool,
        eps: float,
        reduction: Reduction,
        weight: Tensor | None = None,
    ) -> Tensor:
        target = check_value_target("poisson_nll", input, target)
        check_values_in("poisson_nll", "target", target, 0.0, math.inf, "Targets are counts.")
        if log_input and torch_reduces(input, reduction, weight) and not (full and target.requires_grad):
            # torch's kernel computes this formula (its Stirling term's gradient in target is nan at 0: the guard)
            return F.poisson_nll_loss(input, target, log_input=True, full=full, eps=eps, reduction=reduction)
        x = working(input)
        if log_input:
            loss = torch.exp(x) - target * x
        else:
            check_values_in(
                "poisson_nll", "input", input, 0.0, math.inf, "With log_input=False the input is a rate; "
                "pass log_input=True for log-rates."
            )
            loss = x - target * torch.log(x + eps)
        if full:
            # Stirling's approximation of log(target!), zero for target <= 1 as in torch. Targets are
            # clamped to 1 there so that target * log(target) is never 0 * -inf (a nan gradient), and
            # cast to the loss's dtype: the log of integer counts would otherwise be float32.
            safe = target.clamp(min=1).to(loss.dtype)
            stirling = safe * torch.log(safe) - safe + 0.5 * torch.log(2 * math.pi * safe)
            loss = loss + torch.where(target > 1, stirling, torch.zeros_like(stirling))
        return reduce(output(loss, input), reduction, weight=weight, owner="poisson_nll")


poisson_nll_loss = PoissonNLLLoss.functional

SPEC = LossSpec.of(
    PoissonNLLLoss, family="regression",
    source="McCullagh & Nelder, Generalized Linear Models 1989; torch.nn.PoissonNLLLoss",
    contract=SAME_SHAPE_VALUES, example=poisson_counts, reference=poisson_nll_reference,
    aliases=("poisson",), tags={"weight", "compile"},
)
