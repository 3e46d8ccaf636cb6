"""Training steps that give the same result on one device and on N (``tf.distribute``).

Under ``tf.distribute.MirroredStrategy`` every replica runs the training step on its slice of
the global batch, and the optimizer adds up the replicas' gradients. Two things then differ
from one device unless the step takes care:

- a loss averaged over the replica's slice gives N times the gradient of the global mean:
  :func:`mean` divides by N, so the sum is the global mean's gradient;
- every replica draws its random numbers from the same seed, so all replicas would draw the
  same noise: :func:`draw` makes each replica draw the whole global batch and keep its own
  slice, so N devices draw the noise one device draws for the same global batch.

Outside a strategy (one device) both are the plain operations.
"""
import tensorflow as tf
from keras import ops


def count():
    """Replicas training in sync: 1 on one device."""
    return tf.distribute.get_strategy().num_replicas_in_sync


def mean(per_example_loss):
    """Mean over the replica's slice, divided by the replica count (see the module docstring).

    Args:
        per_example_loss: tensor (n, ...) of the replica's examples.
    Returns:
        scalar tensor.
    """
    return ops.mean(per_example_loss) / count()


def draw(sample, shape):
    """Random numbers for this replica's slice of the global batch.

    Args:
        sample: a function shape -> tensor, e.g. ``lambda s: keras.random.normal(s, seed=gen)``.
        shape: the replica's shape (n, ...), n its batch size.
    Returns:
        tensor of ``shape``: rows [i n, (i + 1) n) of the global draw, i the replica's index.
    """
    replicas, context = count(), tf.distribute.get_replica_context()
    if replicas == 1 or context is None:  # one device, or outside the replicas' step
        return sample(shape)
    replica_id = context.replica_id_in_sync_group
    drawn = sample((shape[0] * replicas, *shape[1:]))
    return drawn[replica_id * shape[0]:(replica_id + 1) * shape[0]]
