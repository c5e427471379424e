"""U-Net for semantic segmentation (Week 3), with the course's function names.

``unet_model`` is the course's network: four contracting blocks (two 3x3 convs,
then a 2x2 max-pool), a bottleneck block, four expanding blocks (a 3x3 transposed
convolution with stride 2 that doubles height and width, concatenated with the
contracting block's output of the same size, then two 3x3 convs), and a 1x1 conv
to one score per class and pixel. ``skip_connections=False`` builds the same
network without the concatenations, to see what they buy.

Training and metrics: :func:`class_weights` (per-class loss weights for unbalanced
classes), :func:`segmentation_metrics` (pixel accuracy, per-class IoU, mean IoU over
the classes that occur).
"""
import keras
import numpy as np
from keras import layers

from cnn_utils.validation import check_image, check_int, check_shape


def conv_block(inputs=None, n_filters=32, dropout_prob=0, max_pooling=True):
    """Contracting block: two 3x3 convs (ReLU, same padding), optional dropout and 2x2 max-pool.

    Arguments:
        inputs: (m, H, W, C) Keras tensor.
        n_filters: filters of both convs.
        dropout_prob: dropout rate after the convs (0 for none).
        max_pooling: whether to halve H and W for the next block.
    Returns:
        (next_layer, skip_connection): next_layer is (m, H/2, W/2, n_filters) when max_pooling
        else the same tensor as skip_connection, (m, H, W, n_filters), which the expanding
        path concatenates.
    """
    conv = layers.Conv2D(n_filters, 3, activation="relu", padding="same", kernel_initializer="he_normal")(inputs)
    conv = layers.Conv2D(n_filters, 3, activation="relu", padding="same", kernel_initializer="he_normal")(conv)
    if dropout_prob > 0:
        conv = layers.Dropout(dropout_prob)(conv)
    next_layer = layers.MaxPooling2D(2)(conv) if max_pooling else conv
    return next_layer, conv


def upsampling_block(expansive_input, contractive_input, n_filters=32):
    """Expanding block: 3x3 transposed conv with stride 2, concatenation, two 3x3 convs.

    Arguments:
        expansive_input: (m, H, W, C) tensor from the previous (coarser) block.
        contractive_input: (m, 2H, 2W, C') skip connection from the contracting path,
            or None for a network without skip connections.
        n_filters: filters of the transposed conv and of both convs.
    Returns:
        (m, 2H, 2W, n_filters) tensor.
    """
    up = layers.Conv2DTranspose(n_filters, 3, strides=2, padding="same")(expansive_input)
    merge = up if contractive_input is None else layers.Concatenate(axis=3)([up, contractive_input])
    conv = layers.Conv2D(n_filters, 3, activation="relu", padding="same", kernel_initializer="he_normal")(merge)
    conv = layers.Conv2D(n_filters, 3, activation="relu", padding="same", kernel_initializer="he_normal")(conv)
    return conv


