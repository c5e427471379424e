"""What the units of a deep ConvNet respond to, and ConvNets on 1-D signals and 3-D volumes.

* Zeiler and Fergus's view of a unit: the image patches (receptive-field crops)
  that activate it most, searched over a pool of photos that ship with
  packages (:func:`image_pool`, :func:`receptive_field`, :func:`top_patches`).
* A unit's preferred input by gradient ascent on the pixels (:func:`maximize_unit`).
* Generated data for the 1-D and 3-D generalisations of convolution:
  ECG-like heartbeat strips (:func:`ecg_strips`) and voxel volumes of simple
  solids (:func:`shape_volumes`).
"""
import numbers

import numpy as np
import keras
import tensorflow as tf
from PIL import Image

from cnn_utils.config import progress
from cnn_utils.datasets import SHIPPED_PHOTOS, load_photo
from cnn_utils.validation import check_int, check_model, check_real


def _check_layer(model, layer_name):
    if not isinstance(layer_name, str):
        raise TypeError(f"layer_name must be the name (str) of a layer of the model, got {type(layer_name).__name__}")
    if layer_name not in {layer.name for layer in model.layers}:
        raise ValueError(f"layer_name {layer_name!r} is not a layer of the model")


def _check_rgb_uint8(image, name):
    if not (isinstance(image, np.ndarray) and image.ndim == 3 and image.shape[-1] == 3 and image.dtype == np.uint8):
        shape = getattr(image, "shape", None)
        raise ValueError(f"{name} must be an (H, W, 3) uint8 RGB array, got {type(image).__name__} "
                         f"of shape {shape} and dtype {getattr(image, 'dtype', None)}")


def image_pool(max_side=320, names=None):
    """Photos that ship with installed packages, as a list of (name, image) pairs.

    Arguments:
        max_side: each image is resized so that its longer side is ``max_side`` pixels.
        names: optional subset of ``cnn_utils.datasets.SHIPPED_PHOTOS`` (default: all of them).
    Each image is an (H, W, 3) uint8 RGB array; grey photos are repeated over three channels.
    """
    check_int("max_side", max_side, 32)
    if isinstance(names, str):
        raise TypeError(f"names must be a list of photo names, not a single string {names!r}")
    names = SHIPPED_PHOTOS if names is None else tuple(names)
    unknown = [n for n in names if n not in SHIPPED_PHOTOS]
    if unknown:
        raise ValueError(f"names: {unknown} are not in the pool {list(SHIPPED_PHOTOS)}")
    pool = []
    for name in names:
        image = Image.fromarray(load_photo(name))
        image.thumbnail((max_side, max_side), Image.LANCZOS)
        pool.append((name, np.asarray(image)))
    return pool


def receptive_field(model, layer_name):
    """Receptive field of one unit of ``layer_name`` in the input of a plain ConvNet.

    Walks the layers of ``model`` (Conv2D and pooling layers, as in VGG16) up to
    ``layer_name``. Returns ``(size, jump, start)``: the unit at (i, j) of that
    layer sees the input square of side ``size`` centred on pixel
    ``(start + i * jump, start + j * jump)``.
    """
    check_model("model", model)
    _check_layer(model, layer_name)
    size, jump, start = 1, 1, 0.0
    for layer in model.layers:
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.MaxPooling2D, keras.layers.AveragePooling2D)):
            kernel = layer.kernel_size[0] if isinstance(layer, keras.layers.Conv2D) else layer.pool_size[0]
            stride = layer.strides[0]
            if layer.padding == "valid":
                start += (kernel - 1) / 2 * jump
            size += (kernel - 1) * jump
            jump *= stride
        elif not isinstance(layer, keras.layers.InputLayer):
            raise ValueError(f"receptive_field handles Conv2D and pooling layers only, found {layer.name}")
        if layer.name == layer_name:
            break
    return size, jump, start


def _preprocess(image):
    """(H, W, 3) uint8 RGB -> (1, H, W, 3) VGG16 input."""
    return keras.applications.vgg16.preprocess_input(image[None].astype(np.float32))


