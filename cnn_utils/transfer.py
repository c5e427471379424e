"""Transfer learning and data augmentation (Week 2), in the course's shape.

* :func:`data_augmenter`: the course's ``keras.Sequential`` of
  ``RandomFlip("horizontal")`` then ``RandomRotation(0.2)``; optionally AlexNet's
  PCA colour augmentation (:class:`PCAColorAugmentation`, with the principal
  components of the training pixels from :func:`rgb_pca`).
* :func:`transfer_model`: the course's ``alpaca_model``: input, augmentation, a
  frozen pretrained base called with ``training=False``, global average
  pooling, dropout and a new dense layer (logits).
* :func:`unfreeze_from`: fine-tuning from a named layer of the base on.
* :func:`precompute_features` and :func:`head_model`: run the frozen base once
  and train the same head on its stored output; with :func:`split_base`, run
  the frozen part below a fine-tuned layer once and fine-tune the rest.
* :func:`scratch_model`: a small CNN trained from random weights, the baseline.

Images are (m, H, W, 3) RGB with values in [0, 255] (uint8 or float); the
pretrained bases of :mod:`cnn_utils.pretrained` do their own preprocessing.
"""
import keras
import numpy as np
from keras import layers, ops

from cnn_utils.validation import check_int, check_model, check_real, check_seed, check_shape


def rgb_pca(images):
    """Principal components of the RGB values of a set of images (AlexNet's colour PCA).

    Arguments:
        images: (m, H, W, 3) or (n_pixels, 3) array of RGB values in [0, 255].
    Returns ``(eigenvalues, eigenvectors)``: (3,) variances in decreasing order
    and (3, 3) unit eigenvectors of the 3x3 pixel covariance, one per column.
    """
    pixels = np.asarray(images, dtype=np.float64)
    if pixels.ndim < 2 or pixels.shape[-1] != 3:
        raise ValueError(f"images must end with an RGB axis of size 3, got shape {pixels.shape}")
    eigenvalues, eigenvectors = np.linalg.eigh(np.cov(pixels.reshape(-1, 3), rowvar=False))
    order = np.argsort(eigenvalues)[::-1]
    return eigenvalues[order].astype("float32"), eigenvectors[:, order].astype("float32")


def pca_color_shift(images, alpha, eigenvalues, eigenvectors, value_range=(0, 255)):
    """Add ``eigenvectors @ (alpha * sqrt(eigenvalues))`` to every pixel of each image.

    Arguments:
        images: (m, H, W, 3) RGB tensor or array.
        alpha: (m, 3) random weights, one triple per image.
        eigenvalues: (3,), eigenvectors: (3, 3) columns, as from :func:`rgb_pca`.
    Returns the shifted images (m, H, W, 3), clipped to ``value_range``. AlexNet
    scales by the square roots of the variances (standard deviations), so the
    shift is largest along the direction in which the colours vary most.
    """
    scale = ops.convert_to_tensor(alpha, "float32") * ops.sqrt(ops.convert_to_tensor(eigenvalues, "float32"))
    shift = ops.matmul(scale, ops.transpose(ops.convert_to_tensor(eigenvectors, "float32")))  # (m, 3)
    shifted = ops.cast(images, "float32") + shift[:, None, None, :]
    return ops.clip(shifted, value_range[0], value_range[1])


