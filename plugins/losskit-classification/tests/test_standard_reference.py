"""Every standard classification loss against its independent float64 reference, for each dtype and reduction."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from losskit import Example, get_loss
from losskit_classification.standard import SPECS

SPEC_BY_NAME = {spec.name: spec for spec in SPECS}
REDUCTIONS = ("none", "sum", "mean")
DTYPES = (torch.float32, torch.float64)


def _ignore_some(example: Example) -> Example:
    target = example.target.clone()
    target[::3] = -100
    return dataclasses.replace(example, target=target)


def _soft_targets(example: Example) -> Example:
    g = torch.Generator().manual_seed(3)
    soft = torch.randn(example.input.shape, generator=g, dtype=torch.float64).softmax(dim=1)
    return dataclasses.replace(example, target=soft.to(example.input.dtype))


def _log_targets(example: Example) -> Example:
    return dataclasses.replace(example, target=example.target.log())


def _per_sample_weight(example: Example) -> Example:
    weight = torch.linspace(0.5, 2.0, example.input.shape[0], dtype=example.input.dtype)
    return dataclasses.replace(example, context={**example.context, "weight": weight})


def _concatenated_ctc_targets(example: Example) -> Example:
    lengths = example.context["target_lengths"]
    flat = torch.cat([row[:n] for row, n in zip(example.target, lengths.tolist())])
    return dataclasses.replace(example, target=flat)


def _no_bias(example: Example) -> Example:
    return dataclasses.replace(example, context={"classifier_weight": example.context["classifier_weight"]})


def _spatial(example: Example) -> Example:
    """(N, C) -> (N, C, 2) by pairing each sample with a shifted copy of itself."""
    input = torch.stack([example.input, example.input.roll(1, dims=1)], dim=2)
    target = torch.stack([example.target, example.target.flip(0)], dim=1)
    return Example(input, target, example.context)


WEIGHTS_5 = (0.5, 1.0, 2.0, 0.25, 1.5)

CASES = [
    ("cross_entropy", {}, None),
    ("cross_entropy", {"class_weights": WEIGHTS_5, "label_smoothing": 0.2}, _ignore_some),
    ("cross_entropy", {"label_smoothing": 0.1}, _spatial),
    ("cross_entropy", {"class_weights": WEIGHTS_5, "label_smoothing": 0.3}, _soft_targets),
    ("nll", {}, None),
    ("nll", {"class_weights": WEIGHTS_5}, _ignore_some),
    ("bce", {}, None),
    ("bce", {}, _per_sample_weight),
    ("bce_with_logits", {}, None),
    ("bce_with_logits", {"pos_weight": WEIGHTS_5}, _per_sample_weight),
    ("kl_div", {}, None),
    ("kl_div", {"log_target": True}, _log_targets),
    ("multi_margin", {}, None),
    ("multi_margin", {"p": 2, "margin": 0.5, "class_weights": WEIGHTS_5}, None),
    ("multilabel_margin", {}, None),
    ("multilabel_soft_margin", {}, None),
    ("multilabel_soft_margin", {"class_weights": WEIGHTS_5}, None),
    ("soft_margin", {}, None),
    ("hinge", {}, None),
    ("hinge", {"margin": 0.5}, _per_sample_weight),
    ("squared_hinge", {}, None),
    ("squared_hinge", {"margin": 2.0}, None),
    ("ctc", {}, None),
    ("ctc", {"blank": 0}, _concatenated_ctc_targets),
    ("focal", {}, None),
    ("focal", {"gamma": 0.5, "alpha": WEIGHTS_5}, _ignore_some),
    ("focal", {"gamma": 1.0, "alpha": 0.25}, _spatial),
    ("sigmoid_focal", {}, None),
    ("sigmoid_focal", {"gamma": 0.5, "alpha": None}, _per_sample_weight),
    ("sigmoid_focal", {"gamma": 3.0, "alpha": 0.75}, _soft_targets),
    ("linear_cross_entropy", {"chunk_size": 3}, None),
    ("linear_cross_entropy", {"chunk_size": 2, "label_smoothing": 0.1}, _ignore_some),
    ("linear_cross_entropy", {}, _no_bias),
]


def test_every_spec_has_a_case() -> None:
    assert {name for name, _, _ in CASES} == set(SPEC_BY_NAME)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("name", "params", "modify"), CASES, ids=lambda c: c if isinstance(c, str) else "")
def test_matches_reference(name, params, modify, reduction, dtype) -> None:
    spec = SPEC_BY_NAME[name]
    example = spec.example(torch.Generator().manual_seed(0), dtype=dtype, device="cpu", batch_size=7)
    if modify is not None:
        example = modify(example)
    loss = get_loss(name, **params, reduction=reduction)
    got = loss(example.input, example.target, **example.context)
    expected = spec.reference(example, **loss.hparams)
    tol = 1e-10 if dtype is torch.float64 else 1e-5
    assert got.dtype == dtype
    assert got.shape == expected.shape
    torch.testing.assert_close(got.double(), expected, rtol=tol, atol=tol)


@pytest.mark.parametrize("name", sorted(SPEC_BY_NAME))
def test_empty_batch_is_finite(name) -> None:
    spec = SPEC_BY_NAME[name]
    example = spec.example(torch.Generator().manual_seed(0), dtype=torch.float32, device="cpu", batch_size=0)
    mean = spec.factory()(example.input, example.target, **example.context)
    assert mean.item() == 0.0
    none = spec.factory(reduction="none")(example.input, example.target, **example.context)
    assert none.numel() == 0
