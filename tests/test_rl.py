"""genai_kit.rl: returns, the replay buffer, the target network, seeding, bad input, learning.

The learning tests run each algorithm on CartPole-v1 within a budget of seconds and require
its last 20 episodes to average at least 3x the random policy's return.
"""
import gymnasium
import numpy as np
import pytest

from genai_kit.rl import dqn, loop, networks, reinforce, replay, returns
from tests.tolerances import FLOAT32_EPS, assert_rounding_close

ENV_ID = "CartPole-v1"


def cartpole():
    return gymnasium.make(ENV_ID)


def continuous_env():
    return gymnasium.make("Pendulum-v1")  # a Box action space


# ------------------------------------------------------------------ discounted returns
def test_discounted_returns_match_a_hand_computed_example():
    # G_2 = 3, G_1 = 2 + 0.5 * 3 = 3.5, G_0 = 1 + 0.5 * 3.5 = 2.75
    np.testing.assert_array_equal(returns.discounted_returns([1.0, 2.0, 3.0], gamma=0.5),
                                  np.array([2.75, 3.5, 3.0], np.float32))


def test_discounted_returns_bootstrap_from_the_value_after_the_last_step():
    # G_1 = 1 + 0.5 * 10 = 6, G_0 = 1 + 0.5 * 6 = 4
    np.testing.assert_array_equal(
        returns.discounted_returns([1.0, 1.0], gamma=0.5, bootstrap_value=10.0), [4.0, 6.0])


def test_undiscounted_returns_are_reversed_cumulative_sums():
    rewards = np.random.default_rng(0).normal(size=50)
    np.testing.assert_allclose(returns.discounted_returns(rewards, gamma=1.0),
                               np.cumsum(rewards[::-1])[::-1], rtol=0,
                               atol=50 * FLOAT32_EPS * np.abs(rewards).sum())


def test_normalized_returns_have_zero_mean_and_unit_spread():
    normalized = returns.discounted_returns(np.ones(30), gamma=0.9, normalize=True)
    assert_rounding_close(normalized.mean(), 0.0, roundings=30, magnitude=2.0)
    assert_rounding_close(normalized.std(), 1.0, roundings=30, magnitude=2.0)


@pytest.mark.parametrize("gamma", [0.0, -0.5, 1.01, float("nan")])
def test_discounted_returns_refuse_a_gamma_outside_0_1(gamma):
    with pytest.raises(ValueError, match=r"gamma must be in \(0\.0, 1\.0\]"):
        returns.discounted_returns([1.0], gamma)


def test_discounted_returns_refuse_a_batch_of_episodes():
    with pytest.raises(ValueError, match="one at a time"):
        returns.discounted_returns(np.ones((2, 3)), gamma=0.9)


# ------------------------------------------------------------------ the replay buffer
def add_numbered(buffer, numbers):
    for number in numbers:
        buffer.add(np.full(2, number), number % 2, float(number), np.full(2, number + 0.5),
                   terminated=number % 3 == 0)


def test_replay_buffer_wraps_and_keeps_the_newest_transitions():
    buffer = replay.ReplayBuffer(capacity=3, observation_size=2)
    add_numbered(buffer, range(5))  # 0 and 1 are overwritten by 3 and 4
    assert len(buffer) == 3
    np.testing.assert_array_equal(buffer.rewards, [3.0, 4.0, 2.0])
    np.testing.assert_array_equal(buffer.observations[:, 0], [3.0, 4.0, 2.0])
    np.testing.assert_array_equal(buffer.next_observations[:, 0], [3.5, 4.5, 2.5])
    np.testing.assert_array_equal(buffer.terminated, [1.0, 0.0, 0.0])
    batches = [buffer.sample(3) for _ in range(60)]
    observations, actions, rewards, next_observations, terminated = (
        np.concatenate(parts) for parts in zip(*batches))
    assert set(rewards.tolist()) == {2.0, 3.0, 4.0}  # every one, and only those held
    np.testing.assert_array_equal(observations[:, 0], rewards)
    np.testing.assert_array_equal(actions, rewards.astype(int) % 2)
    np.testing.assert_array_equal(next_observations[:, 1], rewards + 0.5)
    np.testing.assert_array_equal(terminated, (rewards % 3 == 0).astype(np.float32))


