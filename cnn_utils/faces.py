"""Face detection, verification and recognition with real pretrained models.

Two networks of the npm package ``@vladmandic/face-api`` (prepared by ``make assets``)
are rebuilt here as native Keras models and loaded with their converted weights:

* :func:`face_encoder`: a port of dlib's ResNet face recognition network. It maps a
  150x150 RGB face to a 128-D encoding f(x); two photos of one person are closer than
  :data:`THRESHOLD` (Euclidean distance) most of the time.
* :func:`tiny_face_detector`: a Tiny-YOLOv2 face detector (416x416 input, 13x13 grid,
  5 anchors, one class) whose output is decoded by the course's YOLO code
  (:func:`cnn_utils.yolo.yolo_head` and :func:`cnn_utils.yolo.yolo_eval`) in
  :func:`detect_faces`.

The tfjs weight files are uint8-quantised: each value is ``q * scale + min`` with
``scale`` and ``min`` read from the manifest. Each conv of the encoder is followed by a
per-channel scale and bias (a folded batch norm); both are folded into the Conv2D
kernel and bias here, which is exact.

The course's functions follow: :func:`img_to_encoding`, :func:`triplet_loss`,
:func:`verify`, :func:`who_is_it`, plus :func:`build_database` and the pieces used to
*learn* an encoder (:func:`embedding_network`, :func:`semi_hard_triplet_loss`,
:func:`siamese_classifier`, :func:`one_shot_accuracy`).
"""
import functools
import json
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from cnn_utils.config import DATA_DIR
from cnn_utils.pretrained import AssetError, REPAIR, npm_package_dir
from cnn_utils.validation import (check_image, check_int, check_model, check_path, check_real, check_seed,
                                  check_shape, open_image)

ENCODER_SIZE = 150
ENCODER_MEAN_RGB = (122.782, 117.001, 104.298)
DETECTOR_SIZE = 416
DETECTOR_MEAN_RGB = (117.001, 114.697, 97.404)
# Anchor (width, height) in grid cells, from face-api's tinyFaceDetector/const.ts.
DETECTOR_ANCHORS = np.array([[1.603231, 2.094468], [6.041143, 7.080126], [2.882459, 3.518061],
                             [4.266906, 5.178857], [9.041765, 10.66308]], dtype="float32")
DETECTOR_IOU_THRESHOLD = 0.4
# dlib's "same person" threshold on the Euclidean distance between two encodings.
THRESHOLD = 0.6
NOT_IN_DATABASE = "not in the database"
FACES_DIR = DATA_DIR / "faces"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


# --------------------------------------------------------------------------- weights
def load_tfjs_weights(model_name, model_dir=None):
    """Read a tfjs weights manifest and its ``.bin`` shards into NumPy arrays.

    Arguments:
        model_name: e.g. ``"face_recognition_model"``; reads
            ``<model_name>-weights_manifest.json`` in ``model_dir``.
        model_dir: folder of the manifest (default: face-api's ``package/model``).
    Returns a dict ``name -> float32 array`` with the manifest's shapes. Quantised
    entries (uint8 or uint16) are de-quantised as ``q * scale + min``.
    """
    if not isinstance(model_name, str):
        raise TypeError(f"model_name must be a non-empty str, got {type(model_name).__name__}")
    if not model_name:
        raise ValueError("model_name must be a non-empty str, got ''")
    model_dir = check_path("model_dir", model_dir) if model_dir is not None else npm_package_dir() / "model"
    manifest_path = model_dir / f"{model_name}-weights_manifest.json"
    if not manifest_path.is_file():
        raise AssetError(f"{manifest_path} not found: {REPAIR}")
    weights = {}
    for group in json.loads(manifest_path.read_text()):
        buffer = b"".join((model_dir / shard).read_bytes() for shard in group["paths"])
        offset = 0
        for entry in group["weights"]:
            size = int(np.prod(entry["shape"], dtype=np.int64))
            quantization = entry.get("quantization")
            if quantization:
                qtype = np.dtype(quantization["dtype"])
                q = np.frombuffer(buffer, qtype, size, offset)
                if qtype.kind == "f":  # float16 storage
                    values = q.astype("float32")
                else:
                    values = q.astype("float32") * quantization["scale"] + quantization["min"]
                offset += size * qtype.itemsize
            else:
                if entry["dtype"] != "float32":
                    raise ValueError(f"{manifest_path}: unsupported dtype {entry['dtype']!r} for {entry['name']}")
                values = np.frombuffer(buffer, "float32", size, offset)
                offset += size * 4
            weights[entry["name"]] = values.reshape(entry["shape"]).astype("float32")
        if offset != len(buffer):
            raise ValueError(f"{manifest_path}: read {offset} bytes but the shards hold {len(buffer)}")
    return weights


