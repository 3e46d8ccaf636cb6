"""The layers of a model, nested models opened: what the week's techniques walk over."""
import keras


def leaf_layers(model):
    """Every layer of ``model`` that is not itself a model, in order (list)."""
    layers = []
    for layer in model.layers:
        layers.extend(leaf_layers(layer) if isinstance(layer, keras.Model) else [layer])
    return layers
