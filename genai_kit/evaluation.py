"""One call that grades a generative model: IS, FID, KID and precision/recall in a dict.

    from genai_kit import evaluation
    real_images, _ = data.load_mnist("test")
    scores = evaluation.evaluate(generator, real_images, num_samples=1000)
    # {'is': 8.9, 'is_std': 0.2, 'fid': 12.3, 'kid': 0.011, 'kid_std': 0.001,
    #  'precision': 0.71, 'recall': 0.55, 'num_samples': 1000, 'num_real': 500}

The real side is extracted once with :func:`extract` and can be passed again instead of
the images (that is what :class:`genai_kit.callbacks.GenerativeMetrics` does every epoch).
"""
import collections

import numpy as np

from genai_kit import checks, features, metrics, pixels, sampling
from genai_kit.progress import progress_bar

METRICS = ("is", "fid", "kid", "precision_recall")
# the guidance scales whose adherence the kit records for a conditional diffusion model
GUIDANCE_SCALES = (0.0, 1.0, 3.0, 5.0)

ExtractedFeatures = collections.namedtuple(
    "ExtractedFeatures", ["features", "probabilities", "statistics", "extractor_name"])
ExtractedFeatures.__doc__ = """A feature set ready for the metrics: features (n, d), class
probabilities (n, k), the fitted FeatureStatistics, and the extractor's name."""


def extract(images, extractor="mnist", value_range=(0, 1), progress=False):
    """Features, probabilities and Gaussian statistics of an image set, for reuse.

    Args:
        images: float (n, H, W, C) in ``value_range``.
        extractor: "mnist", "inception" or an extractor object (see genai_kit.features).
        value_range: (low, high) of ``images``.
        progress: show the extractor's progress bar.
    Returns:
        ExtractedFeatures.
    """
    extractor = features.get_extractor(extractor)
    extracted, probabilities = extractor(images, value_range=value_range, progress=progress)
    return ExtractedFeatures(extracted, probabilities, metrics.feature_statistics(extracted),
                             getattr(extractor, "name", type(extractor).__name__))


def evaluate(samples, real, extractor="mnist", num_samples=None, value_range=(0, 1),
             real_value_range=(0, 1), seed=0, include=METRICS, inception_splits=10,
             kid_subsets=100, kid_subset_size=1000, k=3, progress=True):
    """Evaluates generated samples against real data with every metric of the kit.

    Args:
        samples: a generator (a model following ``genai_kit.sampling``'s protocol, or a
            plain Keras decoder, wrapped with ``value_range``), or an array of images
            (n, H, W, C) in ``value_range``.
        real: real images (n_real, H, W, C) in ``real_value_range``, or the
            ExtractedFeatures of :func:`extract` (computed once, reused).
        extractor: "mnist" (offline, for digits), "inception" or an extractor object;
            must be the one ``real`` was extracted with.
        num_samples: images to generate from a generator; default: as many as the real
            set (FID depends on n: compare models at equal n). Ignored for arrays.
        value_range: (low, high) of the sample images (of a plain model's output).
        real_value_range: (low, high) of the real images.
        seed: seed of the generator's latents and of KID's subsets.
        include: which of "is", "fid", "kid", "precision_recall" to compute.
        inception_splits, kid_subsets, kid_subset_size, k: passed to the metrics
            (splits are capped at the sample count).
        progress: show a progress bar over the steps.
    Returns:
        dict with "is", "is_std", "fid", "kid", "kid_std", "precision", "recall" (those
        included) and "num_samples", "num_real"; all plain Python numbers.
    """
    unknown = set(include) - set(METRICS)
    if unknown:
        raise ValueError(f"unknown metrics {sorted(unknown)}: choose from {METRICS}")
    extractor = features.get_extractor(extractor)
    steps = ["real features", "samples", "sample features", *include]
    bar = progress_bar(total=len(steps), desc="evaluating", unit="step", disable=not progress)

    def step(name):
        bar.set_postfix_str(name)

    step("real features")
    if not isinstance(real, ExtractedFeatures):
        real = extract(real, extractor, value_range=real_value_range)
    bar.update()
    step("samples")
    if hasattr(samples, "shape") and not sampling.is_generator(samples):
        images, images_range = samples, value_range
    else:
        count = len(real.features) if num_samples is None else checks.integer(
            "num_samples", num_samples, minimum=1, hint=": images to generate, e.g. 1000")
        images = sampling.generate_images(samples, count, seed=seed, value_range=value_range)
        images_range = (0, 1)  # generate() returns [0, 1]
    bar.update()
    step("sample features")
    fake = extract(images, extractor, value_range=images_range)
    bar.update()

    results = {}
    if "is" in include:
        step("inception score")
        splits = min(inception_splits, len(fake.probabilities))
        results["is"], results["is_std"] = metrics.inception_score(fake.probabilities, splits)
        bar.update()
    if "fid" in include:
        step("FID")
        results["fid"] = metrics.frechet_distance(real.statistics, fake.statistics)
        bar.update()
    if "kid" in include:
        step("KID")
        subset_size = min(kid_subset_size, len(real.features), len(fake.features))
        results["kid"], results["kid_std"] = metrics.kernel_inception_distance(
            real.features, fake.features, kid_subsets, subset_size, seed=seed)
        bar.update()
    if "precision_recall" in include:
        step("precision/recall")
        results["precision"], results["recall"] = metrics.precision_recall(
            real.features, fake.features, k=k)
        bar.update()
    bar.close()
    results["num_samples"], results["num_real"] = len(fake.features), len(real.features)
    return results


