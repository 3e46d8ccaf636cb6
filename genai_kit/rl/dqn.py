"""The Deep Q-Network of the course text, every piece made to work and switchable.

A Q-network ``Q(s, a)`` learns the expected discounted return of action a in state s, and the
agent acts (mostly) greedily on it. Each learning step

1. samples a minibatch of past transitions ``(s, a, r, s', terminated)`` from the replay buffer,
2. computes the target ``y = r + gamma * (1 - terminated) * Q'(s', a*)`` with the target
   network ``Q'``, where ``a* = argmax_a Q'(s', a)`` (DQN) or ``argmax_a Q(s', a)`` (double DQN),
3. takes a gradient step on the Huber loss between ``Q(s, a)`` and ``y``,
4. and updates the target network: a hard copy every ``target_update_interval`` learning
   steps, or Polyak averaging ``Q' <- tau * Q + (1 - tau) * Q'`` after every step.

Only ``terminated`` cuts the bootstrap: a transition cut off by a time limit (``truncated``)
still has a future, so its target keeps ``gamma * Q'(s', a*)``.
"""
import keras
import numpy as np
import tensorflow as tf

from genai_kit import checks
from genai_kit.rl import networks, replay, returns, spaces

# optimization
LEARNING_RATE = 1e-3
GAMMA = 0.99
BATCH_SIZE = 64
# replay
BUFFER_SIZE = 50_000
LEARNING_STARTS = 1_000  # environment steps of pure exploration before the first update
TRAIN_EVERY = 1  # environment steps per learning step
# target network
TARGET_UPDATE_INTERVAL = 500  # learning steps between hard copies
# exploration
EPSILON_START = 1.0
EPSILON_END = 0.02
EPSILON_DECAY_STEPS = 10_000  # environment steps from EPSILON_START to EPSILON_END
# for a long run on CartPole-v1, ``DQN(..., **LONG_RUN_SETTINGS)``: smaller steps on larger
# batches, a wider network and less exploration at the end. The defaults above are the week's
# ablation baseline; the README's measured figures compare the two over seeds
# (benchmarks/rl_cartpole.py --dqn-settings defaults | tuned)
LONG_RUN_SETTINGS = {"learning_rate": 2.5e-4, "batch_size": 128, "epsilon_end": 0.01,
                     "hidden_units": (128, 128)}


def linear_epsilon(step, start=EPSILON_START, end=EPSILON_END, decay_steps=EPSILON_DECAY_STEPS):
    """The epsilon-greedy schedule: from ``start`` down to ``end`` linearly, then constant.

    Args:
        step: int >= 0, environment steps taken so far.
        start, end: floats in [0, 1], the first and the final probability of a random action.
        decay_steps: int >= 0, steps from ``start`` to ``end`` (0: ``end`` from the start).
    Returns:
        float in [min(start, end), max(start, end)].
    """
    if decay_steps <= 0 or step >= decay_steps:
        return float(end)
    return float(start + (end - start) * step / decay_steps)


def hard_update(target, online):
    """Copies every weight of the ``online`` network into the ``target`` network."""
    for target_weight, online_weight in zip(target.weights, online.weights):
        target_weight.assign(online_weight)


def polyak_update(target, online, tau):
    """Moves the target's weights a fraction ``tau`` in [0, 1] of the way to the online's."""
    for target_weight, online_weight in zip(target.weights, online.weights):
        target_weight.assign(tau * online_weight + (1.0 - tau) * target_weight)


def td_targets(rewards, terminated, next_target_q, gamma, next_online_q=None):
    """The DQN target ``y = r + gamma * (1 - terminated) * Q'(s', a*)`` for a batch.

    Args:
        rewards: (B,) float.
        terminated: (B,) float in {0, 1}: 1 where s' is terminal (no bootstrap).
        next_target_q: (B, A) float, the target network's Q'(s', .).
        gamma: float in (0, 1].
        next_online_q: None for DQN, ``a* = argmax_a Q'(s', a)``; or (B, A) float, the online
            network's Q(s', .), for double DQN, ``a* = argmax_a Q(s', a)`` valued by Q'.
    Returns:
        (B,) float32 tensor.
    """
    rewards = tf.cast(rewards, tf.float32)
    terminated = tf.cast(terminated, tf.float32)
    next_target_q = tf.cast(next_target_q, tf.float32)
    chooser = next_target_q if next_online_q is None else tf.cast(next_online_q, tf.float32)
    next_actions = tf.argmax(chooser, axis=1, output_type=tf.int32)
    next_values = tf.gather(next_target_q, next_actions, axis=1, batch_dims=1)
    return rewards + gamma * (1.0 - terminated) * next_values


