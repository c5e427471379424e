"""Tests for cnn_utils.yolo: decoding, IoU, per-class NMS, anchors, targets and loss."""
import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cnn_utils import datasets, pretrained, yolo
from cnn_utils.config import DATA_DIR
from cnn_utils.pretrained import AssetError

ANCHORS = np.array([[0.57273, 0.677385], [1.87446, 2.06253], [3.33843, 5.47434],
                    [7.88282, 3.52778], [9.77052, 9.16828]], dtype="float32")


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# --- decoding ---------------------------------------------------------------

def test_yolo_head_matches_a_loop_over_cells_on_a_non_square_grid():
    rng = np.random.default_rng(0)
    anchors = ANCHORS[:2]
    feats = rng.normal(size=(2, 3, 4, 2 * 8)).astype("float32")  # 3 rows, 4 columns, 3 classes
    box_xy, box_wh, conf, probs = [t.numpy() for t in yolo.yolo_head(feats, anchors, 3)]
    assert box_xy.shape == (2, 3, 4, 2, 2) and probs.shape == (2, 3, 4, 2, 3)
    f = feats.reshape(2, 3, 4, 2, 8)
    for n in range(2):
        for row in range(3):
            for col in range(4):
                for a in range(2):
                    t = f[n, row, col, a]
                    x = (sigmoid(t[0]) + col) / 4
                    y = (sigmoid(t[1]) + row) / 3
                    w = np.exp(t[2]) * anchors[a, 0] / 4
                    h = np.exp(t[3]) * anchors[a, 1] / 3
                    np.testing.assert_allclose(box_xy[n, row, col, a], [x, y], rtol=1e-5)
                    np.testing.assert_allclose(box_wh[n, row, col, a], [w, h], rtol=1e-5)
                    np.testing.assert_allclose(conf[n, row, col, a, 0], sigmoid(t[4]), rtol=1e-5)
                    e = np.exp(t[5:] - t[5:].max())
                    np.testing.assert_allclose(probs[n, row, col, a], e / e.sum(), rtol=1e-5)


def test_yolo_head_accepts_5d_outputs_and_objectness_only_detectors():
    feats = np.random.default_rng(1).normal(size=(1, 13, 13, 25)).astype("float32")
    flat = yolo.yolo_head(feats, ANCHORS, 0)
    split = yolo.yolo_head(feats.reshape(1, 13, 13, 5, 5), ANCHORS, 0)
    for a, b in zip(flat, split):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert flat[3].shape == (1, 13, 13, 5, 1)
    np.testing.assert_array_equal(flat[3].numpy(), 1.0)


def test_yolo_head_rejects_outputs_that_do_not_fit_the_anchors_and_classes():
    with pytest.raises(ValueError, match=r"feats must be \(m, S_h, S_w, 5 \* \(5 \+ 80\)\)"):
        yolo.yolo_head(np.zeros((1, 19, 19, 424)), ANCHORS, 80)
    with pytest.raises(ValueError, match="feats"):
        yolo.yolo_head(np.zeros((1, 19, 19, 5, 84)), ANCHORS, 80)


def test_boxes_to_corners_and_scale_boxes():
    corners = yolo.yolo_boxes_to_corners(np.array([[0.5, 0.25]]), np.array([[0.2, 0.1]])).numpy()
    np.testing.assert_allclose(corners, [[0.2, 0.4, 0.3, 0.6]])  # (y1, x1, y2, x2)
    np.testing.assert_allclose(yolo.scale_boxes(corners, (720, 1280)).numpy(), [[144, 512, 216, 768]])


def test_yolo_filter_boxes_keeps_scores_at_or_above_threshold():
    conf = np.array([[0.9], [0.5], [1.0]], dtype="float32")
    probs = np.array([[0.1, 0.9], [1.0, 0.0], [0.6, 0.4]], dtype="float32")
    boxes = np.arange(12, dtype="float32").reshape(3, 4)
    scores, kept, classes = yolo.yolo_filter_boxes(boxes, conf, probs, threshold=0.6)
    np.testing.assert_allclose(scores.numpy(), [0.81, 0.6], rtol=1e-6)
    np.testing.assert_array_equal(kept.numpy(), boxes[[0, 2]])
    np.testing.assert_array_equal(classes.numpy(), [1, 0])


# --- IoU --------------------------------------------------------------------

