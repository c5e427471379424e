"""Classic convolutional networks and what they cost.

Builders for the case-study networks of Week 2 (LeNet-5, AlexNet, VGG-16), the
Inception module, MobileNet's depthwise-separable block and MobileNetV2's
bottleneck block, EfficientNet-style compound scaling, and counters that say
how many parameters, activations and multiplications each layer of a Keras
model has for one input image.

All tensors are channels-last: ``(batch, height, width, channels)``.
"""
import math

import keras
from keras import layers

from cnn_utils.validation import check_int, check_model, check_real, check_shape

# Multiplications are counted for these layer types; every other layer
# (pooling, batch norm, activations, additions) is taken as free.
COUNTED_LAYERS = ("Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Conv2DTranspose", "Dense")

# EfficientNet-B0's grid-searched constants: depth, width and resolution
# multipliers per step of phi, chosen so that alpha * beta**2 * gamma**2 ~ 2.
EFFICIENTNET_ALPHA = 1.2
EFFICIENTNET_BETA = 1.1
EFFICIENTNET_GAMMA = 1.15


# ---------------------------------------------------------------------------
# Classic networks
# ---------------------------------------------------------------------------

def lenet5(input_shape=(32, 32, 1), classes=10):
    """LeNet-5 (LeCun et al., 1998) as drawn in the lecture.

    (32, 32, 1) -> conv 6@5x5 -> avg-pool 2 -> conv 16@5x5 -> avg-pool 2
    -> FC 120 -> FC 84 -> softmax ``classes``. Tanh activations as in 1998;
    the paper's partial connections between C2 and C3 and its trainable
    pooling are left out, as the lecture does. 61,706 parameters for 10 classes.
    """
    check_shape("input_shape", input_shape, 3)
    check_int("classes", classes, 1)
    return keras.Sequential([
        keras.Input(input_shape),
        layers.Conv2D(6, 5, activation="tanh", name="conv1"),        # 28x28x6
        layers.AveragePooling2D(2, name="pool1"),                      # 14x14x6
        layers.Conv2D(16, 5, activation="tanh", name="conv2"),       # 10x10x16
        layers.AveragePooling2D(2, name="pool2"),                      # 5x5x16
        layers.Flatten(name="flatten"),                                # 400
        layers.Dense(120, activation="tanh", name="fc3"),
        layers.Dense(84, activation="tanh", name="fc4"),
        layers.Dense(classes, activation="softmax", name="softmax"),
    ], name="lenet5")


def alexnet(input_shape=(227, 227, 3), classes=1000):
    """AlexNet (Krizhevsky et al., 2012) as drawn in the lecture, on one device.

    (227, 227, 3) -> conv 96@11x11 s4 -> max-pool 3 s2 -> conv 256@5x5 same
    -> max-pool 3 s2 -> conv 384@3x3 same -> conv 384@3x3 same -> conv 256@3x3 same
    -> max-pool 3 s2 (6x6x256 = 9,216) -> FC 4096 -> FC 4096 -> softmax ``classes``.
    ReLU everywhere; no local response normalisation, no two-GPU split.
    62,378,344 parameters for 1,000 classes (the lecture's "about 60 M").
    """
    check_shape("input_shape", input_shape, 3)
    check_int("classes", classes, 1)
    return keras.Sequential([
        keras.Input(input_shape),
        layers.Conv2D(96, 11, strides=4, activation="relu", name="conv1"),               # 55x55x96
        layers.MaxPooling2D(3, strides=2, name="pool1"),                                   # 27x27x96
        layers.Conv2D(256, 5, padding="same", activation="relu", name="conv2"),          # 27x27x256
        layers.MaxPooling2D(3, strides=2, name="pool2"),                                   # 13x13x256
        layers.Conv2D(384, 3, padding="same", activation="relu", name="conv3"),          # 13x13x384
        layers.Conv2D(384, 3, padding="same", activation="relu", name="conv4"),          # 13x13x384
        layers.Conv2D(256, 3, padding="same", activation="relu", name="conv5"),          # 13x13x256
        layers.MaxPooling2D(3, strides=2, name="pool5"),                                   # 6x6x256
        layers.Flatten(name="flatten"),                                                    # 9216
        layers.Dense(4096, activation="relu", name="fc6"),
        layers.Dense(4096, activation="relu", name="fc7"),
        layers.Dense(classes, activation="softmax", name="softmax"),
    ], name="alexnet")


