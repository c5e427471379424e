"""Build a Keras model from a Darknet ``.cfg`` file and read Darknet ``.weights``.

Darknet is the C framework in which YOLO was written. A network is a ``.cfg`` text
file of ``[section]`` blocks, and its trained parameters a flat binary ``.weights`` file.
Supported sections (enough for ``yolov2.cfg``, ``yolov2-tiny.cfg``, ``yolov3.cfg`` and
``yolov3-tiny.cfg``):

* ``[net]``: input ``height``, ``width``, ``channels``;
* ``[convolutional]``: ``filters``, ``size``, ``stride``, ``pad``, ``batch_normalize``,
  ``activation`` (``leaky``: slope 0.1, or ``linear``);
* ``[maxpool]``: ``size``, ``stride`` (including size 2, stride 1 in the tiny models: Darknet
  pads that one on the right and bottom, which is TensorFlow's "same");
* ``[route]``: ``layers``, one or two earlier layers by relative (negative) or absolute index
  (two are concatenated along channels);
* ``[shortcut]``: ``from`` (a residual sum with an earlier layer), ``activation`` linear;
* ``[upsample]``: ``stride`` (nearest-neighbour, as Darknet);
* ``[reorg]``: ``stride`` (Darknet's own space-to-depth, see :class:`Reorg`);
* ``[region]``: the YOLOv2 head; it has no parameters and is read by :func:`region_params`;
* ``[yolo]``: a YOLOv3 head; no parameters either, read by :func:`yolo_params`. The model gets one
  output per ``[yolo]``: the raw convolution output before it.

The ``.weights`` file holds a header ``major, minor, revision`` (int32) and ``seen``
(int64 when ``10 * major + minor >= 2``, int32 before), then for every convolution in
order: biases, [batch-norm scales, rolling means, rolling variances when
``batch_normalize=1``], and the kernel in (out, in, height, width) order, all float32.
"""
from pathlib import Path

import keras
import numpy as np
from keras import layers
import tensorflow as tf

from cnn_utils.validation import check_int, check_path

LEAKY_SLOPE = 0.1
BN_EPSILON = 1e-12  # see _set_batch_norm


def parse_cfg(cfg_path):
    """Read a Darknet ``.cfg`` file into a list of ``(section_name, {key: value_string})``."""
    path = check_path("cfg_path", cfg_path)
    if not path.is_file():
        raise FileNotFoundError(f"cfg_path {path} does not exist")
    sections = []
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("["):
            if not line.endswith("]"):
                raise ValueError(f"{path}:{number}: malformed section header {raw!r}")
            sections.append((line[1:-1].strip(), {}))
        elif "=" in line and sections:
            key, value = line.split("=", 1)
            sections[-1][1][key.strip()] = value.strip()
        else:
            raise ValueError(f"{path}:{number}: expected 'key=value' inside a section, got {raw!r}")
    if not sections or sections[0][0] not in ("net", "network"):
        raise ValueError(f"{path}: a Darknet cfg starts with a [net] section")
    return sections


def _head(cfg_path, name, options):
    """``(anchors (A, 2), num_classes)`` of a ``[region]`` or ``[yolo]`` section."""
    if "anchors" not in options or "classes" not in options:
        raise ValueError(f"cfg_path {cfg_path}: [{name}] needs 'anchors' and 'classes'")
    anchors = np.array([float(v) for v in options["anchors"].split(",")], dtype="float32")
    if anchors.size == 0 or anchors.size % 2:
        raise ValueError(f"cfg_path {cfg_path}: [{name}] anchors must be pairs w, h, got {anchors.size} values")
    return anchors.reshape(-1, 2), int(options["classes"])


def region_params(cfg_path):
    """The ``[region]`` head of a cfg: ``(anchors (A, 2) in grid units, num_classes)``."""
    for name, options in parse_cfg(cfg_path):
        if name == "region":
            return _head(cfg_path, name, options)
    raise ValueError(f"{cfg_path} has no [region] section")


def yolo_params(cfg_path):
    """The ``[yolo]`` heads of a YOLOv3 cfg, in the order of the model's outputs.

    Returns a list with, per head, ``(anchors, num_classes)``: anchors (A, 2) is the (width,
    height) of the head's anchors (its ``mask`` picks them from ``anchors``) in pixels of
    the network input. Divide by the head's stride (input size / grid size) for grid units.
    """
    heads = []
    for name, options in parse_cfg(cfg_path):
        if name == "yolo":
            anchors, num_classes = _head(cfg_path, name, options)
            mask = [int(v) for v in options["mask"].split(",")] if "mask" in options else range(len(anchors))
            heads.append((anchors[list(mask)], num_classes))
    if not heads:
        raise ValueError(f"{cfg_path} has no [yolo] section")
    return heads


