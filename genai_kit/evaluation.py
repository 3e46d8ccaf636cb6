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

from genai_kit import checks, features, metrics, sampling
from genai_kit.progress import progress_bar

METRICS = ("is", "fid", "kid", "precision_recall")

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
