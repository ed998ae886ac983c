"""Tukey's biweight (bisquare) robust loss (Beaton & Tukey, Technometrics 1974)."""

from torch import Tensor

from losskit import Loss, LossSpec, param, reduction_param
from losskit.contract import SAME_SHAPE_VALUES
from losskit.examples import paired_values
from losskit.inputs import check_value_target
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce

from .reference import tukey_biweight_reference


class TukeyBiweightLoss(Loss, name="tukey_biweight"):
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

    c: float = param(4.685, "tuning constant: residuals beyond c cost c^2/6 and get no gradient", gt=0, finite=True)
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(input: Tensor, target: Tensor, *, c: float, reduction: Reduction, weight: Tensor | None = None) -> Tensor:
        target = check_value_target("tukey_biweight", input, target)  # same shape; in input's precision
        # (1 - (r/c)^2) clamped at 0 is the whole case split: beyond c the loss is flat and its gradient 0.
        inside = (1 - ((working(input) - target) / c).square()).clamp_min(0)
        return reduce(output(c * c / 6 * (1 - inside.pow(3)), input), reduction, weight=weight, owner="tukey_biweight")


tukey_biweight_loss = TukeyBiweightLoss.functional

SPEC = LossSpec.of(
    TukeyBiweightLoss, family="regression", source="Beaton & Tukey, Technometrics 1974", contract=SAME_SHAPE_VALUES,
    example=paired_values(input_scale=4.0),  # residuals on both sides of the default c
    reference=tukey_biweight_reference, aliases=("biweight", "bisquare"), tags={"weight", "compile"},
)
