"""Reinforcement learning on gymnasium environments: REINFORCE and DQN, a module per idea.

- :mod:`genai_kit.rl.returns`: discounted returns, the quantity both learners estimate.
- :mod:`genai_kit.rl.networks`: the small policy, value and Q networks.
- :mod:`genai_kit.rl.reinforce`: REINFORCE, with an optional learned value baseline.
- :mod:`genai_kit.rl.replay`: the replay buffer, a numpy ring buffer.
- :mod:`genai_kit.rl.dqn`: the Deep Q-Network: target network, Huber loss, epsilon-greedy
  exploration, double DQN.
- :mod:`genai_kit.rl.loop`: the loop that runs an agent in an environment and logs returns.
- :mod:`genai_kit.rl.experiments`: variants over several seeds, their summary and curves.

Acting and learning call compiled functions (``tf.function``) on the networks, never
``model.predict`` once per environment step: ``predict`` builds a dataset and a loop per call,
which costs far more than the network itself on a single observation.
"""
from genai_kit.rl import (dqn, experiments, loop, networks, reinforce, replay,  # noqa: F401
                          returns, spaces)
