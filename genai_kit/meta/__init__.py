"""Meta-learning: initialisations that adapt to a new task in a few gradient steps.

- ``sinusoid``: the MAML paper's sinusoid regression tasks, its 1-40-40-1 network and the
  closed-form reference lines.
- ``inner_loop``: gradient steps on a support set as fast weights (``model.stateless_call``),
  differentiable or not.
- ``learner``: the outer loop all learners share; ``maml`` (second order),
  ``first_order_maml``, ``reptile`` and ``joint_training`` (the pretrained baseline) each
  define their meta-gradient.
- ``evaluation``: adapt on held-out tasks, score after 0..n steps, confidence intervals.
- ``few_shot``: N-way K-shot classification of the bundled MNIST digits.
- ``sinusoid_experiment``: the paper's sinusoid experiment, shared by notebook 09 and the
  benchmark; ``plots``: the week's figures.
"""
from genai_kit.meta.first_order_maml import FirstOrderMAML
from genai_kit.meta.joint_training import JointTraining
from genai_kit.meta.maml import MAML
from genai_kit.meta.reptile import Reptile

__all__ = ["MAML", "FirstOrderMAML", "Reptile", "JointTraining"]
