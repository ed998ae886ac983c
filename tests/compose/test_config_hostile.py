"""Hostile configs: every one is a ConfigError naming where, quickly and in few words; none crashes or hangs.

Each class of hostile input (numbers beyond range, nesting, self-reference, undecodable files,
OmegaConf interpolation, duplicate keys, alias bombs, odd keys) is generated over the keys and
parameters it applies to, rather than listed once. The loss-specific classes (infinite
hyper-parameters, int64) run over every installed loss.
"""

from __future__ import annotations

import json
import math
import time
import warnings

import pytest
import torch

from losskit import ConfigError, Registry, WeightedSum, build_loss
from losskit.compose import unique_names
from losskit.config import MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES
from losskit.errors import excerpt

#: The longest message a hostile config may get (bounded excerpts, never the whole value).
MAX_MESSAGE = 2_000


def config_error(build, *args, **kwargs) -> str:
    """The message of the ConfigError that ``build(*args)`` raises; it starts with a non-empty path."""
    with pytest.raises(ConfigError) as info:
        build(*args, **kwargs)
    message = str(info.value)
    path, sep, _ = message.partition(": ")
    assert sep and path.strip(), f"no path in {message!r}"
    assert len(message) <= MAX_MESSAGE, f"{len(message)} characters: {message[:200]}..."
    return message


def nest(leaf, depth, kind="sum"):
    node = leaf
    for _ in range(depth):
        node = {"name": "sum", "terms": [node]} if kind == "sum" else {"name": "multitask", "tasks": {"t": node}}
    return node


def deep_list(depth):
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


def alias_bomb(levels=8, width=9):
    """A YAML value of a few hundred bytes that expands to width**levels items."""
    inner = "[" + ", ".join(["x"] * width) + "]"
    text = f"&a0 {inner}"
    for i in range(1, levels):
        text = f"&a{i} [{text}, " + ", ".join([f"*a{i - 1}"] * (width - 1)) + "]"
    return text


@pytest.fixture(scope="module")
def installed() -> Registry:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        registry = Registry()
        registry.specs()
    return registry


# -- numbers beyond range -----------------------------------------------------------------------------------


HUGE = [10**400, -(10**400), 10**5000]


@pytest.mark.parametrize("huge", HUGE, ids=["1e400", "-1e400", "1e5000"])
@pytest.mark.parametrize(
    ("cfg", "path"),
    [
        (lambda h: {"name": "square", "weight": h}, "weight"),
        (lambda h: {"name": "square", "scale": h}, "scale"),
        (lambda h: {"name": "sum", "terms": [{"name": "absolute", "weight": h}]}, r"terms\[0\]\.weight"),
        (lambda h: {"name": "multitask", "tasks": {"a": {"name": "square"}}, "weights": {"a": h}}, r"weights\.a"),
    ],
    ids=["weight", "float-param", "term-weight", "task-weight"],
)
def test_integers_beyond_float_range(registry, cfg, path, huge):
    message = config_error(build_loss, cfg(huge), registry=registry)
    assert message.startswith(path.replace("\\", "")) or __import__("re").match(path, message)
    assert "digits" in message or "finite" in message


@pytest.mark.parametrize("huge", HUGE, ids=["1e400", "-1e400", "1e5000"])
def test_integers_beyond_float_range_in_sequence_params(installed, huge):
    sequences = [(n, p.name) for n, s in installed.specs() for p in s.params if p.type is tuple]
    if not sequences:
        pytest.skip("no installed loss has a sequence parameter")
    for name, param in sequences:
        message = config_error(build_loss, {"name": name, param: [1.0, huge]}, registry=installed)
        assert message.startswith(f"{param}: ") and "too large for a float" in message, message


def test_int_params_refuse_integers_beyond_int64(installed):
    ints = [(n, s, p) for n, s in installed.specs() for p in s.params if p.type is int]
    if not ints:
        pytest.skip("no installed loss has an int parameter")
    for name, spec, param in ints:
        for value in (2**63, -(2**63) - 1, 10**400):
            cfg = {"name": name, **spec.example_params, param.name: value}
            message = config_error(build_loss, cfg, registry=installed)
            assert message.startswith(f"{param.name}: ") and "int64" in message, message