def test_replay_buffer_before_it_is_full_samples_only_what_it_holds():
    buffer = replay.ReplayBuffer(capacity=10, observation_size=2)
    add_numbered(buffer, [7, 8])
    assert len(buffer) == 2
    rewards = np.concatenate([buffer.sample(2)[2] for _ in range(30)])
    assert set(rewards.tolist()) == {7.0, 8.0}


@pytest.mark.parametrize("capacity", [0, -3])
def test_replay_buffer_refuses_a_capacity_below_one(capacity):
    with pytest.raises(ValueError, match="capacity must be >= 1"):
        replay.ReplayBuffer(capacity, observation_size=4)


def test_replay_buffer_refuses_a_batch_size_below_one():
    buffer = replay.ReplayBuffer(5, observation_size=2)
    add_numbered(buffer, range(5))
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        buffer.sample(0)


def test_replay_buffer_refuses_a_batch_larger_than_its_contents():
    buffer = replay.ReplayBuffer(100, observation_size=2)
    add_numbered(buffer, range(3))
    with pytest.raises(ValueError, match="larger than the 3 transitions in the buffer"):
        buffer.sample(4)


# ------------------------------------------------------------------ DQN's pieces
def test_epsilon_schedule_decays_linearly_then_stays():
    assert dqn.linear_epsilon(0, 1.0, 0.1, 100) == 1.0
    assert dqn.linear_epsilon(50, 1.0, 0.1, 100) == pytest.approx(0.55, abs=1e-12)
    assert dqn.linear_epsilon(100, 1.0, 0.1, 100) == 0.1
    assert dqn.linear_epsilon(10_000, 1.0, 0.1, 100) == 0.1
    assert dqn.linear_epsilon(0, 1.0, 0.1, 0) == 0.1


def test_td_targets_bootstrap_unless_terminated():
    next_target_q = np.array([[1.0, 5.0], [2.0, 3.0]], np.float32)
    targets = dqn.td_targets([1.0, 1.0], [0.0, 1.0], next_target_q, gamma=0.5)
    np.testing.assert_array_equal(targets.numpy(), [1.0 + 0.5 * 5.0, 1.0])


def test_double_dqn_targets_value_the_online_networks_choice_with_the_target_network():
    next_target_q = np.array([[1.0, 5.0]], np.float32)
    next_online_q = np.array([[9.0, 0.0]], np.float32)  # the online network prefers action 0
    targets = dqn.td_targets([0.0], [0.0], next_target_q, gamma=1.0, next_online_q=next_online_q)
    np.testing.assert_array_equal(targets.numpy(), [1.0])


def weights_of(model):
    return [weight.numpy().copy() for weight in model.weights]


def small_dqn(**options):
    env = cartpole()
    settings = dict(hidden_units=(8,), batch_size=4, learning_starts=4, seed=0)
    settings.update(options)
    return env, dqn.DQN(env.observation_space, env.action_space, **settings)


def feed_random_transitions(agent, count, seed=0):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        agent.observe(rng.normal(size=4), int(rng.integers(2)), 1.0, rng.normal(size=4),
                      terminated=False, truncated=False)


def test_target_network_changes_only_at_its_interval():
    _, agent = small_dqn(target_update_interval=5, learning_rate=1e-2)
    feed_random_transitions(agent, 3)  # below learning_starts: no learning yet
    assert agent.learning_steps == 0
    changes = []
    for _ in range(12):
        before = weights_of(agent.target_network)
        feed_random_transitions(agent, 1)
        after = weights_of(agent.target_network)
        changed = any(not np.array_equal(b, a) for b, a in zip(before, after))
        changes.append(changed)
        if changed:  # a hard copy: the target equals the online network
            for target, online in zip(after, weights_of(agent.q_network)):
                np.testing.assert_array_equal(target, online)
    assert agent.learning_steps == 12
    assert [step for step, changed in enumerate(changes, start=1) if changed] == [5, 10]


