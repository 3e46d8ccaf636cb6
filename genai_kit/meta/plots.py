"""Plots of week 9: one per idea, reused for every learner."""
import matplotlib.pyplot as plt
import numpy as np

from genai_kit.meta import evaluation, sinusoid


def plot_scores_after_steps(scores_by_learner, ax=None, ylabel="query MSE", title=None,
                            reference_lines=None):
    """Mean score after 0..n inner steps per learner, with its 95% confidence band.

    Args:
        scores_by_learner: dict name -> array (num_tasks, num_steps + 1).
        ax: a matplotlib Axes; None for the current one.
        reference_lines: dict label -> value, drawn as dashed horizontal lines.
    Returns:
        the Axes.
    """
    ax = ax or plt.gca()
    for name, scores in scores_by_learner.items():
        mean, half_width = evaluation.mean_and_interval(scores)
        steps = np.arange(len(mean))
        ax.plot(steps, mean, marker="o", markersize=3, label=name)
        ax.fill_between(steps, mean - half_width, mean + half_width, alpha=0.2)
    for index, (label, value) in enumerate((reference_lines or {}).items()):
        ax.axhline(value, color="grey", linestyle=("--", ":", "-.")[index % 3], label=label)
    ax.set(xlabel="inner gradient steps on the support set", ylabel=ylabel, title=title)
    ax.legend(fontsize="small")
    return ax


def sinusoid_reference_lines():
    """{"predict 0": 4.25, "best task-agnostic": 3.01}, the closed-form MSEs."""
    return {f"predict 0 ({sinusoid.zero_predictor_mse():.2f})": sinusoid.zero_predictor_mse(),
            f"best task-agnostic ({sinusoid.task_agnostic_mse():.2f})": sinusoid.task_agnostic_mse()}


def plot_fits(x, curves, tasks, steps, axes, title=""):
    """The paper's Figure 2: one panel per task, the true wave, the K support points and the
    network's curve after each number of steps.

    Args:
        x: array (n,); curves: array (len(steps), num_tasks, n) from ``adapted_curves``.
        tasks: the ``sinusoid.Tasks`` the curves were adapted to.
        steps: the step counts of ``curves``.
        axes: one Axes per task.
    """
    for task, ax in enumerate(axes):
        truth = sinusoid.sinusoid(x, tasks.amplitudes[task], tasks.phases[task])
        ax.plot(x, truth, color="black", linewidth=2, label="true wave")
        for index, step in enumerate(steps):
            ax.plot(x, curves[index, task], linestyle=("--", "-", "-")[min(index, 2)],
                    label=f"after {step} step{'s' if step != 1 else ''}")
        ax.scatter(tasks.support_x[task, :, 0], tasks.support_y[task, :, 0], color="red",
                   zorder=3, label=f"K = {tasks.support_x.shape[1]} support points")
        ax.set(ylim=(-6, 6), title=f"{title} task {task + 1}".strip())
    axes[0].legend(fontsize="x-small")
