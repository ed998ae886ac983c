"""Run the checks over a loss and collect structured results (what ``losskit check`` prints)."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from ..registry import Registry
from ..spec import LossSpec
from ._subject import CheckSkipped, ConformanceWarning, RegisteredSpec, subject_of
from .checks import CHECKS, why_not

Status = Literal["passed", "failed", "skipped", "xfail", "warned"]


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check on one loss; ``message`` says why it failed, was skipped or is expected to fail."""

    loss: str
    check: str
    status: Status
    message: str = ""


def run_check(subject: RegisteredSpec, check: Callable[..., None], expected_failure: str | None = None) -> CheckResult:
    """``check`` on ``subject``; one it does not apply to is ``"skipped"`` with the reason, and not run."""
    name = check.__name__
    not_applicable = why_not(subject, check)
    if not_applicable:
        return CheckResult(subject.name, name, "skipped", f"not applicable: {not_applicable}")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConformanceWarning)
            check(subject)
    except CheckSkipped as exc:
        return CheckResult(subject.name, name, "skipped", str(exc))
    except AssertionError as exc:
        if expected_failure is not None:
            return CheckResult(subject.name, name, "xfail", f"{expected_failure} ({exc})")
        return CheckResult(subject.name, name, "failed", str(exc))
    warned = [str(w.message) for w in caught if issubclass(w.category, ConformanceWarning)]
    if warned:
        return CheckResult(subject.name, name, "xfail" if expected_failure is not None else "warned", warned[0])
    if expected_failure is not None:
        return CheckResult(
            subject.name, name, "failed", f"{subject.name}: {name}: listed in expected_failures ({expected_failure}) but passed"
        )
    return CheckResult(subject.name, name, "passed")


def check_loss(
    name_or_spec: str | LossSpec | RegisteredSpec,
    expected_failures: Mapping[str, str] | None = None,
    registry: Registry | None = None,
    checks: Iterable[Callable[..., None]] = CHECKS,
) -> list[CheckResult]:
    """Run every check on one loss; ``expected_failures`` maps a check name to the reason it is known to fail.

    A check that does not apply to the loss is not run: its result is ``"skipped"``, the message says why.
    """
    subject = subject_of(name_or_spec, registry)
    expected = dict(expected_failures or {})
    unknown = expected.keys() - {c.__name__ for c in CHECKS}
    if unknown:
        raise ValueError(f"expected_failures names unknown checks {sorted(unknown)}; checks: {[c.__name__ for c in CHECKS]}")
    return [run_check(subject, check, expected.get(check.__name__)) for check in checks]
