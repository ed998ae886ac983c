"""pytest integration: one test per (loss, check), with ids like ``focal-check_reduction``."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..registry import Registry
from ..spec import LossSpec
from ._subject import CheckSkipped, RegisteredSpec, subject_of
from .checks import CHECKS, why_not


def as_pytest_check(check: Callable[..., None]) -> Callable[..., None]:
    """``check``, turning :class:`CheckSkipped` into ``pytest.skip``."""
    import pytest

    @functools.wraps(check)
    def run(spec: Any, **kwargs: Any) -> None:
        try:
            check(spec, **kwargs)
        except CheckSkipped as exc:
            pytest.skip(str(exc))

    return run


def parametrize_with_checks(
    specs: Iterable[RegisteredSpec | LossSpec | str],
    expected_failures: Mapping[str, str] | None = None,
    *,
    registry: Registry | None = None,
    checks: Iterable[Callable[..., None]] = CHECKS,
) -> Any:
    """A ``pytest.mark.parametrize("spec, check", ...)`` over every spec and every check.

    A (spec, check) that :data:`~losskit.testing.checks.APPLICABILITY` rules
    out is marked skipped, with the reason, at collection; it never runs.
    ``expected_failures`` maps a check name (``"check_gradcheck"``, for every
    spec) or a test id (``"focal-check_gradcheck"``) to the reason it is known
    to fail; those tests are strict xfails, so a fix makes them fail until the
    entry is removed.
    """
    import pytest

    checks = tuple(checks)
    subjects = [subject_of(s, registry) for s in specs]
    names = {c.__name__ for c in CHECKS}
    losses = {s.name for s in subjects}
    expected = dict(expected_failures or {})
    unknown = [k for k in expected if k.rpartition("-")[2] not in names or k.rpartition("-")[0] not in {"", *losses}]
    if unknown:
        raise ValueError(
            f"expected_failures: {unknown} name no check {sorted(names)} or no loss {sorted(losses)} of these specs"
        )
    params = []
    for subject in subjects:
        for check in checks:
            test_id = f"{subject.name}-{check.__name__}"
            reason = expected.get(test_id, expected.get(check.__name__))
            not_applicable = why_not(subject, check)
            if not_applicable:
                marks = [pytest.mark.skip(reason=f"not applicable: {not_applicable}")]
            elif reason:
                marks = [pytest.mark.xfail(reason=reason, strict=True, raises=AssertionError)]
            else:
                marks = []
            params.append(pytest.param(subject, as_pytest_check(check), id=test_id, marks=marks))
    return pytest.mark.parametrize("spec, check", params)
