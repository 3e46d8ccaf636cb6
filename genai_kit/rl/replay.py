"""Experience replay: a ring buffer of transitions, sampled uniformly.

DQN learns from random minibatches of past transitions instead of the last few steps: the
transitions of one episode are strongly correlated, and a batch drawn from many episodes is
closer to the independent samples that stochastic gradient descent assumes. The buffer holds
the newest ``capacity`` transitions; each new one overwrites the oldest once it is full.
"""
import numpy as np

from genai_kit import checks


class ReplayBuffer:
    """A fixed-size numpy ring buffer of (observation, action, reward, next observation, done).

    Args:
        capacity: int >= 1, the most transitions held.
        observation_size: int >= 1, floats per (flattened) observation.
        seed: int, seeds the sampling.
    """

    def __init__(self, capacity, observation_size, seed=0):
        self.capacity = checks.integer("capacity", capacity, minimum=1,
                                       hint=": the buffer must hold at least one transition")
        observation_size = checks.integer("observation_size", observation_size, minimum=1)
        self.observations = np.zeros((self.capacity, observation_size), np.float32)
        self.next_observations = np.zeros((self.capacity, observation_size), np.float32)
        self.actions = np.zeros(self.capacity, np.int32)
        self.rewards = np.zeros(self.capacity, np.float32)
        self.terminated = np.zeros(self.capacity, np.float32)
        self.next_index = 0  # where the next transition goes
        self.size = 0  # how many slots hold a transition
        self.rng = np.random.default_rng(seed)

    def __len__(self):
        return self.size

    def add(self, observation, action, reward, next_observation, terminated):
        """Stores one transition, overwriting the oldest when the buffer is full.

        Args:
            observation, next_observation: arrays of ``observation_size`` floats.
            action: int, the action taken.
            reward: float.
            terminated: bool, True when the episode ended in a terminal state (the pole
                fell); False after a truncation (a time limit), whose next state still
                has a value.
        """
        index = self.next_index
        self.observations[index] = np.ravel(observation)
        self.next_observations[index] = np.ravel(next_observation)
        self.actions[index] = action
        self.rewards[index] = reward
        self.terminated[index] = float(terminated)
        self.next_index = (index + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, batch_size):
        """A minibatch of stored transitions, drawn uniformly (with replacement, as in DQN).

        Args:
            batch_size: int in [1, len(self)].
        Returns:
            tuple (observations (B, d) float32, actions (B,) int32, rewards (B,) float32,
            next_observations (B, d) float32, terminated (B,) float32 in {0, 1}).
        """
        batch_size = checks.integer("batch_size", batch_size, minimum=1,
                                    hint=": sample at least one transition")
        if batch_size > self.size:
            raise ValueError(f"batch_size {batch_size} is larger than the {self.size} "
                             f"transitions in the buffer: add more transitions first (DQN's "
                             f"learning_starts >= batch_size does), or sample fewer")
        indices = self.rng.integers(0, self.size, size=batch_size)
        return (self.observations[indices], self.actions[indices], self.rewards[indices],
                self.next_observations[indices], self.terminated[indices])