# --------------------------------------------------------------------------- encoder
class PadChannels(layers.Layer):
    """Append ``extra`` zero channels: (m, h, w, c) -> (m, h, w, c + extra)."""

    def __init__(self, extra, **kwargs):
        super().__init__(**kwargs)
        self.extra = check_int("extra", extra, 0)

    def call(self, x):
        return keras.ops.pad(x, [[0, 0], [0, 0], [0, 0], [0, self.extra]])

    def compute_output_shape(self, input_shape):
        return (*input_shape[:3], input_shape[3] + self.extra)

    def get_config(self):
        return {**super().get_config(), "extra": self.extra}


def _conv(x, filters, kernel_size, strides, padding, relu, name):
    """Conv2D whose kernel and bias absorb face-api's per-channel scale layer."""
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding=padding, name=name)(x)
    return layers.ReLU(name=f"{name}-relu")(x) if relu else x


def _residual(x, filters, name):
    """Identity block: conv-relu-conv, add the input, relu. Shape is kept."""
    out = _conv(x, filters, 3, 1, "same", True, f"{name}-conv1")
    out = _conv(out, filters, 3, 1, "same", False, f"{name}-conv2")
    out = layers.Add(name=f"{name}-add")([out, x])
    return layers.ReLU(name=f"{name}-out")(out)


def _residual_down(x, filters, name):
    """Down-sampling block: stride-2 conv path; shortcut = 2x2 average pool + zero channels.

    When the conv path is one row/column smaller than the pooled shortcut (odd sizes),
    it is zero-padded at the bottom/right, as in face-api's ``residualDown``.
    """
    out = _conv(x, filters, 3, 2, "valid", True, f"{name}-conv1")
    out = _conv(out, filters, 3, 1, "same", False, f"{name}-conv2")
    shortcut = layers.AveragePooling2D(2, 2, padding="valid", name=f"{name}-pool")(x)
    if shortcut.shape[-1] != filters:
        shortcut = PadChannels(filters - shortcut.shape[-1], name=f"{name}-pad")(shortcut)
    dh, dw = shortcut.shape[1] - out.shape[1], shortcut.shape[2] - out.shape[2]
    if dh or dw:
        out = layers.ZeroPadding2D(((0, dh), (0, dw)), name=f"{name}-zeropad")(out)
    out = layers.Add(name=f"{name}-add")([out, shortcut])
    return layers.ReLU(name=f"{name}-out")(out)


def face_encoder_model():
    """The encoder's architecture with random weights.

    Input (m, 150, 150, 3) RGB pixel values in [0, 255]; output (m, 128) encodings.
    Stem: conv 7x7/2 (valid) + max-pool 3/2; residual stages of 32, 64, 128, 256
    filters; global average pool; a bias-free dense layer to 128.
    """
    inputs = keras.Input((ENCODER_SIZE, ENCODER_SIZE, 3), name="face")
    x = layers.Normalization(mean=ENCODER_MEAN_RGB, variance=[255.0 ** 2] * 3, name="normalize")(inputs)
    x = _conv(x, 32, 7, 2, "valid", True, "conv32_down")
    x = layers.MaxPooling2D(3, 2, padding="valid", name="stem_pool")(x)
    for name in ("conv32_1", "conv32_2", "conv32_3"):
        x = _residual(x, 32, name)
    x = _residual_down(x, 64, "conv64_down")
    for name in ("conv64_1", "conv64_2", "conv64_3"):
        x = _residual(x, 64, name)
    x = _residual_down(x, 128, "conv128_down")
    for name in ("conv128_1", "conv128_2"):
        x = _residual(x, 128, name)
    x = _residual_down(x, 256, "conv256_down")
    for name in ("conv256_1", "conv256_2"):
        x = _residual(x, 256, name)
    x = _residual_down(x, 256, "conv256_down_out")
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    outputs = layers.Dense(128, use_bias=False, name="fc")(x)
    return keras.Model(inputs, outputs, name="face_encoder")


@functools.lru_cache(maxsize=1)
def face_encoder():
    """face-api's 128-D face encoder (dlib's ResNet) with its pretrained weights.

    Input (m, 150, 150, 3) RGB pixel values in [0, 255]; output (m, 128) float32.
    Each conv of the original is conv + bias, then ``* scale_w + scale_b`` per
    channel; this is folded into one Conv2D: kernel * scale_w, bias * scale_w + scale_b.
    The model is built once and cached.
    """
    model = face_encoder_model()
    weights = load_tfjs_weights("face_recognition_model")
    for layer in model.layers:
        if isinstance(layer, layers.Conv2D):
            prefix = layer.name.replace("-", "/")
            scale_w = weights[f"{prefix}/scale/weights"]
            kernel = weights[f"{prefix}/conv/filters"] * scale_w
            bias = weights[f"{prefix}/conv/bias"] * scale_w + weights[f"{prefix}/scale/biases"]
            layer.set_weights([kernel, bias])
    model.get_layer("fc").set_weights([weights["fc"]])
    return model


