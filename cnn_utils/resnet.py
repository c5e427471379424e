"""Residual networks: the course's ResNet-50 and a small plain/residual pair for experiments.

``identity_block``, ``convolutional_block`` and ``ResNet50`` follow the course's
assignment (He et al., 2016, "bottleneck" blocks of 1x1, fxf and 1x1 convs with
batch norm). ``residual_network`` builds a narrow deep network of two-conv
blocks with or without skip connections, for the degradation experiment;
``recompute_batchnorm_statistics`` resets batch norm's moving averages to the
statistics of a data set (the diagnostic for stale averages after short training).

All tensors are channels-last: ``(m, n_H, n_W, n_C)``.
"""
import keras
from keras import layers
from keras.initializers import glorot_uniform, random_uniform

from cnn_utils.validation import check_int, check_model, check_shape


def identity_block(X, f, filters, training=True, initializer=random_uniform):
    """The course's identity block: the shortcut skips three conv layers.

    Main path: 1x1 conv F1 -> BN -> ReLU -> fxf same conv F2 -> BN -> ReLU
    -> 1x1 conv F3 -> BN; then add the input X and apply ReLU.

    Arguments:
        X: input tensor (m, n_H, n_W, n_C) with n_C == F3.
        f: window size of the middle conv.
        filters: [F1, F2, F3], the numbers of filters of the three convs.
        training: passed to the BatchNormalization layers (True: batch statistics,
            False: moving averages). In Keras 3 it is only a default: a model
            called with an explicit ``training=`` (as ``fit``, ``evaluate`` and
            ``predict`` do) uses that value instead.
        initializer: kernel initializer class, called as ``initializer(seed=0)``.
    Returns a tensor (m, n_H, n_W, F3).
    """
    F1, F2, F3 = filters
    if X.shape[-1] != F3:
        raise ValueError(f"identity_block needs X with F3 = {F3} channels to add the shortcut, "
                         f"got X with shape {tuple(X.shape)}; use convolutional_block instead")
    X_shortcut = X

    X = layers.Conv2D(F1, 1, strides=1, padding="valid", kernel_initializer=initializer(seed=0))(X)
    X = layers.BatchNormalization(axis=3)(X, training=training)
    X = layers.Activation("relu")(X)

    X = layers.Conv2D(F2, f, strides=1, padding="same", kernel_initializer=initializer(seed=0))(X)
    X = layers.BatchNormalization(axis=3)(X, training=training)
    X = layers.Activation("relu")(X)

    X = layers.Conv2D(F3, 1, strides=1, padding="valid", kernel_initializer=initializer(seed=0))(X)
    X = layers.BatchNormalization(axis=3)(X, training=training)

    X = layers.Add()([X, X_shortcut])
    return layers.Activation("relu")(X)


def convolutional_block(X, f, filters, s=2, training=True, initializer=glorot_uniform):
    """The course's convolutional block: a 1x1 conv with stride s on the shortcut matches shapes.

    Main path: 1x1 conv F1 stride s -> BN -> ReLU -> fxf same conv F2 -> BN -> ReLU
    -> 1x1 conv F3 -> BN. Shortcut: 1x1 conv F3 stride s -> BN (the lecture's W_s).
    The two are added and passed through ReLU.

    Arguments:
        X: input tensor (m, n_H, n_W, n_C).
        f, filters, training, initializer: as in :func:`identity_block`.
        s: stride of the first conv and of the shortcut conv.
    Returns a tensor (m, ceil(n_H / s), ceil(n_W / s), F3).
    """
    F1, F2, F3 = filters
    X_shortcut = X

    X = layers.Conv2D(F1, 1, strides=s, padding="valid", kernel_initializer=initializer(seed=0))(X)
    X = layers.BatchNormalization(axis=3)(X, training=training)
    X = layers.Activation("relu")(X)

    X = layers.Conv2D(F2, f, strides=1, padding="same", kernel_initializer=initializer(seed=0))(X)
    X = layers.BatchNormalization(axis=3)(X, training=training)
    X = layers.Activation("relu")(X)

    X = layers.Conv2D(F3, 1, strides=1, padding="valid", kernel_initializer=initializer(seed=0))(X)
    X = layers.BatchNormalization(axis=3)(X, training=training)

    X_shortcut = layers.Conv2D(F3, 1, strides=s, padding="valid",
                               kernel_initializer=initializer(seed=0))(X_shortcut)
    X_shortcut = layers.BatchNormalization(axis=3)(X_shortcut, training=training)

    X = layers.Add()([X, X_shortcut])
    return layers.Activation("relu")(X)


