"""Trains the kit's MNIST classifier and writes assets/mnist_classifier.weights.h5.

The classifier (``genai_kit.models.mnist_classifier``) is the offline judge of generated
digits: its features and probabilities give MNIST-FID, IS, KID and precision/recall.
It learns from the 4,500 bundled training digits only; random rotations, shifts and zooms
make up for the small set. It then reports its accuracy on the 500 bundled test digits it
never saw (the number recorded in assets/README.md).

Run from the repository root (about 2 minutes on a 2-core CPU):

    python scripts/train_mnist_classifier.py
    python scripts/train_mnist_classifier.py --source tfds --output /tmp/full.weights.h5
"""
import argparse
import pathlib

import genai_kit  # noqa: F401  (sets TensorFlow defaults before it is imported)
import keras
import tensorflow as tf

from genai_kit import data
from genai_kit.models import mnist_classifier

OUTPUT = pathlib.Path(__file__).resolve().parent.parent / "assets" / mnist_classifier.WEIGHTS_ASSET


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--source", default="bundled", choices=data.MNIST_SOURCES,
                        help="MNIST source; the shipped weights use the bundled digits")
    parser.add_argument("--output", type=pathlib.Path, default=OUTPUT)
    return parser.parse_args()


def augmented_batches(images, labels, batch_size, seed):
    """Shuffled training batches, each digit randomly rotated (±10°), shifted (±2 px), zoomed (±10%)."""
    augment = keras.Sequential([
        keras.layers.RandomRotation(10 / 360, fill_mode="constant", seed=seed),
        keras.layers.RandomTranslation(0.08, 0.08, fill_mode="constant", seed=seed + 1),
        keras.layers.RandomZoom(0.1, fill_mode="constant", seed=seed + 2),
    ])
    dataset = tf.data.Dataset.from_tensor_slices((images, labels))
    dataset = dataset.shuffle(len(images), seed=seed).batch(batch_size)
    dataset = dataset.map(lambda x, y: (tf.clip_by_value(augment(x, training=True), 0, 1), y),
                          num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)


def main():
    arguments = parse_arguments()
    keras.utils.set_random_seed(arguments.seed)
    train_images, train_labels = data.load_mnist("train", source=arguments.source)
    test_images, test_labels = data.load_mnist("test", source=arguments.source)

    model = mnist_classifier.build_mnist_classifier()
    steps = arguments.epochs * -(-len(train_images) // arguments.batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(arguments.learning_rate, steps)
    model.compile(optimizer=keras.optimizers.Adam(schedule),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(augmented_batches(train_images, train_labels, arguments.batch_size, arguments.seed),
              epochs=arguments.epochs, verbose=2)

    # evaluated once, after training: the test digits choose nothing
    _, accuracy = model.evaluate(test_images, test_labels, verbose=0)
    print(f"held-out accuracy on {len(test_images)} test digits: {accuracy:.4f}")
    # a fresh, uncompiled copy: save_weights of the trained model would add Adam's state
    shipped = mnist_classifier.build_mnist_classifier()
    shipped.set_weights(model.get_weights())
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    shipped.save_weights(arguments.output)
    print(f"wrote {arguments.output} ({arguments.output.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