def test_int64_itself_is_in_range():
    from losskit import Param

    p = Param("k", 0, "", type=int)
    assert p.validate(2**63 - 1, owner="x") == 2**63 - 1 and p.validate(-(2**63), owner="x") == -(2**63)


# -- infinite hyper-parameters ----------------------------------------------------------------------------


#: Parameters known to accept inf and give a non-finite loss (none today; an entry is a strict xfail).
INF_KNOWN: set[tuple[str, str]] = set()


def _inf_cases():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        specs = Registry().specs()
    for qualified, spec in specs:
        for p in spec.params:
            if p.type is float or (p.type is tuple and p.scalar):
                known = (spec.name, p.name) in INF_KNOWN
                mark = pytest.mark.xfail(strict=True, reason="reported: declare it finite") if known else ()
                yield pytest.param(qualified, spec, p, id=f"{qualified}.{p.name}", marks=mark)


@pytest.mark.parametrize(("qualified", "spec", "param"), list(_inf_cases()))
def test_an_infinite_hyper_parameter_is_refused_or_gives_a_finite_loss(installed, qualified, spec, param):
    """gamma, scale, temperature, margin, ... : ``inf`` is refused at the path, unless the loss stays finite."""
    for value in (math.inf, -math.inf):
        cfg = {"name": qualified, **spec.example_params, param.name: value}
        try:
            loss = build_loss(cfg, registry=installed)
        except ConfigError as exc:
            assert str(exc).startswith(f"{param.name}: "), exc
            continue
        example = spec.example(torch.Generator().manual_seed(0), dtype=torch.float64, device="cpu", batch_size=4)
        try:
            value_out = loss(example.input, example.target, **example.context)
        except (ValueError, TypeError):  # the inputs are refused with a clear error: not a silent inf
            continue
        assert torch.isfinite(value_out).all(), f"{qualified} built with {param.name}={value} gives {value_out}"


@pytest.mark.parametrize(
    ("name", "param"),
    [("focal", "gamma"), ("arcface", "scale"), ("cosface", "scale"), ("nt_xent", "temperature"),
     ("supcon", "temperature"), ("triplet", "margin"), ("contrastive", "margin"), ("hinge", "margin")],
)
def test_the_issue_s_infinite_parameters_are_declared_finite(installed, name, param):
    try:
        spec = installed.get_spec(name)
    except LookupError:
        pytest.skip(f"{name} is not installed")
    assert next(p for p in spec.params if p.name == param).finite


# -- nesting and self-reference ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sum", "multitask"])
def test_nesting_up_to_the_limit_builds_and_beyond_it_is_an_error(registry, kind):
    leaf = {"name": "square"}
    assert build_loss(nest(leaf, MAX_DEPTH, kind), registry=registry) is not None
    for depth in (MAX_DEPTH + 1, 400, 5_000):  # ~330 used to overflow Python's stack
        message = config_error(build_loss, nest(leaf, depth, kind), registry=registry)
        assert f"more than {MAX_DEPTH} levels" in message


@pytest.mark.parametrize(
    "make",
    [
        lambda: (lambda d: (d.__setitem__("terms", [d]), d)[1])({"name": "sum"}),
        lambda: (lambda d: (d["terms"].append(d), d)[1])({"name": "sum", "terms": [{"name": "square"}]}),
        lambda: (lambda d: (d["tasks"].__setitem__("b", d), d)[1])(
            {"name": "multitask", "tasks": {"a": {"name": "sq"}}}
        ),
    ],
    ids=["sum-in-itself", "term-after-a-leaf", "task"],
)
def test_a_self_referencing_config_is_an_error(registry, make):
    assert "contains itself" in config_error(build_loss, make(), registry=registry)


def test_a_shared_node_builds_each_time_it_is_used(registry):
    shared = {"name": "square", "scale": 2.0}
    loss = build_loss({"name": "sum", "terms": [shared, shared]}, registry=registry)
    assert isinstance(loss, WeightedSum) and loss.names == ("square", "square_1")