# --------------------------------------------------------------------------- detector
def tiny_face_detector_model():
    """The tiny face detector's architecture (Tiny-YOLOv2 with separable convs), random weights.

    Input (m, 416, 416, 3) RGB pixel values in [0, 255]; output (m, 13, 13, 25): for each
    of the 5 anchors, the raw (t_x, t_y, t_w, t_h, t_o) of YOLOv2.
    conv0 3x3 (valid) + leaky ReLU 0.1, max-pool 2/2; conv1..conv5 separable 3x3 (same)
    + leaky ReLU, each followed by max-pool 2 (stride 2, the last stride 1); conv8 1x1.
    """
    inputs = keras.Input((DETECTOR_SIZE, DETECTOR_SIZE, 3), name="image")
    x = layers.Normalization(mean=DETECTOR_MEAN_RGB, variance=[255.0 ** 2] * 3, name="normalize")(inputs)
    x = layers.Conv2D(16, 3, padding="valid", name="conv0")(x)
    x = layers.LeakyReLU(negative_slope=0.1, name="conv0-leaky")(x)
    x = layers.MaxPooling2D(2, 2, padding="same", name="pool0")(x)
    for i, filters in enumerate((32, 64, 128, 256, 512), start=1):
        x = layers.SeparableConv2D(filters, 3, padding="same", name=f"conv{i}")(x)
        x = layers.LeakyReLU(negative_slope=0.1, name=f"conv{i}-leaky")(x)
        x = layers.MaxPooling2D(2, 2 if i < 5 else 1, padding="same", name=f"pool{i}")(x)
    outputs = layers.Conv2D(len(DETECTOR_ANCHORS) * 5, 1, name="conv8")(x)
    return keras.Model(inputs, outputs, name="tiny_face_detector")


@functools.lru_cache(maxsize=1)
def tiny_face_detector():
    """face-api's tiny face detector with its pretrained weights (built once and cached).

    Input (m, 416, 416, 3) RGB pixel values in [0, 255]; output (m, 13, 13, 25).
    """
    model = tiny_face_detector_model()
    weights = load_tfjs_weights("tiny_face_detector_model")
    for name in ("conv0", "conv8"):
        model.get_layer(name).set_weights([weights[f"{name}/filters"], weights[f"{name}/bias"]])
    for i in range(1, 6):
        model.get_layer(f"conv{i}").set_weights(
            [weights[f"conv{i}/depthwise_filter"], weights[f"conv{i}/pointwise_filter"], weights[f"conv{i}/bias"]])
    return model


# --------------------------------------------------------------------------- images
def load_image(image):
    """A path or an array -> (H, W, 3) float32 RGB array with values in [0, 255].

    Arrays may be (H, W) grey, (H, W, 3) RGB or (H, W, 4) RGBA, integers in [0, 255]
    or floats in [0, 255]. A file that is not an image, or an array with NaN or
    infinite values, raises ``ValueError`` naming ``image``.
    """
    if isinstance(image, (str, Path)):
        from PIL import ImageOps

        image = ImageOps.exif_transpose(open_image("image", image))
    if not isinstance(image, (np.ndarray, tf.Tensor)) and not hasattr(image, "getbands"):  # PIL images have getbands
        raise TypeError(f"image must be a path or an array (H, W, 3), got {type(image).__name__}")
    image = check_image("image", image)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=-1)
    if image.shape[-1] not in (3, 4) or min(image.shape[:2]) < 1:
        raise ValueError(f"image must have shape (H, W, 3), (H, W, 4) or (H, W), got {image.shape}")
    return image[..., :3].astype("float32")


