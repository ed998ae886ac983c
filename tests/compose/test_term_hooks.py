"""Hooks on a composite's terms run as on any module: a composite calls a term's ``forward`` directly only where
``nn.Module.__call__`` would do nothing else (no hooks of the term's, none global, not compiled or traced)."""

from __future__ import annotations

import pytest
import torch
from torch.nn.modules.module import register_module_forward_hook, register_module_forward_pre_hook

from losskit import MultiTask
from tests.compose.compose_fixtures import ABS_MEAN, SQ_MEAN, X, Y

TOTAL = SQ_MEAN + 0.5 * ABS_MEAN


def as_tensor(value: float) -> torch.Tensor:
    return torch.tensor(value, dtype=torch.float64)


@pytest.mark.parametrize("how", ["call", "breakdown"])
def test_forward_hooks_on_a_term_run_and_their_results_count(square, absolute, how):
    loss = square + 0.5 * absolute
    seen = []
    pre = absolute.register_forward_pre_hook(lambda module, args: seen.append(("pre", module, len(args))))
    post = absolute.register_forward_hook(lambda module, args, out: 2 * out)  # replaces the term's value
    try:
        if how == "call":
            total = loss(X, Y)
        else:
            total, parts = loss.breakdown(X, Y)
            torch.testing.assert_close(parts["absolute"], as_tensor(2 * ABS_MEAN))
    finally:
        pre.remove()
        post.remove()
    assert seen == [("pre", absolute, 2)]
    torch.testing.assert_close(total, as_tensor(SQ_MEAN + 0.5 * 2 * ABS_MEAN))
    torch.testing.assert_close(loss(X, Y), as_tensor(TOTAL))  # hooks removed: the plain value again


def test_a_forward_pre_hook_can_change_a_terms_inputs(square, absolute):
    loss = square + 0.5 * absolute
    handle = square.register_forward_pre_hook(lambda module, args: (args[1], args[1]))  # input := target
    try:
        total = loss(X, Y)
    finally:
        handle.remove()
    torch.testing.assert_close(total, as_tensor(0.5 * ABS_MEAN))


def test_a_pre_hook_with_kwargs_sees_the_terms_share_of_the_context(square, absolute):
    loss = square + absolute
    seen = []
    square.register_forward_pre_hook(lambda module, args, kwargs: seen.append(sorted(kwargs)), with_kwargs=True)
    absolute.register_forward_pre_hook(lambda module, args, kwargs: seen.append(sorted(kwargs)), with_kwargs=True)
    loss(X, Y, weight=torch.ones(3, dtype=torch.float64))
    assert seen == [["weight"], []]


def test_a_full_backward_hook_on_a_term_runs(square, absolute):
    loss = square + 0.5 * absolute
    grads = []
    absolute.register_full_backward_hook(lambda module, grad_in, grad_out: grads.append(grad_in[0]))
    x = X.clone().requires_grad_()
    loss(x, Y).backward()
    assert len(grads) == 1
    torch.testing.assert_close(grads[0], 0.5 * torch.sign(X - Y) / 3)  # d(0.5 * mean|x - y|)/dx


def test_hooks_on_the_composite_itself_run(square, absolute):
    loss = square + 0.5 * absolute
    seen = []
    loss.register_forward_pre_hook(lambda module, args: seen.append("pre"))
    loss.register_forward_hook(lambda module, args, out: seen.append("post"))
    torch.testing.assert_close(loss(X, Y), as_tensor(TOTAL))
    assert seen == ["pre", "post"]


def test_global_module_hooks_see_every_term(square, absolute):
    loss = square + 0.5 * absolute
    before, after = [], []
    pre = register_module_forward_pre_hook(lambda module, args: before.append(module))
    post = register_module_forward_hook(lambda module, args, out: after.append(module))
    try:
        total = loss(X, Y)
        _, parts = loss.breakdown(X, Y)
    finally:
        pre.remove()
        post.remove()
    torch.testing.assert_close(total, as_tensor(TOTAL))
    torch.testing.assert_close(parts["square"], as_tensor(SQ_MEAN))
    assert before == [loss, square, absolute, square, absolute]  # the call, then the breakdown's terms
    assert after == [square, absolute, loss, square, absolute]


def test_hooks_on_a_task_of_a_multitask_run(square, absolute):
    loss = MultiTask({"seg": absolute, "depth": square}, weights={"seg": 0.5})
    seen = []
    absolute.register_forward_hook(lambda module, args, out: seen.append(module) or 4 * out)
    total, parts = loss.breakdown({"seg": X, "depth": X}, {"seg": Y, "depth": Y})
    assert seen == [absolute]
    torch.testing.assert_close(parts["seg"], as_tensor(4 * ABS_MEAN))
    torch.testing.assert_close(total, as_tensor(SQ_MEAN + 0.5 * 4 * ABS_MEAN))