@pytest.mark.parametrize("depth", [1_000, 20_000])
@pytest.mark.parametrize(
    "cfg",
    [
        lambda v: {"name": "square", "scale": v},
        lambda v: {"name": "sum", "terms": [v]},
        lambda v: {"name": "sum", "terms": v},
        lambda v: {"name": v},
        lambda v: {"name": "multitask", "tasks": v},
        lambda v: {"name": "square", "weight": v},
    ],
    ids=["param", "term", "terms", "name", "tasks", "weight"],
)
def test_deep_values_are_quoted_as_excerpts(registry, cfg, depth):
    message = config_error(build_loss, cfg(deep_list(depth)), registry=registry)
    assert "[[[[...]]]]" in message


@pytest.mark.parametrize("text", ["[" * 5_000 + "]" * 5_000, '{"name": ' + "[" * 5_000 + "]" * 5_000 + "}"])
@pytest.mark.parametrize("format", ["json", "yaml", None])
def test_deeply_nested_text(registry, text, format):
    config_error(build_loss, text, registry=registry, format=format)


# -- files and OmegaConf ----------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"name: square\nweight: \xff\xfe\n", b"\x80abc", "name: é".encode("latin-1")])
def test_a_file_that_is_not_utf8(registry, tmp_path, data):
    path = tmp_path / "loss.yaml"
    path.write_bytes(data)
    assert "is not UTF-8 text" in config_error(build_loss, path, registry=registry)


def test_a_utf8_file_with_a_bom_builds(registry, tmp_path):
    for suffix, text in ((".yaml", "name: square\n"), (".json", '{"name": "square"}'), (".toml", 'name = "square"\n')):
        path = tmp_path / f"loss{suffix}"
        path.write_bytes(b"\xef\xbb\xbf" + text.encode())
        assert build_loss(path, registry=registry).config_name == "square"


def test_files_that_cannot_be_read(registry, tmp_path):
    assert "File name too long" in config_error(build_loss, "x" * 5_000 + ".yaml", registry=registry)
    assert "no such config file" in config_error(build_loss, tmp_path / "missing.json", registry=registry)
    (tmp_path / "dir.yaml").mkdir()
    config_error(build_loss, tmp_path / "dir.yaml", registry=registry)
    big = tmp_path / "big.yaml"
    with big.open("wb") as f:  # sparse: costs no disk
        f.truncate(MAX_FILE_BYTES + 1)
    assert f"at most {MAX_FILE_BYTES}" in config_error(build_loss, big, registry=registry)


@pytest.mark.parametrize(
    ("value", "problem"),
    [("${nope}", "InterpolationKeyError"), ("${.weight}", "Recursive interpolation"), ("???", "Missing mandatory"),
     ("${oc.env:LOSSKIT_SURELY_UNSET_VARIABLE}", "LOSSKIT_SURELY_UNSET_VARIABLE")],
)
@pytest.mark.parametrize("where", ["root", "term", "sub-node"])
def test_omegaconf_interpolation_errors_name_the_key(registry, value, problem, where):
    omegaconf = pytest.importorskip("omegaconf")
    create = omegaconf.OmegaConf.create
    if where == "root":
        cfg, path = create({"name": "square", "weight": value}), "weight"
    elif where == "term":
        cfg, path = create({"name": "sum", "terms": [{"name": "square", "weight": value}]}), "terms[0].weight"
    else:  # a node inside a larger config: paths are relative to the node passed
        cfg, path = create({"model": {}, "loss": {"name": "square", "weight": value}}).loss, "weight"
    message = config_error(build_loss, cfg, registry=registry)
    assert message.startswith(f"{path}: cannot resolve the OmegaConf config") and problem in message, message


