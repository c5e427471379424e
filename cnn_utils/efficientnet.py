"""EfficientNet-Lite0 as a Keras functional model, and its PyTorch weights mapped onto it.

EfficientNet (Tan and Le, 2019) is the lecture's MobileNetV2 bottleneck block
(:func:`cnn_utils.classic.mobilenet_v2_block`) stacked in seven stages, with a
depth, width and resolution found by the compound-scaling search that
:func:`cnn_utils.classic.compound_scaling` describes; B0 is its smallest step.
The "Lite" variant, made for phones, drops squeeze-and-excite, uses ReLU6
instead of swish, and keeps the stem and head fixed. Its layers:

* preprocessing inside the model: RGB in 0-255 -> (x - 127) / 128;
* stem: 3x3 stride-2 conv with 32 filters -> BN -> ReLU6;
* 16 bottleneck blocks, named ``block1a``, ``block2a``, ``block2b``, ...
  ``block7a`` (stage number, then a letter per repeat), see :data:`LITE0_STAGES`;
* head: 1x1 conv to 1280 channels -> BN -> ReLU6 (``top_*``);
* top: global average pooling and a 1000-way dense layer (``predictions``).

Batch norm uses epsilon 1e-3 (Keras' default, as in the TensorFlow original),
and stride-2 layers pad like TensorFlow's "same" (more on the bottom/right).
"""
import keras
from keras import layers

from cnn_utils.classic import mobilenet_v2_block
from cnn_utils.pretrained import AssetError

# One row per stage, from EfficientNet-B0's table: (repeats, kernel, first stride, expansion, filters).
LITE0_STAGES = (
    (1, 3, 1, 1, 16),
    (2, 3, 2, 6, 24),
    (2, 5, 2, 6, 40),
    (3, 3, 2, 6, 80),
    (3, 5, 1, 6, 112),
    (4, 5, 2, 6, 192),
    (1, 3, 1, 6, 320),
)
BLOCK_IDS = tuple(f"block{stage}{'abcd'[i]}" for stage, row in enumerate(LITE0_STAGES, 1) for i in range(row[0]))
CLASSES = 1000


def _check_input_shape(input_shape, include_top):
    if not isinstance(input_shape, (tuple, list)):
        raise TypeError(f"input_shape must be a tuple (H, W, 3), got {type(input_shape).__name__}")
    input_shape = tuple(input_shape)
    sizes_ok = all(s is None or (isinstance(s, int) and not isinstance(s, bool) and s >= 32)
                   for s in input_shape[:2])
    if len(input_shape) != 3 or input_shape[-1] != 3 or not sizes_ok:
        raise ValueError(f"input_shape must be (H, W, 3) with H and W None or integers >= 32, "
                         f"got {input_shape!r}")
    if include_top and input_shape != (224, 224, 3):
        raise ValueError(f"input_shape must be (224, 224, 3) with include_top=True (the size the classifier "
                         f"was trained at); use include_top=False for other sizes, got {input_shape!r}")
    return input_shape


def efficientnet_lite0(input_shape=(224, 224, 3), include_top=True, classifier_activation="softmax"):
    """EfficientNet-Lite0 with random weights (see ``pretrained.imagenet_classifier`` for trained ones).

    Arguments:
        input_shape: (H, W, 3) with H, W >= 32 or None; must be (224, 224, 3)
            when ``include_top`` is True.
        include_top: True: (m, 1000) class scores. False: the convolutional base,
            (m, ceil(H/32), ceil(W/32), 1280) features after ``top_relu``.
        classifier_activation: activation of ``predictions``: "softmax", or None for logits.
    Inputs are RGB values in [0, 255].
    """
    if not isinstance(include_top, bool):
        raise TypeError(f"include_top must be True or False, got {include_top!r}")
    input_shape = _check_input_shape(input_shape, include_top)
    if classifier_activation not in ("softmax", None):
        raise ValueError(f"classifier_activation must be 'softmax' or None, got {classifier_activation!r}")
    inputs = keras.Input(input_shape, name="image")
    x = layers.Rescaling(1 / 128, offset=-127 / 128, name="preprocess")(inputs)  # (x - 127) / 128
    x = layers.Conv2D(32, 3, strides=2, padding="same", use_bias=False, name="stem_conv")(x)
    x = layers.BatchNormalization(name="stem_bn")(x)
    x = layers.ReLU(6.0, name="stem_relu")(x)
    block_ids = iter(BLOCK_IDS)
    for repeats, kernel, stride, expansion, filters in LITE0_STAGES:
        for i in range(repeats):
            x = mobilenet_v2_block(x, filters, expansion, strides=stride if i == 0 else 1,
                                   kernel_size=kernel, name=next(block_ids))
    x = layers.Conv2D(1280, 1, use_bias=False, name="top_conv")(x)
    x = layers.BatchNormalization(name="top_bn")(x)
    x = layers.ReLU(6.0, name="top_relu")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = layers.Dense(CLASSES, activation=classifier_activation, name="predictions")(x)
    return keras.Model(inputs, x, name="efficientnet_lite0")