class PCAColorAugmentation(layers.Layer):
    """AlexNet's PCA colour augmentation, applied only while training.

    Each image gets one random colour shift ``sum_i alpha_i * sqrt(lambda_i) * v_i``
    with ``alpha_i ~ N(0, stddev^2)``, where ``lambda_i`` and ``v_i`` are the
    eigenvalues and eigenvectors of the RGB covariance of the training pixels.
    Input and output: (m, H, W, 3) in ``value_range``; identity at inference.
    """

    def __init__(self, eigenvalues, eigenvectors, stddev=0.1, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(**kwargs)
        eigenvalues = np.asarray(eigenvalues, dtype="float32")
        eigenvectors = np.asarray(eigenvectors, dtype="float32")
        if eigenvalues.shape != (3,) or not np.isfinite(eigenvalues).all() or (eigenvalues < 0).any():
            raise ValueError(f"eigenvalues must be 3 non-negative variances, got {eigenvalues!r}")
        if eigenvectors.shape != (3, 3) or not np.isfinite(eigenvectors).all():
            raise ValueError(f"eigenvectors must be a finite (3, 3) matrix, got shape {eigenvectors.shape}")
        if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
            raise TypeError(f"value_range must be a pair (low, high), got {value_range!r}")
        low, high = (check_real("value_range", v) for v in value_range)
        if not low < high:
            raise ValueError(f"value_range must be (low, high) with low < high, got {value_range!r}")
        self.eigenvalues = eigenvalues
        self.eigenvectors = eigenvectors
        self.stddev = check_real("stddev", stddev, 0, 1e6)
        self.value_range = (low, high)
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


def data_augmenter(pca=None, seed=None):
    """The course's augmenter: ``RandomFlip("horizontal")`` then ``RandomRotation(0.2)``.

    Arguments:
        pca: None, or ``(eigenvalues, eigenvectors)`` of the training pixels
            (from :func:`rgb_pca`) to add PCA colour augmentation as a third layer.
        seed: None or an integer, passed to every layer.
    Returns a ``keras.Sequential`` named ``"data_augmentation"``: (m, H, W, 3) in
    [0, 255] -> same shape, active only while training. ``RandomRotation(0.2)``
    turns by up to 0.2 of a full turn (72 degrees) either way.
    """
    check_seed("seed", seed)
    augmentations = [layers.RandomFlip("horizontal", seed=seed), layers.RandomRotation(0.2, seed=seed)]
    if pca is not None:
        if not isinstance(pca, (tuple, list)) or len(pca) != 2:
            raise TypeError(f"pca must be None or a pair (eigenvalues, eigenvectors), got {type(pca).__name__}")
        augmentations.append(PCAColorAugmentation(*pca, seed=seed))
    return keras.Sequential(augmentations, name="data_augmentation")


def _head(x, num_classes, dropout):
    """The course's new classifier: (m, h, w, C) -> global average pooling -> dropout -> dense logits."""
    x = layers.GlobalAveragePooling2D(name="global_average_pooling")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    return layers.Dense(num_classes, name="classifier")(x)


def _check_head_args(num_classes, dropout):
    check_int("num_classes", num_classes, 1)
    if check_real("dropout", dropout, 0, 1) == 1:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")


def _check_augmentation(data_augmentation):
    if not callable(data_augmentation):
        raise TypeError(f"data_augmentation must be a Keras layer or model, got {type(data_augmentation).__name__}")


def transfer_model(image_shape, data_augmentation, base=None, num_classes=1, dropout=0.2):
    """A frozen pretrained base with a new classifier on top (the course's ``alpaca_model``).

    Arguments:
        image_shape: (H, W) of the RGB input images, values in [0, 255].
        data_augmentation: a Keras layer or model applied first (identity at inference).
        base: a convolutional base that takes RGB in [0, 255] and does its own
            preprocessing; None builds ``pretrained.imagenet_classifier(include_top=False)``
            (EfficientNet-Lite0, ImageNet) for ``image_shape``. It is frozen here.
        num_classes: outputs of the dense layer (1 for a binary task, as in the course).
    Returns a ``keras.Model`` (m, H, W, 3) -> (m, num_classes) logits: input,
    augmentation, ``base(x, training=False)``, global average pooling, dropout, dense.
    Train it with a loss that takes logits (``from_logits=True``).
    """
    image_shape = check_shape("image_shape", image_shape, 2)
    _check_augmentation(data_augmentation)
    _check_head_args(num_classes, dropout)
    if base is None:
        from cnn_utils import pretrained

        base = pretrained.imagenet_classifier(include_top=False, input_shape=image_shape + (3,))
    check_model("base", base)
    base.trainable = False
    inputs = keras.Input(shape=image_shape + (3,))
    x = data_augmentation(inputs)
    x = base(x, training=False)  # batch norm keeps its ImageNet statistics, also when fine-tuning
    return keras.Model(inputs, _head(x, num_classes, dropout), name="transfer_model")


def unfreeze_from(base, layer_name):
    """Fine-tuning as in the course: the layers of ``base`` from ``layer_name`` on train, earlier ones stay frozen.

    Compile the model again afterwards, with a learning rate about 10x lower than
    the one the new head was trained with, so that the pretrained weights are
    adjusted rather than overwritten. Returns the names of the base's layers
    that now train (those that have weights).
    """
    check_model("base", base)
    names = [layer.name for layer in base.layers]
    if layer_name not in names:
        raise ValueError(f"layer_name must name a layer of {base.name}, got {layer_name!r}")
    start = names.index(layer_name)
    base.trainable = True
    for i, layer in enumerate(base.layers):
        layer.trainable = i >= start  # each layer explicitly: setting True again does not reach the layers
    return [layer.name for layer in base.layers[start:] if layer.weights]


def precompute_features(base, images, batch_size=64, verbose=0):
    """Run the frozen base once: (m, H, W, 3) RGB in [0, 255] -> (m, h, w, C) activations."""
    check_model("base", base)
    batch_size = check_int("batch_size", batch_size, 1)
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"images must have shape (m, H, W, 3), got {images.shape}")
    return base.predict(images, batch_size=batch_size, verbose=verbose)


