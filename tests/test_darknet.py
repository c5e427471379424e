"""Tests for cnn_utils.darknet: the real cfgs, random weights written in Darknet's format,
and an independent NumPy forward pass that follows Darknet's C code (CHW layout)."""
import re

import keras
import numpy as np
import pytest
import tensorflow as tf

from cnn_utils import darknet
from cnn_utils.config import DATA_DIR

CFG_DIR = DATA_DIR / "darknet"


def shrink_cfg(src, dst, width_divisor, size):
    """Copy a real cfg with fewer filters (except the output layer) and a small input."""
    text = src.read_text()
    last_filters = list(re.finditer(r"^filters\s*=\s*(\d+)", text, flags=re.M))[-1]
    def divide(match):
        if match.start() == last_filters.start():
            return match.group(0)
        return f"filters={max(int(match.group(1)) // width_divisor, 4)}"
    text = re.sub(r"^filters\s*=\s*(\d+)", divide, text, flags=re.M)
    text = re.sub(r"^width\s*=\s*\d+", f"width={size}", text, flags=re.M)
    text = re.sub(r"^height\s*=\s*\d+", f"height={size}", text, flags=re.M)
    dst.write_text(text)
    return dst


def write_random_weights(sections, path, rng, version=(0, 2, 0)):
    """Write Darknet .weights for the parsed cfg; return per-conv parameter dicts (NumPy, CHW order)."""
    channels, out_channels, params = int(sections[0][1].get("channels", 3)), [], []
    with open(path, "wb") as f:
        np.array(version, "<i4").tofile(f)
        np.array([12345], "<i8" if 10 * version[0] + version[1] >= 2 else "<i4").tofile(f)
        for index, (name, options) in enumerate(sections[1:]):
            if name == "convolutional":
                n, size = int(options["filters"]), int(options["size"])
                p = {"bias": rng.normal(0, 0.1, n).astype("f4")}
                if int(options.get("batch_normalize", 0)):
                    p["scale"] = rng.uniform(0.5, 1.5, n).astype("f4")
                    p["mean"] = rng.normal(0, 0.1, n).astype("f4")
                    p["var"] = rng.uniform(0.5, 1.5, n).astype("f4")
                fan_in = channels * size * size
                p["w"] = rng.normal(0, np.sqrt(2.0 / fan_in), (n, channels, size, size)).astype("f4")
                for key in ("bias", "scale", "mean", "var", "w"):
                    if key in p:
                        p[key].tofile(f)
                params.append(p)
                channels = n
            elif name == "route":
                ids = [int(v) for v in options["layers"].split(",")]
                channels = sum(out_channels[index + j if j < 0 else j] for j in ids)
            elif name == "reorg":
                channels *= int(options.get("stride", 2)) ** 2
            out_channels.append(channels)  # [maxpool], [shortcut], [upsample], [yolo] keep the channels
    return params


