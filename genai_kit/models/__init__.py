"""The kit's Keras models; each lives in a module named for it.

Importing this package registers every custom class with Keras, so ``keras.models.load_model``
reads the kit's ``.keras`` files back.
"""
from genai_kit.models.autoencoder import Autoencoder, build_autoencoder
from genai_kit.models.dcgan import DCGAN, build_dcgan_discriminator, build_dcgan_generator
from genai_kit.models.gaussian import ClassConditionalGaussian
from genai_kit.models.mnist_classifier import build_mnist_classifier, load_mnist_classifier
from genai_kit.models.vae import VAE, Reparameterization, build_vae

__all__ = [
    "Autoencoder", "build_autoencoder",
    "DCGAN", "build_dcgan_discriminator", "build_dcgan_generator",
    "ClassConditionalGaussian",
    "build_mnist_classifier", "load_mnist_classifier",
    "VAE", "Reparameterization", "build_vae",
]
