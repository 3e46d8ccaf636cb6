"""``python -m genai_kit sample`` and ``evaluate``: any trained model, shipped or your own.

    python -m genai_kit sample diffusion --num 64 --seed 0 --class 3 --guidance 3 --out grid.png
    python -m genai_kit sample runs/vae/vae.keras --num 16 --out vae.png
    python -m genai_kit evaluate dcgan --num 500 --json

MODEL is a name from ``genai_kit.pretrained.names()`` or the path of a ``.keras`` file that a
``train`` run wrote (or any model of the kit saved with ``model.save``).
"""
import json
import pathlib

import numpy as np

from genai_kit import pretrained

SAMPLERS = ("ddim", "ddpm")


def load_model(name_or_path):
    """The model of a command's MODEL argument, seen through the sampling protocol.

    Args:
        name_or_path: a shipped model's name, or the path of a ``.keras`` file.
    Returns:
        the model: the kit's class, or a ``sampling.KerasGenerator`` for a plain network.
    Raises:
        ValueError: neither a known name nor a ``.keras`` file; the message says what is.
    """
    if name_or_path in pretrained.TEXT_MODELS:
        raise ValueError(f"{name_or_path!r} is a language model, not an image model: load it "
                         f"with pretrained.load({name_or_path!r}) and call its generate_text")
    if name_or_path in pretrained.MODELS:
        return pretrained.load(name_or_path)
    path = pathlib.Path(name_or_path).expanduser()
    if path.suffix != ".keras":
        raise ValueError(f"{name_or_path!r} is neither a shipped model "
                         f"({', '.join(pretrained.names())}) nor a .keras file: pass one of "
                         "those names, or the path of a model saved as .keras")
    if not path.is_file():
        raise FileNotFoundError(f"no file {path}: check the path (a train run writes "
                                "OUT/<model>.keras, e.g. runs/vae/vae.keras)")
    import keras

    from genai_kit import sampling

    try:
        model = keras.saving.load_model(path, compile=False)
    except Exception as error:  # Keras raises many types for a file it cannot read
        raise ValueError(f"cannot load {path} as a Keras model "
                         f"({type(error).__name__}: {str(error).splitlines()[0][:200]}): "
                         "pass a .keras file saved by the kit or by model.save") from None
    if sampling.is_generator(model):
        return model
    # a plain generator network, e.g. a DCGAN run's generator.keras (tanh output)
    low = -1.0 if model.layers and getattr(model.layers[-1], "activation", None) is not None \
        and getattr(model.layers[-1].activation, "__name__", "") == "tanh" else 0.0
    return sampling.as_generator(model, value_range=(low, 1.0))


def _check_output(out):
    out = pathlib.Path(out).expanduser()
    if out.suffix.lower() != ".png":
        raise ValueError(f"--out {out} must name a .png file, e.g. --out grid.png")
    if not out.parent.is_dir():
        raise FileNotFoundError(f"the folder {out.parent} of --out does not exist: create it "
                                "first, or write the grid somewhere else")
    return out


def _check_in_range(option, value, low, high, why):
    if value is not None and not low <= value <= high:
        raise ValueError(f"{option} must be in [{low}, {high}]{why}, got {value}")


def sample_images(model, num, seed=0, class_label=None, guidance=None, steps=None,
                  sampler=None, eta=None):
    """The images of ``python -m genai_kit sample``: numpy float32 (num, H, W, C) in [0, 1].

    Args:
        model: from :func:`load_model`.
        num: number of images, >= 1.
        seed: seed of the noise (the same seed gives the same images).
        class_label: a digit 0..9 for every image (class-conditional diffusion only); None:
            a conditional model draws the digits 0..9 in turn.
        guidance: classifier-free guidance scale (with a class; conditional diffusion only).
        steps, sampler, eta: reverse steps, "ddim"/"ddpm" and DDIM's noise level in [0, 1]
            (diffusion only); None: the model's.
    """
    diffusion = hasattr(model, "schedule")
    conditional = getattr(model, "conditional", False)
    if (steps is not None or sampler is not None or eta is not None) and not diffusion:
        raise ValueError(f"--steps, --sampler and --eta apply to diffusion models only; "
                         f"{type(model).__name__} samples in one pass: leave them out")
    if (class_label is not None or guidance is not None) and not conditional:
        raise ValueError(f"{type(model).__name__} is unconditional: --class and --guidance "
                         "need a class-conditional diffusion model (e.g. MODEL diffusion)")
    if guidance is not None and class_label is None:
        raise ValueError("--guidance needs --class: the digit to steer toward")
    if diffusion:
        _check_in_range("--steps", steps, 1, model.schedule.num_timesteps,
                        f" (the model has T = {model.schedule.num_timesteps} timesteps)")
        _check_in_range("--eta", eta, 0.0, 1.0, " (0: deterministic DDIM, 1: DDPM's noise)")
    if conditional:
        _check_in_range("--class", class_label, 0, model.num_classes - 1, " (a digit)")
    if not diffusion:
        return model.sample(num, seed=seed) if hasattr(model, "sample") else \
            model.generate(_latents(model, num, seed))
    labels = None
    if class_label is not None:
        labels = np.full(num, class_label)
    elif conditional:
        labels = np.arange(num) % model.num_classes
    return model.sample(num, num_steps=steps, sampler=sampler, eta=eta, class_labels=labels,
                        guidance_scale=guidance, seed=seed)


