"""EfficientNet-Lite0 in Keras against an independent NumPy forward pass written here.

The NumPy pass reads a PyTorch-layout state dict (names ``_blocks.N._expand_conv.weight``,
conv kernels (out, in, kh, kw)), pads like TensorFlow's "same" and runs in float64.
It is checked on a random state dict (which tests the conversion's transposes:
random kernels are not symmetric) and on the real pretrained weights, read back
from the Keras model into PyTorch's layout by an inverse written here.
"""
import keras
import numpy as np
import pytest

from cnn_utils import classic, efficientnet, pretrained
from cnn_utils.pretrained import AssetError

# EfficientNet-B0's blocks, written out: (expansion, kernel, stride, output channels).
BLOCKS = ([(1, 3, 1, 16)] + [(6, 3, 2, 24), (6, 3, 1, 24)] + [(6, 5, 2, 40), (6, 5, 1, 40)]
          + [(6, 3, 2, 80)] + [(6, 3, 1, 80)] * 2 + [(6, 5, 1, 112)] * 3
          + [(6, 5, 2, 192)] + [(6, 5, 1, 192)] * 3 + [(6, 3, 1, 320)])


def _pad_same(x, k, s):
    """TensorFlow "same" padding of x (H, W, C): total max((ceil(n/s) - 1) s + k - n, 0), the extra one after."""
    pads = []
    for n in x.shape[:2]:
        total = max((-(-n // s) - 1) * s + k - n, 0)
        pads.append((total // 2, total - total // 2))
    return np.pad(x, pads + [(0, 0)])


def _conv(x, w, s, depthwise=False):
    """Cross-correlation of x (H, W, C) with a PyTorch kernel: (out, in, k, k), or (C, 1, k, k) depthwise."""
    k = w.shape[-1]
    padded = _pad_same(x, k, s)
    n_H, n_W = -(-x.shape[0] // s), -(-x.shape[1] // s)
    out = np.zeros((n_H, n_W, w.shape[0]))
    for i in range(k):
        for j in range(k):
            window = padded[i:i + s * (n_H - 1) + 1:s, j:j + s * (n_W - 1) + 1:s]  # (n_H, n_W, C)
            out += window * w[:, 0, i, j] if depthwise else window @ w[:, :, i, j].T
    return out


def numpy_lite0_logits(sd, image):
    """Logits (1000,) of EfficientNet-Lite0 for one (224, 224, 3) RGB image in [0, 255]."""
    sd = {k: v.astype(np.float64) for k, v in sd.items()}

    def bn(x, p):
        return (x - sd[p + ".running_mean"]) / np.sqrt(sd[p + ".running_var"] + 1e-3) * sd[p + ".weight"] \
            + sd[p + ".bias"]

    def relu6(x):
        return np.clip(x, 0, 6)

    x = (image.astype(np.float64) - 127) / 128
    x = relu6(bn(_conv(x, sd["_conv_stem.weight"], 2), "_bn0"))
    for n, (expansion, k, s, filters) in enumerate(BLOCKS):
        p = f"_blocks.{n}."
        block_input = x
        if expansion != 1:
            x = relu6(bn(_conv(x, sd[p + "_expand_conv.weight"], 1), p + "_bn0"))
        assert sd[p + "_depthwise_conv.weight"].shape[-1] == k
        x = relu6(bn(_conv(x, sd[p + "_depthwise_conv.weight"], s, depthwise=True), p + "_bn1"))
        x = bn(_conv(x, sd[p + "_project_conv.weight"], 1), p + "_bn2")
        if s == 1 and x.shape == block_input.shape:
            x = x + block_input
    x = relu6(bn(_conv(x, sd["_conv_head.weight"], 1), "_bn1"))
    return x.mean(axis=(0, 1)) @ sd["_fc.weight"].T + sd["_fc.bias"]


def random_state_dict(seed=0):
    """A state dict with Lite0's names and PyTorch shapes and random values (BN statistics included)."""
    rng = np.random.default_rng(seed)
    sd = {}

    def conv(name, out, inp, k):
        sd[name] = (rng.standard_normal((out, inp, k, k)) * np.sqrt(2 / (inp * k * k))).astype(np.float32)

    def bn(p, c):
        sd.update({p + ".weight": rng.uniform(0.5, 1.5, c), p + ".bias": rng.normal(0, 0.2, c),
                   p + ".running_mean": rng.normal(0, 0.2, c), p + ".running_var": rng.uniform(0.5, 2, c),
                   p + ".num_batches_tracked": np.array(0)})

    conv("_conv_stem.weight", 32, 3, 3)
    bn("_bn0", 32)
    channels = 32
    for n, (expansion, k, s, filters) in enumerate(BLOCKS):
        p, hidden = f"_blocks.{n}.", channels * expansion
        if expansion != 1:
            conv(p + "_expand_conv.weight", hidden, channels, 1)
            bn(p + "_bn0", hidden)
        sd[p + "_depthwise_conv.weight"] = rng.standard_normal((hidden, 1, k, k)) * np.sqrt(2 / (k * k))
        bn(p + "_bn1", hidden)
        conv(p + "_project_conv.weight", filters, hidden, 1)
        bn(p + "_bn2", filters)
        channels = filters
    conv("_conv_head.weight", 1280, channels, 1)
    bn("_bn1", 1280)
    sd["_fc.weight"] = rng.standard_normal((1000, 1280)) * 0.05
    sd["_fc.bias"] = rng.normal(0, 0.1, 1000)
    return {k: v.astype(np.int64 if k.endswith("tracked") else np.float32) for k, v in sd.items()}


def _images():
    from skimage import data
    from PIL import Image

    coffee = np.asarray(Image.fromarray(data.coffee()).resize((224, 224)))
    noise = np.random.default_rng(3).integers(0, 256, (224, 224, 3), dtype=np.uint8)
    return np.stack([coffee, noise]).astype(np.float32)


def test_random_weights_match_numpy():
    sd = random_state_dict()
    model = efficientnet.efficientnet_lite0(classifier_activation=None)
    efficientnet.load_state_dict(model, sd)
    images = _images()
    keras_logits = np.asarray(model(images))
    for image, logits in zip(images, keras_logits):
        expected = numpy_lite0_logits(sd, image)
        assert np.std(expected) > 0.5  # the random network does not collapse to a constant
        np.testing.assert_allclose(logits, expected, rtol=0, atol=1e-4 * max(1, np.abs(expected).max()))


def state_dict_from_keras(model):
    """The inverse of the conversion, written independently: Keras layers -> PyTorch names and layouts."""
    sd = {}
    for keras_name, (prefix, kind) in efficientnet.state_dict_names().items():
        if keras_name not in {layer.name for layer in model.layers}:
            continue
        weights = [np.asarray(w) for w in model.get_layer(keras_name).get_weights()]
        if kind == "bn":
            for key, w in zip(("weight", "bias", "running_mean", "running_var"), weights):
                sd[f"{prefix}.{key}"] = w
        elif kind == "dense":
            sd[prefix + ".weight"], sd[prefix + ".bias"] = weights[0].T, weights[1]
        elif kind == "depthwise":  # (k, k, C, 1) -> (C, 1, k, k)
            sd[prefix + ".weight"] = weights[0].transpose(2, 3, 0, 1)
        else:  # (k, k, in, out) -> (out, in, k, k)
            sd[prefix + ".weight"] = weights[0].transpose(3, 2, 0, 1)
    return sd


def test_pretrained_logits_match_numpy():
    model = pretrained.imagenet_classifier(classifier_activation=None)
    images = _images()
    keras_logits = np.asarray(model(images))
    sd = state_dict_from_keras(model)
    for image, logits in zip(images, keras_logits):
        np.testing.assert_allclose(logits, numpy_lite0_logits(sd, image), rtol=0, atol=1e-4)
    assert np.argmax(keras_logits[0]) == 967  # espresso, in the sorted-WordNet-id order



def test_converter_reads_a_pth_file_into_the_keras_weights(tmp_path):
    from test_pth import tensors_of, write_pth

    sd = random_state_dict(seed=1)
    source = write_pth(tmp_path / "lite0.pth", tensors_of(sd))
    out = tmp_path / "lite0.weights.h5"
    pretrained.pth_to_efficientnet_lite0(source, out)
    model = efficientnet.efficientnet_lite0()
    model.load_weights(out)
    back = state_dict_from_keras(model)
    assert set(back) == {k for k in sd if not k.endswith("num_batches_tracked")}
    for key, value in back.items():
        np.testing.assert_array_equal(value, sd[key], err_msg=key)
    source.write_bytes(source.read_bytes()[:-100])  # truncated
    with pytest.raises(AssetError, match="lite0.pth"):
        pretrained.pth_to_efficientnet_lite0(source, out)


def test_architecture_shapes_and_names():
    model = efficientnet.efficientnet_lite0()
    tensors = [v for k, v in random_state_dict().items() if not k.endswith("num_batches_tracked")]
    assert model.count_params() == sum(v.size for v in tensors) == 4_694_024  # as many values as the .pth
    assert model.output.shape == (None, 1000)
    assert efficientnet.BLOCK_IDS[:3] == ("block1a", "block2a", "block2b") and len(efficientnet.BLOCK_IDS) == 16
    assert model.get_layer("block1a_depthwise").kernel_size == (3, 3)
    assert model.get_layer("block3a_depthwise").kernel_size == (5, 5)
    assert "block1a_expand" not in {layer.name for layer in model.layers}  # expansion 1: no expand conv
    adds = [layer.name for layer in model.layers if isinstance(layer, keras.layers.Add)]
    assert adds == [f"{b}_add" for b in efficientnet.BLOCK_IDS if b[-1] != "a"]  # every repeat, never a stage's first
    base = efficientnet.efficientnet_lite0((None, None, 3), include_top=False)
    assert base.output.shape == (None, None, None, 1280)
    assert base(np.zeros((1, 100, 64, 3), np.float32)).shape == (1, 4, 2, 1280)  # ceil(n / 32)


def test_block_is_the_lectures_mobilenet_v2_block():
    inputs = keras.Input((16, 16, 24))
    ours = keras.Model(inputs, classic.mobilenet_v2_block(inputs, 24, 6, kernel_size=5, name="b"))
    assert [type(l).__name__ for l in ours.layers[1:]] == [
        "Conv2D", "BatchNormalization", "ReLU", "DepthwiseConv2D", "BatchNormalization", "ReLU",
        "Conv2D", "BatchNormalization", "Add"]
    assert ours.get_layer("b_depthwise").kernel_size == (5, 5)
    inputs = keras.Input((16, 16, 32))
    first = keras.Model(inputs, classic.mobilenet_v2_block(inputs, 16, expansion=1, name="first"))
    assert [layer.name for layer in first.layers[1:]] == [
        "first_depthwise", "first_depthwise_bn", "first_depthwise_relu", "first_project", "first_project_bn"]


def test_load_state_dict_refuses_a_foreign_state_dict():
    model = efficientnet.efficientnet_lite0()
    sd = random_state_dict()
    with pytest.raises(AssetError, match="_blocks.3._expand_conv.weight"):
        efficientnet.load_state_dict(model, {k: v for k, v in sd.items() if k != "_blocks.3._expand_conv.weight"})
    with pytest.raises(AssetError, match="does not fit"):
        efficientnet.load_state_dict(model, {**sd, "_fc.bias": np.zeros(10, np.float32)})
    with pytest.raises(AssetError, match="no layer takes"):
        efficientnet.load_state_dict(model, {**sd, "_blocks.0._se_reduce.weight": np.zeros(1, np.float32)})
    base = efficientnet.efficientnet_lite0(include_top=False)
    efficientnet.load_state_dict(base, sd)  # the top's tensors may be left over


@pytest.mark.parametrize("kwargs, error, match", [
    ({"input_shape": 224}, TypeError, "input_shape"),
    ({"input_shape": (224, 224, 1)}, ValueError, "input_shape"),
    ({"input_shape": (16, 16, 3), "include_top": False}, ValueError, "input_shape"),
    ({"input_shape": (96, 96, 3)}, ValueError, "include_top=False"),
    ({"include_top": 1}, TypeError, "include_top"),
    ({"classifier_activation": "relu"}, ValueError, "classifier_activation"),
])
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        efficientnet.efficientnet_lite0(**kwargs)
