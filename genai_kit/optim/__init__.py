"""Optimization for generative models: reference optimizers, loss surfaces, hyperparameter search.

- ``optimizers``: SGD, RMSprop, Adam and AdamW in numpy, step for step equal to ``keras.optimizers``.
- ``surfaces``: 2-D loss surfaces with known minima; ``paths``: optimizer paths over them.
- ``compare``: one Keras model trained with several optimizers from the same weights.
- ``search``: grid and random search with k-fold cross-validation from scratch, and the same
  search run by KerasTuner.
"""
from genai_kit.optim.optimizers import SGD, Adam, AdamW, Optimizer, RMSprop, trajectory

__all__ = ["SGD", "Adam", "AdamW", "Optimizer", "RMSprop", "trajectory"]
