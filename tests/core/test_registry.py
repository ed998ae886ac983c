"""Registry behaviour with in-process plugins: lookup, errors, clashes, provenance, threads."""

from __future__ import annotations

import threading
import types
import warnings

import pytest
import torch

from losskit import (
    AmbiguousLossError,
    InvalidParamError,
    PluginConflictWarning,
    PluginLoadError,
    PluginLoadWarning,
    Registry,
    SpecError,
    UnknownLossError,
    hookimpl,
)
from tests.core.registry_helpers import ScaledAbsLoss, plugin_module, spec


def test_lookup_is_case_and_dash_insensitive_and_follows_aliases(registry):
    registry.register(spec("scaled_abs", aliases=("s-abs",)))
    for name in ("scaled_abs", "Scaled-Abs", "SCALED_ABS", "s_abs", "S-ABS"):
        assert isinstance(registry.get_loss(name), ScaledAbsLoss)
    assert registry.list_losses() == ["scaled_abs"]


def test_params_are_validated_and_passed(registry):
    registry.register(spec())
    loss = registry.get_loss("scaled_abs", scale=3, reduction="sum")
    assert loss.scale == 3.0 and loss.reduction == "sum"
    out = loss(torch.tensor([1.0, -1.0]), torch.zeros(2))
    assert out.item() == pytest.approx(6.0)


def test_unknown_name_suggests_close_names(registry):
    registry.register(spec())
    with pytest.raises(UnknownLossError, match=r"no loss named 'scaled_ab'; did you mean 'scaled_abs'\?") as info:
        registry.get_loss("scaled_ab")
    assert "losskit list" in str(info.value)


def test_unknown_param_lists_valid_ones(registry):
    registry.register(spec())
    with pytest.raises(InvalidParamError, match=r"scale_: unknown parameter; did you mean 'scale'\? Valid parameters: scale, reduction"):
        registry.get_loss("scaled_abs", scale_=2)


def test_invalid_value_names_param_range_and_value(registry):
    registry.register(spec())
    with pytest.raises(InvalidParamError, match=r"scaled_abs: scale: must be > 0, got -1"):
        registry.get_loss("scaled_abs", scale=-1)
    with pytest.raises(InvalidParamError, match=r"reduction: must be one of 'mean', 'sum', 'none', got 'avg'"):
        registry.get_loss("scaled_abs", reduction="avg")


def test_direct_construction_validates_too():
    with pytest.raises(InvalidParamError, match="scale: must be > 0, got 0"):
        ScaledAbsLoss(scale=0)


def test_clash_keeps_both_reachable_and_bare_name_is_ambiguous(registry):
    registry.register_plugin(plugin_module(spec()), "first")
    with pytest.warns(PluginConflictWarning, match="'scaled_abs' is provided by plugins 'first' and 'second'"):
        registry.register_plugin(plugin_module(spec(source="other")), "second")
    with pytest.raises(AmbiguousLossError, match=r"'first:scaled_abs' or 'second:scaled_abs'"):
        registry.get_loss("scaled_abs")
    assert registry.get_spec("second:scaled_abs").source == "other"
    assert registry.get_loss("first:scaled_abs").to_config()["name"] == "first:scaled_abs"
    assert registry.list_losses() == ["first:scaled_abs", "second:scaled_abs"]
    assert registry.conflicts() == {"scaled_abs": ["first", "second"]}


def test_preference_settles_a_clash():
    registry = Registry(discover=False, builtins=False, strict=False, prefer={"scaled_abs": "second"})
    registry.register_plugin(plugin_module(spec()), "first")
    registry.register_plugin(plugin_module(spec(source="other")), "second")
    assert registry.get_spec("scaled_abs").source == "other"


def test_preference_from_environment(monkeypatch):
    monkeypatch.setenv("LOSSKIT_PREFER", "scaled_abs=first")
    registry = Registry(discover=False, builtins=False, strict=False)
    registry.register_plugin(plugin_module(spec()), "first")
    registry.register_plugin(plugin_module(spec(source="other")), "second")
    assert registry.get_spec("scaled_abs").source == "test fixture"