def _pad_to_square(image, centre):
    """(H, W, 3) -> (S, S, 3) with S = max(H, W), zero padding at the bottom/right or centred."""
    h, w = image.shape[:2]
    size = max(h, w)
    top, left = ((size - h) // 2, (size - w) // 2) if centre else (0, 0)
    return np.pad(image, ((top, size - h - top), (left, size - w - left), (0, 0)))


def _resize(image, size):
    """Bilinear resize without half-pixel centres, as tfjs's ``resizeBilinear`` (face-api)."""
    resized = tf.raw_ops.ResizeBilinear(images=image[None], size=(size, size),
                                        align_corners=False, half_pixel_centers=False)
    return resized[0].numpy()


# --------------------------------------------------------------------------- detection
def detect_faces(image, score_threshold=0.5, max_boxes=100, iou_threshold=DETECTOR_IOU_THRESHOLD):
    """Find faces with the tiny face detector; decode with the course's ``yolo_head``/``yolo_eval``.

    Arguments:
        image: a path or an (H, W, 3) array of RGB values in [0, 255].
        score_threshold: keep boxes whose score (sigmoid of t_o) is at least this.
    Returns ``(boxes, scores)``: boxes (n, 4) float32 ``(y1, x1, y2, x2)`` pixel coordinates
    in ``image``, clipped to it, best first; scores (n,) float32.

    The image is zero-padded at the bottom/right to a square of side S and resized to
    416x416, so boxes scaled by (S, S) are in the input image's pixels. The detector
    predicts objectness only (``num_classes=0``), so a box's score is sigmoid(t_o).
    """
    from cnn_utils.yolo import yolo_eval, yolo_head

    check_real("score_threshold", score_threshold, 0, 1)
    if score_threshold == 1:
        raise ValueError(f"score_threshold must be in [0, 1), got {score_threshold!r}")
    check_int("max_boxes", max_boxes, 1)
    check_real("iou_threshold", iou_threshold, 0, 1)
    image = load_image(image)
    height, width = image.shape[:2]
    side = max(height, width)
    x = _resize(_pad_to_square(image, centre=False), DETECTOR_SIZE)[None]
    feats = tiny_face_detector()(x, training=False)  # (1, 13, 13, 5 * 5)
    outputs = yolo_head(feats, DETECTOR_ANCHORS, num_classes=0)
    scores, boxes, _ = yolo_eval(outputs, image_shape=(side, side), max_boxes=max_boxes,
                                 score_threshold=score_threshold, iou_threshold=iou_threshold)
    boxes = np.asarray(boxes, dtype="float32").reshape(-1, 4)
    scores = np.asarray(scores, dtype="float32").reshape(-1)
    boxes = np.clip(boxes, 0, [height, width, height, width]).astype("float32")
    order = np.argsort(-scores, kind="stable")
    return boxes[order], scores[order]


def crop_face(image, box, margin=0.0):
    """Crop ``box`` (y1, x1, y2, x2) from ``image``, enlarged by ``margin`` of its size on each side."""
    image = load_image(image)
    box = np.asarray(box, dtype="float64")
    if box.shape != (4,):
        raise ValueError(f"box must be (y1, x1, y2, x2), got shape {box.shape}")
    check_real("margin", margin, 0)
    y1, x1, y2, x2 = box
    dy, dx = margin * (y2 - y1), margin * (x2 - x1)
    h, w = image.shape[:2]
    top, bottom = int(max(0, np.floor(y1 - dy))), int(min(h, np.ceil(y2 + dy)))
    left, right = int(max(0, np.floor(x1 - dx))), int(min(w, np.ceil(x2 + dx)))
    if bottom <= top or right <= left:
        raise ValueError(f"box {tuple(box)} does not overlap the image of shape {image.shape[:2]}")
    return image[top:bottom, left:right]


# --------------------------------------------------------------------------- encodings
def face_chip(image, size=ENCODER_SIZE, detect=True):
    """The square face image an encoder sees: (H, W, 3) photo -> (size, size, 3) float32 in [0, 255].

    With ``detect`` the face with the best detector score is cropped first
    (:func:`detect_faces`); if no face is found the whole image is used. The crop is
    zero-padded to a square (centred) and resized, as face-api does for its encoder.
    """
    check_int("size", size, 1)
    image = load_image(image)
    if detect:
        boxes, _ = detect_faces(image)
        if len(boxes):
            image = crop_face(image, boxes[0])
    return _resize(_pad_to_square(image, centre=True), size)


def img_to_encoding(image, model, detect=True):
    """The course's ``img_to_encoding``: one photo -> a (1, d) encoding.

    Arguments:
        image: a path or an (H, W, 3) array of RGB values in [0, 255]: a whole photo
            or a face crop.
        model: the encoder, e.g. :func:`face_encoder` (input (m, S, S, 3) in [0, 255]).
        detect: crop the detected face first (see :func:`face_chip`).
    Returns a (1, d) float32 NumPy array (d = 128 for :func:`face_encoder`).
    """
    check_model("model", model)
    if len(model.input_shape) != 4 or model.input_shape[1] is None or model.input_shape[1] != model.input_shape[2]:
        raise ValueError(f"model must take square images (m, S, S, 3), got input shape {model.input_shape}")
    chip = face_chip(image, size=model.input_shape[1], detect=detect)
    return np.asarray(model(chip[None], training=False), dtype="float32")


def triplet_loss(y_true, y_pred, alpha=0.2):
    """The course's triplet loss (FaceNet).

    Arguments:
        y_true: unused (Keras passes the labels).
        y_pred: (anchor, positive, negative), each of shape (m, d) (or (d,) for one triplet).
        alpha: the margin.
    Returns a scalar tensor: sum over the m triplets of
    max(||f(A) - f(P)||^2 - ||f(A) - f(N)||^2 + alpha, 0).
    """
    anchor, positive, negative = y_pred[0], y_pred[1], y_pred[2]
    pos_dist = tf.reduce_sum(tf.square(tf.subtract(anchor, positive)), axis=-1)
    neg_dist = tf.reduce_sum(tf.square(tf.subtract(anchor, negative)), axis=-1)
    basic_loss = pos_dist - neg_dist + alpha
    loss = tf.reduce_sum(tf.maximum(basic_loss, 0.0))
    return loss


def _check_database(database, threshold):
    """Check a database dict name -> (1, d) encoding and a threshold; return d (all entries share it)."""
    if not isinstance(database, dict):
        raise TypeError(f"database must be a dict name -> (1, d) encoding, got {type(database).__name__}")
    if not database:
        raise ValueError("database must hold at least one person, got an empty dict")
    check_real("threshold", threshold, 0)
    d = None
    for name, encoding in database.items():
        encoding = np.asarray(encoding)
        if encoding.dtype.kind not in "iuf":
            raise TypeError(f"database[{name!r}] must be a (1, d) array of numbers, got {encoding.dtype}")
        shape = encoding.shape
        if len(shape) not in (1, 2) or encoding.size != shape[-1] or (d is not None and shape[-1] != d):
            raise ValueError(f"database[{name!r}] must be a (1, d) encoding with the same d as the others, "
                             f"got shape {shape}" + (f" (d = {d} before)" if d is not None else ""))
        d = shape[-1]
    return d


def _check_encoding_size(encoding, d):
    """The image's (1, d') encoding must match the database's d."""
    if encoding.shape[-1] != d:
        raise ValueError(f"database holds encodings of size d = {d}, but model gives encodings of size "
                         f"{encoding.shape[-1]}")


def verify(image, identity, database, model, threshold=THRESHOLD):
    """Face verification (1:1): is the person in ``image`` the claimed ``identity``?

    Returns ``(dist, door_open)``: the Euclidean distance between the image's encoding
    and ``database[identity]`` (a float), and whether it is below ``threshold``.
    """
    d = _check_database(database, threshold)
    if identity not in database:
        raise ValueError(f"identity {identity!r} is not in the database; it has {sorted(database)}")
    encoding = img_to_encoding(image, model)
    _check_encoding_size(encoding, d)
    dist = float(np.linalg.norm(encoding - database[identity]))
    door_open = dist < threshold
    return dist, door_open


def who_is_it(image, database, model, threshold=THRESHOLD):
    """Face recognition (1:K): the database entry closest to the person in ``image``.

    Returns ``(min_dist, identity)``; ``identity`` is :data:`NOT_IN_DATABASE`
    (``"not in the database"``) when even the closest entry is farther than ``threshold``.
    """
    d = _check_database(database, threshold)
    encoding = img_to_encoding(image, model)
    _check_encoding_size(encoding, d)
    min_dist, identity = np.inf, None
    for name, db_enc in database.items():
        dist = float(np.linalg.norm(encoding - db_enc))
        if dist < min_dist:
            min_dist, identity = dist, name
    if min_dist > threshold:
        identity = NOT_IN_DATABASE
    return min_dist, identity


def user_photos(faces_dir=FACES_DIR):
    """Photos a user added as ``<faces_dir>/<name>/*.jpg`` (or .jpeg/.png): dict name -> paths."""
    faces_dir = check_path("faces_dir", faces_dir)
    if not faces_dir.is_dir():
        return {}
    people = {}
    for folder in sorted(p for p in faces_dir.iterdir() if p.is_dir()):
        paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if paths:
            people[folder.name] = paths
    return people


def build_database(people, model, faces_dir=FACES_DIR):
    """Encode every person's photos: dict name -> (1, d) mean encoding.

    Arguments:
        people: dict name -> one photo or a list of photos (paths or arrays); may be empty.
        model: the encoder (see :func:`img_to_encoding`).
        faces_dir: photos in ``<faces_dir>/<name>/*.jpg`` are added to ``people``
            (this is where a learner drops their own photos); None to skip.
    A person with several photos gets the mean of their encodings.
    """
    if not isinstance(people, dict):
        raise TypeError(f"people must be a dict name -> photo(s), got {type(people).__name__}")
    check_model("model", model)
    photos = {name: list(p) if isinstance(p, (list, tuple)) else [p] for name, p in people.items()}
    if faces_dir is not None:
        for name, paths in user_photos(faces_dir).items():
            photos.setdefault(name, []).extend(paths)
    database = {}
    for name, images in photos.items():
        if not images:
            raise ValueError(f"people[{name!r}] holds no photo")
        encodings = np.concatenate([img_to_encoding(image, model) for image in images])
        database[name] = encodings.mean(axis=0, keepdims=True)
    return database


def distance_matrix(encodings):
    """(n, d) encodings -> (n, n) Euclidean distances."""
    encodings = np.asarray(encodings, dtype="float64")
    assert encodings.ndim == 2, f"encodings must have shape (n, d), got {encodings.shape}"
    squared = np.sum((encodings[:, None, :] - encodings[None, :, :]) ** 2, axis=-1)
    return np.sqrt(squared)


# --------------------------------------------------------------------------- learning an encoder
def embedding_network(input_shape=(8, 8, 1), embedding_dim=32, normalize=True, name="encoder"):
    """A small ConvNet f(x): (m, *input_shape) in [0, 1] -> (m, embedding_dim).

    With ``normalize`` the encodings are scaled to unit length (as in FaceNet), so
    squared distances lie in [0, 4] and the margin alpha has a fixed meaning.
    """
    input_shape = check_shape("input_shape", input_shape, 3)
    if min(input_shape[:2]) < 2:
        raise ValueError(f"input_shape must be (height, width, channels) with height, width >= 2, got {input_shape!r}")
    check_int("embedding_dim", embedding_dim, 1)
    inputs = keras.Input(input_shape, name="image")
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(inputs)
    x = layers.Conv2D(64, 3, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(64, 3, padding="same", activation="relu")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(128, activation="relu")(x)
    x = layers.Dense(embedding_dim, name="embedding")(x)
    if normalize:
        x = layers.UnitNormalization(name="unit_norm")(x)
    return keras.Model(inputs, x, name=name)


def train_triplet_encoder(x, y, epochs=15, embedding_dim=32, alpha=0.2, batch_size=128, learning_rate=1e-3,
                          callbacks=(), validation_data=None, patience=3, name="triplet_encoder"):
    """Train an :func:`embedding_network` with the semi-hard triplet loss; return ``(encoder, history)``.

    Arguments:
        x: (m, H, W, C) images with values in [0, 1].
        y: (m,) integer classes (people); each shuffled batch of ``batch_size`` forms its
            own triplets (see :func:`semi_hard_triplet_loss`).
        callbacks: Keras callbacks, e.g. ``[training.OneLineLog("triplet encoder")]``.
        validation_data: optional ``(x_val, y_val)``, validation images and their classes
            (typically classes the encoder never trains on). Then training stops early on
            their one-shot accuracy (:class:`OneShotEarlyStopping` with ``patience``), the
            encoder keeps the weights of its best epoch, and the history holds
            ``val_one_shot_accuracy``; at most ``epochs`` epochs either way.
    Adam at ``learning_rate``; unit-length encodings of size ``embedding_dim``. Seed with
    ``config.set_seed`` first to repeat a run. Nothing is printed unless a callback does.
    """
    x = check_image("x", x, ndim=(4,))
    y = np.asarray(y).reshape(-1)
    if len(y) != len(x):
        raise ValueError(f"y must hold one class per image of x ({len(x)}), got {len(y)}")
    check_int("epochs", epochs, 1)
    callbacks = list(callbacks)
    if validation_data is not None:
        callbacks.insert(0, OneShotEarlyStopping(*validation_data, patience=patience))
    encoder = embedding_network(x.shape[1:], embedding_dim, name=name)
    encoder.compile(optimizer=keras.optimizers.Adam(learning_rate),
                    loss=lambda labels, embeddings: semi_hard_triplet_loss(labels, embeddings, alpha))
    history = encoder.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=True, verbose=0, callbacks=callbacks)
    return encoder, history


class OneShotEarlyStopping(keras.callbacks.Callback):
    """Early stopping on validation one-shot accuracy, keeping the weights of the best epoch.

    After every epoch it encodes the validation images ``x`` (m, H, W, C) with ``encoder``
    (default: the model being trained) and measures :func:`one_shot_accuracy` on their
    classes ``y`` (m,), with the same reference draws every epoch; encodings are compared
    with the logit of ``siamese`` when given (:func:`siamese_similarity`), else by Euclidean
    distance. The value is added to the epoch's logs as ``val_one_shot_accuracy`` and to
    ``values``. Training stops after ``patience`` epochs without a new best; at its end the
    trained model gets back the weights of its best epoch, ``best_epoch`` (counted from 1).
    """

    def __init__(self, x, y, encoder=None, siamese=None, patience=3, n_trials=20):
        super().__init__()
        self.x = check_image("x", x, ndim=(4,))
        self.y = np.asarray(y).reshape(-1)
        if len(self.y) != len(self.x):
            raise ValueError(f"y must hold one class per validation image of x ({len(self.x)}), got {len(self.y)}")
        self.encoder, self.siamese = encoder, siamese
        self.patience = check_int("patience", patience, 1)
        self.n_trials = check_int("n_trials", n_trials, 1)

    def on_train_begin(self, logs=None):
        self.values, self.best_epoch, self.best_weights = [], 0, None

    def on_epoch_end(self, epoch, logs=None):
        encoder = self.encoder if self.encoder is not None else self.model
        similarity = siamese_similarity(self.siamese) if self.siamese is not None else None
        value = one_shot_accuracy(encoder.predict(self.x, verbose=0), self.y, self.n_trials, similarity=similarity)
        if logs is not None:
            logs["val_one_shot_accuracy"] = value
        if not self.values or value > max(self.values):
            self.best_epoch, self.best_weights = epoch + 1, self.model.get_weights()
        elif epoch + 1 - self.best_epoch >= self.patience:
            self.model.stop_training = True
        self.values.append(value)

    def on_train_end(self, logs=None):
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)