def digit_report(images, value_range=(0, 1), confidence_threshold=0.9):
    """Which digits the kit's MNIST classifier reads in generated images, and how surely.

    A sample counts as *recognised* when the classifier's top probability exceeds
    ``confidence_threshold``. The spread of the recognised labels is their *effective number
    of classes* exp(H), H the entropy of their histogram: 10 when the ten digits are equally
    common, 1 when every recognised sample is the same digit (mode collapse). A classifier is
    confident outside its training data too, so read the rate together with the spread.

    Args:
        images: MNIST digits (n, 28, 28, 1) or colour digits (n, 64, 64, 3) in ``value_range``.
        value_range: (low, high) of ``images``, e.g. (-1, 1) for a tanh generator's output.
        confidence_threshold: float in (0, 1).
    Returns:
        dict with "recognised" (share of recognised samples, in [0, 1]), "effective_classes"
        (in [1, 10]; 0.0 when nothing is recognised) and "counts" (int64 (10,), recognised
        samples per digit).
    """
    if not 0.0 < confidence_threshold < 1.0:
        raise ValueError(f"confidence_threshold must be in (0, 1), got {confidence_threshold}")
    labels, confidences = features.classify_digits(images, value_range=value_range)
    recognised = confidences > confidence_threshold
    counts = np.bincount(labels[recognised], minlength=10)
    effective_classes = 0.0
    if counts.sum() > 0:
        shares = counts[counts > 0] / counts.sum()
        effective_classes = float(np.exp(-np.sum(shares * np.log(shares))))
    return {"recognised": float(recognised.mean()), "effective_classes": effective_classes,
            "counts": counts}


def colour_spread(images, value_range=(0, 1)):
    """How much the stroke and background colours vary across colour digits.

    Each image's background colour is its median pixel and its stroke colour the mean of
    its brightest 5% of pixels (by grey level); the spread is the standard deviation of each
    over the images, averaged over the three channels. A generator that paints every digit
    in one colour has a stroke spread near 0; ``data.colour_digits`` draws each channel
    uniformly in a range 0.35 wide, so the data's spreads are about 0.35 / sqrt(12) = 0.10.

    Args:
        images: colour images (n, H, W, 3) in ``value_range``, n >= 2.
        value_range: (low, high) of ``images``.
    Returns:
        dict with "stroke" and "background", floats >= 0 in units of [0, 1] pixels.
    """
    images = pixels.to_unit_range(pixels.check_images(images, value_range=value_range),
                                  value_range)
    if images.shape[-1] != 3 or len(images) < 2:
        raise ValueError(f"colour_spread needs at least 2 colour images (n, H, W, 3), got "
                         f"shape {images.shape}")
    flat = images.reshape(len(images), -1, 3)
    grey = flat.mean(axis=-1)
    brightest = grey >= np.quantile(grey, 0.95, axis=1, keepdims=True)
    strokes = (flat * brightest[..., None]).sum(axis=1) / brightest.sum(axis=1, keepdims=True)
    backgrounds = np.median(flat, axis=1)
    return {"stroke": float(strokes.std(axis=0).mean()),
            "background": float(backgrounds.std(axis=0).mean())}