def test_iou_course_examples():
    assert yolo.iou((2, 1, 4, 3), (1, 2, 3, 4)) == pytest.approx(1 / 7)
    assert yolo.iou((1, 2, 3, 4), (5, 6, 7, 8)) == 0.0  # no overlap
    assert yolo.iou((1, 1, 2, 2), (2, 2, 3, 3)) == 0.0  # corners touch
    assert yolo.iou((1, 1, 3, 3), (2, 3, 3, 4)) == 0.0  # edges touch
    assert yolo.iou((0, 0, 4, 4), (1, 1, 3, 3)) == pytest.approx(4 / 16)


integer_box = st.tuples(st.integers(0, 12), st.integers(0, 12), st.integers(1, 8), st.integers(1, 8)).map(
    lambda t: (t[0], t[1], t[0] + t[2], t[1] + t[3]))


@settings(max_examples=60, deadline=None)
@given(integer_box, integer_box)
def test_iou_equals_pixel_counting(b1, b2):
    grid = np.zeros((2, 20, 20), bool)
    for k, (x1, y1, x2, y2) in enumerate((b1, b2)):
        grid[k, y1:y2, x1:x2] = True
    expected = (grid[0] & grid[1]).sum() / (grid[0] | grid[1]).sum()
    assert yolo.iou(b1, b2) == pytest.approx(expected)
    assert yolo.iou(b2, b1) == pytest.approx(expected)


# --- non-max suppression ----------------------------------------------------

def greedy_nms(scores, boxes, classes, max_boxes, iou_threshold):
    """Reference: the lecture's algorithm, class by class, in plain Python."""
    kept = []
    for c in np.unique(classes):
        idx = [i for i in np.argsort(-scores, kind="stable") if classes[i] == c]
        while idx:
            best = idx.pop(0)
            kept.append(best)
            y1, x1, y2, x2 = boxes[best]
            idx = [i for i in idx if yolo.iou((x1, y1, x2, y2), boxes[i][[1, 0, 3, 2]]) <= iou_threshold]
    kept = sorted(kept, key=lambda i: -scores[i])[:max_boxes]
    return np.array(kept, dtype=int)


def random_detections(rng, n, num_classes):
    yx = rng.uniform(0, 80, size=(n, 2))
    hw = rng.uniform(5, 40, size=(n, 2))
    boxes = np.concatenate([yx, yx + hw], axis=1).astype("float32")
    scores = rng.permutation(n).astype("float32") / n + 0.01  # distinct scores
    classes = rng.integers(0, num_classes, size=n)
    return scores, boxes, classes


@pytest.mark.parametrize("nms", [yolo.yolo_non_max_suppression, yolo.yolo_non_max_suppression_offset])
@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(0, 30), st.integers(1, 4), st.sampled_from([0.3, 0.5, 0.7]))
def test_nms_matches_greedy_per_class_algorithm(nms, seed, n, num_classes, iou_threshold):
    rng = np.random.default_rng(seed)
    scores, boxes, classes = random_detections(rng, n, num_classes)
    xyxy = boxes[:, [1, 0, 3, 2]]
    pair_iou = yolo.iou(xyxy[:, None], xyxy[None])
    assume(np.all(np.abs(pair_iou - iou_threshold) > 1e-4))  # no knife-edge ties
    s, b, c = nms(scores, boxes, classes, max_boxes=8, iou_threshold=iou_threshold)
    want = greedy_nms(scores, boxes, classes, 8, iou_threshold)
    np.testing.assert_array_equal(s.numpy(), scores[want])
    np.testing.assert_array_equal(b.numpy(), boxes[want])
    np.testing.assert_array_equal(c.numpy(), classes[want])


def test_nms_matches_tensorflow_for_a_single_class_and_keeps_other_classes():
    rng = np.random.default_rng(3)
    scores, boxes, _ = random_detections(rng, 40, 1)
    classes = np.zeros(40, dtype="int64")
    s, b, _ = yolo.yolo_non_max_suppression(scores, boxes, classes, max_boxes=10, iou_threshold=0.5)
    idx = tf.image.non_max_suppression(boxes, scores, 10, 0.5).numpy()
    np.testing.assert_array_equal(b.numpy(), boxes[idx])
    # Two identical boxes of different classes both survive; of the same class, one does.
    box = np.array([[10, 10, 50, 50], [10, 10, 50, 50]], dtype="float32")
    assert len(yolo.yolo_non_max_suppression([0.9, 0.8], box, [0, 1])[0]) == 2
    assert len(yolo.yolo_non_max_suppression([0.9, 0.8], box, [1, 1])[0]) == 1