def vgg16(input_shape=(224, 224, 3), classes=1000):
    """VGG-16 (Simonyan & Zisserman, 2015): 13 same 3x3 convs and 3 FC layers.

    Blocks of [conv 64]x2, [conv 128]x2, [conv 256]x3, [conv 512]x3, [conv 512]x3,
    each followed by a 2x2 max-pool with stride 2, then FC 4096, FC 4096 and a
    softmax. Layer names and the parameter count (138,357,544 for 1,000 classes)
    are those of ``keras.applications.VGG16(weights=None)``.
    """
    check_shape("input_shape", input_shape, 3)
    check_int("classes", classes, 1)
    model = keras.Sequential([keras.Input(input_shape)], name="vgg16")
    for block, (filters, convs) in enumerate([(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)], 1):
        for i in range(1, convs + 1):
            model.add(layers.Conv2D(filters, 3, padding="same", activation="relu",
                                    name=f"block{block}_conv{i}"))
        model.add(layers.MaxPooling2D(2, strides=2, name=f"block{block}_pool"))
    model.add(layers.Flatten(name="flatten"))
    model.add(layers.Dense(4096, activation="relu", name="fc1"))
    model.add(layers.Dense(4096, activation="relu", name="fc2"))
    model.add(layers.Dense(classes, activation="softmax", name="predictions"))
    return model


# ---------------------------------------------------------------------------
# Cheaper building blocks
# ---------------------------------------------------------------------------

def inception_module(x, filters_1x1=64, filters_3x3_reduce=96, filters_3x3=128,
                     filters_5x5_reduce=16, filters_5x5=32, filters_pool_proj=32, name=None):
    """The lecture's Inception module: four same-size branches concatenated on channels.

    Branches: 1x1 conv; 1x1 reduce -> 3x3 conv; 1x1 reduce -> 5x5 conv;
    3x3 max-pool (stride 1, same) -> 1x1 conv. All ReLU.

    Arguments:
        x: tensor (m, n_H, n_W, n_C), for example (m, 28, 28, 192).
    Returns a tensor (m, n_H, n_W, filters_1x1 + filters_3x3 + filters_5x5 + filters_pool_proj),
    (m, 28, 28, 256) with the defaults.
    """
    prefix = f"{name}_" if name else ""

    def conv(filters, size, tag):
        return layers.Conv2D(filters, size, padding="same", activation="relu", name=prefix + tag)

    branch_1x1 = conv(filters_1x1, 1, "1x1")(x)
    branch_3x3 = conv(filters_3x3, 3, "3x3")(conv(filters_3x3_reduce, 1, "3x3_reduce")(x))
    branch_5x5 = conv(filters_5x5, 5, "5x5")(conv(filters_5x5_reduce, 1, "5x5_reduce")(x))
    pooled = layers.MaxPooling2D(3, strides=1, padding="same", name=prefix + "pool")(x)
    branch_pool = conv(filters_pool_proj, 1, "pool_proj")(pooled)
    return layers.Concatenate(name=prefix + "concat")([branch_1x1, branch_3x3, branch_5x5, branch_pool])


def depthwise_separable_block(x, filters, strides=1, name=None):
    """MobileNet v1 block: 3x3 depthwise conv -> BN -> ReLU -> 1x1 pointwise conv -> BN -> ReLU.

    Arguments:
        x: tensor (m, n_H, n_W, n_C).
        filters: number of output channels n_C' of the pointwise conv.
        strides: stride of the depthwise conv (1 or 2).
    Returns a tensor (m, ceil(n_H / strides), ceil(n_W / strides), filters).
    """
    prefix = f"{name}_" if name else ""
    x = layers.DepthwiseConv2D(3, strides=strides, padding="same", use_bias=False,
                               name=prefix + "depthwise")(x)
    x = layers.BatchNormalization(name=prefix + "depthwise_bn")(x)
    x = layers.ReLU(name=prefix + "depthwise_relu")(x)
    x = layers.Conv2D(filters, 1, use_bias=False, name=prefix + "pointwise")(x)
    x = layers.BatchNormalization(name=prefix + "pointwise_bn")(x)
    return layers.ReLU(name=prefix + "pointwise_relu")(x)


