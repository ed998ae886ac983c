"""The weighted total of a sum: one fused add per weighted term, the shape check before any addition, and a
copy of a sum that computes with its own terms."""

from __future__ import annotations

import copy
import math
import pickle

import pytest
import torch

from losskit import LossInputError, wrap
from tests.compose.compose_fixtures import ABS_MEAN, SQ_MEAN, X, Y


def test_weighted_terms_add_to_the_float64_reference(square, absolute, registry):
    loss = 0.25 * square + 0.5 * absolute + 3 * registry.get_loss("square", scale=2.0)
    x = X.clone().requires_grad_()
    total = loss(x, Y)
    torch.testing.assert_close(total, torch.tensor((0.25 + 6) * SQ_MEAN + 0.5 * ABS_MEAN, dtype=torch.float64))
    total.backward()
    d = X - Y  # d/dx of 6.25 * mean(d^2) + 0.5 * mean|d|
    torch.testing.assert_close(x.grad, 6.25 * 2 * d / 3 + 0.5 * torch.sign(d) / 3)


def test_integer_valued_terms_add_with_a_float_weight():
    """``torch.add(..., alpha=0.5)`` refuses integer tensors: the sum falls back to ``total + w * value``."""
    loss = wrap(lambda input, target: torch.tensor(3), "three") + 0.5 * wrap(lambda input, target: torch.tensor(2), "two")
    total = loss(X, Y)
    assert total.item() == 4.0 and total.is_floating_point()


def test_a_shape_mismatch_after_the_first_term_names_every_term(registry, absolute):
    loss = absolute + 2 * registry.get_loss("square", reduction="none") + 0.5 * registry.get_loss("absolute")
    with pytest.raises(LossInputError, match=r"different shapes \(absolute \(\), square \(3,\), absolute_1 \(\)\)"):
        loss(X, Y)
    with pytest.raises(LossInputError, match=r"different shapes \(absolute \(\), square \(3,\), absolute_1 \(\)\)"):
        loss.breakdown(X, Y)


@pytest.mark.parametrize("clone", [copy.deepcopy, lambda loss: pickle.loads(pickle.dumps(loss))], ids=["deepcopy", "pickle"])
def test_a_copy_computes_with_its_own_terms(registry, clone):
    loss = registry.get_loss("tempered") + 0.5 * registry.get_loss("square")
    copied = clone(loss)
    with torch.no_grad():
        copied.terms[0].t.fill_(math.log(2.0))
    torch.testing.assert_close(loss(X, Y), torch.tensor(1.5 * SQ_MEAN, dtype=torch.float64))
    torch.testing.assert_close(copied(X, Y), torch.tensor(2.5 * SQ_MEAN, dtype=torch.float64))
    _, parts = copied.breakdown(X, Y)
    torch.testing.assert_close(parts["tempered"], torch.tensor(2 * SQ_MEAN, dtype=torch.float64))