def test_nms_discards_only_iou_above_the_threshold_and_the_lecture_example():
    # (y1, x1, y2, x2) boxes overlapping with IoU exactly 0.5: TensorFlow's convention (used here)
    # keeps both; the lecture's "discard IoU >= 0.5" would drop the second.
    touching_half = np.array([[0, 0, 1, 3], [0, 1, 1, 4]], dtype="float32")
    assert yolo.iou(touching_half[0][[1, 0, 3, 2]], touching_half[1][[1, 0, 3, 2]]) == 0.5
    s, _, _ = yolo.yolo_non_max_suppression([0.9, 0.8], touching_half, [0, 0], iou_threshold=0.5)
    np.testing.assert_allclose(s.numpy(), [0.9, 0.8])
    # The lecture's two cars: p_c 0.9, 0.6, 0.7 on one, 0.8, 0.7 on the other; 0.9 and 0.8 survive.
    boxes = np.array([[300, 800, 460, 1080], [290, 770, 440, 1040], [315, 830, 470, 1100],
                      [330, 150, 470, 420], [320, 185, 480, 450]], dtype="float32")
    s, b, c = yolo.yolo_non_max_suppression([0.9, 0.6, 0.7, 0.8, 0.7], boxes, [1] * 5)
    np.testing.assert_allclose(s.numpy(), [0.9, 0.8])
    np.testing.assert_array_equal(b.numpy(), boxes[[0, 3]])


def test_yolo_eval_checks_its_thresholds_for_the_helpers():
    outputs = yolo.yolo_head(np.zeros((1, 2, 2, 5 * 8), "float32"), ANCHORS, 3)
    with pytest.raises(ValueError, match="max_boxes"):
        yolo.yolo_eval(outputs, max_boxes=0)
    with pytest.raises(ValueError, match="iou_threshold"):
        yolo.yolo_eval(outputs, iou_threshold=1.5)
    with pytest.raises(ValueError, match="score_threshold"):
        yolo.yolo_eval(outputs, score_threshold=-0.1)


# --- yolo_eval --------------------------------------------------------------

def combined_nms_eval(outputs, image_shape, max_boxes, score_threshold, iou_threshold):
    box_xy, box_wh, conf, probs = outputs
    boxes = yolo.scale_boxes(yolo.yolo_boxes_to_corners(box_xy, box_wh), image_shape)
    num_classes = probs.shape[-1]
    res = tf.image.combined_non_max_suppression(
        tf.reshape(boxes, [1, -1, 1, 4]), tf.reshape(conf * probs, [1, -1, num_classes]),
        max_output_size_per_class=max_boxes, max_total_size=max_boxes,
        iou_threshold=iou_threshold, score_threshold=score_threshold, clip_boxes=False)
    k = int(res.valid_detections[0])
    return res.nmsed_scores[0, :k].numpy(), res.nmsed_boxes[0, :k].numpy(), res.nmsed_classes[0, :k].numpy()


def test_yolo_eval_agrees_with_combined_non_max_suppression_when_one_class_per_box():
    rng = np.random.default_rng(0)
    feats = rng.normal(size=(1, 7, 7, 5 * 8)).astype("float32")
    feats = feats.reshape(1, 7, 7, 5, 8)
    feats[..., 5:] *= 6.0  # confident classes: only the best class of a box passes the threshold
    outputs = yolo.yolo_head(feats, ANCHORS, 3)
    scores, boxes, classes = yolo.yolo_eval(outputs, (120, 160), max_boxes=20, score_threshold=0.6)
    want_s, want_b, want_c = combined_nms_eval(outputs, (120, 160), 20, 0.6, 0.5)
    assert len(scores) > 3
    np.testing.assert_allclose(scores.numpy(), want_s, rtol=1e-6)
    np.testing.assert_allclose(boxes.numpy(), want_b, rtol=1e-5, atol=1e-3)
    np.testing.assert_array_equal(classes.numpy(), want_c)
    assert boxes.shape[-1] == 4 and np.all(boxes.numpy()[:, 2] >= boxes.numpy()[:, 0])


def test_yolo_eval_on_course_shapes_returns_at_most_max_boxes():
    feats = np.random.default_rng(2).normal(size=(1, 19, 19, 425)).astype("float32")
    feats[..., 4::85] += 4.0
    scores, boxes, classes = yolo.yolo_eval(yolo.yolo_head(feats, ANCHORS, 80), score_threshold=0.01)
    assert scores.shape == (10,) and boxes.shape == (10, 4) and classes.shape == (10,)
    assert np.all(np.diff(scores.numpy()) <= 0)


