"""``losskit plot NAME --sweep PARAM=V1,V2 --out FILE``: the arguments it hands to losskit.plotting.plot_loss, a real
figure, and its errors."""

from __future__ import annotations

from pathlib import Path

import pytest

import losskit.plotting


@pytest.fixture
def calls(monkeypatch):
    """plot_loss replaced by a recorder."""
    seen = []

    def plot_loss(name, sweep_param, values, out, *, registry=None, limits=None, **kwargs):
        seen.append((name, sweep_param, values, Path(out), limits))
        return Path(out)

    monkeypatch.setattr(losskit.plotting, "plot_loss", plot_loss)
    return seen


def test_sweep_values_and_out_go_to_plot_loss(registry, cli, calls, tmp_path):
    ran = cli("plot", "scaled_abs", "--sweep", "scale=0.5, 1,2", "--out", str(tmp_path / "f.png"), "--limits", "-2,2")
    assert ran.status == 0 and ran.out == f"plot: {tmp_path / 'f.png'}\n"
    assert calls == [("scaled_abs", "scale", ["0.5", "1", "2"], tmp_path / "f.png", (-2.0, 2.0))]


def test_a_parameter_alone_takes_its_classic_values_and_the_default_out_is_the_name(registry, cli, calls):
    assert cli("plot", "scaled_abs", "--sweep", "scale").status == 0
    assert cli("plot", "Scaled-Abs").status == 0
    assert calls == [("scaled_abs", "scale", None, Path("scaled_abs.png"), None),
                     ("Scaled-Abs", None, None, Path("scaled_abs.png"), None)]


def test_without_sweep_a_loss_with_a_classic_figure_gets_it(registry, cli, calls, monkeypatch):
    monkeypatch.setitem(losskit.plotting.SWEEPS, "scaled_abs", ("scale", (1.0, 2.0)))
    assert cli("plot", "scaled_abs").status == 0
    assert calls[0][1:3] == ("scale", None)


@pytest.mark.parametrize("bad", [("--sweep", "=1,2"), ("--sweep", "scale=1,,2"), ("--limits", "a,b"),
                                 ("--limits", "1")])
def test_malformed_options_are_usage_errors(registry, cli, calls, bad):
    ran = cli("plot", "scaled_abs", *bad)
    assert ran.status == 2 and "Invalid value" in ran.err and not calls


def test_a_real_figure(registry, cli, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "plots" / "scaled_abs.png"
    ran = cli("plot", "scaled_abs", "--sweep", "scale=1,2", "--out", str(out))
    assert ran.status == 0 and out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_errors_from_the_plot_are_one_line(registry, cli, tmp_path, monkeypatch):
    ran = cli("plot", "scaled_abs", "--sweep", "scal=1,2", "--out", str(tmp_path / "x.png"))
    assert ran.status == 2 and ran.err.startswith("losskit: InvalidParamError:") and "scale" in ran.err

    def no_matplotlib(*args, **kwargs):
        raise ImportError("losskit.plotting needs matplotlib, which is not installed")

    monkeypatch.setattr(losskit.plotting, "plot_loss", no_matplotlib)
    ran = cli("plot", "scaled_abs")
    assert ran.status == 2 and ran.err == "losskit plot: losskit.plotting needs matplotlib, which is not installed\n"
