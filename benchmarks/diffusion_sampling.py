"""Diffusion sampling: DDPM-1000 vs DDIM-50, compiled loop vs per-step predict, sample quality.

Every time is a ratio against a baseline measured in the same run (the machine is shared).

    # train for a fixed wall-clock budget and save the model (runs/ is git-ignored)
    python benchmarks/diffusion_sampling.py --train-minutes 30 --save runs/diffusion_30min.keras
    # measure a saved model
    python benchmarks/diffusion_sampling.py --model runs/diffusion_30min.keras
    # or train the notebook's quick-mode model (GENAI_KIT_QUICK=1 settings) and measure it
    python benchmarks/diffusion_sampling.py --quick

The model and its training run are notebook 06's, read from ``genai_kit.diffusion.settings``
(``--quick``: its quick run). Every timed call runs after a warm-up call of the same compiled
loop (same sampler, same guidance), so no time includes tracing.

Measured (printed):
1. seconds for ``--num-samples`` images (64) with DDPM-1000 and with DDIM-50 (compiled,
   warmed up), their ratio (target: DDIM-50 at least 15x faster), and for each sampler the
   MNIST-FID and KID of ``--metric-samples`` images against the real test digits (target:
   DDIM-50 within 10% of DDPM-1000);
2. the compiled reverse loop against a Python loop of one ``predict`` per step (keras.io's
   DDPM example), and against the eager teaching path, same model, same steps;
3. classifier confidence of samples against real digits;
4. with ``--guidance-scales``: for each classifier-free guidance scale, adherence (share of
   samples the classifier reads as the requested digit), precision/recall and MNIST-FID.
"""
import argparse
import time

import genai_kit  # noqa: F401  (before TensorFlow)
import keras
import numpy as np

from genai_kit import data, evaluation, features
from genai_kit.diffusion import settings

MAX_EPOCHS = 10_000  # a timed run stops by the clock (StopAfter), not by epochs


class StopAfter(keras.callbacks.Callback):
    """Stops training at the end of the first epoch that ends past ``minutes`` of training."""

    def __init__(self, minutes):
        super().__init__()
        self.seconds = 60.0 * minutes

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if time.perf_counter() - self.start > self.seconds:
            self.model.stop_training = True


def train(minutes=None, quick=False):
    keras.utils.set_random_seed(0)
    run = settings.notebook_settings(quick=quick)
    model = settings.build_model(run, seed=0)
    dataset = data.mnist_dataset("train", batch_size=run.batch_size, with_labels=True,
                                 num_examples=run.num_examples)
    epochs = run.epochs if quick else MAX_EPOCHS
    callbacks = [] if quick else [StopAfter(minutes)]
    start = time.perf_counter()
    history = model.fit(dataset, epochs=epochs, callbacks=callbacks, verbose=2,
                        shuffle=False)  # the dataset shuffles itself
    seconds = time.perf_counter() - start
    print(f"trained {len(history.history['loss'])} epochs ({model.optimizer.iterations.numpy()} "
          f"steps) in {seconds / 60:.1f} min, final loss {history.history['loss'][-1]:.4f}")
    return model


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def predict_per_step(model, latents, num_steps, sampler="ddim"):
    """The baseline: a Python loop with one ``predict`` call per step (unconditional)."""
    schedule = model.schedule
    images = latents
    null_labels = np.full(len(latents), model.null_class, dtype=np.int32)
    timesteps = schedule.timesteps(num_steps)
    for t, prev_t in zip(timesteps, schedule.previous_timesteps(timesteps)):
        inputs = [images, np.full(len(images), t, dtype=np.int32)]
        if model.conditional:
            inputs.append(null_labels)
        predicted_noise = model.ema_network.predict(inputs, verbose=0)
        images = keras.ops.convert_to_numpy(
            schedule.step(predicted_noise, int(t), images, prev_t=int(prev_t), sampler=sampler))
    return np.clip((images + 1) / 2, 0, 1)


def quality(images, real):
    scores = evaluation.evaluate(images, real, include=("fid", "kid"), progress=False)
    _, confidences = features.classify_digits(images)
    real_confidence = real.probabilities.max(axis=1).mean()
    return (f"MNIST-FID {scores['fid']:7.2f}  KID {scores['kid']:.4f}  classifier confidence "
            f"{confidences.mean():.3f} (real {real_confidence:.3f})"), scores["fid"]


