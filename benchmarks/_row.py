"""A row of the tables: one losskit loss, the peers that compute the same value, and how they were matched."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from torch import Tensor

from ._peers import PeerMissing


class LossMissing(Exception):
    """The losskit loss of a row is not installed here (its plugin is absent): the row is skipped."""


@dataclass(frozen=True)
class Context:
    """Where and how big: ``quick`` shrinks every size to a smoke test's."""

    device: torch.device
    dtype: torch.dtype
    quick: bool
    lce_hidden: int | None = None  # linear_cross_entropy's hidden size (None: the suite's default)

    def size(self, full, quick):  # noqa: ANN001, ANN201 (any shape or number)
        return quick if self.quick else full

    def generator(self) -> torch.Generator:
        return torch.Generator().manual_seed(0)

    def floats(self, *shape: int, grad: bool = True, scale: float = 1.0, seed: int = 0) -> Tensor:
        """Standard normal values (times ``scale``) in the row's dtype on its device, a leaf."""
        x = (torch.randn(*shape, generator=torch.Generator().manual_seed(seed)) * scale).to(self.device, self.dtype)
        return x.requires_grad_(grad)

    def classes(self, high: int, *shape: int, seed: int = 1) -> Tensor:
        return torch.randint(0, high, shape, generator=torch.Generator().manual_seed(seed)).to(self.device)

    def binary(self, *shape: int, p: float = 0.5, seed: int = 2) -> Tensor:
        g = torch.Generator().manual_seed(seed)
        return (torch.rand(*shape, generator=g) < p).to(self.device, self.dtype)


@dataclass
class Contender:
    """One way to compute a row's loss: ``forward`` is what is timed and measured.

    The value check compares ``to_ours(forward())`` (``to_ours`` maps a known factor, stated in the
    row's ``semantics``), or ``value()`` where given: what to compare when the timed call's value is
    not directly comparable (per-pair values, say).
    """

    name: str
    forward: Callable[[], Tensor]
    to_ours: Callable[[Tensor], Tensor] = field(default=lambda value: value)
    value: Callable[[], Tensor] | None = None


@dataclass
class Row:
    key: str
    group: str
    title: str
    semantics: str  # what differs between losskit and the peers, and how the row matches them
    inputs: Sequence[Tensor]  # never counted as memory; the leaves' gradients are reset before each step
    ours: Contender
    peers: list[Contender] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)  # peer -> why it is not in this run
    backward: bool = True
    heavy: bool = False  # seconds per step: one call per sample, at most 3 timed rounds after 1 warm-up
    rtol: float = 1e-4
    atol: float = 1e-6

    def peer(self, name: str, make: Callable[[], Callable[[], Tensor] | Contender]) -> None:
        """Add the peer ``make()`` builds; a :class:`PeerMissing` records it as missing instead."""
        try:
            made = make()
        except PeerMissing as error:
            self.missing[name] = str(error)
            return
        self.peers.append(made if isinstance(made, Contender) else Contender(name, made))

    @property
    def leaves(self) -> list[Tensor]:
        return [t for t in self.inputs if t.requires_grad and t.is_leaf]

    def step(self, contender: Contender, inner: int = 1) -> Callable[[], None]:
        """One timed sample: ``inner`` forward (+ backward) passes from fresh gradients."""
        leaves, forward, backward = self.leaves, contender.forward, self.backward
        parameters = _parameters(contender)

        def run() -> None:
            for _ in range(inner):
                for t in leaves:
                    t.grad = None
                for p in parameters:
                    p.grad = None
                value = forward()
                if backward:
                    value.backward()

        return run


def _parameters(contender: Contender) -> list[Tensor]:
    """Learned parameters a contender holds (ArcFace's class centres), so that their gradients are reset too."""
    owner = getattr(contender.forward, "module", None)
    return list(owner.parameters()) if isinstance(owner, torch.nn.Module) else []


def with_module(module: torch.nn.Module, forward: Callable[[], Tensor]) -> Callable[[], Tensor]:
    """``forward`` tagged with the module whose parameters it trains (see :func:`_parameters`)."""
    forward.module = module  # type: ignore[attr-defined]
    return forward


def losskit_loss(name: str, ctx: Context, **params: object) -> torch.nn.Module:
    """``losskit.get_loss(name, **params)`` on the row's device; :class:`LossMissing` if it is not installed."""
    import losskit

    try:
        return losskit.get_loss(name, **params).to(ctx.device)
    except losskit.UnknownLossError as error:
        raise LossMissing(str(error).splitlines()[0]) from None
