"""YOLOv2 detection: decoding (the course's functions), anchors, targets, loss and a small network.

Conventions follow YAD2K, which the course's car-detection assignment uses:

* A network output ``feats`` has shape (m, S, S, A * (5 + C)) or (m, S, S, A, 5 + C):
  an S x S grid, A anchor boxes per cell and C classes. For each (cell, anchor) the
  last axis holds raw values ``(t_x, t_y, t_w, t_h, t_o, class logits...)``.
* ``anchors`` is an (A, 2) array of anchor (width, height) in grid-cell units.
* ``box_xy`` and ``box_wh`` are box centres and sizes as fractions of the image (0..1).
* Corner boxes are ``(y1, x1, y2, x2)`` (top, left, bottom, right), TensorFlow's order;
  :func:`iou` takes ``(x1, y1, x2, y2)`` as in the course's exercise.
"""
import functools
import os

import keras
import numpy as np
import tensorflow as tf

from cnn_utils.config import DATA_DIR
from cnn_utils.validation import check_image, check_int, check_model, check_path, check_real, check_shape, open_image


# ---------------------------------------------------------------------------
# Decoding a network output (inference)
# ---------------------------------------------------------------------------

def _check_anchors(anchors):
    try:
        anchors = np.asarray(anchors, dtype="float32")
    except (TypeError, ValueError):
        raise TypeError(f"anchors must be a (num_anchors, 2) array of numbers, got {type(anchors).__name__}") from None
    if anchors.ndim != 2 or anchors.shape[1] != 2 or len(anchors) == 0:
        raise ValueError(f"anchors must have shape (num_anchors, 2), got {anchors.shape}")
    return anchors


def _check_image_shape(image_shape, name="image_shape"):
    """Raise unless ``image_shape`` is (height, width) with positive sizes; return it as two floats."""
    try:
        height, width = (float(v) for v in image_shape)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be (height, width), got {image_shape!r}") from None
    if not (height > 0 and width > 0):
        raise ValueError(f"{name} must be (height, width) with positive sizes, got {image_shape!r}")
    return height, width


def yolo_head(feats, anchors, num_classes, class_activation="softmax"):
    """Turn raw YOLO outputs into boxes, confidences and class probabilities.

    Arguments:
        feats: (m, S_h, S_w, A * (5 + C)) or (m, S_h, S_w, A, 5 + C) raw network outputs
            (one head; YOLOv3 has several, decode each with its own anchors).
        anchors: (A, 2) anchor (width, height) in grid-cell units.
        num_classes: C. With C = 0 (a one-class detector that predicts only
            objectness, like face-api's Tiny-YOLOv2) every box gets one class of probability 1.
        class_activation: "softmax" (YOLOv2: the classes compete, their probabilities sum
            to 1) or "sigmoid" (YOLOv3: one logistic per class, each scored on its own).
    Returns:
        box_xy: (m, S_h, S_w, A, 2) box centres (x, y) as fractions of the image width/height,
            ``(sigmoid(t_xy) + cell index) / grid size``.
        box_wh: (m, S_h, S_w, A, 2) box (width, height) as fractions of the image,
            ``exp(t_wh) * anchor / grid size``.
        box_confidence: (m, S_h, S_w, A, 1) ``sigmoid(t_o)``, the probability that a box holds an object.
        box_class_probs: (m, S_h, S_w, A, max(C, 1)) softmax (or sigmoid) of the class logits.
    """
    anchors = np.asarray(anchors, dtype="float32")
    feats = tf.convert_to_tensor(feats)
    feats = feats if feats.dtype.is_floating else tf.cast(feats, "float32")
    num_anchors, depth = len(anchors), 5 + num_classes
    if feats.shape[-1] != num_anchors * depth and feats.shape[-2:] != (num_anchors, depth):
        raise ValueError(f"feats must be (m, S_h, S_w, {num_anchors} * (5 + {num_classes})), got {feats.shape}")
    feats = tf.reshape(feats, tf.concat([tf.shape(feats)[:3], [num_anchors, depth]], axis=0))  # (m, S_h, S_w, A, 5 + C)

    grid_h, grid_w = tf.shape(feats)[1], tf.shape(feats)[2]
    # cell_xy[i, j] = (j, i): column index is x, row index is y.
    cols, rows = tf.meshgrid(tf.range(grid_w), tf.range(grid_h))
    cell_xy = tf.cast(tf.stack([cols, rows], axis=-1)[None, :, :, None, :], feats.dtype)
    grid_wh = tf.cast(tf.reshape(tf.stack([grid_w, grid_h]), [1, 1, 1, 1, 2]), feats.dtype)
    anchors_tensor = tf.reshape(tf.constant(anchors, dtype=feats.dtype), [1, 1, 1, num_anchors, 2])

    box_xy = (tf.sigmoid(feats[..., 0:2]) + cell_xy) / grid_wh
    box_wh = tf.exp(feats[..., 2:4]) * anchors_tensor / grid_wh
    box_confidence = tf.sigmoid(feats[..., 4:5])
    if num_classes == 0:
        box_class_probs = tf.ones_like(box_confidence)
    elif class_activation == "sigmoid":
        box_class_probs = tf.sigmoid(feats[..., 5:])
    else:
        box_class_probs = tf.nn.softmax(feats[..., 5:], axis=-1)
    return box_xy, box_wh, box_confidence, box_class_probs


def yolo_boxes_to_corners(box_xy, box_wh):
    """Centre/size boxes to corners.

    Arguments:
        box_xy: (..., 2) centres (x, y); box_wh: (..., 2) sizes (w, h), in any one unit.
    Returns:
        (..., 4) corners ``(y1, x1, y2, x2)`` (YAD2K's order, used by ``tf.image``).
    """
    box_xy = tf.convert_to_tensor(box_xy)
    box_wh = tf.convert_to_tensor(box_wh, dtype=box_xy.dtype)
    box_mins = box_xy - box_wh / 2.0
    box_maxes = box_xy + box_wh / 2.0
    # (x, y) -> (y, x) by reversing the last axis.
    return tf.concat([box_mins[..., ::-1], box_maxes[..., ::-1]], axis=-1)


