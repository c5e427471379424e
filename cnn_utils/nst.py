"""Neural style transfer (Gatys et al., 2015) with the course's cost functions.

The generated image ``G`` is a ``tf.Variable`` of shape (1, n_H, n_W, 3) with
values in [0, 1]. A feature model made by :func:`get_layer_outputs` maps an
image to the list of activations of the style layers followed by the content
layer, each of shape (1, n_H, n_W, n_C). Gradient descent on the pixels of
``G`` lowers

    J(G) = alpha * J_content(C, G) + beta * J_style(S, G).

Typical use::

    vgg = pretrained.vgg16_base()
    model = get_layer_outputs(vgg, STYLE_LAYERS + CONTENT_LAYER)
    a_C, a_S = model(content_image), model(style_image)
    train_step = make_train_step(model, a_S, a_C, keras.optimizers.Adam(0.01))
    result = run_style_transfer(train_step, initial_generated_image(content_image), steps=200)
"""
import os

import numpy as np
import keras
import tensorflow as tf
from PIL import Image
from cnn_utils.config import DATA_DIR, progress
from cnn_utils.validation import check_image, check_int, check_model, check_real, check_shape, open_image

STYLE_DIR = DATA_DIR / "styles"

# (layer name, weight lambda^[l]) pairs for the VGG16 conv base.
STYLE_LAYERS = [
    ("block1_conv1", 0.2),
    ("block2_conv1", 0.2),
    ("block3_conv1", 0.2),
    ("block4_conv1", 0.2),
    ("block5_conv1", 0.2),
]
CONTENT_LAYER = [("block4_conv2", 1)]


def _check_outputs(outputs, name):
    if not isinstance(outputs, (list, tuple)):
        raise TypeError(f"{name} must be a list of layer outputs (one array or tensor per layer), "
                        f"got {type(outputs).__name__}")
    if not outputs:
        raise ValueError(f"{name} must hold at least one layer output, got an empty {type(outputs).__name__}")


def _check_weight(value, name):
    """A Python/NumPy real number or a scalar tensor."""
    if isinstance(value, (tf.Tensor, tf.Variable)):
        if value.shape.rank != 0:
            raise ValueError(f"{name} must be a scalar, got a tensor of shape {tuple(value.shape)}")
    else:
        check_real(name, value)


def _check_style_layers(style_layers):
    if not isinstance(style_layers, (list, tuple)) or not all(
            isinstance(entry, (list, tuple)) and len(entry) == 2 and isinstance(entry[0], str)
            for entry in style_layers):
        raise TypeError(f"STYLE_LAYERS must be a list of (layer name, weight) pairs, got {style_layers!r}")
    for n, (_, weight) in enumerate(style_layers):
        _check_weight(weight, f"STYLE_LAYERS[{n}] weight")


# ----------------------------------------------------------------------------- the course's costs
# The code of the W4-2 exercises: read them next to the notebook.


def compute_content_cost(content_output, generated_output):
    """Content cost between the content layer outputs of the content and generated images.

    Arguments:
        content_output: the layer outputs for the content image C, whose last entry
            ``content_output[-1]`` is the content layer's a_C, of shape (1, n_H, n_W, n_C):
            a list of layer outputs, or a tensor whose first axis lists them.
        generated_output: the same for the generated image G.
    Returns the scalar tensor J_content = 1 / (4 n_H n_W n_C) * sum((a_C - a_G)^2).
    """
    a_C = content_output[-1]
    a_G = generated_output[-1]
    _, n_H, n_W, n_C = a_G.shape
    J_content = tf.reduce_sum(tf.square(a_C - a_G)) / (4.0 * n_H * n_W * n_C)
    return J_content


def gram_matrix(A):
    """Gram (style) matrix of the unrolled activations.

    Arguments:
        A: matrix of shape (n_C, n_H * n_W), one row per channel.
    Returns GA = A A^T of shape (n_C, n_C).
    """
    GA = tf.matmul(A, A, transpose_b=True)
    return GA


def compute_layer_style_cost(a_S, a_G):
    """Style cost of one layer.

    Arguments:
        a_S: activations of the style image, shape (1, n_H, n_W, n_C).
        a_G: activations of the generated image, same shape.
    Returns the scalar tensor 1 / (4 n_C^2 (n_H n_W)^2) * sum((G_S - G_G)^2), where
    G_S and G_G are the (n_C, n_C) Gram matrices of the two images.
    """
    _, n_H, n_W, n_C = a_G.shape
    # (1, n_H, n_W, n_C) -> (n_C, n_H * n_W)
    a_S = tf.transpose(tf.reshape(a_S, (n_H * n_W, n_C)))
    a_G = tf.transpose(tf.reshape(a_G, (n_H * n_W, n_C)))
    GS = gram_matrix(a_S)
    GG = gram_matrix(a_G)
    J_style_layer = tf.reduce_sum(tf.square(GS - GG)) / (4.0 * n_C**2 * (n_H * n_W)**2)
    return J_style_layer


