"""The conformance checks, as plain functions usable without pytest.

Each ``check_xxx(spec, *, registry=None)`` takes a loss name, a
:class:`~losskit.LossSpec` or a :class:`~losskit.testing.RegisteredSpec`;
it returns ``None`` when the loss conforms, raises
:class:`~losskit.testing.ConformanceError` (an ``AssertionError``) naming the
loss, the check, what was expected and what came when it does not, and raises
:class:`~losskit.testing.CheckSkipped` when it does not apply (a tag, no
reference, no GPU).
"""

from __future__ import annotations

from .backends import check_compile, check_cuda
from .construction import check_defaults, check_discovery, check_docstring, check_invalid_params
from .numerics import (
    check_dtypes,
    check_extreme_inputs,
    check_functional,
    check_gradcheck,
    check_no_mutation,
    check_reference,
)
from .persistence import check_config_roundtrip, check_serialization
from .semantics import (
    check_batch_independence,
    check_empty_batch,
    check_identities,
    check_ignore_index,
    check_output_shape,
    check_reduction,
    check_weight,
)

#: Every check, in the order they run (cheap, structural checks first).
CHECKS = (
    check_discovery,
    check_defaults,
    check_invalid_params,
    check_docstring,
    check_output_shape,
    check_reduction,
    check_identities,
    check_ignore_index,
    check_weight,
    check_empty_batch,
    check_batch_independence,
    check_reference,
    check_functional,
    check_dtypes,
    check_extreme_inputs,
    check_gradcheck,
    check_no_mutation,
    check_config_roundtrip,
    check_serialization,
    check_compile,
    check_cuda,
)

__all__ = ["CHECKS", *(c.__name__ for c in CHECKS)]