def test_read_classes_and_anchors(tmp_path):
    (tmp_path / "classes.txt").write_text("person\nbicycle\ncar\n")
    (tmp_path / "anchors.txt").write_text("0.57273, 0.677385, 1.87446, 2.06253\n")
    assert yolo.read_classes(tmp_path / "classes.txt") == ["person", "bicycle", "car"]
    np.testing.assert_allclose(yolo.read_anchors(tmp_path / "anchors.txt"),
                               [[0.57273, 0.677385], [1.87446, 2.06253]])
    (tmp_path / "odd.txt").write_text("1, 2, 3")
    with pytest.raises(ValueError, match="even"):
        yolo.read_anchors(tmp_path / "odd.txt")
    with pytest.raises(FileNotFoundError):
        yolo.read_classes(tmp_path / "missing.txt")


# --- anchors ----------------------------------------------------------------

def test_iou_wh_and_kmeans_recovers_well_separated_shapes():
    np.testing.assert_allclose(yolo.iou_wh([[2, 2]], [[1, 1], [2, 2], [4, 1]]), [[0.25, 1.0, 2 / 6]])
    rng = np.random.default_rng(0)
    shapes = np.array([[0.5, 1.5], [3.0, 1.5], [6.0, 6.0]])
    wh = np.concatenate([s * rng.uniform(0.95, 1.05, size=(50, 2)) for s in shapes])
    anchors = yolo.kmeans_anchors(wh, 3)
    np.testing.assert_allclose(anchors, shapes, rtol=0.03)
    assert yolo.mean_iou_with_anchors(wh, anchors) > 0.9
    # More anchors never fit worse on this data.
    assert yolo.mean_iou_with_anchors(wh, yolo.kmeans_anchors(wh, 1)) < yolo.mean_iou_with_anchors(wh, anchors)
    with pytest.raises(ValueError, match="k must"):
        yolo.kmeans_anchors(wh, 0)
    with pytest.raises(ValueError, match="box_wh"):
        yolo.kmeans_anchors(-wh, 2)


# --- targets ----------------------------------------------------------------

def test_encode_targets_lecture_example():
    # A 3x3 grid on a 300x300 image, 2 anchors, 3 classes (pedestrian, car, motorcycle): y is 3x3x2x8.
    anchors = np.array([[0.4, 1.2], [1.5, 0.6]])
    car = [100 + 40 - 75, 100 + 30 - 45, 100 + 40 + 75, 100 + 30 + 45]  # centre (140, 130), 150 x 90 px
    y = yolo.encode_targets([car], [1], anchors, (300, 300), (3, 3), 3)
    assert y.shape == (3, 3, 2, 8)
    np.testing.assert_allclose(y[1, 1, 1], [0.4, 0.3, 1.5, 0.9, 1, 0, 1, 0], atol=1e-6)
    assert y.sum() == pytest.approx(y[1, 1, 1].sum())


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.integers(0, 6))
def test_encode_decode_round_trip(seed, k):
    rng = np.random.default_rng(seed)
    # Centres (x, y) strictly inside the 160-wide, 128-high image (encode_targets rejects the others),
    # half a pixel from its edges so that rounding in (x1 + x2) / 2 cannot push one onto the edge;
    # the boxes themselves may stick out of the image.
    centre = rng.uniform((0.5, 0.5), (160 - 0.5, 128 - 0.5), size=(k, 2))
    wh = rng.uniform(4, 60, size=(k, 2))
    boxes = np.concatenate([centre - wh / 2, centre + wh / 2], axis=1)
    assert np.all((boxes[:, 0] + boxes[:, 2]) / 2 < 160) and np.all((boxes[:, 1] + boxes[:, 3]) / 2 < 128)
    classes = rng.integers(0, 3, size=k)
    y = yolo.encode_targets(boxes, classes, ANCHORS[:3], (128, 160), (8, 10), 3)
    got_boxes, got_classes = yolo.decode_targets(y, (128, 160))
    # Boxes that collided on one (cell, anchor) are dropped: only the first of each pair is kept.
    assert len(got_boxes) <= k
    keys = set()
    expected = []
    for b, c in zip(boxes, classes):
        cx, cy = (b[0] + b[2]) / 2 / 16, (b[1] + b[3]) / 2 / 16
        a = np.argmax(yolo.iou_wh([[(b[2] - b[0]) / 16, (b[3] - b[1]) / 16]], ANCHORS[:3])[0])
        key = (int(cy), int(cx), a)
        if key not in keys:
            keys.add(key)
            expected.append((tuple(np.round(b, 3)), c))
    got = sorted((tuple(np.round(b, 3)), c) for b, c in zip(got_boxes.astype("float64"), got_classes))
    assert len(got) == len(expected)
    for (gb, gc), (eb, ec) in zip(got, sorted(expected)):
        np.testing.assert_allclose(gb, eb, atol=2e-3)
        assert gc == ec


