"""PPO's clipped surrogate objective (Schulman et al., arXiv:1707.06347, 2017)."""

from __future__ import annotations

from typing import Any, NamedTuple

import torch
from torch import Tensor

from losskit import Loss, LossOutput, LossSpec
from losskit.inputs import check_value_target
from losskit.params import reduction_param
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce

from ._examples import POLICY, ppo_batch
from ._params import CLIP_EPSILON, NORMALIZE, advantages
from .reference import ppo_clip_reference

__all__ = ["PPOClipLoss", "PPODiagnostics", "ppo_clip_loss", "ppo_diagnostics"]


class PPODiagnostics(NamedTuple):
    """How far an update has moved the policy: detached scalars, for logging and early stopping.

    ``clip_fraction``: the share of steps whose ratio lies outside ``[1 - eps, 1 + eps]``.
    ``approx_kl``: :math:`\\mathrm{mean}((r - 1) - \\log r)`, an unbiased, non-negative estimate of
    :math:`\\mathrm{KL}(\\pi_{old} \\Vert \\pi_\\theta)` (Schulman's k3, as CleanRL and Stable-Baselines3 log it).
    """

    clip_fraction: Tensor
    approx_kl: Tensor


def ppo_diagnostics(log_prob: Tensor, old_log_prob: Tensor, *, clip_epsilon: float,
                    weight: Tensor | None = None) -> PPODiagnostics:
    """:class:`PPODiagnostics` of an update, weighted by ``weight`` (a mask of the real steps) when given."""
    with torch.no_grad():
        log_ratio = working(log_prob) - working(old_log_prob)
        clipped = ((log_ratio.exp() - 1).abs() > clip_epsilon).to(log_ratio.dtype)
        kl = torch.expm1(log_ratio) - log_ratio
        if weight is None:
            w = torch.ones_like(log_ratio)
        else:
            w = working(weight).to(log_ratio.dtype)
            w = w if w.shape == log_ratio.shape else w.reshape(-1, *[1] * (log_ratio.dim() - 1)).expand_as(log_ratio)
        total = w.sum()
        scale = torch.where(total != 0, total, torch.ones_like(total))
        return PPODiagnostics((clipped * w).sum() / scale, (kl * w).sum() / scale)


class PPOClipLoss(Loss, name="ppo_clip"):
    r"""PPO's clipped surrogate: the policy-gradient step, cut off once the probability ratio leaves ``1 ± eps``.

    .. math::
        \ell_t = -\min\left(r_t A_t,\ \operatorname{clip}(r_t, 1 - \epsilon, 1 + \epsilon)\, A_t\right),
        \qquad r_t = \exp\left(\log \pi_\theta(a_t|s_t) - \log \pi_{\theta_{old}}(a_t|s_t)\right)

    computed from **log-probabilities** (the ratio as an exponentiated
    difference, never a quotient of probabilities). The advantages and the old
    log-probabilities are detached here. At :math:`r = 1` (the first epoch of
    an update) the gradient is the REINFORCE gradient :math:`-A \nabla \log\pi`.
    ``normalize`` standardises the advantages over the batch as in
    :class:`~losskit_rl.ReinforceLoss`.

    Diagnostics: :meth:`breakdown` returns, besides the loss under its name,
    ``clip_fraction`` and ``approx_kl`` (see :class:`~losskit_rl.PPODiagnostics`);
    :func:`~losskit_rl.ppo_diagnostics` computes them on their own, e.g. when
    this loss is one task of a composite.

    Args:
        clip_epsilon: :math:`\epsilon`, 0.2 in the paper.
        normalize: standardise the advantages over the batch.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input: :math:`\log \pi_\theta(a_t|s_t)`, ``(N, *)``; target: the advantages :math:`A_t`, the same shape;
        output the same shape with ``reduction='none'``, else a scalar.

    Context:
        ``old_log_prob`` (required): :math:`\log \pi_{\theta_{old}}(a_t|s_t)` from the rollout, the input's shape.
        ``weight``: per-step weights, ``(N, *)`` or ``(N,)``.

    Examples:
        >>> loss = PPOClipLoss(clip_epsilon=0.2)
        >>> old = torch.log(torch.tensor([0.5, 0.5]))
        >>> new = torch.log(torch.tensor([0.75, 0.25]))     # ratios 1.5 and 0.5
        >>> loss(new, torch.tensor([1.0, -1.0]), old_log_prob=old)   # -(min(1.5, 1.2) + min(-0.5, -0.8)) / 2
        tensor(-0.2000)
        >>> loss.breakdown(new, torch.tensor([1.0, -1.0]), old_log_prob=old).parts["clip_fraction"]
        tensor(1.)

    Reference: Schulman, Wolski, Dhariwal, Radford, Klimov. Proximal Policy Optimization Algorithms.
    arXiv:1707.06347, 2017.
    """

    clip_epsilon: float = CLIP_EPSILON
    normalize: bool = NORMALIZE
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(input: Tensor, target: Tensor, *, clip_epsilon: float, normalize: bool, reduction: Reduction,
                old_log_prob: Tensor, weight: Tensor | None = None) -> Tensor:
        a = advantages(check_value_target("ppo_clip", input, target), normalize)
        old = check_value_target("ppo_clip", input, old_log_prob).detach()
        ratio = torch.exp(working(input) - old)
        surrogate = torch.minimum(ratio * a, ratio.clamp(1 - clip_epsilon, 1 + clip_epsilon) * a)
        return reduce(output(-surrogate, input), reduction, weight=weight, owner="ppo_clip")

    def breakdown(self, input: Any, target: Any, **context: Any) -> LossOutput:
        """The loss, and its :class:`PPODiagnostics` as the parts ``clip_fraction`` and ``approx_kl``."""
        total = self(input, target, **context)
        diagnostics = ppo_diagnostics(input, context["old_log_prob"], clip_epsilon=self.clip_epsilon,
                                      weight=context.get("weight"))
        return LossOutput(total, {self.config_name: total.detach(), **diagnostics._asdict()})


ppo_clip_loss = PPOClipLoss.functional

SPEC = LossSpec.of(
    PPOClipLoss, family="rl", source="Schulman et al., Proximal Policy Optimization Algorithms, arXiv:1707.06347 "
    "2017", contract=POLICY, example=ppo_batch, reference=ppo_clip_reference, aliases=("ppo",),
    tags={"weight", "compile"},
)
