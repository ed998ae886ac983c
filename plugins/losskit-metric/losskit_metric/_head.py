"""The learned class centres of the margin-softmax losses (arcface, cosface) and their cosine logits."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from losskit import Loss, param
from losskit.errors import LossInputError
from losskit.inputs import check_class_indices
from losskit.params import validate_params
from losskit.precision import no_autocast, working

from ._inputs import check_embeddings


def initial_centres(num_classes: int, embedding_dim: int, seed: int | None) -> Tensor:
    """``W`` at initialisation: standard normal in float64, stored in the default dtype (directions are uniform)."""
    generator = None if seed is None else torch.Generator().manual_seed(seed)
    return torch.randn((num_classes, embedding_dim), generator=generator, dtype=torch.float64).to(
        torch.get_default_dtype()
    )


def head_cosines(owner: str, input: Tensor, target: Tensor, class_centers: Tensor) -> tuple[Tensor, Tensor]:
    """``cos(theta)``, ``(N, C)``: normalised embeddings against normalised class centres, in the working precision
    (autocast off: it would compute them in bfloat16); and the target class indices (any integer dtype) as int64."""
    check_embeddings(owner, "input", input, shape_doc="(N, D): one embedding per sample")
    check_embeddings(owner, "class_centers", class_centers, shape_doc="(C, D): one centre per class")
    if class_centers.shape[1] != input.shape[1]:
        raise LossInputError(
            f"{owner}: input has embeddings of size {input.shape[1]} but the class centres have size "
            f"{class_centers.shape[1]}; build the loss with embedding_dim={input.shape[1]} or fix the embedding size."
        )
    target = check_class_indices(owner, target, class_centers.shape[0])
    if tuple(target.shape) != (input.shape[0],):
        raise LossInputError(
            f"{owner}: target must hold one class index per sample, shape ({input.shape[0]},), "
            f"got {tuple(target.shape)}."
        )
    x = working(input)
    with no_autocast(x):
        return F.normalize(x, dim=1) @ F.normalize(class_centers.to(x.dtype), dim=1).T, target


class MarginHeadLoss(Loss):
    """A loss that owns its class centres ``W`` (``self.class_centers``, a ``(C, D)`` parameter).

    A subclass declares its margin parameters and writes the maths once, as a static
    ``margin_loss(input, target, class_centers, *, <its margin parameters>)``. ``forward`` calls it
    with the loss's own centres and stored parameters (no validation per call); :func:`head_functional`
    gives the public functional form, which takes the centres explicitly and validates its parameters.
    """

    num_classes: int = param(None, "required: the number of classes C (rows of the learned class centres W)", ge=1)
    embedding_dim: int = param(None, "required: the embedding size D (columns of W)", ge=1)
    init_seed: int | None = param(
        None,
        "seed of W's initialisation (standard normal entries); None draws from torch's global generator, "
        "like torch.nn layers",
        ge=0,
    )

    #: The maths, without parameter validation: ``margin_loss(input, target, class_centers, **margin_params)``.
    margin_loss: ClassVar[Callable[..., Tensor]]
    #: The subclass's own parameters (all but the head's), the keywords of ``margin_loss``.
    margin_params: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        head = {p.name for p in MarginHeadLoss.params}
        cls.margin_params = tuple(p.name for p in cls.params if p.name not in head)

    def __post_init__(self) -> None:
        self.class_centers = nn.Parameter(initial_centres(self.num_classes, self.embedding_dim, self.init_seed))

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        margin_params = {name: getattr(self, name) for name in self.margin_params}
        return self.margin_loss(input, target, self.class_centers, **margin_params)


def head_functional(cls: type[MarginHeadLoss]) -> Callable[..., Tensor]:
    """The functional form of ``cls``: its ``margin_loss`` with the class centres given as ``class_centers=``
    ``(C, D)``, the margin parameters defaulted from their declarations and validated on each call
    (not while compiling)."""
    name = cls.loss_name or cls.__name__
    declared = tuple(p for p in cls.params if p.name in cls.margin_params)
    defaults = {p.name: p.default for p in declared}
    maths = cls.margin_loss

    def functional(input: Tensor, target: Tensor, *, class_centers: Tensor, **params: Any) -> Tensor:
        if torch.compiler.is_compiling():  # validated eagerly; tracing the checks would only add guards
            return maths(input, target, class_centers, **{**defaults, **params})
        return maths(input, target, class_centers, **validate_params(name, declared, params))

    functional.__name__ = functional.__qualname__ = f"{name}_loss"
    functional.__module__ = cls.__module__
    functional.__doc__ = (
        f"Functional form of :class:`{cls.__qualname__}`, with the class centres ``W`` ``(C, D)`` given "
        "explicitly as ``class_centers=``; its parameters are validated on each call."
    )
    keyword = inspect.Parameter.KEYWORD_ONLY
    functional.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in ("input", "target")]
        + [inspect.Parameter("class_centers", keyword)]
        + [inspect.Parameter(p.name, keyword, default=p.default) for p in declared]
    )
    return functional