def yolo_filter_boxes(boxes, box_confidence, box_class_probs, threshold=0.6):
    """Keep the boxes whose best class score ``p_c * c_i`` is at least ``threshold``.

    Arguments:
        boxes: (..., 4) boxes, e.g. (19, 19, 5, 4).
        box_confidence: (..., 1) objectness p_c, e.g. (19, 19, 5, 1).
        box_class_probs: (..., C) class probabilities, e.g. (19, 19, 5, 80).
        threshold: keep boxes with score >= threshold.
    Returns:
        scores: (n,) best class score of each kept box.
        boxes: (n, 4) the kept boxes.
        classes: (n,) int64 index of the best class of each kept box.
    """
    box_scores = box_confidence * box_class_probs
    box_classes = tf.math.argmax(box_scores, axis=-1)
    box_class_scores = tf.math.reduce_max(box_scores, axis=-1)
    # The same as tf.boolean_mask with the mask (box_class_scores >= threshold),
    # but computing the kept indices once.
    kept = tf.where(box_class_scores >= threshold)
    scores = tf.gather_nd(box_class_scores, kept)
    boxes = tf.gather_nd(boxes, kept)
    classes = tf.gather_nd(box_classes, kept)
    return scores, boxes, classes


def iou(box1, box2):
    """Intersection over union of boxes given as ``(x1, y1, x2, y2)`` (x2 > x1, y2 > y1).

    Arguments:
        box1, box2: array-likes of shape (..., 4) that broadcast against each other.
    Returns:
        (...) IoU in [0, 1]; a Python float when both inputs are single boxes.
        Boxes that do not overlap (or only touch) have IoU 0.
    """
    box1 = np.asarray(box1, dtype="float64")
    box2 = np.asarray(box2, dtype="float64")
    xi1 = np.maximum(box1[..., 0], box2[..., 0])
    yi1 = np.maximum(box1[..., 1], box2[..., 1])
    xi2 = np.minimum(box1[..., 2], box2[..., 2])
    yi2 = np.minimum(box1[..., 3], box2[..., 3])
    inter_area = np.maximum(xi2 - xi1, 0) * np.maximum(yi2 - yi1, 0)
    box1_area = (box1[..., 2] - box1[..., 0]) * (box1[..., 3] - box1[..., 1])
    box2_area = (box2[..., 2] - box2[..., 0]) * (box2[..., 3] - box2[..., 1])
    union_area = box1_area + box2_area - inter_area
    result = np.where(union_area > 0, inter_area / np.where(union_area > 0, union_area, 1), 0.0)
    return float(result) if result.ndim == 0 else result


def yolo_non_max_suppression(scores, boxes, classes, max_boxes=10, iou_threshold=0.5):
    """Non-max suppression applied separately to each class (the notebook's exercise).

    A box is removed when it overlaps a higher-scoring box *of the same class* with
    IoU above ``iou_threshold``; boxes of different classes never suppress each other
    (the lecture: "for each class, use non-max suppression").

    Arguments:
        scores: (n,) box scores.
        boxes: (n, 4) boxes ``(y1, x1, y2, x2)``.
        classes: (n,) integer classes.
        max_boxes: the most boxes returned, over all classes.
        iou_threshold: IoU above which the lower-scoring box is discarded (TensorFlow's
            convention; the lecture's ">= 0.5" differs only for an IoU of exactly 0.5).
    Returns:
        scores (k,), boxes (k, 4), classes (k,), k <= max_boxes, sorted by decreasing score.
    """
    scores, boxes, classes = (tf.convert_to_tensor(t) for t in (scores, boxes, classes))
    kept = [tf.zeros([0], "int64")]  # an empty start: no boxes in, no boxes out
    for c in tf.unique(classes)[0]:
        in_class = tf.where(classes == c)[:, 0]
        nms_indices = tf.image.non_max_suppression(tf.gather(boxes, in_class), tf.gather(scores, in_class),
                                                   max_boxes, iou_threshold)
        kept.append(tf.gather(in_class, nms_indices))
    kept = tf.concat(kept, axis=0)
    order = tf.argsort(tf.gather(scores, kept), direction="DESCENDING", stable=True)
    kept = tf.gather(kept, order)[:max_boxes]
    return tf.gather(scores, kept), tf.gather(boxes, kept), tf.gather(classes, kept)


def yolo_non_max_suppression_offset(scores, boxes, classes, max_boxes=10, iou_threshold=0.5):
    """The same per-class NMS as :func:`yolo_non_max_suppression`, in one NMS call.

    Every class is shifted into its own region of the plane, so that boxes of
    different classes cannot overlap; then one ``tf.image.non_max_suppression``
    treats each class separately. No Python loop, so it also runs inside a
    ``tf.function`` (``bench/yolo.py`` compares the two). Same arguments and result.
    """
    coords = tf.cast(boxes, "float32")
    span = tf.reduce_max(tf.concat([tf.reshape(tf.abs(coords), [-1]), [0.0]], axis=0)) * 2.0 + 1.0
    shifted = coords + tf.cast(classes, "float32")[:, None] * span
    nms_indices = tf.image.non_max_suppression(shifted, tf.cast(scores, "float32"), max_boxes, iou_threshold)
    return tf.gather(scores, nms_indices), tf.gather(boxes, nms_indices), tf.gather(classes, nms_indices)


