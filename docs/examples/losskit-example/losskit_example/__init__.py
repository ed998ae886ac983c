"""An example third-party losskit plugin: Tukey's biweight robust loss."""

from .tukey import TukeyBiweightLoss, tukey_biweight_loss

__all__ = ["TukeyBiweightLoss", "tukey_biweight_loss"]
