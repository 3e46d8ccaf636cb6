"""N-way K-shot classification of the bundled MNIST digits.

An episode (a task) picks N digit classes, gives them the labels 0..N-1 in a random order,
and draws K labelled images of each (the support set, N * K images) and ``num_query`` others
of each (the query set). Because the labels are permuted in every episode, a network cannot
memorise "label 2 is a seven": it has to learn from the support set, in a few gradient steps.

Meta-training uses digits 0-4 (training images); meta-testing is 5-way on digits 5-9 (test
images), classes the learner never saw. The baseline trains a freshly initialised network on
each support set alone.
"""
import collections

import keras
import numpy as np

from genai_kit import checks, data
from genai_kit.meta import evaluation, inner_loop, maml, reptile

META_TRAIN_DIGITS = (0, 1, 2, 3, 4)
META_TEST_DIGITS = (5, 6, 7, 8, 9)
# the classifier: flattened 28x28 images -> hidden ReLU layers -> N logits
HIDDEN_UNITS = (128, 64)
# episodes
NUM_WAYS = 5
NUM_QUERY = 15  # query images per class, in training and at test time
META_BATCH_SIZE = 8  # episodes per meta-iteration
# the learners: MAML takes one large step (as in the paper's classification runs), Reptile
# several smaller ones; training from scratch takes many plain steps from a fresh network
MAML_INNER_LEARNING_RATE = 0.4
MAML_INNER_STEPS = 1
REPTILE_INNER_LEARNING_RATE = 0.1
REPTILE_INNER_STEPS = 5
REPTILE_OUTER_STEP_SIZE = 0.5
SCRATCH_LEARNING_RATE = 0.1
SCRATCH_STEPS = 50
LEARNERS = ("MAML", "Reptile")

Episodes = collections.namedtuple(
    "Episodes", ["support_x", "support_y", "query_x", "query_y", "digits"])
Episodes.__doc__ = """A batch of N-way K-shot episodes.

support_x: float32 (num_episodes, N * K, 28, 28, 1) in [0, 1]; support_y: int32
(num_episodes, N * K) in [0, N). query_x, query_y: the same with N * num_query images.
digits: int (num_episodes, N), the digit that label j stands for in each episode.
"""


def digits_by_class(split, digits, source="bundled"):
    """The images of each digit in ``digits``: dict digit -> float32 (n, 28, 28, 1) in [0, 1]."""
    images, labels = data.load_mnist(split, source=source)
    return {digit: images[labels == digit] for digit in digits}


def sample_episodes(images_by_class, num_ways, num_shots, num_query, num_episodes, rng=None):
    """Draws N-way K-shot episodes with permuted labels.

    Args:
        images_by_class: dict class -> array (n_c, ...) of its images (``digits_by_class``).
        num_ways: N, int in [1, number of classes].
        num_shots: K, int >= 1, support images per class.
        num_query: int >= 1, query images per class.
        num_episodes: int >= 1.
        rng: a numpy Generator or int seed.
    Returns:
        :class:`Episodes`; the images of one episode's support and query sets are distinct.
    """
    classes = sorted(images_by_class)
    num_ways = checks.integer("num_ways", num_ways, minimum=1)
    if num_ways > len(classes):
        raise ValueError(
            f"num_ways={num_ways} but there are only {len(classes)} classes to draw from "
            f"({', '.join(map(str, classes))}): an episode needs num_ways distinct classes, so "
            f"pass num_ways <= {len(classes)} (e.g. 5-way on digits 0-4) or more classes")
    num_shots = checks.integer("num_shots", num_shots, minimum=1,
                               hint=": an episode needs at least one support image per class "
                                    "(K >= 1), e.g. num_shots=1 or num_shots=5")
    num_query = checks.integer("num_query", num_query, minimum=1)
    num_episodes = checks.integer("num_episodes", num_episodes, minimum=1)
    smallest = min(len(images_by_class[label]) for label in classes)
    if num_shots + num_query > smallest:
        raise ValueError(f"num_shots + num_query = {num_shots + num_query} images per class, but "
                         f"the smallest class has {smallest}: draw fewer")
    rng = np.random.default_rng(rng)
    per_class = num_shots + num_query
    episode_digits = np.stack([rng.choice(classes, num_ways, replace=False)
                               for _ in range(num_episodes)])
    image_shape = images_by_class[classes[0]].shape[1:]
    images = np.empty((num_episodes, num_ways, per_class) + image_shape, np.float32)
    for episode, digits in enumerate(episode_digits):
        for way, digit in enumerate(digits):
            pool = images_by_class[digit]
            images[episode, way] = pool[rng.choice(len(pool), per_class, replace=False)]
    # label j of an episode is its j-th drawn class: the classes come in random order
    labels = np.broadcast_to(np.arange(num_ways, dtype=np.int32)[None, :, None],
                             (num_episodes, num_ways, per_class))
    support_x = images[:, :, :num_shots].reshape((num_episodes, -1) + image_shape)
    query_x = images[:, :, num_shots:].reshape((num_episodes, -1) + image_shape)
    support_y = labels[:, :, :num_shots].reshape(num_episodes, -1)
    query_y = labels[:, :, num_shots:].reshape(num_episodes, -1)
    return Episodes(support_x, support_y.copy(), query_x, query_y.copy(), episode_digits)


