"""What the units of a deep ConvNet respond to, and ConvNets on 1-D signals and 3-D volumes.

* Zeiler and Fergus's view of a unit: the image patches (receptive-field crops)
  that activate it most, searched over a pool of photos that ship with
  packages (:func:`image_pool`, :func:`receptive_field`, :func:`top_patches`).
* A unit's preferred input by gradient ascent on the pixels (:func:`maximize_unit`),
  and a class model: the input that maximises one class's score (:func:`maximize_class`).
* Generated data for the 1-D and 3-D generalisations of convolution:
  ECG-like heartbeat strips (:func:`ecg_strips`) and voxel volumes of simple
  solids (:func:`shape_volumes`).

The networks take RGB values in [0, 255] and scale them themselves, as
``pretrained.imagenet_classifier`` does.
"""
import numpy as np
import keras
import tensorflow as tf
from PIL import Image

from cnn_utils.config import progress
from cnn_utils.datasets import SHIPPED_PHOTOS, load_photo
from cnn_utils.validation import check_image, check_int, check_model, check_real

# Layers that do not move or widen what a unit sees.
_POINTWISE = (keras.layers.InputLayer, keras.layers.BatchNormalization, keras.layers.ReLU,
              keras.layers.Activation, keras.layers.Add, keras.layers.Rescaling, keras.layers.Dropout)


def _check_layer(model, layer_name):
    if not isinstance(layer_name, str):
        raise TypeError(f"layer_name must be the name (str) of a layer of the model, got {type(layer_name).__name__}")
    if layer_name not in {layer.name for layer in model.layers}:
        raise ValueError(f"layer_name {layer_name!r} is not a layer of the model")
    return model.get_layer(layer_name)


