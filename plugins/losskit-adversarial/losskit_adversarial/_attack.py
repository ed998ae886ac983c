r"""The inner maximisation every adversarial loss shares: projected gradient ascent on the input perturbation.

.. math::
    \delta_{k+1} = \Pi_{\lVert\delta\rVert \le \epsilon,\; x + \delta \in [a, b]}
        \left(\delta_k + \alpha\, d(\nabla_\delta J(f(x + \delta_k)))\right),
    \qquad d(g) = \operatorname{sign}(g) \;(\ell_\infty) \text{ or } g / \lVert g \rVert_2 \;(\ell_2)

What the attack guarantees, whatever the model:

* the perturbation comes from ``torch.autograd.grad`` with respect to the
  perturbation only, under ``torch.enable_grad()`` (so it also runs inside an
  outer ``torch.no_grad()``), and is detached after every step: no parameter's
  ``.grad`` is touched and no graph outlives the attack;
* every submodule's ``training`` flag is restored, each to its own value;
* ``bn_mode='eval'`` (default, as in the TRADES and MART code) runs the attack
  with every submodule in eval mode: BatchNorm uses and keeps its running
  statistics, dropout is off. ``bn_mode='train'`` leaves the modes as they are
  (BatchNorm normalises with batch statistics, dropout stays active) and puts
  back the running statistics of every BatchNorm/InstanceNorm afterwards, so
  that only the final forward pass on the adversarial input updates them;
* ``||delta|| <= epsilon`` and ``x + delta`` inside ``[clip_min, clip_max]``
  (for inputs inside that range; up to float rounding);
* a model wrapped in ``DistributedDataParallel`` or ``DataParallel`` is attacked
  through its ``.module``: the attack is local to each process and needs no
  collective, and the final forward goes through the wrapper, so DDP still
  synchronises the gradients.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _NormBase

from losskit.errors import ContextError, InvalidParamError, LossInputError
from losskit.inputs import check_class_indices, check_floating, check_ndim
from losskit.precision import working

__all__ = ["Attack", "Objective", "cross_entropy_objective", "kl_objective", "restored_modes"]

#: ``objective(model, x, target)`` -> the function of adversarial logits the attack ascends, summed over the
#: batch. ``model`` is the attacked module in its attack mode, ``x`` the clean inputs (detached), ``target``
#: the class indices as ``torch.long``.
Objective = Callable[[nn.Module, Tensor, Tensor], Callable[[Tensor], Tensor]]

Start = Literal["zero", "uniform", "gaussian"]

#: Scale of the Gaussian start of TRADES and MART (``0.001 * randn`` in both papers' code).
GAUSSIAN_START = 1e-3

_WRAPPERS = (nn.parallel.DistributedDataParallel, nn.DataParallel)


def cross_entropy_objective(model: nn.Module, x: Tensor, target: Tensor) -> Callable[[Tensor], Tensor]:
    """The PGD / FGSM / MART attack: maximise the cross-entropy of the true class."""
    return lambda logits: F.cross_entropy(working(logits), target, reduction="sum")


def kl_objective(model: nn.Module, x: Tensor, target: Tensor) -> Callable[[Tensor], Tensor]:
    """The TRADES attack: maximise KL(p(x) || p(x + delta)), p(x) taken in the attack's mode, without gradient."""
    with torch.no_grad():
        clean = F.log_softmax(working(model(x)), dim=1)
    return lambda logits: F.kl_div(F.log_softmax(working(logits), dim=1), clean, reduction="sum", log_target=True)


@contextlib.contextmanager
def restored_modes(model: nn.Module, bn_mode: str) -> Iterator[None]:
    """``model`` in its attack mode (see the module docstring); every flag and statistic restored on exit."""
    modes = [(m, m.training) for m in model.modules()]
    saved: list[tuple[nn.Module, str, Tensor]] = []
    try:
        if bn_mode == "eval":
            model.eval()
        else:  # the attack's forward passes update copies; the originals are put back untouched
            for m in model.modules():
                if isinstance(m, _NormBase) and m.training and m.track_running_stats:
                    for name in ("running_mean", "running_var", "num_batches_tracked"):
                        buffer = m._buffers.get(name)
                        if buffer is not None:
                            saved.append((m, name, buffer))
                            m._buffers[name] = buffer.clone()
        yield
    finally:
        for m, name, buffer in saved:
            m._buffers[name] = buffer
        for m, flag in modes:
            m.training = flag


