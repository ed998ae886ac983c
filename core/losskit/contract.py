"""What a loss expects of its tensors: :class:`InputContract`, its vocabulary, and the common contracts.

The conformance suite reads ``input`` and ``target`` to build inputs and to
decide what applies, so they are words from a fixed vocabulary (a typo is a
:class:`~losskit.SpecError` at import); the shapes are free text for the docs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal, get_args

from .errors import SpecError

__all__ = [
    "BINARY_LOGITS",
    "CLASS_LOGITS",
    "DENSE_CLASS_LOGITS",
    "EMBEDDINGS_AND_CLASSES",
    "EMBEDDINGS_AND_LABELS",
    "INPUT_KINDS",
    "InputContract",
    "SAME_SHAPE_VALUES",
    "SIGN_LOGITS",
    "TARGET_KINDS",
]

InputKind = Literal["values", "logits", "probabilities", "log_probabilities", "embeddings", "any"]
TargetKind = Literal["same_shape", "class_indices", "one_hot", "soft", "binary", "signs", "labels", "any"]
INPUT_KINDS: tuple[str, ...] = get_args(InputKind)
TARGET_KINDS: tuple[str, ...] = get_args(TargetKind)


@dataclass(frozen=True)
class InputContract:
    """What a loss expects: documentation and the conformance suite's guide.

    ``input``: ``values`` (regression), ``logits``, ``probabilities``,
    ``log_probabilities``, ``embeddings`` or ``any``. ``target``: ``same_shape``,
    ``class_indices``, ``one_hot``, ``soft`` (probabilities), ``binary``
    ({0, 1}), ``signs`` (±1), ``labels`` (metric learning) or ``any``.
    ``with_shapes(...)`` gives a copy with other shape texts.
    """

    input: InputKind
    target: TargetKind
    input_shape: str = "(N, *)"
    target_shape: str = "(N, *)"
    output_shape: str = "(N, *) with reduction='none', else ()"

    def __post_init__(self) -> None:
        for field, value, vocabulary in (("input", self.input, INPUT_KINDS), ("target", self.target, TARGET_KINDS)):
            if value not in vocabulary:
                raise SpecError(f"InputContract.{field} must be one of {', '.join(vocabulary)}; got {value!r}.")

    def with_shapes(self, input: str | None = None, target: str | None = None, output: str | None = None) -> InputContract:
        """This contract with other shape descriptions."""
        return replace(
            self,
            input_shape=input or self.input_shape,
            target_shape=target or self.target_shape,
            output_shape=output or self.output_shape,
        )


#: Regression: a prediction per target element.
SAME_SHAPE_VALUES = InputContract("values", "same_shape")
#: Classification: ``(N, C)`` logits, ``(N,)`` class indices.
CLASS_LOGITS = InputContract("logits", "class_indices", "(N, C)", "(N,)", "(N,) with reduction='none', else ()")
#: Dense classification (segmentation, sequences): ``(N, C, *)`` logits, ``(N, *)`` class indices.
DENSE_CLASS_LOGITS = InputContract("logits", "class_indices", "(N, C, *)", "(N, *)")
#: Binary or multi-label logits with {0, 1} targets of the same shape.
BINARY_LOGITS = InputContract("logits", "binary")
#: Logits with ±1 targets of the same shape.
SIGN_LOGITS = InputContract("logits", "signs")
#: Metric learning: ``(N, D)`` embeddings, ``(N,)`` integer labels (only equality matters).
EMBEDDINGS_AND_LABELS = InputContract("embeddings", "labels", "(N, D)", "(N,)", "(N,) with reduction='none', else ()")
#: Margin-softmax heads: ``(N, D)`` embeddings, ``(N,)`` class indices.
EMBEDDINGS_AND_CLASSES = InputContract(
    "embeddings", "class_indices", "(N, D)", "(N,)", "(N,) with reduction='none', else ()"
)
