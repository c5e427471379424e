"""Transfer learning and data augmentation (Week 2).

* :func:`data_augmenter`: a ``keras.Sequential`` of augmentation layers, from the
  lecture's list: mirroring, random cropping, rotation, shearing, colour
  shifting and AlexNet's PCA colour augmentation (:class:`PCAColorAugmentation`,
  with the principal components of the training pixels from :func:`rgb_pca`).
* :func:`transfer_model`: the course's ``alpaca_model`` pattern: augmentation,
  ``preprocess_input``, a frozen pretrained base, global average pooling,
  batch normalization (pretrained features have very uneven scales), dropout
  and a new softmax layer. :func:`truncate_base` keeps the base up to a layer.
* :func:`unfreeze_top` / :func:`freeze_base` for fine-tuning the top block.
* :func:`precompute_features` and :func:`head_model`: run the frozen base once
  and train only the head on its stored activations.
* :func:`scratch_model`: a small CNN trained from random weights, the baseline.

Images are (m, H, W, 3) RGB with values in [0, 255] (uint8 or float).
"""
import math
import numbers

import keras
import numpy as np
from keras import layers, ops

from cnn_utils.validation import check_int, check_model, check_real, check_seed, check_shape


def _check_sizes(shape, name, axes, allow_none=False):
    """``shape`` as a tuple of positive ints, one per name in ``axes`` (e.g. ``("H", "W")``).

    None is allowed for a size when ``allow_none``.
    """
    expected = "(" + ", ".join(axes) + ")"
    if not isinstance(shape, (tuple, list)):
        raise TypeError(f"{name} must be a tuple {expected}, got {type(shape).__name__}")
    if not all((allow_none and n is None) or (isinstance(n, (int, np.integer)) and not isinstance(n, bool))
               for n in shape):
        raise TypeError(f"{name} must be {expected} of positive integers, got {tuple(shape)!r}")
    if len(shape) != len(axes) or not all(n is None or n > 0 for n in shape):
        raise ValueError(f"{name} must be {expected} of positive integers, got {tuple(shape)!r}")
    return tuple(shape)


def _check_value_range(value_range):
    """``value_range`` as a ``(low, high)`` tuple of finite real numbers with low < high."""
    if not isinstance(value_range, (tuple, list)) or not all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value_range):
        raise TypeError(f"value_range must be a tuple (low, high) of two numbers, "
                        f"got {type(value_range).__name__} {value_range!r}")
    if len(value_range) != 2 or not all(math.isfinite(v) for v in value_range) or \
            not value_range[0] < value_range[1]:
        raise ValueError(f"value_range must be (low, high) of finite numbers with low < high, got {value_range!r}")
    return float(value_range[0]), float(value_range[1])


def _as_float_array(name, value):
    """``value`` as a float32 array; TypeError naming ``name`` when it holds no numbers."""
    try:
        return np.asarray(value, dtype="float32")
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be an array of numbers, got {type(value).__name__} {value!r}") from err


def _check_layer_name(model, layer_name, name, model_name="the base"):
    names = [layer.name for layer in model.layers]
    if layer_name not in names:
        raise ValueError(f"{name} must name a layer of {model_name}, got {layer_name!r}")
    return names


def rgb_pca(images):
    """Principal components of the RGB values of a set of images (AlexNet's colour PCA).

    Arguments:
        images: (m, H, W, 3) or (n_pixels, 3) array of RGB values in [0, 255].
    Returns ``(eigenvalues, eigenvectors)``: (3,) variances in decreasing order
    and (3, 3) unit eigenvectors of the 3x3 pixel covariance, one per column.
    """
    try:
        pixels = np.asarray(images, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"images must be an array of numbers, got {type(images).__name__}") from err
    if pixels.ndim < 2 or pixels.shape[-1] != 3:
        raise ValueError(f"images must end with an RGB axis of size 3, got shape {pixels.shape}")
    pixels = pixels.reshape(-1, 3)
    if pixels.shape[0] < 2:
        raise ValueError("images must hold at least 2 pixels to estimate a covariance")
    eigenvalues, eigenvectors = np.linalg.eigh(np.cov(pixels, rowvar=False))
    order = np.argsort(eigenvalues)[::-1]
    return eigenvalues[order].astype("float32"), eigenvectors[:, order].astype("float32")


