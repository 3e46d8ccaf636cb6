"""Meta-learners: bad input, reproducibility, Reptile's update, evaluation and what MAML learns."""
import numpy as np
import pytest
import scipy.stats
import tensorflow as tf

from genai_kit import meta
from genai_kit.meta import evaluation, few_shot, inner_loop, sinusoid


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("num_shots", [0, -3, 2.5])
def test_fewer_than_one_shot_is_refused_with_the_fix(num_shots):
    with pytest.raises(ValueError, match="num_shots"):
        sinusoid.sample_tasks(4, num_shots)


def test_zero_shots_message_says_what_k_must_be():
    with pytest.raises(ValueError, match=r"K >= 1"):
        sinusoid.sample_tasks(4, 0)


@pytest.mark.parametrize("learner", [meta.MAML, meta.FirstOrderMAML, meta.Reptile,
                                     meta.JointTraining])
@pytest.mark.parametrize("inner_learning_rate", [0, -0.01])
def test_inner_learning_rate_must_be_positive(learner, inner_learning_rate):
    with pytest.raises(ValueError, match=r"inner_learning_rate must be > 0.*positive"):
        learner(sinusoid.build_regressor(seed=0), inner_learning_rate=inner_learning_rate)


def test_evaluation_refuses_a_non_positive_inner_learning_rate():
    tasks = sinusoid.sample_tasks(2, 5, rng=0)
    with pytest.raises(ValueError, match="inner_learning_rate"):
        evaluation.scores_after_steps(sinusoid.build_regressor(seed=0), tasks, 0.0, 1)


def test_more_ways_than_classes_is_refused_with_the_fix():
    images = {digit: np.zeros((20, 28, 28, 1), np.float32) for digit in few_shot.META_TRAIN_DIGITS}
    with pytest.raises(ValueError, match=r"num_ways=6 but there are only 5 classes.*num_ways <= 5"):
        few_shot.sample_episodes(images, num_ways=6, num_shots=1, num_query=1, num_episodes=1)


def test_zero_shot_episodes_are_refused():
    images = {digit: np.zeros((20, 28, 28, 1), np.float32) for digit in range(5)}
    with pytest.raises(ValueError, match=r"num_shots.*K >= 1"):
        few_shot.sample_episodes(images, num_ways=5, num_shots=0, num_query=1, num_episodes=1)


def test_an_unbuilt_model_is_refused():
    import keras
    with pytest.raises(ValueError, match="built Keras model"):
        meta.MAML(keras.Sequential([keras.layers.Dense(1)]))


# ---------------------------------------------------------------- tasks and reference lines
def test_sinusoid_tasks_follow_the_paper_distribution():
    tasks = sinusoid.sample_tasks(500, 5, num_query=7, rng=0)
    assert tasks.support_x.shape == (500, 5, 1) and tasks.query_x.shape == (500, 7, 1)
    assert tasks.support_x.dtype == np.float32
    assert np.all((tasks.amplitudes >= 0.1) & (tasks.amplitudes <= 5))
    assert np.all((tasks.phases >= 0) & (tasks.phases <= np.pi))
    assert np.all(np.abs(tasks.support_x) <= 5)
    expected = tasks.amplitudes[:, None, None] * np.sin(tasks.query_x - tasks.phases[:, None, None])
    np.testing.assert_allclose(tasks.query_y, expected, atol=1e-5)


def test_reference_lines_match_monte_carlo():
    tasks = sinusoid.sample_tasks(200_000, 1, rng=1)
    y = tasks.query_y[:, 0, 0].astype(np.float64)
    x = tasks.query_x[:, 0, 0].astype(np.float64)
    for predicted, closed_form in [(0.0, sinusoid.zero_predictor_mse()),
                                   (sinusoid.task_agnostic_prediction(x), sinusoid.task_agnostic_mse())]:
        squared_errors = (y - predicted) ** 2
        standard_error = squared_errors.std() / np.sqrt(len(y))
        assert abs(squared_errors.mean() - closed_form) < 4 * standard_error
    assert sinusoid.zero_predictor_mse() == pytest.approx(4.25, abs=0.005)
    assert sinusoid.task_agnostic_mse() == pytest.approx(3.01, abs=0.005)


def test_episodes_have_permuted_labels_and_disjoint_sets():
    # image value = 100 * digit + index, so every image says where it came from
    images = {digit: (100 * digit + np.arange(30, dtype=np.float32)).reshape(30, 1)
              for digit in few_shot.META_TEST_DIGITS}
    episodes = few_shot.sample_episodes(images, num_ways=5, num_shots=2, num_query=3,
                                        num_episodes=50, rng=0)
    assert episodes.support_x.shape == (50, 10, 1) and episodes.query_x.shape == (50, 15, 1)
    for episode in range(50):
        for x, y in [(episodes.support_x, episodes.support_y), (episodes.query_x, episodes.query_y)]:
            digits = x[episode, :, 0] // 100
            np.testing.assert_array_equal(digits, episodes.digits[episode, y[episode]])
        assert not set(episodes.support_x[episode, :, 0]) & set(episodes.query_x[episode, :, 0])
    # label 0 is not always the same digit
    assert len(set(episodes.digits[:, 0])) == 5


# ---------------------------------------------------------------- reproducibility
def _train(seed, learner=meta.MAML):
    model = sinusoid.build_regressor(seed=seed)
    learner(model).fit(lambda rng: sinusoid.sample_tasks(5, 5, rng=rng), 20, seed=seed,
                       progress_bar=False)
    return model.get_weights()


def test_same_seed_same_meta_training():
    # exact: the same code path, the same seed, the same shapes on the same machine
    for first, second in zip(_train(0), _train(0)):
        np.testing.assert_array_equal(first, second)
    assert any(np.any(a != b) for a, b in zip(_train(0), _train(1)))


