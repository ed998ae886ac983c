"""A config fuzzer: the only outcomes allowed are a built loss (whose config round-trips) or a
ConfigError that starts with a non-empty path and stays short.

Hypothesis generates trees of nodes over the installed names (with aliases, case and ``-``
variants, typos and junk) and their declared parameters (values in range, at the bounds, just
beyond them, inf, nan, integers beyond float and int64 range, wrong types, nested junk), then
mutates them: a node made its own child, a shared node repeated, nesting around the depth
limit, odd keys. The same trees also go through JSON and YAML text (with duplicate keys,
truncation, alias bombs, a byte that is not UTF-8) and OmegaConf (with broken interpolations).

Bounded: every example must finish within ``EXAMPLE_SECONDS`` (a POSIX alarm turns a hang
into a failure) and the process may not grow by more than ``MEMORY_HEADROOM`` (an address-space
limit turns an allocation the machine cannot hold into the error it must be). The examples are
derandomised, so CI sees the same ones each run; ``LOSSKIT_FUZZ_EXAMPLES=5000`` runs more, from
a fresh seed.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import sys
import warnings

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from losskit import ConfigError, Loss, Param, Registry, build_loss  # noqa: E402
from losskit.config import MAX_DEPTH  # noqa: E402

EXAMPLE_SECONDS = 20
MEMORY_HEADROOM = 4 * 2**30
MAX_MESSAGE = 3_000
EXAMPLES = int(os.environ.get("LOSSKIT_FUZZ_EXAMPLES", "0"))


def fuzz_settings(default: int):
    return settings(
        max_examples=EXAMPLES or default,
        derandomize=not EXAMPLES,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )


with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    REGISTRY = Registry()
    SPECS = {spec.name: spec for _, spec in REGISTRY.specs()}
    QUALIFIED = [q for q, _ in REGISTRY.specs()]

NAMES = sorted({*SPECS, *QUALIFIED, *(a for s in SPECS.values() for a in s.aliases)})


# -- values -------------------------------------------------------------------------------------------------

EDGE_NUMBERS = [0, -0.0, 1, -1, 1e-300, 5e-324, 1e308, 2**31, 2**53 + 1, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1,
                10**400, -(10**400), 10**4000, math.inf, -math.inf, math.nan]  # 10**4000: reprs still work
numbers = st.one_of(st.integers(-3, 20), st.floats(), st.sampled_from(EDGE_NUMBERS))
strings = st.one_of(st.text(max_size=6), st.sampled_from(["mean", "sum", "none", "1e-4", "1.0e-4", "inf", "nan",
                                                          "${x}", "???", "", " ", "_target_", "x" * 300]))
scalars = st.one_of(st.none(), st.booleans(), numbers, strings)
junk = st.recursive(
    scalars, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(strings, inner, max_size=3)),
    max_leaves=8,
)


def near(bound: float) -> st.SearchStrategy:
    return st.sampled_from([bound, bound - 1e-9, bound + 1e-9, bound - 1, bound + 1, -bound])


def param_value(p: Param) -> st.SearchStrategy:
    """Values for one declared parameter: mostly of its type around its declared range, sometimes junk."""
    bounds = [b for b in (p.ge, p.gt, p.le, p.lt) if b is not None]
    if p.type is bool:
        typed = st.booleans()
    elif p.type is str:
        typed = st.sampled_from(p.choices) if p.choices else st.text(max_size=12)
        if p.choices:
            typed = st.one_of(typed, typed.map(str.upper), typed.map(lambda c: c[:-1]))
    elif p.type is int:
        typed = st.one_of(st.integers(-2, 12), *(near(b).map(int) for b in bounds),
                          st.sampled_from([2**63 - 1, 2**63, -(2**63) - 1, 10**30]))
    else:
        floats = st.one_of(st.floats(-10, 10), numbers, *(near(b) for b in bounds))
        if p.type is float:
            typed = floats
        else:
            typed = st.lists(floats, min_size=0, max_size=6)
            if p.scalar:
                typed = st.one_of(typed, floats)
    options = [typed, typed, typed, junk]
    if p.nullable or p.default is None:
        options.append(st.none())
    return st.one_of(*options)


def valid_value(p: Param) -> st.SearchStrategy:
    """Values that the declaration admits (its checks across parameters aside), so that trees also build."""
    if p.type is bool:
        return st.booleans()
    if p.type is str:
        return st.sampled_from(p.choices) if p.choices else st.just(p.default if p.default is not None else "")
    low = max(b for b in (p.ge, p.gt, -10.0) if b is not None)
    high = min(b for b in (p.le, p.lt, 10.0) if b is not None)
    if p.type is int:
        return st.integers(math.ceil(low) + (p.gt is not None and p.gt == math.ceil(low)), math.floor(high))
    floats = st.floats(low, high, exclude_min=p.gt is not None, exclude_max=p.lt is not None)
    return floats if p.type is float else st.lists(floats, min_size=1, max_size=5)


# -- trees ------------------------------------------------------------------------------------------------


def spelled(name: str) -> st.SearchStrategy:
    return st.sampled_from([name, name.upper(), name.replace("_", "-"), name[:-1] or "x", name + "s", f" {name} "])


@st.composite
def leaf(draw) -> dict:
    name = draw(st.sampled_from(NAMES))
    spec = REGISTRY.get_spec(name)
    node = {"name": draw(st.one_of(st.just(name), st.just(name), st.just(name), spelled(name)))}
    params = list(spec.params)
    if params:
        chosen = draw(st.lists(st.sampled_from(params), max_size=len(params), unique_by=lambda p: p.name))
        example = dict(spec.example_params)
        for p in chosen:
            typical = valid_value(p) if p.check is None else st.just(example.get(p.name, p.default))
            node[p.name] = draw(st.one_of(typical, typical, param_value(p), st.just(example.get(p.name, p.default))))
        for key, value in example.items():  # required parameters mostly given, so that more builds get through
            if key not in node and draw(st.integers(0, 3)):
                node[key] = list(value) if isinstance(value, tuple) else value
    if draw(st.integers(0, 3)) == 0:
        node["weight"] = draw(st.one_of(numbers, junk))
    if draw(st.integers(0, 7)) == 0:
        node[draw(strings)] = draw(junk)
    return node


TASK_NAMES = st.one_of(st.sampled_from(["seg", "depth", "a", "b", "type", "values", "x.y", "", " ", "é"]), strings)


def composite(children: st.SearchStrategy) -> st.SearchStrategy:
    sums = st.fixed_dictionaries(
        {"name": st.sampled_from(["sum", "SUM", "Sum", " sum"]), "terms": st.lists(children, max_size=4)},
        optional={"weight": st.one_of(numbers, junk)},
    )

    @st.composite
    def multitask(draw) -> dict:
        tasks = draw(st.dictionaries(TASK_NAMES, children, max_size=3))
        node: dict = {"name": draw(st.sampled_from(["multitask", "MultiTask", "multi_task"])), "tasks": tasks}
        names = list(tasks) or ["a"]
        weighting = draw(st.sampled_from([None, "fixed", "uncertainty", "uncertain", 1]))
        if weighting is not None:
            node["weighting"] = weighting
        if draw(st.booleans()):
            node["weights"] = draw(st.one_of(
                st.dictionaries(st.sampled_from(names + ["zz"]), st.one_of(numbers, junk), max_size=3), junk))
        if draw(st.booleans()):
            kinds = st.sampled_from(["regression", "classification", "segmentation", 1])
            node["task_types"] = draw(st.one_of(
                st.dictionaries(st.sampled_from(names + ["zz"]), kinds, max_size=3), junk))
        return node

    return st.one_of(sums, multitask())


@st.composite
def valid_leaf(draw) -> dict:
    name = draw(st.sampled_from(NAMES))
    spec = REGISTRY.get_spec(name)
    node = {"name": name, **{k: list(v) if isinstance(v, tuple) else v for k, v in spec.example_params.items()}}
    chosen = st.lists(st.sampled_from(spec.params), max_size=3, unique_by=lambda p: p.name) if spec.params else None
    for p in draw(chosen) if chosen is not None else ():
        if p.check is None and p.name not in node:
            node[p.name] = draw(valid_value(p))
    if draw(st.booleans()):
        node["weight"] = draw(st.floats(-5, 5))
    return node


def valid_composite(children: st.SearchStrategy) -> st.SearchStrategy:
    sums = st.fixed_dictionaries({"name": st.just("sum"), "terms": st.lists(children, min_size=1, max_size=3)})

    @st.composite
    def multitask(draw) -> dict:
        tasks = draw(st.dictionaries(st.sampled_from(["seg", "depth", "a", "b"]), children, min_size=1, max_size=3))
        if draw(st.booleans()):
            kinds = st.sampled_from(["regression", "classification"])
            return {"name": "multitask", "tasks": tasks, "weighting": "uncertainty",
                    "task_types": {t: draw(kinds) for t in tasks}}
        return {"name": "multitask", "tasks": tasks, "weights": {t: draw(st.floats(0, 3)) for t in tasks}}

    return st.one_of(sums, multitask())


trees = st.one_of(
    st.recursive(leaf(), composite, max_leaves=6), st.recursive(valid_leaf(), valid_composite, max_leaves=4)
)


@st.composite
def mutated(draw) -> object:
    """A tree, sometimes with a cycle, a shared node, nesting around the limit, or a junk root."""
    tree = draw(trees)
    kind = draw(st.sampled_from(["none", "none", "none", "cycle", "shared", "deep", "junk-root", "junk-node"]))
    if kind == "cycle":  # the root among its own terms
        root = {"name": "sum", "terms": [tree]}
        root["terms"].append(root)
        return root
    if kind == "shared":
        return {"name": "sum", "terms": [tree] * draw(st.integers(2, 5))}
    if kind == "deep":
        depth = draw(st.sampled_from([MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, 3 * MAX_DEPTH, 1_500]))
        for _ in range(depth):
            tree = {"name": "sum", "terms": [tree]}
        return tree
    if kind == "junk-root":
        return draw(junk)
    if kind == "junk-node":
        return {"name": "sum", "terms": [tree, draw(junk)]}
    return tree


# -- the oracle ----------------------------------------------------------------------------------------------


@contextlib.contextmanager
def time_limit(seconds: int):
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def hang(signum, frame):
        raise TimeoutError(f"a config took more than {seconds} s to build or to refuse")

    previous = signal.signal(signal.SIGALRM, hang)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module", autouse=True)
def memory_limit():
    """The process may grow by MEMORY_HEADROOM at most: a larger allocation fails at once (Linux)."""
    try:
        import resource
    except ImportError:
        yield
        return
    if not sys.platform.startswith("linux"):
        yield
        return
    with open("/proc/self/statm") as f:
        used = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = used + MEMORY_HEADROOM
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def outcome(cfg: object, **kwargs) -> str:
    """``'built'`` or ``'refused'``; anything else (another exception, a pathless message) fails."""
    with time_limit(EXAMPLE_SECONDS), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            loss = build_loss(cfg, registry=REGISTRY, **kwargs)
        except ConfigError as exc:
            message = str(exc)
            path, sep, _ = message.partition(": ")
            assert sep and path.strip() and not path.startswith(" "), f"no path: {message[:300]!r}"
            assert len(message) <= MAX_MESSAGE, f"{len(message)} characters: {message[:300]!r}"
            hypothesis.event("refused", message.partition(": ")[2][:30])
            return "refused"
        assert isinstance(loss, Loss)
        config = loss.to_config()
        assert build_loss(config, registry=REGISTRY).to_config() == config
        hypothesis.event("built", type(loss).__name__)
        return "built"


# -- the fuzz tests ------------------------------------------------------------------------------------------


@fuzz_settings(300)
@given(cfg=mutated())
def test_config_trees(cfg):
    outcome(cfg)


def _yaml_text(tree: object) -> str | None:
    yaml = pytest.importorskip("yaml")
    try:
        return yaml.safe_dump(tree, allow_unicode=True)
    except Exception:  # keys or values YAML cannot write (cycles, 10**5000)
        return None


def _json_text(tree: object) -> str | None:
    try:
        return json.dumps(tree)
    except (TypeError, ValueError):  # cycles, keys JSON cannot write
        return None


@st.composite
def texts(draw) -> tuple[str, str | None]:
    tree = draw(trees)
    format = draw(st.sampled_from(["json", "yaml"]))
    text = (_json_text if format == "json" else _yaml_text)(tree)
    if text is None:
        text = draw(st.text(max_size=40))
    edit = draw(st.sampled_from(["none", "none", "truncate", "duplicate", "bomb", "char", "bom"]))
    if edit == "truncate":
        text = text[: draw(st.integers(0, len(text)))]
    elif edit == "duplicate":
        text = text.replace('"name": ', '"name": "x", "name": ', 1) if format == "json" else (
            text + text.splitlines()[0] + "\n" if text.strip() else text)
    elif edit == "bomb":
        bomb = "&a [&b [&c [x, x, x, x, x, x, x, x], *c, *c, *c, *c, *c, *c, *c], *b, *b, *b, *b, *b, *b, *b]"
        key = draw(st.sampled_from(["weight", "reduction", "terms", "tasks", "gamma", "name", "zz"]))
        text, format = f"name: sum\n{key}: [{bomb}, *a, *a, *a, *a, *a, *a, *a]\n", "yaml"
    elif edit == "char" and text:
        at = draw(st.integers(0, len(text) - 1))
        text = text[:at] + draw(st.sampled_from(["{", "}", "[", "]", ":", ",", "\t", "\x00", "&", "*", "!!", "\n"])) + \
            text[at:]
    elif edit == "bom":
        text = "\ufeff" + text
    return text, draw(st.sampled_from([format, None]))


@fuzz_settings(150)
@given(case=texts())
def test_config_texts(case):
    text, format = case
    outcome(text, format=format)


@fuzz_settings(40)
@given(case=texts(), bad=st.sampled_from([b"\xff", b"\xc3(", b"\x80", b""]))
def test_config_files(tmp_path_factory, case, bad):
    text, format = case
    path = tmp_path_factory.mktemp("cfg") / ("loss." + (format or "yaml"))
    data = text.encode("utf-8", "surrogatepass")
    path.write_bytes(data[: len(data) // 2] + bad + data[len(data) // 2 :])
    outcome(path)


@fuzz_settings(60)
@given(tree=trees, value=st.sampled_from(["${nope}", "${.weight}", "???", "${oc.env:LOSSKIT_UNSET_FUZZ_VAR}",
                                           "${name}", "${terms}", "${.name}"]), where=st.sampled_from(["weight", "x"]))
def test_omegaconf_nodes(tree, value, where):
    omegaconf = pytest.importorskip("omegaconf")
    if isinstance(tree, dict):
        tree = {**tree, where: value}
    try:
        cfg = omegaconf.OmegaConf.create(tree)
    except Exception:  # OmegaConf refuses some keys and values itself
        hypothesis.assume(False)
    outcome(cfg)