def measure(model, num_samples, metric_samples, seed):
    real_images, _ = data.load_mnist("test")
    real = evaluation.extract(real_images)
    print(f"real test digits: {len(real_images)}, "
          f"mean classifier confidence {real.probabilities.max(axis=1).mean():.3f}")

    # warm up: trace both compiled loops once on 2 images (the traced function serves any n)
    for sampler in ("ddpm", "ddim"):
        model.sample(2, num_steps=2, sampler=sampler)

    print(f"\n1. sampling {num_samples} images (compiled loop), quality of {metric_samples}")
    results = {}
    # DDIM with eta = 1 puts the DDPM posterior noise back: stochastic, on DDIM's 50-step grid
    for sampler, num_steps, eta in (("ddpm", 1000, 0.0), ("ddim", 50, 0.0), ("ddim", 50, 1.0)):
        name = f"{sampler.upper()}-{num_steps}" + (f" eta={eta:g}" if sampler == "ddim" else "")
        images, seconds = timed(model.sample, num_samples, num_steps=num_steps, sampler=sampler,
                                eta=eta, seed=seed)
        if metric_samples > num_samples:  # more images for the metrics, not timed
            more = model.sample(metric_samples - num_samples, num_steps=num_steps,
                                sampler=sampler, eta=eta, seed=seed + 1)
            images = np.concatenate([images, more])
        line, fid = quality(images[:metric_samples], real)
        results[name] = seconds, fid
        print(f"  {name:<16} {seconds:7.1f} s   {line}")
    baseline_seconds, baseline_fid = results["DDPM-1000"]
    for name in ("DDIM-50 eta=0", "DDIM-50 eta=1"):
        seconds, fid = results[name]
        print(f"  {name} is {baseline_seconds / seconds:.1f}x faster than DDPM-1000 (target "
              f">= 15x); its FID differs by {100 * (fid / baseline_fid - 1):+.1f}% (target "
              "within 10%)")

    print(f"\n2. compiled loop vs per-step loops, DDIM-50, {num_samples} images")
    latents = np.random.default_rng(seed).standard_normal(
        (num_samples,) + model.latent_shape).astype(np.float32)
    # warm up: predict() traces its own function on its first call; one eager step too
    predict_per_step(model, latents, 1)
    model.sample(latents=latents, num_steps=1, sampler="ddim", compiled=False)
    compiled, compiled_seconds = timed(model.sample, latents=latents, num_steps=50,
                                       sampler="ddim")
    per_step, per_step_seconds = timed(predict_per_step, model, latents, 50)
    eager, eager_seconds = timed(model.sample, latents=latents, num_steps=50, sampler="ddim",
                                 compiled=False)
    print(f"  compiled loop        {compiled_seconds:6.2f} s")
    print(f"  predict() per step   {per_step_seconds:6.2f} s  ({per_step_seconds / compiled_seconds:.1f}x"
          f" the compiled loop; max pixel difference {np.abs(per_step - compiled).max():.1e})")
    print(f"  eager step by step   {eager_seconds:6.2f} s  ({eager_seconds / compiled_seconds:.1f}x;"
          f" max pixel difference {np.abs(eager - compiled).max():.1e})")


def measure_guidance(model, scales, num_samples, num_steps, seed):
    real_images, _ = data.load_mnist("test")
    real = evaluation.extract(real_images)
    requested = np.arange(num_samples) % model.num_classes
    print(f"\n4. guidance scale trade-off, DDIM-{num_steps}, {num_samples} samples per scale")
    for scale in scales:
        images = model.sample(num_samples, num_steps=num_steps, sampler="ddim",
                              class_labels=requested, guidance_scale=scale, seed=seed)
        scores = evaluation.evaluate(images, real, include=("fid", "precision_recall"),
                                     progress=False)
        predicted_labels, _ = features.classify_digits(images)
        adherence = np.mean(predicted_labels == requested)
        print(f"  scale {scale:4.1f}: adherence {adherence:.2f}  precision {scores['precision']:.2f}  "
              f"recall {scores['recall']:.2f}  MNIST-FID {scores['fid']:7.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", help="a saved DiffusionModel (.keras) to measure")
    parser.add_argument("--train-minutes", type=float, help="train a new model this long")
    parser.add_argument("--quick", action="store_true", help="train the notebook's quick model")
    parser.add_argument("--save", help="where to save the trained model (.keras)")
    parser.add_argument("--num-samples", type=int, default=64, help="images per timed run")
    parser.add_argument("--metric-samples", type=int, default=128,
                        help="images per sampler for FID/KID (the timed ones first)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-measure", action="store_true", help="only train and save")
    parser.add_argument("--skip-sampling", action="store_true", help="skip sections 1-3")
    parser.add_argument("--guidance-scales", type=float, nargs="*", default=[],
                        help="guidance scales to compare (conditional models)")
    parser.add_argument("--guidance-steps", type=int, default=25)
    args = parser.parse_args()
    if args.model:
        model = keras.models.load_model(args.model)
    else:
        if not args.quick and args.train_minutes is None:
            parser.error("give --model, --train-minutes or --quick")
        model = train(args.train_minutes, quick=args.quick)
        if args.save:
            model.save(args.save)
            print(f"saved {args.save}")
    if not args.no_measure and not args.skip_sampling:
        measure(model, args.num_samples, args.metric_samples, args.seed)
    if not args.no_measure and args.guidance_scales:
        measure_guidance(model, args.guidance_scales, args.metric_samples, args.guidance_steps,
                         args.seed)


if __name__ == "__main__":
    main()