class Reorg(layers.Layer):
    """Darknet's ``[reorg]`` layer: (m, H, W, C) -> (m, H/s, W/s, C*s*s).

    Darknet's C code reads the (C, H, W) input as if it were (C/s^2, H*s, W*s), moves
    each s x s block into channels, and writes the result as (C*s^2, H/s, W/s). This is
    a space-to-depth with Darknet's own channel order (``tf.nn.space_to_depth`` orders the
    channels differently), and pretrained YOLOv2 weights rely on that exact order.
    """

    def __init__(self, stride=2, **kwargs):
        super().__init__(**kwargs)
        self.stride = check_int("stride", stride, 1)

    def call(self, x):
        s = self.stride
        _, h, w, c = x.shape
        chw = tf.transpose(x, [0, 3, 1, 2])                          # (m, C, H, W)
        y = tf.reshape(chw, [-1, c // (s * s), h, s, w, s])           # (m, C/s^2, H, dy, W, dx) of the reinterpreted array
        z = tf.transpose(y, [0, 3, 5, 1, 2, 4])                       # (m, dy, dx, C/s^2, H, W)
        out = tf.reshape(z, [-1, c * s * s, h // s, w // s])          # same memory read as (C*s^2, H/s, W/s)
        return tf.transpose(out, [0, 2, 3, 1])

    def compute_output_shape(self, input_shape):
        m, h, w, c = input_shape
        s = self.stride
        return (m, h // s, w // s, c * s * s)

    def get_config(self):
        return {**super().get_config(), "stride": self.stride}


def _conv_padding(options):
    size = int(options.get("size", 1))
    if int(options.get("pad", 0)):
        return size // 2
    return int(options.get("padding", 0))


def _maxpool(x, options, index):
    size = int(options.get("size", options.get("stride", 1)))
    stride = int(options.get("stride", 1))
    padding = int(options.get("padding", size - 1))
    height, width = x.shape[1], x.shape[2]
    # Darknet pads padding // 2 before and the rest after; TensorFlow's "same" pads
    # total // 2 before. The output sizes agree; check that the offsets do too.
    for length in (height, width):
        out = (length + padding - size) // stride + 1
        total = max((out - 1) * stride + size - length, 0)
        if out != -(-length // stride) or total // 2 != padding // 2:
            raise ValueError(f"[maxpool] #{index}: size={size}, stride={stride}, padding={padding} on "
                             f"{height}x{width} has no TensorFlow equivalent here")
    return layers.MaxPooling2D(size, stride, padding="same", name=f"maxpool_{index}")(x)


def _earlier(outputs, value, index, what):
    """Output of the layer that ``value`` (relative if negative, else absolute) names from layer ``index``."""
    j = int(value)
    j = index + j if j < 0 else j
    if not 0 <= j < index:
        raise ValueError(f"{what} #{index}: layer {value} refers outside 0..{index - 1}")
    return outputs[j]


def _route(outputs, options, index):
    picked = [_earlier(outputs, value, index, "[route]") for value in options["layers"].split(",")]
    if len(picked) == 1:
        return picked[0]
    return layers.Concatenate(name=f"route_{index}")(picked)


def build_darknet(cfg_path):
    """Keras model of a Darknet cfg, with freshly initialised weights.

    Returns ``(model, convs)``: a Functional model from an (height, width, channels)
    input in [0, 1] (RGB) to the last layer before ``[region]`` (YOLOv2), or to one
    output per ``[yolo]`` head (YOLOv3), and the list of ``(Conv2D, BatchNormalization
    or None)`` pairs in the order of the ``.weights`` file.
    """
    sections = parse_cfg(cfg_path)
    net = sections[0][1]
    if "height" not in net or "width" not in net:
        raise ValueError(f"cfg_path {cfg_path}: [net] needs 'height' and 'width'")
    inputs = keras.Input((int(net["height"]), int(net["width"]), int(net.get("channels", 3))), name="image")
    x, outputs, convs, heads = inputs, [], [], []
    for index, (name, options) in enumerate(sections[1:]):
        if name == "convolutional":
            filters, size = int(options["filters"]), int(options["size"])
            stride, pad = int(options.get("stride", 1)), _conv_padding(options)
            batch_normalize = bool(int(options.get("batch_normalize", 0)))
            same = pad > 0 and stride == 1 and 2 * pad == size - 1
            if pad and not same:
                x = layers.ZeroPadding2D(pad, name=f"pad_{index}")(x)
            conv = layers.Conv2D(filters, size, strides=stride, padding="same" if same else "valid",
                                 use_bias=not batch_normalize,
                                 name=f"conv_{index}")
            x = conv(x)
            bn = None
            if batch_normalize:
                bn = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"bn_{index}")
                x = bn(x)
            activation = options.get("activation", "logistic")
            if activation == "leaky":
                x = layers.LeakyReLU(negative_slope=LEAKY_SLOPE, name=f"leaky_{index}")(x)
            elif activation != "linear":
                raise ValueError(f"[convolutional] #{index}: activation {activation!r} is not supported "
                                 "(expected 'leaky' or 'linear')")
            convs.append((conv, bn))
        elif name == "maxpool":
            x = _maxpool(x, options, index)
        elif name == "route":
            x = _route(outputs, options, index)
        elif name == "reorg":
            x = Reorg(int(options.get("stride", 2)), name=f"reorg_{index}")(x)
        elif name == "shortcut":
            if options.get("activation", "linear") != "linear":
                raise ValueError(f"[shortcut] #{index}: only a linear activation is supported")
            x = layers.Add(name=f"shortcut_{index}")([x, _earlier(outputs, options["from"], index, "[shortcut]")])
        elif name == "upsample":
            x = layers.UpSampling2D(int(options.get("stride", 2)), name=f"upsample_{index}")(x)
        elif name == "region":
            pass  # decoding is done by cnn_utils.yolo.yolo_head
        elif name == "yolo":
            heads.append(x)  # decoding is done by cnn_utils.yolo.yolo_head, head by head
        else:
            raise ValueError(f"section [{name}] (#{index}) is not supported; expected convolutional, "
                             "maxpool, route, shortcut, upsample, reorg, region or yolo")
        outputs.append(x)
    model = keras.Model(inputs, heads or x, name=Path(cfg_path).stem.replace("-", "_"))
    return model, convs


def _read(f, count, dtype, what):
    data = np.fromfile(f, dtype=dtype, count=count)
    if data.size != count:
        raise ValueError(f"weights file {f.name} ended early while reading {what} "
                         f"({data.size} of {count} values): it does not match the cfg")
    return data


def _set_batch_norm(bn, biases, scales, means, variances):
    # Darknet normalises with (x - mean) / (sqrt(var) + 1e-6); Keras with
    # (x - mean) / sqrt(var' + eps). With eps = 1e-12 the two agree exactly when
    # var' = (sqrt(var) + 1e-6)^2 - eps, which is never negative.
    var_keras = (np.sqrt(variances) + 1e-6) ** 2 - BN_EPSILON
    bn.set_weights([scales, biases, means, var_keras])


def load_darknet(cfg_path, weights_path=None):
    """Build a Keras model from a Darknet cfg and load a Darknet ``.weights`` file into it.

    Arguments:
        cfg_path: path to a ``.cfg`` (e.g. ``data/darknet/yolov2.cfg``).
        weights_path: path to the matching ``.weights`` (e.g. the original ``yolov2.weights``),
            or None for random initial weights.
    Returns:
        A ``keras.Model`` mapping (m, height, width, 3) RGB images in [0, 1] to the raw
        output of the last convolution, e.g. (m, 19, 19, 425) for ``yolov2.cfg`` at 608x608,
        or, for a YOLOv3 cfg, a list with the raw output of each ``[yolo]`` head, e.g.
        (m, 13, 13, 255) and (m, 26, 26, 255) for ``yolov3-tiny.cfg`` at 416x416.
        Decode it with ``cnn_utils.yolo.yolo_head`` and the anchors from :func:`region_params`
        or :func:`yolo_params`.
    Every value of the file is read; a file too short or too long for the cfg raises a
    ``ValueError`` naming it.
    """
    if weights_path is not None:
        check_path("weights_path", weights_path)
    model, convs = build_darknet(cfg_path)
    if weights_path is None:
        return model
    path = Path(weights_path)
    if not path.is_file():
        raise FileNotFoundError(f"weights_path {path} does not exist")
    with open(path, "rb") as f:
        major, minor, _revision = _read(f, 3, "<i4", "the header")
        _read(f, 1, "<i8" if 10 * major + minor >= 2 and major < 1000 and minor < 1000 else "<i4", "the header")
        for conv, bn in convs:
            filters, in_channels = conv.filters, conv.kernel.shape[2]
            size_h, size_w = conv.kernel_size
            biases = _read(f, filters, "<f4", f"{conv.name} biases")
            if bn is not None:
                scales = _read(f, filters, "<f4", f"{bn.name} scales")
                means = _read(f, filters, "<f4", f"{bn.name} rolling means")
                variances = _read(f, filters, "<f4", f"{bn.name} rolling variances")
            kernel = _read(f, filters * in_channels * size_h * size_w, "<f4", f"{conv.name} weights")
            kernel = kernel.reshape(filters, in_channels, size_h, size_w).transpose(2, 3, 1, 0)
            if bn is None:
                conv.set_weights([kernel, biases])
            else:
                conv.set_weights([kernel])
                _set_batch_norm(bn, biases, scales, means, variances)
        left = len(f.read())
    if left:
        raise ValueError(f"{path} has {left} bytes left after the last layer of {cfg_path}: "
                         "the weights do not match the cfg")
    return model
