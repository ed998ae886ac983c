"""pytest plugin: ``pytest --losskit-plugin NAME|all`` runs the conformance suite on installed plugins.

Registered under the ``pytest11`` entry point, so it loads in every pytest
session; it imports neither torch nor the registry, and does nothing, unless
the option is given. Each (loss, check) pair becomes a test
``losskit::<loss>-<check>``; ``-k`` selects among them as usual. A pair that
the applicability table rules out is marked skipped, with the reason, at collection.
"""

from __future__ import annotations

from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("losskit").addoption(
        "--losskit-plugin",
        action="append",
        default=[],
        metavar="NAME|all",
        help="run the losskit conformance suite on the losses of this installed plugin (repeatable; 'all': every plugin)",
    )


@pytest.hookimpl(tryfirst=True)  # before -k / -m deselection, so that they apply to these items
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    names = config.getoption("losskit_plugin")
    if names:
        items.extend(LosskitSuite.from_parent(session, name="losskit", nodeid="losskit", plugins=names).collect())


class LosskitSuite(pytest.Collector):
    """A synthetic collector holding one item per (installed loss, check)."""

    def __init__(self, *, plugins: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.plugins = plugins

    def collect(self) -> list[pytest.Item]:
        from ..errors import LosskitError
        from ._subject import plugin_specs
        from .checks import CHECKS, why_not
        from .parametrize import as_pytest_check

        subjects = {}
        for plugin in self.plugins:
            try:
                subjects.update((s.name, s) for s in plugin_specs(plugin))
            except LosskitError as exc:
                raise pytest.UsageError(f"--losskit-plugin {plugin}: {exc}") from exc
        items = []
        for subject in subjects.values():
            for check in CHECKS:
                item = CheckItem.from_parent(
                    self, name=f"{subject.name}-{check.__name__}", subject=subject, check=as_pytest_check(check)
                )
                reason = why_not(subject, check)
                if reason:
                    item.add_marker(pytest.mark.skip(reason=f"not applicable: {reason}"))
                items.append(item)
        return items


class CheckItem(pytest.Item):
    """One conformance check on one loss."""

    def __init__(self, *, subject: Any, check: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.subject, self.check = subject, check

    def runtest(self) -> None:
        self.check(self.subject)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        from ._subject import ConformanceError

        if isinstance(excinfo.value, ConformanceError):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        # A line (not None): pytest reports a skip mark at the item's location, and needs one.
        return self.path, 0, f"losskit conformance: {self.name}"
