"""Param validation: types, ranges, choices, messages."""

from __future__ import annotations

import math

import pytest
import torch

from losskit import InvalidParamError, Param, SpecError
from losskit.params import validate_params


def test_float_accepts_ints_and_rejects_bools_strings_and_nan():
    p = Param("gamma", 2.0, "focusing", ge=0)
    assert p.validate(3, owner="focal") == 3.0 and isinstance(p.validate(3, owner="focal"), float)
    for bad, match in ((True, "got True of type bool"), ("2", "got '2' of type str"), (math.nan, "got nan")):
        with pytest.raises(InvalidParamError, match=match):
            p.validate(bad, owner="focal")


def test_bounds_message_quotes_the_value_given():
    p = Param("q", 0.5, "quantile", gt=0, lt=1)
    with pytest.raises(InvalidParamError, match=r"^quantile: q: must be > 0 and < 1, got 1$"):
        p.validate(1, owner="quantile")


def test_int_bool_str_and_choices():
    assert Param("k", 1, "", type=int, ge=1).validate(2, owner="x") == 2
    with pytest.raises(InvalidParamError, match="must be int >= 1, got 1.5"):
        Param("k", 1, "", type=int, ge=1).validate(1.5, owner="x")
    with pytest.raises(InvalidParamError, match="got 1 of type int"):
        Param("flag", False, "", type=bool).validate(1, owner="x")
    with pytest.raises(InvalidParamError, match=r"must be one of 'a', 'b', got 'c'"):
        Param("mode", "a", "", type=str, choices=("a", "b")).validate("c", owner="x")


def test_tuple_of_floats_from_list_or_tensor_with_elementwise_bounds():
    p = Param("class_weights", None, "", type=tuple, ge=0, nullable=True)
    assert p.validate([1, 2.5], owner="ce") == (1.0, 2.5)
    assert p.validate(torch.tensor([0.5, 1.0]), owner="ce") == (0.5, 1.0)
    assert p.validate(None, owner="ce") is None
    with pytest.raises(InvalidParamError, match=r"must be >= 0, got -1.0 in \[1.0, -1.0\]"):
        p.validate([1, -1], owner="ce")
    with pytest.raises(InvalidParamError, match="sequence of floats"):
        p.validate("1,2", owner="ce")


def test_custom_check():
    p = Param("k", 3, "", type=int, check=lambda v: "must be odd" if v % 2 == 0 else None)
    with pytest.raises(InvalidParamError, match="k: must be odd, got 4"):
        p.validate(4, owner="x")


def test_validate_params_fills_defaults_and_rejects_unknown():
    declared = (Param("a", 1.0, ""), Param("b", "x", "", type=str))
    assert validate_params("loss", declared, {"a": 2}) == {"a": 2.0, "b": "x"}
    with pytest.raises(InvalidParamError, match=r"zzz: unknown parameter. Valid parameters: a, b."):
        validate_params("loss", declared, {"zzz": 1})


def test_bad_param_type_declaration():
    with pytest.raises(SpecError):
        Param("a", 1, "", type=list)


def test_nan_in_a_sequence_is_rejected_even_without_bounds():
    with pytest.raises(InvalidParamError, match=r"class_weights: must be sequence of floats without nan, got \[1.0, nan\]"):
        Param("class_weights", (), "", type=tuple).validate([1.0, math.nan], owner="ce")
