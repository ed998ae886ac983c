"""What a check can need of a loss: the conditions the applicability table in :mod:`losskit.testing.checks` names.

A :class:`Needs` has the words the table shows (``needs``) and a test that
says why a loss falls short of it (``unmet``), or ``None`` when it does not.
Most read the spec only (tags, fields, declared reductions); two make the
spec's example (cheap, seeded), because what they need is a fact of the
example inputs, not of the declaration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from ...loss import Loss
from .._examples import batch_dims, is_penalty, make, model_of, reductions
from .._subject import RegisteredSpec


@dataclass(frozen=True)
class Needs:
    """One condition of the table: ``needs`` says it (``tag 'weight'``); ``unmet(subject)`` says why not, or ``None``."""

    needs: str
    unmet: Callable[[RegisteredSpec], str | None]

    def __str__(self) -> str:
        return self.needs


def tag(name: str) -> Needs:
    """The spec carries the tag ``name``."""
    return Needs(f"tag {name!r}", lambda s: None if name in s.spec.tags else f"no {name!r} tag")


def untagged(*names: str) -> Needs:
    """The spec carries none of the tags ``names``."""

    def unmet(subject: RegisteredSpec) -> str | None:
        found = [n for n in names if n in subject.spec.tags]
        return f"tagged {found[0]!r}" if found else None

    said = f"no tag {names[0]!r}" if len(names) == 1 else "neither tag " + " nor ".join(map(repr, names))
    return Needs(said, unmet)


def declares(field: str, what: str) -> Needs:
    """``spec.<field>`` is set (not ``None``, not empty)."""
    return Needs(f"spec.{field}", lambda s: None if getattr(s.spec, field) else f"the spec declares no {what}")


def offers(*wanted: str) -> Needs:
    """The ``reduction`` parameter offers each of ``wanted``."""

    def unmet(subject: RegisteredSpec) -> str | None:
        offered = reductions(subject)
        missing = [r for r in wanted if r not in offered]
        return f"the loss offers no reduction {' or '.join(map(repr, missing))} (it offers {offered})" if missing else None

    return Needs("reduction " + " and ".join(map(repr, wanted)), unmet)


DISCOVERED = Needs(
    "a discovered plugin",
    lambda s: None if s.plugin is not None else "the spec was passed directly, not discovered through a plugin",
)

LOSS_CLASS = Needs(
    "a Loss class as factory",
    lambda s: None
    if isinstance(s.spec.factory, type) and issubclass(s.spec.factory, Loss)
    else "the factory is a function, not a Loss class",
)

SAME_SHAPE = Needs(
    "contract target 'same_shape'",
    lambda s: None if s.spec.contract.target == "same_shape" else f"the contract's target is {s.spec.contract.target!r}",
)

CUDA = Needs("a CUDA device", lambda s: None if torch.cuda.is_available() else "no CUDA device")


def _no_batch_dimension(subject: RegisteredSpec) -> str | None:
    if all(d is None for d in batch_dims(subject)):
        return "no tensor of the example has a batch dimension"
    return None


BATCH_DIMENSION = Needs("a batch dimension in the example", _no_batch_dimension)


def _nothing_to_differentiate(subject: RegisteredSpec) -> str | None:
    example = make(subject, batch_size=3)
    if is_penalty(subject):
        return None if model_of(example) is not None else "a penalty whose example has no model= in its context"
    x = example.input
    return None if isinstance(x, Tensor) and x.is_floating_point() else "the input is not a floating-point tensor"


DIFFERENTIABLE = Needs("a floating-point input (a penalty: model= in the example)", _nothing_to_differentiate)
