"""REINFORCE: the policy gradient of the course text, with an optional learned value baseline.

Reinforcement learning as optimization: find policy weights theta that maximise the expected
return ``J(theta) = E[G_0]``. The score-function (log-derivative) trick gives its gradient as
an expectation we can sample by playing episodes:

    grad J(theta) = E[ sum_t grad log pi(a_t | s_t) * (G_t - b(s_t)) ]

where ``G_t`` is the discounted return from step t and ``b`` any baseline that does not
depend on the action: it leaves the gradient unbiased and, close to the expected return, cuts
its variance. After every episode the agent

1. computes the discounted returns ``G_t`` (bootstrapped with the value of the last state
   when a time limit truncated the episode),
2. subtracts the baseline: the value network's ``V(s_t)``, or nothing,
3. optionally normalises the result to zero mean and unit spread (the course text does),
4. takes one gradient step on ``-mean(advantage_t * log pi(a_t | s_t))``,
5. and regresses the value network on ``G_t`` (mean squared error).
"""
import keras
import numpy as np
import tensorflow as tf

from genai_kit import checks
from genai_kit.rl import networks, returns, spaces

# optimization
LEARNING_RATE = 1e-3  # policy
VALUE_LEARNING_RATE = 3e-3  # value baseline
GAMMA = 0.99


def policy_gradient_loss(logits, actions, advantages):
    """The REINFORCE loss ``-mean_t(advantage_t * log pi(a_t | s_t))``.

    Its gradient is the score-function estimate of ``-grad J``: minimising it climbs the
    expected return. The advantages are constants (no gradient flows through them).

    Args:
        logits: (T, A) float, the policy's logits for each visited state.
        actions: (T,) int in [0, A), the actions taken.
        advantages: (T,) float, the (baselined, normalised) returns.
    Returns:
        scalar float32 tensor.
    """
    # -log pi(a_t | s_t)
    negative_log_probabilities = tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.cast(actions, tf.int32), logits=tf.cast(logits, tf.float32))
    return tf.reduce_mean(tf.stop_gradient(tf.cast(advantages, tf.float32))
                          * negative_log_probabilities)