def pca_color_shift(images, alpha, eigenvalues, eigenvectors, value_range=(0, 255)):
    """Add ``eigenvectors @ (alpha * eigenvalues)`` to every pixel of each image.

    Arguments:
        images: (m, H, W, 3) RGB tensor or array.
        alpha: (m, 3) random weights, one triple per image.
        eigenvalues: (3,), eigenvectors: (3, 3) columns, as from :func:`rgb_pca`.
    Returns the shifted images (m, H, W, 3), clipped to ``value_range``. AlexNet
    scales by the square roots of the variances (standard deviations), so the
    shift is largest along the direction in which the colours vary most.
    Only static shapes are checked (it runs inside Keras layers).
    """
    image_shape = tuple(getattr(images, "shape", np.shape(images)))
    if len(image_shape) != 4 or image_shape[-1] != 3:
        raise ValueError(f"images must have shape (m, H, W, 3), got {image_shape}")
    alpha_shape = tuple(getattr(alpha, "shape", np.shape(alpha)))
    if len(alpha_shape) != 2 or alpha_shape[-1] != 3:
        raise ValueError(f"alpha must have shape (m, 3), got {alpha_shape}")
    if tuple(np.shape(eigenvalues)) != (3,):
        raise ValueError(f"eigenvalues must have shape (3,), got {np.shape(eigenvalues)}")
    if tuple(np.shape(eigenvectors)) != (3, 3):
        raise ValueError(f"eigenvectors must have shape (3, 3), got {np.shape(eigenvectors)}")
    low, high = _check_value_range(value_range)
    scale = ops.convert_to_tensor(alpha, "float32") * ops.sqrt(ops.convert_to_tensor(eigenvalues, "float32"))
    shift = ops.matmul(scale, ops.transpose(ops.convert_to_tensor(eigenvectors, "float32")))  # (m, 3)
    shifted = ops.cast(images, "float32") + shift[:, None, None, :]
    return ops.clip(shifted, low, high)


class PCAColorAugmentation(layers.Layer):
    """AlexNet's PCA colour augmentation, applied only while training.

    Each image gets one random colour shift ``sum_i alpha_i * sqrt(lambda_i) * v_i``
    with ``alpha_i ~ N(0, stddev^2)``, where ``lambda_i`` and ``v_i`` are the
    eigenvalues and eigenvectors of the RGB covariance of the training pixels.
    Input and output: (m, H, W, 3) in ``value_range``; identity at inference.
    """

    def __init__(self, eigenvalues, eigenvectors, stddev=0.1, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(**kwargs)
        eigenvalues = _as_float_array("eigenvalues", eigenvalues)
        eigenvectors = _as_float_array("eigenvectors", eigenvectors)
        if eigenvalues.shape != (3,) or not np.isfinite(eigenvalues).all() or (eigenvalues < 0).any():
            raise ValueError(f"eigenvalues must be 3 non-negative variances, got {eigenvalues!r}")
        if eigenvectors.shape != (3, 3) or not np.isfinite(eigenvectors).all():
            raise ValueError(f"eigenvectors must be a finite (3, 3) matrix, got shape {eigenvectors.shape}")
        stddev = check_real("stddev", stddev, 0)
        if math.isinf(stddev):
            raise ValueError(f"stddev must be a finite number >= 0, got {stddev!r}")
        self.eigenvalues = eigenvalues
        self.eigenvectors = eigenvectors
        self.stddev = stddev
        self.value_range = _check_value_range(value_range)
        self.seed = check_seed("seed", seed)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=None):
        if not training:
            return images
        alpha = keras.random.normal((ops.shape(images)[0], 3), stddev=self.stddev, seed=self.seed_generator)
        return pca_color_shift(images, alpha, self.eigenvalues, self.eigenvectors, self.value_range)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(eigenvalues=self.eigenvalues.tolist(), eigenvectors=self.eigenvectors.tolist(),
                      stddev=self.stddev, value_range=self.value_range, seed=self.seed)
        return config


