"""The week's techniques on a generator: the shipped VAE's decoder, quantized, pruned, adapted.

A classifier's quality is its accuracy; a generator's is what its samples look like, so each
variant is measured with the kit's digit metrics (MNIST-FID against the held-out digits, the
share the judge recognises) beside the decoder's size:

    figures = generator.generator_figures(generator.quantized_vae("int8"))

:func:`lora_vae` adapts the shipped VAE to draw one digit only, the way LoRA adapts a large
image model to a new subject from a few pictures: 450 training images of that digit and a
few percent of the parameters.
"""
import keras
import numpy as np

from genai_kit import checks, evaluation, features, pretrained
from genai_kit.efficient import digits, lora, pruning, quantization, size

# fine-tuning
LEARNING_RATE = 1e-3
BATCH_SIZE = 64
# measuring
NUM_SAMPLES = 500


def load_vae():
    """A fresh copy of the shipped VAE (``pretrained.load("vae")``): changing it is safe."""
    return pretrained.load("vae")


def quantized_vae(mode="int8"):
    """The shipped VAE with its decoder's kernels quantized to ``mode`` ("int8", "int4")."""
    vae = load_vae()
    quantization.quantize(vae.decoder, mode)
    return vae


def pruned_vae(target_sparsity, epochs=3, seed=0):
    """The shipped VAE with its decoder's kernels pruned to ``target_sparsity``.

    The whole VAE is fine-tuned on the bundled training digits while the decoder's masks
    rise on the polynomial schedule over the first 60% of the steps (as ``pruning.prune``).

    Args:
        target_sparsity: float in [0, 1).
        epochs: fine-tuning epochs, a positive int.
    Returns:
        the pruned VAE.
    """
    vae = load_vae()
    images, _ = digits.split("train")
    epochs = checks.integer("epochs", epochs, minimum=1)
    callback = pruning.ramped_callback(target_sparsity,
                                       epochs * int(np.ceil(len(images) / BATCH_SIZE)),
                                       weights=pruning.prunable_weights(vae.decoder))
    _fine_tune(vae, images, epochs, LEARNING_RATE, seed, callbacks=[callback])
    return vae


def lora_vae(digit=7, rank=4, epochs=20, seed=0):
    """The shipped VAE adapted with rank-``rank`` LoRA to draw ``digit`` only.

    Args:
        digit: int in 0..9, the class whose 450 training digits the adapters learn from.
        rank: the adapters' rank, an int >= 1.
        epochs: positive int.
    Returns:
        the adapted VAE (its encoder and decoder both carry adapters).
    """
    digit = checks.integer("digit", digit, minimum=0, maximum=9)
    vae = load_vae()
    lora.enable_lora(vae, rank)
    images, _ = digits.split("train", digits=[digit])
    _fine_tune(vae, images, epochs, lora.LEARNING_RATE, seed)
    return vae


def finetuned_vae(digit=7, epochs=20, seed=0):
    """The shipped VAE, every weight fine-tuned on ``digit``'s training images: LoRA's yardstick."""
    digit = checks.integer("digit", digit, minimum=0, maximum=9)
    vae = load_vae()
    images, _ = digits.split("train", digits=[digit])
    _fine_tune(vae, images, epochs, LEARNING_RATE, seed)
    return vae


def generator_figures(vae, digit=None, num_samples=NUM_SAMPLES, seed=0):
    """Size and sample quality of a VAE's decoder.

    Args:
        vae: the kit's VAE (``models.vae.VAE``), e.g. from :func:`quantized_vae`.
        digit: None compares the samples with the 500 held-out digits; an int in 0..9 with
            the 450 training images of that digit (the subject an adapter was shown), and
            adds the share of samples drawn as that digit.
        num_samples: samples to draw, >= 2 (FID depends on n: compare at equal n).
    Returns:
        dict: "parameters" and "trainable" (of the whole VAE), "decoder_bytes" (the
        decoder's weights at their dtypes), "decoder_gzip_bytes", "fid" (>= 0, lower is
        better), "recognised" (share in [0, 1]) and, with ``digit``, "drawn_as_digit".
    """
    num_samples = checks.integer("num_samples", num_samples, minimum=2)
    images = vae.sample(num_samples, seed=seed)
    if digit is None:
        real, _ = digits.split("test")
    else:
        digit = checks.integer("digit", digit, minimum=0, maximum=9)
        real, _ = digits.split("train", digits=[digit])
    total, trainable = size.parameter_counts(vae)
    figures = {
        "parameters": total, "trainable": trainable,
        "decoder_bytes": size.weight_bytes(vae.decoder),
        "decoder_gzip_bytes": size.gzip_weight_bytes(vae.decoder),
        "fid": evaluation.evaluate(images, real, include=("fid",), progress=False)["fid"],
        "recognised": evaluation.digit_report(images)["recognised"],
    }
    if digit is not None:
        drawn, _ = features.classify_digits(images)
        figures["drawn_as_digit"] = float(np.mean(drawn == digit))
    return figures


def _fine_tune(vae, images, epochs, learning_rate, seed, callbacks=()):
    epochs = checks.integer("epochs", epochs, minimum=1)
    keras.utils.set_random_seed(seed)
    # compiled after the adapters: compile fixes which variables are trained
    vae.compile(optimizer=keras.optimizers.Adam(learning_rate))
    vae.fit(images, epochs=epochs, batch_size=BATCH_SIZE, callbacks=list(callbacks), verbose=0)
