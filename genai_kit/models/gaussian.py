"""The simplest generative model of the course: one Gaussian per class, on PCA codes.

Week 0's point of comparison. A discriminative model learns P(y | x) and can only label
digits; this model learns P(x | y) and can draw new ones, and through Bayes' rule
P(y | x) ∝ P(x | y) P(y) it can label them too. Its samples are blurry: a Gaussian can
only spread probability around an average, which is why the course moves on to
autoencoders, GANs and diffusion.
"""
import numpy as np
from scipy import stats


class ClassConditionalGaussian:
    """p(x | y) = N(code; mean_y, covariance_y) on the top principal components of x.

    Args:
        num_components: principal components kept (1..number of pixels); 30-60 keep the
            digits readable while the covariances stay well estimated from ~450 digits.
        regularization: added to each covariance's diagonal so it stays invertible.
    """

    def __init__(self, num_components=40, regularization=1e-3):
        if not isinstance(num_components, int) or num_components < 1:
            raise ValueError(f"num_components must be a positive int, got {num_components!r}")
        self.num_components = num_components
        self.regularization = regularization
        self.image_shape = None

    def fit(self, images, labels):
        """Fits the shared PCA and one Gaussian per class.

        Args:
            images: float array (n, height, width, channels) in [0, 1].
            labels: int array (n,), classes 0..k-1, each with more than num_components examples.
        Returns:
            self.
        """
        images, labels = np.asarray(images, np.float64), np.asarray(labels)
        if images.ndim != 4 or len(images) != len(labels):
            raise ValueError(f"expected images (n, height, width, channels) and labels (n,), "
                             f"got {images.shape} and {labels.shape}")
        if images.min() < 0.0 or images.max() > 1.0:
            raise ValueError(f"expected pixels in [0, 1], got [{images.min():g}, {images.max():g}]: "
                             "divide 0-255 images by 255")
        pixels = images.reshape(len(images), -1)
        if self.num_components > pixels.shape[1]:
            raise ValueError(f"num_components={self.num_components} exceeds the "
                             f"{pixels.shape[1]} pixels of an image")
        self.image_shape = images.shape[1:]
        self.pixel_mean = pixels.mean(axis=0)
        # principal directions: the top right-singular vectors of the centred data
        _, singular_values, directions = np.linalg.svd(pixels - self.pixel_mean, full_matrices=False)
        self.components = directions[: self.num_components]
        self.explained_variance_ratio = (singular_values[: self.num_components] ** 2
                                         / np.sum(singular_values ** 2))
        codes = self.encode(images)
        self.classes = np.unique(labels)
        self.class_priors = np.array([np.mean(labels == c) for c in self.classes])
        self.class_means, self.class_covariances = [], []
        for label in self.classes:
            class_codes = codes[labels == label]
            if len(class_codes) <= self.num_components:
                raise ValueError(f"class {label} has {len(class_codes)} examples, too few for a "
                                 f"{self.num_components}-d covariance: lower num_components")
            covariance = np.cov(class_codes, rowvar=False)
            self.class_means.append(class_codes.mean(axis=0))
            self.class_covariances.append(covariance + self.regularization * np.eye(self.num_components))
        return self

    def encode(self, images):
        """Images (n, height, width, channels) -> PCA codes (n, num_components)."""
        pixels = np.asarray(images, np.float64).reshape(len(images), -1)
        return (pixels - self.pixel_mean) @ self.components.T

    def decode(self, codes):
        """PCA codes (n, num_components) -> float32 images (n, height, width, channels) in [0, 1]."""
        pixels = np.asarray(codes) @ self.components + self.pixel_mean
        return np.clip(pixels, 0.0, 1.0).reshape(-1, *self.image_shape).astype(np.float32)

    def sample(self, num_samples=None, class_labels=None, temperature=1.0, seed=0):
        """Draws new images: one per requested class, or with classes drawn from p(y).

        Args:
            num_samples: n; may be left out when ``class_labels`` are given.
            class_labels: int array (n,) of the classes to draw; None draws each image's
                class from the training classes' frequencies p(y).
            temperature: scales the standard deviation; 0 returns the class mean (sharpest
                average, no diversity), 1 the fitted spread, above 1 more diverse and noisier.
            seed: int seed of the draws.
        Returns:
            float32 images (n, height, width, channels) in [0, 1].
        """
        if temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {temperature}")
        rng = np.random.default_rng(seed)
        if class_labels is None:
            if num_samples is None:
                raise ValueError("pass num_samples, class_labels, or both")
            class_labels = rng.choice(self.classes, size=int(num_samples), p=self.class_priors)
        class_labels = np.asarray(class_labels).reshape(-1)
        if num_samples is not None and len(class_labels) != int(num_samples):
            raise ValueError(f"got {len(class_labels)} class_labels for num_samples={num_samples}: "
                             "pass one label per image")
        codes = []
        for label in class_labels:
            index = self._class_index(label)
            noise = rng.multivariate_normal(np.zeros(self.num_components), self.class_covariances[index])
            codes.append(self.class_means[index] + temperature * noise)
        return self.decode(np.array(codes))

    def log_likelihoods(self, images):
        """log p(code | y) for every class: array (n, number of classes)."""
        codes = self.encode(images)
        return np.stack([stats.multivariate_normal(mean, covariance).logpdf(codes)
                         for mean, covariance in zip(self.class_means, self.class_covariances)], axis=1)

    def predict(self, images):
        """Bayes' rule, argmax_y log p(x | y) + log p(y): int array (n,) of classes."""
        scores = self.log_likelihoods(images) + np.log(self.class_priors)
        return self.classes[np.argmax(scores, axis=1)]

    def _class_index(self, label):
        matches = np.flatnonzero(self.classes == label)
        if len(matches) == 0:
            raise ValueError(f"class {label} was not in the training labels {self.classes.tolist()}")
        return int(matches[0])