def test_plugin_whose_hook_raises_is_recorded_not_fatal(registry):
    class Exploding:
        @hookimpl
        def losskit_register_losses(self, register):
            raise RuntimeError("boom")

    registry.register_plugin(plugin_module(spec()), "good")
    with pytest.warns(PluginLoadWarning, match=r"plugin 'bad' failed to register its losses: RuntimeError: boom"):
        info = registry.register_plugin(Exploding(), "bad")
    assert info.status == "failed" and isinstance(info.error, RuntimeError)
    assert registry.get_loss("scaled_abs") is not None
    with pytest.raises(PluginLoadError, match="plugin 'bad' failed to load") as raised:
        registry.get_loss("bad:anything")
    assert isinstance(raised.value.__cause__, RuntimeError)
    with pytest.raises(UnknownLossError, match="failed to load and may provide it") as raised:
        registry.get_loss("not_there")
    assert isinstance(raised.value.__cause__, RuntimeError)


def test_strict_mode_raises():
    registry = Registry(discover=False, builtins=False, strict=True)
    with pytest.raises(PluginLoadError, match="failed to register its losses") as raised:
        registry.register_plugin(plugin_module("not a spec"), "bad")
    assert isinstance(raised.value.__cause__, SpecError)


def test_misspelled_hook_is_caught(registry):
    class Typo:
        @hookimpl
        def losskit_register_loss(self, register):
            raise AssertionError("never called")

    with pytest.warns(PluginLoadWarning, match="losskit_register_loss"):
        info = registry.register_plugin(Typo(), "typo")
    assert info.status == "failed"


def test_duplicate_name_within_one_plugin_fails_that_plugin(registry):
    with pytest.warns(PluginLoadWarning, match="registered twice"):
        info = registry.register_plugin(plugin_module(spec(), spec("other", aliases=("scaled_abs",))), "dup")
    assert info.status == "failed"
    with pytest.raises(UnknownLossError):
        registry.get_loss("scaled_abs")


def test_factory_must_return_a_loss(registry):
    registry.register(spec(factory=lambda **params: torch.nn.MSELoss(), params=ScaledAbsLoss.params))
    with pytest.raises(SpecError, match="expected a losskit.Loss subclass"):
        registry.get_loss("scaled_abs")


def test_spec_validation():
    with pytest.raises(SpecError, match="lower_snake_case"):
        spec("bad name!")
    with pytest.raises(SpecError, match="plugin API version 99"):
        spec(api_version=99)
    with pytest.raises(SpecError, match="unknown tags"):
        spec(tags={"fast"})


def test_describe_and_provenance(registry):
    registry.register_plugin(plugin_module(spec(aliases=("sabs",))), "fix", distribution="fix-losses", version="1.2")
    text = registry.describe("sabs")
    assert "scaled_abs — scaled absolute error" in text
    assert "scale = 1.0  (float > 0): multiplier" in text
    assert "'fix' (fix-losses 1.2)" in text
    [info] = registry.list_plugins()
    assert (info.name, info.distribution, info.version, info.status, info.losses) == (
        "fix", "fix-losses", "1.2", "active", ["scaled_abs"]
    )
    assert registry.fingerprint() == "fix-losses==1.2"


def test_list_by_family(registry):
    registry.register(spec(), spec("other", family="robust"))
    assert registry.list_losses(family="robust") == ["other"]
    assert registry.families() == ["fixture", "robust"]


def test_first_use_is_safe_from_many_threads(monkeypatch):
    registry = Registry(discover=True, builtins=False)
    calls = []
    original = Registry._load_entry_points

    def counting(self):
        calls.append(1)
        original(self)

    monkeypatch.setattr(Registry, "_load_entry_points", counting)
    barrier = threading.Barrier(8)
    errors = []

    def use():
        barrier.wait()
        try:
            registry.list_losses()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and calls == [1]


def test_reset_forgets_plugins(registry):
    registry.register(spec())
    registry.reset()
    with pytest.raises(UnknownLossError):
        registry.get_loss("scaled_abs")


# -- regressions found in review ---------------------------------------------------------------------------


def test_warnings_point_at_the_callers_line(registry):
    import sys

    registry.register_plugin(plugin_module(spec()), "first")
    with pytest.warns(PluginConflictWarning) as conflict:
        line = sys._getframe().f_lineno + 1
        registry.register_plugin(plugin_module(spec()), "second")
    with pytest.warns(PluginLoadWarning) as failure:
        line2 = sys._getframe().f_lineno + 1
        registry.register_plugin(plugin_module("not a spec"), "bad")
    assert (conflict[0].filename, conflict[0].lineno) == (__file__, line)
    assert (failure[0].filename, failure[0].lineno) == (__file__, line2)


