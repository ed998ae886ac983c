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


def _example_target(subject: RegisteredSpec) -> object:
    return make(subject, batch_size=3, dtype=torch.float32).target


#: Targets whose dtype the integer rule of :mod:`losskit.inputs` governs (class indices and labels).
INTEGER_KINDS = ("class_indices", "labels")
#: Targets of values, whose dtype the conversion rule of :mod:`losskit.inputs` governs.
VALUE_KINDS = ("same_shape", "binary", "signs", "soft")


def _no_integer_target(subject: RegisteredSpec) -> str | None:
    kind = subject.spec.contract.target
    if kind not in INTEGER_KINDS:
        return f"the contract's target is {kind!r}, not class indices or labels"
    target = _example_target(subject)
    if not isinstance(target, Tensor) or target.is_floating_point() or target.dtype == torch.bool:
        return "the example's target is not an integer tensor"
    return None


INTEGER_TARGET = Needs("integer class indices or labels as target", _no_integer_target)


def _no_value_target(subject: RegisteredSpec) -> str | None:
    kind = subject.spec.contract.target
    if kind not in VALUE_KINDS:
        return f"the contract's target is {kind!r}, not values, {{0, 1}}, ±1 or probabilities"
    if is_penalty(subject):
        return "a penalty ignores its target"
    target = _example_target(subject)
    if not isinstance(target, Tensor) or not target.is_floating_point():
        return "the example's target is not a floating-point tensor"
    return None


VALUE_TARGET = Needs("a floating target of values ({0, 1}, ±1, probabilities)", _no_value_target)


def _runs_a_model(subject: RegisteredSpec) -> str | None:
    if is_penalty(subject):
        return None  # a penalty reads its model's parameters; it does not run it
    if model_of(make(subject, batch_size=3, dtype=torch.float32)) is not None:
        return "the loss runs the model= of its context, whose outputs autocast rightly computes in bfloat16"
    return None


NO_MODEL_RUN = Needs("no model= to run in the example's context (a penalty's is only read)", _runs_a_model)