def pairwise_squared_distances(embeddings):
    """(m, d) -> (m, m) squared Euclidean distances ||e_i - e_j||^2 (a tensor, >= 0)."""
    embeddings = tf.cast(embeddings, "float32")
    diff = embeddings[:, None, :] - embeddings[None, :, :]
    return tf.reduce_sum(tf.square(diff), axis=-1)


def semi_hard_triplet_loss(labels, embeddings, alpha=0.2):
    """Triplet loss with online semi-hard negative selection (FaceNet), for a batch.

    Arguments:
        labels: (m,) or (m, 1) integer class of each example.
        embeddings: (m, d) encodings of the batch.
        alpha: the margin.
    Every pair (A, P) of different examples with the same label is an anchor-positive
    pair. Its negative N is the semi-hard one: the closest negative that is still
    farther from A than P (d(A, P) < d(A, N), so the triplet is hard but not
    degenerate); when every negative is closer than P, the farthest of them.
    Returns the mean over anchor-positive pairs of max(d(A, P) - d(A, N) + alpha, 0),
    with d the squared Euclidean distance; 0 when the batch has no pair.
    """
    labels = tf.reshape(tf.cast(labels, "int32"), [-1])
    dist = pairwise_squared_distances(embeddings)  # (m, m)
    same = tf.equal(labels[:, None], labels[None, :])
    m = tf.shape(labels)[0]
    positive_mask = tf.logical_and(same, tf.logical_not(tf.eye(m, dtype=tf.bool)))  # (A, P)
    negative_mask = tf.logical_not(same)  # (A, N)
    d_ap = dist[:, :, None]  # (A, P, 1)
    d_an = tf.broadcast_to(dist[:, None, :], [m, m, m])  # (A, P, N)
    negative = tf.broadcast_to(negative_mask[:, None, :], [m, m, m])
    outside = tf.logical_and(negative, d_an > d_ap)  # semi-hard candidates
    big = tf.reduce_max(dist) + 1.0
    closest_outside = tf.reduce_min(tf.where(outside, d_an, big), axis=-1)  # (A, P)
    farthest_inside = tf.reduce_max(tf.where(negative, d_an, -big), axis=-1)
    has_outside = tf.reduce_any(outside, axis=-1)
    d_an_chosen = tf.where(has_outside, closest_outside, farthest_inside)
    losses = tf.maximum(dist - d_an_chosen + alpha, 0.0)
    valid = tf.logical_and(positive_mask, tf.reduce_any(negative_mask, axis=-1, keepdims=True))
    valid = tf.cast(valid, losses.dtype)
    return tf.reduce_sum(losses * valid) / tf.maximum(tf.reduce_sum(valid), 1.0)