def data_augmenter(eigenvalues, eigenvectors, seed=None):
    """A ``keras.Sequential`` of the lecture's augmentations, active only while training.

    Arguments:
        eigenvalues, eigenvectors: RGB principal components of the training
            pixels (from :func:`rgb_pca`), for PCA colour augmentation.
    Input and output: (m, H, W, 3) RGB in [0, 255], same shape. In order:
    mirroring, random cropping (zoom in on a window of 80-100 % of the side,
    moved by up to 10 %), rotation (up to 20 degrees), shearing, colour
    shifting (hue) and PCA colour augmentation.
    """
    check_seed("seed", seed)
    return keras.Sequential([
        layers.RandomFlip("horizontal", seed=seed),
        layers.RandomZoom(height_factor=(-0.2, 0.0), seed=seed),
        layers.RandomTranslation(0.1, 0.1, seed=seed),
        layers.RandomRotation(20 / 360, seed=seed),
        layers.RandomShear(x_factor=0.1, y_factor=0.1, seed=seed),
        layers.RandomHue(0.03, value_range=(0, 255), seed=seed),
        PCAColorAugmentation(eigenvalues, eigenvectors, seed=seed),
    ], name="data_augmentation")


def _head(x, num_classes, dropout):
    """Global average pooling, batch norm, dropout and a softmax layer: (m, h, w, C) -> (m, num_classes).

    The batch normalization puts the pooled features on a common scale (their
    channels differ by orders of magnitude); its short momentum suits the few
    hundred steps of a small data set.
    """
    x = layers.GlobalAveragePooling2D(name="global_pool")(x)
    x = layers.BatchNormalization(momentum=0.9, name="head_norm")(x)
    x = layers.Dropout(dropout, name="head_dropout")(x)
    return layers.Dense(num_classes, activation="softmax", name="classifier")(x)


def _check_classes(num_classes, dropout):
    check_int("num_classes", num_classes, 2)
    if check_real("dropout", dropout, 0, 1) == 1:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")


def transfer_model(image_shape, data_augmentation, base, num_classes=2, dropout=0.2):
    """Pretrained base with a new classifier on top (the course's ``alpaca_model``).

    Arguments:
        image_shape: (H, W) of the RGB input images, values in [0, 255].
        data_augmentation: a Keras layer or model applied first (identity at inference).
        base: pretrained convolutional base taking VGG16-preprocessed
            (m, H, W, 3) input, e.g. ``pretrained.vgg16_base()``. It is frozen here.
    Returns a ``keras.Model`` (m, H, W, 3) -> (m, num_classes) class probabilities.
    """
    image_shape = _check_sizes(image_shape, "image_shape", ("H", "W"))
    if not callable(data_augmentation):
        raise TypeError(f"data_augmentation must be a Keras layer or model, got {type(data_augmentation).__name__}")
    check_model("base", base)
    _check_classes(num_classes, dropout)
    base.trainable = False
    inputs = keras.Input(shape=tuple(image_shape) + (3,))
    x = data_augmentation(inputs)
    x = keras.applications.vgg16.preprocess_input(x)
    x = base(x, training=False)
    return keras.Model(inputs, _head(x, num_classes, dropout), name="transfer_model")


def truncate_base(base, last_layer, name="vgg16"):
    """The part of ``base`` from its input up to ``last_layer`` (e.g. ``"block4_pool"``), same weights."""
    check_model("base", base)
    _check_layer_name(base, last_layer, "last_layer")
    return keras.Model(base.input, base.get_layer(last_layer).output, name=name)


def freeze_base(model, base_name="vgg16"):
    """Freeze every layer of the base inside ``model``; returns the base."""
    check_model("model", model)
    _check_layer_name(model, base_name, "base_name", "model")
    base = model.get_layer(base_name)
    base.trainable = False
    return base