# --- loss -------------------------------------------------------------------

def perfect_prediction(y, anchors):
    """Raw outputs that decode exactly to the targets y."""
    logit = lambda p: np.log(p / (1 - p))
    pred = np.zeros_like(y)
    obj = y[..., 4:5] > 0
    pred[..., 0:2] = np.where(obj, logit(np.clip(y[..., 0:2], 1e-6, 1 - 1e-6)), 0.0)
    pred[..., 2:4] = np.where(obj, np.log(np.maximum(y[..., 2:4], 1e-9) / anchors[None, None, :, :]), 0.0)
    pred[..., 4] = np.where(obj[..., 0], 30.0, -30.0)
    pred[..., 5:] = 30.0 * y[..., 5:]
    return pred.astype("float32")


def test_yolo_loss_is_zero_for_a_perfect_prediction_and_matches_hand_computation():
    anchors = np.array([[1.0, 1.0], [2.0, 1.0]], dtype="float32")
    y = yolo.encode_targets([[10, 20, 30, 28]], [2], anchors, (64, 64), (4, 4), 3)[None]
    pred = perfect_prediction(y[0], anchors)[None]
    terms = yolo.yolo_loss_terms(y, pred, anchors, 3)
    for name, value in terms.items():
        assert float(value) == pytest.approx(0.0, abs=1e-6), name
    # One raw output changed at a time, checked by hand.
    row, col, a = map(int, np.argwhere(y[0, ..., 4] == 1)[0])
    bad = pred.copy()
    bad[0, row, col, a, 4] = 0.0                       # confidence 0.5 on the object
    assert float(yolo.yolo_loss_terms(y, bad, anchors, 3)["object"]) == pytest.approx(5 * 0.25)
    bad = pred.copy()
    bad[0, 0, 3, 0, 4] = 0.0                           # confidence 0.5 where there is no object
    assert float(yolo.yolo_loss_terms(y, bad, anchors, 3)["noobject"]) == pytest.approx(0.25)
    bad = pred.copy()
    bad[0, row, col, a, 2] += 0.5                      # log-width off by 0.5
    assert float(yolo.yolo_loss_terms(y, bad, anchors, 3)["coord"]) == pytest.approx(0.25, rel=1e-5)
    bad = pred.copy()
    bad[0, row, col, a, 5:] = 0.0                      # uniform class probabilities
    want = (1 / 3) ** 2 * 2 + (2 / 3) ** 2
    assert float(yolo.yolo_loss_terms(y, bad, anchors, 3)["class"]) == pytest.approx(want, rel=1e-5)
    assert float(yolo.yolo_loss(y, bad, anchors, 3)) == pytest.approx(want, rel=1e-5)


def test_noobject_term_ignores_predictions_that_already_overlap_an_object():
    anchors = np.array([[1.0, 1.0], [1.0, 1.0]], dtype="float32")
    y = yolo.encode_targets([[16, 16, 32, 32]], [0], anchors, (64, 64), (4, 4), 1)[None]
    pred = perfect_prediction(y[0], anchors)[None]
    # The second anchor of the same cell predicts the same box with confidence 0.5: IoU 1 > 0.6.
    pred[0, 1, 1, 1] = pred[0, 1, 1, 0]
    pred[0, 1, 1, 1, 4] = 0.0
    assert float(yolo.yolo_loss_terms(y, pred, anchors, 1)["noobject"]) == pytest.approx(0.0, abs=1e-6)
    assert float(yolo.yolo_loss_terms(y, pred, anchors, 1, ignore_thresh=1.01)["noobject"]) == pytest.approx(0.25)


def test_yolo_loss_gradient_moves_confidence_the_right_way():
    anchors = np.array([[1.0, 1.0]], dtype="float32")
    y = yolo.encode_targets([[0, 0, 16, 16]], [0], anchors, (32, 32), (2, 2), 1)[None]
    pred = tf.Variable(np.zeros((1, 2, 2, 1, 6), "float32"))
    with tf.GradientTape() as tape:
        loss = yolo.yolo_loss(y, pred, anchors, 1)
    grad = tape.gradient(loss, pred).numpy()
    assert grad[0, 0, 0, 0, 4] < 0       # raise confidence where the object is
    assert np.all(grad[0, 1, :, 0, 4] > 0)  # lower it elsewhere


