"""The attack's invariants, for every loss of the family: gradients, modes, BatchNorm, the threat model, null attacks."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from losskit import get_loss
from losskit.errors import LossInputError
from losskit_adversarial import pgd_attack
from losskit_adversarial._attack import Attack, kl_objective, restored_modes

NAMES = ("pgd_adversarial", "fgsm_adversarial", "trades_kl", "trades", "mart")
FAST = {"steps": 3}  # fgsm has no steps parameter


def params(name, **extra):
    return {**({} if name == "fgsm_adversarial" else FAST), **extra}


def bn_model(seed=0):
    """Linear -> BatchNorm -> ReLU -> Dropout -> Linear, with non-trivial running statistics."""
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(5, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.3), nn.Linear(8, 3))
    with torch.no_grad():
        model[1].running_mean.normal_()
        model[1].running_var.uniform_(0.5, 2.0)
    return model


def batch(n=8, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 5, generator=g), torch.randint(0, 3, (n,), generator=g)


@pytest.mark.parametrize("name", NAMES)
def test_parameter_grads_are_untouched(name):
    model, (x, y) = bn_model(), batch()
    for p in model.parameters():
        p.grad = torch.full_like(p, 7.0)
    model[0].bias.grad = None
    before = {n: (p.grad, None if p.grad is None else p.grad.clone()) for n, p in model.named_parameters()}
    get_loss(name, **params(name))(model(x), y, model=model, inputs=x)
    for n, p in model.named_parameters():
        grad, values = before[n]
        assert p.grad is grad, n
        if values is not None:
            assert torch.equal(p.grad, values), n


@pytest.mark.parametrize("bn_mode", ["eval", "train"])
@pytest.mark.parametrize("name", NAMES)
def test_every_submodule_mode_is_restored(name, bn_mode):
    model, (x, y) = bn_model(), batch()
    model[1].eval()  # mixed modes: a frozen BatchNorm inside a training model
    modes = [m.training for m in model.modules()]
    get_loss(name, **params(name, bn_mode=bn_mode))(model(x), y, model=model, inputs=x)
    assert [m.training for m in model.modules()] == modes


@pytest.mark.parametrize("bn_mode", ["eval", "train"])
@pytest.mark.parametrize("name", NAMES)
def test_only_the_final_forward_updates_batchnorm_statistics(name, bn_mode):
    model, (x, y) = bn_model(), batch()
    bn = model[1]
    with torch.no_grad():
        clean = model(x)  # one forward of the user's, outside the loss
    stats = [t.clone() for t in (bn.running_mean, bn.running_var, bn.num_batches_tracked)]
    objects = [bn.running_mean, bn.running_var, bn.num_batches_tracked]
    get_loss(name, **params(name, bn_mode=bn_mode))(clean, y, model=model, inputs=x)
    assert [bn.running_mean, bn.running_var, bn.num_batches_tracked] == objects  # the same tensors, updated in place
    assert bn.num_batches_tracked.item() == stats[2].item() + 1  # the adversarial forward pass only
    model.eval()
    before = [t.clone() for t in (bn.running_mean, bn.running_var, bn.num_batches_tracked)]
    get_loss(name, **params(name, bn_mode=bn_mode))(model(x), y, model=model, inputs=x)
    for now, then in zip((bn.running_mean, bn.running_var, bn.num_batches_tracked), before):
        assert torch.equal(now, then)  # a model in eval mode: the statistics do not move at all


def test_batchnorm_statistics_equal_one_forward_on_the_adversarial_inputs():
    model, (x, y) = bn_model(), batch()
    settings = {"epsilon": 0.1, "step_size": 0.03, "steps": 4, "random_start": False}
    twin = copy.deepcopy(model)
    get_loss("pgd_adversarial", **settings)(model(x).detach(), y, model=model, inputs=x)
    twin(x)  # the user's clean forward, in train mode
    twin(pgd_attack(twin, x, y, **settings))
    torch.testing.assert_close(model[1].running_mean, twin[1].running_mean, rtol=0, atol=0)
    torch.testing.assert_close(model[1].running_var, twin[1].running_var, rtol=0, atol=0)


def test_bn_mode_eval_attacks_with_running_statistics_and_without_dropout():
    model, (x, y) = bn_model(), batch()
    settings = {"epsilon": 0.2, "step_size": 0.05, "steps": 5, "random_start": False}
    first = pgd_attack(model, x, y, **settings)
    assert torch.equal(first, pgd_attack(model, x, y, **settings))  # dropout off: deterministic
    eval_twin = copy.deepcopy(model).eval()
    assert torch.equal(first, pgd_attack(eval_twin, x, y, **settings, bn_mode="train"))
    torch.manual_seed(3)
    trained = pgd_attack(model, x, y, **settings, bn_mode="train")  # batch statistics and dropout
    assert not torch.equal(first, trained)


@pytest.mark.parametrize("norm", ["linf", "l2"])
@pytest.mark.parametrize("random_start", [False, True])
@pytest.mark.parametrize("epsilon", [0.03, 0.5])
def test_perturbation_within_epsilon_and_the_clip_range(norm, random_start, epsilon):
    model, (x, y) = bn_model(), batch(n=16)
    x_adv = pgd_attack(model, x, y, epsilon=epsilon, step_size=epsilon / 2, steps=4, norm=norm,
                       random_start=random_start)
    delta = (x_adv - x).flatten(1)
    size = delta.abs().amax(1) if norm == "linf" else delta.norm(dim=1)
    assert bool((size <= epsilon + 1e-6).all())  # up to the rounding of x + delta in float32
    assert bool(((x_adv >= 0) & (x_adv <= 1)).all())
    assert not x_adv.requires_grad and x_adv.grad_fn is None
    assert float(size.max()) > 0.5 * epsilon  # the attack did move


@pytest.mark.parametrize("norm", ["linf", "l2"])
def test_trades_attack_and_a_far_start_respect_the_threat_model(norm):
    model, (x, _) = bn_model(), batch(n=16)
    x = 0.8 * x  # inside the clip range
    attack = Attack("trades_kl", 0.05, 0.02, 4, norm, "gaussian", -0.1, 0.8, "eval")
    far = torch.full_like(x, 3.0)  # a warm start far outside the ball is projected first
    for start in (None, far):
        x_adv = attack.perturb(model, x, torch.zeros(len(x), dtype=torch.long), kl_objective, start)
        delta = (x_adv - x).flatten(1)
        size = delta.abs().amax(1) if norm == "linf" else delta.norm(dim=1)
        assert bool((size <= 0.05 + 1e-6).all())
        assert bool(((x_adv >= -0.1) & (x_adv <= 0.8)).all())


def test_unclipped_range():
    model, (x, y) = bn_model(), batch()
    x_adv = pgd_attack(model, x + 5, y, epsilon=0.5, step_size=0.5, steps=2, clip_min=None, clip_max=None)
    assert float((x_adv - x - 5).abs().max()) == pytest.approx(0.5, rel=1e-6)


def _forward_counter(model):
    calls = []
    model.register_forward_hook(lambda *args: calls.append(1))
    return calls


@pytest.mark.parametrize("null", [{"epsilon": 0.0}, {"steps": 0}])
@pytest.mark.parametrize("name", NAMES)
def test_a_null_attack_is_exactly_the_clean_loss(name, null):
    if name == "fgsm_adversarial" and "steps" in null:
        pytest.skip("fgsm takes exactly one step")
    model, (x, y) = bn_model(), batch()
    model.eval()
    logits = model(x).detach().requires_grad_(True)
    calls = _forward_counter(model)
    value = get_loss(name, **{**null, "beta": 2.0} if name in ("trades", "mart") else null)(
        logits, y, model=model, inputs=x, start=torch.full_like(x, 0.01)
    )
    assert not calls  # no second forward pass, no attack
    reference = logits.detach().clone().requires_grad_(True)
    if name in ("pgd_adversarial", "fgsm_adversarial", "trades"):
        expected = F.cross_entropy(reference, y)
    elif name == "trades_kl":
        expected = (reference * 0).sum()
    else:  # mart: the boosted cross-entropy at x, and a KL of 0
        p = reference.softmax(1)
        runner_up = p.scatter(1, y.view(-1, 1), -1.0).amax(1)
        expected = (-p.gather(1, y.view(-1, 1)).squeeze(1).log() - (1 - runner_up).log()).mean()
    torch.testing.assert_close(value, expected, rtol=1e-6, atol=1e-7)
    value.backward()
    expected.backward()
    torch.testing.assert_close(logits.grad, reference.grad, rtol=1e-5, atol=1e-7)
    if name in ("pgd_adversarial", "fgsm_adversarial"):  # exactly, not just closely
        per_sample = get_loss(name, **null, reduction="none")(logits, y, model=model, inputs=x)
        assert torch.equal(per_sample, F.cross_entropy(logits, y, reduction="none"))


def test_pgd_is_at_least_the_clean_loss_on_a_trained_model():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    x = torch.rand(64, 5, generator=g)
    y = (x[:, 0] + x[:, 1] > x[:, 2] + x[:, 3]).long()
    model = nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    for _ in range(40):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    clean = F.cross_entropy(model(x), y, reduction="none")
    for norm in ("linf", "l2"):
        adversarial = get_loss("pgd_adversarial", epsilon=0.05, step_size=0.02, steps=5, norm=norm,
                               random_start=False, reduction="none")(model(x), y, model=model, inputs=x)
        assert bool((adversarial >= clean - 1e-6).all())  # per sample, not only on average
        assert float(adversarial.detach().mean()) > float(clean.detach().mean()) * 1.05


@pytest.mark.parametrize("name", NAMES)
def test_works_inside_no_grad_and_refuses_inference_mode(name):
    model, (x, y) = bn_model(), batch()
    model.eval()  # no dropout in the final forward pass: equal values expected
    loss = get_loss(name, **params(name))
    start = torch.full_like(x, 1e-3)
    outside = loss(model(x), y, model=model, inputs=x, start=start)
    with torch.no_grad():
        inside = loss(model(x), y, model=model, inputs=x, start=start)
    assert not inside.requires_grad and outside.requires_grad
    assert torch.equal(inside, outside.detach())
    with torch.inference_mode(), pytest.raises(LossInputError, match="inference_mode"):
        loss(model(x), y, model=model, inputs=x)


def test_no_gradient_reaches_the_inputs_and_the_perturbation_is_detached():
    model, (x, y) = bn_model(), batch()
    x = x.clone().requires_grad_(True)
    value = get_loss("pgd_adversarial", steps=2)(model(x).detach(), y, model=model, inputs=x)
    value.backward()
    assert x.grad is None
    assert all(p.grad is not None for p in model.parameters())


def test_the_random_starts_draw_from_the_global_generator():
    model, (x, y) = bn_model(), batch()
    model.eval()
    for name in NAMES:
        loss = get_loss(name, **params(name, **({"random_start": True} if "adversarial" in name else {})))
        values = []
        for seed in (0, 0, 1):
            torch.manual_seed(seed)
            values.append(loss(model(x), y, model=model, inputs=x))
        assert torch.equal(values[0], values[1]), name
        assert not torch.equal(values[0], values[2]), name


def test_l2_random_start_is_inside_the_ball():
    attack = Attack("pgd_adversarial", 0.3, 0.1, 1, "l2", "uniform", None, None, "eval")
    torch.manual_seed(0)
    start = attack._initial(torch.zeros(500, 4), None)
    norms = start.norm(dim=1)
    assert bool((norms <= 0.3).all())
    # uniform in the 4-ball: P(||d|| < r) = (r / eps)^4, so half of the draws lie beyond 0.3 * 0.5**0.25
    assert abs(float((norms > 0.3 * 0.5**0.25).float().mean()) - 0.5) < 0.08


def test_fgsm_step_size_defaults_to_epsilon_or_wongs_1_25_epsilon():
    model = nn.Identity()
    x, y = torch.tensor([[0.5, 0.5]]), torch.tensor([0])
    start = torch.tensor([[0.01, 0.01]])
    unclipped = {"epsilon": 0.1, "clip_min": None, "clip_max": None}

    def value(name, **extra):
        return get_loss(name, **unclipped, **extra)(x, y, model=model, inputs=x, start=start)

    # From [0.01, 0.01]: a step of 0.1 gives [-0.09, 0.11] -> [-0.09, 0.1]; one of 0.125 gives [-0.1, 0.1].
    torch.testing.assert_close(value("fgsm_adversarial"), value("pgd_adversarial", step_size=0.1, steps=1))
    torch.testing.assert_close(value("fgsm_adversarial", random_start=True),
                               value("pgd_adversarial", step_size=0.125, steps=1))
    assert not torch.equal(value("fgsm_adversarial"), value("fgsm_adversarial", random_start=True))


def test_the_attack_differentiates_the_perturbation_only_with_grad_enabled(monkeypatch):
    model, (x, y) = bn_model(), batch()
    calls = []
    real = torch.autograd.grad

    def spy(outputs, inputs, *args, **kwargs):
        leaves = [inputs] if isinstance(inputs, torch.Tensor) else list(inputs)
        calls.append(([(tuple(t.shape), t.is_leaf, t.requires_grad) for t in leaves], torch.is_grad_enabled()))
        return real(outputs, inputs, *args, **kwargs)

    monkeypatch.setattr(torch.autograd, "grad", spy)
    with torch.no_grad():  # an outer evaluation: the attack enables gradients for itself
        get_loss("trades_kl", steps=4)(model(x), y, model=model, inputs=x)
    assert calls == [([(tuple(x.shape), True, True)], True)] * 4  # one leaf: the perturbation, once per step


def test_modes_are_restored_when_the_model_raises():
    class Fragile(nn.Module):
        def __init__(self):
            super().__init__()
            self.bn = nn.BatchNorm1d(5)

        def forward(self, x):
            if not self.training:
                raise RuntimeError("no eval mode here")
            return self.bn(x)[:, :3]

    model, (x, y) = Fragile(), batch()
    with pytest.raises(RuntimeError, match="no eval mode"):
        get_loss("pgd_adversarial", steps=1)(model(x), y, model=model, inputs=x)
    assert model.training and model.bn.training
    running, before = model.bn.running_mean, model.bn.running_mean.clone()
    with pytest.raises(RuntimeError, match="boom"):
        with restored_modes(model, "train"):
            model.bn.running_mean.add_(1.0)  # the attack's copy
            raise RuntimeError("boom")
    assert model.bn.running_mean is running and torch.equal(running, before)
