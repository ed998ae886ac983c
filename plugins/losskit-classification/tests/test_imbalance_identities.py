"""The special cases the papers state, checked against torch.nn.functional where torch has the loss."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from losskit import Registry, UnknownLossError
from losskit_classification.imbalance import SPECS
from losskit_classification.imbalance.asymmetric import asymmetric_loss
from losskit_classification.imbalance.balanced_softmax import balanced_softmax_loss
from losskit_classification.imbalance.class_balanced import class_balanced_loss, class_balanced_weights
from losskit_classification.imbalance.distillation import distillation_loss
from losskit_classification.imbalance.generalized_ce import generalized_ce_loss
from losskit_classification.imbalance.ldam import ldam_loss, ldam_margins
from losskit_classification.imbalance.logit_adjusted import logit_adjusted_loss
from losskit_classification.imbalance.poly1 import poly1_loss
from losskit_classification.imbalance.symmetric_ce import symmetric_ce_loss

REDUCTIONS = ["none", "mean", "sum"]
COUNTS = (1000.0, 200.0, 50.0, 10.0, 2.0)


@pytest.fixture
def logits():
    g = torch.Generator().manual_seed(0)
    return 3 * torch.randn(11, 5, generator=g, dtype=torch.float64), torch.randint(0, 5, (11,), generator=g)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.3])
def test_poly1_with_epsilon_zero_is_cross_entropy(logits, reduction, label_smoothing):
    x, y = logits
    torch.testing.assert_close(
        poly1_loss(x, y, epsilon=0.0, label_smoothing=label_smoothing, reduction=reduction),
        F.cross_entropy(x, y, label_smoothing=label_smoothing, reduction=reduction),
    )


def test_poly1_adds_epsilon_times_one_minus_p_t(logits):
    x, y = logits
    p_t = x.softmax(dim=1)[torch.arange(11), y]
    expected = F.cross_entropy(x, y, reduction="none") + 2.5 * (1 - p_t)
    torch.testing.assert_close(poly1_loss(x, y, epsilon=2.5, reduction="none"), expected)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_class_balanced_with_beta_zero_is_the_unweighted_base(logits, reduction):
    x, y = logits
    one_hot = F.one_hot(y, 5).double()
    bce = F.binary_cross_entropy_with_logits(x, one_hot, reduction="none").sum(dim=1)
    bce = {"none": bce, "sum": bce.sum(), "mean": bce.mean()}[reduction]
    cb = dict(samples_per_class=COUNTS, beta=0.0, reduction=reduction)
    torch.testing.assert_close(class_balanced_loss(x, y, base="softmax", **cb), F.cross_entropy(x, y, reduction=reduction))
    torch.testing.assert_close(class_balanced_loss(x, y, base="sigmoid", **cb), bce)
    torch.testing.assert_close(class_balanced_loss(x, y, base="focal", gamma=0.0, **cb), bce)


def test_class_balanced_softmax_is_class_weighted_cross_entropy(logits):
    x, y = logits
    weights = class_balanced_weights(torch.tensor(COUNTS, dtype=torch.float64), 0.99)
    torch.testing.assert_close(
        class_balanced_loss(x, y, samples_per_class=COUNTS, beta=0.99, reduction="sum"),
        F.cross_entropy(x, y, weight=weights, reduction="sum"),
    )


def test_class_balanced_weights_sum_to_c_and_tend_to_inverse_frequency():
    counts = torch.tensor(COUNTS, dtype=torch.float64)
    for beta in (0.0, 0.9, 0.999):
        torch.testing.assert_close(class_balanced_weights(counts, beta).sum(), torch.tensor(5.0, dtype=torch.float64))
    near_one = class_balanced_weights(counts, 1 - 1e-9)
    inverse = (1 / counts) * (5 / (1 / counts).sum())
    torch.testing.assert_close(near_one, inverse, rtol=1e-5, atol=0)
    # Effective number E_n = (1 - beta^n) / (1 - beta) for beta = 0.9, n = 2: 1.9.
    two = class_balanced_weights(torch.tensor([2.0, 1e6], dtype=torch.float64), 0.9)
    torch.testing.assert_close(two[0] / two[1], torch.tensor((1 - 0.9**1e6) / (1 - 0.9**2), dtype=torch.float64))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_asymmetric_without_focusing_or_margin_is_binary_cross_entropy(logits, reduction):
    x, _ = logits
    t = (torch.rand(x.shape, generator=torch.Generator().manual_seed(1), dtype=torch.float64) > 0.5).double()
    torch.testing.assert_close(
        asymmetric_loss(x, t, gamma_pos=0.0, gamma_neg=0.0, clip=0.0, reduction=reduction),
        F.binary_cross_entropy_with_logits(x, t, reduction=reduction),
    )


def test_asymmetric_margin_discards_easy_negatives():
    x = torch.tensor([[-4.0, 0.0, 4.0]], dtype=torch.float64)  # p = 0.018, 0.5, 0.982
    loss = asymmetric_loss(x, torch.zeros_like(x), gamma_neg=0.0, clip=0.05, reduction="none")
    assert loss[0, 0] == 0  # p <= m: p_m = 0, no loss and no gradient
    torch.testing.assert_close(loss[0, 1:], -torch.log(1 - (torch.sigmoid(x[0, 1:]) - 0.05)))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_logit_adjusted_special_cases(logits, reduction):
    x, y = logits
    torch.testing.assert_close(
        logit_adjusted_loss(x, y, tau=0.0, samples_per_class=COUNTS, reduction=reduction),
        F.cross_entropy(x, y, reduction=reduction),
    )
    torch.testing.assert_close(
        logit_adjusted_loss(x, y, tau=1.0, samples_per_class=COUNTS, reduction=reduction),
        balanced_softmax_loss(x, y, samples_per_class=COUNTS, reduction=reduction),
    )
    priors = tuple(7 * n / sum(COUNTS) for n in COUNTS)  # unnormalised priors give the same loss
    torch.testing.assert_close(
        logit_adjusted_loss(x, y, tau=0.5, class_priors=priors, reduction=reduction),
        logit_adjusted_loss(x, y, tau=0.5, samples_per_class=COUNTS, reduction=reduction),
    )
    log_prior = torch.log(torch.tensor(COUNTS, dtype=torch.float64) / sum(COUNTS))
    torch.testing.assert_close(
        logit_adjusted_loss(x, y, tau=2.0, samples_per_class=COUNTS, reduction=reduction),
        F.cross_entropy(x + 2.0 * log_prior, y, reduction=reduction),
    )


def test_ldam_margins_and_cross_entropy_form(logits):
    x, y = logits
    margins = ldam_margins(torch.tensor(COUNTS, dtype=torch.float64), 0.5)
    assert margins.max().item() == pytest.approx(0.5)
    assert margins.argmax().item() == 4  # the rarest class gets the largest margin
    torch.testing.assert_close(margins * torch.tensor(COUNTS, dtype=torch.float64) ** 0.25,
                               torch.full((5,), margins[0].item() * COUNTS[0] ** 0.25, dtype=torch.float64))
    shifted = x - F.one_hot(y, 5).double() * margins[y].unsqueeze(1)
    torch.testing.assert_close(
        ldam_loss(x, y, samples_per_class=COUNTS, max_m=0.5, s=30.0, reduction="none"),
        F.cross_entropy(30.0 * shifted, y, reduction="none"),
    )
    # Equal counts: every class gets max_m.
    torch.testing.assert_close(ldam_margins(torch.ones(5, dtype=torch.float64), 0.3),
                               torch.full((5,), 0.3, dtype=torch.float64))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_generalized_ce_limits(logits, reduction):
    x, y = logits
    torch.testing.assert_close(
        generalized_ce_loss(x, y, q=1e-7, reduction=reduction),
        F.cross_entropy(x, y, reduction=reduction),
        rtol=1e-5,
        atol=1e-6,
    )
    mae = 1 - x.softmax(dim=1)[torch.arange(11), y]
    mae = {"none": mae, "sum": mae.sum(), "mean": mae.mean()}[reduction]
    torch.testing.assert_close(generalized_ce_loss(x, y, q=1.0, reduction=reduction), mae)


def test_generalized_ce_decreases_towards_cross_entropy_as_q_shrinks(logits):
    x, y = logits
    ce = F.cross_entropy(x, y)
    gaps = [(ce - generalized_ce_loss(x, y, q=q)).item() for q in (0.9, 0.5, 0.1, 0.01)]
    assert all(g > 0 for g in gaps) and gaps == sorted(gaps, reverse=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_symmetric_ce_special_cases(logits, reduction):
    x, y = logits
    torch.testing.assert_close(
        symmetric_ce_loss(x, y, alpha=1.0, beta=0.0, reduction=reduction), F.cross_entropy(x, y, reduction=reduction)
    )
    rce = 4.0 * (1 - x.softmax(dim=1)[torch.arange(11), y])
    rce = {"none": rce, "sum": rce.sum(), "mean": rce.mean()}[reduction]
    torch.testing.assert_close(symmetric_ce_loss(x, y, alpha=0.0, beta=1.0, log_zero=-4.0, reduction=reduction), rce)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_distillation_special_cases(logits, reduction):
    x, y = logits
    teacher = torch.randn(x.shape, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    torch.testing.assert_close(
        distillation_loss(x, y, teacher_logits=teacher, alpha=0.0, reduction=reduction),
        F.cross_entropy(x, y, reduction=reduction),
    )
    same = distillation_loss(x, y, teacher_logits=x, alpha=1.0, reduction=reduction)
    torch.testing.assert_close(same, torch.zeros_like(same))
    if reduction != "none":
        kl = F.kl_div((x / 3.0).log_softmax(1), (teacher / 3.0).log_softmax(1), log_target=True, reduction="sum")
        expected = 9.0 * kl / (11 if reduction == "mean" else 1)
        torch.testing.assert_close(
            distillation_loss(x, y, teacher_logits=teacher, temperature=3.0, alpha=1.0, reduction=reduction), expected
        )


def test_distillation_does_not_train_the_teacher(logits):
    x, y = logits
    student, teacher = x.clone().requires_grad_(), torch.randn(11, 5, dtype=torch.float64, requires_grad=True)
    distillation_loss(student, y, teacher_logits=teacher).backward()
    assert teacher.grad is None and student.grad is not None


@pytest.mark.parametrize(
    "spec, identity",
    [(spec, identity) for spec in SPECS for identity in spec.identities],
    ids=lambda v: getattr(v, "name", None) or getattr(v, "equals", ""),
)
def test_declared_identities(spec, identity):
    registry = Registry()
    try:
        other = registry.get_loss(identity.equals, **identity.equals_params, reduction="none")
    except UnknownLossError:
        pytest.skip(f"{identity.equals} is not registered")
    example = spec.example(torch.Generator().manual_seed(3), dtype=torch.float64, device="cpu", batch_size=6)
    loss = registry.get_loss(spec.name, **identity.params, reduction="none")
    torch.testing.assert_close(
        loss(example.input, example.target, **example.context), other(example.input, example.target, **example.context)
    )


def test_registered_under_names_and_aliases():
    registry = Registry()
    for spec in SPECS:
        for name in (spec.name, *spec.aliases):
            assert registry.get_spec(name) is spec
        assert spec.name in registry.list_losses(family="classification")
        assert spec.source in registry.describe(spec.name)
