"""Term names chosen by the user: ``WeightedSum(..., names=...)``, kept in ``to_config`` as ``label``, rebuilt by the loader."""

from __future__ import annotations

import json

import pytest
import torch

from losskit import ConfigError, InvalidParamError, MultiTask, WeightedSum, build_loss, config_schema

X, Y = torch.randn(6, 2), torch.randn(6, 2)


def test_names_are_the_breakdown_keys_and_other_terms_keep_unique_registry_names(square, absolute):
    loss = WeightedSum([square, absolute, square, square], [1.0, 0.5, 2.0, 1.0], names=["recon", None, "square", None])
    assert loss.names == ("recon", "absolute", "square", "square_1")  # the default steps around the name given
    total, parts = loss.breakdown(X, Y)
    assert list(parts) == list(loss.names)
    assert torch.allclose(total, parts["recon"] + 0.5 * parts["absolute"] + 3 * parts["square"])


def test_names_survive_flattening_and_weighting(square, absolute):
    named = WeightedSum([square, absolute], names=["fit", "robust"])
    loss = 0.5 * named + square
    assert loss.names == ("fit", "robust", "square") and loss.weights == (0.5, 0.5, 1.0)


def test_to_config_keeps_the_names_as_labels_and_the_loader_rebuilds_them(registry, square, absolute):
    loss = WeightedSum([square, absolute, square], [1.0, 0.25, 1.0], names=["recon", None, "sparsity"])
    config = loss.to_config()
    assert config == {"name": "sum", "terms": [
        {"name": "square", "scale": 1.0, "reduction": "mean", "label": "recon"},
        {"name": "absolute", "reduction": "mean", "weight": 0.25},
        {"name": "square", "scale": 1.0, "reduction": "mean", "label": "sparsity"},
    ]}
    again = build_loss(json.loads(json.dumps(config)), registry=registry)
    assert again.names == loss.names and again.to_config() == config
    assert torch.equal(again(X, Y), loss(X, Y))


def test_a_label_in_yaml(registry):
    loss = build_loss(
        "name: sum\nterms:\n  - {name: square, label: main}\n  - {name: absolute, label: aux, weight: 0.1}\n",
        registry=registry,
    )
    assert loss.names == ("main", "aux")


def test_a_multitask_term_of_a_sum_takes_a_label(registry, square, absolute):
    loss = WeightedSum([MultiTask({"a": square, "b": absolute}), MultiTask({"a": absolute, "b": square})], names=["both", None])
    parts = loss.breakdown({"a": X, "b": X}, {"a": Y, "b": Y})[1]
    assert set(parts) == {"both", "both/a", "both/b", "multitask", "multitask/a", "multitask/b"}
    assert build_loss(loss.to_config(), registry=registry).names == ("both", "multitask")


@pytest.mark.parametrize(
    ("names", "match"),
    [
        (["a", "a"], "the name 'a' is given to two terms"),
        (["a"], "needs one name"),
        (["x/y", None], "without '/'"),
        (["", None], "non-empty string"),
        ([3, None], "got 3"),
        (["n" * 65, None], "at most 64 characters"),
    ],
)
def test_bad_names(square, absolute, names, match):
    with pytest.raises(InvalidParamError, match=match):
        WeightedSum([square, absolute], names=names)


def test_a_sum_among_the_terms_takes_no_name(square, absolute):
    with pytest.raises(InvalidParamError, match="is a sum, which is flattened into this one: name its terms"):
        WeightedSum([square + absolute, square], names=["both", None])
    with pytest.raises(InvalidParamError, match="the name 'a' is given to two terms"):  # found after flattening
        WeightedSum([WeightedSum([square], names=["a"]), absolute], names=[None, "a"])


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ({"name": "square", "label": "x"}, r"^label: a label names a term of a sum"),
        ({"name": "multitask", "tasks": {"t": {"name": "square", "label": "x"}}}, r"^tasks\.t\.label: a label names"),
        ({"name": "sum", "terms": [{"name": "square", "label": "a"}, {"name": "absolute", "label": "a"}]},
         r"^terms\[1\]\.label: 'a' labels terms\[0\] already"),
        ({"name": "sum", "terms": [{"name": "sum", "label": "g", "terms": [{"name": "square"}]}]},
         r"^terms\[0\]\.label: this term is a sum, which is flattened"),
        ({"name": "sum", "terms": [{"name": "square", "label": 7}]}, r"^terms\[0\]\.label: a term name must be"),
        ({"name": "sum", "terms": [{"name": "square", "label": "a/b"}]}, r"^terms\[0\]\.label: .* without '/'"),
        ({"name": "sum", "terms": [{"name": "sum", "terms": [{"name": "square", "label": "a"}]},
                                   {"name": "absolute", "label": "a"}]},
         r"^terms: the name 'a' is given to two terms"),
    ],
)
def test_label_errors_name_their_path(registry, config, match):
    with pytest.raises(ConfigError, match=match):
        build_loss(config, registry=registry)


def test_the_schema_allows_a_label_on_leaves_and_multitasks(registry):
    defs = config_schema(registry)["$defs"]
    label = defs["loss:fixtures:square"]["properties"]["label"]
    assert label["type"] == "string" and label["maxLength"] == 64
    assert defs["multitask"]["properties"]["label"] == label
    assert "label" not in defs["sum"]["properties"]  # a sum in a sum is flattened: it has no name of its own
