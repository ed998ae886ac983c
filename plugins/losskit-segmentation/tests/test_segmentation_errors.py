"""Wrong shapes, dtypes, classes and parameters raise errors that say what came and how to fix it."""

from __future__ import annotations

import pytest
import torch

from losskit import get_loss
from losskit.errors import InvalidParamError, LossInputError
from losskit_segmentation import dice_loss, lovasz_hinge_loss

LOGITS = torch.randn(2, 3, 4, 4)
INDICES = torch.randint(0, 3, (2, 4, 4))
REGION = ["dice", "generalized_dice", "jaccard", "tversky", "focal_tversky"]


@pytest.mark.parametrize("name", [*REGION, "lovasz_softmax"])
@pytest.mark.parametrize(
    ("input", "target", "match"),
    [
        (LOGITS, INDICES.float(), "integer class indices"),
        (LOGITS, torch.full((2, 4, 4), 3), r"\[0, 3\)"),
        (LOGITS, torch.full((2, 4, 4), -1), r"\[0, 3\)"),
        (LOGITS, INDICES[:, :3], r"shape \(2, 4, 4\)"),
        (LOGITS, torch.zeros(2, 3, 4, 4, dtype=torch.long), "argmax"),
        (LOGITS[:, :1], INDICES.clamp(max=0), "For one foreground channel use (mode='binary'|lovasz_hinge)"),
        (torch.randn(4), INDICES, r"\(N, C, \*spatial\)"),
        (LOGITS.long(), INDICES, "floating-point"),
    ],
    ids=["float-target", "class-too-large", "negative-class", "wrong-shape", "one-hot", "one-class", "1d",
         "int-input"],
)
def test_multiclass_input_errors(name, input, target, match):
    with pytest.raises(LossInputError, match=match):
        get_loss(name)(input, target)


@pytest.mark.parametrize("name", [*REGION, "lovasz_hinge"])
def test_binary_and_multilabel_errors(name):
    with pytest.raises(LossInputError, match="mode='multilabel'"):
        get_loss(name, mode="binary")(LOGITS, INDICES)
    with pytest.raises(LossInputError, match="0 or 1"):
        get_loss(name, mode="binary")(LOGITS[:, :1], torch.full((2, 1, 4, 4), 2.0))
    with pytest.raises(LossInputError, match=r"shape \(2, 3, 4, 4\)"):
        get_loss(name, mode="multilabel")(LOGITS, INDICES)
    with pytest.raises(LossInputError, match=r"\(2, 1, 4, 4\) or \(2, 4, 4\)"):
        get_loss(name, mode="binary")(LOGITS[:, :1], torch.zeros(2, 4))
    with pytest.raises(LossInputError, match="complex"):
        get_loss(name, mode="binary")(LOGITS[:, :1], torch.zeros(2, 4, 4, dtype=torch.complex64))


@pytest.mark.parametrize("name", [*REGION, "lovasz_softmax"])
def test_probabilities_out_of_range(name):
    with pytest.raises(LossInputError, match="from_logits=True"):
        get_loss(name, from_logits=False)(LOGITS * 10, INDICES)


@pytest.mark.parametrize(
    ("name", "params", "match"),
    [
        ("dice", {"mode": "multi"}, "did you mean"),
        ("dice", {"smooth": -1.0}, "smooth"),
        ("jaccard", {"eps": 0.0}, "eps"),
        ("tversky", {"alpha": -0.1}, "alpha"),
        ("focal_tversky", {"gamma": 0.0}, "gamma"),
        ("lovasz_softmax", {"classes": "some"}, "classes"),
        ("lovasz_hinge", {"mode": "multiclass"}, "mode"),
        ("generalized_dice", {"per_image": "yes"}, "per_image"),
        ("dice", {"weight": (1.0, 2.0)}, "Valid parameters"),
    ],
)
def test_invalid_params(name, params, match):
    with pytest.raises(InvalidParamError, match=match):
        get_loss(name, **params)


def test_functional_forms_validate_their_params():
    with pytest.raises(InvalidParamError, match="mode"):
        dice_loss(LOGITS, INDICES, mode="bogus")
    with pytest.raises(InvalidParamError, match="reduction"):
        lovasz_hinge_loss(LOGITS[:, :1], INDICES.clamp(max=1), reduction="avg")


@pytest.mark.parametrize(
    ("name", "param"),
    [("dice", "smooth"), ("jaccard", "eps"), ("tversky", "alpha"), ("tversky", "beta"),
     ("focal_tversky", "gamma"), ("generalized_dice", "smooth")],
)
def test_infinite_params_are_refused(name, param):
    # smooth=inf or alpha=inf made the loss nan; eps=inf or gamma=inf a constant with no gradient.
    with pytest.raises(InvalidParamError, match=f"{param}: must be finite, got inf"):
        get_loss(name, **{param: float("inf")})


def test_multiclass_target_with_a_channel_dim_says_squeeze():
    with pytest.raises(LossInputError, match=r"target.squeeze\(1\)"):
        get_loss("dice")(LOGITS, INDICES.unsqueeze(1))


def test_lovasz_errors_point_to_the_other_lovasz_loss():
    # lovasz_softmax has no mode and lovasz_hinge no 'multiclass' mode: the fix is the other loss.
    with pytest.raises(LossInputError, match="use lovasz_hinge") as info:
        get_loss("lovasz_softmax")(LOGITS[:, :1], INDICES.clamp(max=0))
    assert "use mode=" not in str(info.value)
    for target in (INDICES, torch.full((2, 1, 4, 4), 2)):
        with pytest.raises(LossInputError, match="use lovasz_softmax") as info:
            get_loss("lovasz_hinge")(LOGITS[:, :1], target)
        assert "mode='multiclass'" not in str(info.value)
    with pytest.raises(LossInputError, match="lovasz_softmax") as info:
        get_loss("lovasz_hinge")(LOGITS, INDICES)
    assert "mode='multiclass'" not in str(info.value)
    with pytest.raises(LossInputError, match=r"lovasz_hinge\(mode='multilabel'\)"):
        get_loss("lovasz_softmax")(LOGITS, torch.zeros(2, 3, 4, 4, dtype=torch.long))
