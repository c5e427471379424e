"""ConvNets in Keras: the course's two models, one per Keras API (Week 1, part 2).

* ``happyModel()`` uses ``keras.Sequential``: a plain stack of layers, one input,
  one output, each layer feeding the next.
* ``convolutional_model(input_shape, classes=6)`` uses the Functional API: tensors are
  passed from layer to layer by hand, which also allows branches and several inputs
  or outputs (used from Week 2 on).
* ``layer_table(model)`` lists each layer's output shape, activation size and number
  of parameters, the way the lectures tabulate a network.

Shapes are channels-last: images are (m, n_H, n_W, n_C).
"""
import math

import keras
from keras import layers

from cnn_utils.validation import check_int, check_shape


def happyModel():
    """The course's binary classifier for 64x64x3 images, built with ``keras.Sequential``.

    ZEROPAD2D(3) -> CONV2D(32, 7x7, stride 1) -> BATCHNORM(axis 3) -> RELU -> MAXPOOL(2x2)
    -> FLATTEN -> DENSE(1, sigmoid).

    Input (m, 64, 64, 3); output (m, 1), the probability of the positive class.
    37,633 parameters, of which 64 (the batch-norm moving mean and variance) are not trained.
    """
    return keras.Sequential([
        keras.Input(shape=(64, 64, 3)),
        layers.ZeroPadding2D(padding=3),           # (70, 70, 3)
        layers.Conv2D(32, 7, strides=1),            # (64, 64, 32): 7*7*3*32 + 32 = 4,736
        layers.BatchNormalization(axis=3),          # 4 * 32 = 128
        layers.ReLU(),
        layers.MaxPool2D(),                         # (32, 32, 32)
        layers.Flatten(),                           # (32768,)
        layers.Dense(1, activation="sigmoid"),      # 32,768 + 1 = 32,769
    ], name="happyModel")


def convolutional_model(input_shape, classes=6):
    """The course's multi-class ConvNet, built with the Functional API.

    CONV2D(8, 4x4, same) -> RELU -> MAXPOOL(8x8, stride 8, same)
    -> CONV2D(16, 2x2, same) -> RELU -> MAXPOOL(4x4, stride 4, same)
    -> FLATTEN -> DENSE(classes, softmax).

    Arguments:
        input_shape: (n_H, n_W, n_C) of one image, for example (64, 64, 3).
        classes: number of classes; the course uses 6 (SIGNS), the digits need 10.
    Returns a ``keras.Model`` mapping (m, n_H, n_W, n_C) to class probabilities (m, classes).
    For (64, 64, 3) and 6 classes it has 1,310 parameters (392 + 528 + 390).
    """
    input_shape = check_shape("input_shape", input_shape, 3)
    classes = check_int("classes", classes, 2)

    input_img = keras.Input(shape=input_shape)
    Z1 = layers.Conv2D(8, (4, 4), strides=(1, 1), padding="same")(input_img)
    A1 = layers.ReLU()(Z1)
    P1 = layers.MaxPool2D(pool_size=(8, 8), strides=(8, 8), padding="same")(A1)
    Z2 = layers.Conv2D(16, (2, 2), strides=(1, 1), padding="same")(P1)
    A2 = layers.ReLU()(Z2)
    P2 = layers.MaxPool2D(pool_size=(4, 4), strides=(4, 4), padding="same")(A2)
    F = layers.Flatten()(P2)
    outputs = layers.Dense(classes, activation="softmax")(F)
    return keras.Model(inputs=input_img, outputs=outputs, name="convolutional_model")


def layer_table(model):
    """Rows ``(layer, activation shape, activation size, parameters)`` for a built model.

    The first row is the input; then one row per layer (Keras' own ``InputLayer`` is
    skipped). Shapes leave out the batch dimension, e.g. ``(28, 28, 8)``.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    if not model.built or not model.inputs:
        raise ValueError("model must be built with a known input shape (start it with keras.Input)")
    shape = tuple(model.inputs[0].shape[1:])
    rows = [("Input", shape, math.prod(shape), 0)]
    for layer in model.layers:
        if isinstance(layer, layers.InputLayer):
            continue
        shape = tuple(layer.output.shape[1:])
        rows.append((layer.__class__.__name__, shape, math.prod(shape), layer.count_params()))
    return rows


def print_layer_table(model):
    """Print :func:`layer_table` as aligned text, with the total number of parameters."""
    rows = layer_table(model)
    print(f"{'layer':<20}{'activation shape':<18}{'size':>8}{'parameters':>12}")
    for name, shape, size, params in rows:
        print(f"{name:<20}{str(shape):<18}{size:>8,}{params:>12,}")
    print(f"{'total':<20}{'':<18}{'':>8}{model.count_params():>12,}")
