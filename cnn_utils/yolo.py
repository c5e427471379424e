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
from pathlib import Path

import numpy as np
import tensorflow as tf


# ---------------------------------------------------------------------------
# Decoding a network output (inference)
# ---------------------------------------------------------------------------

def _check_anchors(anchors):
    anchors = np.asarray(anchors, dtype="float32")
    if anchors.ndim != 2 or anchors.shape[1] != 2 or len(anchors) == 0:
        raise ValueError(f"anchors must have shape (num_anchors, 2), got {anchors.shape}")
    return anchors


def yolo_head(feats, anchors, num_classes):
    """Turn raw YOLOv2 outputs into boxes, confidences and class probabilities.

    Arguments:
        feats: (m, S_h, S_w, A * (5 + C)) or (m, S_h, S_w, A, 5 + C) raw network outputs.
        anchors: (A, 2) anchor (width, height) in grid-cell units.
        num_classes: C. With C = 0 (a one-class detector that predicts only
            objectness, like face-api's Tiny-YOLOv2) every box gets one class of probability 1.
    Returns:
        box_xy: (m, S_h, S_w, A, 2) box centres (x, y) as fractions of the image width/height,
            ``(sigmoid(t_xy) + cell index) / grid size``.
        box_wh: (m, S_h, S_w, A, 2) box (width, height) as fractions of the image,
            ``exp(t_wh) * anchor / grid size``.
        box_confidence: (m, S_h, S_w, A, 1) ``sigmoid(t_o)``, the probability that a box holds an object.
        box_class_probs: (m, S_h, S_w, A, max(C, 1)) softmax over the class logits.
    """
    anchors = _check_anchors(anchors)
    if not isinstance(num_classes, (int, np.integer)) or num_classes < 0:
        raise ValueError(f"num_classes must be a non-negative integer, got {num_classes!r}")
    feats = tf.convert_to_tensor(feats)
    if not feats.dtype.is_floating:
        feats = tf.cast(feats, "float32")
    num_anchors = len(anchors)
    depth = 5 + int(num_classes)
    if feats.shape.rank == 4:
        if feats.shape[-1] != num_anchors * depth:
            raise ValueError(
                f"feats must have {num_anchors} * (5 + {num_classes}) = {num_anchors * depth} "
                f"channels, got shape {feats.shape}")
        feats = tf.reshape(feats, tf.concat([tf.shape(feats)[:3], [num_anchors, depth]], axis=0))
    elif feats.shape.rank != 5 or feats.shape[-2:] != (num_anchors, depth):
        raise ValueError(
            f"feats must have shape (m, S, S, {num_anchors * depth}) or (m, S, S, {num_anchors}, {depth}), "
            f"got {feats.shape}")

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
    return tf.concat([box_mins[..., 1:2], box_mins[..., 0:1],
                      box_maxes[..., 1:2], box_maxes[..., 0:1]], axis=-1)


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
    if not 0 <= threshold <= 1:
        raise ValueError(f"threshold must be in [0, 1], got {threshold!r}")
    box_scores = box_confidence * box_class_probs
    box_classes = tf.math.argmax(box_scores, axis=-1)
    box_class_scores = tf.math.reduce_max(box_scores, axis=-1)
    filtering_mask = box_class_scores >= threshold
    scores = tf.boolean_mask(box_class_scores, filtering_mask)
    boxes = tf.boolean_mask(boxes, filtering_mask)
    classes = tf.boolean_mask(box_classes, filtering_mask)
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
    for name, box in (("box1", box1), ("box2", box2)):
        if box.ndim == 0 or box.shape[-1] != 4:
            raise ValueError(f"{name} must have shape (..., 4) as (x1, y1, x2, y2), got {box.shape}")
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
    """Non-max suppression applied separately to each class.

    A box is removed when it overlaps a higher-scoring box *of the same class* with
    IoU above ``iou_threshold``; boxes of different classes never suppress each other
    (the lecture: "for each class, use non-max suppression").

    Arguments:
        scores: (n,) box scores.
        boxes: (n, 4) boxes ``(y1, x1, y2, x2)``.
        classes: (n,) integer classes.
        max_boxes: the most boxes returned, over all classes.
        iou_threshold: IoU above which the lower-scoring box is discarded.
    Returns:
        scores (k,), boxes (k, 4), classes (k,), k <= max_boxes, sorted by decreasing score.
    """
    if not isinstance(max_boxes, (int, np.integer)) or max_boxes < 1:
        raise ValueError(f"max_boxes must be a positive integer, got {max_boxes!r}")
    if not 0 <= iou_threshold <= 1:
        raise ValueError(f"iou_threshold must be in [0, 1], got {iou_threshold!r}")
    scores = tf.convert_to_tensor(scores)
    boxes = tf.convert_to_tensor(boxes)
    classes = tf.convert_to_tensor(classes)
    if boxes.shape.rank != 2 or boxes.shape[-1] != 4:
        raise ValueError(f"boxes must have shape (n, 4), got {boxes.shape}")
    # Shift every class into its own region of the plane, so that boxes of different
    # classes cannot overlap; then one NMS call treats each class separately.
    coords = tf.cast(boxes, "float32")
    span = tf.reduce_max(tf.concat([tf.reshape(tf.abs(coords), [-1]), [0.0]], axis=0)) * 2.0 + 1.0
    shifted = coords + tf.cast(classes, "float32")[:, None] * span
    nms_indices = tf.image.non_max_suppression(shifted, tf.cast(scores, "float32"),
                                               max_boxes, iou_threshold)
    return (tf.gather(scores, nms_indices), tf.gather(boxes, nms_indices),
            tf.gather(classes, nms_indices))