def test_polyak_averaging_moves_the_target_a_fraction_tau_every_step():
    _, agent = small_dqn(polyak_tau=0.25, learning_rate=1e-2)
    feed_random_transitions(agent, 3)
    before = weights_of(agent.target_network)
    feed_random_transitions(agent, 1)  # the first learning step
    online = weights_of(agent.q_network)
    for target, old, new in zip(weights_of(agent.target_network), before, online):
        expected = 0.25 * new + 0.75 * old
        assert_rounding_close(target, expected, roundings=3)
    assert any(not np.array_equal(t, o) for t, o in zip(weights_of(agent.target_network), before))


class RecordEndings(gymnasium.Wrapper):
    """Records the (terminated, truncated) flags of every step."""

    def __init__(self, env):
        super().__init__(env)
        self.flags = []

    def step(self, action):
        observation, reward, terminated, truncated, info = self.env.step(action)
        self.flags.append((terminated, truncated))
        return observation, reward, terminated, truncated, info


def test_dqn_stores_terminated_but_not_truncated_as_the_end_of_the_future():
    env = RecordEndings(gymnasium.make(ENV_ID, max_episode_steps=15))  # a 15-step time limit
    # random actions (epsilon = 1), no learning: the pole falls in some episodes, not in others
    agent = dqn.DQN(env.observation_space, env.action_space, hidden_units=(8,), batch_size=2,
                    learning_starts=1_000, epsilon_start=1.0, epsilon_end=1.0, seed=0)
    loop.train(env, agent, num_episodes=40, seed=0, progress_bar=False)
    terminated, truncated = np.array(env.flags).T
    assert (truncated & ~terminated).any() and terminated.any()
    # a truncated step still bootstraps: only terminated is stored as the end
    np.testing.assert_array_equal(agent.buffer.terminated[:len(terminated)], terminated)


def test_agents_never_call_predict_per_step(monkeypatch):
    env = cartpole()
    agents = [reinforce.Reinforce(env.observation_space, env.action_space, seed=0),
              dqn.DQN(env.observation_space, env.action_space, learning_starts=64, seed=0)]

    def refuse(*args, **kwargs):
        raise AssertionError("model.predict called while acting")

    for agent in agents:
        for model in [agent.policy if hasattr(agent, "policy") else agent.q_network]:
            monkeypatch.setattr(model, "predict", refuse)
        loop.train(env, agent, max_steps=150, progress_bar=False)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("agent", [dqn.DQN, reinforce.Reinforce])
def test_agents_refuse_a_continuous_action_space(agent):
    env = continuous_env()
    with pytest.raises(ValueError, match=r"needs a discrete action space \(gymnasium.spaces.Discrete\)"):
        agent(env.observation_space, env.action_space)


@pytest.mark.parametrize("agent", [dqn.DQN, reinforce.Reinforce])
@pytest.mark.parametrize("gamma", [0.0, 1.5])
def test_agents_refuse_a_gamma_outside_0_1(agent, gamma):
    env = cartpole()
    with pytest.raises(ValueError, match="gamma must be in"):
        agent(env.observation_space, env.action_space, gamma=gamma)


@pytest.mark.parametrize("options, message", [
    ({"buffer_size": 0}, "buffer_size must be >= 1"),
    ({"batch_size": 0}, "batch_size must be >= 1"),
    ({"batch_size": 64, "buffer_size": 32}, "batch_size 64 is larger than buffer_size 32"),
    ({"batch_size": 64, "learning_starts": 10}, "learning_starts must be >= 64"),
    ({"polyak_tau": 1.5}, "polyak_tau must be in"),
])
def test_dqn_refuses_bad_sizes(options, message):
    env = cartpole()
    with pytest.raises(ValueError, match=message):
        dqn.DQN(env.observation_space, env.action_space, **options)


def test_training_loop_needs_a_budget():
    env = cartpole()
    agent = reinforce.Reinforce(env.observation_space, env.action_space, seed=0)
    with pytest.raises(ValueError, match="give a budget"):
        loop.train(env, agent)