def reorg_darknet(x, stride):
    """Darknet's reorg_cpu(..., forward=0) for one image, x of shape (C, H, W) -> (C*s*s, H/s, W/s)."""
    c, h, w = x.shape
    flat_in, out = x.reshape(-1), np.empty(x.size, x.dtype)
    out_c = c // (stride * stride)
    k, j, i = np.meshgrid(np.arange(c), np.arange(h), np.arange(w), indexing="ij")
    in_index = i + w * (j + h * k)
    offset = k // out_c
    w2 = i * stride + offset % stride
    h2 = j * stride + offset // stride
    out_index = w2 + w * stride * (h2 + h * stride * (k % out_c))
    out[in_index] = flat_in[out_index]
    return out.reshape(c * stride * stride, h // stride, w // stride)


def forward_darknet(sections, params, image):
    """Darknet's forward pass for one (C, H, W) image, layer by layer, in NumPy.

    Returns the last output, or the list of the inputs of the [yolo] layers when there are any.
    """
    x, outputs, convs, heads = image.astype("f8"), [], iter(params), []
    for index, (name, options) in enumerate(sections[1:]):
        if name == "convolutional":
            p, size, stride = next(convs), int(options["size"]), int(options.get("stride", 1))
            pad = size // 2 if int(options.get("pad", 0)) else 0
            xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
            windows = np.lib.stride_tricks.sliding_window_view(xp, (size, size), axis=(1, 2))[:, ::stride, ::stride]
            x = np.einsum("chwij,ncij->nhw", windows, p["w"].astype("f8"))
            if "scale" in p:
                x = (x - p["mean"][:, None, None]) / (np.sqrt(p["var"].astype("f8"))[:, None, None] + 1e-6)
                x = x * p["scale"][:, None, None]
            x = x + p["bias"][:, None, None]
            if options["activation"] == "leaky":
                x = np.where(x > 0, x, 0.1 * x)
        elif name == "maxpool":
            size, stride = int(options["size"]), int(options["stride"])
            padding = size - 1
            c, h, w = x.shape
            out_h, out_w = (h + padding - size) // stride + 1, (w + padding - size) // stride + 1
            xp = np.full((c, h + size, w + size), -np.inf)
            off = padding // 2
            xp[:, off:off + h, off:off + w] = x
            x = np.stack([[xp[:, a * stride:a * stride + size, b * stride:b * stride + size].max(axis=(1, 2))
                           for b in range(out_w)] for a in range(out_h)]).transpose(2, 0, 1)
        elif name == "route":
            ids = [int(v) for v in options["layers"].split(",")]
            x = np.concatenate([outputs[index + j if j < 0 else j] for j in ids], axis=0)
        elif name == "reorg":
            x = reorg_darknet(x, int(options.get("stride", 2)))
        elif name == "shortcut":
            j = int(options["from"])
            x = x + outputs[index + j if j < 0 else j]
        elif name == "upsample":
            stride = int(options.get("stride", 2))
            x = x.repeat(stride, axis=1).repeat(stride, axis=2)
        elif name == "yolo":
            heads.append(x)
        outputs.append(x)
    return heads or x


@pytest.mark.parametrize("cfg, divisor, size, grid", [("yolov2-tiny.cfg", 4, 64, 2), ("yolov2.cfg", 8, 64, 2)])
def test_load_darknet_matches_an_independent_forward_pass(tmp_path, cfg, divisor, size, grid):
    rng = np.random.default_rng(0)
    cfg_path = shrink_cfg(CFG_DIR / cfg, tmp_path / cfg, divisor, size)
    sections = darknet.parse_cfg(cfg_path)
    params = write_random_weights(sections, tmp_path / "random.weights", rng)
    model = darknet.load_darknet(cfg_path, tmp_path / "random.weights")
    image = rng.uniform(0, 1, (size, size, 3)).astype("f4")
    got = model(image[None], training=False).numpy()[0]
    want = forward_darknet(sections, params, image.transpose(2, 0, 1)).transpose(1, 2, 0)
    assert got.shape == want.shape == (grid, grid, 425)
    np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-3 * np.abs(want).max())


def test_reorg_follows_darknet_not_space_to_depth():
    x = np.random.default_rng(1).normal(size=(1, 6, 4, 8)).astype("f4")  # H=6, W=4, C=8
    got = darknet.Reorg(2)(x).numpy()[0]
    want = reorg_darknet(x[0].transpose(2, 0, 1), 2).transpose(1, 2, 0)
    np.testing.assert_array_equal(got, want)
    assert not np.array_equal(got, tf.nn.space_to_depth(x, 2).numpy()[0])


def test_full_cfgs_build_with_the_published_shapes():
    model = darknet.load_darknet(CFG_DIR / "yolov2.cfg")
    assert model.output.shape == (None, 19, 19, 425)
    assert model.count_params() == 50_983_561  # as YAD2K's yolo.h5 summary
    tiny = darknet.load_darknet(CFG_DIR / "yolov2-tiny.cfg")
    assert tiny.input.shape == (None, 416, 416, 3) and tiny.output.shape == (None, 13, 13, 425)
    anchors, num_classes = darknet.region_params(CFG_DIR / "yolov2.cfg")
    assert anchors.shape == (5, 2) and num_classes == 80
    np.testing.assert_allclose(anchors[0], [0.57273, 0.677385])


