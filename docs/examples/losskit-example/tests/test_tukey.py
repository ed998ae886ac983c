"""Tukey's biweight against values worked out by hand from the paper's formula."""

from __future__ import annotations

import pytest
import torch

from losskit import get_loss


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_known_values(dtype):
    loss = get_loss("tukey_biweight", c=2.0, reduction="none")
    r = torch.tensor([0.0, 1.0, -1.0, 2.0, 10.0], dtype=dtype)
    # c^2/6 [1 - (1 - (r/c)^2)^3] with c = 2: r = 1 gives 2/3 (1 - 27/64) = 37/96; |r| >= c gives 2/3.
    expected = torch.tensor([0.0, 37 / 96, 37 / 96, 2 / 3, 2 / 3], dtype=dtype)
    torch.testing.assert_close(loss(r, torch.zeros_like(r)), expected)


def test_outliers_get_no_gradient():
    x = torch.tensor([0.5, 50.0], requires_grad=True)
    get_loss("biweight", c=1.0, reduction="sum")(x, torch.zeros(2)).backward()
    assert x.grad[0] > 0 and x.grad[1] == 0


def test_small_residuals_are_nearly_squared_error():
    r = torch.tensor([1e-3], dtype=torch.float64)
    value = get_loss("tukey_biweight")(r, torch.zeros_like(r))
    torch.testing.assert_close(value, r.square().sum() / 2, rtol=1e-5, atol=0)
