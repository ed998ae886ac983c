"""Importing only the plugins a name needs (``losskit.losses`` entry points, :mod:`losskit._catalog`).

Entry points are faked here (``importlib_metadata.entry_points`` returns them), so that each test sees
exactly the plugins it sets up; tests/integration/test_lazy_discovery_installed.py runs the installed ones.
The rule every test comes back to: a name resolves lazily to what it resolves to with every plugin
imported (the same loss, the same config name, the same error).
"""

from __future__ import annotations

import threading
import types
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import losskit.registry
from losskit import AmbiguousLossError, PluginConflictWarning, PluginLoadError, PluginLoadWarning, Registry
from losskit._loading import provenance
from losskit.errors import LosskitError
from tests.core.registry_helpers import plugin_module, spec


class Installed:
    """Plugins as ``importlib_metadata.entry_points()`` would list them, with what each imported."""

    def __init__(self) -> None:
        self.plugins: list[types.SimpleNamespace] = []
        self.listed: list[types.SimpleNamespace] = []
        self.imported: list[str] = []

    def add(self, plugin: str, names: list[str], *, aliases: dict[str, tuple[str, ...]] | None = None,
            listed: list[str] | None = None) -> None:
        """Plugin ``plugin`` registering ``names`` (with ``aliases``) and listing ``listed`` (``None``: nothing)."""
        module = f"fake_{plugin}.plugin"
        specs = [spec(n, aliases=(aliases or {}).get(n, ())) for n in names]

        def load():
            self.imported.append(plugin)
            return plugin_module(*specs, name=module)

        self.plugins.append(types.SimpleNamespace(name=plugin, value=module, dist=None, load=load))
        self.listed += [types.SimpleNamespace(name=n, value=module, dist=None) for n in listed or ()]

    def select(self, group: str) -> list[types.SimpleNamespace]:
        return {"losskit.plugins": self.plugins, "losskit.losses": self.listed}[group]

    def __call__(self) -> Installed:
        return self


@pytest.fixture
def installed(monkeypatch) -> Installed:
    fake = Installed()
    monkeypatch.setattr(losskit.registry.importlib_metadata, "entry_points", fake)
    return fake


def fresh() -> Registry:
    return Registry(builtins=False, strict=False, prefer={})


def test_a_listed_name_imports_only_its_plugin(installed):
    installed.add("alpha", ["alpha_abs"], listed=["alpha_abs"])
    installed.add("beta", ["beta_abs"], listed=["beta_abs"])
    registry = fresh()
    assert registry.get_loss("alpha_abs").config_name == "alpha_abs"
    assert installed.imported == ["alpha"]
    registry.get_loss("Beta-Abs")  # the name as losskit normalises it
    assert installed.imported == ["alpha", "beta"]
    registry.list_losses()  # lists everything: nothing left to import, nothing imported twice
    assert installed.imported == ["alpha", "beta"]


def test_a_plugin_that_lists_nothing_is_imported_for_every_name(installed):
    installed.add("old", ["old_abs"])  # written before plugins listed their names
    installed.add("alpha", ["alpha_abs"], listed=["alpha_abs"])
    installed.add("beta", ["beta_abs"], listed=["beta_abs"])
    registry = fresh()
    registry.get_loss("alpha_abs")
    assert installed.imported == ["old", "alpha"]
    registry.get_loss("old_abs")
    assert installed.imported == ["old", "alpha"]


def test_torch_spelling_finds_the_listing(installed):
    installed.add("alpha", ["alpha_abs"], listed=["alpha_abs"])
    installed.add("beta", ["beta_abs"], listed=["beta_abs"])
    registry = fresh()
    assert registry.get_loss("AlphaAbsLoss").config_name == "alpha_abs"
    assert installed.imported == ["alpha"]


def test_a_name_two_plugins_list_is_ambiguous_as_with_every_plugin_imported(installed):
    installed.add("alpha", ["shared_abs"], listed=["shared_abs"])
    installed.add("beta", ["shared_abs"], listed=["shared_abs"])
    installed.add("gamma", ["gamma_abs"], listed=["gamma_abs"])
    registry = fresh()
    with pytest.warns(PluginConflictWarning, match="shared_abs"), pytest.raises(AmbiguousLossError):
        registry.get_loss("shared_abs")
    assert installed.imported == ["alpha", "beta"]
    assert registry.get_loss("beta:shared_abs").config_name == "beta:shared_abs"


def test_an_alias_listed_by_one_plugin_whose_name_another_also_has_gets_the_qualified_config_name(installed):
    installed.add("alpha", ["shared_abs"], aliases={"shared_abs": ("sa",)}, listed=["shared_abs", "sa"])
    installed.add("beta", ["shared_abs"], listed=["shared_abs"])
    registry = fresh()
    with pytest.warns(PluginConflictWarning):
        assert registry.get_loss("sa").config_name == "alpha:shared_abs"
    assert installed.imported == ["alpha", "beta"]