def image_pool(max_side=320, names=None):
    """Photos that ship with installed packages, as a list of (name, image) pairs.

    Arguments:
        max_side: each image is resized so that its longer side is ``max_side``
            pixels, then cropped at the centre to sides that are multiples of 32
            (so that every stride-2 layer of a network sees an even size).
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
        scale = max_side / max(image.size)
        image = np.asarray(image.resize((max(32, round(image.width * scale)), max(32, round(image.height * scale))),
                                        Image.LANCZOS))
        h, w = image.shape[0] // 32 * 32, image.shape[1] // 32 * 32
        top, left = (image.shape[0] - h) // 2, (image.shape[1] - w) // 2
        pool.append((name, image[top:top + h, left:left + w]))
    return pool


def receptive_field(model, layer_name):
    """Receptive field of one unit of ``layer_name`` in the input of a ConvNet.

    Walks the layers of ``model`` up to ``layer_name``: each convolution
    (Conv2D, DepthwiseConv2D) or pooling layer with kernel k and stride s widens
    the field by (k - 1) * jump and multiplies the jump by s; batch norm,
    activations, additions and rescaling change nothing. A residual block's
    shortcut sees less than its convolutions, so the walk follows them.
    Returns ``(size, jump, start)``: the unit at (i, j) of that layer sees the
    input square of side ``size`` centred on pixel ``(start + i * jump, start + j * jump)``.
    With "same" padding the centres assume input sides that are multiples of the
    network's total stride (TensorFlow then pads max(k - s, 0) pixels, the smaller half first).
    """
    check_model("model", model)
    _check_layer(model, layer_name)
    size, jump, start = 1, 1, 0.0
    for layer in model.layers:
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D)):
            kernel, stride = layer.kernel_size[0], layer.strides[0]
        elif isinstance(layer, (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D)):
            kernel, stride = layer.pool_size[0], layer.strides[0]
        elif isinstance(layer, _POINTWISE):
            kernel, stride = 1, 1
        else:
            raise ValueError(f"receptive_field handles convolution, pooling and pointwise layers only, "
                             f"found {layer.name} ({type(layer).__name__})")
        pad_before = max(kernel - stride, 0) // 2 if getattr(layer, "padding", "valid") == "same" else 0
        start += ((kernel - 1) / 2 - pad_before) * jump
        size += (kernel - 1) * jump
        jump *= stride
        if layer.name == layer_name:
            break
    return size, jump, start


def effective_receptive_field(model, layer_name, images, mass=0.9):
    """Side of the centred square of input pixels that holds ``mass`` of a unit's gradient (Luo et al., 2016).

    :func:`receptive_field` counts every pixel that *can* change a unit. In a
    trained network the pixels near the centre weigh much more, and the
    influence falls off roughly like a Gaussian. Here the influence is the
    gradient of the layer's values at its central position (absolute values
    summed over channels) with respect to the input, in absolute value summed
    over the images and the colour channels.

    Arguments:
        images: (m, H, W, 3) array of RGB values in [0, 255].
    Returns the side, in pixels, of the smallest square centred on the central
    unit's receptive field that holds ``mass`` of that total (at most the image size).
    """
    check_model("model", model)
    _check_layer(model, layer_name)
    images = check_image("images", images, ndim=(4,))
    size, jump, start = receptive_field(model, layer_name)
    features = keras.Model(model.input, model.get_layer(layer_name).output)
    x = tf.Variable(images.astype(np.float32))
    with tf.GradientTape() as tape:
        out = features(x)
        i, j = out.shape[1] // 2, out.shape[2] // 2
        value = tf.reduce_sum(tf.abs(out[:, i, j, :]))
    influence = np.abs(tape.gradient(value, x).numpy()).sum(axis=(0, 3))  # (H, W)
    center = (start + i * jump, start + j * jump)
    for side in range(1, max(influence.shape) + 1):
        top, left = (max(0, int(round(c - side / 2 + 0.5))) for c in center)
        if influence[top:top + side, left:left + side].sum() >= mass * influence.sum():
            return side
    return max(influence.shape)


def top_patches(model, layer_name, units, images, k=9, patch_size=48, crop_size=None):
    """The ``k`` image patches that activate each unit most (Zeiler and Fergus, 2013).

    Arguments:
        model: a ConvNet taking RGB in [0, 255], e.g. ``imagenet_classifier(include_top=False)``.
        layer_name: e.g. ``"block4c_add"``.
        units: channel indices of that layer.
        images: list of (name, (H, W, 3) uint8) pairs, as from :func:`image_pool`.
        k: patches per unit. Within one image, a patch must be at least half a
            crop away from a stronger one, so the nine are not nine shifts of the
            same spot.
        patch_size: side of the returned patches, in pixels.
        crop_size: side of the square cut around each unit's centre (default:
            its receptive field; deep layers look better with the effective one).
    Returns a dict: unit -> list of ``k`` dicts with ``patch`` ((patch_size,
    patch_size, 3) uint8 crop, grey outside the image),
    ``activation``, ``image`` (name) and ``center`` ((row, col) in the image).
    """
    check_model("model", model)
    n_C = _check_layer(model, layer_name).output.shape[-1]
    if isinstance(units, (str, bytes)) or not np.iterable(units):
        raise TypeError(f"units must be a list of channel indices, got {type(units).__name__}")
    units = [check_int(f"units[{n}]", u, 0) for n, u in enumerate(units)]
    if not units or max(units) >= n_C:
        raise ValueError(f"units must be channel indices in [0, {n_C}) of {layer_name}, got {units}")
    if not isinstance(images, (list, tuple)):
        raise TypeError(f"images must be a list of (name, image) pairs, got {type(images).__name__}")
    if not images:
        raise ValueError("images must be a non-empty list of (name, image) pairs, got an empty list")
    for n, entry in enumerate(images):
        if not isinstance(entry, (list, tuple)):
            raise TypeError(f"images[{n}] must be a (name, (H, W, 3) uint8 image) pair, got {type(entry).__name__}")
        if len(entry) != 2:
            raise ValueError(f"images[{n}] must be a (name, (H, W, 3) uint8 image) pair, got {len(entry)} entries")
        image = check_image(f"images[{n}][1]", entry[1], ndim=(3,))
        if image.dtype != np.uint8 or image.shape[-1] != 3:
            raise ValueError(f"images[{n}][1] must be an (H, W, 3) uint8 RGB image, "
                             f"got dtype {image.dtype} and shape {image.shape}")
    k = check_int("k", k, 1)
    patch_size = check_int("patch_size", patch_size, 1)
    size, jump, start = receptive_field(model, layer_name)
    crop_size = size if crop_size is None else check_int("crop_size", crop_size, 1)
    features = keras.Model(model.input, model.get_layer(layer_name).output)
    candidates = {u: [] for u in units}  # unit -> (activation, image index, i, j)
    for index, (_, image) in enumerate(progress(images, desc=layer_name)):
        maps = features(image[None].astype(np.float32))[0].numpy()[..., units]  # (h, w, len(units))
        for c, unit in enumerate(units):
            flat = maps[..., c].ravel()
            for position in np.argsort(flat)[::-1][:k * 20]:
                i, j = np.unravel_index(position, maps.shape[:2])
                candidates[unit].append((float(flat[position]), index, i, j))
    result = {}
    for unit in units:
        chosen = []
        for activation, index, i, j in sorted(candidates[unit], key=lambda c: -c[0]):
            center = (start + i * jump, start + j * jump)
            if any(index == c["index"] and max(abs(center[0] - c["center"][0]), abs(center[1] - c["center"][1]))
                   < crop_size / 2 for c in chosen):
                continue
            chosen.append({"index": index, "center": center, "activation": activation})
            if len(chosen) == k:
                break
        for c in chosen:
            name, image = images[c.pop("index")]
            c["image"] = name
            c["patch"] = crop_patch(image, c["center"], crop_size, patch_size)
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
    size = int(size)
    top, left = (int(round(c - size / 2 + 0.5)) for c in center)
    padded = np.pad(image, ((size, size), (size, size), (0, 0)), constant_values=128)
    crop = padded[top + size:top + 2 * size, left + size:left + 2 * size]
    return np.asarray(Image.fromarray(crop).resize((patch_size, patch_size), Image.BICUBIC))


def mosaic(patches, ncols=3, pad=2):
    """Tile equally sized (h, w, 3) patches into one image with white gaps (like the lecture's grids).

    Returns an (nrows * (h + pad) + pad, ncols * (w + pad) + pad, 3) uint8 array.
    """
    h, w = np.shape(patches[0])[:2]
    nrows = -(-len(patches) // ncols)
    out = np.full((nrows * (h + pad) + pad, ncols * (w + pad) + pad, 3), 255, np.uint8)
    for n, patch in enumerate(patches):
        r, c = divmod(n, ncols)
        out[pad + r * (h + pad):pad + r * (h + pad) + h, pad + c * (w + pad):pad + c * (w + pad) + w] = patch
    return out


def _blur(image, sigma):
    """Gaussian blur of a (1, H, W, 3) tensor, channel by channel."""
    radius = int(np.ceil(2 * sigma))
    g = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    g = (g / g.sum()).astype(np.float32)
    kernel = tf.constant(np.tile(np.outer(g, g)[:, :, None, None], (1, 1, 3, 1)))
    padded = tf.pad(image, [[0, 0], [radius, radius], [radius, radius], [0, 0]], mode="REFLECT")
    return tf.nn.depthwise_conv2d(padded, kernel, strides=[1, 1, 1, 1], padding="VALID")


def gradient_ascent(score, size, steps=60, learning_rate=0.05, jitter=4, blur_every=0, blur_sigma=0.5,
                    noise=0.1, seed=0, desc="gradient ascent"):
    """An image in [0, 1] that makes ``score`` large, found by gradient ascent on its pixels.

    Starting from grey plus Gaussian noise of standard deviation ``noise``,
    each step shifts the image by a random ``jitter`` of up to that many pixels
    (so the result cannot rely on single pixels), takes the gradient of
    ``score(shifted image)``, divides it by its root mean square and moves the
    pixels by ``learning_rate`` along it, keeping them in [0, 1]. Every
    ``blur_every`` steps (0: never) a light Gaussian blur removes the
    high-frequency patterns that a network also responds to.

    Arguments:
        score: function of a (1, size, size, 3) tensor of RGB values in [0, 255]
            returning a scalar tensor.
    Returns ``(image, scores)``: the (size, size, 3) float32 image in [0, 1] and the score at each step.
    """
    rng = np.random.default_rng(seed)
    image = tf.Variable(np.clip(0.5 + noise * rng.standard_normal((1, size, size, 3)), 0, 1).astype(np.float32))

    @tf.function
    def ascent_step(shift):
        with tf.GradientTape() as tape:
            value = score(tf.roll(image, shift, axis=(1, 2)) * 255.0)
        grad = tape.gradient(value, image)
        grad /= tf.sqrt(tf.reduce_mean(tf.square(grad))) + 1e-8
        image.assign(tf.clip_by_value(image + learning_rate * grad, 0.0, 1.0))
        return value

    scores = []
    for step in progress(range(steps), desc=desc):
        scores.append(float(ascent_step(tf.constant(rng.integers(-jitter, jitter + 1, size=2), tf.int32))))
        if blur_every and (step + 1) % blur_every == 0 and step + 1 < steps:
            image.assign(_blur(image, blur_sigma))
    return image[0].numpy(), np.array(scores)


def maximize_unit(model, layer_name, unit, size=128, steps=60, learning_rate=0.05, blur_every=4, seed=0):
    """An input that excites one unit strongly: gradient ascent on its mean over the image.

    The score is the unit's value at ``layer_name`` averaged over all positions
    except a border of an eighth. Pick a layer without a ReLU (in MobileNetV2 and
    EfficientNet, a block's output ``blockNx_add`` or ``blockNx_project_bn``: the
    linear bottleneck), so that a unit that is zero on grey still passes a gradient.
    See :func:`gradient_ascent` for the steps (a blur of sigma 1 pixel every ``blur_every``).
    Returns the (size, size, 3) float32 image in [0, 1].
    """
    check_model("model", model)
    n_C = _check_layer(model, layer_name).output.shape[-1]
    unit = check_int("unit", unit, 0)
    if unit >= n_C:
        raise ValueError(f"unit must be a channel index in [0, {n_C}) of {layer_name}, got {unit}")
    features = keras.Model(model.input, model.get_layer(layer_name).output)

    def score(x):
        z = features(x)[0, ..., unit]  # (n_H, n_W)
        n_H, n_W = tf.shape(z)[0], tf.shape(z)[1]
        return tf.reduce_mean(z[n_H // 8:n_H - n_H // 8, n_W // 8:n_W - n_W // 8])

    return gradient_ascent(score, size, steps, learning_rate, blur_every=blur_every, blur_sigma=1.0, seed=seed,
                           desc=f"{layer_name} unit {unit}")[0]


def maximize_class(classifier, class_index, steps=150, learning_rate=0.03, blur_every=4, seed=0):
    """A class model (Simonyan et al., 2014): an input that maximises one class's logit.

    Arguments:
        classifier: a model from RGB in [0, 255] to class *logits*, e.g.
            ``pretrained.imagenet_classifier(classifier_activation=None)``
            (softmax probabilities can grow by pushing the other classes down).
        class_index: the class, e.g. 967 ("espresso" in ``imagenet_classes()``).
    Uses :func:`gradient_ascent` with a jitter of 8 pixels and a blur (sigma 1 pixel) every
    ``blur_every`` steps, which keeps shapes large enough to recognise.
    Returns ``(image, logits)``: the (H, W, 3) float32 image in [0, 1] at the
    classifier's input size, and the class's logit at each step.
    """
    check_model("classifier", classifier)
    shape = tuple(classifier.inputs[0].shape[1:])
    if len(shape) != 3 or shape[0] is None or shape != (shape[0], shape[0], 3):
        raise ValueError(f"classifier must take square (size, size, 3) images, got input shape {shape}")
    n_classes = classifier.outputs[0].shape[-1]
    class_index = check_int("class_index", class_index, 0)
    if class_index >= n_classes:
        raise ValueError(f"class_index must be in [0, {n_classes}), got {class_index}")

    def score(x):
        return classifier(x)[0, class_index]

    return gradient_ascent(score, shape[0], steps, learning_rate, jitter=8, blur_every=blur_every, blur_sigma=1.0,
                           seed=seed, desc=f"class {class_index}")


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
