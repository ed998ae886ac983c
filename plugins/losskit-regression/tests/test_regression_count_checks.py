"""poisson_nll checks its counts with one reduction; any negative or nan count still gets the clear error."""

from __future__ import annotations

import math
import re

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from losskit import LossInputError, get_loss

NOT_A_COUNT = st.one_of(st.floats(max_value=0.0, allow_infinity=True, width=32).filter(lambda v: v < 0), st.just(math.nan))


@settings(max_examples=40, deadline=None)
@given(
    shape=st.lists(st.integers(1, 5), min_size=1, max_size=3),
    where=st.integers(0, 10**6),
    bad=NOT_A_COUNT,
    log_input=st.booleans(),
    full=st.booleans(),
    reduction=st.sampled_from(["mean", "sum", "none"]),
    dtype=st.sampled_from([torch.float32, torch.float64]),
)
def test_a_negative_or_nan_count_gets_the_clear_error(shape, where, bad, log_input, full, reduction, dtype):
    x = torch.rand(shape, dtype=dtype) + 0.1
    y = torch.poisson(torch.full(shape, 2.0, dtype=dtype))
    y.view(-1)[where % y.numel()] = bad
    shown = re.escape("nan" if math.isnan(bad) else f"{torch.tensor(bad, dtype=dtype).item():g}")
    loss = get_loss("poisson_nll", log_input=log_input, full=full, reduction=reduction)
    with pytest.raises(LossInputError, match=rf"poisson_nll: target must lie in \[0, inf\], got {shown}\. Targets are counts"):
        loss(x, y)


@pytest.mark.parametrize("dtype", [torch.int64, torch.bool, torch.float16])
def test_counts_of_other_dtypes_are_checked_after_the_conversion(dtype):
    loss = get_loss("poisson_nll")
    assert torch.isfinite(loss(torch.zeros(3), torch.tensor([0, 1, 1]).to(dtype)))
    if dtype != torch.bool:
        with pytest.raises(LossInputError, match=r"target must lie in \[0, inf\], got -1"):
            loss(torch.zeros(3), torch.tensor([0, -1, 1]).to(dtype))
