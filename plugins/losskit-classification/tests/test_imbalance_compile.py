"""The imbalance losses carry the 'compile' tag: their functional forms trace into one graph."""

from __future__ import annotations

import pytest
import torch

from losskit_classification.imbalance import SPECS


@pytest.mark.parametrize("spec", [s for s in SPECS if "compile" in s.tags], ids=lambda s: s.name)
def test_functional_compiles_without_graph_breaks(spec):
    torch._dynamo.reset()
    example = spec.example(torch.Generator().manual_seed(0), dtype=torch.float32, device="cpu", batch_size=6)
    loss = spec.factory(**spec.example_params)
    compiled = torch.compile(spec.functional, fullgraph=True, backend="eager")
    value = compiled(example.input, example.target, **loss.hparams, **example.context)
    torch.testing.assert_close(value, loss(example.input, example.target, **example.context))
