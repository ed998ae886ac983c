"""``losskit check``: run the suite over installed losses and print a table of losses by checks."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from .._naming import normalize
from ..errors import LosskitError
from ..registry import Registry
from ._subject import RegisteredSpec, plugin_specs, subject_of
from .checks import CHECKS
from .runner import CheckResult, run_check

_MARKS = {"passed": "✓", "failed": "✗", "skipped": "-", "xfail": "x"}
_ASCII = {"passed": "ok", "failed": "X", "skipped": "-", "xfail": "x"}


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


def run_and_print(registry: Registry, targets: Sequence[str], *, only: Sequence[str] | None = None, verbose: bool = False) -> int:
    """Print one row per loss as it completes, then the failures; 1 if any check failed, else 0."""
    checks, subjects = _select(only), _subjects(registry, targets)
    try:
        "✓✗".encode(sys.stdout.encoding or "ascii")
        marks = _MARKS
    except (UnicodeEncodeError, LookupError):
        marks = _ASCII
    width = max([len(s.name) for s in subjects] + [4])
    print(f"{'loss':<{width}}  " + " ".join(f"{c.short:>5}" for c in checks))
    results: list[CheckResult] = []
    for subject in subjects:
        row = [run_check(subject, check) for check in checks]
        results += row
        print(f"{subject.name:<{width}}  " + " ".join(f"{marks[r.status]:>5}" for r in row), flush=True)
    print("\n" + "  ".join(f"{c.short}={c.__name__}" for c in checks))
    failures = [r for r in results if r.status == "failed"]
    for r in failures if not verbose else [r for r in results if r.status != "passed"]:
        print(f"\n{marks[r.status]} {r.loss} {r.check}: {r.message}")
    passed = sum(r.status == "passed" for r in results)
    skipped = sum(r.status == "skipped" for r in results)
    print(f"\n{len(subjects)} losses: {passed} passed, {len(failures)} failed, {skipped} not applicable")
    return 1 if failures else 0