# -- duplicate keys, booleans for mappings --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "format", "line"),
    [
        ('{"name": "square", "name": "absolute"}', "json", None),
        ('{"name": "sum", "terms": [{"name": "square", "scale": 1, "scale": 2}]}', "json", None),
        ("name: square\nname: absolute\n", "yaml", 2),
        ("name: sum\nterms:\n  - name: square\n    scale: 1\n    scale: 2\n", "yaml", 5),
        ("name: sum\nterms:\n  - {name: square, weight: 1, weight: 2}\n", "yaml", 3),
        ('name = "square"\nname = "absolute"\n', "toml", None),
    ],
)
@pytest.mark.parametrize("given", [True, False], ids=["format-given", "format-guessed"])
def test_a_key_given_twice_is_refused(registry, text, format, line, given):
    message = config_error(build_loss, text, registry=registry, format=format if given else None)
    if format != "toml":
        assert "appears twice" in message
    if line is not None:
        assert f"line {line}," in message


def test_yaml_merge_keys_still_merge(registry):
    text = "base: &base {name: square, scale: 2.0}\nname: sum\nterms:\n  - {<<: *base, scale: 3.0}\n"
    cfg = {k: v for k, v in __import__("yaml").load(text, Loader=__import__("yaml").SafeLoader).items() if k != "base"}
    assert build_loss(cfg, registry=registry).terms[0].scale == 3.0
    one = "name: sum\nterms:\n  - &t {name: square, scale: 2.0}\n  - {<<: *t, scale: 3.0}\n"
    assert [t.scale for t in build_loss(one, registry=registry).terms] == [2.0, 3.0]


@pytest.mark.parametrize("option", ["weights", "task_types"])
@pytest.mark.parametrize("value", [False, True, None, 0, [], "a", ["a"]])
def test_a_multitask_mapping_given_as_something_else(registry, option, value):
    cfg = {"name": "multitask", "tasks": {"a": {"name": "square"}}, option: value}
    if option == "task_types":
        cfg["weighting"] = "uncertainty"
    assert config_error(build_loss, cfg, registry=registry).startswith(f"{option}: must be a mapping")


# -- alias bombs and sizes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "template",
    ["name: square\nreduction: {bomb}\n", "name: square\nscale: {bomb}\n", "name: square\nweight: {bomb}\n",
     "name: sum\nterms: {bomb}\n", "name: multitask\ntasks: {bomb}\n", "name: {bomb}\n",
     "name: square\nscal: {bomb}\n", "{bomb}\n", "name: multitask\ntasks: {{a: {{name: square}}}}\nweights: {bomb}\n"],
)
def test_a_yaml_alias_bomb_is_refused_quickly(registry, template):
    text = template.format(bomb=alias_bomb())
    assert len(text) < 500
    start = time.perf_counter()
    config_error(build_loss, text, registry=registry)
    assert time.perf_counter() - start < 2.0


def sum_bomb(levels, width=9):
    """YAML whose sum k repeats sum k-1 ``width`` times through an alias: width**levels terms if expanded."""
    first = ", ".join(["{name: square}"] * width)
    lines = ["name: sum", "terms:", f"  - &s0 {{name: sum, terms: [{first}]}}"]
    for i in range(1, levels):
        lines.append(f"  - &s{i} {{name: sum, terms: [{', '.join([f'*s{i - 1}'] * width)}]}}")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_of_sums_hits_the_node_limit(registry):
    small = build_loss(sum_bomb(2), registry=registry)  # 9 + 81 terms through aliases: fine
    assert len(small.terms) == 90
    text = sum_bomb(8)
    assert len(text) < 1_000
    start = time.perf_counter()
    assert f"more than {MAX_NODES} loss nodes" in config_error(build_loss, text, registry=registry)
    node = {"name": "square"}
    for _ in range(8):
        node = {"name": "sum", "terms": [node] * 9}  # the same, as a dict with shared nodes
    assert f"more than {MAX_NODES} loss nodes" in config_error(build_loss, node, registry=registry)
    assert time.perf_counter() - start < 2.0  # counted before anything is built


def test_many_terms_of_one_name_build_in_linear_time(registry):
    start = time.perf_counter()
    loss = build_loss({"name": "sum", "terms": [{"name": "square"}] * 4_000}, registry=registry)
    assert time.perf_counter() - start < 10.0  # was 90 s: unique names were found in cubic time
    assert loss.names[:3] == ("square", "square_1", "square_2") and loss.names[-1] == "square_3999"
    start = time.perf_counter()
    names = unique_names(["a", "a_1"] * 50_000)
    assert time.perf_counter() - start < 2.0 and len(set(names)) == 100_000


