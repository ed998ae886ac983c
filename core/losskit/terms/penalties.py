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

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from losskit import Identity, InputContract, Loss, LossSpec, Param, reduction_param
from losskit.errors import LossInputError
from losskit.reduction import Reduction

from ._examples import small_model
from ._parameters import check_patterns, select_parameters
from .reference import elastic_net_reference, l1_penalty_reference, l2_penalty_reference

__all__ = ["ElasticNetPenalty", "L1Penalty", "L2Penalty", "elastic_net", "l1_penalty", "l2_penalty"]

_FILTER_PARAMS = (
    Param("include", "", "comma-separated glob patterns of parameter names to penalise; '' = all", type=str,
          check=check_patterns),
    Param("exclude", "", "comma-separated glob patterns of parameter names to leave out", type=str,
          check=check_patterns),
    Param("exclude_bias_and_norm", False, "leave out biases and normalisation layers' parameters", type=bool),
    reduction_param("sum"),
)


def _penalty(
    elementwise: Callable[[Tensor], Tensor],
    model: Any,
    *,
    include: str,
    exclude: str,
    exclude_bias_and_norm: bool,
    reduction: str,
    owner: str,
) -> Tensor:
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
    total = torch.stack([t.sum() for t in terms]).sum()
    if reduction == "sum":
        return total.to(dtype)
    if reduction == "mean":
        return (total / sum(t.numel() for t in terms)).to(dtype)
    raise LossInputError(f"{owner}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}.")


def l1_penalty(
    input: Any = None,
    target: Any = None,
    *,
    model: Any,
    include: str = "",
    exclude: str = "",
    exclude_bias_and_norm: bool = False,
    reduction: Reduction = "sum",
) -> Tensor:
    """Functional form of :class:`L1Penalty`."""
    return _penalty(torch.abs, model, include=include, exclude=exclude,
                    exclude_bias_and_norm=exclude_bias_and_norm, reduction=reduction, owner="l1_penalty")


def l2_penalty(
    input: Any = None,
    target: Any = None,
    *,
    model: Any,
    include: str = "",
    exclude: str = "",
    exclude_bias_and_norm: bool = False,
    reduction: Reduction = "sum",
) -> Tensor:
    """Functional form of :class:`L2Penalty`."""
    return _penalty(torch.square, model, include=include, exclude=exclude,
                    exclude_bias_and_norm=exclude_bias_and_norm, reduction=reduction, owner="l2_penalty")


def elastic_net(
    input: Any = None,
    target: Any = None,
    *,
    model: Any,
    l1_ratio: float = 0.5,
    include: str = "",
    exclude: str = "",
    exclude_bias_and_norm: bool = False,
    reduction: Reduction = "sum",
) -> Tensor:
    """Functional form of :class:`ElasticNetPenalty`."""
    return _penalty(lambda w: l1_ratio * w.abs() + (1.0 - l1_ratio) * w.square(), model, include=include,
                    exclude=exclude, exclude_bias_and_norm=exclude_bias_and_norm, reduction=reduction,
                    owner="elastic_net")


class _ParameterPenalty(Loss):
    """Shared constructor of the penalties; subclasses name their functional form."""

    params = _FILTER_PARAMS
    _functional: Callable[..., Tensor]

    def __init__(
        self, *, include: str = "", exclude: str = "", exclude_bias_and_norm: bool = False,
        reduction: Reduction = "sum",
    ) -> None:
        super().__init__(include=include, exclude=exclude, exclude_bias_and_norm=exclude_bias_and_norm,
                         reduction=reduction)

    def forward(self, input: Any, target: Any, *, model: torch.nn.Module) -> Tensor:
        return type(self)._functional(input, target, model=model, **self.hparams)


class L1Penalty(_ParameterPenalty):
    r"""Sum of absolute values of a model's parameters (lasso; Tibshirani 1996).

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
        >>> loss = L1Penalty(exclude_bias_and_norm=True)
        >>> loss(None, None, model=torch.nn.Linear(3, 1))   # doctest: +SKIP

    Reference: Tibshirani. Regression Shrinkage and Selection via the Lasso. JRSS B 58(1), 1996.
    """

    loss_name = "l1_penalty"
    _functional = staticmethod(l1_penalty)


class L2Penalty(_ParameterPenalty):
    r"""Sum of squares of a model's parameters (ridge / weight decay; Hoerl & Kennard 1970).

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
        >>> loss = L2Penalty(include="encoder.*")
        >>> loss(logits, target, model=model)   # doctest: +SKIP

    Reference: Hoerl, Kennard. Ridge Regression: Biased Estimation for Nonorthogonal Problems.
    Technometrics 12(1), 1970.
    """

    loss_name = "l2_penalty"
    _functional = staticmethod(l2_penalty)


class ElasticNetPenalty(_ParameterPenalty):
    r"""Convex mix of the L1 and squared L2 penalties (Zou & Hastie 2005).

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
        >>> loss = ElasticNetPenalty(l1_ratio=0.2, exclude="*.bias")
        >>> loss(logits, target, model=model)   # doctest: +SKIP

    Reference: Zou, Hastie. Regularization and Variable Selection via the Elastic Net. JRSS B 67(2), 2005.
    """

    loss_name = "elastic_net"
    params = (Param("l1_ratio", 0.5, "share of the L1 term; 1 - l1_ratio is the share of the squared L2 term",
                    ge=0.0, le=1.0),) + _FILTER_PARAMS
    _functional = staticmethod(elastic_net)

    def __init__(
        self, *, l1_ratio: float = 0.5, include: str = "", exclude: str = "", exclude_bias_and_norm: bool = False,
        reduction: Reduction = "sum",
    ) -> None:
        Loss.__init__(self, l1_ratio=l1_ratio, include=include, exclude=exclude,
                      exclude_bias_and_norm=exclude_bias_and_norm, reduction=reduction)


_CONTRACT = InputContract(
    input="any", target="any", input_shape="ignored", target_shape="ignored",
    output_shape="() ; (number of selected scalar parameters,) with reduction='none'",
)


def _spec(name: str, factory: type[Loss], functional: Callable[..., Tensor], summary: str, source: str,
          reference: Callable[..., Tensor], aliases: tuple[str, ...] = (),
          identities: tuple[Identity, ...] = ()) -> LossSpec:
    return LossSpec(name=name, aliases=aliases, factory=factory, summary=summary, family="penalty", source=source,
                    contract=_CONTRACT, example=small_model, reference=reference, functional=functional,
                    tags=frozenset({"penalty"}), identities=identities)


SPECS = [
    _spec("l1_penalty", L1Penalty, l1_penalty, "sum of |w| over selected model parameters (lasso)",
          "Tibshirani, Regression Shrinkage and Selection via the Lasso, JRSS B 1996", l1_penalty_reference,
          aliases=("lasso_penalty",)),
    _spec("l2_penalty", L2Penalty, l2_penalty, "sum of w^2 over selected model parameters (ridge, no 1/2)",
          "Hoerl & Kennard, Ridge Regression, Technometrics 1970", l2_penalty_reference,
          aliases=("ridge_penalty",)),
    _spec("elastic_net", ElasticNetPenalty, elastic_net,
          "l1_ratio * sum|w| + (1 - l1_ratio) * sum w^2 over selected model parameters",
          "Zou & Hastie, Regularization and Variable Selection via the Elastic Net, JRSS B 2005",
          elastic_net_reference, aliases=("elastic_net_penalty",),
          identities=(Identity({"l1_ratio": 1.0}, "l1_penalty", note="all L1"),
                      Identity({"l1_ratio": 0.0}, "l2_penalty", note="all squared L2"))),
]