def siamese_classifier(encoder, nonpositive_weights=False, name="siamese"):
    """The lecture's alternative to the triplet loss: y_hat = sigmoid(sum_k w_k |f(x_i)_k - f(x_j)_k| + b).

    Both inputs go through the same ``encoder`` (shared weights). Inputs: two batches
    of shape (m, *encoder input shape); output (m, 1), the probability of "same class".

    With ``nonpositive_weights`` every w_k is kept <= 0 (the layer holds -w_k >= 0 and
    reads -|f(x_i)_k - f(x_j)_k|), so a larger difference can only lower the
    probability of "same". Free weights (the lecture's formula) may take either sign.
    """
    check_model("encoder", encoder)
    shape = encoder.input_shape[1:]
    x_i, x_j = keras.Input(shape, name="x_i"), keras.Input(shape, name="x_j")
    diff = layers.Subtract(name="difference")([encoder(x_i), encoder(x_j)])
    if nonpositive_weights:
        diff = layers.Activation(lambda t: -keras.ops.abs(t), name="minus_abs")(diff)
        logistic = layers.Dense(1, activation="sigmoid", kernel_constraint="non_neg", name="logistic")
    else:
        diff = layers.Activation(keras.ops.abs, name="abs")(diff)
        logistic = layers.Dense(1, activation="sigmoid", name="logistic")
    return keras.Model([x_i, x_j], logistic(diff), name=name)