# --- network and evaluation -------------------------------------------------

def test_small_yolo_model_shapes():
    model = yolo.small_yolo_model((128, 128, 3), num_anchors=5, num_classes=3, width=8)
    assert model.output.shape == (None, 8, 8, 5, 8)  # the lecture's 19x19x40 layout, on an 8x8 grid
    with pytest.raises(ValueError, match="multiples of 16"):
        yolo.small_yolo_model((100, 128, 3))


def test_average_precision_hand_example_and_map():
    # 3 true objects; detections by score: TP, FP, TP -> precision 1, 1/2, 2/3 at recall 1/3, 1/3, 2/3.
    ap = yolo.average_precision([0.9, 0.8, 0.7], [True, False, True], 3)
    assert ap == pytest.approx(1 / 3 * 1 + 1 / 3 * 2 / 3)
    true_boxes = [np.array([[0, 0, 10, 10], [20, 20, 30, 30]]), np.array([[5, 5, 15, 15]])]
    true_classes = [np.array([0, 1]), np.array([0])]
    yx = lambda b: np.asarray(b, float)[:, [1, 0, 3, 2]]
    perfect = [(np.array([0.9, 0.8]), yx(true_boxes[0]), np.array([0, 1])),
               (np.array([0.7]), yx(true_boxes[1]), np.array([0]))]
    np.testing.assert_allclose(yolo.mean_average_precision(perfect, true_boxes, true_classes, 2), [1, 1])
    # A duplicate detection of the same object counts as a false positive; a shifted box (IoU 1/3) misses.
    shifted = np.array([[0, 5, 10, 15]], float)
    worse = [(np.array([0.9, 0.85, 0.8]), np.concatenate([yx(true_boxes[0][:1]), yx(true_boxes[0][:1]), yx(true_boxes[0][1:])]),
              np.array([0, 0, 1])),
             (np.array([0.95]), shifted, np.array([0]))]
    aps = yolo.mean_average_precision(worse, true_boxes, true_classes, 2)
    assert aps[1] == pytest.approx(1.0)
    assert aps[0] == pytest.approx(0.5 * 0.5)  # FP(0.95), TP(0.9), FP(0.85): recall 1/2 at precision 1/2


def test_yolo_eval_takes_numpy_outputs_of_one_image_only():
    rng = np.random.default_rng(4)
    outputs = [rng.uniform(0, 1, (1, 4, 4, 2, d)).astype("float32") for d in (2, 2, 1, 3)]
    scores, boxes, classes = yolo.yolo_eval(outputs, (100, 100), score_threshold=0.3)
    assert boxes.shape[1:] == (4,) and len(scores) == len(classes) <= 10
    with pytest.raises(ValueError, match="one image"):
        yolo.yolo_eval([o.repeat(2, axis=0) for o in outputs])


def test_nms_of_no_boxes_is_empty():
    s, b, c = yolo.yolo_non_max_suppression(np.zeros(0, "float32"), np.zeros((0, 4), "float32"), np.zeros(0, "int64"))
    assert s.shape == (0,) and b.shape == (0, 4) and c.shape == (0,)


def test_encode_targets_objectness_only_and_centres_outside():
    anchors = np.array([[1.0, 1.0], [2.0, 2.0]])
    y = yolo.encode_targets([[10, 10, 30, 30]], [0], anchors, (64, 64), (4, 4), 0)
    assert y.shape == (4, 4, 2, 5)
    assert y[1, 1, 0, 4] == 1 and y.sum() == pytest.approx(0.25 + 0.25 + 1.25 + 1.25 + 1)
    with pytest.raises(ValueError, match="centres inside the image"):
        yolo.encode_targets([[-60, 10, -10, 30]], [0], anchors, (64, 64), (4, 4), 1)


# --- several heads (YOLOv3) ---------------------------------------------------

def test_sigmoid_class_scores_are_independent_logistics():
    feats = np.random.default_rng(7).normal(size=(1, 2, 3, 2 * 9)).astype("float32")
    probs = yolo.yolo_head(feats, ANCHORS[:2], 4, class_activation="sigmoid")[3].numpy()
    np.testing.assert_allclose(probs, sigmoid(feats.reshape(1, 2, 3, 2, 9)[..., 5:]), rtol=1e-5)
    assert not np.allclose(probs.sum(-1), 1.0)


