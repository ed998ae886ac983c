"""The adversarial-training family of losskit: losses that attack the model they train.

Each loss takes the clean logits as ``input``, the class indices as ``target``,
and the model and its clean inputs from context::

    loss = get_loss("trades", beta=6.0)
    value = loss(model(x), y, model=model, inputs=x)

``pgd_adversarial`` and ``fgsm_adversarial`` (Madry et al. 2018; Goodfellow et
al. 2015; Wong et al. 2020), ``trades_kl`` and ``trades`` (Zhang et al. 2019),
``mart`` (Wang et al. 2020). ``pgd_attack`` gives the adversarial inputs, for
robust-accuracy evaluation. See ``docs/adversarial.md``.
"""

from .fgsm import FGSMAdversarialLoss, fgsm_adversarial_loss
from .mart import MARTLoss, mart_loss
from .pgd import PGDAdversarialLoss, pgd_adversarial_loss, pgd_attack
from .trades import TradesLoss, trades_loss
from .trades_kl import TradesKLLoss, trades_kl_loss

__all__ = [
    "FGSMAdversarialLoss",
    "MARTLoss",
    "PGDAdversarialLoss",
    "TradesKLLoss",
    "TradesLoss",
    "fgsm_adversarial_loss",
    "mart_loss",
    "pgd_adversarial_loss",
    "pgd_attack",
    "trades_kl_loss",
    "trades_loss",
]