def scale_boxes(boxes, image_shape):
    """Scale boxes from fractions of the image to pixels.

    Arguments:
        boxes: (..., 4) boxes ``(y1, x1, y2, x2)`` as fractions of the image.
        image_shape: (height, width) in pixels.
    Returns:
        (..., 4) boxes in pixels.
    """
    height, width = image_shape
    boxes = tf.convert_to_tensor(boxes)
    image_dims = tf.constant([[height, width, height, width]], dtype=boxes.dtype)
    return boxes * image_dims


def concat_heads(heads):
    """Join the decoded heads of one image into one ``(box_xy, box_wh, box_confidence, box_class_probs)``.

    Arguments:
        heads: a list with one :func:`yolo_head` output per head, for ONE image (YOLOv3-tiny
            has two, 13x13 and 26x26; YOLOv3 three).
    Returns the four tensors with every (cell, anchor) of every head in one list of boxes:
    (N, 2), (N, 2), (N, 1), (N, C), N the sum over heads of S_h * S_w * A. The course's
    :func:`yolo_eval` (or yours) takes this as it takes one head.
    """
    return tuple(tf.concat([tf.reshape(head[i], [-1, head[i].shape[-1]]) for head in heads], axis=0)
                 for i in range(4))


def yolo_eval(yolo_outputs, image_shape=(720, 1280), max_boxes=10, score_threshold=.6, iou_threshold=.5):
    """Detections of one image from the output of :func:`yolo_head`.

    Arguments:
        yolo_outputs: ``(box_xy, box_wh, box_confidence, box_class_probs)`` for ONE image,
            shapes (1, S, S, A, 2), (1, S, S, A, 2), (1, S, S, A, 1), (1, S, S, A, C)
            (the leading 1 may be left out); or a list of such tuples, one per head
            (YOLOv3), joined by :func:`concat_heads`.
        image_shape: (height, width) of the image in pixels.
        max_boxes: the most boxes returned.
        score_threshold: boxes with best class score below it are dropped.
        iou_threshold: NMS threshold, per class.
    Returns:
        scores (k,), boxes (k, 4) as ``(y1, x1, y2, x2)`` pixels of ``image_shape``,
        classes (k,) int64, sorted by decreasing score.
    """
    if not isinstance(yolo_outputs, (tuple, list)):
        raise TypeError("yolo_outputs must be a tuple (box_xy, box_wh, box_confidence, box_class_probs) "
                        f"or a list of them, one per head, got {type(yolo_outputs).__name__}")
    several = all(isinstance(head, (tuple, list)) for head in yolo_outputs)
    for head in yolo_outputs if several else [yolo_outputs]:
        if len(head) != 4:
            raise ValueError("yolo_outputs must be (box_xy, box_wh, box_confidence, box_class_probs) "
                             f"or a list of them, got {len(head)} items")
        if tf.convert_to_tensor(head[0]).shape.rank == 5 and head[0].shape[0] != 1:
            raise ValueError(f"yolo_eval decodes one image; box_xy has a batch of {head[0].shape[0]}")
    image_shape = _check_image_shape(image_shape)
    check_int("max_boxes", max_boxes, 1)
    check_real("score_threshold", score_threshold, 0, 1)
    check_real("iou_threshold", iou_threshold, 0, 1)
    if several:
        yolo_outputs = concat_heads(yolo_outputs)
    box_xy, box_wh, box_confidence, box_class_probs = yolo_outputs
    boxes = yolo_boxes_to_corners(box_xy, box_wh)
    scores, boxes, classes = yolo_filter_boxes(boxes, box_confidence, box_class_probs, score_threshold)
    boxes = scale_boxes(boxes, image_shape)
    return yolo_non_max_suppression(scores, boxes, classes, max_boxes, iou_threshold)


def read_classes(classes_path):
    """Class names, one per line of a text file (e.g. ``coco_classes.txt`` or ``coco.names``)."""
    path = check_path("classes_path", classes_path)
    if not path.is_file():
        raise FileNotFoundError(f"classes_path {path} does not exist")
    names = [line.strip() for line in path.read_text().splitlines()]
    return [name for name in names if name]


def read_anchors(anchors_path):
    """Anchors from a text file of comma-separated numbers ``w1, h1, w2, h2, ...`` -> (A, 2) array."""
    path = check_path("anchors_path", anchors_path)
    if not path.is_file():
        raise FileNotFoundError(f"anchors_path {path} does not exist")
    values = [float(v) for v in path.read_text().replace("\n", ",").split(",") if v.strip()]
    if not values or len(values) % 2:
        raise ValueError(f"{path} must hold an even number of comma-separated values, got {len(values)}")
    return np.array(values, dtype="float32").reshape(-1, 2)


def predict(model, images, anchors, num_classes, max_boxes=10, score_threshold=0.6, iou_threshold=0.5,
            batch_size=32):
    """Run a YOLO model on images and decode each image with :func:`yolo_eval`.

    Arguments:
        model: a Keras model mapping ``images`` to raw outputs (m, S, S, A * (5 + C)) or (m, S, S, A, 5 + C).
        images: (m, H, W, 3) array already prepared as the model expects.
    Returns:
        a list of m tuples ``(scores (k,), boxes (k, 4) as (y1, x1, y2, x2) pixels of (H, W), classes (k,))``
        as NumPy arrays.
    """
    check_model("model", model)
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(f"images must have shape (m, H, W, channels), got {images.shape}")
    check_int("batch_size", batch_size, 1)
    feats = model.predict(images, batch_size=batch_size, verbose=0)
    outputs = yolo_head(feats, anchors, num_classes)
    results = []
    for i in range(len(images)):
        one = tuple(t[i:i + 1] for t in outputs)
        scores, boxes, classes = yolo_eval(one, images.shape[1:3], max_boxes, score_threshold, iou_threshold)
        results.append((scores.numpy(), boxes.numpy(), classes.numpy()))
    return results


# ---------------------------------------------------------------------------
# A real pretrained detector: YOLOv3-tiny on COCO, on photos
# ---------------------------------------------------------------------------