def test_old_header_and_mismatched_weights(tmp_path):
    rng = np.random.default_rng(2)
    cfg_path = shrink_cfg(CFG_DIR / "yolov2-tiny.cfg", tmp_path / "tiny.cfg", 8, 32)
    sections = darknet.parse_cfg(cfg_path)
    write_random_weights(sections, tmp_path / "old.weights", rng, version=(0, 1, 0))  # int32 "seen"
    darknet.load_darknet(cfg_path, tmp_path / "old.weights")
    data = (tmp_path / "old.weights").read_bytes()
    (tmp_path / "short.weights").write_bytes(data[:-8])
    with pytest.raises(ValueError, match="ended early"):
        darknet.load_darknet(cfg_path, tmp_path / "short.weights")
    (tmp_path / "long.weights").write_bytes(data + b"\0" * 8)
    with pytest.raises(ValueError, match="bytes left"):
        darknet.load_darknet(cfg_path, tmp_path / "long.weights")
    with pytest.raises(FileNotFoundError):
        darknet.load_darknet(cfg_path, tmp_path / "missing.weights")


def test_unsupported_sections_are_named(tmp_path):
    bad = tmp_path / "bad.cfg"
    bad.write_text("[net]\nwidth=32\nheight=32\nchannels=3\n[local]\nfilters=4\n")
    with pytest.raises(ValueError, match=r"section \[local\]"):
        darknet.load_darknet(bad)
    bad.write_text("[net]\nwidth=32\nheight=32\nchannels=3\n[shortcut]\nfrom=-3\n")
    with pytest.raises(ValueError, match=r"\[shortcut\] #0: layer -3 refers outside"):
        darknet.load_darknet(bad)
    (tmp_path / "nonet.cfg").write_text("[convolutional]\nfilters=4\n")
    with pytest.raises(ValueError, match=r"\[net\]"):
        darknet.parse_cfg(tmp_path / "nonet.cfg")


def test_reorg_rejects_a_bad_stride():
    with pytest.raises(TypeError, match="stride"):
        darknet.Reorg(2.0)
    with pytest.raises(ValueError, match="stride"):
        darknet.Reorg(0)


# --- YOLOv3 -----------------------------------------------------------------------------------------

# Every YOLOv3 section in a few layers: a stride-1 max-pool, a residual [shortcut], two [yolo] heads,
# [route] back to one layer (relative) and to two layers (relative and absolute), [upsample].
TINY_V3 = """[net]
width=32
height=32
channels=3

[convolutional]
batch_normalize=1
filters=8
size=3
stride=1
pad=1
activation=leaky

[maxpool]
size=2
stride=2

[convolutional]
batch_normalize=1
filters=8
size=3
stride=1
pad=1
activation=leaky

[shortcut]
from=-2
activation=linear

[maxpool]
size=2
stride=1

[convolutional]
batch_normalize=1
filters=16
size=3
stride=2
pad=1
activation=leaky

[convolutional]
size=1
stride=1
pad=1
filters=21
activation=linear

[yolo]
mask = 2,3,4
anchors = 4,5, 6,7, 8,9, 10,11, 12,13
classes=2
num=5

[route]
layers = -3

[upsample]
stride=2

[route]
layers = -1, 3

[convolutional]
size=1
stride=1
pad=1
filters=14
activation=linear

[yolo]
mask = 0,1
anchors = 4,5, 6,7, 8,9, 10,11, 12,13
classes=2
num=5
"""