@dataclass(frozen=True)
class Attack:
    """One attack's settings (the loss's hyper-parameters), and the attack itself."""

    owner: str
    epsilon: float
    step_size: float
    steps: int
    norm: str
    start: Start
    clip_min: float | None
    clip_max: float | None
    bn_mode: str

    def __post_init__(self) -> None:
        check_clip_range(self.owner, self.clip_min, self.clip_max)

    @classmethod
    def of(cls, owner: str, hparams: Mapping[str, Any], start: Start, **overrides: Any) -> Attack:
        """The attack a loss's hyper-parameters describe (``overrides`` replace some of them)."""
        values = {**hparams, **overrides}
        return cls(owner, values["epsilon"], values["step_size"], values["steps"], values["norm"], start,
                   values["clip_min"], values["clip_max"], values["bn_mode"])

    @property
    def is_null(self) -> bool:
        """Whether the perturbation is 0 by construction (epsilon = 0 or steps = 0): the clean loss."""
        return self.epsilon == 0 or self.steps == 0

    def logits(
        self, input: Tensor, target: Tensor, model: nn.Module, inputs: Tensor, objective: Objective,
        start: Tensor | None,
    ) -> tuple[Tensor, Tensor]:
        """The model's logits at the adversarial inputs (the clean logits ``input`` themselves, the same
        object, for a null attack), and the checked target as ``torch.long``."""
        check_floating(self.owner, "input", input)
        check_ndim(self.owner, "input", input, (2,), "(N, C): the clean logits model(inputs)")
        target = check_class_indices(self.owner, target, input.shape[1])
        if not isinstance(model, nn.Module):
            raise ContextError(f"{self.owner}: model= must be the torch.nn.Module under attack, got {type(model).__name__}.")
        check_floating(self.owner, "inputs", inputs)
        if inputs.dim() == 0 or inputs.shape[0] != input.shape[0]:
            raise LossInputError(
                f"{self.owner}: inputs= must hold the batch the clean logits come from, (N, *) with N = "
                f"{input.shape[0]}, got {tuple(inputs.shape)}. Call it as loss(model(x), y, model=model, inputs=x)."
            )
        if self.is_null:
            return input, target
        adversarial = model(self.perturb(model, inputs, target, objective, start))
        if not isinstance(adversarial, Tensor) or adversarial.shape != input.shape:
            raise LossInputError(
                f"{self.owner}: model(adversarial inputs) gave {getattr(adversarial, 'shape', type(adversarial).__name__)}, "
                f"but the clean logits (input) have shape {tuple(input.shape)}; pass input=model(inputs)."
            )
        return adversarial, target

    def perturb(
        self, model: nn.Module, inputs: Tensor, target: Tensor, objective: Objective, start: Tensor | None = None
    ) -> Tensor:
        """The adversarial inputs ``x + delta``, detached."""
        if torch.is_inference_mode_enabled():
            raise LossInputError(
                f"{self.owner}: the attack needs autograd, which torch.inference_mode() turns off; evaluate "
                "under torch.no_grad() instead (the attack enables gradients for itself)."
            )
        net = model.module if isinstance(model, _WRAPPERS) else model
        x = inputs.detach()
        with restored_modes(net, self.bn_mode), torch.enable_grad():
            score = objective(net, x, target)
            delta = self._project(x, self._initial(x, start))
            for _ in range(self.steps):
                delta.requires_grad_(True)
                (grad,) = torch.autograd.grad(score(net(x + delta)), delta)
                delta = self._project(x, delta.detach() + self.step_size * self._direction(grad))
        return self._clip(x + delta).detach()

    def _initial(self, x: Tensor, start: Tensor | None) -> Tensor:
        if start is not None:
            check_floating(self.owner, "start", start)
            if start.shape != x.shape:
                raise LossInputError(
                    f"{self.owner}: start= is the initial perturbation, of the inputs' shape {tuple(x.shape)}; "
                    f"got {tuple(start.shape)}."
                )
            return start.detach().to(x)
        if self.start == "zero":
            return torch.zeros_like(x)
        if self.start == "gaussian":
            return GAUSSIAN_START * torch.randn_like(x)
        if self.norm == "linf":
            return self.epsilon * (2 * torch.rand_like(x) - 1)
        # Uniform in the l2 ball: a uniform direction, radius epsilon * U^(1/d).
        direction = self._per_sample_unit(torch.randn_like(x))
        d = x[0].numel() if len(x) else 1
        radius = self.epsilon * torch.rand(len(x), dtype=x.dtype, device=x.device).pow(1.0 / d)
        return direction * radius.view(-1, *[1] * (x.dim() - 1))

    def _direction(self, grad: Tensor) -> Tensor:
        return grad.sign() if self.norm == "linf" else self._per_sample_unit(grad)

    @staticmethod
    def _per_sample_unit(v: Tensor) -> Tensor:
        norms = v.reshape(len(v), -1).norm(dim=1).view(-1, *[1] * (v.dim() - 1))
        return v / torch.where(norms > 0, norms, torch.ones_like(norms))

    def _project(self, x: Tensor, delta: Tensor) -> Tensor:
        if self.norm == "linf":
            delta = delta.clamp(-self.epsilon, self.epsilon)
        else:
            norms = delta.reshape(len(delta), -1).norm(dim=1).view(-1, *[1] * (delta.dim() - 1))
            delta = delta * torch.where(norms > self.epsilon, self.epsilon / norms, torch.ones_like(norms))
        return self._clip(x + delta) - x

    def _clip(self, x: Tensor) -> Tensor:
        if self.clip_min is None and self.clip_max is None:
            return x
        return x.clamp(self.clip_min, self.clip_max)


def check_clip_range(owner: str, clip_min: float | None, clip_max: float | None) -> None:
    if clip_min is not None and clip_max is not None and not clip_min < clip_max:
        raise InvalidParamError(owner, "clip_max", f"must be greater than clip_min={clip_min:g}, got {clip_max:g}")
