"""The losskit conformance suite: the checks every loss, ours and third parties', must pass.

Run it on your plugin's losses with one test file (``tests/test_<family>_conformance.py``)::

    from losskit.testing import parametrize_with_checks, plugin_specs

    @parametrize_with_checks(plugin_specs("regression"))
    def test_conformance(spec, check):
        check(spec)

``plugin_specs(name)`` gives the specs a plugin registers (``name`` is its
entry-point name, e.g. ``"regression"``, or its distribution name; the plugin
must be installed, e.g. ``pip install -e .``). Test ids read
``<loss>-<check>``, e.g. ``huber-check_reduction``; ``pytest -k huber`` picks a
loss. A known failure is declared, with its reason, as a strict xfail::

    @parametrize_with_checks(
        plugin_specs("classification"),
        expected_failures={"ctc-check_gradcheck": "why it fails", "check_compile": "applies to every spec"},
    )

Without pytest::

    from losskit.testing import check_loss
    for result in check_loss("huber"):          # or a LossSpec; registry=... for an isolated one
        print(result.check, result.status, result.message)   # passed | failed | skipped | xfail | warned

    from losskit.testing.checks import check_reduction
    check_reduction("huber")                    # raises ConformanceError (an AssertionError) naming the problem

From the shell: ``losskit check [LOSS|PLUGIN ...]`` prints a table of losses by
checks (``-`` where a check does not apply; ``losskit check --why LOSS`` says
why), and ``pytest --losskit-plugin NAME|all`` runs the suite on installed
plugins without any test file. Which checks apply to which loss is one table,
``losskit.testing.checks.APPLICABILITY``, read from the spec's tags (see
``losskit.spec.TAGS``), fields and contract: a check that does not apply is
skipped at collection with the reason, reported ``"skipped"`` by ``check_loss``
without running, and raises :class:`CheckSkipped` when called directly.
``losskit.testing.CHECKS`` lists every check, each documented in
:mod:`losskit.testing.checks`.

This package is imported lazily, like ``losskit``: importing it (the pytest
plugin does, in every pytest session) imports neither torch nor any plugin.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_LAZY = {
    "CHECKS": ".checks",
    "CheckResult": ".runner",
    "CheckSkipped": "._subject",
    "ConformanceError": "._subject",
    "ConformanceWarning": "._subject",
    "RegisteredSpec": "._subject",
    "check_loss": ".runner",
    "collective_failure": ".distributed",
    "parametrize_with_checks": ".parametrize",
    "plugin_specs": "._subject",
    "run_in_processes": ".distributed",
    "run_on_one_rank": ".distributed",
}

__all__ = [
    "CHECKS",
    "CheckResult",
    "CheckSkipped",
    "ConformanceError",
    "ConformanceWarning",
    "RegisteredSpec",
    "check_loss",
    "collective_failure",
    "parametrize_with_checks",
    "plugin_specs",
    "run_in_processes",
    "run_on_one_rank",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'losskit.testing' has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # pragma: no cover
    from ._subject import CheckSkipped, ConformanceError, ConformanceWarning, RegisteredSpec, plugin_specs
    from .checks import CHECKS
    from .distributed import collective_failure, run_in_processes, run_on_one_rank
    from .parametrize import parametrize_with_checks
    from .runner import CheckResult, check_loss