# ---------------------------------------------------------------- Reptile's update
def test_reptile_moves_theta_toward_the_adapted_weights():
    model = sinusoid.build_regressor(hidden_units=(8,), seed=0)
    theta = [w.copy() for w in model.get_weights()]
    tasks = sinusoid.sample_tasks(2, 5, rng=0)
    learner = meta.Reptile(model, inner_learning_rate=0.05, num_inner_steps=1, outer_step_size=0.5)
    learner.meta_train_step(tasks)
    # independently: one SGD step per task on all its points, from theta, by a plain tape
    adapted = []
    for i in range(2):
        probe = sinusoid.build_regressor(hidden_units=(8,), seed=0)
        x = np.concatenate([tasks.support_x[i], tasks.query_x[i]])
        y = np.concatenate([tasks.support_y[i], tasks.query_y[i]])
        with tf.GradientTape() as tape:
            loss = inner_loop.mean_squared_error(y, probe(x))
        gradients = tape.gradient(loss, probe.trainable_variables)
        adapted.append([w - 0.05 * np.asarray(g) for w, g in zip(theta, gradients)])
    for index, (new, old) in enumerate(zip(model.get_weights(), theta)):
        expected = old + 0.5 * (np.mean([a[index] for a in adapted], axis=0) - old)
        np.testing.assert_allclose(new, expected, rtol=0, atol=1e-6)


# ---------------------------------------------------------------- evaluation
def test_zero_steps_is_the_plain_query_error_and_steps_reduce_the_support_error():
    model = sinusoid.build_regressor(seed=0)
    tasks = sinusoid.sample_tasks(6, 10, num_query=20, rng=2)
    scores = evaluation.scores_after_steps(model, tasks, 0.01, 3)
    assert scores.shape == (6, 4)
    plain = [np.mean((model(tasks.query_x[i]).numpy() - tasks.query_y[i]) ** 2) for i in range(6)]
    np.testing.assert_allclose(scores[:, 0], plain, rtol=1e-5)
    # scored on the support set itself, small gradient steps lower the loss
    on_support = sinusoid.Tasks(tasks.support_x, tasks.support_y, tasks.support_x,
                                tasks.support_y, tasks.amplitudes, tasks.phases)
    support_scores = evaluation.scores_after_steps(model, on_support, 0.001, 3)
    assert np.all(np.diff(support_scores, axis=1) < 0)


def test_confidence_interval_matches_scipy():
    values = np.random.default_rng(0).normal(size=(40, 3))
    mean, half_width = evaluation.mean_and_interval(values)
    low, high = scipy.stats.t.interval(0.95, 39, loc=values.mean(0),
                                       scale=scipy.stats.sem(values, axis=0))
    np.testing.assert_allclose(mean - half_width, low)
    np.testing.assert_allclose(mean + half_width, high)


# ---------------------------------------------------------------- what MAML learns
QUICK_ITERATIONS = 1500


def test_maml_adapts_in_one_step_where_the_pretrained_baseline_cannot():
    # the quick version of the paper's experiment: 10-shot, one inner step of 0.01
    sample = lambda rng: sinusoid.sample_tasks(25, 10, rng=rng)  # noqa: E731
    held_out = sinusoid.sample_tasks(600, 10, num_query=100, rng=12345)
    one_step = {}
    for learner in (meta.MAML, meta.JointTraining):
        model = sinusoid.build_regressor(seed=0)
        learner(model, inner_learning_rate=0.01).fit(sample, QUICK_ITERATIONS, seed=0,
                                                     progress_bar=False)
        one_step[learner] = evaluation.scores_after_steps(model, held_out, 0.01, 1)[:, 1].mean()
    assert one_step[meta.MAML] < 1.5
    assert one_step[meta.MAML] < 0.6 * one_step[meta.JointTraining]


# ---------------------------------------------------------------- the experiment's helpers
def test_unknown_learner_names_are_refused_with_the_choices():
    from genai_kit.meta import sinusoid_experiment
    with pytest.raises(ValueError, match="choose one of 'MAML'"):
        sinusoid_experiment.build_learner("maml++", sinusoid.build_regressor(seed=0))
    with pytest.raises(ValueError, match="choose one of 'MAML', 'Reptile'"):
        few_shot.build_learner("pretrained", few_shot.build_classifier(5, seed=0))


def test_adapted_curves_start_at_the_model_and_follow_the_evaluation():
    from genai_kit.meta import sinusoid_experiment
    model = sinusoid.build_regressor(seed=0)
    tasks = sinusoid.sample_tasks(2, 10, rng=3)
    x = np.linspace(-5, 5, 7, dtype=np.float32)
    curves = sinusoid_experiment.adapted_curves(model, tasks, x, steps=(0, 1, 3))
    assert curves.shape == (3, 2, 7)
    np.testing.assert_allclose(curves[0, 0], model(x[:, None]).numpy()[:, 0], rtol=1e-5, atol=1e-6)
    # the curve after 3 steps, read at the query points, is what the evaluation scores
    on_grid = sinusoid.Tasks(tasks.support_x, tasks.support_y, np.tile(x[None, :, None], (2, 1, 1)),
                             sinusoid.sinusoid(np.tile(x[None, :, None], (2, 1, 1)),
                                               tasks.amplitudes[:, None, None],
                                               tasks.phases[:, None, None]).astype(np.float32),
                             tasks.amplitudes, tasks.phases)
    scores = sinusoid_experiment.evaluate(model, on_grid, num_steps=3)
    expected = np.mean((curves[2] - on_grid.query_y[..., 0]) ** 2, axis=1)
    np.testing.assert_allclose(scores[:, 3], expected, rtol=1e-4)
