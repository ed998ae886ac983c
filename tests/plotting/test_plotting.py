"""losskit.plotting: the curves are the loss's own values, one per swept value, and the PNG is written."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
import torch

from losskit import InvalidParamError, LossInputError, get_loss
from losskit.plotting import SWEEPS, loss_curves, plot_loss

from .fixtures import fixture_registry

pytest.importorskip("matplotlib")

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def registry():
    return fixture_registry()


def at(curves, x: float) -> int:
    """The index of the grid point nearest ``x``."""
    return int((curves.x - x).abs().argmin())


# -- the figure --------------------------------------------------------------------------


def test_plot_loss_writes_a_png_and_returns_its_path(registry, tmp_path):
    out = plot_loss("scaled_square", "scale", [0.5, 1.0, 2.0], tmp_path / "sub" / "sq.png", registry=registry)
    assert out == tmp_path / "sub" / "sq.png"
    assert out.read_bytes()[:8] == PNG_MAGIC
    import matplotlib.image

    height, width, _ = matplotlib.image.imread(out).shape
    assert (width, height) == (900, 360)


def test_plot_loss_takes_a_string_path_and_one_curve(registry, tmp_path):
    out = plot_loss("tiny_ce", None, None, str(tmp_path / "ce.png"), registry=registry)
    assert out.read_bytes()[:8] == PNG_MAGIC


def test_one_curve_per_value_labelled_with_it(registry):
    curves = loss_curves("scaled_square", "scale", [0.5, 1.0, 2.0], registry=registry)
    assert [c.label for c in curves.curves] == ["scale=0.5", "scale=1", "scale=2"]
    assert [c.params["scale"] for c in curves.curves] == [0.5, 1.0, 2.0]
    assert all(c.loss.shape == c.grad.shape == curves.x.shape for c in curves.curves)
    assert len(loss_curves("scaled_square", registry=registry).curves) == 1


def test_plotting_imports_matplotlib_lazily_and_never_pyplot():
    code = (
        "import sys, tempfile, os\n"
        "import losskit.plotting as p\n"
        "assert 'matplotlib' not in sys.modules, 'imported at import time'\n"
        "from tests.plotting.fixtures import fixture_registry\n"
        "p.plot_loss('scaled_square', None, None, os.path.join(tempfile.mkdtemp(), 'a.png'), registry=fixture_registry())\n"
        "assert 'matplotlib' in sys.modules and 'matplotlib.pyplot' not in sys.modules\n"
    )
    root = __import__("pathlib").Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)


def test_without_matplotlib_the_error_says_how_to_install_it(registry, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)
    with pytest.raises(ImportError, match=r"pip install matplotlib.*\.\[plot\]"):
        plot_loss("scaled_square", None, None, tmp_path / "a.png", registry=registry)


# -- the numbers are the loss's own --------------------------------------------------------


@pytest.mark.parametrize("scale", [0.5, 2.0])
def test_regression_curve_is_the_loss_against_the_residual(registry, scale):
    curves = loss_curves("scaled_square", "scale", [scale], registry=registry)
    assert curves.kind == "residual" and "residual" in curves.x_label
    (curve,) = curves.curves
    loss = registry.get_loss("scaled_square", scale=scale, reduction="none")
    for r in (-3.0, -1.0, 0.0, 1.5, 3.0):
        i = at(curves, r)
        x = curves.x[i]
        target = torch.tensor([1.0], dtype=torch.float64)
        assert curve.loss[i] == pytest.approx(loss(target + x, target).item(), abs=1e-12)
        assert curve.grad[i] == pytest.approx(2 * scale * x.item(), abs=1e-12)


def test_classification_curve_is_the_loss_against_the_true_class_probability(registry):
    curves = loss_curves("tiny_ce", registry=registry, limits=(0.25, 0.75), points=3)
    assert curves.kind == "probability"
    assert curves.x.tolist() == [0.25, 0.5, 0.75]
    (curve,) = curves.curves
    for i, p in enumerate(curves.x.tolist()):
        assert curve.loss[i] == pytest.approx(-math.log(p), rel=1e-12)
        assert curve.grad[i] == pytest.approx(p - 1, rel=1e-12)  # d(-log softmax_0)/dz_0


def test_per_class_parameters_set_the_number_of_classes(registry):
    curves = loss_curves("tiny_ce", registry=registry, params={"class_weights": (2.0, 1.0, 1.0, 1.0)}, points=5)
    (curve,) = curves.curves
    assert "of 4" in curves.x_label
    # the true class is class 0 with weight 2; its probability is p whatever the number of classes
    assert torch.allclose(curve.loss, -2 * curves.x.log(), rtol=1e-12)


def test_binary_logits_are_drawn_against_the_positive_probability(registry):
    curves = loss_curves("tiny_bce", registry=registry, points=5)
    (curve,) = curves.curves
    assert torch.allclose(curve.loss, -curves.x.log(), rtol=1e-12)
    assert torch.allclose(curve.grad, curves.x - 1, rtol=1e-12)


def test_string_values_are_read_as_the_parameter_type(registry):
    curves = loss_curves("scaled_square", "scale", ["0.5", " 2 "], registry=registry)
    assert [c.params["scale"] for c in curves.curves] == [0.5, 2.0]
    curves = loss_curves("tiny_ce", "class_weights", ["none", (2.0, 1.0)], registry=registry, points=3)
    assert [c.params["class_weights"] for c in curves.curves] == [None, (2.0, 1.0)]


# -- what cannot be drawn, and bad arguments ----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("l2_penalty", "penalty on the model's parameters"),
        ("demographic_parity", "depends on the rest of the batch"),
        ("tiny_embedding", "embeddings"),
        ("needs_var", "needs the context keyword var="),
        ("sign_values", r"values input, signs target"),
    ],
)
def test_losses_without_a_curve_are_a_clear_error(registry, tmp_path, name, why):
    with pytest.raises(LossInputError, match=rf"plot_loss cannot draw '{name}': .*{why}") as info:
        plot_loss(name, None, None, tmp_path / "x.png", registry=registry)
    assert "against the residual" in str(info.value)
    assert not (tmp_path / "x.png").exists()


def test_unknown_sweep_parameter_gets_a_did_you_mean(registry):
    with pytest.raises(InvalidParamError, match=r"scaled_square: scal: unknown parameter; did you mean 'scale'\?"):
        loss_curves("scaled_square", "scal", [1.0], registry=registry)


def test_a_value_the_parameter_refuses_is_its_own_error(registry):
    with pytest.raises(InvalidParamError, match=r"scale: must be > 0, got -1"):
        loss_curves("scaled_square", "scale", [1.0, -1.0], registry=registry)
    with pytest.raises(InvalidParamError, match=r"scale: must be float > 0, got 'abc'"):
        loss_curves("scaled_square", "scale", ["abc"], registry=registry)


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((None, [1.0]), {}, "values given without a parameter to sweep"),
        (("scale", None), {}, "give the values to sweep"),
        (("scale", []), {}, "non-empty list"),
        (("reduction", ["sum"]), {}, "reduction: is fixed at 'none'"),
        ((None, None), {"params": {"reduction": "sum"}}, "reduction: is fixed at 'none'"),
        ((None, None), {"limits": (1.0, -1.0)}, "low < high"),
    ],
)
def test_bad_arguments_raise_invalid_param_error(registry, args, kwargs, message):
    with pytest.raises(InvalidParamError, match=message):
        loss_curves("scaled_square", *args, registry=registry, **kwargs)


def test_probability_limits_must_lie_inside_the_unit_interval(registry):
    with pytest.raises(InvalidParamError, match=r"inside \(0, 1\)"):
        loss_curves("tiny_ce", registry=registry, limits=(0.0, 1.0))


# -- the real families, where installed --------------------------------------------------------


def _needs(name: str) -> None:
    from losskit import UnknownLossError, get_spec

    try:
        get_spec(name)
    except UnknownLossError:
        pytest.skip(f"no installed plugin provides {name!r}")


def test_focal_sweeps_lin_et_als_gammas_by_default(tmp_path):
    _needs("focal")
    curves = loss_curves("focal", "gamma", None)
    assert [c.params["gamma"] for c in curves.curves] == list(SWEEPS["focal"][1]) == [0.0, 0.5, 1.0, 2.0, 5.0]
    for curve in curves.curves:
        gamma = curve.params["gamma"]
        focal = get_loss("focal", gamma=gamma, reduction="none")
        for p in (0.1, 0.5, 0.9):
            i = at(curves, p)
            q = curves.x[i].item()
            expected = -((1 - q) ** gamma) * math.log(q)  # Lin et al. 2017, eq. 4 (alpha = None)
            assert curve.loss[i].item() == pytest.approx(expected, rel=1e-9)
            logits = torch.tensor([[math.log(q / (1 - q)), 0.0]], dtype=torch.float64)
            assert curve.loss[i].item() == pytest.approx(focal(logits, torch.tensor([0])).item(), rel=1e-12)
    assert plot_loss("focal", "gamma", None, tmp_path / "focal.png").read_bytes()[:8] == PNG_MAGIC


def test_huber_curve_matches_the_loss_and_turns_linear_at_delta():
    _needs("huber")
    curves = loss_curves("huber", "delta", [0.5, 2.0])
    for curve in curves.curves:
        delta = curve.params["delta"]
        huber = get_loss("huber", delta=delta, reduction="none")
        for r in (-3.0, -0.25, 0.0, 1.0, 3.0):
            i = at(curves, r)
            x = curves.x[i : i + 1]
            assert curve.loss[i].item() == pytest.approx(huber(1 + x, torch.ones(1, dtype=torch.float64)).item())
        assert curve.grad[at(curves, 3.0)].item() == pytest.approx(delta)
        assert curve.grad[at(curves, -3.0)].item() == pytest.approx(-delta)


def test_every_preset_sweep_draws(tmp_path):
    from losskit import UnknownLossError, default_registry

    drawn = 0
    for name, (param, values) in SWEEPS.items():
        try:
            default_registry().get_spec(name)
        except UnknownLossError:
            continue
        curves = loss_curves(name, param, None)
        assert len(curves.curves) == len(values)
        assert all(torch.isfinite(c.loss).any() for c in curves.curves)
        drawn += 1
    if not drawn:
        pytest.skip("no loss with a preset sweep is installed")
