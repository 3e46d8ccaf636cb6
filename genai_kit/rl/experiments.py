"""Variants of the two learners, run over several seeds, summarised and plotted.

Week 8's notebook and ``benchmarks/rl_cartpole.py --algorithms ablations`` run the same
variants through these functions: the notebook with a short budget in quick mode, the
benchmark with the notebook's full budget.
"""
import matplotlib.pyplot as plt
import numpy as np

from genai_kit import checks
from genai_kit.rl import dqn, loop, reinforce

# the notebook's full-mode budgets per run (the benchmark's defaults)
REINFORCE_EPISODES = 300
DQN_STEPS = 20_000
SEEDS = (0, 1, 2)
# the curves' smoothing: the mean return of this many consecutive episodes
CURVE_WINDOW = 20
# the episodes a run's final return is averaged over
FINAL_EPISODES = 50


def reinforce_variants():
    """REINFORCE without and with variance reduction: label -> ``Reinforce`` keyword arguments.

    - raw returns: ``G_t`` itself weighs ``log pi(a_t | s_t)``;
    - normalised returns: the course text's version, zero mean and unit spread per episode;
    - learned baseline: ``G_t - V(s_t)``, normalised.
    """
    return {
        "raw returns": {"baseline": False, "normalize": False},
        "normalised returns (course text)": {"baseline": False, "normalize": True},
        "learned value baseline": {"baseline": True, "normalize": True},
    }


def dqn_variants(num_steps):
    """DQN with one piece taken out at a time: label -> ``DQN`` keyword arguments.

    Args:
        num_steps: int >= 1, the run's environment steps: epsilon decays over the first half.
    Returns:
        dict: the full DQN, no target network (a copy after every step), no replay buffer
        (batches from the latest 32 transitions only) and a constant epsilon of 0.1.
    """
    num_steps = checks.integer("num_steps", num_steps, minimum=1)
    learning_starts = min(dqn.LEARNING_STARTS, max(num_steps // 10, dqn.BATCH_SIZE))
    full = {"epsilon_decay_steps": num_steps // 2, "learning_starts": learning_starts}
    return {
        "DQN": full,
        "no target network": {**full, "target_update_interval": 1},
        "no replay buffer": {**full, "buffer_size": 32, "batch_size": 32},
        "constant epsilon 0.1": {**full, "epsilon_start": 0.1, "epsilon_end": 0.1},
    }


def run_variants(algorithm, variants, seeds, env_id="CartPole-v1", **budget):
    """Trains every variant once per seed.

    Args:
        algorithm: ``"reinforce"`` or ``"dqn"``.
        variants: dict label -> the agent's keyword arguments.
        seeds: sequence of ints.
        env_id: a gymnasium environment id.
        budget: ``loop.train``'s keyword arguments, e.g. ``num_episodes=300``.
    Returns:
        dict label -> list of ``loop.TrainingLog``, one per seed.
    """
    agent_class = {"reinforce": reinforce.Reinforce, "dqn": dqn.DQN}[
        checks.choice("algorithm", algorithm, ("reinforce", "dqn"))]
    results = {}
    for label, options in variants.items():
        def make_agent(env, seed, options=options):
            return agent_class(env.observation_space, env.action_space, seed=seed, **options)
        results[label] = loop.train_seeds(make_agent, seeds, env_id=env_id, description=label,
                                          **budget)
    return results


def final_returns(logs, episodes=FINAL_EPISODES):
    """Each seed's mean return over its last ``episodes`` episodes: array (seeds,)."""
    return np.array([log.last_mean(episodes) for log in logs])


def drop_from_best(logs, window=CURVE_WINDOW, episodes=FINAL_EPISODES):
    """How far each seed fell from its best ``window``-episode mean by the end: (seeds,), >= 0."""
    return np.array([max(np.max(loop.moving_average(log.episode_returns, window))
                         - log.last_mean(episodes), 0.0) for log in logs])


def summary(results, episodes=FINAL_EPISODES):
    """A markdown table: per variant, the final return's mean and range over seeds, and more.

    Args:
        results: dict label -> list of ``loop.TrainingLog`` (``run_variants``'s result).
        episodes: the final return is the mean of each run's last ``episodes`` episodes.
    Returns:
        str.
    """
    lines = [f"| variant | last {episodes} episodes: mean over seeds | min - max over seeds | "
             f"largest drop from its best {CURVE_WINDOW}-episode mean | episodes | "
             f"environment steps | seconds |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for label, logs in results.items():
        final = final_returns(logs, episodes)
        lines.append(
            f"| {label} | {final.mean():.1f} | {final.min():.1f} - {final.max():.1f} | "
            f"{drop_from_best(logs, episodes=episodes).max():.1f} | "
            f"{np.mean([len(log.episode_returns) for log in logs]):.0f} | "
            f"{np.mean([log.steps for log in logs]):.0f} | "
            f"{np.mean([log.seconds for log in logs]):.1f} |")
    return "\n".join(lines)


def plot_returns(results, ax=None, against="episodes", window=CURVE_WINDOW, floor=None):
    """Learning curves: the mean over seeds of each variant's smoothed return, with its range.

    Args:
        results: dict label -> list of ``loop.TrainingLog``.
        ax: a matplotlib axis, or None for a new figure.
        against: ``"episodes"`` or ``"steps"`` (environment steps) on the x axis.
        window: int >= 1, episodes in the moving average.
        floor: float or None, drawn as a dashed line (the random policy's return).
    Returns:
        the axis.
    """
    checks.choice("against", against, ("episodes", "steps"))
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    for label, logs in results.items():
        curves = []
        for log in logs:
            smoothed = loop.moving_average(log.episode_returns, window)
            ends = (np.arange(len(smoothed)) + min(window, len(log.episode_returns))
                    if against == "episodes" else
                    np.cumsum(log.episode_lengths)[len(log.episode_lengths) - len(smoothed):])
            curves.append((ends, smoothed))
        # the seeds on a common x grid, up to where the shortest one ends
        end = min(curve[0][-1] for curve in curves)
        start = max(curve[0][0] for curve in curves)
        grid = np.linspace(start, max(end, start), 200)
        values = np.array([np.interp(grid, x, y) for x, y in curves])
        line, = ax.plot(grid, values.mean(axis=0), label=f"{label} ({len(logs)} seeds)")
        ax.fill_between(grid, values.min(axis=0), values.max(axis=0), color=line.get_color(),
                        alpha=0.2)
    if floor is not None:
        ax.axhline(floor, color="grey", linestyle="--", label="random policy")
    ax.set(xlabel="episode" if against == "episodes" else "environment steps",
           ylabel=f"return ({window}-episode mean)")
    ax.legend(fontsize=8)
    return ax
