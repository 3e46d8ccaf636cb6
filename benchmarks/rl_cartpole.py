"""REINFORCE (with a learned baseline) and DQN on CartPole-v1: how long to solve it, and how fast.

For each algorithm and seed, trains until the mean return of the last 100 episodes reaches
475 (CartPole-v1's "solved") or the budget runs out, and prints the episodes, environment
steps and wall time it took; a seed that does not get there is printed as failed, with the
best 100-episode mean it reached. Also measures, in the same run:

- the random policy's mean return over 100 episodes (the floor a learner has to beat);
- with ``--algorithms ablations``, week 8's comparisons at the notebook's full budget: REINFORCE
  with raw returns, normalised returns and a learned baseline, and DQN without its target
  network, without its replay buffer, and with a constant epsilon (``genai_kit.rl.experiments``);
- environment steps per second of the kit's acting (a compiled call of the network per
  step) against a loop that calls ``model.predict`` once per step on the same network, as a
  ratio, and the kit's whole DQN training loop (acting and a learning step per step).

    python benchmarks/rl_cartpole.py                                  # both, seeds 0 1 2
    python benchmarks/rl_cartpole.py --algorithms reinforce --seeds 0 1 2 3 4
    python benchmarks/rl_cartpole.py --algorithms dqn --dqn-settings tuned
    python benchmarks/rl_cartpole.py --algorithms speed               # the speed ratio only
    python benchmarks/rl_cartpole.py --algorithms ablations           # notebook 08, full budget
"""
import argparse
import time

import gymnasium
import numpy as np

import genai_kit  # noqa: F401  (before keras: TensorFlow defaults)
from genai_kit.rl import dqn, experiments, loop, reinforce

ENV_ID = "CartPole-v1"
SOLVED_RETURN = 475.0
# --dqn-settings: the kit's defaults, or a slower-learning, wider DQN (smaller steps on larger
# batches, less exploration at the end)
DQN_SETTINGS = {
    "defaults": {},
    "tuned": dqn.LONG_RUN_SETTINGS,
}


def make_reinforce(env, seed):
    return reinforce.Reinforce(env.observation_space, env.action_space, baseline=True, seed=seed)


def make_dqn(env, seed, settings="defaults"):
    return dqn.DQN(env.observation_space, env.action_space, seed=seed, **DQN_SETTINGS[settings])


def best_window_mean(episode_returns, window=loop.SOLVED_WINDOW):
    return float(np.max(loop.moving_average(episode_returns, window)))


def steps_per_second(act, num_steps, seed=0):
    """Environment steps per second of a loop that calls ``act(observation)`` every step."""
    env = gymnasium.make(ENV_ID)
    observation, _ = env.reset(seed=seed)
    act(observation)  # warm-up: traces a compiled function, builds predict's machinery
    start = time.perf_counter()
    for _ in range(num_steps):
        observation, _, terminated, truncated, _ = env.step(act(observation))
        if terminated or truncated:
            observation, _ = env.reset()
    return num_steps / (time.perf_counter() - start)


def measure_speed(num_steps, predict_steps):
    env = gymnasium.make(ENV_ID)
    agent = make_dqn(env, seed=0)
    kit = steps_per_second(lambda observation: agent.act(observation, explore=False), num_steps)

    def predict_act(observation):
        return int(np.argmax(agent.q_network.predict(observation[None], verbose=0)[0]))

    predict = steps_per_second(predict_act, predict_steps)
    # the whole training loop: acting, storing, and one learning step per environment step
    training_agent = dqn.DQN(env.observation_space, env.action_space, learning_starts=64, seed=0)
    log = loop.train(env, training_agent, max_steps=64 + num_steps, progress_bar=False)
    training = log.steps / log.seconds
    print(f"\nenvironment steps per second: the kit's compiled acting {kit:.0f}, model.predict "
          f"per step {predict:.1f} ({kit / predict:.0f}x); the kit's DQN training loop with a "
          f"learning step per environment step {training:.0f} ({training / predict:.0f}x "
          f"predict's acting alone)")


def run_ablations(seeds):
    for algorithm, variants, budget in [
            ("reinforce", experiments.reinforce_variants(),
             {"num_episodes": experiments.REINFORCE_EPISODES}),
            ("dqn", experiments.dqn_variants(experiments.DQN_STEPS),
             {"max_steps": experiments.DQN_STEPS})]:
        for label, options in variants.items():  # one row at a time, printed as it finishes
            results = experiments.run_variants(algorithm, {label: options}, seeds,
                                               env_id=ENV_ID, progress_bar=False, **budget)
            table = experiments.summary(results).splitlines()
            if label == next(iter(variants)):
                print(f"\n{algorithm}, {budget}, seeds {list(seeds)}")
                print("\n".join(table[:2]))
            print(table[2], flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--algorithms", nargs="+", default=["speed", "reinforce", "dqn"],
                        choices=["speed", "reinforce", "dqn", "ablations"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--reinforce-episodes", type=int, default=3000,
                        help="REINFORCE's budget per seed")
    parser.add_argument("--dqn-steps", type=int, default=200_000, help="DQN's budget per seed")
    parser.add_argument("--dqn-settings", choices=sorted(DQN_SETTINGS), default="defaults")
    parser.add_argument("--speed-steps", type=int, default=3000)
    parser.add_argument("--predict-steps", type=int, default=300)
    args = parser.parse_args()

    env = gymnasium.make(ENV_ID)
    floor = loop.random_returns(env, num_episodes=100, seed=0)
    print(f"random policy on {ENV_ID}: mean return {floor.mean():.1f} over 100 episodes "
          f"(std {floor.std():.1f})")
    if "speed" in args.algorithms:
        measure_speed(args.speed_steps, args.predict_steps)

    if "ablations" in args.algorithms:
        run_ablations(args.seeds)

    builders = {"reinforce": (make_reinforce, {"num_episodes": args.reinforce_episodes}),
                "dqn": (lambda env, seed: make_dqn(env, seed, args.dqn_settings),
                        {"max_steps": args.dqn_steps})}
    for algorithm in [name for name in builders if name in args.algorithms]:
        make_agent, budget = builders[algorithm]
        label = f"dqn ({args.dqn_settings})" if algorithm == "dqn" else algorithm
        print(f"\n| {label} seed | solved (100-episode mean >= {SOLVED_RETURN:g}) | episodes | "
              f"environment steps | wall s | best 100-episode mean |")
        print("| --- | --- | --- | --- | --- | --- |")
        for seed in args.seeds:
            [log] = loop.train_seeds(make_agent, [seed], env_id=ENV_ID, description=algorithm,
                                     solved_return=SOLVED_RETURN, progress_bar=False, **budget)
            solved = "yes" if log.solved_episode else f"no, budget {budget} spent"
            print(f"| {seed} | {solved} | {len(log.episode_returns)} | {log.steps} | "
                  f"{log.seconds:.0f} | {best_window_mean(log.episode_returns):.1f} |", flush=True)


if __name__ == "__main__":
    main()
