"""Which of a model's parameters a penalty applies to: include / exclude globs and a bias-and-norm switch."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from torch import Tensor, nn

from losskit.errors import LossInputError

__all__ = ["NORM_LAYERS", "check_patterns", "parse_patterns", "select_parameters"]

#: Modules whose parameters ``exclude_bias_and_norm`` leaves out (RMSNorm exists from torch 2.4).
NORM_LAYERS: tuple[type[nn.Module], ...] = tuple(
    cls
    for cls in (
        nn.BatchNorm1d,
        nn.BatchNorm2d,
        nn.BatchNorm3d,
        nn.SyncBatchNorm,
        nn.InstanceNorm1d,
        nn.InstanceNorm2d,
        nn.InstanceNorm3d,
        nn.LayerNorm,
        nn.GroupNorm,
        getattr(nn, "RMSNorm", None),
    )
    if cls is not None
)


def parse_patterns(text: str) -> tuple[str, ...]:
    """``"encoder.*, head.*"`` -> ``("encoder.*", "head.*")``; ``""`` -> ``()``."""
    return tuple(p.strip() for p in text.split(",")) if text.strip() else ()


def check_patterns(text: str) -> str | None:
    """Param check: comma-separated, non-empty glob patterns (or the empty string for none)."""
    if any(not p for p in parse_patterns(text)):
        return "must be comma-separated glob patterns without empty items (e.g. 'encoder.*,head.*')"
    return None


def _norm_parameter_names(model: nn.Module) -> set[str]:
    return {
        f"{module_name}.{name}" if module_name else name
        for module_name, module in model.named_modules()
        if isinstance(module, NORM_LAYERS)
        for name, _ in module.named_parameters(recurse=False)
    }


def select_parameters(
    model: Any, *, include: str, exclude: str, exclude_bias_and_norm: bool, owner: str
) -> list[Tensor]:
    """The parameters that require grad, named by ``include`` and not by ``exclude``.

    Patterns are matched case-sensitively against the dotted names of
    ``model.named_parameters()`` (shared parameters once). A pattern that
    matches no parameter at all, or a selection that ends up empty, is an
    error: it is almost always a typo in the filter.
    """
    if not isinstance(model, nn.Module):
        raise LossInputError(f"{owner}: model must be a torch.nn.Module, got {type(model).__name__}.")
    named = dict(model.named_parameters())
    names = list(named)
    for option, text in (("include", include), ("exclude", exclude)):
        for pattern in parse_patterns(text):
            if not any(fnmatchcase(n, pattern) for n in names):
                shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "") or "none"
                raise LossInputError(
                    f"{owner}: {option} pattern {pattern!r} matches no parameter of the model. "
                    f"Parameter names look like: {shown}."
                )
    included = parse_patterns(include)
    excluded = parse_patterns(exclude)
    norm_names = _norm_parameter_names(model) if exclude_bias_and_norm else set()
    selected = [
        p
        for n, p in named.items()
        if p.requires_grad
        and (not included or any(fnmatchcase(n, pat) for pat in included))
        and not any(fnmatchcase(n, pat) for pat in excluded)
        and not (exclude_bias_and_norm and (n.rsplit(".", 1)[-1] == "bias" or n in norm_names))
    ]
    if not selected:
        raise LossInputError(
            f"{owner}: no parameter of the model is selected (include={include!r}, exclude={exclude!r}, "
            f"exclude_bias_and_norm={exclude_bias_and_norm}, only parameters with requires_grad count). "
            "Check the filters against model.named_parameters()."
        )
    return selected