def compute_style_cost(style_image_output, generated_image_output, STYLE_LAYERS=STYLE_LAYERS):
    """Weighted sum of the layer style costs over the style layers.

    Arguments:
        style_image_output: layer outputs for the style image S: one per entry of
            STYLE_LAYERS, then the content layer (which is ignored).
        generated_image_output: the same for the generated image G.
        STYLE_LAYERS: list of (layer name, weight) pairs.
    Returns the scalar tensor J_style = sum over l of lambda^[l] J_style^[l](S, G).
    """
    J_style = 0
    a_S = style_image_output[:-1]
    a_G = generated_image_output[:-1]
    for (layer_name, weight), a_S_layer, a_G_layer in zip(STYLE_LAYERS, a_S, a_G):
        J_style += weight * compute_layer_style_cost(a_S_layer, a_G_layer)
    return J_style


def total_cost(J_content, J_style, alpha=10, beta=40):
    """Total cost J = alpha * J_content + beta * J_style, as a scalar tensor.

    (The course makes this a ``tf.function``, which returns a tensor even for
    Python numbers; converting the result does the same without a new trace for
    every new pair of numbers.)
    """
    J = alpha * J_content + beta * J_style
    return tf.convert_to_tensor(J)


def get_layer_outputs(vgg, layer_names):
    """A model mapping an image in [0, 1] to the outputs of the named layers of ``vgg``.

    Arguments:
        vgg: a Keras VGG16 conv base (for example ``pretrained.vgg16_base()``).
        layer_names: layer names, or (name, weight) pairs as in STYLE_LAYERS;
            usually ``STYLE_LAYERS + CONTENT_LAYER``.
    The returned model takes (m, n_H, n_W, 3) RGB images with values in [0, 1],
    applies ``keras.applications.vgg16.preprocess_input`` to them, and returns the
    list of layer outputs, each (m, n_H^[l], n_W^[l], n_C^[l]), in the given order
    (for a single layer, Keras returns that one output, not a list).
    """
    check_model("vgg", vgg)
    if not isinstance(layer_names, (list, tuple)):
        raise TypeError(f"layer_names must be a list of names or (name, weight) pairs, got {type(layer_names).__name__}")
    names = [entry[0] if isinstance(entry, (tuple, list)) else entry for entry in layer_names]
    if not all(isinstance(n, str) for n in names):
        raise TypeError(f"layer_names must be a non-empty list of names or (name, weight) pairs, got {layer_names!r}")
    if not names:
        raise ValueError(f"layer_names must be a non-empty list of names or (name, weight) pairs, got {layer_names!r}")
    known = {layer.name for layer in vgg.layers}
    missing = [n for n in names if n not in known]
    if missing:
        raise ValueError(f"layer_names: {missing} are not layers of the model; it has {sorted(known)}")
    outputs_model = keras.Model(vgg.input, [vgg.get_layer(n).output for n in names])
    outputs_model.trainable = False
    image = keras.Input(shape=(None, None, 3))
    x = keras.applications.vgg16.preprocess_input(image * 255.0)
    return keras.Model(image, outputs_model(x), name="vgg_layer_outputs")


def clip_0_1(image):
    """Clip pixel values to [0, 1]; ``image`` is an array, tensor or tf.Variable of any shape."""
    return tf.clip_by_value(image, clip_value_min=0.0, clip_value_max=1.0)


def make_train_step(feature_model, a_S, a_C, optimizer, STYLE_LAYERS=STYLE_LAYERS, alpha=10, beta=40):
    """Build the course's ``train_step(generated_image)``, compiled with ``tf.function``.

    Arguments:
        feature_model: model from :func:`get_layer_outputs` (style layers, then the content layer).
        a_S: ``feature_model(style_image)``, the style targets.
        a_C: ``feature_model(content_image)``, the content target.
        optimizer: a Keras optimizer, used only for this image (e.g. ``Adam(0.01)``).
    One call of ``train_step(generated_image)`` (a ``tf.Variable`` of shape
    (1, n_H, n_W, 3)) computes J, takes one optimizer step on the pixels, clips
    them to [0, 1], and returns ``(J, J_content, J_style)`` as scalars.
    """
    if not callable(feature_model):
        raise TypeError(f"feature_model must be a model, got {type(feature_model).__name__}")
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        raise TypeError(f"optimizer must be a keras.optimizers.Optimizer, got {type(optimizer).__name__}")
    _check_outputs(a_S, "a_S")
    _check_outputs(a_C, "a_C")
    _check_style_layers(STYLE_LAYERS)
    if len(a_S) != len(STYLE_LAYERS) + 1:
        raise ValueError(f"a_S must hold {len(STYLE_LAYERS) + 1} layer outputs (one per style layer, then the "
                         f"content layer), got {len(a_S)}")
    _check_weight(alpha, "alpha")
    _check_weight(beta, "beta")
    a_S = [tf.convert_to_tensor(a) for a in a_S]
    a_C = [tf.convert_to_tensor(a) for a in a_C]

    @tf.function
    def train_step(generated_image):
        with tf.GradientTape() as tape:
            a_G = feature_model(generated_image)
            J_style = compute_style_cost(a_S, a_G, STYLE_LAYERS)
            J_content = compute_content_cost(a_C, a_G)
            J = total_cost(J_content, J_style, alpha=alpha, beta=beta)
        grad = tape.gradient(J, generated_image)
        optimizer.apply_gradients([(grad, generated_image)])
        generated_image.assign(clip_0_1(generated_image))
        return J, J_content, J_style

    return train_step


