"""Every loss against its float64 reference, in float32 and float64, for every reduction and mode.

The conformance suite checks the multiclass (or binary) examples with random parameters; this module
covers the other input modes, ignored pixels, both per_image settings and the non-default options.
"""

from __future__ import annotations

import pytest
import torch

from losskit import Example, get_loss
from losskit_segmentation import reference

IGNORE = 255
REDUCTIONS = ("none", "sum", "mean")


def masks(mode: str, *, n: int = 3, c: int = 3, ignored: bool = False, seed: int = 0) -> Example:
    """Logits ``(n, c, 5, 6)`` (``c = 1`` when binary) and matching targets; some pixels ignored if asked."""
    g = torch.Generator().manual_seed(seed)
    c = 1 if mode == "binary" else c
    logits = 2 * torch.randn((n, c, 5, 6), generator=g, dtype=torch.float64)
    if mode == "multiclass":
        target = torch.randint(0, c, (n, 5, 6), generator=g)
        target[:, 0, :] = 1  # class 2 never in row 0; keeps the last class rare
    elif mode == "binary":
        target = torch.randint(0, 2, (n, 5, 6), generator=g)  # no channel dim: the accepted short form
    else:
        target = torch.randint(0, 2, (n, c, 5, 6), generator=g).to(torch.float64)
    if ignored:
        target[torch.rand(target.shape, generator=g) < 0.2] = IGNORE
        target[0] = IGNORE  # one image fully ignored
    return Example(logits, target)


REFERENCES = {
    "dice": reference.dice_reference,
    "generalized_dice": reference.generalized_dice_reference,
    "jaccard": reference.jaccard_reference,
    "tversky": reference.tversky_reference,
    "focal_tversky": reference.focal_tversky_reference,
    "lovasz_softmax": reference.lovasz_softmax_reference,
    "lovasz_hinge": reference.lovasz_hinge_reference,
}

REGION = ("dice", "generalized_dice", "jaccard", "tversky", "focal_tversky")

CASES = [
    *[(name, mode, {}) for name in REGION for mode in ("multiclass", "binary", "multilabel")],
    ("dice", "multiclass", {"squared": True, "per_image": False}),
    ("dice", "multilabel", {"smooth": 0.0, "ignore_index": IGNORE}),
    ("dice", "multiclass", {"from_logits": False}),
    ("generalized_dice", "multiclass", {"per_image": False, "ignore_index": IGNORE, "smooth": 0.0}),
    ("jaccard", "binary", {"per_image": False, "smooth": 1.0}),
    ("tversky", "multiclass", {"alpha": 0.9, "beta": 0.1, "ignore_index": IGNORE}),
    ("tversky", "multilabel", {"alpha": 0.0, "beta": 2.0, "per_image": False}),
    ("focal_tversky", "multiclass", {"gamma": 3.0, "per_image": False}),
    ("focal_tversky", "binary", {"gamma": 0.5, "alpha": 0.7, "beta": 0.3, "ignore_index": IGNORE}),
    ("lovasz_softmax", "multiclass", {}),
    ("lovasz_softmax", "multiclass", {"per_image": False}),
    ("lovasz_softmax", "multiclass", {"classes": "all", "ignore_index": IGNORE}),
    ("lovasz_softmax", "multiclass", {"per_image": False, "ignore_index": IGNORE}),
    ("lovasz_softmax", "multiclass", {"from_logits": False}),
    ("lovasz_hinge", "binary", {}),
    ("lovasz_hinge", "binary", {"per_image": False, "ignore_index": IGNORE}),
    ("lovasz_hinge", "multilabel", {"ignore_index": IGNORE}),
    ("lovasz_hinge", "multilabel", {"per_image": False}),
]


def _example(name: str, mode: str, params: dict) -> Example:
    example = masks(mode, ignored="ignore_index" in params)
    if not params.get("from_logits", True):
        example = Example(torch.softmax(example.input, dim=1), example.target)
    return example


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
@pytest.mark.parametrize(("name", "mode", "params"), CASES, ids=[f"{n}-{m}-{p}" for n, m, p in CASES])
def test_matches_the_float64_reference(name, mode, params, dtype, reduction):
    params = {**params, "reduction": reduction}
    if name != "lovasz_softmax":
        params["mode"] = mode
    loss = get_loss(name, **params)
    example = _example(name, mode, params)
    expected = REFERENCES[name](example, **loss.hparams)
    got = loss(example.input.to(dtype), example.target)
    assert got.dtype == dtype and got.shape == expected.shape
    tol = {"rtol": 1e-10, "atol": 1e-12} if dtype == torch.float64 else {"rtol": 1e-4, "atol": 1e-5}
    torch.testing.assert_close(got.double(), expected, **tol)


@pytest.mark.parametrize("per_image", [True, False])
def test_none_output_shape(per_image):
    example = masks("multiclass", n=4, c=3)
    per_class = (4, 3) if per_image else (3,)
    for name in ("dice", "jaccard", "tversky", "focal_tversky", "lovasz_softmax"):
        assert get_loss(name, per_image=per_image, reduction="none")(example.input, example.target).shape == per_class
    gdl = get_loss("generalized_dice", per_image=per_image, reduction="none")(example.input, example.target)
    assert gdl.shape == ((4,) if per_image else ())


def test_lovasz_extension_matches_the_brute_force_definition_with_ties():
    from losskit_segmentation._lovasz import lovasz_extension

    g = torch.Generator().manual_seed(3)
    for _ in range(20):
        errors = torch.randint(0, 4, (12,), generator=g).double() / 4  # many ties
        fg = torch.randint(0, 2, (12,), generator=g).double()
        expected = reference.lovasz_extension_reference(errors, fg > 0)
        assert lovasz_extension(errors, fg).item() == pytest.approx(expected, abs=1e-12)