def scale_boxes(boxes, image_shape):
    """Scale boxes from fractions of the image to pixels.

    Arguments:
        boxes: (..., 4) boxes ``(y1, x1, y2, x2)`` as fractions of the image.
        image_shape: (height, width) in pixels.
    Returns:
        (..., 4) boxes in pixels.
    """
    if len(image_shape) != 2:
        raise ValueError(f"image_shape must be (height, width), got {image_shape!r}")
    height, width = float(image_shape[0]), float(image_shape[1])
    boxes = tf.convert_to_tensor(boxes)
    image_dims = tf.constant([[height, width, height, width]], dtype=boxes.dtype)
    return boxes * image_dims


def yolo_eval(yolo_outputs, image_shape=(720, 1280), max_boxes=10, score_threshold=.6, iou_threshold=.5):
    """Detections of one image from the output of :func:`yolo_head`.

    Arguments:
        yolo_outputs: ``(box_xy, box_wh, box_confidence, box_class_probs)`` for ONE image,
            shapes (1, S, S, A, 2), (1, S, S, A, 2), (1, S, S, A, 1), (1, S, S, A, C)
            (the leading 1 may be left out).
        image_shape: (height, width) of the image in pixels.
        max_boxes: the most boxes returned.
        score_threshold: boxes with best class score below it are dropped.
        iou_threshold: NMS threshold, per class.
    Returns:
        scores (k,), boxes (k, 4) as ``(y1, x1, y2, x2)`` pixels of ``image_shape``,
        classes (k,) int64, sorted by decreasing score.
    """
    if len(yolo_outputs) != 4:
        raise ValueError("yolo_outputs must be (box_xy, box_wh, box_confidence, box_class_probs), "
                         f"got {len(yolo_outputs)} items")
    box_xy, box_wh, box_confidence, box_class_probs = yolo_outputs
    if box_xy.shape.rank == 5 and box_xy.shape[0] != 1:
        raise ValueError(f"yolo_eval decodes one image; box_xy has a batch of {box_xy.shape[0]}")
    boxes = yolo_boxes_to_corners(box_xy, box_wh)
    scores, boxes, classes = yolo_filter_boxes(boxes, box_confidence, box_class_probs, score_threshold)
    boxes = scale_boxes(boxes, image_shape)
    return yolo_non_max_suppression(scores, boxes, classes, max_boxes, iou_threshold)


def read_classes(classes_path):
    """Class names, one per line of a text file (e.g. ``coco_classes.txt`` or ``coco.names``)."""
    path = Path(classes_path)
    if not path.is_file():
        raise FileNotFoundError(f"classes_path {path} does not exist")
    names = [line.strip() for line in path.read_text().splitlines()]
    return [name for name in names if name]


def read_anchors(anchors_path):
    """Anchors from a text file of comma-separated numbers ``w1, h1, w2, h2, ...`` -> (A, 2) array."""
    path = Path(anchors_path)
    if not path.is_file():
        raise FileNotFoundError(f"anchors_path {path} does not exist")
    values = [float(v) for v in path.read_text().replace("\n", ",").split(",") if v.strip()]
    if not values or len(values) % 2:
        raise ValueError(f"{path} must hold an even number of comma-separated values, got {len(values)}")
    return np.array(values, dtype="float32").reshape(-1, 2)
