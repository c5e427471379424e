"""Object localization, landmarks and sliding windows (Week 3).

* The course's target vector for classification with localization,
  ``y = (p_c, b_x, b_y, b_h, b_w, c_1, c_2, c_3)``, with :func:`encode_target` /
  :func:`decode_target`, the lecture's loss :func:`localization_loss`, and a small
  Keras model that predicts ``y`` (:func:`localization_model`); :func:`decode_boxes`
  turns many target or predicted vectors into pixel boxes.
* Landmark targets ``(p, l_1x, l_1y, ..., l_kx, l_ky)`` (:func:`encode_landmarks`).
* Sliding windows: a classifier with fully connected layers
  (:func:`fc_window_classifier`), the same network written with convolutions only
  (:func:`to_convolutional`), and the explicit crop-by-crop loop
  (:func:`sliding_window_predict`) to compare them with.

Box coordinates follow the lecture: ``(b_x, b_y)`` is the box centre and
``(b_h, b_w)`` its height and width, all as fractions of the image, whose top-left
corner is (0, 0) and bottom-right corner (1, 1).
"""
import numbers

import keras
import numpy as np
from keras import layers, ops

from cnn_utils.validation import check_image, check_int, check_shape

N_CLASSES = 3  # pedestrian, car, motorcycle (cnn_utils.scenes.OBJECT_CLASSES)


def _image_hw(image_size):
    if isinstance(image_size, numbers.Integral):
        image_size = (image_size, image_size)
    height, width = check_shape("image_size", image_size, 2)
    return float(height), float(width)


def _check_input_shape(input_shape, min_side):
    check_shape("input_shape", input_shape, 3)
    if input_shape[0] < min_side or input_shape[1] < min_side:
        raise ValueError(f"input_shape height and width must be at least {min_side}, got {tuple(input_shape[:2])}")


def encode_target(box, class_id, image_size, n_classes=N_CLASSES):
    """Target vector of one image for classification with localization.

    Arguments:
        box: (x1, y1, x2, y2) in pixels, or None for an image with no object (background).
        class_id: index of the object's class in 0..n_classes-1 (ignored when box is None).
        image_size: height (= width) or (height, width) of the image in pixels.
    Returns:
        y: (5 + n_classes,) float32 = (p_c, b_x, b_y, b_h, b_w, c_1, ..., c_n). For background,
        p_c = 0 and the other entries are 0 (the loss ignores them).
    """
    height, width = _image_hw(image_size)
    n_classes = check_int("n_classes", n_classes, 1)
    y = np.zeros(5 + n_classes, np.float32)
    if box is None:
        return y
    box = np.asarray(box, dtype=np.float64)
    if box.size != 4:
        raise ValueError(f"box must hold 4 numbers (x1, y1, x2, y2), got shape {box.shape}")
    x1, y1, x2, y2 = box.reshape(4)
    if not (x2 > x1 and y2 > y1):
        raise ValueError(f"box must be (x1, y1, x2, y2) with x2 > x1 and y2 > y1, got {tuple(box.reshape(4))}")
    class_id = check_int("class_id", class_id, 0)
    if class_id >= n_classes:
        raise ValueError(f"class_id must be an integer in 0..{n_classes - 1}, got {class_id!r}")
    y[:5] = [1, (x1 + x2) / 2 / width, (y1 + y2) / 2 / height, (y2 - y1) / height, (x2 - x1) / width]
    y[5 + class_id] = 1
    return y


def encode_targets(boxes, classes, image_size, n_classes=N_CLASSES):
    """Targets of many single-object (or empty) images, as made by ``scenes.make_scenes``.

    Arguments:
        boxes: list of m arrays (k_i, 4), with k_i = 0 (background) or 1. A scene made with
            ``n_objects=1`` may hold no object (see ``scenes.make_scene``); it is encoded as
            background, p_c = 0.
        classes: list of m arrays (k_i,).
    Returns:
        Y: (m, 5 + n_classes) float32.
    """
    if len(boxes) != len(classes):
        raise ValueError(f"boxes and classes must have the same length, got {len(boxes)} and {len(classes)}")
    rows = []
    for i, (b, c) in enumerate(zip(boxes, classes)):
        if len(b) > 1:
            raise ValueError(f"boxes[{i}] must hold at most one box (localization finds one object per image), "
                             f"got {len(b)} boxes")
        rows.append(encode_target(b[0], int(c[0]), image_size, n_classes) if len(b) else
                    encode_target(None, 0, image_size, n_classes))
    return np.stack(rows)