def test_warnings_during_lazy_discovery_point_at_the_first_use(monkeypatch):
    import sys

    import losskit.registry

    broken = types.SimpleNamespace(name="broken", dist=None, load=lambda: plugin_module("not a spec"))

    class Installed:  # what importlib_metadata.entry_points() returns, as far as the registry reads it
        def select(self, group):
            return [broken] if group == "losskit.plugins" else []

    monkeypatch.setattr(losskit.registry.importlib_metadata, "entry_points", Installed)
    registry = Registry(builtins=False, strict=False)
    with pytest.warns(PluginLoadWarning) as caught:
        line = sys._getframe().f_lineno + 1
        registry.list_losses()
    assert (caught[0].filename, caught[0].lineno) == (__file__, line)


def test_a_strict_failure_at_first_use_leaves_the_registry_retryable(monkeypatch):
    attempts = []

    def fails_once(self):
        attempts.append(1)
        if len(attempts) == 1:
            raise PluginLoadError("the first discovery fails")
        self._add_plugin(plugin_module(spec()), "good", None, None)

    monkeypatch.setattr(Registry, "_load_entry_points", fails_once)
    registry = Registry(builtins=True, strict=True)
    with pytest.raises(PluginLoadError, match="the first discovery fails"):
        registry.list_losses()
    assert "scaled_abs" in registry.list_losses()  # not "plugin 'losskit' was refused: name already used"


def test_register_can_be_called_again_for_the_same_plugin(registry):
    registry.register(spec("first_loss"))
    registry.register(spec("second_loss"))
    assert registry.list_losses() == ["first_loss", "second_loss"]
    [info] = registry.list_plugins()
    assert info.status == "active" and info.losses == ["first_loss", "second_loss"]
    with pytest.raises(SpecError, match="'first_loss' is registered twice"):
        registry.register(spec("first_loss"))
    assert registry.list_losses() == ["first_loss", "second_loss"]


def test_provider_is_the_plugin_the_name_resolves_to(registry):
    shared = spec()
    registry.register_plugin(plugin_module(shared), "first")
    with pytest.warns(PluginConflictWarning):
        registry.register_plugin(plugin_module(shared), "second")
    assert registry.provider("second:scaled_abs").name == "second"
    assert "plugin: 'second'" in registry.describe("second:scaled_abs")


def test_a_qualified_name_stays_qualified_in_the_config(registry):
    from losskit import build_loss

    registry.register_plugin(plugin_module(spec(aliases=("sabs",))), "fix")
    assert registry.get_loss("Fix:SABS", scale=2).to_config() == {"name": "fix:scaled_abs", "scale": 2.0,
                                                                  "reduction": "mean"}
    assert registry.get_loss("sabs").to_config()["name"] == "scaled_abs"
    rebuilt = build_loss(registry.get_loss("fix:sabs").to_config(), registry=registry)
    assert rebuilt.config_name == "fix:scaled_abs"


def test_an_undecorated_hook_is_still_a_hook_and_a_misspelled_one_is_caught(registry):
    import types

    works = types.ModuleType("works")
    works.losskit_register_losses = lambda register: register(spec())
    assert registry.register_plugin(works, "works").losses == ["scaled_abs"]

    typo = types.ModuleType("typo")
    typo.losskit_register_loss = lambda register: register(spec("other"))
    with pytest.warns(PluginLoadWarning, match="losskit_register_loss"):
        assert registry.register_plugin(typo, "typo").status == "failed"


def test_describe_lists_context_keywords(registry):
    registry.register(spec())
    assert "  context keywords: weight\n" in registry.describe("scaled_abs") + "\n"


def test_unknown_family_suggests_the_close_one(registry):
    registry.register(spec(family="regression"))
    with pytest.raises(UnknownLossError, match=r"no loss family named 'regresion'; did you mean 'regression'\?"):
        registry.list_losses(family="regresion")