def guidance_adherence(model, scales=GUIDANCE_SCALES, num_samples=500, seed=0):
    """Share of a conditional diffusion model's samples that show the requested digit.

    For each guidance scale s, draws ``num_samples`` images with the requested labels
    0, 1, ..., 9, 0, ... and counts how often the kit's classifier reads the requested one
    (chance: 0.1).

    Args:
        model: a class-conditional ``diffusion.DiffusionModel`` with 10 classes.
        scales: guidance scales (0: unconditional, 1: conditional, > 1: guided).
        num_samples: images per scale, >= 1.
        seed: seed of the starting noise (the same noise at every scale).
    Returns:
        dict {scale: adherence in [0, 1]}.
    """
    if not getattr(model, "conditional", False):
        raise ValueError("guidance adherence needs a class-conditional diffusion model "
                         "(built with num_classes=10)")
    num_samples = checks.integer("num_samples", num_samples, minimum=1)
    requested = np.arange(num_samples) % model.num_classes
    adherence = {}
    for scale in scales:
        images = model.sample(num_samples, class_labels=requested, guidance_scale=scale,
                              seed=seed)
        predicted, _ = features.classify_digits(images)
        adherence[float(scale)] = float(np.mean(predicted == requested))
    return adherence


def real_digits(image_shape):
    """The kit's held-out real digits for a model's image shape, in [0, 1].

    Args:
        image_shape: (28, 28, 1) for MNIST models, (64, 64, 3) for the colour digits.
    Returns:
        numpy float32 (500, *image_shape): the bundled test digits (as colour digits for 3
        channels, see ``data.colour_digits``).
    """
    from genai_kit import data  # data imports TensorFlow's data stack; only needed here

    image_shape = tuple(image_shape)
    if image_shape == (28, 28, 1):
        return data.load_mnist("test", source="bundled")[0]
    if len(image_shape) == 3 and image_shape[-1] == 3 and image_shape[0] == image_shape[1]:
        images, _ = data.colour_digits("test", image_size=image_shape[0])
        return pixels.to_unit_range(images, pixels.TANH_RANGE)
    raise ValueError(f"no real digits for images of shape {image_shape}: the kit's report "
                     "covers MNIST (28, 28, 1) and colour digits (S, S, 3)")


def model_report(model, num_samples=500, seed=0, guidance_scales=GUIDANCE_SCALES,
                 progress=False):
    """The figures the kit records for a trained digit model, from ``num_samples`` samples.

    Always: MNIST-FID, precision and recall against the 500 bundled test digits
    (:func:`real_digits`), and the :func:`digit_report` (recognised share, effective
    classes). Then what the model has: the colour spread of colour images
    (:func:`colour_spread`, with the real digits' beside it), guidance adherence of a
    conditional diffusion model, held-out MSE of an autoencoder (``reconstruct``), held-out
    ELBO of a VAE (``elbo``).

    Args:
        model: a model following the sampling protocol (``latent_shape``, ``generate``).
        num_samples: images to generate, >= 2 (FID depends on n: compare at equal n).
        seed: seed of the latents.
        guidance_scales: scales of the adherence figure (conditional diffusion only).
        progress: show progress bars.
    Returns:
        dict of plain Python numbers (and dicts of them), JSON-ready.
    """
    num_samples = checks.integer("num_samples", num_samples, minimum=2,
                                 hint=": images to generate, e.g. 500")
    generator = sampling.as_generator(model)
    images = sampling.generate_images(generator, num_samples, seed=seed, progress=progress)
    real = real_digits(images.shape[1:])
    scores = evaluate(images, real, include=("fid", "precision_recall"), progress=False)
    digits = digit_report(images)
    report = {"num_samples": num_samples, "num_real": len(real), "seed": seed,
              "fid": scores["fid"], "precision": scores["precision"],
              "recall": scores["recall"], "recognised": digits["recognised"],
              "effective_classes": digits["effective_classes"]}
    if images.shape[-1] == 3:
        report["colour_spread"] = colour_spread(images)
        report["real_colour_spread"] = colour_spread(real)
    if getattr(model, "conditional", False):
        adherence = guidance_adherence(model, guidance_scales, num_samples, seed)
        report["guidance_adherence"] = {f"{scale:g}": value for scale, value in adherence.items()}
    if hasattr(model, "elbo"):
        report["elbo"] = model.elbo(real)["elbo"]
    elif hasattr(model, "reconstruct"):
        report["mse"] = float(np.mean(np.square(model.reconstruct(real) - real)))
    return report


def flat_figures(report):
    """A :func:`model_report`'s figures as {name: float}, nested ones named "outer.inner".

    The counts ("num_samples", "num_real", "seed") are left out: they describe the
    measurement, not the model.
    """
    flat = {}
    for key, value in report.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{inner}": float(number) for inner, number in value.items()})
        elif key not in ("num_samples", "num_real", "seed"):
            flat[key] = float(value)
    return flat