YOLOV3_TINY_CFG = DATA_DIR / "darknet" / "yolov3-tiny.cfg"
COCO_NAMES = DATA_DIR / "darknet" / "coco.names"
LETTERBOX_SIZE = 416  # YOLOv3-tiny's input: 416 x 416


@functools.lru_cache(maxsize=1)
def yolov3_tiny():
    """The pretrained YOLOv3-tiny (COCO, 80 classes), built once and cached.

    Darknet's ``yolov3-tiny.cfg`` read by :func:`cnn_utils.darknet.load_darknet` with the
    published weights that ``make assets`` fetches. Input (m, 416, 416, 3) RGB in [0, 1];
    outputs [(m, 13, 13, 255), (m, 26, 26, 255)]: per cell 3 anchors x (5 + 80) numbers.
    Raises ``AssetError`` naming ``make assets`` when the weights are missing or corrupted.
    """
    from cnn_utils import darknet, pretrained

    return darknet.load_darknet(YOLOV3_TINY_CFG, pretrained.asset_file("yolov3-tiny"))


def yolov3_tiny_heads(outputs):
    """Decode YOLOv3-tiny's raw outputs with :func:`yolo_head`, head by head.

    Each head has its own 3 anchors (``mask`` in the cfg), given in pixels of the
    416 x 416 input: divided by the head's stride (416 / 13 = 32, 416 / 26 = 16) they
    are in grid cells, as ``yolo_head`` expects. Class scores are logistic (sigmoid):
    YOLOv3 scores each class on its own where YOLOv2 used a softmax.

    Arguments:
        outputs: the list [(m, 13, 13, 255), (m, 26, 26, 255)] of :func:`yolov3_tiny`.
    Returns a list with one ``(box_xy, box_wh, box_confidence, box_class_probs)`` per head.
    """
    from cnn_utils import darknet

    heads = []
    for feats, (anchors, num_classes) in zip(outputs, darknet.yolo_params(YOLOV3_TINY_CFG)):
        stride = LETTERBOX_SIZE / feats.shape[1]
        heads.append(yolo_head(feats, anchors / stride, num_classes, class_activation="sigmoid"))
    return heads


def letterbox(image, size=LETTERBOX_SIZE):
    """Darknet's preprocessing for YOLOv3: resize keeping the aspect ratio, centred on grey.

    The longer side becomes ``size``; the rest of the ``size`` x ``size`` square is grey
    (0.5), as in Darknet's ``letterbox_image``. A plain resize to 416 x 416 would squeeze
    a wide street photo instead; the network was run letterboxed by its authors.

    Arguments:
        image: (H, W, 3) float RGB in [0, 1].
    Returns ``(boxed, frame, offset)``: boxed (size, size, 3) float32; and how to map boxes
    back exactly: a box given as fractions of the square is, in the image's pixels,
    ``fractions * (frame_h, frame_w) - (offset_y, offset_x)`` (the frame is the square
    measured in image pixels, the offset the grey margin above and to the left).
    """
    height, width = image.shape[:2]
    scale = min(size / width, size / height)
    new_h, new_w = max(1, int(height * scale)), max(1, int(width * scale))
    top, left = (size - new_h) // 2, (size - new_w) // 2
    resized = tf.image.resize(tf.convert_to_tensor(image, "float32"), (new_h, new_w), antialias=True)
    boxed = tf.pad(resized - 0.5, [[top, size - new_h - top], [left, size - new_w - left], [0, 0]]) + 0.5
    sy, sx = height / new_h, width / new_w  # image pixels per pixel of the resized image
    return boxed.numpy(), (size * sy, size * sx), (top * sy, left * sx)


def _photo(image):
    """``image`` of :func:`detect_objects` -> (H, W, 3) float32 RGB in [0, 1]."""
    if isinstance(image, (str, os.PathLike)):
        image = np.asarray(open_image("image", image), "float32") / 255.0
    array = check_image("image", image, ndim=(3,))
    if array.shape[-1] != 3 or min(array.shape[:2]) < 1:
        raise ValueError(f"image must have shape (H, W, 3), got {array.shape}")
    if array.dtype == np.uint8:
        return array.astype("float32") / 255.0
    if array.dtype.kind != "f":
        raise TypeError(f"image must be uint8 or floats in [0, 1], got dtype {array.dtype}")
    if array.min() < 0 or array.max() > 1:
        raise ValueError(f"image must hold floats in [0, 1] (or be uint8), got values in "
                         f"[{array.min():.3g}, {array.max():.3g}]")
    return array.astype("float32")


@functools.lru_cache(maxsize=1)
def compiled_yolov3_tiny():
    """:func:`yolov3_tiny` and :func:`yolov3_tiny_heads` for one letterboxed image, compiled once
    with ``tf.function``: (1, 416, 416, 3) -> one ``yolo_head`` output per head."""
    model = yolov3_tiny()

    @tf.function(input_signature=[tf.TensorSpec((1, LETTERBOX_SIZE, LETTERBOX_SIZE, 3), tf.float32)])
    def heads(x):
        return yolov3_tiny_heads(model(x, training=False))

    return heads