def state_dict_names():
    """Keras layer name -> (prefix of its tensors in the PyTorch state dict, kind of layer)."""
    names = {"stem_conv": ("_conv_stem", "conv"), "stem_bn": ("_bn0", "bn")}
    parts = [("expand", "_expand_conv", "conv"), ("expand_bn", "_bn0", "bn"),
             ("depthwise", "_depthwise_conv", "depthwise"), ("depthwise_bn", "_bn1", "bn"),
             ("project", "_project_conv", "conv"), ("project_bn", "_bn2", "bn")]
    for n, block in enumerate(BLOCK_IDS):
        for part, torch_part, kind in parts:
            names[f"{block}_{part}"] = (f"_blocks.{n}.{torch_part}", kind)
    names.update(top_conv=("_conv_head", "conv"), top_bn=("_bn1", "bn"), predictions=("_fc", "dense"))
    return names


def _keras_weights(state_dict, prefix, kind):
    """The tensors under ``prefix``, in Keras' layout and order, and the keys they came from."""
    keys = {"conv": ["weight"], "depthwise": ["weight"], "dense": ["weight", "bias"],
            "bn": ["weight", "bias", "running_mean", "running_var"]}[kind]
    keys = [f"{prefix}.{k}" for k in keys]
    missing = [k for k in keys if k not in state_dict]
    if missing:
        raise AssetError(f"the state dict has no {missing}: it is not EfficientNet-Lite0's")
    arrays = [state_dict[k] for k in keys]
    if kind == "conv":  # (out, in, k, k) -> (k, k, in, out)
        arrays = [arrays[0].transpose(2, 3, 1, 0)]
    elif kind == "depthwise":  # (channels, 1, k, k) -> (k, k, channels, 1)
        arrays = [arrays[0].transpose(2, 3, 0, 1)]
    elif kind == "dense":  # (out, in) -> (in, out)
        arrays = [arrays[0].T, arrays[1]]
    return arrays, keys  # batch norm: gamma, beta, moving mean, moving variance, as in Keras


def load_state_dict(model, state_dict):
    """Copy EfficientNet-Lite0's PyTorch tensors into ``model`` (from :func:`efficientnet_lite0`).

    Every tensor of the state dict must land in a layer of the same shape,
    except the batch-norm counters ``num_batches_tracked``; raises ``AssetError``
    otherwise. Works with or without the top (then the ``_fc`` tensors are left over
    and that is allowed).
    """
    names = state_dict_names()
    used = set()
    for layer in model.layers:
        if not layer.weights:
            continue
        arrays, keys = _keras_weights(state_dict, *names[layer.name])
        try:
            layer.set_weights(arrays)
        except ValueError as err:
            raise AssetError(f"{keys[0]} does not fit layer {layer.name}: {err}") from err
        used.update(keys)
    left = {k for k in state_dict if k not in used and not k.endswith("num_batches_tracked")}
    if "predictions" not in {layer.name for layer in model.layers}:
        left -= {"_fc.weight", "_fc.bias"}
    if left:
        raise AssetError(f"the state dict has tensors that no layer takes: {sorted(left)[:5]}")
