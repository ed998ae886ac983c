"""build_loss from dicts, text, files and OmegaConf; errors with paths; round trips; the JSON Schema."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
import torch

from losskit import ConfigError, InvalidParamError, MultiTask, WeightedSum, build_loss, config_schema
from losskit.config import load_config
from tests.compose.compose_fixtures import ABS_MEAN, SQ_MEAN, X, Y

MIX = {"name": "sum", "terms": [{"name": "square", "scale": 2.0}, {"name": "absolute", "weight": 0.5}]}
MIX_VALUE = 2 * SQ_MEAN + 0.5 * ABS_MEAN

YAML = """
name: sum
terms:
  - {name: square, scale: 2.0}
  - name: absolute
    weight: 0.5
"""
JSON = json.dumps(MIX)
TOML = """
name = "sum"

[[terms]]
name = "square"
scale = 2.0

[[terms]]
name = "absolute"
weight = 0.5
"""


def value(loss) -> float:
    return loss(X, Y).item()


def test_from_a_dict(registry):
    loss = build_loss(MIX, registry=registry)
    assert isinstance(loss, WeightedSum) and loss.weights == (1.0, 0.5)
    assert value(loss) == pytest.approx(MIX_VALUE)


@pytest.mark.parametrize("text", [YAML, JSON, TOML], ids=["yaml", "json", "toml"])
def test_from_text_with_the_format_guessed(registry, text):
    assert value(build_loss(text, registry=registry)) == pytest.approx(MIX_VALUE)


@pytest.mark.parametrize(("text", "format"), [(YAML, "yaml"), (JSON, "json"), (TOML, "toml"), (JSON, "yaml")])
def test_from_text_with_the_format_given(registry, text, format):
    assert value(build_loss(text, registry=registry, format=format)) == pytest.approx(MIX_VALUE)


@pytest.mark.parametrize(("suffix", "text"), [(".yaml", YAML), (".yml", YAML), (".json", JSON), (".toml", TOML)])
def test_from_a_file(registry, tmp_path, suffix, text):
    path = tmp_path / f"loss{suffix}"
    path.write_text(text)
    assert value(build_loss(path, registry=registry)) == pytest.approx(MIX_VALUE)
    assert value(build_loss(str(path), registry=registry)) == pytest.approx(MIX_VALUE)


def test_from_a_file_without_a_known_suffix(registry, tmp_path):
    path = tmp_path / "loss.cfg"
    path.write_text(TOML)
    assert value(build_loss(path, registry=registry, format="toml")) == pytest.approx(MIX_VALUE)


def test_from_omegaconf_with_interpolation_resolved(registry):
    omegaconf = pytest.importorskip("omegaconf")
    cfg = omegaconf.OmegaConf.create(
        {"w": 0.5, "loss": {"name": "sum", "terms": [{"name": "square", "scale": 2.0},
                                                     {"name": "absolute", "weight": "${w}"}]}}
    )
    assert value(build_loss(cfg.loss, registry=registry)) == pytest.approx(MIX_VALUE)


def test_a_leaf_alone_and_a_weighted_root(registry):
    leaf = build_loss({"name": "SQ", "scale": 3}, registry=registry)
    assert type(leaf).__name__ == "SquareLoss" and leaf.scale == 3.0
    weighted = build_loss({"name": "square", "weight": 0.25}, registry=registry)
    assert isinstance(weighted, WeightedSum) and value(weighted) == pytest.approx(0.25 * SQ_MEAN)


def test_nested_sums_flatten_with_their_weights(registry):
    cfg = {"name": "sum", "terms": [{"name": "square"}, {"name": "sum", "weight": 2, "terms": [
        {"name": "absolute", "weight": 0.5}, {"name": "square"}]}]}
    loss = build_loss(cfg, registry=registry)
    assert loss.weights == (1.0, 1.0, 2.0) and loss.names == ("square", "absolute", "square_1")
    assert value(loss) == pytest.approx(3 * SQ_MEAN + ABS_MEAN)


def test_multitask_from_config(registry):
    cfg = {
        "name": "multitask",
        "weighting": "uncertainty",
        "tasks": {"depth": {"name": "square"}, "seg": {"name": "absolute", "weight": 3.0}},
        "task_types": {"depth": "regression", "seg": "classification"},
    }
    loss = build_loss(cfg, registry=registry)
    assert isinstance(loss, MultiTask) and loss.task_types == cfg["task_types"]
    total = loss({"depth": X, "seg": X}, {"depth": Y, "seg": Y})
    assert total.item() == pytest.approx(0.5 * SQ_MEAN + 3 * ABS_MEAN)
    assert build_loss(loss.to_config(), registry=registry).to_config() == loss.to_config()


def test_composite_configs_are_plain_json_and_round_trip(registry):
    loss = MultiTask(
        {"a": build_loss(MIX, registry=registry), "b": registry.get_loss("absolute")}, weights={"b": 0.0}
    ) + 1e-3 * registry.get_loss("squared_norm")
    config = loss.to_config()
    assert json.loads(json.dumps(config)) == config
    again = build_loss(config, registry=registry)
    assert again.to_config() == config
    model = torch.nn.Linear(2, 1, dtype=torch.float64)
    args = ({"a": X, "b": X}, {"a": Y, "b": Y})
    torch.testing.assert_close(again(*args, model=model), loss(*args, model=model))
    assert config == {
        "name": "sum",
        "terms": [
            {
                "name": "multitask",
                "tasks": {"a": MIX_CONFIG_FULL, "b": {"name": "absolute", "reduction": "mean"}},
                "weighting": "fixed",
                "weights": {"a": 1.0, "b": 0.0},
            },
            {"name": "squared_norm", "weight": 1e-3},
        ],
    }


MIX_CONFIG_FULL = {
    "name": "sum",
    "terms": [
        {"name": "square", "scale": 2.0, "reduction": "mean"},
        {"name": "absolute", "reduction": "mean", "weight": 0.5},
    ],
}


def test_the_registry_argument_is_used():
    with pytest.raises(ConfigError, match=r"^name: no loss named 'square'"):
        build_loss({"name": "square"}, registry=__import__("losskit").Registry(discover=False, builtins=False))


# -- errors ----------------------------------------------------------------------------------------------

ERRORS = [
    ({"name": "sum", "terms": [{"name": "square"}, {"name": "square", "scale": -1}]},
     r"^terms\[1\]\.scale: must be >= 0, got -1\.$"),
    ({"name": "sum", "terms": [{"name": "squre"}]},
     r"^terms\[0\]\.name: no loss named 'squre'; did you mean 'square'\?"),
    ({"name": "sum", "terms": [{"name": "square", "scal": 2}]},
     r"^terms\[0\]\.scal: unknown key; did you mean 'scale'\? A 'square' node takes: name, weight, scale, "
     r"reduction\.$"),
    ({"name": "sum", "terms": [{"name": "absolute", "wieght": 0.5}]},
     r"^terms\[0\]\.wieght: unknown key; did you mean 'weight'\? A 'absolute' node takes: name, weight, reduction"),
    ({"name": "square", 1: 2}, r"^1: unknown key\. A 'square' node takes: name, weight, scale, reduction\.$"),
    ({"name": "group_gap", "kind": "abss"}, r"^kind: must be one of 'abs', 'square', got 'abss'; did you mean 'abs'\?"),
    ({"name": "sum", "termz": []},
     r"^termz: unknown key; did you mean 'terms'\? A sum node takes: name, weight, terms\."),
    ({"name": "sum", "terms": []}, r"^terms: a sum needs a non-empty list of terms, got \[\]"),
    ({"name": "sum", "terms": {"name": "square"}}, r"^terms: a sum needs a non-empty list"),
    ({"name": "sum", "terms": ["square"]}, r"^terms\[0\]: expected a mapping with a 'name' key, got 'square'"),
    ({"name": "sum", "terms": [{"scale": 1}]}, r"^terms\[0\]: missing 'name' .*keys given: scale\."),
    ({"name": 3}, r"^name: must be a string, got 3\."),
    ({"name": "sum", "terms": [{"name": "square", "weight": "0.5"}]},
     r"^terms\[0\]\.weight: must be a finite real number, got '0\.5'\. YAML 1\.1 reads 1e-4 as a string"),
    ({"name": "sum", "terms": [{"name": "square", "weight": "x"}]},
     r"^terms\[0\]\.weight: must be a finite real number, got 'x'\.$"),
    ({"name": "square", "scale": "1e-4"}, r"^scale: must be float >= 0, got '1e-4' of type str\. YAML 1\.1 reads"),
    ({"name": "sum", "terms": [{"name": "square", "weight": float("inf")}]},
     r"^terms\[0\]\.weight: must be a finite number, got inf\.$"),
    ({"_target_": "torch.nn.MSELoss"}, r"^_target_: Hydra instantiation keys \(_target_\) are not supported: "
                                       r"a losskit config builds only registered losses by name and never imports"),
    ({"name": "sum", "terms": [{"name": "square", "_partial_": True}]}, r"^terms\[0\]\._partial_: Hydra"),
    ({"name": "torch.nn.MSELoss"}, r"^name: 'torch.nn.MSELoss' looks like an import path"),
    ({"name": "multitask", "tasks": {"depth": {"name": "sum", "terms": [{"name": "square", "scale": -2.0}]}}},
     r"^tasks\.depth\.terms\[0\]\.scale: must be >= 0, got -2\.0\.$"),
    ({"name": "multitask", "tasks": {"depth": {"name": "square"}}, "weights": {"dpeth": 2}},
     r"^weights\.dpeth: no such task; did you mean 'depth'\? Tasks: depth\.$"),
    ({"name": "multitask", "tasks": {"depth": {"name": "square"}}, "weighting": "uncertainty"},
     r"^task_types: weighting='uncertainty' needs the type of every task"),
    ({"name": "multitask", "task": {}}, r"^task: unknown key; did you mean 'tasks'\?"),
    ({"name": "multitask", "tasks": []}, r"^tasks: a multitask needs a non-empty mapping"),
    ([{"name": "square"}], r"^config: expected a mapping with a 'name' key"),
]


@pytest.mark.parametrize(("cfg", "message"), ERRORS, ids=[m[1:40] for _, m in ERRORS])
def test_errors_name_the_path(registry, cfg, message):
    with pytest.raises(ConfigError, match=message):
        build_loss(cfg, registry=registry)


def test_param_errors_are_chained_config_errors(registry):
    with pytest.raises(ConfigError) as info:
        build_loss({"name": "square", "scale": -1}, registry=registry)
    assert isinstance(info.value, ValueError) and isinstance(info.value.__cause__, InvalidParamError)


def test_parse_errors(registry, tmp_path):
    with pytest.raises(ConfigError, match=r"^config: no such config file: '.*missing\.yaml'"):
        build_loss(str(tmp_path / "missing.yaml"), registry=registry)
    with pytest.raises(ConfigError, match=r"^config: the config text is not valid JSON"):
        build_loss('{"name": "square",}', registry=registry)
    with pytest.raises(ConfigError, match=r"^config: the config text is neither a YAML mapping nor valid TOML"):
        build_loss("name: [unclosed", registry=registry)
    with pytest.raises(ConfigError, match=r"^config: format must be"):
        build_loss(YAML, registry=registry, format="ini")


def test_yaml_is_read_with_safe_load_only(registry):
    evil = "name: !!python/object/apply:os.system ['echo pwned']\n"
    with pytest.raises(ConfigError, match="not valid YAML"):
        build_loss(evil, registry=registry, format="yaml")
    with pytest.raises(ConfigError):
        build_loss(evil, registry=registry)


def test_build_loss_does_not_mutate_the_config(registry):
    cfg = {
        "name": "sum",
        "weight": 2,
        "terms": [
            {"name": "square", "scale": 2, "weight": 0.5},
            {"name": "multitask", "tasks": {"a": {"name": "sum", "terms": [{"name": "absolute"}]}, "b": MIX},
             "weights": {"a": 3}},
        ],
    }
    before = copy.deepcopy(cfg)
    loss = build_loss(cfg, registry=registry)
    assert cfg == before
    config = loss.to_config()
    config["terms"][0]["scale"] = 99.0  # the written config is the caller's to change: the loss keeps its own
    assert loss.to_config()["terms"][0]["scale"] == 2.0


def test_load_config_does_not_mutate_or_build(tmp_path):
    original = {"name": "sum", "terms": [{"name": "anything"}]}
    assert load_config(original) == original and load_config(original) is not original


# -- round trip over every registered loss ------------------------------------------------------------------


def _installed():
    from losskit import Registry

    return Registry().specs()


INSTALLED = _installed()


@pytest.mark.parametrize(("qualified", "spec"), INSTALLED, ids=[name for name, _ in INSTALLED])
def test_every_registered_loss_and_its_composites_round_trip(qualified, spec):
    from losskit import Registry

    registry = Registry()
    loss = registry.get_loss(qualified, **spec.example_params)
    example = spec.example(torch.Generator().manual_seed(0), dtype=torch.float64, device="cpu", batch_size=4)
    scalar = loss.hparams.get("reduction", "mean") != "none"
    composites = [loss, 0.5 * loss + 2 * loss]
    if scalar:
        composites.append(MultiTask({"t": loss}, weighting="uncertainty", task_types={"t": "regression"}))
    for original in composites:
        config = original.to_config()
        assert json.loads(json.dumps(config)) == config
        rebuilt = build_loss(config, registry=registry)
        assert rebuilt.to_config() == config
        args = (example.input, example.target)
        if isinstance(original, MultiTask):
            args = ({"t": example.input}, {"t": example.target})
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            expected = original(*args, **example.context)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            got = rebuilt(*args, **example.context)
        torch.testing.assert_close(got, expected, rtol=0, atol=0, equal_nan=True)


# -- JSON Schema ------------------------------------------------------------------------------------------


def validator(registry):
    schema = config_schema(registry)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


GOOD = [
    MIX,
    MIX_CONFIG_FULL,
    {"name": "sq", "weight": -2.5},
    {"name": "group_gap", "kind": "square"},
    {"name": "multitask", "tasks": {"a": MIX, "b": {"name": "absolute"}}, "weights": {"a": 2}},
    {"name": "multitask", "weighting": "uncertainty", "tasks": {"a": {"name": "square"}},
     "task_types": {"a": "classification"}},
]
BAD = [
    {"name": "square", "scale": -1},
    {"name": "square", "scal": 1},
    {"name": "square", "reduction": "avg"},
    {"name": "squre"},
    {"name": "sum"},
    {"name": "sum", "terms": []},
    {"name": "sum", "terms": [{"name": "square", "scale": "2"}]},
    {"name": "sum", "terms": [{"_target_": "torch.nn.MSELoss"}]},
    {"name": "multitask", "tasks": {"a": {"name": "square"}}, "task_types": {"a": "segmentation"}},
    {"name": "multitask", "tasks": {"a": {"name": "square", "weight": "x"}}},
]


@pytest.mark.parametrize("cfg", GOOD)
def test_good_configs_validate_and_build(registry, cfg):
    validator(registry).validate(cfg)
    build_loss(cfg, registry=registry)


@pytest.mark.parametrize("cfg", BAD)
def test_bad_configs_fail_validation_and_building(registry, cfg):
    assert list(validator(registry).iter_errors(cfg))
    with pytest.raises(ConfigError):
        build_loss(cfg, registry=registry)


def test_leaf_schemas_carry_types_ranges_defaults_and_choices(registry):
    defs = config_schema(registry)["$defs"]
    square = defs["loss:fixtures:square"]
    assert square["properties"]["name"] == {"enum": ["fixtures:square", "square", "sq"]}
    assert square["properties"]["scale"] == {
        "description": "multiplier", "default": 1.0, "type": "number", "minimum": 0.0
    }
    assert square["properties"]["reduction"]["enum"] == ["mean", "sum", "none"]
    assert square["properties"]["reduction"]["default"] == "mean"
    assert square["additionalProperties"] is False


def test_schema_of_every_installed_loss_accepts_its_own_config():
    from losskit import Registry

    registry = Registry()
    check = validator(registry)
    for qualified, _ in registry.specs():
        try:
            loss = registry.get_loss(qualified)
        except InvalidParamError:
            continue
        check.validate(loss.to_config())
        check.validate((0.5 * loss + loss).to_config())
    json.dumps(config_schema(registry))


def test_schema_from_a_file_validates_a_yaml_config(registry, tmp_path):
    yaml = pytest.importorskip("yaml")
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(config_schema(registry)))
    jsonschema.validate(yaml.safe_load(YAML), json.loads(Path(path).read_text()))
