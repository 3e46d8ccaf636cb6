"""Discounted returns: what a policy-gradient learner weighs each action's log-probability by.

The return from step t is ``G_t = r_t + gamma * r_{t+1} + gamma**2 * r_{t+2} + ...``,
computed backwards in one pass with ``G_t = r_t + gamma * G_{t+1}``.
"""
import numpy as np

from genai_kit import checks

# added to the standard deviation before dividing: a constant return does not divide by 0
NORMALIZE_EPSILON = 1e-8


def check_gamma(gamma):
    """``gamma`` as a float after checking it is a discount factor in (0, 1]."""
    return checks.number("gamma", gamma, 0.0, 1.0, low_inclusive=False,
                         hint=": the discount factor weighs a reward k steps ahead by gamma**k; "
                              "use e.g. gamma=0.99 (gamma=1 for no discount)")


def discounted_returns(rewards, gamma, normalize=False, bootstrap_value=0.0):
    """The discounted return from every step of one episode.

    Args:
        rewards: array (T,), float: the reward after each of the episode's T actions.
        gamma: float in (0, 1], the discount factor.
        normalize: if True, the returns are shifted and scaled to zero mean and unit
            standard deviation over the episode (the course text's variance reduction).
        bootstrap_value: float, an estimate of the return after the last step: 0 when the
            episode terminated, the value of the last observation when it was truncated
            (cut off by a time limit, so rewards would have continued).
    Returns:
        array (T,), float32: ``G_t = sum_k gamma**k * r_{t+k} + gamma**(T-t) * bootstrap_value``.
    """
    gamma = check_gamma(gamma)
    rewards = checks.float_array("rewards", rewards, dtype=np.float64)
    if rewards.ndim != 1:
        raise ValueError(f"rewards must be one episode's rewards, shape (T,), got shape "
                         f"{rewards.shape}: pass the episodes one at a time")
    checks.check_finite("rewards", rewards)
    returns = np.zeros_like(rewards)
    running_return = float(bootstrap_value)
    for t in reversed(range(len(rewards))):
        running_return = rewards[t] + gamma * running_return
        returns[t] = running_return
    if normalize and len(returns):
        returns = (returns - returns.mean()) / (returns.std() + NORMALIZE_EPSILON)
    return returns.astype(np.float32)