def siamese_similarity(siamese):
    """The logit of a :func:`siamese_classifier` as a similarity for :func:`one_shot_accuracy`.

    Returns a function (queries (q, d), references (k, d)) -> (q, k) of
    sum_k w_k |q_k - r_k| + b, computed on encodings (higher is more alike).
    """
    check_model("siamese", siamese)
    w, b = siamese.get_layer("logistic").get_weights()
    w = -w[:, 0] if "minus_abs" in [layer.name for layer in siamese.layers] else w[:, 0]
    return lambda queries, references: np.abs(queries[:, None, :] - references[None, :, :]) @ w + b[0]


def make_pairs(labels, n_pairs, seed=0):
    """Index pairs for verification: half of the same class, half of different classes.

    Returns ``(i, j, same)``: (n_pairs,) int indices into ``labels`` and (n_pairs,) float32
    targets (1 same class, 0 different).
    """
    n_pairs = check_int("n_pairs", n_pairs, 1)
    seed = check_seed("seed", seed)
    labels = np.asarray(labels).reshape(-1)
    if len(np.unique(labels)) < 2:
        raise ValueError("labels must hold at least two classes to make pairs")
    rng = np.random.default_rng(seed)
    by_class = {c: np.flatnonzero(labels == c) for c in np.unique(labels)}
    classes = [c for c, idx in by_class.items() if len(idx) >= 2]
    if not classes:
        raise ValueError("labels must hold at least one class with two or more examples to make same-class pairs")
    first, second, same = [], [], []
    for k in range(n_pairs):
        if k % 2 == 0:
            i, j = rng.choice(by_class[rng.choice(classes)], 2, replace=False)
        else:
            i = rng.integers(len(labels))
            j = rng.choice(np.flatnonzero(labels != labels[i]))
        first.append(i)
        second.append(j)
        same.append(float(labels[i] == labels[j]))
    return np.array(first), np.array(second), np.array(same, dtype="float32")


