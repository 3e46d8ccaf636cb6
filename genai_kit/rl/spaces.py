"""What the agents need from a gymnasium environment's spaces, checked once.

Both agents read flat float observations (a ``Box``) and choose among a finite set of
actions (a ``Discrete``): a softmax over actions for REINFORCE, one Q-value per action for DQN.
"""
import gymnasium
import numpy as np


def observation_size(observation_space):
    """The number of floats in one observation of a ``gymnasium.spaces.Box``.

    Args:
        observation_space: the environment's ``observation_space``.
    Returns:
        int >= 1 (observations are flattened to this size).
    """
    if not isinstance(observation_space, gymnasium.spaces.Box):
        raise ValueError(f"expected a Box observation space (vectors of floats, as in "
                         f"CartPole-v1), got {observation_space}: wrap the environment with "
                         f"gymnasium.wrappers.FlattenObservation")
    return int(np.prod(observation_space.shape))


def action_count(action_space, agent):
    """The number of actions of a ``gymnasium.spaces.Discrete`` action space.

    Args:
        action_space: the environment's ``action_space``.
        agent: the agent's name, for the message.
    Returns:
        int >= 1.
    """
    if not isinstance(action_space, gymnasium.spaces.Discrete):
        raise ValueError(
            f"{agent} needs a discrete action space (gymnasium.spaces.Discrete), got "
            f"{action_space}: its network outputs one number per action. For continuous "
            f"actions discretise them (recent gymnasium releases have a DiscretizeAction "
            f"wrapper), or pick a discrete environment such as CartPole-v1")
    if action_space.start != 0:
        raise ValueError(f"expected actions numbered from 0, got {action_space}")
    return int(action_space.n)