def _latents(model, num, seed):
    from genai_kit import latent

    return latent.latent_batch(model, num, seed=seed)


def run_sample(arguments):
    """``python -m genai_kit sample``: writes a PNG grid of the model's samples."""
    if arguments.num < 1:
        raise ValueError(f"--num must be at least 1, got {arguments.num}")
    if arguments.sampler is not None and arguments.sampler not in SAMPLERS:
        raise ValueError(f"--sampler must be one of {', '.join(SAMPLERS)}")
    out = _check_output(arguments.out)
    model = load_model(arguments.model)
    images = sample_images(model, arguments.num, seed=arguments.seed,
                           class_label=arguments.class_label, guidance=arguments.guidance,
                           steps=arguments.steps, sampler=arguments.sampler,
                           eta=arguments.eta)
    from genai_kit import plots

    plots.save_image_grid(out, images, value_range=(0, 1), ncols=arguments.ncols)
    print(f"{len(images)} images of {arguments.model} (seed {arguments.seed}) in {out}")


def run_evaluate(arguments):
    """``python -m genai_kit evaluate``: the kit's figures for a model, as text or JSON."""
    if arguments.num < 2:
        raise ValueError(f"--num must be at least 2 (FID needs a covariance), got {arguments.num}")
    model = load_model(arguments.model)
    from genai_kit import evaluation

    report = evaluation.model_report(model, num_samples=arguments.num, seed=arguments.seed)
    if arguments.json:
        print(json.dumps(report, indent=2, sort_keys=True))
        return
    print(format_report(arguments.model, report))


def format_report(name, report):
    """A model_report as the lines ``evaluate`` prints."""
    lines = [f"{name}: {report['num_samples']} samples (seed {report['seed']}) against "
             f"{report['num_real']} held-out real digits",
             f"  MNIST-FID          {report['fid']:.2f}",
             f"  precision / recall {report['precision']:.3f} / {report['recall']:.3f}",
             f"  recognised         {report['recognised']:.1%} over "
             f"{report['effective_classes']:.2f} effective classes"]
    if "colour_spread" in report:
        spread, real = report["colour_spread"], report["real_colour_spread"]
        lines.append(f"  colour spread      stroke {spread['stroke']:.3f}, background "
                     f"{spread['background']:.3f} (real digits {real['stroke']:.3f}, "
                     f"{real['background']:.3f})")
    if "guidance_adherence" in report:
        shares = ", ".join(f"{scale}: {value:.2f}"
                           for scale, value in report["guidance_adherence"].items())
        lines.append(f"  adherence by scale {shares} (chance 0.10)")
    if "mse" in report:
        lines.append(f"  held-out MSE       {report['mse']:.4f}")
    if "elbo" in report:
        lines.append(f"  held-out ELBO      {report['elbo']:.1f} nats per digit")
    return "\n".join(lines)


def add_sample_arguments(parser):
    parser.add_argument("model", metavar="MODEL",
                        help=f"a shipped model ({', '.join(pretrained.names())}) or a .keras file")
    parser.add_argument("--num", type=int, default=64, help="images (default 64)")
    parser.add_argument("--seed", type=int, default=0, help="the same seed gives the same PNG")
    parser.add_argument("--class", dest="class_label", type=int, default=None,
                        help="digit 0-9 to draw (class-conditional diffusion only)")
    parser.add_argument("--guidance", type=float, default=None,
                        help="classifier-free guidance scale with --class, e.g. 3")
    parser.add_argument("--steps", type=int, default=None,
                        help="reverse steps (diffusion; default: the model's, 50)")
    parser.add_argument("--sampler", choices=SAMPLERS, default=None,
                        help="diffusion sampler (default: the model's, ddim)")
    parser.add_argument("--eta", type=float, default=None,
                        help="DDIM's noise level in [0, 1] (diffusion; default: the model's)")
    parser.add_argument("--ncols", type=int, default=8, help="images per grid row")
    parser.add_argument("--out", required=True, help="the PNG to write, e.g. grid.png")


def add_evaluate_arguments(parser):
    parser.add_argument("model", metavar="MODEL",
                        help=f"a shipped model ({', '.join(pretrained.names())}) or a .keras file")
    parser.add_argument("--num", type=int, default=500,
                        help="samples to generate (default 500; FID depends on it)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
