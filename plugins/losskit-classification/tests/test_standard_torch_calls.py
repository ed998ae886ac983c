"""torch's calls work unchanged on the standard losses: class weights as weight=, constructor arguments by
position, CTC's four inputs with lengths as lists or tensors; kl_div states its default."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from losskit import CallError, describe, get_loss
from losskit_classification.standard.bce import BCELoss
from losskit_classification.standard.cross_entropy import CrossEntropyLoss, cross_entropy_loss
from losskit_classification.standard.ctc import CTCLoss, ctc_loss
from losskit_classification.standard.multi_margin import MultiMarginLoss
from losskit_classification.standard.multilabel_soft_margin import MultiLabelSoftMarginLoss
from losskit_classification.standard.nll import NLLLoss, nll_loss

g = torch.Generator().manual_seed(0)
logits = torch.randn(6, 4, generator=g, dtype=torch.float64)
classes = torch.tensor([0, 3, 1, 2, 2, -100])
w = torch.tensor([0.5, 1.0, 2.0, 3.0], dtype=torch.float64)
labels = torch.randint(0, 2, (6, 4), generator=g).double()
seq = torch.randn(10, 3, 5, generator=g, dtype=torch.float64).log_softmax(2)
seq_targets = torch.tensor([[1, 2, 3], [2, 4, 0], [1, 1, 0]])


@pytest.mark.parametrize(("ours", "theirs"), [
    (lambda: CrossEntropyLoss(w)(logits, classes), lambda: nn.CrossEntropyLoss(w)(logits, classes)),
    (lambda: CrossEntropyLoss(weight=w, label_smoothing=0.1)(logits, classes),
     lambda: nn.CrossEntropyLoss(weight=w, label_smoothing=0.1)(logits, classes)),
    (lambda: cross_entropy_loss(logits, classes, weight=w), lambda: nn.functional.cross_entropy(logits, classes, weight=w)),
    (lambda: get_loss("CrossEntropyLoss", weight=w)(logits, classes), lambda: nn.CrossEntropyLoss(w)(logits, classes)),
    (lambda: CrossEntropyLoss(class_weights=w.tolist())(logits, classes), lambda: nn.CrossEntropyLoss(w)(logits, classes)),
    (lambda: NLLLoss(w)(logits.log_softmax(1), classes), lambda: nn.NLLLoss(w)(logits.log_softmax(1), classes)),
    (lambda: nll_loss(logits.log_softmax(1), classes, weight=w), lambda: nn.NLLLoss(w)(logits.log_softmax(1), classes)),
    (lambda: MultiMarginLoss(2, 0.5, w)(logits, classes.clamp(min=0)),
     lambda: nn.MultiMarginLoss(2, 0.5, w)(logits, classes.clamp(min=0))),
    (lambda: MultiLabelSoftMarginLoss(w)(logits, labels), lambda: nn.MultiLabelSoftMarginLoss(w)(logits, labels)),
    (lambda: CTCLoss()(seq, seq_targets, [10, 9, 8], [3, 2, 2]), lambda: nn.CTCLoss()(seq, seq_targets, [10, 9, 8], [3, 2, 2])),
    (lambda: CTCLoss(0, "sum", True)(seq, seq_targets, (10, 9, 8), torch.tensor([3, 2, 2])),
     lambda: nn.CTCLoss(0, "sum", True)(seq, seq_targets, torch.tensor([10, 9, 8]), torch.tensor([3, 2, 2]))),
    (lambda: ctc_loss(log_probs=seq, targets=seq_targets, input_lengths=[10, 9, 8], target_lengths=[3, 2, 2]),
     lambda: nn.CTCLoss()(seq, seq_targets, [10, 9, 8], [3, 2, 2])),
    (lambda: CTCLoss()(seq, seq_targets, input_lengths=[10, 9, 8], target_lengths=[3, 2, 2]),
     lambda: nn.CTCLoss()(seq, seq_targets, [10, 9, 8], [3, 2, 2])),
])
def test_torch_calls_give_torch_values(ours, theirs):
    torch.testing.assert_close(ours(), theirs())


def test_ctc_lengths_of_another_kind_are_refused():
    with pytest.raises(Exception, match="input_lengths must be an integer tensor or a list or tuple of ints"):
        CTCLoss()(seq, seq_targets, [10.0, 9.0, 8.0], [3, 2, 2])
    with pytest.raises(CallError, match=r"missing the input 'target_lengths'; call it as loss\(log_probs, targets, "):
        CTCLoss()(seq, seq_targets, [10, 9, 8])


def test_bce_weights_are_given_at_call_time():
    with pytest.raises(CallError, match=r"weight= is given at call time here.*loss\(input, target, weight=\.\.\.\)"):
        BCELoss(weight=torch.ones(4))
    with pytest.raises(CallError, match="torch's deprecated form of reduction="):
        BCELoss(size_average=False)


def test_kl_div_states_its_default_that_differs_from_torch():
    assert "torch.nn.KLDivLoss defaults to 'mean'" in describe("kl_div")