def top_patches(base, layer_name, units, images, k=9, patch_size=48):
    """The ``k`` image patches that activate each unit most (Zeiler and Fergus, 2013).

    Arguments:
        base: a VGG16-like conv base taking ``vgg16.preprocess_input`` inputs.
        layer_name: e.g. ``"block3_conv3"``.
        units: channel indices of that layer.
        images: list of (name, (H, W, 3) uint8) pairs, as from :func:`image_pool`.
        k: patches per unit. Within one image, a patch must be at least half a
            receptive field away from a stronger one, so the nine are not nine
            shifts of the same spot.
        patch_size: side of the returned patches, in pixels.
    Returns a dict: unit -> list of ``k`` dicts with ``patch`` ((patch_size,
    patch_size, 3) uint8 receptive-field crop, grey outside the image),
    ``activation``, ``image`` (name) and ``center`` ((row, col) in the image).
    """
    check_model("base", base)
    _check_layer(base, layer_name)
    if isinstance(units, (str, bytes)) or not np.iterable(units):
        raise TypeError(f"units must be a list of channel indices, got {type(units).__name__}")
    if not all(isinstance(u, (int, np.integer)) and not isinstance(u, bool) for u in units):
        raise TypeError(f"units must be a list of integer channel indices, got {list(units)!r}")
    units = [int(u) for u in units]
    n_C = base.get_layer(layer_name).output.shape[-1]
    if not units or min(units) < 0 or max(units) >= n_C:
        raise ValueError(f"units must be channel indices in [0, {n_C}) of {layer_name}, got {units}")
    if not isinstance(images, (list, tuple)):
        raise TypeError(f"images must be a non-empty list of (name, image) pairs, got {type(images).__name__}")
    if not images:
        raise ValueError("images must be a non-empty list of (name, image) pairs, got an empty list")
    for n, entry in enumerate(images):
        if not isinstance(entry, (list, tuple)):
            raise TypeError(f"images[{n}] must be a (name, (H, W, 3) uint8 image) pair, got {type(entry).__name__}")
        if len(entry) != 2:
            raise ValueError(f"images[{n}] must be a (name, (H, W, 3) uint8 image) pair, got {len(entry)} entries")
        _check_rgb_uint8(entry[1], f"images[{n}][1]")
    check_int("k", k, 1)
    check_int("patch_size", patch_size, 1)
    size, jump, start = receptive_field(base, layer_name)
    model = keras.Model(base.input, base.get_layer(layer_name).output)
    candidates = {u: [] for u in units}  # unit -> (activation, image index, i, j)
    for index, (_, image) in enumerate(progress(images, desc=layer_name, mininterval=2)):
        maps = model(_preprocess(image))[0].numpy()[..., units]  # (h, w, len(units))
        for c, unit in enumerate(units):
            flat = maps[..., c].ravel()
            best = np.argsort(flat)[::-1][:k * 20]
            for position in best:
                i, j = np.unravel_index(position, maps.shape[:2])
                candidates[unit].append((float(flat[position]), index, i, j))
    result = {}
    for unit in units:
        chosen = []
        for activation, index, i, j in sorted(candidates[unit], key=lambda c: -c[0]):
            center = (start + i * jump, start + j * jump)
            if any(index == c["index"] and max(abs(center[0] - c["center"][0]), abs(center[1] - c["center"][1]))
                   < size / 2 for c in chosen):
                continue
            chosen.append({"index": index, "center": center, "activation": activation})
            if len(chosen) == k:
                break
        for c in chosen:
            name, image = images[c.pop("index")]
            c["image"] = name
            c["patch"] = crop_patch(image, c["center"], size, patch_size)
        result[unit] = chosen
    return result


def crop_patch(image, center, size, patch_size):
    """Square crop of side ``size`` centred on ``center`` (row, col), grey outside the image, resized.

    Arguments:
        image: (H, W, 3) uint8 RGB array.
        center: (row, col) of the centre, in pixels (may be fractional).
        size: side of the crop, in pixels (>= 1).
        patch_size: side of the returned (patch_size, patch_size, 3) uint8 patch.
    """
    _check_rgb_uint8(image, "image")
    if not (isinstance(center, (list, tuple, np.ndarray))
            and all(isinstance(c, numbers.Real) and not isinstance(c, bool) for c in center)):
        raise TypeError(f"center must be a (row, col) pair of numbers, got {center!r}")
    if len(center) != 2:
        raise ValueError(f"center must be a (row, col) pair of numbers, got {center!r}")
    check_real("size", size, 1)
    check_int("patch_size", patch_size, 1)
    half = size / 2
    top, left = int(round(center[0] - half + 0.5)), int(round(center[1] - half + 0.5))
    pad = int(size)
    padded = np.pad(image, ((pad, pad), (pad, pad), (0, 0)), constant_values=128)
    crop = padded[top + pad:top + pad + int(size), left + pad:left + pad + int(size)]
    return np.asarray(Image.fromarray(crop).resize((patch_size, patch_size), Image.BICUBIC))


