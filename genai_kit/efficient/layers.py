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
    """Every layer of ``model`` that holds no other layers, in order (list).

    Looks inside sub-models (``model.layers``) and inside custom layers that keep their
    layers as attributes or in lists of them (a Transformer block's attention and MLP).
    """
    layers, seen = [], set()

    def visit(layer):
        if id(layer) in seen:
            return
        seen.add(id(layer))
        children = _children(layer)
        if children:
            for child in children:
                visit(child)
        else:
            layers.append(layer)

    for layer in _children(model):
        visit(layer)
    return layers


def _children(layer):
    if isinstance(layer, keras.Model):
        return list(layer.layers)
    children = []
    for value in vars(layer).values():
        if isinstance(value, keras.layers.Layer):
            children.append(value)
        elif isinstance(value, (list, tuple)):
            children.extend(item for item in value if isinstance(item, keras.layers.Layer))
    return children