class DQN:
    """A DQN agent: Q-network, target network, replay buffer, epsilon-greedy exploration.

    Args:
        observation_space: a ``gymnasium.spaces.Box`` (flat float observations).
        action_space: a ``gymnasium.spaces.Discrete``; a continuous space raises.
        hidden_units: widths of the Q-network's hidden layers.
        learning_rate: float > 0, Adam's step size.
        gamma: float in (0, 1], the discount factor.
        buffer_size: int >= 1, transitions the replay buffer holds. ``buffer_size =
            batch_size`` learns from the latest transitions only: no replay.
        batch_size: int in [1, buffer_size], transitions per learning step.
        learning_starts: int >= batch_size, environment steps before the first update.
        train_every: int >= 1, environment steps per learning step.
        target_update_interval: int >= 1, learning steps between hard copies into the
            target network; 1 copies after every step, the same as no target network.
        polyak_tau: None for hard copies, or a float in (0, 1]: Polyak averaging after every
            learning step instead.
        double_dqn: if True, the online network picks the next action and the target
            network values it (double DQN).
        loss: a Keras loss of (targets, predictions); ``keras.losses.Huber()`` by default.
        epsilon_start, epsilon_end, epsilon_decay_steps: the ``linear_epsilon`` schedule.
        gradient_clipnorm: float > 0 or None, clips the gradient's global norm.
        seed: int, seeds the initial weights, the exploration and the replay sampling.
    """

    def __init__(self, observation_space, action_space, hidden_units=networks.HIDDEN_UNITS,
                 learning_rate=LEARNING_RATE, gamma=GAMMA, buffer_size=BUFFER_SIZE,
                 batch_size=BATCH_SIZE, learning_starts=LEARNING_STARTS, train_every=TRAIN_EVERY,
                 target_update_interval=TARGET_UPDATE_INTERVAL, polyak_tau=None,
                 double_dqn=False, loss=None, epsilon_start=EPSILON_START,
                 epsilon_end=EPSILON_END, epsilon_decay_steps=EPSILON_DECAY_STEPS,
                 gradient_clipnorm=10.0, seed=0):
        self.observation_size = spaces.observation_size(observation_space)
        self.num_actions = spaces.action_count(action_space, "DQN")
        self.gamma = returns.check_gamma(gamma)
        learning_rate = checks.number("learning_rate", learning_rate, 0.0, low_inclusive=False)
        buffer_size = checks.integer("buffer_size", buffer_size, minimum=1,
                                     hint=": the replay buffer must hold at least one transition")
        self.batch_size = checks.integer("batch_size", batch_size, minimum=1,
                                         hint=": learn from at least one transition per step")
        if self.batch_size > buffer_size:
            raise ValueError(f"batch_size {self.batch_size} is larger than buffer_size "
                             f"{buffer_size}: a batch is drawn from the buffer's contents, so "
                             f"make the buffer at least as large as the batch")
        self.learning_starts = checks.integer(
            "learning_starts", learning_starts, minimum=self.batch_size,
            hint=f": the first update needs a full batch of {self.batch_size} transitions in "
                 f"the buffer")
        self.train_every = checks.integer("train_every", train_every, minimum=1)
        self.target_update_interval = checks.integer("target_update_interval",
                                                     target_update_interval, minimum=1)
        self.polyak_tau = None if polyak_tau is None else checks.number(
            "polyak_tau", polyak_tau, 0.0, 1.0, low_inclusive=False)
        self.double_dqn = bool(double_dqn)
        self.epsilon_start = checks.fraction("epsilon_start", epsilon_start)
        self.epsilon_end = checks.fraction("epsilon_end", epsilon_end)
        self.epsilon_decay_steps = checks.integer("epsilon_decay_steps", epsilon_decay_steps,
                                                  minimum=0)
        self.rng = np.random.default_rng(seed)
        self.buffer = replay.ReplayBuffer(buffer_size, self.observation_size, seed=seed + 1)
        self.q_network = networks.mlp(self.observation_size, self.num_actions, hidden_units,
                                      seed=seed, name="q_network")
        self.target_network = networks.mlp(self.observation_size, self.num_actions,
                                           hidden_units, seed=seed, name="target_network")
        hard_update(self.target_network, self.q_network)
        self.loss = loss if loss is not None else keras.losses.Huber()
        if gradient_clipnorm is not None:
            gradient_clipnorm = checks.number("gradient_clipnorm", gradient_clipnorm, 0.0,
                                              low_inclusive=False)
        self.optimizer = keras.optimizers.Adam(learning_rate, global_clipnorm=gradient_clipnorm)
        self.steps = 0  # environment steps observed
        self.learning_steps = 0  # gradient steps taken
        observations = tf.TensorSpec((None, self.observation_size), tf.float32)
        vector = tf.TensorSpec((None,), tf.float32)
        # compiled once per agent; the Python branches (double DQN, Polyak) are settled when
        # it is traced, so there is nothing for AutoGraph to convert
        self._q_values = tf.function(self.q_network, autograph=False,
                                     input_signature=[observations])
        self._learning_step = tf.function(
            self._learning_step_eager, autograph=False,
            input_signature=[observations, tf.TensorSpec((None,), tf.int32), vector,
                             observations, vector])

    # ------------------------------------------------------------------ acting
    @property
    def epsilon(self):
        """The probability of a random action at the current step, float in [0, 1]."""
        return linear_epsilon(self.steps, self.epsilon_start, self.epsilon_end,
                              self.epsilon_decay_steps)

    def act(self, observation, explore=True):
        """An epsilon-greedy action (``explore=True``) or the greedy one.

        Args:
            observation: array of ``observation_size`` floats.
            explore: True to take a random action with probability ``epsilon``.
        Returns:
            int in [0, num_actions).
        """
        if explore and self.rng.random() < self.epsilon:
            return int(self.rng.integers(self.num_actions))
        x = np.asarray(observation, np.float32).reshape(1, self.observation_size)
        return int(np.argmax(self._q_values(x).numpy()[0]))

    def q_values(self, observations):
        """Q(s, .) for a batch: array (n, d) float -> array (n, num_actions) float32."""
        x = np.asarray(observations, np.float32).reshape(-1, self.observation_size)
        return self._q_values(x).numpy()

    # ------------------------------------------------------------------ learning
    def observe(self, observation, action, reward, next_observation, terminated, truncated):
        """Stores one transition and, on schedule, takes a learning step.

        Args:
            observation, next_observation: arrays of ``observation_size`` floats.
            action: int, the action taken.
            reward: float.
            terminated: bool, a terminal state: the target does not bootstrap.
            truncated: bool, a time limit: the target still bootstraps (it is not stored).
        Returns:
            None, or a dict ``{"loss": float}`` after a learning step.
        """
        self.buffer.add(observation, action, reward, next_observation, terminated)
        self.steps += 1
        if self.steps < self.learning_starts or self.steps % self.train_every:
            return None
        return {"loss": self.learn()}

    def learn(self):
        """One learning step on a replay minibatch (steps 1-4 of the module docstring).

        Returns:
            float, the minibatch's loss before the step.
        """
        # 1. a minibatch from the replay buffer
        batch = self.buffer.sample(self.batch_size)
        # 2.-3. the target and the gradient step (4. Polyak averaging, when chosen)
        loss = float(self._learning_step(*batch))
        self.learning_steps += 1
        # 4. the hard copy, every target_update_interval learning steps
        if self.polyak_tau is None and self.learning_steps % self.target_update_interval == 0:
            hard_update(self.target_network, self.q_network)
        return loss

    def _learning_step_eager(self, observations, actions, rewards, next_observations, terminated):
        next_online_q = self.q_network(next_observations) if self.double_dqn else None
        targets = tf.stop_gradient(td_targets(rewards, terminated,
                                              self.target_network(next_observations),
                                              self.gamma, next_online_q))
        with tf.GradientTape() as tape:
            q_taken = tf.gather(self.q_network(observations, training=True), actions, axis=1,
                                batch_dims=1)
            loss = self.loss(targets[:, None], q_taken[:, None])
        variables = self.q_network.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        if self.polyak_tau is not None:
            polyak_update(self.target_network, self.q_network, self.polyak_tau)
        return loss