def unet_model(input_size=(96, 128, 3), n_filters=32, n_classes=23, skip_connections=True):
    """The course's U-Net.

    Arguments:
        input_size: (H, W, C) with H and W divisible by 16.
        n_filters: filters of the first block; they double at each of the 4 down-steps.
        n_classes: number of classes; the output holds one unnormalised score (logit)
            per class and pixel, to use with SparseCategoricalCrossentropy(from_logits=True).
        skip_connections: False leaves out the 4 concatenations (an encoder-decoder).
    Returns:
        keras.Model mapping (m, H, W, C) to (m, H, W, n_classes). With the defaults it has
        8,640,471 parameters.
    """
    input_size = check_shape("input_size", input_size, 3)
    if input_size[0] % 16 or input_size[1] % 16:
        raise ValueError(f"input_size height and width must be divisible by 16, got {input_size[:2]}")
    n_filters = check_int("n_filters", n_filters, 1)
    n_classes = check_int("n_classes", n_classes, 1)
    inputs = keras.Input(input_size)
    cblock1 = conv_block(inputs, n_filters)
    cblock2 = conv_block(cblock1[0], n_filters * 2)
    cblock3 = conv_block(cblock2[0], n_filters * 4)
    cblock4 = conv_block(cblock3[0], n_filters * 8, dropout_prob=0.3)
    cblock5 = conv_block(cblock4[0], n_filters * 16, dropout_prob=0.3, max_pooling=False)
    skips = [cblock4[1], cblock3[1], cblock2[1], cblock1[1]] if skip_connections else [None] * 4
    ublock6 = upsampling_block(cblock5[0], skips[0], n_filters * 8)
    ublock7 = upsampling_block(ublock6, skips[1], n_filters * 4)
    ublock8 = upsampling_block(ublock7, skips[2], n_filters * 2)
    ublock9 = upsampling_block(ublock8, skips[3], n_filters)
    conv9 = layers.Conv2D(n_filters, 3, activation="relu", padding="same", kernel_initializer="he_normal")(ublock9)
    conv10 = layers.Conv2D(n_classes, 1, padding="same")(conv9)
    return keras.Model(inputs=inputs, outputs=conv10, name="unet" if skip_connections else "unet_no_skips")


def predict_masks(model, images, batch_size=32):
    """Predicted class of every pixel: (m, H, W, C) images -> (m, H, W) uint8 class indices."""
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    images = check_image("images", images, ndim=(4,))
    batch_size = check_int("batch_size", batch_size, 1)
    scores = model.predict(images, batch_size=batch_size, verbose=0)
    return np.argmax(scores, axis=-1).astype(np.uint8)


def class_weights(masks, n_classes):
    """Loss weight of each class: one over the square root of its share of the pixels.

    A class that covers a hundredth of the pixels weighs 10 times more than one that
    covers them all (1 / share would be 100 times, which lets the rarest classes take
    over). The weights are scaled so that the average pixel of ``masks`` weighs 1.

    Arguments:
        masks: integer class masks, e.g. (m, H, W).
        n_classes: number of classes.
    Returns:
        (n_classes,) float32; 0 for a class that does not occur. ``weights[masks]`` gives
        the per-pixel ``sample_weight`` for ``model.fit``.
    """
    share = np.bincount(np.ravel(masks), minlength=n_classes) / np.size(masks)
    weights = np.where(share > 0, 1 / np.sqrt(np.maximum(share, 1e-12)), 0)
    return (weights / np.sum(share * weights)).astype(np.float32)


def segmentation_metrics(y_true, y_pred, n_classes):
    """Pixel accuracy and intersection over union per class.

    Arguments:
        y_true, y_pred: integer class masks of the same shape, e.g. (m, H, W).
        n_classes: number of classes.
    Returns:
        dict with "pixel_accuracy" (float), "iou" ((n_classes,) float64, NaN for a class that
        is neither in y_true nor in y_pred) and "mean_iou" (mean over the other classes).
    """
    n_classes = check_int("n_classes", n_classes, 1)
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have the same shape, got {y_true.shape} and {y_pred.shape}")
    for name, mask in (("y_true", y_true), ("y_pred", y_pred)):
        if mask.dtype.kind not in "iu" or (mask.size and (mask.min() < 0 or mask.max() >= n_classes)):
            raise ValueError(f"{name} must hold integer classes in 0..{n_classes - 1}")
    confusion = np.bincount(y_true.ravel().astype(np.int64) * n_classes + y_pred.ravel(),
                            minlength=n_classes * n_classes).reshape(n_classes, n_classes)
    intersection = np.diag(confusion).astype(np.float64)
    union = confusion.sum(0) + confusion.sum(1) - intersection
    iou = np.where(union > 0, intersection / np.maximum(union, 1), np.nan)
    return dict(pixel_accuracy=float(intersection.sum() / max(confusion.sum(), 1)),
                iou=iou, mean_iou=float(np.nanmean(iou)))
