"""``losskit check``: run the suite over installed losses and print a table of losses by checks.

A check that does not apply to a loss (see :data:`losskit.testing.checks.APPLICABILITY`)
is not run and shows ``-``; ``losskit check --why LOSS`` lists, for each check, whether it
applies to that loss and, when not, why.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from .._naming import normalize
from ..errors import LosskitError
from ..registry import Registry
from ._subject import RegisteredSpec, plugin_specs, subject_of
from .checks import CHECKS, needs, why_not
from .runner import CheckResult, run_check

_MARKS = {"passed": "✓", "failed": "✗", "warned": "!", "skipped": "s", "xfail": "x", "n/a": "-"}
_ASCII = {"passed": "ok", "failed": "X", "warned": "!", "skipped": "s", "xfail": "x", "n/a": "-"}
_LEGEND = {
    "passed": "passed",
    "failed": "failed",
    "warned": "failed a check newer than the spec's conformance level: a warning (see below)",
    "n/a": "does not apply (losskit check --why LOSS says why)",
    "skipped": "skipped while running",
    "xfail": "expected failure",
}


def _subjects(registry: Registry, targets: Sequence[str]) -> list[RegisteredSpec]:
    if not targets:
        return plugin_specs(registry=registry)
    plugins = {normalize(n) for i in registry.list_plugins() for n in (i.name, i.distribution or "")}
    found: dict[str, RegisteredSpec] = {}
    for target in targets:
        subjects = plugin_specs(target, registry=registry) if normalize(target) in plugins else [subject_of(target, registry)]
        found.update((s.name, s) for s in subjects)
    return list(found.values())


def _select(only: Sequence[str] | None) -> list:
    if not only:
        return list(CHECKS)
    by_name = {c.__name__: c for c in CHECKS} | {c.short: c for c in CHECKS} | {c.__name__[6:]: c for c in CHECKS}
    unknown = [c for c in only if c not in by_name]
    if unknown:
        raise LosskitError(f"unknown check {unknown[0]!r}; checks: {', '.join(c.__name__ for c in CHECKS)}")
    return [by_name[c] for c in only]


def _marks() -> dict[str, str]:
    try:
        "✓✗".encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return _ASCII
    return _MARKS


def run_and_print(registry: Registry, targets: Sequence[str], *, only: Sequence[str] | None = None, verbose: bool = False) -> int:
    """Print one row per loss as it completes, then the failures; 1 if any check failed, else 0."""
    checks, subjects, marks = _select(only), _subjects(registry, targets), _marks()
    width = max([len(s.name) for s in subjects] + [4])
    print(f"{'loss':<{width}}  " + " ".join(f"{c.short:>5}" for c in checks))
    results: list[CheckResult] = []
    not_applicable = 0
    for subject in subjects:
        cells = []
        for check in checks:
            if why_not(subject, check):
                not_applicable += 1
                cells.append(marks["n/a"])
                continue
            result = run_check(subject, check)
            results.append(result)
            cells.append(marks[result.status])
        print(f"{subject.name:<{width}}  " + " ".join(f"{c:>5}" for c in cells), flush=True)
    shown = {"passed", "failed", "n/a"} | {r.status for r in results}
    print("\n" + "  ".join(f"{marks[k]} {v}" for k, v in _LEGEND.items() if k in shown))
    print("  ".join(f"{c.short}={c.__name__}" for c in checks))
    failures = [r for r in results if r.status == "failed"]
    for r in [r for r in results if r.status in ("failed", "warned") or (verbose and r.status != "passed")]:
        print(f"\n{marks[r.status]} {r.loss} {r.check}: {r.message}")
    counts = [f"{sum(r.status == 'passed' for r in results)} passed", f"{len(failures)} failed"]
    for status, words in (("warned", "warned"), ("xfail", "expected failures"), ("skipped", "skipped while running")):
        if any(r.status == status for r in results):
            counts.append(f"{sum(r.status == status for r in results)} {words}")
    print(f"\n{len(subjects)} losses: {', '.join(counts)}, {not_applicable} not applicable")
    return 1 if failures else 0


def print_why(registry: Registry, targets: Sequence[str], *, only: Sequence[str] | None = None) -> int:
    """For each loss, each check: whether it applies and, when not, what it needs and why the loss lacks it."""
    checks, subjects, marks = _select(only), _subjects(registry, targets), _marks()
    width = max(len(c.__name__) for c in checks)
    for subject in subjects:
        reasons = {c.__name__: why_not(subject, c) for c in checks}
        applies = sum(not r for r in reasons.values())
        print(f"{subject.name}: {applies} of {len(checks)} checks apply")
        for check in checks:
            reason = reasons[check.__name__]
            if reason:
                wanted = " and ".join(map(str, needs(check)))
                print(f"  {marks['n/a']:<7} {check.__name__:<{width}}  needs {wanted}: {reason}")
            else:
                print(f"  {'applies':<7} {check.__name__}")
    return 0
