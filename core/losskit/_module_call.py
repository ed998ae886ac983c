"""When ``nn.Module.__call__`` would only call ``forward``: then losskit calls ``forward`` itself.

A loss call is a few microseconds of kernels; ``nn.Module.__call__``'s bookkeeping is a visible
share of it. The test is ``nn.Module._call_impl``'s own, so that hooks, tracing and compiling see
every call exactly as they would through ``nn.Module.__call__``.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.modules import module as _torch_module

__all__ = ["calls_forward_only", "hooked"]


def calls_forward_only() -> bool:
    """Whether ``nn.Module.__call__`` on a module without hooks of its own would only call its ``forward``:
    no global hooks (``nn.modules.module.register_module_forward_hook`` and its kin), no TorchScript trace
    (which calls ``_slow_forward``), not inside ``torch.compile`` (which traces the modules' calls).

    :func:`hooked` is the per-module half of the test.
    """
    m = _torch_module
    return not (
        torch.compiler.is_compiling()  # first: Dynamo folds it to True, and traces nothing after it
        or m._global_forward_hooks or m._global_forward_pre_hooks or m._global_backward_hooks
        or m._global_backward_pre_hooks or torch._C._get_tracing_state()
    )


def hooked(module: nn.Module) -> bool:
    """Whether ``module`` has hooks of its own or a compiled call (``module.compile()``): then only
    ``nn.Module.__call__`` runs it as the user asked."""
    return bool(
        module._forward_hooks or module._forward_pre_hooks or module._backward_hooks or module._backward_pre_hooks
        or module._compiled_call_impl is not None
    )