# -- every error names where it is -------------------------------------------------------------------------


ODD_KEYS = ["", " ", "a.b", "[0]", "x" * 10_000, None, True, 1.5, (1, 2), 10**5000, -1, "é"]


@pytest.mark.parametrize("key", ODD_KEYS, ids=lambda k: excerpt(k, 20))
@pytest.mark.parametrize(
    "cfg",
    [
        lambda k: {"name": "square", k: 1},
        lambda k: {"name": "sum", "terms": [{"name": "square"}], k: 1},
        lambda k: {"name": "sum", "terms": [{"name": "square", k: 1}]},
        lambda k: {"name": "multitask", "tasks": {k: {"name": "square"}}},
        lambda k: {"name": "multitask", "tasks": {"a": {"name": "square"}}, "weights": {k: 1.0}},
        lambda k: {"name": "multitask", "tasks": {"a": {"name": "sq"}}, "weighting": "uncertainty",
                   "task_types": {k: "regression", "a": "regression"}},
        lambda k: {k: "square"},
    ],
    ids=["leaf", "sum", "term", "task", "task-weight", "task-type", "no-name"],
)
def test_odd_keys_get_a_path(registry, cfg, key):
    """A task may be named ' ' or 'é' (it builds); anything refused says where."""
    try:
        build_loss(cfg(key), registry=registry)
    except ConfigError as exc:
        message = str(exc)
        assert message.partition(": ")[0].strip() and len(message) <= MAX_MESSAGE, message[:300]


@pytest.mark.parametrize("name", ["x" * 100_000, "", " ", "sum ", "é", "a:b:c", ":", "fixtures:", "SQUARE"])
def test_odd_names(registry, name):
    try:
        build_loss({"name": name}, registry=registry)
    except ConfigError as exc:
        message = str(exc)
        assert message.partition(": ")[0] and len(message) <= MAX_MESSAGE, message[:300]


def test_the_old_messages_are_unchanged(registry):
    assert config_error(build_loss, {"name": "square", 1: 2}, registry=registry).startswith("1: unknown key.")
    cfg = {"name": "sum", "terms": [{"name": "square", "weight": "0.5"}]}
    assert "YAML 1.1 reads 1e-4" in config_error(build_loss, cfg, registry=registry)


# -- allocation --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["arcface", "cosface"])
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"num_classes": 10**30, "embedding_dim": 4}, "num_classes: must be int >= 1 and fit in int64"),
        ({"num_classes": 3, "embedding_dim": 10**30}, "embedding_dim: must be int >= 1 and fit in int64"),
        ({"num_classes": 3, "embedding_dim": 4, "init_seed": 2**64}, "init_seed: must be int >= 0 or None and fit"),
        ({"num_classes": 10**9, "embedding_dim": 10**6}, "cannot be built with these parameters on this machine"),
        ({"num_classes": 2**40, "embedding_dim": 2**40}, "cannot be built with these parameters on this machine"),
    ],
    ids=["classes", "dim", "seed", "petabytes", "numel-overflow"],
)
def test_margin_heads_too_large_to_build(installed, name, params, expected):
    try:
        installed.get_spec(name)
    except LookupError:
        pytest.skip(f"{name} is not installed")
    assert expected in config_error(build_loss, {"name": name, **params}, registry=installed)


def test_weights_whose_product_overflows(registry):
    cfg = {"name": "sum", "weight": 1e300, "terms": [{"name": "sum", "weight": 1e300, "terms": [{"name": "square"}]}]}
    assert "multiply to inf" in config_error(build_loss, cfg, registry=registry)
    cfg = {"name": "sum", "terms": [{"name": "sum", "weight": 1e300, "terms": [{"name": "sq", "weight": 1e300}]}]}
    assert config_error(build_loss, cfg, registry=registry).startswith("terms: the weights")
    assert config_error(build_loss, json.dumps({"name": "square", "weight": 1e309}), registry=registry)
