"""``losskit.wrap``: any nn.Module or callable f(input, target) as a named term of a composite."""

from __future__ import annotations

import copy
import pickle

import pytest
import torch
from torch import nn

from losskit import ConfigError, ContextError, InvalidParamError, LossInputError, MultiTask, WeightedSum, wrap
from tests.custom.custom_fixtures import REGISTRY

X, Y = torch.randn(6, 3), torch.randn(6, 3)


def l1(input, target):
    return (input - target).abs().mean()


class Scaled(nn.Module):
    """A module with a parameter and a keyword-only context argument."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(2.0))

    def forward(self, input, target, *, mask=None):
        err = (input - target).square()
        return self.scale * (err if mask is None else err * mask).mean()


def test_a_torch_module_joins_a_sum_under_its_name():
    huber = REGISTRY.get_loss("my_huber")
    loss = huber + 0.5 * wrap(nn.SmoothL1Loss(beta=0.5), "smooth")
    assert loss.names == ("my_huber", "smooth")
    total, parts = loss.breakdown(X, Y)
    expected = nn.functional.smooth_l1_loss(X, Y, beta=0.5)
    assert torch.equal(parts["smooth"], expected)
    assert torch.allclose(total, huber(X, Y) + 0.5 * expected)


def test_a_plain_callable_is_a_term_too():
    total, parts = (wrap(l1, "l1") + wrap(l1, "l1")).breakdown(X, Y)
    assert list(parts) == ["l1", "l1_1"] and torch.allclose(total, 2 * l1(X, Y))


def test_a_modules_parameters_are_the_composites_and_train():
    scaled = Scaled()
    loss = REGISTRY.get_loss("squared_error") + wrap(scaled, "scaled")
    assert [p is scaled.scale for p in loss.parameters()] == [True]
    loss(X, Y).backward()
    assert scaled.scale.grad is not None
    assert "terms.1.wrapped.scale" in loss.state_dict()


def test_keyword_only_arguments_are_context_keywords_routed_to_the_term():
    loss = REGISTRY.get_loss("squared_error") + wrap(Scaled(), "scaled")
    assert loss.context_keys().accepted == {"mask"}
    mask = torch.zeros(6, 3)
    _, parts = loss.breakdown(X, Y, mask=mask)
    assert parts["scaled"] == 0
    with pytest.raises(ContextError, match="did you mean 'mask'"):
        loss(X, Y, masks=mask)


def test_in_a_multitask():
    loss = MultiTask({"a": wrap(l1, "l1"), "b": REGISTRY.get_loss("squared_error")}, weights={"a": 0.5})
    total, parts = loss.breakdown({"a": X, "b": X}, {"a": Y, "b": Y})
    assert set(parts) == {"a", "b"} and torch.allclose(total, 0.5 * l1(X, Y) + (X - Y).square().mean())


def test_to_config_refuses_a_wrapped_term_naming_it():
    smooth = r"smooth: this term wraps the module SmoothL1Loss \(losskit.wrap\), which a config cannot hold.*register_loss"
    for loss, where in (
        (REGISTRY.get_loss("squared_error") + wrap(nn.SmoothL1Loss(), "smooth"), r"terms\[1\] \(smooth\)"),
        (MultiTask({"a": wrap(nn.SmoothL1Loss(), "smooth")}), r"tasks\.a"),
        (WeightedSum([wrap(nn.SmoothL1Loss(), "smooth")], names=["my_smooth"]), r"terms\[0\] \(my_smooth\)"),
    ):
        with pytest.raises(ConfigError, match=f"^{where}: {smooth}"):
            loss.to_config()
    with pytest.raises(ConfigError, match=r"^l1: this term wraps the callable l1"):
        wrap(l1, "l1").to_config()


def test_a_wrapped_module_pickles_and_deepcopies():
    loss = REGISTRY.get_loss("squared_error") + wrap(Scaled(), "scaled")
    for other in (pickle.loads(pickle.dumps(loss)), copy.deepcopy(loss)):
        assert other.names == loss.names and torch.equal(other(X, Y), loss(X, Y))


def test_what_wrap_refuses():
    with pytest.raises(TypeError, match=r"cannot be called as f\(input, target\)"):
        wrap(nn.GaussianNLLLoss(), "gnll")  # forward(input, target, var): var must be keyword-only to be context
    with pytest.raises(TypeError, match="already a losskit.Loss"):
        wrap(REGISTRY.get_loss("squared_error"), "sq")
    with pytest.raises(TypeError, match="expected an nn.Module or a callable"):
        wrap(3, "three")
    with pytest.raises(InvalidParamError, match="without '/'"):
        wrap(l1, "a/b")
    with pytest.raises(LossInputError, match=r"^number: the callable .*<lambda> \(losskit.wrap\) returned float, expected a tensor"):
        wrap(lambda x, y: 1.0, "number")(X, Y)


def test_an_unwrapped_module_is_refused_with_the_way_to_wrap_it():
    squared = REGISTRY.get_loss("squared_error")
    for attempt in (lambda: squared + nn.MSELoss(), lambda: WeightedSum([nn.MSELoss()])):
        with pytest.raises(TypeError, match=r"losskit.wrap\(obj, name=...\)"):
            attempt()
    with pytest.raises(InvalidParamError, match=r"losskit.wrap\(obj, name=...\)"):
        MultiTask({"a": nn.MSELoss()})