def mobilenet_v2_block(x, filters, expansion=6, strides=1, name=None, kernel_size=3):
    """MobileNetV2 bottleneck: expansion -> depthwise -> projection, plus a residual when shapes match.

    1x1 conv to ``expansion * n_C`` channels -> BN -> ReLU6; ``kernel_size`` x
    ``kernel_size`` depthwise conv -> BN -> ReLU6; 1x1 linear projection to
    ``filters`` channels -> BN; the input is added back when ``strides == 1``
    and ``filters == n_C``. With ``expansion=1`` there is nothing to expand and
    the block starts at the depthwise conv (MobileNetV2's first block).
    EfficientNet-Lite0 (``cnn_utils.efficientnet``) is 16 of these blocks, some
    with 5x5 depthwise kernels.

    Arguments:
        x: tensor (m, n_H, n_W, n_C).
    Returns a tensor (m, ceil(n_H / strides), ceil(n_W / strides), filters).
    """
    prefix = f"{name}_" if name else ""
    channels = x.shape[-1]
    shortcut = x
    if expansion > 1:
        x = layers.Conv2D(expansion * channels, 1, use_bias=False, name=prefix + "expand")(x)
        x = layers.BatchNormalization(name=prefix + "expand_bn")(x)
        x = layers.ReLU(6.0, name=prefix + "expand_relu")(x)
    x = layers.DepthwiseConv2D(kernel_size, strides=strides, padding="same", use_bias=False,
                               name=prefix + "depthwise")(x)
    x = layers.BatchNormalization(name=prefix + "depthwise_bn")(x)
    x = layers.ReLU(6.0, name=prefix + "depthwise_relu")(x)
    x = layers.Conv2D(filters, 1, use_bias=False, name=prefix + "project")(x)
    x = layers.BatchNormalization(name=prefix + "project_bn")(x)
    if strides == 1 and filters == channels:
        x = layers.Add(name=prefix + "add")([shortcut, x])
    return x


# ---------------------------------------------------------------------------
# EfficientNet compound scaling
# ---------------------------------------------------------------------------

def compound_scaling(phi, alpha=EFFICIENTNET_ALPHA, beta=EFFICIENTNET_BETA, gamma=EFFICIENTNET_GAMMA):
    """EfficientNet's multipliers for step ``phi``: ``(depth, width, resolution)``.

    depth = alpha**phi, width = beta**phi, resolution = gamma**phi. The cost of a
    conv net grows like depth * width**2 * resolution**2, so each step of phi
    multiplies it by about alpha * beta**2 * gamma**2 (1.92 with the defaults).
    """
    return alpha ** phi, beta ** phi, gamma ** phi


def scaled_mobile_network(phi=0, base_resolution=64, base_width=32, base_depth=4, classes=10,
                          alpha=EFFICIENTNET_ALPHA, beta=EFFICIENTNET_BETA, gamma=EFFICIENTNET_GAMMA):
    """A small MobileNetV2-style network scaled by EfficientNet's compound rule.

    The base network (phi = 0) takes (base_resolution, base_resolution, 3) images:
    a 3x3 stride-2 conv with ``base_width`` channels, then three stages of
    ``base_depth`` bottleneck blocks with widths 1x, 2x and 4x ``base_width``
    (the first block of stages 2 and 3 has stride 2), global average pooling
    and a softmax. Step ``phi`` multiplies the number of blocks per stage by
    alpha**phi, the channels by beta**phi and the resolution by gamma**phi
    (each rounded to the nearest integer).
    """
    for arg, value in [("base_resolution", base_resolution), ("base_width", base_width),
                       ("base_depth", base_depth), ("classes", classes)]:
        check_int(arg, value, 1)
    for arg, value, low in [("phi", phi, 0), ("alpha", alpha, 1), ("beta", beta, 1), ("gamma", gamma, 1)]:
        if check_real(arg, value, low) == math.inf:
            raise ValueError(f"{arg} must be a finite number >= {low}, got {value!r}")
    depth_mult, width_mult, resolution_mult = compound_scaling(phi, alpha, beta, gamma)
    resolution = round(base_resolution * resolution_mult)
    depth = max(1, round(base_depth * depth_mult))

    def width(multiple):
        return round(base_width * multiple * width_mult)

    inputs = keras.Input((resolution, resolution, 3))
    x = layers.Conv2D(width(1), 3, strides=2, padding="same", use_bias=False, name="stem")(inputs)
    x = layers.BatchNormalization(name="stem_bn")(x)
    x = layers.ReLU(6.0, name="stem_relu")(x)
    for stage, multiple in enumerate([1, 2, 4], 1):
        for block in range(depth):
            strides = 2 if stage > 1 and block == 0 else 1
            x = mobilenet_v2_block(x, width(multiple), strides=strides, name=f"stage{stage}_block{block + 1}")
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = layers.Dense(classes, activation="softmax", name="softmax")(x)
    return keras.Model(inputs, outputs, name=f"scaled_phi{phi}")


# ---------------------------------------------------------------------------
# Counting parameters, activations and multiplications
# ---------------------------------------------------------------------------

def _size(shape):
    """Number of values in one example of a tensor of shape (None, ...)."""
    return math.prod(int(d) for d in shape[1:])


