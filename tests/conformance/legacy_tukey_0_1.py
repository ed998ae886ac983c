"""The example plugin exactly as losskit 0.1 documented it (0.1 form: loss_name, a params tuple, an explicit
``__init__`` and ``forward``, ``LossSpec(...)``), copied verbatim from the 0.1 tree (commit ad22d21) but for
this docstring and the reference, which lived in its own module. A third-party plugin written against the
documented 0.1 API must keep building and keep passing the kit (newer checks warn; see CONFORMANCE_LEVEL)."""

from __future__ import annotations

import torch
from torch import Tensor

from losskit import Example, InputContract, Loss, LossSpec, Param, reduction_param
from losskit.inputs import check_floating, check_same_shape
from losskit.reduction import Reduction, reduce


def tukey_biweight_reference(example: Example, *, c: float, reduction: str) -> Tensor:
    r = example.input.to(torch.float64) - example.target.to(torch.float64)
    rho = torch.where(r.abs() <= c, c**2 / 6 * (1 - (1 - (r / c) ** 2) ** 3), torch.full_like(r, c**2 / 6))
    weight = example.context.get("weight")
    if weight is not None:  # per element, or one per sample
        w = weight.to(torch.float64)
        rho = rho * (w if w.shape == rho.shape else w.reshape(-1, *([1] * (rho.dim() - 1))))
    if reduction == "none":
        return rho
    return rho.sum() if reduction == "sum" else rho.sum() / max(rho.numel(), 1)


def tukey_biweight_loss(
    input: Tensor, target: Tensor, *, c: float = 4.685, weight: Tensor | None = None, reduction: Reduction = "mean"
) -> Tensor:
    """Functional form of :class:`TukeyBiweightLoss`."""
    check_same_shape("tukey_biweight", input, target)
    check_floating("tukey_biweight", "input", input)
    # (1 - (r/c)^2) clamped at 0 is the whole case split: beyond c the loss is flat and its gradient 0.
    inside = (1 - ((input - target) / c).square()).clamp_min(0)
    return reduce(c * c / 6 * (1 - inside.pow(3)), reduction, weight=weight, owner="tukey_biweight")


class TukeyBiweightLoss(Loss):
    r"""Tukey's biweight: quadratic near zero, constant beyond ``c``, so outliers stop pulling.

    .. math::
        \rho(r) = \begin{cases}
            \frac{c^2}{6}\left[1 - \left(1 - (r/c)^2\right)^3\right] & |r| \le c \\
            \frac{c^2}{6} & |r| > c
        \end{cases}, \qquad r = x - y

    Args:
        c: tuning constant; 4.685 gives 95% efficiency at the normal distribution.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input and target ``(N, *)``, the same shape; output ``(N, *)`` with ``reduction='none'``, else a scalar.

    Context:
        ``weight``: per-element ``(N, *)`` or per-sample ``(N,)`` weights.

    Examples:
        >>> loss = TukeyBiweightLoss(c=1.0)
        >>> loss(torch.tensor([0.0, 5.0]), torch.zeros(2))
        tensor(0.0833)

    Reference: Beaton, A. E. and Tukey, J. W. The fitting of power series, meaning polynomials,
    illustrated on band-spectroscopic data. Technometrics 16(2):147-185, 1974.
    """

    loss_name = "tukey_biweight"
    params = (
        Param("c", 4.685, "tuning constant: residuals beyond c cost c^2/6 and get no gradient", gt=0.0),
        reduction_param(),
    )

    def __init__(self, *, c: float = 4.685, reduction: Reduction = "mean") -> None:
        super().__init__(c=c, reduction=reduction)

    def forward(self, input: Tensor, target: Tensor, *, weight: Tensor | None = None) -> Tensor:
        return tukey_biweight_loss(input, target, c=self.c, weight=weight, reduction=self.reduction)


def residual_pairs(generator: torch.Generator, *, dtype: torch.dtype, device: torch.device | str, batch_size: int) -> Example:
    """``input`` and ``target`` ``(batch_size, 3)`` whose residuals fall on both sides of the default ``c``."""
    input = 4 * torch.randn((batch_size, 3), generator=generator, dtype=torch.float64)
    target = torch.randn((batch_size, 3), generator=generator, dtype=torch.float64)
    return Example(input.to(device=device, dtype=dtype), target.to(device=device, dtype=dtype))


SPEC = LossSpec(
    name="tukey_biweight",
    aliases=("biweight", "bisquare"),
    factory=TukeyBiweightLoss,
    summary="robust loss, quadratic near 0 and constant beyond c",
    family="regression",
    source="Beaton & Tukey, Technometrics 1974",
    contract=InputContract(input="values", target="same_shape"),
    example=residual_pairs,
    reference=tukey_biweight_reference,
    functional=tukey_biweight_loss,
    tags=frozenset({"weight", "compile"}),
)