def one_shot_accuracy(embeddings, labels, n_trials=20, seed=0, similarity=None):
    """K-way one-shot classification accuracy with one reference example per class.

    Each trial draws one reference per class at random; every other example is given
    the class of its most similar reference. Returns the mean accuracy over trials.

    Arguments:
        embeddings: (n, d) encodings; labels: (n,) classes.
        similarity: function (queries (q, d), references (k, d)) -> (q, k), higher is
            more alike; default: minus the Euclidean distance.
    """
    embeddings = np.asarray(embeddings, dtype="float32")
    labels = np.asarray(labels).reshape(-1)
    if embeddings.ndim != 2 or len(embeddings) != len(labels):
        raise ValueError(f"embeddings must be (n, d) with n = len(labels) = {len(labels)}, got {embeddings.shape}")
    n_trials = check_int("n_trials", n_trials, 1)
    seed = check_seed("seed", seed)
    if similarity is not None and not callable(similarity):
        raise TypeError("similarity must be a function (queries, references) -> scores, "
                        f"got {type(similarity).__name__}")
    if len(np.unique(labels)) >= len(labels):
        raise ValueError("labels must have at least one class with two or more examples (one reference, one query)")
    if similarity is None:
        def similarity(queries, references):
            return -np.linalg.norm(queries[:, None, :] - references[None, :, :], axis=-1)
    rng = np.random.default_rng(seed)
    classes = np.unique(labels)
    accuracies = []
    for _ in range(n_trials):
        refs = np.array([rng.choice(np.flatnonzero(labels == c)) for c in classes])
        queries = np.setdiff1d(np.arange(len(labels)), refs)
        scores = np.asarray(similarity(embeddings[queries], embeddings[refs]))
        predicted = classes[np.argmax(scores, axis=1)]
        accuracies.append(np.mean(predicted == labels[queries]))
    return float(np.mean(accuracies))