def mosaic(patches, ncols=3, pad=2):
    """Tile equally sized (h, w, 3) patches into one image with white gaps (like the lecture's grids).

    Returns an (nrows * (h + pad) + pad, ncols * (w + pad) + pad, 3) uint8 array.
    """
    if not isinstance(patches, (list, tuple)):
        raise TypeError(f"patches must be a list of (h, w, 3) arrays, got {type(patches).__name__}")
    patches = [np.asarray(p) for p in patches]
    if not patches:
        raise ValueError("patches must not be empty")
    if patches[0].ndim != 3 or patches[0].shape[-1] != 3:
        raise ValueError(f"patches must be (h, w, 3) arrays, got patches[0] of shape {patches[0].shape}")
    for n, patch in enumerate(patches):
        if patch.shape != patches[0].shape:
            raise ValueError(f"patches must all have the shape of patches[0] {patches[0].shape}, "
                             f"got patches[{n}] of shape {patch.shape}")
    check_int("ncols", ncols, 1)
    check_int("pad", pad, 0)
    h, w = patches[0].shape[:2]
    nrows = int(np.ceil(len(patches) / ncols))
    out = np.full((nrows * (h + pad) + pad, ncols * (w + pad) + pad, 3), 255, np.uint8)
    for n, patch in enumerate(patches):
        r, c = divmod(n, ncols)
        out[pad + r * (h + pad):pad + r * (h + pad) + h, pad + c * (w + pad):pad + c * (w + pad) + w] = patch
    return out


