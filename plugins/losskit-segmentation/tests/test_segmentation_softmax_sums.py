"""The fused softmax sums' closed-form backward (``_softmax_sums``) against autograd, in float64."""

from __future__ import annotations

import pytest
import torch
from torch.autograd import gradcheck, gradgradcheck

from losskit import get_loss
from losskit_segmentation._softmax_sums import _plain, softmax_sums

IGNORE = 255


def case(masked: bool, seed: int = 0, n: int = 2, c: int = 3, p: int = 7):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, c, p, generator=g, dtype=torch.float64, requires_grad=True)
    index = torch.randint(0, c, (n, 1, p), generator=g)
    valid = None
    if masked:
        valid = (torch.rand(n, 1, p, generator=g) > 0.3).double()
        index = index * valid.long()  # 0 at ignored pixels, as class_indices gives them
    return x, index, valid


@pytest.mark.parametrize("squared", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_gradcheck_and_gradgradcheck(masked, squared):
    x, index, valid = case(masked)
    fn = lambda x: softmax_sums(x, index, valid, squared=squared)  # noqa: E731
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


@pytest.mark.parametrize("squared", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_closed_form_equals_autograd_of_the_plain_form(masked, squared):
    x, index, valid = case(masked, seed=1, n=3, c=4, p=50)
    g = torch.Generator().manual_seed(2)
    grads = (torch.randn(3, 4, generator=g, dtype=torch.float64), torch.randn(3, 4, generator=g, dtype=torch.float64))
    fused = softmax_sums(x, index, valid, squared=squared)
    plain = _plain(x, index, valid, squared)
    for f, p in zip(fused, plain):
        torch.testing.assert_close(f, p)
    (ours,) = torch.autograd.grad(fused, x, grads)
    (theirs,) = torch.autograd.grad(plain, x, grads)
    torch.testing.assert_close(ours, theirs)
    if valid is not None:  # ignored pixels get no gradient
        assert (ours * (1 - valid)).abs().max() == 0


@pytest.mark.parametrize("name", ["dice", "jaccard", "tversky", "focal_tversky", "generalized_dice"])
@pytest.mark.parametrize("per_image", [True, False])
def test_region_losses_gradcheck_through_the_fused_sums(name, per_image):
    g = torch.Generator().manual_seed(3)
    x = torch.randn(2, 3, 3, 4, generator=g, dtype=torch.float64, requires_grad=True)
    target = torch.randint(0, 3, (2, 3, 4), generator=g)
    target[0, 0, :2] = IGNORE
    params = {"squared": True} if name == "dice" else {}
    loss = get_loss(name, per_image=per_image, ignore_index=IGNORE, **params)
    assert gradcheck(lambda x: loss(x, target), (x,))
    if name in ("dice", "jaccard"):  # second derivatives of the loss over the sums' (see above)
        assert gradgradcheck(lambda x: loss(x, target), (x,))


def test_nan_logit_makes_its_image_nan_even_at_an_ignored_pixel():
    x, index, valid = case(masked=True, seed=4)
    x, valid, index = x.detach().clone(), valid.clone(), index.clone()
    valid[0, 0, 0], index[0, 0, 0] = 0, 0
    x[0, 0, 0] = float("nan")
    intersection, mass = softmax_sums(x, index, valid, squared=False)
    assert mass[0].isnan().all() and intersection[0, 0].isnan()  # the ignored pixel counts as class 0
    assert not mass[1].isnan().any() and not intersection[1].isnan().any()
