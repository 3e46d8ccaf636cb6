"""The layers of a model, nested models opened, and copies of a model: what the week's
techniques walk over and change."""
import keras


def copy_of(model):
    """A new functional ``model`` with the same layers and weights (the original is kept).

    ``keras.models.clone_model`` copies the architecture and, for a compiled model, the
    compilation, not the weights: they are set here.
    """
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


def leaf_layers(model):
    """Every layer of ``model`` that is not itself a model, in order (list)."""
    layers = []
    for layer in model.layers:
        layers.extend(leaf_layers(layer) if isinstance(layer, keras.Model) else [layer])
    return layers
