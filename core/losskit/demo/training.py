"""Training the demo's small classifier with one loss while logging the terms of the others.

Each run logs, at every step, the per-term values of the loss it is trained with
(``Loss.breakdown``: one call, nothing computed twice) and, without gradient, those
of the other run's loss on the same outputs: the demographic-parity penalty is
measured on the cross-entropy model too, so the curves show what it would have been.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn

from ..compose import WeightedSum
from ..errors import ConfigError
from ..loss import Loss
from ..multitask import MultiTask
from .data import FEATURES, Data, Scores, score

if TYPE_CHECKING:
    from ..registry import Registry

HIDDEN = 16
LEARNING_RATE = 0.02
CONTEXT = ("model", "groups")  # the context keywords the demo can give a loss

OnStep = Callable[[int], None]


@dataclass(frozen=True)
class Head:
    """What the model puts out for a loss: one logit per sample with 0/1 targets, or two logits with class indices."""

    outputs: int
    baseline: str  # the plain cross-entropy of this form

    def target(self, labels: Tensor) -> Tensor:
        return labels if self.outputs == 1 else labels.long()

    def loss_input(self, out: Tensor) -> Tensor:
        return out.squeeze(1) if self.outputs == 1 else out

    def positive_score(self, out: Tensor) -> Tensor:
        return out.squeeze(1) if self.outputs == 1 else out[:, 1] - out[:, 0]


BINARY = Head(1, "bce_with_logits")
TWO_CLASSES = Head(2, "cross_entropy")
_FORMS = {BINARY: "(N,) logits with 0/1 targets", TWO_CLASSES: "(N, 2) logits with class indices"}


def head_for(loss: Loss, registry: Registry) -> Head:
    """The output form every term of ``loss`` takes (one logit where all of them can); ConfigError if none."""
    leaves = list(_leaves(loss, ""))
    common = {BINARY, TWO_CLASSES}
    for path, leaf in leaves:
        contract = registry.get_spec(leaf.config_name).contract
        heads = _heads(contract.input, contract.target)
        if not heads & common:
            offered = " or ".join(_FORMS[h] for h in sorted(common, key=lambda h: h.outputs))
            raise ConfigError(
                f"{path}: {leaf.config_name} takes {contract.input} input and {contract.target} targets; the demo's "
                f"classifier gives {offered} (e.g. bce_with_logits, sigmoid_focal, cross_entropy, focal)."
            )
        common &= heads
    missing = loss.context_keys().required - set(CONTEXT)
    if missing:
        raise ConfigError(
            f"config: the loss needs the context keyword {sorted(missing)[0]!r}; the demo gives only "
            f"{', '.join(CONTEXT)}."
        )
    return BINARY if BINARY in common else TWO_CLASSES


def _heads(input_kind: str, target_kind: str) -> set[Head]:
    heads = set()
    if input_kind in ("logits", "values", "any") and target_kind in ("binary", "same_shape", "any"):
        heads.add(BINARY)
    if input_kind in ("logits", "any") and target_kind in ("class_indices", "any"):
        heads.add(TWO_CLASSES)
    return heads


def _leaves(loss: Loss, path: str) -> Iterator[tuple[str, Loss]]:
    if isinstance(loss, MultiTask):
        raise ConfigError(
            f"{path or 'config'}: the demo trains one classifier; a multitask loss needs one output per task."
        )
    if isinstance(loss, WeightedSum):
        for i, term in enumerate(loss.terms):
            yield from _leaves(term, f"{path}.terms[{i}]" if path else f"terms[{i}]")
    else:
        yield path or "config", loss


@dataclass
class Run:
    """One training run: its loss, the per-step curves of every term logged, and its test-set results."""

    label: str
    loss: Loss
    trained: tuple[str, ...] = ()  # the names of its own loss's parts, in order
    steps: list[int] = field(default_factory=list)
    totals: list[float] = field(default_factory=list)
    curves: dict[str, list[float]] = field(default_factory=dict)  # own parts and watched parts, by name
    scores: Scores | None = None
    final: dict[str, float] = field(default_factory=dict)  # test-set total and parts of its own loss

    def weights(self) -> dict[str, float]:
        """The weight of each top-level term of a weighted sum (1 for a single loss)."""
        if isinstance(self.loss, WeightedSum):
            return dict(zip(self.loss.names, self.loss.weights))
        return {name: 1.0 for name in self.trained}


def _context(loss: Loss, model: nn.Module, data: Data) -> dict[str, Any]:
    given = {"model": model, "groups": data.groups}
    return {k: v for k, v in given.items() if k in loss.context_keys().accepted}


def train(
    label: str,
    loss: Loss,
    watched: Sequence[Loss],
    head: Head,
    data: Data,
    test: Data,
    *,
    steps: int,
    seed: int,
    on_step: OnStep | None = None,
) -> Run:
    """Full-batch Adam on ``data`` for ``steps`` (>= 1) steps from the initial weights of ``seed``; scored on
    ``test``."""
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(FEATURES, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, head.outputs))
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    target = head.target(data.labels)
    run = Run(label, loss)
    for step in range(steps):
        optimizer.zero_grad()
        out = head.loss_input(model(data.features))
        total, parts = loss.breakdown(out, target, **_context(loss, model, data))
        total.backward()
        optimizer.step()
        with torch.no_grad():
            for other in watched:
                _, more = other.breakdown(out.detach(), target, **_context(other, model, data))
                parts = {**more, **parts}
        run.steps.append(step)
        run.totals.append(total.item())
        for name, value in parts.items():
            run.curves.setdefault(name, []).append(value.item())
        if on_step is not None:
            on_step(step + 1)
    with torch.no_grad():
        out = model(test.features)
        run.scores = score(head.positive_score(out), test)
        total, parts = loss.breakdown(head.loss_input(out), head.target(test.labels), **_context(loss, model, test))
    run.trained = tuple(parts)
    run.final = {"total": total.item(), **{k: v.item() for k, v in parts.items()}}
    return run