def test_an_unknown_name_imports_everything_and_suggests_from_all(installed):
    installed.add("alpha", ["alpha_abs"], listed=["alpha_abs"])
    installed.add("beta", ["beta_abs"], listed=["beta_abs"])
    with pytest.raises(LosskitError, match="did you mean 'beta_abs'"):
        fresh().get_loss("beta_ab")
    assert installed.imported == ["alpha", "beta"]


def test_a_listing_that_differs_from_what_the_plugin_registers_is_reported_with_the_table_to_write(installed):
    installed.add("alpha", ["alpha_abs", "alpha_sq"], listed=["alpha_abs", "alpha_old"])
    with pytest.warns(PluginLoadWarning, match="lists 'alpha_old', which it does not register and does not "
                                               "list 'alpha_sq', which it registers") as caught:
        fresh().get_loss("alpha_abs")
    assert '[project.entry-points."losskit.losses"]\nalpha_abs = "fake_alpha.plugin"\nalpha_sq = ' in str(
        caught[0].message)
    with pytest.raises(PluginLoadError, match="lists 'alpha_old'"):
        Registry(builtins=False, strict=True, prefer={}).get_loss("alpha_abs")


def test_preferences_and_qualified_names_import_everything(installed):
    installed.add("alpha", ["alpha_abs"], listed=["alpha_abs"])
    installed.add("beta", ["beta_abs"], listed=["beta_abs"])
    Registry(builtins=False, prefer={"beta_abs": "beta"}).get_loss("alpha_abs")
    assert installed.imported == ["alpha", "beta"]
    installed.imported.clear()
    fresh().get_loss("alpha:alpha_abs")
    assert installed.imported == ["alpha", "beta"]


@pytest.mark.filterwarnings("ignore::losskit.PluginConflictWarning")  # 'shared_abs', warned in the threads
def test_first_lookups_from_many_threads_import_each_plugin_once(installed):
    for i in range(6):
        installed.add(f"p{i}", [f"abs_{i}", "shared_abs"], listed=[f"abs_{i}", "shared_abs"])
    registry, barrier, answers = fresh(), threading.Barrier(12), []

    def look(i):
        barrier.wait()
        answers.append(registry.get_loss(f"abs_{i % 6}").config_name)

    threads = [threading.Thread(target=look, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(installed.imported) == [f"p{i}" for i in range(6)]
    assert sorted(answers) == sorted(f"abs_{i % 6}" for i in range(12))
    with pytest.warns(PluginConflictWarning), pytest.raises(AmbiguousLossError):
        fresh().get_loss("shared_abs")


# -- the rule, over generated plugin sets ----------------------------------------------------------------

POOL = ["abs_a", "abs_b", "abs_a_loss", "absa"]  # 'abs_a', 'abs_a_loss' and 'absa' share a loose form


def outcome(registry: Registry, name: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return registry.get_loss(name).config_name
        except LosskitError as error:
            return f"{type(error).__name__}: {error}"


plugin_sets = st.lists(
    st.tuples(st.lists(st.sampled_from(POOL), min_size=1, max_size=3, unique=True),
              st.sampled_from(["abs_alias", "zz", None]), st.booleans()),
    min_size=1, max_size=4,
)


@settings(max_examples=150, deadline=None)
@given(plugins=plugin_sets, name=st.sampled_from([*POOL, "abs_alias", "AbsALoss", "abs_c", "zz"]))
def test_a_name_resolves_lazily_as_with_every_plugin_imported(plugins, name):
    with pytest.MonkeyPatch.context() as patch:
        installed = Installed()
        patch.setattr(losskit.registry.importlib_metadata, "entry_points", installed)
        for i, (names, alias, lists) in enumerate(plugins):
            aliases = {names[0]: (alias,)} if alias and alias not in names else {}
            provided = [*names, *aliases.get(names[0], ())]
            installed.add(f"p{i}", names, aliases=aliases, listed=provided if lists else None)
        everything = fresh()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            everything.list_losses()
        assert outcome(fresh(), name) == outcome(everything, name)


# -- provenance without the email parser ---------------------------------------------------------------------


class Dist:
    def __init__(self, metadata: str | None) -> None:
        self.text, self.metadata, self.version = metadata, {"Name": "from-the-parser"}, "9.9"

    def read_text(self, filename: str) -> str | None:
        return self.text if filename == "METADATA" else None


@pytest.mark.parametrize(("text", "expected"), [
    ("Metadata-Version: 2.1\nName: fancy-losses\nVersion: 0.3\nSummary: x\n\nName: not-a-header\n",
     ("fancy-losses", "0.3")),
    ("Metadata-Version: 2.1\nName: fancy-losses\n\nVersion: 0.3\n", ("from-the-parser", "9.9")),  # no Version header
    (None, ("from-the-parser", "9.9")),
])
def test_provenance_reads_the_metadata_header_and_falls_back_to_the_parser(text, expected):
    assert provenance(Dist(text)) == expected
