"""Values computed by hand on tiny masks, and the conventions the docstrings promise."""

from __future__ import annotations

import pytest
import torch

from losskit import get_loss

EXACT = {"smooth": 0.0, "from_logits": False, "mode": "binary"}


def binary(values) -> torch.Tensor:
    """A (1, 1, 2, 2) mask or probability map from four values."""
    return torch.tensor(values, dtype=torch.float64).reshape(1, 1, 2, 2)


TARGET = binary([1, 0, 1, 1])
PROB = binary([0.5, 0.5, 1, 0])  # I = 1.5, sum p = 2, sum g = 3, FP = 0.5, FN = 1.5


@pytest.mark.parametrize("name", ["dice", "jaccard", "tversky", "focal_tversky", "generalized_dice"])
def test_perfect_prediction_gives_0_and_disjoint_gives_1(name):
    loss = get_loss(name, **EXACT)
    assert loss(TARGET, TARGET).item() == 0
    assert loss(1 - TARGET, TARGET).item() == 1


@pytest.mark.parametrize(
    ("name", "params", "expected"),
    [
        ("dice", {}, 1 - 3 / 5),
        ("dice", {"squared": True}, 1 - 3 / 4.5),  # sum p^2 = 1.5, sum g^2 = 3
        ("jaccard", {}, 1 - 1.5 / 3.5),
        ("tversky", {"alpha": 0.3, "beta": 0.7}, 1 - 1.5 / (1.5 + 0.3 * 0.5 + 0.7 * 1.5)),
        ("tversky", {"alpha": 0.5, "beta": 0.5}, 1 - 3 / 5),  # Dice
        ("focal_tversky", {"gamma": 2.0}, (4 / 9) ** 0.5),  # (1 - TI)^(1/gamma), TI = 5/9
        ("focal_tversky", {"gamma": 1.0}, 4 / 9),
        ("dice", {"smooth": 1.0}, 1 - 4 / 6),
    ],
)
def test_hand_computed_values(name, params, expected):
    assert get_loss(name, **{**EXACT, **params})(PROB, TARGET).item() == pytest.approx(expected, abs=1e-12)


def test_tversky_alpha_weighs_false_positives_and_beta_false_negatives():
    everywhere, one = binary([1, 1, 1, 1]), binary([1, 0, 0, 0])  # 3 false positives, no false negative
    assert get_loss("tversky", **EXACT, alpha=0.0, beta=1.0)(everywhere, one).item() == 0
    assert get_loss("tversky", **EXACT, alpha=1.0, beta=0.0)(everywhere, one).item() == pytest.approx(0.75)
    assert get_loss("tversky", **EXACT, alpha=1.0, beta=0.0)(one, everywhere).item() == 0


def test_generalized_dice_weights_inverse_squared_volumes():
    # Class A: volume 1, predicted perfectly; class B: volume 3, not predicted. w = (1, 1/9).
    target = torch.tensor([[1, 0, 0, 0], [0, 1, 1, 1]], dtype=torch.float64).reshape(1, 2, 2, 2)
    prob = torch.tensor([[1, 0, 0, 0], [0, 0, 0, 0]], dtype=torch.float64).reshape(1, 2, 2, 2)
    loss = get_loss("generalized_dice", mode="multilabel", smooth=0.0, from_logits=False)
    assert loss(prob, target).item() == pytest.approx(1 - 2 / (2 + 3 / 9), abs=1e-12)
    # Class B absent from the target takes the largest present weight (1): num 2, den 2 + 2.
    absent = torch.tensor([[1, 0, 0, 0], [0, 0, 0, 0]], dtype=torch.float64).reshape(1, 2, 2, 2)
    half = torch.tensor([[1, 0, 0, 0], [0.5] * 4], dtype=torch.float64).reshape(1, 2, 2, 2)
    assert loss(half, absent).item() == pytest.approx(0.5, abs=1e-12)


def test_absent_class_is_counted_with_smooth():
    empty = torch.zeros(1, 1, 2, 2, dtype=torch.float64)
    dice = get_loss("dice", mode="binary", from_logits=False)  # smooth = 1e-5
    assert dice(empty, empty).item() == 0
    assert dice(torch.full_like(empty, 0.5), empty).item() == pytest.approx(1 - 1e-5 / (2 + 1e-5))
    assert get_loss("dice", **EXACT)(empty, empty).item() == 0  # 0 / 0 counts as a perfect score


