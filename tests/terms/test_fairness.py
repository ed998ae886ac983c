"""Fairness penalties (Hardt, Price & Srebro 2016) against a brute-force float64 reference."""

from __future__ import annotations

import itertools

import pytest
import torch

from losskit import ContextError, Example, InvalidParamError, LossInputError, get_loss
from losskit.terms.fairness import DemographicParity, EqualizedOdds, EqualOpportunity
from losskit.terms.reference import (
    demographic_parity_reference,
    equal_opportunity_reference,
    equalized_odds_reference,
)

LOSSES = {
    "demographic_parity": (DemographicParity, demographic_parity_reference),
    "equal_opportunity": (EqualOpportunity, equal_opportunity_reference),
    "equalized_odds": (EqualizedOdds, equalized_odds_reference),
}
SETTINGS = [dict(gap=g, form=f) for g, f in itertools.product(("max_pairwise", "to_overall"), ("absolute", "squared"))]


def probs(*values):
    return torch.tensor(values, dtype=torch.float64)


# Three groups present (0, 1, 3), id 2 absent; rates 0.3, 0.7, 0.1; overall rate 2.1 / 5 = 0.42.
P = probs(0.2, 0.4, 0.5, 0.9, 0.1)
G = torch.tensor([0, 0, 1, 1, 3])


@pytest.mark.parametrize(
    ("gap", "form", "expected"),
    [
        ("max_pairwise", "absolute", 0.6),
        ("max_pairwise", "squared", 0.36),
        ("to_overall", "absolute", (0.12 + 0.28 + 0.32) / 3),
        ("to_overall", "squared", (0.12**2 + 0.28**2 + 0.32**2) / 3),
    ],
)
def test_demographic_parity_hand_computed(gap, form, expected):
    loss = DemographicParity(from_logits=False, gap=gap, form=form)
    assert loss(P, torch.zeros(5), groups=G).item() == pytest.approx(expected, abs=1e-15)


def test_equal_opportunity_and_equalized_odds_hand_computed():
    y = probs(1, 0, 1, 1, 0)
    # TPR: g0 {0.2}=0.2, g1 {0.5, 0.9}=0.7, g3 none -> left out. FPR: g0 {0.4}, g1 none, g3 {0.1}.
    assert EqualOpportunity(from_logits=False)(P, y, groups=G).item() == pytest.approx(0.5)
    assert EqualizedOdds(from_logits=False)(P, y, groups=G).item() == pytest.approx(0.5 + 0.3)
    overall_tpr = 1.6 / 3
    expected = (abs(0.2 - overall_tpr) + abs(0.7 - overall_tpr)) / 2 + (0.15 + 0.15) / 2
    assert EqualizedOdds(from_logits=False, gap="to_overall")(P, y, groups=G).item() == pytest.approx(expected)


def random_example(seed, n, group_ids, positive_rate=0.5):
    g = torch.Generator().manual_seed(seed)
    logits = 3 * torch.randn(n, generator=g, dtype=torch.float64)
    labels = (torch.rand(n, generator=g, dtype=torch.float64) < positive_rate).to(torch.float64)
    groups = torch.tensor(group_ids)[torch.randint(0, len(group_ids), (n,), generator=g)]
    return Example(logits, labels, {"groups": groups})


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: f"{s['gap']}-{s['form']}")
@pytest.mark.parametrize(
    ("seed", "n", "group_ids"),
    [(0, 40, (0, 1, 2)), (1, 25, (0, 2, 5, 7)), (2, 9, (1, 3, 4, 6, 8)), (3, 3, (0, 1, 2, 3)), (4, 1, (2,)),
     (5, 0, (0,))],
)
def test_matches_brute_force_reference(name, settings, seed, n, group_ids):
    cls, reference = LOSSES[name]
    ex = random_example(seed, n, group_ids)
    expected = reference(ex, from_logits=True, reduction="mean", **settings)
    got = cls(**settings)(ex.input, ex.target, **ex.context)
    assert got.dtype == torch.float64
    assert torch.allclose(got, expected, rtol=1e-12, atol=1e-15)
    probabilities = Example(torch.sigmoid(ex.input), ex.target, ex.context)
    got = cls(from_logits=False, **settings)(probabilities.input, probabilities.target, **probabilities.context)
    assert torch.allclose(got, reference(probabilities, from_logits=False, reduction="mean", **settings))


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: f"{s['gap']}-{s['form']}")
def test_exactly_zero_when_the_constraint_holds(name, settings):
    # Groups of different sizes (and id 2 absent), each with rate 0.25 among positives and among negatives.
    p = probs(0.0, 0.5, 0.25, 0.25, 0.5, 0.0, 0.25, 0.125, 0.375)
    y = probs(1, 1, 0, 1, 0, 0, 0, 1, 1)
    g = torch.tensor([0, 0, 0, 1, 1, 1, 3, 3, 3])
    assert LOSSES[name][0](from_logits=False, **settings)(p, y, groups=g).item() == 0.0