def maximize_unit(base, layer_name, unit, size=128, steps=60, learning_rate=0.05, noise=0.1, seed=0):
    """An input that excites one unit strongly, found by gradient ascent on the pixels.

    ``layer_name`` must be a Conv2D layer. We push up the unit's value *before*
    its ReLU (after the ReLU, a unit that is zero everywhere would give no
    gradient), averaged over all positions except a border. Starting from grey
    plus Gaussian noise of standard deviation ``noise``, each step shifts the
    image by a random jitter of a few pixels, takes that gradient, normalises
    it and moves the pixels up along it, keeping them in [0, 1].

    Returns the (size, size, 3) float32 image in [0, 1].
    """
    check_model("base", base)
    _check_layer(base, layer_name)
    layer = base.get_layer(layer_name)
    if not isinstance(layer, keras.layers.Conv2D):
        raise ValueError(f"layer_name must name a Conv2D layer, got {layer_name!r} ({type(layer).__name__})")
    if isinstance(unit, bool) or not isinstance(unit, (int, np.integer)):
        raise TypeError(f"unit must be an integer channel index, got {type(unit).__name__}")
    if not 0 <= unit < layer.filters:
        raise ValueError(f"unit must be in [0, {layer.filters}) for {layer_name}, got {unit!r}")
    check_int("size", size, 8)
    check_int("steps", steps, 1)
    check_real("learning_rate", learning_rate, 0)
    check_real("noise", noise, 0)
    check_int("seed", seed, 0)
    layer_input = keras.Model(base.input, layer.input)
    kernel = tf.convert_to_tensor(layer.kernel)[..., unit:unit + 1]  # (f, f, n_C_prev, 1)
    bias = tf.convert_to_tensor(layer.bias)[unit]
    rng = np.random.default_rng(seed)
    image = tf.Variable(np.clip(0.5 + noise * rng.standard_normal((1, size, size, 3)), 0, 1).astype(np.float32))

    @tf.function
    def ascent_step(shift):
        with tf.GradientTape() as tape:
            shifted = tf.roll(image, shift, axis=(1, 2))
            x = layer_input(keras.applications.vgg16.preprocess_input(shifted * 255.0))
            z = tf.nn.conv2d(x, kernel, strides=1, padding="SAME")[..., 0] + bias  # (1, n_H, n_W), before ReLU
            n_H, n_W = tf.shape(z)[1], tf.shape(z)[2]
            score = tf.reduce_mean(z[:, n_H // 8:n_H - n_H // 8, n_W // 8:n_W - n_W // 8])
        grad = tape.gradient(score, image)
        grad /= tf.sqrt(tf.reduce_mean(tf.square(grad))) + 1e-8
        image.assign(tf.clip_by_value(image + learning_rate * grad, 0.0, 1.0))
        return score

    for _ in range(steps):
        ascent_step(tf.constant(rng.integers(-4, 5, size=2), tf.int32))
    return image[0].numpy()


def ecg_strips(m, seconds=3.0, rate=100, abnormal_fraction=0.5, seed=0):
    """Generated ECG-like strips; half of them hold one premature ventricular beat.

    A normal beat is a sum of Gaussian bumps (P wave, Q, R, S, T wave) at a heart
    rate drawn between 55 and 100 beats per minute; a premature ventricular beat
    comes early, has no P wave, a wide QRS and an inverted T wave. Each strip is
    scaled by a random gain (so height alone does not give the class), and
    baseline wander and noise are added. This is generated data, not a recording.

    Returns ``(X, y)``: X (m, seconds * rate, 1) float32, y (m,) int (1 = has a premature beat).
    """
    check_int("m", m, 1)
    check_real("seconds", seconds, 0)
    check_int("rate", rate, 1)
    if int(seconds * rate) < 1:
        raise ValueError(f"seconds * rate must give at least one sample, got seconds={seconds!r}, rate={rate!r}")
    check_real("abnormal_fraction", abnormal_fraction, 0, 1)
    check_int("seed", seed, 0)
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    normal = [(-0.2, 0.15, 0.025), (-0.03, -0.12, 0.01), (0.0, 1.0, 0.012), (0.03, -0.25, 0.012), (0.25, 0.3, 0.05)]
    premature = [(0.0, 1.1, 0.035), (0.06, -0.35, 0.03), (0.3, -0.35, 0.07)]
    X = np.zeros((m, t.size), np.float32)
    y = (rng.random(m) < abnormal_fraction).astype(int)
    for n in range(m):
        period = 60.0 / rng.uniform(55, 100)
        beats = np.arange(rng.uniform(0, period), seconds + period, period)
        odd = rng.integers(1, max(2, len(beats) - 1)) if y[n] else -1
        signal = np.zeros_like(t)
        for b, beat in enumerate(beats):
            waves = normal
            if b == odd:
                beat -= rng.uniform(0.25, 0.4) * period
                waves = premature
            for offset, amplitude, width in waves:
                signal += amplitude * rng.uniform(0.85, 1.15) * np.exp(-0.5 * ((t - beat - offset) / width) ** 2)
        gain = rng.uniform(0.6, 1.4)  # electrode placement changes the amplitude of the whole strip
        wander = 0.15 * np.sin(2 * np.pi * rng.uniform(0.1, 0.4) * t + rng.uniform(0, 2 * np.pi))
        X[n] = gain * signal + wander + 0.06 * rng.standard_normal(t.size)
    return X[..., None], y


SHAPES = ("ball", "cube", "rod")


def shape_volumes(m, size=14, seed=0):
    """Generated voxel volumes, each holding one solid: a ball, a cube or a rod.

    The solid's size, position, brightness (and, for a rod, its axis) are random,
    and Gaussian noise is added: the class is in the 3-D shape only.

    Returns ``(X, y)``: X (m, size, size, size, 1) float32, y (m,) int indexing SHAPES.
    """
    check_int("m", m, 1)
    check_int("size", size, 8)
    check_int("seed", seed, 0)
    rng = np.random.default_rng(seed)
    grid = np.stack(np.meshgrid(*[np.arange(size)] * 3, indexing="ij"), axis=-1).astype(np.float32)
    X = np.zeros((m, size, size, size), np.float32)
    y = rng.integers(0, len(SHAPES), m)
    for n in range(m):
        radius = rng.uniform(0.15, 0.28) * size
        center = rng.uniform(radius + 0.5, size - radius - 1.5, 3)
        d = grid - center
        if SHAPES[y[n]] == "ball":
            inside = np.sqrt((d ** 2).sum(-1)) <= radius
        elif SHAPES[y[n]] == "cube":
            inside = np.abs(d).max(-1) <= radius * 0.85
        else:
            axis = rng.integers(3)
            across = np.sqrt((np.delete(d, axis, -1) ** 2).sum(-1))
            inside = (across <= radius * 0.45) & (np.abs(d[..., axis]) <= radius * 1.6)
        X[n] = inside * rng.uniform(0.6, 1.0) + 0.15 * rng.standard_normal(inside.shape)
    return X[..., None], y