def split_base(base, layer_name):
    """Cut ``base`` just before ``layer_name``: ``(bottom, top)``, sharing the base's layers and weights.

    ``bottom`` maps the base's input to the input of ``layer_name``; ``top``
    maps that to the base's output, so ``top(bottom(x)) == base(x)``. Fine-tuning
    from ``layer_name`` on changes only ``top``: run the frozen ``bottom`` once
    over the images (:func:`precompute_features`) and train ``top`` on its stored
    output. No connection of the base may cross the cut.
    """
    check_model("base", base)
    if layer_name not in [layer.name for layer in base.layers]:
        raise ValueError(f"layer_name must name a layer of {base.name}, got {layer_name!r}")
    cut = base.get_layer(layer_name).input
    return keras.Model(base.input, cut, name=f"{base.name}_bottom"), keras.Model(cut, base.output, name=f"{base.name}_top")


def head_model(feature_shape, num_classes=1, dropout=0.2, top=None):
    """The classifier of :func:`transfer_model` alone, trained on stored activations.

    Arguments:
        feature_shape: (h, w, C) of the stored activations.
        top: None, or the upper part of the base from :func:`split_base`, run
            first (in inference mode, like the base in :func:`transfer_model`) so
            that it can be fine-tuned on the stored output of the frozen part.
    Returns a ``keras.Model`` (m, h, w, C) -> (m, num_classes) logits, with the same
    layer names as the head of :func:`transfer_model` (its weights can be copied there).
    """
    feature_shape = check_shape("feature_shape", feature_shape, 3)
    _check_head_args(num_classes, dropout)
    inputs = keras.Input(shape=feature_shape)
    x = inputs
    if top is not None:
        check_model("top", top)
        x = top(x, training=False)
    return keras.Model(inputs, _head(x, num_classes, dropout), name="head")


def scratch_model(image_shape, data_augmentation, num_classes=1, filters=(32, 64, 128), dropout=0.2):
    """Baseline trained from random weights: augmentation, conv-batch norm-ReLU-pool blocks and the same head.

    Arguments:
        image_shape: (H, W) of the RGB input images, values in [0, 255].
        filters: the number of 3x3 filters of each block; each block halves H and W.
    Returns a ``keras.Model`` (m, H, W, 3) -> (m, num_classes) logits.
    """
    image_shape = check_shape("image_shape", image_shape, 2)
    _check_augmentation(data_augmentation)
    _check_head_args(num_classes, dropout)
    filters = check_shape("filters", filters)
    inputs = keras.Input(shape=image_shape + (3,))
    x = data_augmentation(inputs)
    x = layers.Rescaling(1 / 255)(x)
    for n in filters:
        x = layers.Conv2D(n, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization(momentum=0.9)(x)  # short trainings: statistics settle in ~30 steps
        x = layers.ReLU()(x)
        x = layers.MaxPooling2D()(x)
    return keras.Model(inputs, _head(x, num_classes, dropout), name="scratch_model")