def decode_boxes(Y, image_size):
    """Boxes of many target (or predicted) vectors, in pixels.

    Arguments:
        Y: (m, 5 + n_classes) rows (p_c, b_x, b_y, b_h, b_w, c_1, ..., c_n).
        image_size: height (= width) or (height, width) in pixels.
    Returns:
        (m, 4) float32 boxes (x1, y1, x2, y2) = ((b_x - b_w / 2) W, (b_y - b_h / 2) H,
        (b_x + b_w / 2) W, (b_y + b_h / 2) H), whatever p_c says.
    """
    height, width = _image_hw(image_size)
    Y = np.asarray(Y, dtype=np.float64)
    bx, by, bh, bw = Y[:, 1], Y[:, 2], Y[:, 3], Y[:, 4]
    return np.stack([(bx - bw / 2) * width, (by - bh / 2) * height,
                     (bx + bw / 2) * width, (by + bh / 2) * height], axis=1).astype(np.float32)


def decode_target(y, image_size, threshold=0.5):
    """Read one (predicted) target vector back.

    Arguments:
        y: (5 + n_classes,) vector (p_c, b_x, b_y, b_h, b_w, c_1, ..., c_n).
        image_size: height (= width) or (height, width) in pixels.
        threshold: p_c above which the image is said to hold an object.
    Returns:
        (box, class_id, p_c): box as (x1, y1, x2, y2) pixels (float32 array (4,)) and the
        class with the largest c_i; box and class_id are None when p_c <= threshold.
    """
    y = np.asarray(y, dtype=np.float32)
    p_c = float(y[0])
    if p_c <= threshold:
        return None, None, p_c
    return decode_boxes(y[None], image_size)[0], int(np.argmax(y[5:])), p_c


def localization_loss(y_true, y_pred, box_weight=1.0):
    """The lecture's squared-error loss for classification with localization.

    For each example: (p_c_hat - p_c)^2, plus, when p_c = 1, the squared errors of the
    box (times ``box_weight``) and of the class scores. ``box_weight=1`` is the lecture's
    loss, the plain sum of squares over all components; YOLO weighs its box terms by 5.

    Arguments:
        y_true, y_pred: (m, 5 + n_classes) arrays or tensors.
    Returns:
        (m,) loss per example (Keras averages it over the batch).
    """
    y_true = ops.convert_to_tensor(y_true, dtype="float32")
    y_pred = ops.convert_to_tensor(y_pred, dtype="float32")
    squares = ops.square(y_pred - y_true)
    p_c = y_true[:, 0]
    return squares[:, 0] + p_c * (box_weight * ops.sum(squares[:, 1:5], axis=1) + ops.sum(squares[:, 5:], axis=1))