def initial_generated_image(content_image, noise=0.25, seed=0):
    """The starting image: the content image plus uniform noise in [-noise, noise], clipped.

    Arguments:
        content_image: (1, n_H, n_W, 3) floats in [0, 1].
        noise: half-width of the uniform noise, in [0, 1].
        seed: non-negative integer seed of the noise.
    Returns a ``tf.Variable`` of the same shape.
    """
    content_image = check_image("content_image", content_image, ndim=(4,)).astype(np.float32)
    if content_image.shape[-1] != 3:
        raise ValueError(f"content_image must have shape (1, n_H, n_W, 3), got {content_image.shape}")
    if content_image.min() < 0 or content_image.max() > 1:
        raise ValueError("content_image must hold values in [0, 1], got values in "
                         f"[{content_image.min():.3g}, {content_image.max():.3g}]")
    noise = check_real("noise", noise, 0, 1)
    seed = check_int("seed", seed, 0)
    rng = tf.random.Generator.from_seed(seed)
    image = tf.constant(content_image) + rng.uniform(content_image.shape, -noise, noise)
    return tf.Variable(clip_0_1(image))


def run_style_transfer(train_step, generated_image, steps, keep_every=None):
    """Run ``steps`` steps of ``train_step`` on ``generated_image`` with a progress bar.

    Returns a dict with ``image`` (the final (n_H, n_W, 3) array), ``kept``
    (list of (step, image) pairs taken every ``keep_every`` steps, and at the
    last step) and ``costs`` (a dict of arrays ``J``, ``J_content``, ``J_style``,
    one value per step, measured before that step's update).
    """
    if not callable(train_step):
        raise TypeError(f"train_step must be callable (as from make_train_step), got {type(train_step).__name__}")
    if not isinstance(generated_image, tf.Variable):
        raise TypeError(f"generated_image must be a tf.Variable, got {type(generated_image).__name__}")
    steps = check_int("steps", steps, 1)
    if keep_every is not None:
        keep_every = check_int("keep_every", keep_every, 1)
    keep_every = keep_every or steps
    costs = {"J": [], "J_content": [], "J_style": []}
    kept = []
    bar = progress(range(1, steps + 1), desc="style transfer", unit="step", mininterval=5)
    for step in bar:
        values = train_step(generated_image)
        for key, value in zip(costs, values):
            costs[key].append(float(value))
        if step % 10 == 0 or step == steps:
            bar.set_postfix(J=f"{costs['J'][-1]:.4g}")
        if step % keep_every == 0 or step == steps:
            kept.append((step, generated_image[0].numpy()))
    return {"image": generated_image[0].numpy(), "kept": kept,
            "costs": {key: np.array(value) for key, value in costs.items()}}


def load_image(path_or_array, size):
    """Load an image as a (1, size[0], size[1], 3) float32 array in [0, 1].

    Arguments:
        path_or_array: a file path, or an (H, W, 3) array (uint8 in [0, 255] or floats in [0, 1]).
        size: (n_H, n_W) of the result; the image is centre-cropped to that
            aspect ratio, then resized.
    """
    size = check_shape("size", size, 2)
    if not isinstance(path_or_array, (str, os.PathLike, np.ndarray)):
        raise TypeError(f"path_or_array must be a file path or an (H, W, 3) array, got {type(path_or_array).__name__}")
    if isinstance(path_or_array, np.ndarray):
        array = check_image("path_or_array", path_or_array, ndim=(3,))
        if array.shape[-1] != 3:
            raise ValueError(f"path_or_array must be an (H, W, 3) image, got shape {array.shape}")
        if array.dtype.kind == "f":
            array = np.clip(array * 255.0, 0, 255)
        image = Image.fromarray(array.astype(np.uint8))
    else:
        image = open_image("path_or_array", path_or_array)
    n_H, n_W = int(size[0]), int(size[1])
    width, height = image.size
    scale = min(width / n_W, height / n_H)
    crop_w, crop_h = n_W * scale, n_H * scale
    left, top = (width - crop_w) / 2, (height - crop_h) / 2
    image = image.resize((n_W, n_H), Image.LANCZOS, box=(left, top, left + crop_w, top + crop_h))
    return (np.asarray(image, dtype=np.float32) / 255.0)[None]


def style_image_path(name):
    """Path of a style image shipped in ``data/styles/`` (e.g. ``"starry_night"``)."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a string such as 'starry_night', got {type(name).__name__}")
    path = STYLE_DIR / f"{name}.jpg"
    if not path.is_file():
        available = sorted(p.stem for p in STYLE_DIR.glob("*.jpg"))
        raise ValueError(f"name must be one of {available}, got {name!r}")
    return path
