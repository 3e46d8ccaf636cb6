"""The loop that runs an agent in a gymnasium environment and logs every episode's return.

Gymnasium >= 1.0 semantics: ``reset(seed=...)`` seeds the environment once (later resets
continue its random stream), ``action_space.seed(...)`` seeds random actions, and ``step``
returns five values, ``(observation, reward, terminated, truncated, info)``. An episode ends
on either flag; the agent is told which one, because only ``terminated`` means "no future".
"""
import dataclasses
import time

import gymnasium
import numpy as np

from genai_kit import checks, progress, tensorflow_messages

# the window of the "solved" test: CartPole-v1 counts as solved at a 100-episode mean >= 475
SOLVED_WINDOW = 100


@dataclasses.dataclass
class TrainingLog:
    """What one training run did, episode by episode.

    Attributes:
        episode_returns: array (episodes,) float, the undiscounted return of each episode.
        episode_lengths: array (episodes,) int, its number of environment steps.
        steps: int, environment steps in all.
        seconds: float, wall time of the run.
        solved_episode: int or None, the number of episodes after which the mean return of
            the last ``SOLVED_WINDOW`` first reached ``solved_return`` (None: never, or no
            threshold given).
        solved_step: int or None, the environment steps taken by then.
    """
    episode_returns: np.ndarray
    episode_lengths: np.ndarray
    steps: int
    seconds: float
    solved_episode: int = None
    solved_step: int = None

    def last_mean(self, episodes=20):
        """The mean return of the last ``episodes`` episodes (all of them if fewer)."""
        return float(np.mean(self.episode_returns[-episodes:]))


def train(env, agent, num_episodes=None, max_steps=None, seed=0, solved_return=None,
          solved_window=SOLVED_WINDOW, progress_bar=True, description="training"):
    """Runs ``agent`` in ``env`` and lets it learn, until a budget or the solved test is met.

    Args:
        env: a gymnasium environment (``gymnasium.make("CartPole-v1")``).
        agent: an object with ``act(observation)`` -> int and ``observe(observation, action,
            reward, next_observation, terminated, truncated)``, e.g. ``rl.reinforce.Reinforce``
            or ``rl.dqn.DQN``.
        num_episodes: int >= 1 or None, the most episodes.
        max_steps: int >= 1 or None, the most environment steps (the episode running when it
            is reached is finished). At least one of the two budgets is needed.
        seed: int, seeds the environment (``reset(seed=)``) and its action space.
        solved_return: float or None: stop once the mean return of the last
            ``solved_window`` episodes reaches it (475 for CartPole-v1).
        solved_window: int >= 1, episodes in that mean.
        progress_bar: show a text progress bar with the recent mean return.
        description: the bar's label.
    Returns:
        ``TrainingLog``.
    """
    if num_episodes is None and max_steps is None:
        raise ValueError("give a budget: num_episodes=..., max_steps=... or both")
    if num_episodes is not None:
        num_episodes = checks.integer("num_episodes", num_episodes, minimum=1)
    if max_steps is not None:
        max_steps = checks.integer("max_steps", max_steps, minimum=1)
    solved_window = checks.integer("solved_window", solved_window, minimum=1)
    seed = checks.integer("seed", seed)
    episode_returns, episode_lengths = [], []
    steps, solved_episode, solved_step = 0, None, None
    start = time.perf_counter()
    bar = progress.progress_bar(total=num_episodes if num_episodes else max_steps,
                                desc=description, unit="episode" if num_episodes else "step",
                                disable=not progress_bar)
    observation, _ = env.reset(seed=seed)
    env.action_space.seed(seed)
    with bar:
        while ((num_episodes is None or len(episode_returns) < num_episodes)
               and (max_steps is None or steps < max_steps)):
            episode_return, length, done = 0.0, 0, False
            while not done:
                action = agent.act(observation)
                next_observation, reward, terminated, truncated, _ = env.step(action)
                agent.observe(observation, action, reward, next_observation, terminated,
                              truncated)
                episode_return += float(reward)
                length += 1
                observation = next_observation
                done = terminated or truncated
            observation, _ = env.reset()
            steps += length
            episode_returns.append(episode_return)
            episode_lengths.append(length)
            bar.update(1 if num_episodes else min(length, bar.total - bar.n))
            bar.set_postfix_str(f"mean return {np.mean(episode_returns[-20:]):.1f}", refresh=False)
            if (solved_return is not None and len(episode_returns) >= solved_window
                    and np.mean(episode_returns[-solved_window:]) >= solved_return):
                solved_episode, solved_step = len(episode_returns), steps
                break
    return TrainingLog(np.asarray(episode_returns, np.float64), np.asarray(episode_lengths),
                       steps, time.perf_counter() - start, solved_episode, solved_step)


def train_seeds(make_agent, seeds, env_id="CartPole-v1", description="training", **options):
    """``train`` once per seed, each with a fresh environment and a fresh agent.

    Args:
        make_agent: function (env, seed) -> agent.
        seeds: sequence of ints.
        env_id: a gymnasium environment id.
        description: the progress bar's label; the seed is appended.
        options: ``train``'s keyword arguments (``num_episodes``, ``max_steps``, ...).
    Returns:
        list of ``TrainingLog``, one per seed.
    """
    logs = []
    # each agent traces its own compiled functions once: not a retracing problem
    with tensorflow_messages.models_built_per_trial():
        for seed in seeds:
            env = gymnasium.make(env_id)
            logs.append(train(env, make_agent(env, seed), seed=seed,
                              description=f"{description}, seed {seed}", **options))
            env.close()
    return logs


def random_returns(env, num_episodes=100, seed=0):
    """The returns of the uniformly random policy: the floor a learner has to beat.

    Args:
        env: a gymnasium environment.
        num_episodes: int >= 1.
        seed: int, seeds the environment and its action space.
    Returns:
        array (num_episodes,) float.
    """
    num_episodes = checks.integer("num_episodes", num_episodes, minimum=1)
    env.reset(seed=seed)
    env.action_space.seed(seed)
    episode_returns = []
    for _ in range(num_episodes):
        env.reset()
        episode_return, done = 0.0, False
        while not done:
            _, reward, terminated, truncated, _ = env.step(env.action_space.sample())
            episode_return += float(reward)
            done = terminated or truncated
        episode_returns.append(episode_return)
    return np.asarray(episode_returns)


def moving_average(values, window):
    """The mean of each run of ``window`` consecutive values: (n,) -> (n - window + 1,).

    Returns the plain mean of all values (shape (1,)) when there are fewer than ``window``.
    """
    values = np.asarray(values, np.float64)
    window = checks.integer("window", window, minimum=1)
    if len(values) < window:
        return np.array([values.mean()]) if len(values) else values
    cumulative = np.cumsum(np.insert(values, 0, 0.0))
    return (cumulative[window:] - cumulative[:-window]) / window