def test_yolo_eval_on_several_heads_equals_yolo_eval_on_the_joined_boxes():
    rng = np.random.default_rng(8)
    confident = np.array([0, 0, 0, 0, 2.0, 0, 0], "float32")  # objectness logits + 2
    heads = [yolo.yolo_head(rng.normal(size=(1, s, s, 3, 7)).astype("float32") + confident, ANCHORS[:3], 2,
                            "sigmoid") for s in (3, 6)]
    joined = yolo.concat_heads(heads)
    assert [tuple(t.shape) for t in joined] == [(135, 2), (135, 2), (135, 1), (135, 2)]
    np.testing.assert_array_equal(joined[2].numpy()[:27], heads[0][2].numpy().reshape(27, 1))
    np.testing.assert_array_equal(joined[2].numpy()[27:], heads[1][2].numpy().reshape(108, 1))
    got = yolo.yolo_eval(heads, (100, 200), 20, 0.5, 0.5)
    want = yolo.yolo_eval(joined, (100, 200), 20, 0.5, 0.5)
    assert len(got[0]) > 3
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g.numpy(), w.numpy())
    # A box of the second head survives, so the heads really were joined.
    assert np.any(got[1].numpy()[:, 2] - got[1].numpy()[:, 0] < 100 / 6 * 2)


# --- the pretrained YOLOv3-tiny ---------------------------------------------------

# OpenCV 4.14's cv2.dnn.readNetFromDarknet on data/darknet/yolov3-tiny.cfg with the same weights, fed the
# same letterboxed 416x416 input (yolo.letterbox of dog.jpg): its rows (x, y, w, h, objectness, objectness x
# class) kept at score >= 0.3, per-class NMS at 0.45 (cv2.dnn.NMSBoxesBatched), boxes mapped back to the
# photo's pixels. Box (y1, x1, y2, x2), score, class.
OPENCV_DOG = [((70.83, 466.63, 169.85, 679.52), 0.6983, "car"),  # the pickup, seen as a car ...
              ((95.44, 533.98, 157.93, 622.11), 0.6318, "car"),  # ... twice (IoU 0.26 < 0.45)
              ((188.76, 132.92, 512.35, 370.07), 0.6010, "dog"),
              ((151.40, 204.64, 447.83, 576.41), 0.5837, "bicycle")]


def test_detect_objects_on_dog_jpg_matches_opencvs_darknet_reader():
    boxes, scores, classes = yolo.detect_objects(datasets.load_photo("dog"))
    assert classes == [name for _, _, name in OPENCV_DOG]
    np.testing.assert_allclose(scores, [score for _, score, _ in OPENCV_DOG], atol=2e-4)
    np.testing.assert_allclose(boxes, [box for box, _, _ in OPENCV_DOG], atol=0.05)
    assert boxes.dtype == scores.dtype == np.float32


def test_detect_objects_finds_the_bus_and_cars_in_the_london_street_and_takes_any_input_form():
    path = DATA_DIR / "photos" / datasets.DATA_PHOTOS["london_bus"]
    photo = datasets.load_photo("london_bus")
    boxes, scores, classes = yolo.detect_objects(path)
    assert classes[0] == "bus" and scores[0] > 0.8 and classes.count("car") >= 1
    y1, x1, y2, x2 = boxes[0]  # the bus fills most of the photo
    assert y2 - y1 > 0.6 * photo.shape[0] and x2 - x1 > 0.7 * photo.shape[1]
    assert np.all(np.diff(scores) <= 0)
    for same in (photo, photo / 255.0):
        b, s, c = yolo.detect_objects(same)
        assert c == classes
        np.testing.assert_allclose(b, boxes, atol=0.5)
        np.testing.assert_allclose(s, scores, atol=2e-3)
    assert len(yolo.detect_objects(photo, score_threshold=0.5)[0]) < len(boxes)
    assert len(yolo.detect_objects(photo, max_boxes=1)[0]) == 1
    assert yolo.yolov3_tiny() is yolo.yolov3_tiny()  # built once


