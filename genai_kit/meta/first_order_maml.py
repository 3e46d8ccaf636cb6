"""First-order MAML (Finn, Abbeel and Levine, 2017, section 5.2): MAML without the Hessian.

The same inner loop and query loss as :mod:`genai_kit.meta.maml`, but the inner gradient is
treated as a constant, so d theta' / d theta = I and the meta-gradient is simply

    mean_i grad L_query_i(theta_i')

the query gradient at the adapted weights, instead of (I - alpha * H_i) times it. It costs
one gradient per step instead of a gradient of a gradient. The paper found it almost as good on
its image tasks; ReLU networks are piecewise linear, so most of their Hessian comes from the
loss's curvature only.
"""
from genai_kit.meta import maml


class FirstOrderMAML(maml.MAML):
    """MAML with the second-order term dropped. Arguments as in ``MetaLearner``."""

    second_order = False