def ResNet50(input_shape=(64, 64, 3), classes=6):
    """The course's ResNet-50: 23,600,006 parameters for (64, 64, 3) inputs and 6 classes.

    ZERO-PAD 3 -> CONV 7x7/2 (64) -> BN -> ReLU -> MAX-POOL 3x3/2
    -> stage 2: conv block [64, 64, 256] s=1, 2 identity blocks
    -> stage 3: conv block [128, 128, 512] s=2, 3 identity blocks
    -> stage 4: conv block [256, 256, 1024] s=2, 5 identity blocks
    -> stage 5: conv block [512, 512, 2048] s=2, 2 identity blocks
    -> AVG-POOL 2x2 -> FLATTEN -> softmax ``classes``.

    Inputs must be at least 37x37 so that stage 5 has a 2x2 map to pool.
    """
    check_shape("input_shape", input_shape, 3)
    if min(input_shape[:2]) < 37:
        raise ValueError(f"input_shape must be (n_H, n_W, n_C) with n_H, n_W >= 37, got {input_shape!r}")
    check_int("classes", classes, 2)
    X_input = keras.Input(input_shape)
    X = layers.ZeroPadding2D((3, 3))(X_input)

    X = layers.Conv2D(64, 7, strides=2, kernel_initializer=glorot_uniform(seed=0))(X)
    X = layers.BatchNormalization(axis=3)(X)
    X = layers.Activation("relu")(X)
    X = layers.MaxPooling2D(3, strides=2)(X)

    stages = [([64, 64, 256], 1, 2), ([128, 128, 512], 2, 3),
              ([256, 256, 1024], 2, 5), ([512, 512, 2048], 2, 2)]
    for filters, s, identity_blocks in stages:
        X = convolutional_block(X, f=3, filters=filters, s=s)
        for _ in range(identity_blocks):
            X = identity_block(X, 3, filters)

    X = layers.AveragePooling2D(2)(X)
    X = layers.Flatten()(X)
    X = layers.Dense(classes, activation="softmax", kernel_initializer=glorot_uniform(seed=0))(X)
    return keras.Model(inputs=X_input, outputs=X, name="ResNet50")


def residual_network(input_shape, classes, blocks=8, filters=16, residual=True):
    """A deep, narrow network of two-conv blocks, with (``residual=True``) or without skips.

    conv 3x3 (filters) -> BN -> ReLU, then ``blocks`` blocks of
    [conv 3x3 -> BN -> ReLU -> conv 3x3 -> BN (-> + a[l]) -> ReLU] at constant
    width and resolution, then global average pooling and a softmax. The plain
    and residual versions have the same layers and the same parameter count;
    only the additions differ. Depth: 2 * blocks + 2 weight layers. Kernels are
    He-normal; seed with ``config.set_seed`` before building to repeat a run.

    Arguments:
        input_shape: (n_H, n_W, n_C).
        classes: number of output classes.
    """
    check_shape("input_shape", input_shape, 3)
    for arg, value in [("classes", classes), ("blocks", blocks), ("filters", filters)]:
        check_int(arg, value, 1)
    if not isinstance(residual, bool):
        raise TypeError(f"residual must be True or False, got {residual!r}")
    def conv(x):
        return layers.Conv2D(filters, 3, padding="same", use_bias=False, kernel_initializer="he_normal")(x)

    inputs = keras.Input(input_shape)
    x = layers.Activation("relu")(layers.BatchNormalization()(conv(inputs)))
    for _ in range(blocks):
        shortcut = x
        x = layers.Activation("relu")(layers.BatchNormalization()(conv(x)))
        x = layers.BatchNormalization()(conv(x))
        if residual:
            x = layers.Add()([x, shortcut])
        x = layers.Activation("relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(classes, activation="softmax")(x)
    name = f"{'residual' if residual else 'plain'}_{2 * blocks + 2}"
    return keras.Model(inputs, outputs, name=name)


def recompute_batchnorm_statistics(model, x):
    """Set every BatchNormalization layer's moving mean and variance to the statistics of ``x``.

    At inference (``evaluate``, ``predict``) batch norm uses moving averages that
    training updates by only ``1 - momentum`` per step; after a short run they can
    still lag far behind the weights. One forward pass in training mode over all of
    ``x`` as a single batch, with momentum 0, replaces them by the exact mean and
    variance of each layer's input on ``x`` under the current weights. Nothing else
    changes. ``x``: (m, *input shape), typically the training images.
    """
    check_model("model", model)
    norms = [layer for layer in model.layers if isinstance(layer, layers.BatchNormalization)]
    momenta = [layer.momentum for layer in norms]
    for layer in norms:
        layer.momentum = 0.0
    try:
        model(x, training=True)
    finally:
        for layer, momentum in zip(norms, momenta):
            layer.momentum = momentum
