"""The PPO objective as a composite of this family's terms: one multi-task loss, buildable from config.

The policy, the critic and the entropy read different tensors, so the
objective is a :class:`losskit.MultiTask` with the tasks ``policy``
(``ppo_clip``), ``value`` (``value_loss``) and ``entropy`` (``entropy_bonus``),
fixed weights ``1``, ``c1`` and ``c2`` (Schulman et al. 2017, eq. 9:
:math:`L^{CLIP} - c_1 L^{VF} + c_2 S`, written as a loss to minimise)::

    total, parts = objective.breakdown(
        {"policy": log_prob, "value": values, "entropy": logits},
        {"policy": advantages, "value": returns, "entropy": None},
        old_log_prob=old_log_prob, old_value=old_values,
    )

The context is routed by name: ``old_log_prob`` to the policy, ``old_value``
to the critic, ``weight`` (a mask) to every task.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from losskit import MultiTask, Registry, build_loss

__all__ = ["ppo_config", "ppo_objective"]


def ppo_config(
    *, value_coef: float = 1.0, entropy_coef: float = 0.01, policy: Mapping[str, Any] | None = None,
    value: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The config of the PPO objective; ``policy`` and ``value`` are parameters of ``ppo_clip`` and ``value_loss``.

    The default coefficients are the PPO paper's Atari setting (``c1 = 1``, ``c2 = 0.01``).
    """
    return {
        "name": "multitask",
        "tasks": {
            "policy": {**dict(policy or {}), "name": "ppo_clip"},
            "value": {**dict(value or {}), "name": "value_loss"},
            "entropy": {"name": "entropy_bonus"},
        },
        "weights": {"policy": 1.0, "value": value_coef, "entropy": entropy_coef},
    }


def ppo_objective(*, registry: Registry | None = None, **config: Any) -> MultiTask:
    """The PPO objective (see the module docstring), built from :func:`ppo_config` ``(**config)``."""
    return cast(MultiTask, build_loss(ppo_config(**config), registry=registry))  # the root is a multitask node