def unfreeze_top(model, first_trainable="block5_conv1", base_name="vgg16"):
    """Make the base's layers from ``first_trainable`` on trainable, the earlier ones frozen.

    For fine-tuning after the new head has been trained; compile the model
    again (with a small learning rate) for the change to take effect.
    Returns the names of the trainable layers of the base.
    """
    check_model("model", model)
    _check_layer_name(model, base_name, "base_name", "model")
    base = model.get_layer(base_name)
    names = _check_layer_name(base, first_trainable, "first_trainable", base_name)
    base.trainable = True
    start = names.index(first_trainable)
    for layer in base.layers[:start]:
        layer.trainable = False
    return [layer.name for layer in base.layers[start:] if layer.weights]


def precompute_features(base, images, batch_size=32, verbose=0):
    """Run the frozen base once: (m, H, W, 3) RGB in [0, 255] -> (m, h, w, C) activations."""
    check_model("base", base)
    batch_size = check_int("batch_size", batch_size, 1)
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"images must have shape (m, H, W, 3), got {images.shape}")
    x = keras.applications.vgg16.preprocess_input(images.astype("float32"))
    return base.predict(x, batch_size=batch_size, verbose=verbose)


def head_model(feature_shape, num_classes=2, dropout=0.2):
    """The classifier of :func:`transfer_model` alone, trained on precomputed activations.

    Arguments:
        feature_shape: (h, w, C) of the base's output.
    Returns a ``keras.Model`` (m, h, w, C) -> (m, num_classes).
    """
    feature_shape = _check_sizes(feature_shape, "feature_shape", ("h", "w", "C"), allow_none=True)
    if feature_shape[-1] is None:
        raise ValueError(f"feature_shape must have a known channel count C, got {feature_shape!r}")
    _check_classes(num_classes, dropout)
    inputs = keras.Input(shape=tuple(feature_shape))
    return keras.Model(inputs, _head(inputs, num_classes, dropout), name="head")


def scratch_model(image_shape, data_augmentation, num_classes=2, filters=(32, 64, 128), dropout=0.2):
    """Baseline trained from random weights: augmentation, then conv-ReLU-pool blocks and the same head.

    Arguments:
        image_shape: (H, W) of the RGB input images, values in [0, 255].
    Returns a ``keras.Model`` (m, H, W, 3) -> (m, num_classes).
    """
    image_shape = _check_sizes(image_shape, "image_shape", ("H", "W"))
    if not callable(data_augmentation):
        raise TypeError(f"data_augmentation must be a Keras layer or model, got {type(data_augmentation).__name__}")
    _check_classes(num_classes, dropout)
    filters = check_shape("filters", filters)
    inputs = keras.Input(shape=tuple(image_shape) + (3,))
    x = data_augmentation(inputs)
    x = layers.Rescaling(1 / 255)(x)
    for n in filters:
        x = layers.Conv2D(n, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D()(x)
    return keras.Model(inputs, _head(x, num_classes, dropout), name="scratch_model")


def base_activations(base, image, layer_names):
    """Activations of some layers of the base for one image.

    Arguments:
        image: (H, W, 3) RGB in [0, 255].
        layer_names: names of layers of ``base``, e.g. ``["block1_conv2", "block3_conv3"]``.
    Returns a dict name -> (h, w, C) array.
    """
    check_model("base", base)
    if not isinstance(layer_names, (list, tuple)) or not all(isinstance(name, str) for name in layer_names):
        raise TypeError(f"layer_names must be a list of layer names, got {layer_names!r}")
    if not layer_names:
        raise ValueError("layer_names must name at least one layer of the base, got an empty list")
    for name in layer_names:
        _check_layer_name(base, name, "layer_names")
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[-1] != 3:
        raise ValueError(f"image must have shape (H, W, 3), got {image.shape}")
    probe = keras.Model(base.input, [base.get_layer(name).output for name in layer_names])
    x = keras.applications.vgg16.preprocess_input(image[None].astype("float32"))
    outputs = probe(x)
    return {name: np.asarray(out)[0] for name, out in zip(layer_names, outputs)}