def test_tiny_v3_cfg_round_trips_exactly_and_matches_an_independent_forward_pass(tmp_path):
    rng = np.random.default_rng(3)
    cfg_path = tmp_path / "tiny-v3.cfg"
    cfg_path.write_text(TINY_V3)
    sections = darknet.parse_cfg(cfg_path)
    params = write_random_weights(sections, tmp_path / "random.weights", rng)
    model = darknet.load_darknet(cfg_path, tmp_path / "random.weights")
    assert [tuple(o.shape) for o in model.outputs] == [(None, 8, 8, 21), (None, 16, 16, 14)]
    # Every value of the file is where it belongs: kernels (CHW -> HWC), biases and batch norm exactly.
    _, convs = darknet.build_darknet(cfg_path)
    convs = [(model.get_layer(conv.name), bn and model.get_layer(bn.name)) for conv, bn in convs]
    assert len(convs) == len(params) == 5
    for (conv, bn), p in zip(convs, params):
        np.testing.assert_array_equal(conv.kernel.numpy(), p["w"].transpose(2, 3, 1, 0))
        if bn is None:
            np.testing.assert_array_equal(conv.bias.numpy(), p["bias"])
        else:
            gamma, beta, mean, var = (w.numpy() for w in bn.weights)
            np.testing.assert_array_equal(gamma, p["scale"])
            np.testing.assert_array_equal(beta, p["bias"])
            np.testing.assert_array_equal(mean, p["mean"])
            np.testing.assert_allclose(np.sqrt(var + darknet.BN_EPSILON) - 1e-6, np.sqrt(p["var"]), rtol=1e-6)
    image = rng.uniform(0, 1, (32, 32, 3)).astype("f4")
    got = [o.numpy()[0] for o in model(image[None], training=False)]
    want = [w.transpose(1, 2, 0) for w in forward_darknet(sections, params, image.transpose(2, 0, 1))]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-4 * np.abs(w).max())
    heads = darknet.yolo_params(cfg_path)
    np.testing.assert_array_equal(heads[0][0], [[8, 9], [10, 11], [12, 13]])
    np.testing.assert_array_equal(heads[1][0], [[4, 5], [6, 7]])
    assert [c for _, c in heads] == [2, 2]


def test_stride_one_maxpool_pads_right_and_bottom_like_darknet():
    inputs = keras.Input((4, 4, 1))
    model = keras.Model(inputs, darknet._maxpool(inputs, {"size": "2", "stride": "1"}, 0))
    got = model(np.arange(16, dtype="f4").reshape(1, 4, 4, 1)).numpy()[0, :, :, 0]
    # Darknet: each 2x2 window starts at its own pixel; the one past the right or bottom edge is left out.
    want = np.array([[5, 6, 7, 7], [9, 10, 11, 11], [13, 14, 15, 15], [13, 14, 15, 15]], "f4")
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("change, match", [(lambda d: d[:-4], "ended early"), (lambda d: d + b"\0" * 4, "bytes left")])
def test_truncated_or_oversized_weights_name_the_file(tmp_path, change, match):
    cfg_path = tmp_path / "tiny-v3.cfg"
    cfg_path.write_text(TINY_V3)
    write_random_weights(darknet.parse_cfg(cfg_path), tmp_path / "good.weights", np.random.default_rng(4))
    bad = tmp_path / "bad.weights"
    bad.write_bytes(change((tmp_path / "good.weights").read_bytes()))
    with pytest.raises(ValueError, match=f"{re.escape(str(bad))}.*{match}|{match}.*{re.escape(str(bad))}"):
        darknet.load_darknet(cfg_path, bad)


def test_yolov3_tiny_cfg_builds_with_the_published_number_of_floats():
    model = darknet.load_darknet(CFG_DIR / "yolov3-tiny.cfg")
    assert model.input.shape == (None, 416, 416, 3)
    assert [tuple(o.shape) for o in model.outputs] == [(None, 13, 13, 255), (None, 26, 26, 255)]  # 3 x (5 + 80)
    assert model.count_params() == 8_858_734  # the floats of the published yolov3-tiny.weights
    heads = darknet.yolo_params(CFG_DIR / "yolov3-tiny.cfg")
    np.testing.assert_array_equal(heads[0][0], [[81, 82], [135, 169], [344, 319]])
    np.testing.assert_array_equal(heads[1][0], [[10, 14], [23, 27], [37, 58]])


def test_full_yolov3_cfg_loads_random_weights_written_in_darknet_format(tmp_path):
    sections = darknet.parse_cfg(CFG_DIR / "yolov3.cfg")
    params = write_random_weights(sections, tmp_path / "yolov3.weights", np.random.default_rng(5))
    assert (tmp_path / "yolov3.weights").stat().st_size == 20 + 4 * 62_001_757  # the published file's size
    model = darknet.load_darknet(CFG_DIR / "yolov3.cfg", tmp_path / "yolov3.weights")
    assert [tuple(o.shape) for o in model.outputs] == [(None, 19, 19, 255), (None, 38, 38, 255), (None, 76, 76, 255)]
    last = [l for l in model.layers if l.name.startswith("conv_")][-1]
    np.testing.assert_array_equal(last.kernel.numpy(), params[-1]["w"].transpose(2, 3, 1, 0))
    np.testing.assert_array_equal(last.bias.numpy(), params[-1]["bias"])
