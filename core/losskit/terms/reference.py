"""Independent float64 references for the core's terms, written from the papers with plain Python loops.

They share no code with the implementations: no parameter filter helper, no
one-hot matrices, no max-minus-min shortcut. The fairness references follow
Hardt, Price & Srebro (NeurIPS 2016) directly: a group's rate is the mean
predicted probability of its members (those with label ``y`` for the
conditional rates), and a gap compares every pair of groups present.
"""

from __future__ import annotations

import math
from fnmatch import fnmatchcase

import torch
from torch import Tensor, nn

from losskit import Example
from losskit.testing.reference import f64, reduce_reference

_NORMS = ("BatchNorm", "InstanceNorm", "LayerNorm", "GroupNorm", "RMSNorm", "SyncBatchNorm")


# -- penalties ---------------------------------------------------------------------------------


def _selected_values(example: Example, include: str, exclude: str, exclude_bias_and_norm: bool) -> list[float]:
    model: nn.Module = example.context["model"]
    inc = [p.strip() for p in include.split(",") if p.strip()]
    exc = [p.strip() for p in exclude.split(",") if p.strip()]
    norm_modules = {name for name, m in model.named_modules() if type(m).__name__.rstrip("123d") in _NORMS}
    values = []
    for name, p in model.named_parameters():
        owner = name.rsplit(".", 1)[0] if "." in name else ""
        if not p.requires_grad:
            continue
        if inc and not any(fnmatchcase(name, pat) for pat in inc):
            continue
        if any(fnmatchcase(name, pat) for pat in exc):
            continue
        if exclude_bias_and_norm and (name.split(".")[-1] == "bias" or owner in norm_modules):
            continue
        values.extend(f64(p).reshape(-1).tolist())
    return values


def _reduce_list(terms: list[float], reduction: str) -> Tensor:
    return reduce_reference(torch.tensor(terms, dtype=torch.float64), reduction)


def l1_penalty_reference(example: Example, *, include: str, exclude: str, exclude_bias_and_norm: bool,
                         reduction: str) -> Tensor:
    return _reduce_list([abs(w) for w in _selected_values(example, include, exclude, exclude_bias_and_norm)],
                        reduction)


def l2_penalty_reference(example: Example, *, include: str, exclude: str, exclude_bias_and_norm: bool,
                         reduction: str) -> Tensor:
    return _reduce_list([w * w for w in _selected_values(example, include, exclude, exclude_bias_and_norm)],
                        reduction)


def elastic_net_reference(example: Example, *, l1_ratio: float, include: str, exclude: str,
                          exclude_bias_and_norm: bool, reduction: str) -> Tensor:
    values = _selected_values(example, include, exclude, exclude_bias_and_norm)
    return _reduce_list([l1_ratio * abs(w) + (1 - l1_ratio) * w * w for w in values], reduction)


# -- fairness ----------------------------------------------------------------------------------


def _probabilities(example: Example, from_logits: bool) -> list[float]:
    xs = f64(example.input).tolist()
    return [1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x)) for x in xs] if from_logits else xs


def _gap(p: list[float], groups: list[int], members: list[bool], gap: str, form: str) -> float:
    """The gap among the rates of the groups that have at least one member."""
    rates = {}
    for g in sorted(set(groups)):
        ps = [p[i] for i in range(len(p)) if groups[i] == g and members[i]]
        if ps:
            rates[g] = math.fsum(ps) / len(ps)

    def d(a: float, b: float) -> float:
        return abs(a - b) if form == "absolute" else (a - b) ** 2

    if not rates:
        return 0.0
    if gap == "max_pairwise":
        return max((d(rates[g], rates[h]) for g in rates for h in rates if g < h), default=0.0)
    everyone = [p[i] for i in range(len(p)) if members[i]]
    overall = math.fsum(everyone) / len(everyone)
    return math.fsum(d(r, overall) for r in rates.values()) / len(rates)


def _columns(example: Example, from_logits: bool) -> tuple[list[float], list[float], list[int]]:
    return (_probabilities(example, from_logits), f64(example.target).tolist(),
            [int(g) for g in example.context["groups"].tolist()])


def demographic_parity_reference(example: Example, *, from_logits: bool, gap: str, form: str, gather: bool = True,
                                 reduction: str) -> Tensor:
    p, _, groups = _columns(example, from_logits)
    return torch.tensor(_gap(p, groups, [True] * len(p), gap, form), dtype=torch.float64)


def equal_opportunity_reference(example: Example, *, from_logits: bool, gap: str, form: str, gather: bool = True,
                                reduction: str) -> Tensor:
    p, y, groups = _columns(example, from_logits)
    return torch.tensor(_gap(p, groups, [v == 1 for v in y], gap, form), dtype=torch.float64)


def equalized_odds_reference(example: Example, *, from_logits: bool, gap: str, form: str, gather: bool = True,
                             reduction: str) -> Tensor:
    p, y, groups = _columns(example, from_logits)
    tpr = _gap(p, groups, [v == 1 for v in y], gap, form)
    fpr = _gap(p, groups, [v == 0 for v in y], gap, form)
    return torch.tensor(tpr + fpr, dtype=torch.float64)