def detect_objects(image, score_threshold=0.3, iou_threshold=0.45, max_boxes=100):
    """Find the COCO objects (people, cars, buses, dogs, ... 80 classes) in a photo with YOLOv3-tiny.

    The photo is letterboxed to 416 x 416 (:func:`letterbox`), run through the pretrained
    network (:func:`yolov3_tiny`), each head decoded by :func:`yolo_head` with logistic
    class scores, and the heads joined and filtered by the course's :func:`yolo_eval`
    (score threshold, then per-class non-max suppression). Boxes are mapped back to the
    photo's pixels exactly and clipped to it.

    Arguments:
        image: an (H, W, 3) uint8 RGB array, a float array in [0, 1], or a path to an image file.
        score_threshold: keep boxes whose best class score (objectness x class) is at least this.
        iou_threshold: per-class NMS threshold (Darknet's 0.45).
        max_boxes: the most boxes returned.
    Returns ``(boxes, scores, classes)``: boxes float32 (n, 4) ``(y1, x1, y2, x2)`` in the
    photo's pixels; scores float32 (n,) highest first; classes a list of n COCO names.
    """
    check_real("score_threshold", score_threshold, 0, 1)
    check_real("iou_threshold", iou_threshold, 0, 1)
    check_int("max_boxes", max_boxes, 1)
    photo = _photo(image)
    boxed, frame, (top, left) = letterbox(photo)
    heads = compiled_yolov3_tiny()(boxed[None])
    scores, boxes, classes = yolo_eval(heads, frame, max_boxes, score_threshold, iou_threshold)
    height, width = photo.shape[:2]
    boxes = np.clip(boxes.numpy() - [top, left, top, left], 0, [height, width, height, width])
    names = read_classes(COCO_NAMES)
    return boxes.astype("float32"), scores.numpy().astype("float32"), [names[c] for c in classes.numpy()]


# ---------------------------------------------------------------------------
# Training: anchors, targets, loss, network, evaluation
# ---------------------------------------------------------------------------

def iou_wh(wh1, wh2):
    """IoU of boxes that share a centre, from their sizes only.

    Arguments:
        wh1: (n, 2) widths and heights; wh2: (k, 2).
    Returns:
        (n, k) IoU of every pair.
    """
    wh1 = np.asarray(wh1, dtype="float64")[:, None, :]
    wh2 = np.asarray(wh2, dtype="float64")[None, :, :]
    inter = np.minimum(wh1[..., 0], wh2[..., 0]) * np.minimum(wh1[..., 1], wh2[..., 1])
    return inter / (wh1[..., 0] * wh1[..., 1] + wh2[..., 0] * wh2[..., 1] - inter)


def kmeans_anchors(box_wh, k, seed=0, iterations=100):
    """Anchor boxes by k-means on box sizes with the distance ``1 - IoU`` (YOLOv2's choice).

    Euclidean k-means would let large boxes dominate; with 1 - IoU a small box far from a
    centroid costs as much as a large one. Each centroid is the mean size of its cluster.

    Arguments:
        box_wh: (n, 2) box widths and heights (any unit, e.g. grid cells).
        k: the number of anchors.
    Returns:
        (k, 2) anchors sorted by area, in the unit of ``box_wh``.
    """
    box_wh = np.asarray(box_wh, dtype="float64")
    if box_wh.ndim != 2 or box_wh.shape[1] != 2 or np.any(box_wh <= 0):
        raise ValueError(f"box_wh must be an (n, 2) array of positive sizes, got shape {box_wh.shape}")
    if not check_int("k", k, 1) <= len(box_wh):
        raise ValueError(f"k must be an integer in [1, {len(box_wh)}], got {k!r}")
    check_int("iterations", iterations, 1)
    rng = np.random.default_rng(seed)
    centroids = box_wh[rng.choice(len(box_wh), k, replace=False)]
    assignment = None
    for _ in range(iterations):
        new_assignment = np.argmax(iou_wh(box_wh, centroids), axis=1)  # nearest = largest IoU
        if assignment is not None and np.array_equal(new_assignment, assignment):
            break
        assignment = new_assignment
        for j in range(k):
            if np.any(assignment == j):
                centroids[j] = box_wh[assignment == j].mean(axis=0)
    return centroids[np.argsort(centroids.prod(axis=1))].astype("float32")


def mean_iou_with_anchors(box_wh, anchors):
    """Average over boxes of the best IoU with any anchor (the quality measure of anchors).

    Arguments:
        box_wh: (n, 2) box widths and heights, n >= 1; anchors: (A, 2) in the same unit.
    Returns a float in [0, 1].
    """
    return float(iou_wh(box_wh, anchors).max(axis=1).mean())


def encode_targets(boxes, classes, anchors, image_shape, grid_shape, num_classes):
    """Encode one image's boxes into the YOLO target (the lecture's y, one vector per cell and anchor).

    Each box goes to the grid cell that holds its centre and, within that cell, to the
    anchor with which its shape has the highest IoU. If two boxes land on the same
    (cell, anchor), the first one is kept.

    Arguments:
        boxes: (k, 4) boxes ``(x1, y1, x2, y2)`` in pixels.
        classes: (k,) integer classes in [0, num_classes).
        anchors: (A, 2) anchor (width, height) in grid-cell units.
        image_shape: (height, width) in pixels; grid_shape: (S_h, S_w).
    Returns:
        y: (S_h, S_w, A, 5 + num_classes) float32. For an assigned (cell, anchor):
        ``(b_x, b_y, b_w, b_h, p_c=1, one-hot class)`` with (b_x, b_y) the centre's offset
        inside the cell (0..1) and (b_w, b_h) the size in cell units (may exceed 1);
        zeros elsewhere.
    """
    anchors = _check_anchors(anchors)
    num_classes = check_int("num_classes", num_classes, 0)
    _check_image_shape(image_shape)
    check_shape("grid_shape", grid_shape, 2)
    boxes = np.asarray(boxes, dtype="float64")
    if boxes.size % 4 or (boxes.ndim > 1 and boxes.shape[-1] != 4):
        raise ValueError(f"boxes must have shape (k, 4) as (x1, y1, x2, y2), got {boxes.shape}")
    boxes = boxes.reshape(-1, 4)
    classes = np.asarray(classes).reshape(-1)
    if classes.size and classes.dtype.kind not in "iu":
        raise TypeError(f"classes must be integers, got dtype {classes.dtype}")
    if len(classes) != len(boxes):
        raise ValueError(f"classes must have one entry per box ({len(boxes)}), got {len(classes)}")
    n_labels = max(num_classes, 1)  # num_classes=0: an objectness-only detector, every class is 0
    if len(classes) and (classes.min() < 0 or classes.max() >= n_labels):
        raise ValueError(f"classes must be in [0, {n_labels}), got {classes}")
    grid_h, grid_w = grid_shape
    cell_h, cell_w = image_shape[0] / grid_h, image_shape[1] / grid_w
    y = np.zeros((grid_h, grid_w, len(anchors), 5 + num_classes), dtype="float32")
    centre_x = (boxes[:, 0] + boxes[:, 2]) / 2 / cell_w
    centre_y = (boxes[:, 1] + boxes[:, 3]) / 2 / cell_h
    size_wh = np.stack([(boxes[:, 2] - boxes[:, 0]) / cell_w, (boxes[:, 3] - boxes[:, 1]) / cell_h], axis=1)
    if np.any(size_wh <= 0):
        raise ValueError("boxes must have x2 > x1 and y2 > y1")
    if np.any((centre_x < 0) | (centre_x >= grid_w) | (centre_y < 0) | (centre_y >= grid_h)):
        raise ValueError(f"boxes must have their centres inside the image {tuple(image_shape)}")
    best_anchor = np.argmax(iou_wh(size_wh, anchors), axis=1)
    for cx, cy, (w, h), a, c in zip(centre_x, centre_y, size_wh, best_anchor, classes):
        col, row = int(cx), int(cy)
        if y[row, col, a, 4] == 1:
            continue
        y[row, col, a, :5] = (cx - col, cy - row, w, h, 1.0)
        if num_classes:
            y[row, col, a, 5 + c] = 1.0
    return y


