"""The conformance checks, as plain functions usable without pytest, and the one table of what applies where.

Each ``check_xxx(spec, *, registry=None)`` takes a loss name, a
:class:`~losskit.LossSpec` or a :class:`~losskit.testing.RegisteredSpec`;
it returns ``None`` when the loss conforms, raises
:class:`~losskit.testing.ConformanceError` (an ``AssertionError``) naming the
loss, the check, what was expected and what came when it does not, and raises
:class:`~losskit.testing.CheckSkipped` with the reason when it does not apply.

Which check applies to which loss is decided here, in :data:`APPLICABILITY`,
and nowhere else (the check bodies only check): ``parametrize_with_checks``
and ``pytest --losskit-plugin`` mark a (loss, check) that does not apply as
skipped at collection, with the reason; ``check_loss`` reports it
``"skipped"`` without running it; ``losskit check`` prints ``-`` for it, and
``losskit check --why LOSS`` says why.
"""

from __future__ import annotations

from collections.abc import Callable

from .._subject import RegisteredSpec
from ._conditions import (
    BATCH_DIMENSION,
    CUDA,
    DIFFERENTIABLE,
    DISCOVERED,
    INTEGER_TARGET,
    LOSS_CLASS,
    NO_MODEL_RUN,
    SAME_SHAPE,
    VALUE_TARGET,
    Needs,
    declares,
    offers,
    tag,
    untagged,
)
from .backends import check_compile, check_cuda
from .construction import check_defaults, check_discovery, check_docstring, check_invalid_params, check_name
from .numerics import (
    check_dtypes,
    check_extreme_inputs,
    check_functional,
    check_gradcheck,
    check_no_mutation,
    check_optimum,
    check_reference,
)
from .persistence import check_config_roundtrip, check_serialization
from .robustness import check_autocast, check_integer_targets, check_nan_propagation, check_target_dtypes
from .semantics import (
    check_batch_independence,
    check_empty_batch,
    check_identities,
    check_ignore_index,
    check_output_shape,
    check_reduction,
    check_weight,
)

Check = Callable[..., None]

#: Every check, in the order they run (cheap, structural checks first), with what a loss needs for the
#: check to apply: every condition listed (none listed: every loss). The conditions read the spec (its
#: tags, fields, declared reductions and contract), the registry (discovered or passed directly), the
#: machine (a CUDA device) and, for two of them, the spec's example inputs (made once more, seeded); a
#: condition whose test raises (a broken example maker) counts as met, so that the check runs and
#: reports the error. A check body raises CheckSkipped only for what can be known only by running it;
#: no check does today (a check passed in ``checks=`` may, and is then reported skipped with its reason).
APPLICABILITY: tuple[tuple[Check, tuple[Needs, ...]], ...] = (
    (check_discovery, (DISCOVERED,)),
    (check_defaults, ()),
    (check_name, (LOSS_CLASS,)),
    (check_invalid_params, ()),
    (check_docstring, ()),
    (check_output_shape, ()),
    (check_reduction, (offers("none", "sum"),)),
    (check_identities, (declares("identities", "identities"),)),
    (check_ignore_index, (tag("ignore_index"),)),
    (check_weight, (tag("weight"), offers("none"))),
    (check_empty_batch, ()),
    (check_batch_independence, (untagged("batch_coupled", "penalty"), BATCH_DIMENSION)),
    (check_reference, (declares("reference", "reference"),)),
    (check_functional, (declares("functional", "functional form"),)),
    (check_dtypes, ()),
    (check_integer_targets, (INTEGER_TARGET,)),
    (check_target_dtypes, (VALUE_TARGET,)),
    (check_nan_propagation, (DIFFERENTIABLE,)),
    (check_autocast, (DIFFERENTIABLE, NO_MODEL_RUN)),
    (check_extreme_inputs, ()),
    (check_optimum, (SAME_SHAPE,)),
    (check_gradcheck, (untagged("no_gradcheck"), DIFFERENTIABLE)),
    (check_no_mutation, ()),
    (check_config_roundtrip, ()),
    (check_serialization, ()),
    (check_compile, (tag("compile"),)),
    (check_cuda, (CUDA,)),
)

#: Every check, in the order they run.
CHECKS: tuple[Check, ...] = tuple(check for check, _ in APPLICABILITY)

_NEEDS = {check.__name__: needs for check, needs in APPLICABILITY}


def needs(check: Check) -> tuple[Needs, ...]:
    """What ``check`` needs of a loss (its row of :data:`APPLICABILITY`); ``()`` for a check not in the table."""
    return _NEEDS.get(getattr(check, "__name__", ""), ())


def why_not(subject: RegisteredSpec, check: Check) -> str | None:
    """Why ``check`` does not apply to ``subject`` (its first unmet condition), or ``None`` when it applies."""
    for condition in needs(check):
        try:
            reason = condition.unmet(subject)
        except Exception:  # noqa: BLE001 - the check itself will run and report what is wrong
            reason = None
        if reason:
            return reason
    return None


__all__ = ["APPLICABILITY", "CHECKS", "Needs", "needs", "why_not", *(c.__name__ for c in CHECKS)]