def test_a_preference_for_a_missing_plugin_warns():
    registry = Registry(discover=True, builtins=True, strict=False, prefer={"l2_penalty": "nobody"})
    with pytest.warns(PluginConflictWarning, match=r"asks for l2_penalty=nobody, but there is no active plugin named 'nobody'"):
        registry.list_losses()


def test_list_plugins_gives_copies(registry):
    registry.register(spec())
    registry.list_plugins()[0].losses.append("tampered")
    registry.list_plugins()[0].status = "failed"
    [info] = registry.list_plugins()
    assert info.losses == ["scaled_abs"] and info.status == "active"



class _OtherAbsLoss(ScaledAbsLoss):
    """The second plugin's loss of the same name: another class, so that a mix-up shows."""


def _clashing(registry):
    registry.register_plugin(plugin_module(spec()), "first")
    registry.register_plugin(plugin_module(spec(factory=_OtherAbsLoss, source="other")), "second")
    return registry


@pytest.mark.parametrize("preferred, cls", [("first", ScaledAbsLoss), ("second", _OtherAbsLoss)])
@pytest.mark.parametrize("how", ["argument", "environment"])
def test_a_preferred_and_a_qualified_name_round_trip_through_the_config(monkeypatch, how, preferred, cls):
    from losskit import build_loss

    if how == "environment":
        monkeypatch.setenv("LOSSKIT_PREFER", f"Scaled-Abs={preferred.upper()}")
        registry = Registry(discover=False, builtins=False, strict=False)
    else:
        registry = Registry(discover=False, builtins=False, strict=False, prefer={"scaled_abs": preferred})
    with warnings.catch_warnings():
        warnings.simplefilter("error", PluginConflictWarning)  # the preference settles the clash: no warning
        _clashing(registry)
    expected = registry.get_spec(f"{preferred}:scaled_abs")
    for name in ("scaled_abs", f"{preferred}:scaled_abs", f"{preferred.upper()}:Scaled-Abs"):
        loss = registry.get_loss(name, scale=2)
        assert type(loss) is cls and registry.get_spec(name) is expected
        cfg = loss.to_config()
        assert cfg == {"name": f"{preferred}:scaled_abs", "scale": 2.0, "reduction": "mean"}
        for rebuilt in (build_loss(cfg, registry=registry), registry.get_loss(**cfg)):
            assert type(rebuilt) is cls and registry.get_spec(rebuilt.config_name) is expected
            assert rebuilt.to_config() == cfg
    monkeypatch.delenv("LOSSKIT_PREFER", raising=False)
    with pytest.warns(PluginConflictWarning):  # elsewhere, without the preference, the config means the same loss
        elsewhere = _clashing(Registry(discover=False, builtins=False, strict=False))
    assert type(build_loss(cfg, registry=elsewhere)) is cls


def test_register_adds_to_its_plugin_in_place(registry):
    registry.register()  # an empty first call still makes the plugin, which later calls add to
    registry.register(spec("first_loss"))
    record = registry.provider("first_loss")
    registry.register(spec("second_loss", aliases=("second",)))
    assert registry.provider("second") is record and record.losses == ["first_loss", "second_loss"]
    with pytest.raises(SpecError, match="'second' is registered twice"):
        registry.register(spec("third_loss"), spec("fourth_loss", aliases=("second",)))
    with pytest.raises(SpecError, match="register\\(\\) takes a losskit.LossSpec, got str"):
        registry.register(spec("third_loss"), "not a spec")
    assert registry.list_losses() == ["first_loss", "second_loss"] and record.losses == ["first_loss", "second_loss"]
    with pytest.raises(UnknownLossError):
        registry.get_spec("third_loss")


def test_register_under_the_name_of_a_hooked_plugin_is_refused(registry):
    registry.register_plugin(plugin_module(spec()), "hooked")
    with pytest.warns(PluginLoadWarning, match="plugin 'hooked' was refused: SpecError: the plugin name is already used"):
        registry.register(spec("other"), plugin="hooked")
    assert registry.list_losses() == ["scaled_abs"]


def test_register_warns_once_per_new_clash(registry):
    registry.register_plugin(plugin_module(spec()), "hooked")
    with pytest.warns(PluginConflictWarning) as caught:
        registry.register(spec())
    assert len(caught) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error", PluginConflictWarning)
        registry.register(spec("other"))
    assert registry.conflicts() == {"scaled_abs": ["__main__", "hooked"]}
