"""What the kit's networks compute in: float32, or mixed bfloat16 where the CPU has it.

``resolve_dtype_policy("auto")`` picks the policy; ``policy_scope(policy)`` builds a network
under it without changing the global Keras policy for anything else.
"""
import contextlib

import keras
import tensorflow as tf

from genai_kit import config


def resolve_dtype_policy(dtype_policy="auto"):
    """The Keras dtype policy a network of the kit computes in.

    Args:
        dtype_policy: "auto", or a Keras policy name ("float32", "mixed_bfloat16", ...).
            "auto" is "mixed_bfloat16" on a machine without a GPU whose CPU computes
            bfloat16 natively (``config.cpu_computes_bfloat16()``), as long as the global
            Keras policy is its default "float32"; otherwise it is the global policy.
    Returns:
        str, the policy name.
    """
    if dtype_policy == "auto":
        global_policy = keras.mixed_precision.global_policy().name
        if (
            global_policy == "float32"
            and config.cpu_computes_bfloat16()
            and not tf.config.list_physical_devices("GPU")
        ):
            return "mixed_bfloat16"
        return global_policy
    try:
        return keras.DTypePolicy(dtype_policy).name
    except ValueError as error:
        raise ValueError(
            f'dtype_policy must be "auto" or a Keras dtype policy such as "float32" or '
            f'"mixed_bfloat16", got {dtype_policy!r}'
        ) from error


@contextlib.contextmanager
def policy_scope(dtype_policy):
    """Layers created inside compute in ``dtype_policy``; the global policy is restored after.

    Args:
        dtype_policy: as :func:`resolve_dtype_policy` ("auto", "float32", "mixed_bfloat16").
    """
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(resolve_dtype_policy(dtype_policy))
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


def float32_copy(network):
    """A copy of a functional network whose every layer computes in float32, same weights.

    A network trained in mixed bfloat16 keeps float32 weights already; the copy only
    changes what its layers compute in, so it runs at full speed on CPUs without bfloat16
    instructions (where bfloat16 is emulated) and gives float32 outputs.

    Args:
        network: a functional or Sequential keras.Model.
    Returns:
        a new keras.Model with the same architecture, names and weights.
    """
    def float32_layer(layer):
        return layer.__class__.from_config({**layer.get_config(), "dtype": "float32"})

    copy = keras.models.clone_model(network, clone_function=float32_layer)
    copy.set_weights(network.get_weights())
    return copy