def layer_multiplications(layer):
    """Multiplications a built layer performs for one input example (0 for uncounted types).

    Conv2D: output positions x output channels x (k_h * k_w * n_C / groups).
    DepthwiseConv2D: output positions x output channels x (k_h * k_w).
    SeparableConv2D: its depthwise part plus its 1x1 pointwise part.
    Conv2DTranspose: input positions x n_C x (k_h * k_w * n_C') (every input
    value is multiplied by every kernel weight it meets).
    Dense: (values before the last axis) x n_in x units.
    Biases, batch norm, pooling and activations are not counted.
    """
    if not isinstance(layer, layers.Layer):
        raise TypeError(f"layer must be a keras Layer, got {type(layer).__name__}")
    kind = type(layer).__name__
    if kind not in COUNTED_LAYERS:
        return 0
    try:
        in_shape, out_shape = layer.input.shape, layer.output.shape
    except (AttributeError, ValueError):
        raise ValueError(f"layer must have been called on an input (inside a model built with "
                         f"keras.Input) to know its shapes; {layer.name} has not") from None
    if kind == "Dense":
        return _size(in_shape) * layer.units
    k_h, k_w = layer.kernel_size
    n_c = in_shape[-1]
    if kind == "Conv2D":
        return _size(out_shape) * k_h * k_w * n_c // layer.groups
    if kind == "DepthwiseConv2D":
        return _size(out_shape) * k_h * k_w
    if kind == "SeparableConv2D":
        positions = _size(out_shape) // out_shape[-1]
        depthwise_channels = n_c * layer.depth_multiplier
        return positions * depthwise_channels * (k_h * k_w + out_shape[-1])
    return _size(in_shape) * k_h * k_w * out_shape[-1]  # Conv2DTranspose


def _leaf_layers(model):
    """Layers of a model in order, looking inside nested models; input layers left out."""
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _leaf_layers(layer)
        elif not isinstance(layer, layers.InputLayer):
            yield layer


def _check_model(model):
    check_model("model", model)
    if not model.built or not model.inputs:
        raise ValueError("model must be built on a known input shape (start it with keras.Input)")


def layer_table(model):
    """One row per layer of ``model`` (nested models are opened), for one input example.

    Each row is a dict with ``name``, ``type``, ``output_shape`` (without the
    batch axis), ``activations`` (values in the layer's output), ``parameters``
    and ``multiplications`` (see :func:`layer_multiplications`).
    """
    _check_model(model)
    rows = []
    for layer in _leaf_layers(model):
        output_shape = tuple(int(d) for d in layer.output.shape[1:])
        rows.append({
            "name": layer.name,
            "type": type(layer).__name__,
            "output_shape": output_shape,
            "activations": math.prod(output_shape),
            "parameters": layer.count_params(),
            "multiplications": layer_multiplications(layer),
        })
    return rows


def count_multiplications(model, per_layer=False):
    """Total multiplications of ``model``'s Conv2D, DepthwiseConv2D, SeparableConv2D,
    Conv2DTranspose and Dense layers for one input example.

    With ``per_layer=True`` returns the rows of :func:`layer_table` instead.
    Example from the lecture: a 5x5 same conv with 32 filters on 28x28x192
    costs 28 * 28 * 32 * 5 * 5 * 192 = 120,422,400 multiplications.
    """
    rows = layer_table(model)
    if per_layer:
        return rows
    return sum(row["multiplications"] for row in rows)


def format_table(rows, columns=("name", "type", "output_shape", "activations", "parameters",
                                "multiplications")):
    """Rows of dicts (as from :func:`layer_table`) -> an aligned text table with a total line."""
    if not rows:
        raise ValueError("rows must contain at least one row")

    def cell(value):
        if isinstance(value, int):
            return f"{value:,}"
        if isinstance(value, tuple):
            return "x".join(str(v) for v in value)
        return str(value)

    body = [[cell(row[c]) for c in columns] for row in rows]
    totals = [cell(sum(row[c] for row in rows)) if isinstance(rows[0][c], int) else "" for c in columns]
    totals[0] = "total"
    widths = [max(len(c), *(len(r[i]) for r in body + [totals])) for i, c in enumerate(columns)]
    numeric = [isinstance(rows[0][c], int) for c in columns]

    def line(cells):
        return "  ".join(v.rjust(w) if num else v.ljust(w)
                         for v, w, num in zip(cells, widths, numeric)).rstrip()

    rule = "-" * len(line(columns))
    return "\n".join([line(columns), rule, *(line(r) for r in body), rule, line(totals)])