def test_letterbox_maps_boxes_back_exactly():
    image = np.zeros((90, 250, 3), "float32")
    image[30:60, 100:175] = 1.0  # a white box (y1, x1, y2, x2) = (30, 100, 60, 175)
    boxed, frame, offset = yolo.letterbox(image, 100)  # resized to 36 x 100, 32 grey rows above
    assert boxed.shape == (100, 100, 3) and boxed[0, 0, 0] == boxed[-1, 0, 0] == 0.5
    scale = np.array([frame[0], frame[1], frame[0], frame[1]])
    shift = np.array([offset[0], offset[1], offset[0], offset[1]])
    # The whole square, in the photo's pixels: 80 pixels of margin above and below the 90 rows.
    np.testing.assert_allclose(np.array([0, 0, 1, 1]) * scale - shift, [-80, 0, 170, 250], rtol=1e-6)
    rows, cols = np.nonzero(boxed[..., 0] > 0.75)
    found = np.array([rows.min(), cols.min(), rows.max() + 1, cols.max() + 1]) / 100  # fractions of the square
    np.testing.assert_allclose(found * scale - shift, [30, 100, 60, 175], atol=2.5)  # 1 pixel of 36 = 2.5


@pytest.mark.parametrize("image, error, match", [
    (np.full((20, 20, 3), np.nan, "float32"), ValueError, "finite"),
    (np.full((20, 20, 3), np.inf, "float32"), ValueError, "finite"),
    (np.full((20, 20, 3), 2.0, "float32"), ValueError, r"\[0, 1\]"),
    (np.zeros((20, 20), "uint8"), ValueError, "image"),
    (np.zeros((20, 20, 4), "uint8"), ValueError, r"\(H, W, 3\)"),
    (np.zeros((20, 20, 3), "int64"), TypeError, "uint8"),
    (None, TypeError, "image"),
])
def test_detect_objects_refuses_what_is_not_an_image(image, error, match):
    with pytest.raises(error, match=match):
        yolo.detect_objects(image)


def test_detect_objects_refuses_files_that_are_not_images_and_bad_thresholds(tmp_path):
    (tmp_path / "notes.txt").write_text("not a photo")
    with pytest.raises(ValueError, match="image must be an image file"):
        yolo.detect_objects(tmp_path / "notes.txt")
    with pytest.raises(FileNotFoundError, match="image"):
        yolo.detect_objects(tmp_path / "missing.jpg")
    photo = np.zeros((20, 20, 3), "uint8")
    with pytest.raises(ValueError, match="score_threshold"):
        yolo.detect_objects(photo, score_threshold=1.5)
    with pytest.raises(ValueError, match="iou_threshold"):
        yolo.detect_objects(photo, iou_threshold=-0.1)
    with pytest.raises(TypeError, match="max_boxes"):
        yolo.detect_objects(photo, max_boxes=2.0)
    boxes, scores, classes = yolo.detect_objects(photo)  # a black square: nothing found
    assert boxes.shape == (0, 4) and scores.shape == (0,) and classes == []


def test_missing_or_corrupted_weights_raise_asset_error_naming_make_assets(tmp_path, monkeypatch):
    monkeypatch.setattr(pretrained, "ASSET_DIR", tmp_path)
    yolo.yolov3_tiny.cache_clear()
    try:
        with pytest.raises(AssetError, match="make assets"):
            yolo.yolov3_tiny()
        (tmp_path / "yolov3-tiny.weights").write_bytes(b"\0" * 100)
        pretrained.write_checksum(tmp_path / "yolov3-tiny.weights", pretrained.YOLOV3_TINY.sha256)
        with pytest.raises(AssetError, match="corrupted.*make assets"):
            yolo.yolov3_tiny()
    finally:
        yolo.yolov3_tiny.cache_clear()


def test_small_yolo_starts_from_yolov3_tiny_and_computes_its_first_blocks():
    model = yolo.small_yolo_model((128, 128, 3), num_anchors=5, num_classes=3, width=16)
    names = yolo.init_from_yolov3_tiny(model, blocks=5)
    assert names[:2] == ["block1_conv", "block1_bn"] and len(names) == 10
    x = np.random.default_rng(9).uniform(0, 1, (1, 128, 128, 3)).astype("float32")
    ours = keras.Model(model.input, model.get_layer("block5_leaky").output)(x, training=False).numpy()
    darknet = yolo.yolov3_tiny()
    theirs = keras.Model(darknet.input, darknet.get_layer("leaky_8").output)
    theirs = theirs(np.pad(x, [(0, 0), (0, 288), (0, 288), (0, 0)]), training=False).numpy()  # the same top-left
    # Block 5 sees 78 pixels: its first 4 x 4 cells do not reach the 128-pixel edge, where the two inputs differ.
    np.testing.assert_allclose(ours[:, :4, :4], theirs[:, :4, :4], rtol=1e-4, atol=1e-3)
    with pytest.raises(ValueError, match=r"width=16"):
        yolo.init_from_yolov3_tiny(yolo.small_yolo_model((64, 64, 3), width=8))