def decode_targets(y, image_shape):
    """Inverse of :func:`encode_targets`: y (S_h, S_w, A, 5 + C) -> (boxes (k, 4) x1 y1 x2 y2 pixels, classes (k,))."""
    y = np.asarray(y)
    grid_h, grid_w = y.shape[:2]
    cell_h, cell_w = image_shape[0] / grid_h, image_shape[1] / grid_w
    rows, cols, anchors = np.nonzero(y[..., 4] > 0.5)
    t = y[rows, cols, anchors]
    cx, cy = (cols + t[:, 0]) * cell_w, (rows + t[:, 1]) * cell_h
    w, h = t[:, 2] * cell_w, t[:, 3] * cell_h
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    return boxes.astype("float32"), np.argmax(t[:, 5:], axis=1)


def encode_dataset(boxes, classes, anchors, image_shape, grid_shape, num_classes):
    """:func:`encode_targets` for a list of images -> (m, S_h, S_w, A, 5 + C).

    Arguments:
        boxes: list over m >= 1 images of (k, 4) boxes; classes: list over the same images of (k,) classes;
        the other arguments as for :func:`encode_targets`.
    """
    if len(boxes) == 0 or len(boxes) != len(classes):
        raise ValueError(f"boxes and classes must be lists with one entry per image (at least one), "
                         f"got {len(boxes)} and {len(classes)}")
    return np.stack([encode_targets(b, c, anchors, image_shape, grid_shape, num_classes)
                     for b, c in zip(boxes, classes)])


def _pairwise_iou_xywh(xy1, wh1, xy2, wh2):
    """IoU between (m, N, 2) centre/size boxes and (m, K, 2) ones -> (m, N, K)."""
    min1, max1 = xy1 - wh1 / 2, xy1 + wh1 / 2
    min2, max2 = xy2 - wh2 / 2, xy2 + wh2 / 2
    inter_wh = tf.maximum(tf.minimum(max1[:, :, None], max2[:, None]) - tf.maximum(min1[:, :, None], min2[:, None]), 0.0)
    inter = inter_wh[..., 0] * inter_wh[..., 1]
    area1 = wh1[..., 0] * wh1[..., 1]
    area2 = wh2[..., 0] * wh2[..., 1]
    return inter / tf.maximum(area1[:, :, None] + area2[:, None] - inter, 1e-9)


