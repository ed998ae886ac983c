"""The learned class centres of the margin-softmax losses (arcface, cosface) and their cosine logits."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from losskit import Loss, Param
from losskit.errors import LossInputError
from losskit.inputs import check_class_indices

from ._inputs import check_embeddings, working

HEAD_PARAMS = (
    Param(
        "num_classes", None, "required: the number of classes C (rows of the learned class centres W)", type=int, ge=1
    ),
    Param("embedding_dim", None, "required: the embedding size D (columns of W)", type=int, ge=1),
    Param(
        "init_seed",
        None,
        "seed of W's initialisation (standard normal entries); None draws from torch's "
        "global generator, like torch.nn layers",
        type=int,
        ge=0,
        nullable=True,
    ),
)


def initial_centres(num_classes: int, embedding_dim: int, seed: int | None) -> Tensor:
    """``W`` at initialisation: standard normal in float64, stored in the default dtype (directions are uniform)."""
    generator = None if seed is None else torch.Generator().manual_seed(seed)
    return torch.randn((num_classes, embedding_dim), generator=generator, dtype=torch.float64).to(
        torch.get_default_dtype()
    )


def head_cosines(owner: str, input: Tensor, target: Tensor, class_centers: Tensor) -> Tensor:
    """``cos(theta)``, ``(N, C)``: normalised embeddings against normalised class centres, in the working precision."""
    check_embeddings(owner, "input", input, shape_doc="(N, D): one embedding per sample")
    check_embeddings(owner, "class_centers", class_centers, shape_doc="(C, D): one centre per class")
    if class_centers.shape[1] != input.shape[1]:
        raise LossInputError(
            f"{owner}: input has embeddings of size {input.shape[1]} but the class centres have size "
            f"{class_centers.shape[1]}; build the loss with embedding_dim={input.shape[1]} or fix the embedding size."
        )
    check_class_indices(owner, target, class_centers.shape[0])
    if tuple(target.shape) != (input.shape[0],):
        raise LossInputError(
            f"{owner}: target must hold one class index per sample, shape ({input.shape[0]},), "
            f"got {tuple(target.shape)}."
        )
    x = working(input)
    return F.normalize(x, dim=1) @ F.normalize(class_centers.to(x.dtype), dim=1).T


class MarginHeadLoss(Loss):
    """A loss that owns its class centres ``W`` (``self.class_centers``, a ``(C, D)`` parameter)."""

    def __init__(self, **hparams: Any) -> None:
        super().__init__(**hparams)
        self.class_centers = nn.Parameter(initial_centres(self.num_classes, self.embedding_dim, self.init_seed))