def build_classifier(num_ways, hidden_units=HIDDEN_UNITS, seed=None):
    """An MLP from 28x28x1 images to ``num_ways`` logits, built.

    Args:
        num_ways: N, int >= 1.
        hidden_units: widths of the ReLU layers.
        seed: int for reproducible initial weights; None for Keras' global seed.
    Returns:
        ``keras.Sequential``, float (n, 28, 28, 1) in [0, 1] -> logits (n, num_ways).
    """
    num_ways = checks.integer("num_ways", num_ways, minimum=1)
    seeds = np.random.default_rng(seed).integers(0, 2**31, len(hidden_units) + 1)

    def initializer(index):
        return keras.initializers.GlorotUniform(int(seeds[index]) if seed is not None else None)

    layers = [keras.Input((28, 28, 1)), keras.layers.Flatten()]
    for index, units in enumerate(hidden_units):
        layers.append(keras.layers.Dense(units, activation="relu",
                                         kernel_initializer=initializer(index)))
    layers.append(keras.layers.Dense(num_ways, kernel_initializer=initializer(len(hidden_units))))
    return keras.Sequential(layers, name="few_shot_classifier")


def accuracy_after_steps(model, episodes, inner_learning_rate, num_steps):
    """Query accuracy of every episode after 0..num_steps steps on its support set.

    Returns numpy (num_episodes, num_steps + 1) in [0, 1]; see ``evaluation.scores_after_steps``.
    """
    return evaluation.scores_after_steps(model, episodes, inner_learning_rate, num_steps,
                                         loss=inner_loop.sparse_cross_entropy,
                                         metric=inner_loop.sparse_accuracy)


def build_learner(name, model):
    """"MAML" or "Reptile" (``LEARNERS``) around ``model``, with the settings above."""
    checks.choice("learner", name, LEARNERS)
    if name == "MAML":
        return maml.MAML(model, loss=inner_loop.sparse_cross_entropy,
                         inner_learning_rate=MAML_INNER_LEARNING_RATE,
                         num_inner_steps=MAML_INNER_STEPS)
    return reptile.Reptile(model, loss=inner_loop.sparse_cross_entropy,
                           inner_learning_rate=REPTILE_INNER_LEARNING_RATE,
                           num_inner_steps=REPTILE_INNER_STEPS,
                           outer_step_size=REPTILE_OUTER_STEP_SIZE)


def inner_learning_rate(name):
    """The step size the learner ``name`` adapts with, also at test time."""
    return MAML_INNER_LEARNING_RATE if name == "MAML" else REPTILE_INNER_LEARNING_RATE


def meta_train(name, num_shots, num_iterations, images_by_class=None, seed=0, progress_bar=True):
    """Meta-trains a 5-way K-shot learner on digits 0-4 (training images), labels permuted.

    Args:
        name: "MAML" or "Reptile".
        num_shots: K, int >= 1.
        num_iterations: int >= 1, meta-iterations of ``META_BATCH_SIZE`` episodes.
        images_by_class: dict digit -> images; None for the bundled training digits 0-4.
        seed: int, seeds the initial weights and the episode draws.
    Returns:
        (model, history) as in ``MetaLearner.fit``.
    """
    if images_by_class is None:
        images_by_class = digits_by_class("train", META_TRAIN_DIGITS)
    model = build_classifier(NUM_WAYS, seed=seed)
    learner = build_learner(name, model)
    history = learner.fit(
        lambda rng: sample_episodes(images_by_class, NUM_WAYS, num_shots, NUM_QUERY,
                                    META_BATCH_SIZE, rng=rng),
        num_iterations, seed=seed, progress_bar=progress_bar)
    return model, history


def held_out_episodes(num_shots, num_episodes, seed=1_000_000):
    """5-way K-shot episodes of digits 5-9 from the bundled test images (never meta-trained on)."""
    return sample_episodes(digits_by_class("test", META_TEST_DIGITS), NUM_WAYS, num_shots,
                           NUM_QUERY, num_episodes, rng=seed)


def from_scratch_accuracy(episodes, num_steps=SCRATCH_STEPS, learning_rate=SCRATCH_LEARNING_RATE,
                          seed=0):
    """The baseline: a freshly initialised classifier trained on each support set alone.

    Returns numpy (num_episodes, num_steps + 1), query accuracy after 0..num_steps plain
    gradient steps from the same random initialisation.
    """
    model = build_classifier(NUM_WAYS, seed=seed)
    return accuracy_after_steps(model, episodes, learning_rate, num_steps)