class Reinforce:
    """A softmax policy trained by REINFORCE, one gradient step per episode.

    Args:
        observation_space: a ``gymnasium.spaces.Box`` (flat float observations).
        action_space: a ``gymnasium.spaces.Discrete``.
        hidden_units: widths of the policy's (and the value network's) hidden layers.
        learning_rate: float > 0, Adam's step size for the policy.
        gamma: float in (0, 1], the discount factor.
        baseline: if True, a value network ``V(s)`` learns the expected return and is
            subtracted from it (and bootstraps truncated episodes).
        value_learning_rate: float > 0, Adam's step size for the value network.
        normalize: if True, the advantages (the returns when there is no baseline) are
            normalised to zero mean and unit standard deviation per episode.
        seed: int, seeds the initial weights and the sampling of actions.
    """

    def __init__(self, observation_space, action_space, hidden_units=networks.HIDDEN_UNITS,
                 learning_rate=LEARNING_RATE, gamma=GAMMA, baseline=True,
                 value_learning_rate=VALUE_LEARNING_RATE, normalize=True, seed=0):
        self.observation_size = spaces.observation_size(observation_space)
        self.num_actions = spaces.action_count(action_space, "REINFORCE")
        self.gamma = returns.check_gamma(gamma)
        learning_rate = checks.number("learning_rate", learning_rate, 0.0, low_inclusive=False)
        self.baseline = bool(baseline)
        self.normalize = bool(normalize)
        self.rng = np.random.default_rng(seed)
        self.policy = networks.mlp(self.observation_size, self.num_actions, hidden_units,
                                   seed=seed, name="policy")
        self.optimizer = keras.optimizers.Adam(learning_rate)
        if self.baseline:
            value_learning_rate = checks.number("value_learning_rate", value_learning_rate, 0.0,
                                                low_inclusive=False)
            self.value = networks.mlp(self.observation_size, 1, hidden_units, seed=seed + 1,
                                      name="value")
            self.value_optimizer = keras.optimizers.Adam(value_learning_rate)
        observations = tf.TensorSpec((None, self.observation_size), tf.float32)
        vector = tf.TensorSpec((None,), tf.float32)
        # compiled once per agent, for any episode length; the Python code has no control
        # flow for AutoGraph to convert
        self._probabilities = tf.function(self._probabilities_eager, autograph=False,
                                          input_signature=[observations])
        self._policy_step = tf.function(
            self._policy_step_eager, autograph=False,
            input_signature=[observations, tf.TensorSpec((None,), tf.int32), vector])
        if self.baseline:
            self._values = tf.function(self._values_eager, autograph=False,
                                       input_signature=[observations])
            self._value_step = tf.function(self._value_step_eager, autograph=False,
                                           input_signature=[observations, vector])
        self._episode = []  # (observation, action, reward) of the episode so far

    # ------------------------------------------------------------------ acting
    def act(self, observation, explore=True):
        """An action for one observation: sampled from pi(. | s), or its most likely one.

        Args:
            observation: array of ``observation_size`` floats.
            explore: True to sample (training), False for the greedy action.
        Returns:
            int in [0, num_actions).
        """
        x = np.asarray(observation, np.float32).reshape(1, self.observation_size)
        probabilities = self._probabilities(x).numpy()[0]
        if not explore:
            return int(np.argmax(probabilities))
        # inverse-CDF sampling; the last bucket absorbs float32 rounding of the sum
        action = int(np.searchsorted(np.cumsum(probabilities), self.rng.random(), side="right"))
        return min(action, self.num_actions - 1)

    def action_probabilities(self, observations):
        """pi(. | s) for a batch: array (n, d) float -> array (n, num_actions), rows sum to 1."""
        x = np.asarray(observations, np.float32).reshape(-1, self.observation_size)
        return self._probabilities(x).numpy()

    # ------------------------------------------------------------------ learning
    def observe(self, observation, action, reward, next_observation, terminated, truncated):
        """Records one step; at the episode's end learns from it and returns its losses.

        Args:
            observation, next_observation: arrays of ``observation_size`` floats.
            action: int, the action taken.
            reward: float.
            terminated: bool, the episode reached a terminal state (no future rewards).
            truncated: bool, a time limit cut the episode off (future rewards existed).
        Returns:
            None during an episode; after its last step a dict of floats,
            ``policy_loss`` and (with a baseline) ``value_loss``.
        """
        self._episode.append((np.ravel(observation), action, reward))
        if not (terminated or truncated):
            return None
        observations = np.asarray([step[0] for step in self._episode], np.float32)
        actions = np.asarray([step[1] for step in self._episode], np.int32)
        rewards = np.asarray([step[2] for step in self._episode], np.float32)
        self._episode = []
        bootstrap_value = 0.0
        if truncated and not terminated and self.baseline:
            last = np.asarray(next_observation, np.float32).reshape(1, self.observation_size)
            bootstrap_value = float(self._values(last).numpy()[0])
        return self.learn(observations, actions, rewards, bootstrap_value)

    def learn(self, observations, actions, rewards, bootstrap_value=0.0):
        """One REINFORCE update from one episode (steps 1-5 of the module docstring).

        Args:
            observations: array (T, d) float32.
            actions: array (T,) int, in [0, num_actions).
            rewards: array (T,) float.
            bootstrap_value: float, the value of the state after the last step (0 if the
                episode terminated).
        Returns:
            dict of floats: ``policy_loss``, and ``value_loss`` with a baseline.
        """
        # 1. discounted returns
        episode_returns = returns.discounted_returns(rewards, self.gamma,
                                                     bootstrap_value=bootstrap_value)
        # 2. minus the baseline
        advantages = episode_returns
        if self.baseline:
            advantages = episode_returns - self._values(observations).numpy()
        # 3. normalised
        if self.normalize and len(advantages) > 1:
            advantages = ((advantages - advantages.mean())
                          / (advantages.std() + returns.NORMALIZE_EPSILON))
        # 4. the policy-gradient step
        losses = {"policy_loss": float(self._policy_step(
            observations, actions, advantages.astype(np.float32)))}
        # 5. the value regression
        if self.baseline:
            losses["value_loss"] = float(self._value_step(observations, episode_returns))
        return losses

    def _probabilities_eager(self, observations):
        return tf.nn.softmax(self.policy(observations))

    def _values_eager(self, observations):
        return self.value(observations)[:, 0]

    def _policy_step_eager(self, observations, actions, advantages):
        with tf.GradientTape() as tape:
            loss = policy_gradient_loss(self.policy(observations, training=True), actions,
                                        advantages)
        variables = self.policy.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    def _value_step_eager(self, observations, targets):
        with tf.GradientTape() as tape:
            values = self.value(observations, training=True)[:, 0]
            loss = tf.reduce_mean(tf.square(targets - values))
        variables = self.value.trainable_variables
        self.value_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss
