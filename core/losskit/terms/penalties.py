r"""Regularisation penalties over a model's parameters: L1 (Tibshirani 1996), L2 (Hoerl & Kennard 1970),
elastic net (Zou & Hastie 2005).

A penalty reads the model from the ``model=`` context keyword and ignores
``input`` and ``target`` (accepted so that a composite passes them to every
term). It applies to the parameters that require grad, filtered by name:

* ``include``: comma-separated ``fnmatch`` globs, e.g. ``"encoder.*,head.*"``;
  empty means every parameter;
* ``exclude``: globs removed from that selection, e.g. ``"*.bias"``;
* ``exclude_bias_and_norm``: also leave out every parameter named ``bias``
  and every parameter of a normalisation layer (BatchNorm, InstanceNorm,
  LayerNorm, GroupNorm, RMSNorm, detected by module type), the usual
  "no weight decay on biases and norms" rule.

A pattern that matches no parameter, or an empty selection, is an error.

``reduction``: ``'sum'`` (default, the penalty as written in the papers),
``'mean'`` (divided by the number of selected scalar parameters) or
``'none'`` (the per-scalar penalties, flattened and concatenated in
``named_parameters()`` order). Parameters in bfloat16/float16 are accumulated
in float32; the result has the parameters' dtype.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from losskit import Identity, InputContract, Loss, LossSpec, param, reduction_param
from losskit.reduction import Reduction, reduce

from ._examples import small_model
from ._parameters import check_patterns, select_parameters
from .reference import elastic_net_reference, l1_penalty_reference, l2_penalty_reference

__all__ = ["ElasticNetPenalty", "L1Penalty", "L2Penalty", "elastic_net", "l1_penalty", "l2_penalty"]


def _penalty(
    elementwise: Callable[[Tensor], Tensor],
    model: Any,
    include: str,
    exclude: str,
    exclude_bias_and_norm: bool,
    reduction: str,
    *,
    owner: str,
) -> Tensor:
    """``elementwise`` of every selected scalar parameter, reduced; accumulated in at least float32."""
    params = select_parameters(
        model, include=include, exclude=exclude, exclude_bias_and_norm=exclude_bias_and_norm, owner=owner
    )
    dtype = params[0].dtype
    for p in params[1:]:
        dtype = torch.promote_types(dtype, p.dtype)
    wide = torch.promote_types(dtype, torch.float32)
    terms = [elementwise(p.to(wide)) for p in params]
    if reduction == "none":
        return torch.cat([t.reshape(-1) for t in terms]).to(dtype)
    # One sum per parameter tensor, then 'sum' or 'mean' over every selected scalar.
    sums = torch.stack([t.sum() for t in terms])
    return reduce(sums, reduction, denominator=sum(t.numel() for t in terms), owner=owner).to(dtype)


def _sum_of(elementwise: Callable[[Tensor], Tensor], *, owner: str) -> staticmethod:
    """The ``compute`` of a penalty that sums ``elementwise(w)`` over the selected parameters."""

    def compute(
        input: Any, target: Any, *, include: str, exclude: str, exclude_bias_and_norm: bool, reduction: Reduction,
        model: nn.Module,
    ) -> Tensor:
        return _penalty(elementwise, model, include, exclude, exclude_bias_and_norm, reduction, owner=owner)

    return staticmethod(compute)


class _ParameterPenalty(Loss):
    """The parameter filters and the reduction every penalty shares (see :mod:`losskit.terms.penalties`)."""

    include: str = param(
        "", "comma-separated glob patterns of parameter names to penalise; '' = all", check=check_patterns
    )
    exclude: str = param("", "comma-separated glob patterns of parameter names to leave out", check=check_patterns)
    exclude_bias_and_norm: bool = param(False, "leave out biases and normalisation layers' parameters")
    reduction: Reduction = reduction_param("sum")


class L1Penalty(_ParameterPenalty, name="l1_penalty"):
    r"""Sum of absolute values of selected model parameters (lasso; Tibshirani 1996).

    .. math::
        \Omega(\theta) = \sum_{w \in S} |w|

    over the scalar parameters :math:`S` selected by the filters (see the
    module docstring). Its gradient is :math:`\operatorname{sign}(w)`
    (0 at exactly 0, torch's subgradient).

    Args:
        include, exclude: comma-separated glob patterns over parameter names.
        exclude_bias_and_norm: leave out biases and normalisation layers' parameters.
        reduction: ``'sum'`` (default) | ``'mean'`` | ``'none'``.

    Shape:
        input, target: ignored. Output: a scalar, or ``(|S|,)`` with ``reduction='none'``.

    Context:
        ``model`` (required): the ``nn.Module`` whose parameters are penalised.

    Examples:
        >>> model = torch.nn.Linear(2, 1)
        >>> with torch.no_grad():
        ...     _ = model.weight.copy_(torch.tensor([[1.0, -2.0]]))
        >>> L1Penalty(exclude_bias_and_norm=True)(None, None, model=model).item()  # |1| + |-2|, the bias left out
        3.0

    Reference: Tibshirani. Regression Shrinkage and Selection via the Lasso. JRSS B 58(1), 1996.
    """

    compute = _sum_of(torch.abs, owner="l1_penalty")


class L2Penalty(_ParameterPenalty, name="l2_penalty"):
    r"""Sum of squares of selected model parameters, with no factor 1/2 (ridge / weight decay; Hoerl & Kennard 1970).

    .. math::
        \Omega(\theta) = \sum_{w \in S} w^2 = \lVert \theta_S \rVert_2^2

    with **no** factor :math:`\tfrac12`: ``lam * L2Penalty()`` adds
    :math:`2\lambda w` to each gradient, the same as SGD's
    ``weight_decay=2 * lam``. (Decoupled weight decay, AdamW, is not a loss
    term and is not equivalent under adaptive optimisers.)

    Args:
        include, exclude: comma-separated glob patterns over parameter names.
        exclude_bias_and_norm: leave out biases and normalisation layers' parameters.
        reduction: ``'sum'`` (default) | ``'mean'`` | ``'none'``.

    Shape:
        input, target: ignored. Output: a scalar, or ``(|S|,)`` with ``reduction='none'``.

    Context:
        ``model`` (required): the ``nn.Module`` whose parameters are penalised.

    Examples:
        >>> model = torch.nn.Sequential(torch.nn.Linear(2, 1, bias=False), torch.nn.Linear(1, 1, bias=False))
        >>> with torch.no_grad():
        ...     _ = model[0].weight.copy_(torch.tensor([[1.0, -2.0]]))
        >>> L2Penalty(include="0.*")(None, None, model=model).item()  # 1^2 + (-2)^2, only the first layer
        5.0

    Reference: Hoerl, Kennard. Ridge Regression: Biased Estimation for Nonorthogonal Problems.
    Technometrics 12(1), 1970.
    """

    compute = _sum_of(torch.square, owner="l2_penalty")


class ElasticNetPenalty(_ParameterPenalty, name="elastic_net"):
    r"""Elastic net: l1_ratio * sum |w| + (1 - l1_ratio) * sum w^2 over selected model parameters (Zou & Hastie 2005).

    .. math::
        \Omega(\theta) = \sum_{w \in S} \rho\,|w| + (1 - \rho)\,w^2,
        \qquad \rho = \texttt{l1\_ratio} \in [0, 1]

    This is Zou & Hastie's elastic-net penalty
    :math:`(1-\alpha)\lVert\beta\rVert_1 + \alpha\lVert\beta\rVert_2^2` with
    :math:`\alpha = 1 - \rho` (their :math:`\alpha` is the L2 share; ``l1_ratio`` is
    the name scikit-learn and glmnet use for the L1 share). Separate strengths
    :math:`\lambda_1\lVert\beta\rVert_1 + \lambda_2\lVert\beta\rVert_2^2` are
    ``(lam1 + lam2) * ElasticNetPenalty(l1_ratio=lam1 / (lam1 + lam2))``.
    Like :class:`L2Penalty` the squared term has no :math:`\tfrac12`
    (scikit-learn's ``ElasticNet`` puts one there). ``l1_ratio=1`` is
    :class:`L1Penalty`, ``l1_ratio=0`` is :class:`L2Penalty`.

    Args:
        l1_ratio: the L1 share :math:`\rho`, in ``[0, 1]``.
        include, exclude: comma-separated glob patterns over parameter names.
        exclude_bias_and_norm: leave out biases and normalisation layers' parameters.
        reduction: ``'sum'`` (default) | ``'mean'`` | ``'none'``.

    Shape:
        input, target: ignored. Output: a scalar, or ``(|S|,)`` with ``reduction='none'``.

    Context:
        ``model`` (required): the ``nn.Module`` whose parameters are penalised.

    Examples:
        >>> model = torch.nn.Linear(2, 1)
        >>> with torch.no_grad():
        ...     _ = model.weight.copy_(torch.tensor([[1.0, -2.0]]))
        >>> ElasticNetPenalty(l1_ratio=0.25, exclude="bias")(None, None, model=model).item()  # 0.25 * 3 + 0.75 * 5
        4.5

    Reference: Zou, Hastie. Regularization and Variable Selection via the Elastic Net. JRSS B 67(2), 2005.
    """

    l1_ratio: float = param(
        0.5, "share of the L1 term; 1 - l1_ratio is the share of the squared L2 term", ge=0.0, le=1.0
    )

    @staticmethod
    def compute(
        input: Any, target: Any, *, include: str, exclude: str, exclude_bias_and_norm: bool, reduction: Reduction,
        l1_ratio: float, model: nn.Module,
    ) -> Tensor:
        def mixed(w: Tensor) -> Tensor:
            return l1_ratio * w.abs() + (1.0 - l1_ratio) * w.square()

        return _penalty(mixed, model, include, exclude, exclude_bias_and_norm, reduction, owner="elastic_net")


def _inputs_optional(penalty: type[Loss]) -> Callable[..., Tensor]:
    """The penalty's functional form with ``input`` and ``target`` optional (it ignores them): ``l2_penalty(model=m)``.

    The derived ``functional`` takes them positionally, as every loss's does; a penalty called on its own has none.
    """
    derived = penalty.functional  # type: ignore[attr-defined]

    @functools.wraps(derived)
    def functional(input: Any = None, target: Any = None, **kwargs: Any) -> Tensor:
        return derived(input, target, **kwargs)

    functional.__name__ = functional.__qualname__ = penalty.loss_name or penalty.__name__
    parameters = inspect.signature(derived).parameters.values()
    functional.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [p.replace(default=None) if p.name in ("input", "target") else p for p in parameters]
    )
    return functional


l1_penalty = _inputs_optional(L1Penalty)
l2_penalty = _inputs_optional(L2Penalty)
elastic_net = _inputs_optional(ElasticNetPenalty)

_CONTRACT = InputContract(
    "any", "any", "ignored", "ignored", "() ; (number of selected scalar parameters,) with reduction='none'"
)
_FACTS: dict[str, Any] = {
    "family": "penalty", "contract": _CONTRACT, "example": small_model, "tags": {"penalty", "compile"}
}

SPECS = [
    LossSpec.of(L1Penalty, source="Tibshirani, Regression Shrinkage and Selection via the Lasso, JRSS B 1996",
                reference=l1_penalty_reference, aliases=("lasso_penalty",), **_FACTS),
    LossSpec.of(L2Penalty, source="Hoerl & Kennard, Ridge Regression, Technometrics 1970",
                reference=l2_penalty_reference, aliases=("ridge_penalty",), **_FACTS),
    LossSpec.of(ElasticNetPenalty, source="Zou & Hastie, Regularization and Variable Selection via the Elastic Net, "
                "JRSS B 2005", reference=elastic_net_reference, aliases=("elastic_net_penalty",),
                identities=(Identity({"l1_ratio": 1.0}, "l1_penalty", note="all L1"),
                            Identity({"l1_ratio": 0.0}, "l2_penalty", note="all squared L2")), **_FACTS),
]