def localization_model(input_shape=(96, 96, 3), n_classes=N_CLASSES, filters=(16, 32, 64, 64)):
    """A small ConvNet that outputs the target vector y for one image.

    Arguments:
        input_shape: (H, W, 3); inputs are uint8-range pixel values (0..255).
        filters: filters of the conv blocks (3x3 conv with ReLU, then 2x2 max-pool, each).
    Returns:
        keras.Model mapping (m, H, W, 3) to (m, 5 + n_classes): p_c and the four box
        numbers through a sigmoid (they lie in [0, 1]), the class scores through a softmax.

    There is no batch normalization: at inference it normalises with running averages
    that lag behind the weights while they still move, which shifts every predicted box
    the same way (W3-1 shows it).
    """
    filters = check_shape("filters", filters)
    _check_input_shape(input_shape, 2 ** len(filters))
    n_classes = check_int("n_classes", n_classes, 1)
    inputs = keras.Input(input_shape)
    x = layers.Rescaling(1 / 255)(inputs)
    for n in filters:
        x = layers.Conv2D(n, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(128, activation="relu")(x)
    p_c_and_box = layers.Dense(5, activation="sigmoid", name="p_c_and_box")(x)
    class_probs = layers.Dense(n_classes, activation="softmax", name="classes")(x)
    return keras.Model(inputs, layers.Concatenate()([p_c_and_box, class_probs]), name="localizer")


def encode_landmarks(points, image_size, present=True):
    """Target vector for landmark detection: (p, l_1x, l_1y, ..., l_kx, l_ky), 1 + 2k values.

    Arguments:
        points: (k, 2) landmark positions (x, y) in pixels, always listed in the same
            order (landmark i is the same body or face point in every image).
        image_size: height (= width) or (height, width) in pixels.
        present: whether the object is in the image (p = 1); if not, the rest is 0.
    Returns:
        (1 + 2k,) float32 with coordinates as fractions of the image width and height.
    """
    height, width = _image_hw(image_size)
    points = np.asarray(points, dtype=np.float32)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points must have shape (k, 2) as (x, y) pixels, got {points.shape}")
    y = np.zeros(1 + 2 * len(points), np.float32)
    if present:
        y[0] = 1
        y[1:] = (points / [width, height]).reshape(-1)
    return y


def decode_landmarks(y, image_size):
    """Inverse of :func:`encode_landmarks`: (1 + 2k,) -> (p, points (k, 2) pixels)."""
    height, width = _image_hw(image_size)
    y = np.asarray(y, dtype=np.float32)
    return float(y[0]), y[1:].reshape(-1, 2) * [width, height]


def fc_window_classifier(input_shape=(14, 14, 3), n_classes=4):
    """The lecture's window classifier with fully connected layers.

    14x14x3 -> conv 5x5, 16 filters (10x10x16) -> max-pool 2 (5x5x16) -> FC 400 -> FC 400
    -> softmax over n_classes (pedestrian, car, motorcycle, background).
    """
    _check_input_shape(input_shape, 6)  # the 5x5 conv and the 2x2 pool need at least 6 pixels
    n_classes = check_int("n_classes", n_classes, 1)
    return keras.Sequential([
        keras.Input(input_shape),
        layers.Conv2D(16, 5, activation="relu", name="conv"),
        layers.MaxPooling2D(2, name="pool"),
        layers.Flatten(name="flatten"),
        layers.Dense(400, activation="relu", name="fc1"),
        layers.Dense(400, activation="relu", name="fc2"),
        layers.Dense(n_classes, activation="softmax", name="softmax"),
    ], name="fc_classifier")


def to_convolutional(fc_model):
    """Rewrite :func:`fc_window_classifier` with convolutions only, sharing its weights.

    FC 400 on the flattened 5x5x16 volume becomes a 5x5 convolution with 400 filters
    (each filter holds the 400 weights of one unit, reshaped), and the later FC layers
    become 1x1 convolutions. The result accepts any image of at least 14x14 pixels and
    returns one softmax vector per 14x14 window, windows being 2 pixels apart (the
    max-pool's stride): an (H, W, 3) image gives ((H - 14) / 2 + 1, (W - 14) / 2 + 1, n_classes).
    """
    if not isinstance(fc_model, keras.Model):
        raise TypeError(f"fc_model must be a keras.Model, got {type(fc_model).__name__}")
    names = [layer.name for layer in fc_model.layers]
    if names != ["conv", "pool", "flatten", "fc1", "fc2", "softmax"]:
        raise ValueError(f"fc_model must be built by fc_window_classifier, got layers {names}")
    conv, _, _, fc1, fc2, out = fc_model.layers
    side = int(round(np.sqrt(fc1.kernel.shape[0] // conv.filters)))  # the pooled volume is side x side
    model = keras.Sequential([
        keras.Input((None, None, conv.kernel.shape[2])),
        layers.Conv2D(conv.filters, conv.kernel_size, activation="relu", name="conv"),
        layers.MaxPooling2D(2, name="pool"),
        layers.Conv2D(fc1.units, side, activation="relu", name="fc1_as_conv"),
        layers.Conv2D(fc2.units, 1, activation="relu", name="fc2_as_conv"),
        layers.Conv2D(out.units, 1, activation="softmax", name="softmax_as_conv"),
    ], name="conv_classifier")
    model.get_layer("conv").set_weights(conv.get_weights())
    for dense, name in ((fc1, "fc1_as_conv"), (fc2, "fc2_as_conv"), (out, "softmax_as_conv")):
        kernel, bias = dense.get_weights()
        # Flatten reads the (h, w, c) volume row by row, so a plain reshape puts every weight in place.
        size = (side, side) if name == "fc1_as_conv" else (1, 1)
        model.get_layer(name).set_weights([kernel.reshape(*size, -1, dense.units), bias])
    return model


def sliding_window_predict(model, image, window=14, stride=2, batch_size=256):
    """Run a window classifier on every ``window`` x ``window`` crop of an image, ``stride`` apart.

    Arguments:
        model: a classifier taking (m, window, window, C) inputs.
        image: (H, W, C) array.
    Returns:
        (n_rows, n_cols, n_classes) with n_rows = (H - window) // stride + 1; entry (i, j) is
        the model's output for the crop image[i*stride : i*stride+window, j*stride : j*stride+window].
    """
    if not callable(model):
        raise TypeError(f"model must be a callable classifier (a keras.Model), got {type(model).__name__}")
    window = check_int("window", window, 1)
    stride = check_int("stride", stride, 1)
    batch_size = check_int("batch_size", batch_size, 1)
    image = check_image("image", image, ndim=(3,)).astype(np.float32)
    if image.shape[0] < window or image.shape[1] < window:
        raise ValueError(f"image must be (H, W, C) with H, W >= {window}, got shape {image.shape}")
    n_rows = (image.shape[0] - window) // stride + 1
    n_cols = (image.shape[1] - window) // stride + 1
    crops = np.stack([image[i * stride:i * stride + window, j * stride:j * stride + window]
                      for i in range(n_rows) for j in range(n_cols)])
    outputs = np.concatenate([np.asarray(model(crops[k:k + batch_size]))
                              for k in range(0, len(crops), batch_size)])
    return outputs.reshape(n_rows, n_cols, -1)
