r"""The per-class softmax sums of the multiclass region losses, with a closed-form backward.

For :math:`p = \operatorname{softmax}(x)` over the classes, :math:`v_i \in \{0, 1\}` (pixel :math:`i` not
ignored) and :math:`t_i` its target class, per image :math:`n` and class :math:`c`:

.. math::
    I_{nc} = \sum_i p_{nci} [t_{ni} = c] v_{ni}, \qquad P_{nc} = \sum_i p_{nci}^k v_{ni} \quad (k = 1, \text{ or 2 squared}).

With :math:`a = \partial L / \partial I` and :math:`b = \partial L / \partial P` (``(N, C)``, from the loss's
small graph over the sums), :math:`g_{nci} = \partial L / \partial p_{nci} = v_{ni} (k b_{nc} p_{nci}^{k-1} +
a_{nc} [t_{ni} = c])` and, through the softmax, :math:`\partial L / \partial x = p \odot (g - \sum_c p_c g_c)`.
Autograd would take that path through a gather (whose backward zero-fills an ``(N, C, P)`` tensor and
scatters into it), a masked product and the softmax's backward; :class:`_SoftmaxSums` computes the sums
without autograd, keeps only the masked probabilities, and writes :math:`\partial L / \partial x` in two
passes over them (:math:`q = p v`, for :math:`k = 1`):

.. math::
    \frac{\partial L}{\partial x_{nci}} = q_{nci} (b_{nc} - s_{ni}) + [t_{ni} = c]\, q_{nci} a_{nc},
    \qquad s_{ni} = \sum_c q_{nci} b_{nc} + q_{n t_{ni} i} a_{n t_{ni}}.

The plain differentiable form (:func:`_plain`) runs inside ``torch.compile`` (the compiler fuses it) and is
what a double backward differentiates, so second derivatives stay exact.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

import torch
from torch import Tensor

from losskit.precision import no_autocast


def softmax_sums(x: Tensor, index: Tensor, valid: Tensor | None, *, squared: bool) -> tuple[Tensor, Tensor]:
    """``(I, P)``, each ``(N, C)``, of the ``(N, C, P)`` logits ``x`` for the ``(N, 1, P)`` class ``index``
    (``torch.long``, 0 at ignored pixels) and ``valid`` mask (``x``'s dtype; ``None``: no pixel is ignored)."""
    if torch.compiler.is_compiling():
        return _plain(x, index, valid, squared)
    return _SoftmaxSums.apply(x, index, valid, squared)


def _plain(x: Tensor, index: Tensor, valid: Tensor | None, squared: bool) -> tuple[Tensor, Tensor]:
    p = torch.softmax(x, dim=1)
    if valid is not None:
        p = p * valid
    hit = p.gather(1, index).squeeze(1)
    intersection = hit.new_zeros(p.shape[:2]).scatter_add(1, index.squeeze(1), hit)
    return intersection, (p * p if squared else p).sum(-1)


class _SoftmaxSums(torch.autograd.Function):
    """:func:`softmax_sums` without autograd inside: saves the logits, the index, the mask and the masked
    probabilities; the backward is the closed form of the module docstring (or, when it builds a graph,
    autograd's over :func:`_plain` recomputed)."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, index: Tensor, valid: Tensor | None, squared: bool) -> tuple[Tensor, Tensor]:
        q = torch.softmax(x, dim=1)
        if valid is not None:
            q.mul_(valid)  # in place: NaN * 0 stays NaN, so a NaN image's sums stay NaN
        hit = q.gather(1, index)  # (N, 1, P): the probability of each pixel's target class
        intersection = hit.new_zeros(q.shape[:2]).scatter_add_(1, index.squeeze(1), hit.squeeze(1))
        mass = (q * q if squared else q).sum(-1)
        ctx.squared, ctx.masked = squared, valid is not None
        ctx.save_for_backward(x, index, q, hit, *(() if valid is None else (valid,)))
        return intersection, mass

    @staticmethod
    def backward(ctx: Any, grad_i: Tensor, grad_p: Tensor) -> tuple[Tensor, None, None, None]:
        x, index, q, hit, *valid = ctx.saved_tensors
        if torch.is_grad_enabled():  # a double backward: differentiate the plain form
            with torch.enable_grad():
                sums = _plain(x, index, valid[0] if ctx.masked else None, ctx.squared)
                (dx,) = torch.autograd.grad(sums, x, (grad_i, grad_p), create_graph=True)
            return dx, None, None, None
        with no_autocast(q) if torch.is_autocast_enabled(q.device.type) else nullcontext():  # bmm in q's precision
            diagonal = hit * grad_i.gather(1, index.squeeze(1)).unsqueeze(1)  # (N, 1, P): q_t a_t
            if ctx.squared:  # g = 2 b q + a [t = c]
                g = q * (2 * grad_p).unsqueeze(-1)
                s = (q * g).sum(1, keepdim=True) + diagonal
                dx = g.sub_(s).mul_(q)
            else:
                s = torch.baddbmm(diagonal, grad_p.unsqueeze(1), q)  # sum_c q_c b_c + q_t a_t
                dx = torch.sub(grad_p.unsqueeze(-1), s).mul_(q)
        return dx.scatter_add_(1, index, diagonal), None, None, None