def yolo_loss_terms(y_true, y_pred, anchors, num_classes, coord_scale=1.0, object_scale=5.0,
                    noobject_scale=1.0, class_scale=1.0, ignore_thresh=0.6):
    """The YOLOv2 loss, term by term (summed over cells and anchors, averaged over images).

    Arguments:
        y_true: (m, S_h, S_w, A, 5 + C) targets from :func:`encode_dataset`.
        y_pred: (m, S_h, S_w, A * (5 + C)) or (m, S_h, S_w, A, 5 + C) raw network outputs.
    Terms, with 1_obj = p_c of the target:
        coord: ``coord_scale * 1_obj * [(sigmoid(t_xy) - b_xy)^2 + (t_wh - log(b_wh / anchor))^2]``.
        object: ``object_scale * 1_obj * (1 - sigmoid(t_o))^2``.
        noobject: ``noobject_scale * (1 - 1_obj) * sigmoid(t_o)^2``, except for predicted boxes
            that already overlap a true box of the image with IoU > ignore_thresh.
        class: ``class_scale * 1_obj * sum_c (softmax(logits)_c - onehot_c)^2``.
    Returns a dict of scalar tensors ``coord, object, noobject, class``.
    """
    anchors = np.asarray(anchors, dtype="float32")
    y_true = tf.convert_to_tensor(y_true, dtype="float32")  # (m, S_h, S_w, A, 5 + C)
    if y_true.shape.rank != 5 or not y_true.shape[-2:].is_compatible_with((len(anchors), 5 + num_classes)):
        raise ValueError(f"y_true must be (m, S_h, S_w, {len(anchors)}, {5 + num_classes}), got {y_true.shape}")
    y_pred = tf.reshape(tf.cast(y_pred, "float32"), tf.shape(y_true))  # (m, S_h, S_w, A * (5 + C)) -> like y_true
    anchors_tensor = tf.reshape(tf.constant(anchors), [1, 1, 1, len(anchors), 2])  # broadcasts over (m, S_h, S_w)
    obj = y_true[..., 4]                                                # (m, S_h, S_w, A): 1_obj
    pred_xy = tf.sigmoid(y_pred[..., 0:2])                              # (m, S_h, S_w, A, 2)
    pred_twh = y_pred[..., 2:4]                                         # (m, S_h, S_w, A, 2)
    pred_conf = tf.sigmoid(y_pred[..., 4])                              # (m, S_h, S_w, A)
    pred_probs = tf.nn.softmax(y_pred[..., 5:], axis=-1) if num_classes else None  # (m, S_h, S_w, A, C)

    true_twh = tf.math.log(tf.maximum(y_true[..., 2:4], 1e-9) / anchors_tensor)
    coord = tf.reduce_sum((pred_xy - y_true[..., 0:2]) ** 2 + (pred_twh - true_twh) ** 2, axis=-1)

    # Predicted boxes in cell units, relative to the grid, to compare with every true box of the image:
    # each image's S_h * S_w * A = N boxes in one list.
    m, grid_h, grid_w = tf.shape(y_true)[0], tf.shape(y_true)[1], tf.shape(y_true)[2]
    cols, rows = tf.meshgrid(tf.range(grid_w), tf.range(grid_h))
    cell_xy = tf.cast(tf.stack([cols, rows], axis=-1)[None, :, :, None, :], "float32")  # (1, S_h, S_w, 1, 2)
    pred_box_xy = tf.reshape(pred_xy + cell_xy, [m, -1, 2])                      # (m, N, 2)
    pred_box_wh = tf.reshape(tf.exp(pred_twh) * anchors_tensor, [m, -1, 2])      # (m, N, 2)
    true_box_xy = tf.reshape(y_true[..., 0:2] + cell_xy, [m, -1, 2])             # (m, N, 2)
    true_box_wh = tf.reshape(y_true[..., 2:4], [m, -1, 2])                       # (m, N, 2)
    ious = _pairwise_iou_xywh(pred_box_xy, pred_box_wh, true_box_xy, true_box_wh)  # (m, N pred, N true)
    ious = ious * tf.reshape(obj, [m, 1, -1])                          # only real true boxes count
    best_iou = tf.reshape(tf.reduce_max(ious, axis=-1), tf.shape(obj))  # (m, N) -> (m, S_h, S_w, A)
    ignore = tf.stop_gradient(tf.cast(best_iou > ignore_thresh, "float32"))

    terms = {
        "coord": coord_scale * obj * coord,
        "object": object_scale * obj * (1.0 - pred_conf) ** 2,
        "noobject": noobject_scale * (1.0 - obj) * (1.0 - ignore) * pred_conf ** 2,
        "class": (class_scale * obj * tf.reduce_sum((pred_probs - y_true[..., 5:]) ** 2, axis=-1)
                  if num_classes else tf.zeros_like(obj)),
    }
    return {name: tf.reduce_mean(tf.reduce_sum(t, axis=[1, 2, 3])) for name, t in terms.items()}


def yolo_loss(y_true, y_pred, anchors, num_classes, **scales):
    """Total YOLOv2 loss: the sum of :func:`yolo_loss_terms` (same arguments)."""
    return tf.add_n(list(yolo_loss_terms(y_true, y_pred, anchors, num_classes, **scales).values()))


