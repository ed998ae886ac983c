"""The reinforcement-learning family of losskit: estimators, and losses on log-probabilities.

Estimators (plain functions, time along dimension 0, separate ``terminated`` and
``truncated`` flags): ``discounted_returns``, ``td_lambda``, ``gae``.
Losses: ``reinforce`` (Williams 1992), ``ppo_clip`` (Schulman et al. 2017, with
``ppo_diagnostics``), ``value_loss``, ``entropy_bonus``, ``kl_penalty``; and
``ppo_objective`` / ``ppo_config``, PPO as one multi-task composite. See
``docs/rl.md``.
"""

from .entropy import EntropyBonus, entropy_bonus
from .estimators import AdvantageEstimate, discounted_returns, gae, td_lambda
from .kl import KLPenalty, kl_penalty
from .objective import ppo_config, ppo_objective
from .ppo_clip import PPOClipLoss, PPODiagnostics, ppo_clip_loss, ppo_diagnostics
from .reinforce import ReinforceLoss, reinforce_loss
from .value import ValueLoss, value_loss

__all__ = [
    "AdvantageEstimate",
    "EntropyBonus",
    "KLPenalty",
    "PPOClipLoss",
    "PPODiagnostics",
    "ReinforceLoss",
    "ValueLoss",
    "discounted_returns",
    "entropy_bonus",
    "gae",
    "kl_penalty",
    "ppo_clip_loss",
    "ppo_config",
    "ppo_diagnostics",
    "ppo_objective",
    "reinforce_loss",
    "td_lambda",
    "value_loss",
]
