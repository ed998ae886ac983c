"""``losskit check``: run the suite over installed losses and print a table of losses by checks.

A check that does not apply to a loss (see :data:`losskit.testing.checks.APPLICABILITY`)
is not run and shows ``-``; ``losskit check --why LOSS`` lists, for each check, whether it
applies to that loss and, when not, why.

The plain table printed here as the checks run and the rich one that ``losskit check`` draws on a
terminal (:mod:`losskit.cli.check`) share everything but the table itself: :func:`run_row` runs a
loss's checks, :func:`summary_lines` writes what follows the table, :func:`count_statuses` counts.
"""

from __future__ import annotations

import sys
import time
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
#: rich's style for each status, on a terminal.
STYLES = {"passed": "green", "failed": "bold red", "warned": "bold yellow", "skipped": "yellow", "xfail": "magenta",
          "n/a": "dim"}


def select_subjects(registry: Registry, targets: Sequence[str]) -> list[RegisteredSpec]:
    """The losses ``losskit check TARGETS`` runs on: every installed one, or those named (a plugin: its losses)."""
    if not targets:
        return plugin_specs(registry=registry)
    plugins = {normalize(n) for i in registry.list_plugins() for n in (i.name, i.distribution or "")}
    found: dict[str, RegisteredSpec] = {}
    for target in targets:
        subjects = plugin_specs(target, registry=registry) if normalize(target) in plugins else [subject_of(target, registry)]
        found.update((s.name, s) for s in subjects)
    return list(found.values())


def select_checks(only: Sequence[str] | None) -> list:
    """The checks ``--check ONLY`` names (a check's name, short name or name without ``check_``); all by default."""
    if not only:
        return list(CHECKS)
    by_name = {c.__name__: c for c in CHECKS} | {c.short: c for c in CHECKS} | {c.__name__[6:]: c for c in CHECKS}
    unknown = [c for c in only if c not in by_name]
    if unknown:
        raise LosskitError(f"unknown check {unknown[0]!r}; checks: {', '.join(c.__name__ for c in CHECKS)}")
    return [by_name[c] for c in only]


def marks() -> dict[str, str]:
    """The mark of each status: ✓ ✗ ..., or ASCII where stdout cannot encode them."""
    try:
        "✓✗".encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return _ASCII
    return _MARKS


def run_row(subject: RegisteredSpec, checks: Sequence, seconds: dict | None = None) -> list[CheckResult]:
    """``subject``'s result for each check; one that does not apply is not run: an ``n/a`` result with the reason.

    ``seconds``, if given, collects how long each check that ran took, by ``(loss, check)``.
    """
    row = []
    for check in checks:
        reason = why_not(subject, check)
        if reason:
            row.append(CheckResult(subject.name, check.__name__, "n/a", reason))  # type: ignore[arg-type]
            continue
        start = time.perf_counter()
        row.append(run_check(subject, check))
        if seconds is not None:
            seconds[subject.name, check.__name__] = time.perf_counter() - start
    return row


def count_statuses(results: Sequence[CheckResult], losses: int) -> dict[str, int]:
    """The number of ``losses`` and of results of each status (``n/a`` counted as ``not_applicable``)."""
    statuses = ("passed", "failed", "warned", "skipped", "xfail", "n/a")
    return {"losses": losses, **{s.replace("n/a", "not_applicable"): sum(r.status == s for r in results)
                                 for s in statuses}}


def summary_lines(
    checks: Sequence, results: Sequence[CheckResult], losses: int, *, verbose: bool = False, markup: bool = False
) -> list[str]:
    """What follows the table: the legend, the checks' names, the messages of the failures and warnings (with
    ``verbose``, of every check that ran and did not pass), and the counts. ``markup``: in rich markup, coloured."""
    from rich.markup import escape as rich_escape

    mark, escape = marks(), rich_escape if markup else str

    def paint(style: str, text: str) -> str:
        return f"[{STYLES.get(style, style)}]{text}[/]" if markup else text

    shown = {"passed", "failed", "n/a"} | {r.status for r in results}
    lines = ["  ".join(f"{paint(k, mark[k])} {v}" for k, v in _LEGEND.items() if k in shown),
             paint("dim", escape("  ".join(f"{c.short}={c.__name__}" for c in checks)))]
    for r in results:
        if r.status in ("failed", "warned") or (verbose and r.status not in ("passed", "n/a")):
            lines.append(f"\n{paint(r.status, f'{mark[r.status]} {r.loss} {r.check}:')} {escape(r.message)}")
    counts = count_statuses(results, losses)
    words = [f"{counts['passed']} passed", paint("failed" if counts["failed"] else "passed", f"{counts['failed']} failed")]
    words += [f"{counts[k]} {w}" for k, w in (("warned", "warned"), ("xfail", "expected failures"),
                                              ("skipped", "skipped while running")) if counts[k]]
    lines.append(f"\n{paint('bold', f'{losses} losses:')} {', '.join(words)}, {counts['not_applicable']} not applicable")
    return lines


def run_and_print(registry: Registry, targets: Sequence[str], *, only: Sequence[str] | None = None, verbose: bool = False) -> int:
    """Print one row per loss as it completes, then the failures; 1 if any check failed, else 0."""
    checks, subjects, mark = select_checks(only), select_subjects(registry, targets), marks()
    width = max([len(s.name) for s in subjects] + [4])
    print(f"{'loss':<{width}}  " + " ".join(f"{c.short:>5}" for c in checks))
    results: list[CheckResult] = []
    for subject in subjects:
        row = run_row(subject, checks)
        results += row
        print(f"{subject.name:<{width}}  " + " ".join(f"{mark[r.status]:>5}" for r in row), flush=True)
    print()
    for line in summary_lines(checks, results, len(subjects), verbose=verbose):
        print(line)
    return 1 if any(r.status == "failed" for r in results) else 0


def print_why(registry: Registry, targets: Sequence[str], *, only: Sequence[str] | None = None) -> int:
    """For each loss, each check: whether it applies and, when not, what it needs and why the loss lacks it."""
    checks, subjects, mark = select_checks(only), select_subjects(registry, targets), marks()
    width = max(len(c.__name__) for c in checks)
    for subject in subjects:
        reasons = {c.__name__: why_not(subject, c) for c in checks}
        applies = sum(not r for r in reasons.values())
        print(f"{subject.name}: {applies} of {len(checks)} checks apply")
        for check in checks:
            reason = reasons[check.__name__]
            if reason:
                wanted = " and ".join(map(str, needs(check)))
                print(f"  {mark['n/a']:<7} {check.__name__:<{width}}  needs {wanted}: {reason}")
            else:
                print(f"  {'applies':<7} {check.__name__}")
    return 0