def _conv_bn_leaky(x, filters, size, name):
    from keras import layers

    x = layers.Conv2D(filters, size, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.LeakyReLU(negative_slope=0.1, name=f"{name}_leaky")(x)


def small_yolo_model(input_shape=(128, 128, 3), num_anchors=5, num_classes=3, width=16):
    """A small YOLOv2-style network: Darknet blocks, a passthrough (reorg) and a 1x1 output.

    Five 3x3 conv + batch-norm + leaky-ReLU blocks with max-pooling after the first four
    take the image to a grid 16 times smaller (128x128 -> 8x8). As in YOLOv2, the
    16x16 features are moved into channels (space-to-depth) and concatenated with the
    8x8 ones before the last 3x3 block and the 1x1 output convolution.

    Returns a Keras model: (m, H, W, 3) images in [0, 1] ->
    (m, H/16, W/16, num_anchors, 5 + num_classes) raw outputs.
    """
    from keras import layers

    from cnn_utils.darknet import Reorg

    input_shape = check_shape("input_shape", input_shape, 3)
    check_int("num_anchors", num_anchors, 1)
    check_int("num_classes", num_classes, 0)
    check_int("width", width, 1)
    if input_shape[0] % 16 or input_shape[1] % 16:
        raise ValueError(f"input_shape height and width must be multiples of 16, got {input_shape}")
    inputs = keras.Input(input_shape, name="image")
    x = inputs
    for i, mult in enumerate((1, 2, 4)):
        x = _conv_bn_leaky(x, width * mult, 3, f"block{i + 1}")
        x = layers.MaxPooling2D(2, name=f"block{i + 1}_pool")(x)
    fine = _conv_bn_leaky(x, width * 8, 3, "block4")                     # H/8
    x = layers.MaxPooling2D(2, name="block4_pool")(fine)
    x = _conv_bn_leaky(x, width * 16, 3, "block5")                       # H/16
    passthrough = _conv_bn_leaky(fine, width * 2, 1, "passthrough")
    passthrough = Reorg(2, name="passthrough_reorg")(passthrough)
    x = layers.Concatenate(name="concat")([passthrough, x])
    x = _conv_bn_leaky(x, width * 16, 3, "block6")
    x = layers.Conv2D(num_anchors * (5 + num_classes), 1, name="output_conv")(x)
    outputs = layers.Reshape((input_shape[0] // 16, input_shape[1] // 16, num_anchors, 5 + num_classes),
                             name="output")(x)
    return keras.Model(inputs, outputs, name="small_yolo")


def init_from_yolov3_tiny(model, blocks=5):
    """Start the first blocks of ``small_yolo_model(width=16)`` from the pretrained YOLOv3-tiny.

    YOLOv3-tiny begins as that network does: 3x3 convolutions of 16, 32, 64, 128 and 256
    filters, each with batch norm and leaky ReLU, a 2x2 max-pool after each. This copies the
    kernels and batch-norm parameters of its first ``blocks`` convolutions into ``block1`` ..
    ``block<blocks>`` of ``model`` (in place); the other layers keep their random start.
    Darknet divides by sqrt(var) + 1e-6 where Keras divides by sqrt(var + epsilon); the
    moving variance is adjusted so that both compute the same.

    Returns the names of the layers that were set.
    """
    check_model("model", model)
    blocks = check_int("blocks", blocks, 1)
    pretrained = yolov3_tiny()
    darknet_convs = [layer for layer in pretrained.layers if layer.name.startswith("conv_")][:5]
    if blocks > len(darknet_convs):
        raise ValueError(f"blocks must be an integer in [1, {len(darknet_convs)}], got {blocks}")
    names = []
    for i, conv in enumerate(darknet_convs[:blocks]):
        bn = pretrained.get_layer(conv.name.replace("conv_", "bn_"))
        try:
            ours, ours_bn = model.get_layer(f"block{i + 1}_conv"), model.get_layer(f"block{i + 1}_bn")
        except ValueError:
            raise ValueError(f"model must be a small_yolo_model, with a layer block{i + 1}_conv") from None
        if ours.kernel.shape != conv.kernel.shape:
            raise ValueError(f"model's block{i + 1}_conv has a kernel of shape {tuple(ours.kernel.shape)}, YOLOv3-tiny's "
                             f"{tuple(conv.kernel.shape)}: build it with small_yolo_model(width=16)")
        gamma, beta, mean, variance = bn.get_weights()
        std = np.sqrt(variance + bn.epsilon)  # what the converted Darknet layer divides by
        ours.set_weights(conv.get_weights())
        ours_bn.set_weights([gamma, beta, mean, np.maximum(std ** 2 - ours_bn.epsilon, 0.0)])
        names += [ours.name, ours_bn.name]
    return names


def average_precision(scores, matched, num_true):
    """Area under the precision-recall curve (all-point interpolation, as Pascal VOC since 2010).

    Arguments:
        scores: (n,) detection scores; matched: (n,) bool, True where the detection is a true positive;
        num_true: the number of ground-truth objects.
    Returns AP in [0, 1] (0 when there are no true objects).
    """
    if num_true == 0:
        return 0.0
    order = np.argsort(-np.asarray(scores), kind="stable")
    tp = np.cumsum(np.asarray(matched, bool)[order])
    fp = np.cumsum(~np.asarray(matched, bool)[order])
    recall = np.concatenate([[0.0], tp / num_true, [1.0]])
    precision = np.concatenate([[1.0], tp / np.maximum(tp + fp, 1), [0.0]])
    precision = np.maximum.accumulate(precision[::-1])[::-1]  # the precision envelope
    steps = np.nonzero(recall[1:] != recall[:-1])[0]
    return float(np.sum((recall[steps + 1] - recall[steps]) * precision[steps + 1]))


def mean_average_precision(detections, true_boxes, true_classes, num_classes, iou_threshold=0.5):
    """Average precision per class at an IoU threshold (mAP@0.5 by default).

    A detection is a true positive when its IoU with a not-yet-matched true box of the same
    class is at least ``iou_threshold`` (the lecture's "correct if IoU >= 0.5"); detections
    are matched in order of decreasing score, image by image.

    Arguments:
        detections: list over images of ``(scores (k,), boxes (k, 4) as (y1, x1, y2, x2), classes (k,))``,
            e.g. the output of :func:`predict`.
        true_boxes: list over images of (t, 4) boxes ``(x1, y1, x2, y2)`` in the same pixels.
        true_classes: list over images of (t,) classes.
    Returns:
        (num_classes,) AP of each class; its mean is the mAP.
    """
    if not len(detections) == len(true_boxes) == len(true_classes):
        raise ValueError("detections, true_boxes and true_classes must have one entry per image, got "
                         f"{len(detections)}, {len(true_boxes)}, {len(true_classes)}")
    num_classes = check_int("num_classes", num_classes, 1)
    check_real("iou_threshold", iou_threshold, 0, 1)
    for i, detection in enumerate(detections):
        if len(detection) != 3:
            raise ValueError(f"detections[{i}] must be (scores, boxes, classes), got {len(detection)} items")
    aps = np.zeros(num_classes)
    for c in range(num_classes):
        all_scores, all_matched, num_true = [], [], 0
        for (scores, boxes, classes), tb, tc in zip(detections, true_boxes, true_classes):
            gt = np.asarray(tb, dtype="float64").reshape(-1, 4)[np.asarray(tc) == c]
            num_true += len(gt)
            keep = np.asarray(classes) == c
            s = np.asarray(scores)[keep]
            b = np.asarray(boxes, dtype="float64").reshape(-1, 4)[keep][:, [1, 0, 3, 2]]  # to (x1, y1, x2, y2)
            used = np.zeros(len(gt), bool)
            for i in np.argsort(-s, kind="stable"):
                overlaps = iou(b[i], gt) if len(gt) else np.zeros(0)
                overlaps = np.where(used, -1.0, overlaps)
                hit = len(gt) > 0 and overlaps.max() >= iou_threshold
                if hit:
                    used[np.argmax(overlaps)] = True
                all_scores.append(s[i])
                all_matched.append(hit)
        aps[c] = average_precision(np.array(all_scores), np.array(all_matched, bool), num_true)
    return aps