def test_absent_groups_and_groups_without_positives_are_left_out():
    y = probs(1, 0, 1, 1, 0)
    loss = EqualOpportunity(from_logits=False, gap="to_overall")
    base = loss(P, y, groups=G)
    relabelled = loss(P, y, groups=torch.tensor([0, 0, 10, 10, 20]))  # ids 1..9 and 11..19 absent
    assert torch.equal(base, relabelled)
    only_one_group_has_positives = loss(P, probs(1, 1, 0, 0, 0), groups=G)
    assert only_one_group_has_positives.item() == 0.0


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("n", [0, 1])
def test_fewer_than_two_groups_give_zero_with_finite_gradient(name, n):
    x = torch.full((n,), 0.3, dtype=torch.float64, requires_grad=True)
    value = get_loss(name)(x, torch.ones(n), groups=torch.zeros(n, dtype=torch.long))
    value.backward()
    assert value.item() == 0.0 and torch.equal(x.grad, torch.zeros(n, dtype=torch.float64))


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: f"{s['gap']}-{s['form']}")
def test_gradcheck(name, settings):
    ex = random_example(11, 30, (0, 1, 3, 4))
    loss = LOSSES[name][0](**settings)
    x = ex.input.clone().requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x: loss(x, ex.target, **ex.context), (x,))


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
def test_extreme_logits_give_finite_values_and_gradients(name, dtype):
    x = torch.tensor([1e4, -1e4, 1e4, -1e4, 3.0, -1e4], dtype=dtype, requires_grad=True)
    y = torch.tensor([1, 0, 0, 1, 1, 0], dtype=dtype)
    value = get_loss(name)(x, y, groups=torch.tensor([0, 0, 1, 1, 2, 2]))
    value.backward()
    assert value.dtype == dtype and torch.isfinite(value) and torch.isfinite(x.grad).all()


@pytest.mark.parametrize("name", LOSSES)
def test_bfloat16_close_to_float64(name):
    ex = random_example(7, 64, (0, 1, 2))
    want = get_loss(name)(ex.input, ex.target, **ex.context)
    got = get_loss(name)(ex.input.bfloat16(), ex.target.bfloat16(), **ex.context)
    assert abs(got.double().item() - want.item()) < 2e-2


def test_integer_and_boolean_labels_are_accepted():
    y = probs(1, 0, 1, 1, 0)
    want = EqualizedOdds(from_logits=False)(P, y, groups=G)
    assert torch.equal(EqualizedOdds(from_logits=False)(P, y.long(), groups=G), want)
    assert torch.equal(EqualizedOdds(from_logits=False)(P, y.bool(), groups=G.int()), want)


def test_inputs_are_not_mutated():
    x, y, g = P.clone(), probs(1, 0, 1, 1, 0), G.clone()
    EqualizedOdds()(x, y, groups=g)
    assert torch.equal(x, P) and torch.equal(g, G)


# -- errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", LOSSES)
def test_missing_groups_is_a_context_error(name):
    with pytest.raises(ContextError, match="needs the context keyword 'groups'"):
        get_loss(name)(P, torch.zeros(5))
    with pytest.raises(ContextError, match="did you mean 'groups'"):
        get_loss(name)(P, torch.zeros(5), group=G)


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        (torch.tensor([0, 0, 1, 1]), r"groups must have the input's shape \(5,\).*got \(4,\)"),
        (torch.zeros(5, 1, dtype=torch.long), r"got \(5, 1\)"),
        (torch.tensor([0.0, 0, 1, 1, 2]), "integer group ids.*got torch.float32"),
        (torch.tensor([True, False, True, True, False]), "integer group ids.*got torch.bool"),
        (torch.tensor([0, -1, 1, 1, 2]), r"groups must lie in \[0, inf\], got -1"),
        ([0, 0, 1, 1, 2], "groups must be a torch.Tensor, got list"),
    ],
)
def test_bad_groups(groups, message):
    with pytest.raises(LossInputError, match=message):
        DemographicParity()(P, torch.zeros(5), groups=groups)


def test_probabilities_out_of_range_without_from_logits():
    with pytest.raises(LossInputError, match=r"input must lie in \[0, 1\], got 1.5. Pass from_logits=True"):
        DemographicParity(from_logits=False)(probs(0.1, 1.5), torch.zeros(2), groups=torch.tensor([0, 1]))


@pytest.mark.parametrize("name", ["equal_opportunity", "equalized_odds"])
def test_labels_must_be_binary(name):
    with pytest.raises(LossInputError, match="target must hold 0 or 1, got 0.5. The labels are binary"):
        get_loss(name)(P, probs(1, 0, 0.5, 1, 0), groups=G)


def test_demographic_parity_checks_only_the_target_shape():
    assert DemographicParity()(P, probs(7, -3, 0.5, 1, 0), groups=G).isfinite()
    with pytest.raises(LossInputError, match="same shape"):
        DemographicParity()(P, torch.zeros(4), groups=G)


@pytest.mark.parametrize(
    ("x", "message"),
    [(torch.zeros(5, 1, dtype=torch.float64), r"input must have shape \(N,\)"),
     (torch.zeros(5, dtype=torch.long), "floating-point")],
)
def test_input_shape_and_dtype(x, message):
    with pytest.raises(LossInputError, match=message):
        DemographicParity()(x, torch.zeros_like(x), groups=torch.zeros(x.shape, dtype=torch.long))


@pytest.mark.parametrize(
    ("params", "message"),
    [({"reduction": "none"}, "must be one of 'mean'"), ({"gap": "max"}, "must be one of 'max_pairwise', 'to_overall'"),
     ({"form": "abs"}, "must be one of 'absolute', 'squared'")],
)
def test_invalid_params(params, message):
    with pytest.raises(InvalidParamError, match=message):
        get_loss("equalized_odds", **params)