def test_networks_refuse_empty_layers():
    with pytest.raises(ValueError, match="hidden_units must be >= 1"):
        networks.mlp(4, 2, hidden_units=(0,))


# ------------------------------------------------------------------ seeding
def test_random_policy_is_seeded():
    np.testing.assert_array_equal(loop.random_returns(cartpole(), 10, seed=3),
                                  loop.random_returns(cartpole(), 10, seed=3))


def reinforce_returns(seed, episodes=15):
    env = cartpole()
    agent = reinforce.Reinforce(env.observation_space, env.action_space, seed=seed)
    return loop.train(env, agent, num_episodes=episodes, seed=seed, progress_bar=False).episode_returns


def dqn_returns(seed, steps=600):
    env = cartpole()
    agent = dqn.DQN(env.observation_space, env.action_space, learning_starts=200,
                    epsilon_decay_steps=400, seed=seed)
    return loop.train(env, agent, max_steps=steps, seed=seed, progress_bar=False).episode_returns


@pytest.mark.parametrize("run", [reinforce_returns, dqn_returns], ids=["reinforce", "dqn"])
def test_same_seed_same_returns(run):
    # the same code path with the same seeds on one machine: equal to the bit
    first, second = run(seed=4), run(seed=4)
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, run(seed=5))  # and the seed matters


# ------------------------------------------------------------------ learning (quick budget)
@pytest.fixture(scope="module")
def random_policy_return():
    return float(loop.random_returns(cartpole(), num_episodes=100, seed=0).mean())


def test_reinforce_with_baseline_learns_cartpole(random_policy_return):
    env = cartpole()
    agent = reinforce.Reinforce(env.observation_space, env.action_space, baseline=True, seed=0)
    log = loop.train(env, agent, num_episodes=200, seed=0, progress_bar=False)
    assert log.last_mean(20) >= 3 * random_policy_return, (
        f"last 20 episodes {log.last_mean(20):.1f}, random policy {random_policy_return:.1f}")


def test_dqn_learns_cartpole(random_policy_return):
    env = cartpole()
    agent = dqn.DQN(env.observation_space, env.action_space, learning_starts=500,
                    epsilon_decay_steps=5_000, target_update_interval=250, seed=0)
    log = loop.train(env, agent, max_steps=6_000, seed=0, progress_bar=False)
    assert log.last_mean(20) >= 3 * random_policy_return, (
        f"last 20 episodes {log.last_mean(20):.1f}, random policy {random_policy_return:.1f}")


def test_reinforce_bootstraps_a_truncated_episode_with_its_value_and_not_a_terminated_one():
    env = RecordEndings(gymnasium.make(ENV_ID, max_episode_steps=15))
    agent = reinforce.Reinforce(env.observation_space, env.action_space, seed=0)
    bootstraps = []
    learn = agent.learn
    agent.learn = lambda *args: bootstraps.append(args[3]) or learn(*args)
    loop.train(env, agent, num_episodes=30, seed=0, progress_bar=False)
    terminated, truncated = np.array(env.flags).T
    ends = truncated | terminated
    cut_off = (truncated & ~terminated)[ends]
    assert cut_off.any() and not cut_off.all()
    bootstraps = np.array(bootstraps)
    assert np.all(bootstraps[~cut_off] == 0.0)
    assert np.all(bootstraps[cut_off] != 0.0)  # V(s') of an untrained value network


def test_long_run_settings_build_the_wider_dqn_with_their_learning_rate_and_batch():
    env = cartpole()
    agent = dqn.DQN(env.observation_space, env.action_space, seed=0,
                    **dqn.LONG_RUN_SETTINGS)
    widths = [layer.units for layer in agent.q_network.layers if hasattr(layer, "units")]
    assert widths == [*dqn.LONG_RUN_SETTINGS["hidden_units"], env.action_space.n]
    assert agent.batch_size == dqn.LONG_RUN_SETTINGS["batch_size"]
    assert float(agent.optimizer.learning_rate) == pytest.approx(
        dqn.LONG_RUN_SETTINGS["learning_rate"], rel=FLOAT32_EPS)