def test_lovasz_hinge_by_hand():
    logits = torch.tensor([[[2.0, -1.0, 0.5]]], dtype=torch.float64)
    target = torch.tensor([[[1, 0, 0]]])
    # errors max(0, 1 - x s) = (0, 0, 1.5); the first prefix {pixel 3} has Jaccard loss 1 / |{1, 3}|.
    assert get_loss("lovasz_hinge")(logits, target).item() == pytest.approx(0.75, abs=1e-12)


def test_lovasz_softmax_by_hand():
    p0 = torch.tensor([0.9, 0.4, 0.3], dtype=torch.float64)
    prob = torch.stack([p0, 1 - p0]).reshape(1, 2, 3)
    # class 0: errors (.1, .6, .3), G = {0, 1}: .6 * 1/2 + .3 * (2/3 - 1/2) + .1 * (1 - 2/3) = 23/60
    # class 1: errors (.1, .6, .3), G = {2}:    .6 * 1/2 + .3 * (1 - 1/2)   + .1 * 0         = 27/60
    loss = get_loss("lovasz_softmax", from_logits=False, reduction="none")
    none = loss(prob, torch.tensor([[0, 0, 1]]))
    torch.testing.assert_close(none, torch.tensor([[23 / 60, 27 / 60]], dtype=torch.float64))
    assert get_loss("lovasz_softmax", from_logits=False)(prob, torch.tensor([[0, 0, 1]])).item() == pytest.approx(5 / 12)
    # Class 1 absent: 'present' averages over class 0 only, 'all' counts class 1's largest error too.
    only_zero = torch.tensor([[0, 0, 0]])
    present = get_loss("lovasz_softmax", from_logits=False)(prob, only_zero).item()
    every = get_loss("lovasz_softmax", from_logits=False, classes="all")(prob, only_zero).item()
    per_class = get_loss("lovasz_softmax", from_logits=False, classes="all", reduction="none")(prob, only_zero)
    assert present == pytest.approx(per_class[0, 0].item())
    assert per_class[0, 1].item() == pytest.approx(0.7)  # absent class: its largest probability
    assert every == pytest.approx(per_class.mean().item())


def test_lovasz_perfect_gives_0_and_wrong_one_hot_gives_1():
    target = torch.tensor([[0, 1, 1, 0]])
    onehot = torch.nn.functional.one_hot(target, 2).permute(0, 2, 1).double()
    loss = get_loss("lovasz_softmax", from_logits=False)
    assert loss(onehot, target).item() == 0
    assert loss(onehot.flip(1), target).item() == 1


@pytest.mark.parametrize("name", ["dice", "generalized_dice", "jaccard", "tversky", "focal_tversky",
                                  "lovasz_softmax"])
def test_batch_loss_is_the_loss_of_the_images_side_by_side(name):
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(3, 4, 5, 6, generator=g, dtype=torch.float64)
    target = torch.randint(0, 4, (3, 5, 6), generator=g)
    batch = get_loss(name, per_image=False, reduction="sum")(logits, target)
    side_by_side = get_loss(name, reduction="sum")(torch.cat(logits.unbind(0), -1)[None], torch.cat(target.unbind(0), -1)[None])
    torch.testing.assert_close(batch, side_by_side)


def test_focal_tversky_is_the_tversky_loss_to_the_power_one_over_gamma():
    g = torch.Generator().manual_seed(2)
    logits, target = torch.randn(2, 3, 4, 4, generator=g, dtype=torch.float64), torch.randint(0, 3, (2, 4, 4), generator=g)
    tversky = get_loss("tversky", reduction="none")(logits, target)
    for gamma in (4 / 3, 3.0, 0.75):
        focal = get_loss("focal_tversky", gamma=gamma, reduction="none")(logits, target)
        torch.testing.assert_close(focal, tversky ** (1 / gamma))


def test_identities_with_tversky():
    g = torch.Generator().manual_seed(4)
    logits, target = torch.randn(2, 3, 4, 4, generator=g, dtype=torch.float64), torch.randint(0, 3, (2, 4, 4), generator=g)
    jaccard = get_loss("jaccard", smooth=0.3)(logits, target)
    torch.testing.assert_close(get_loss("tversky", alpha=1.0, beta=1.0, smooth=0.3)(logits, target), jaccard)
    dice = get_loss("dice", smooth=0.0)(logits, target)
    torch.testing.assert_close(get_loss("tversky", alpha=0.5, beta=0.5, smooth=0.0)(logits, target), dice)
