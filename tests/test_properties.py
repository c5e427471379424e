"""Property tests across modules (hypothesis), and reproducibility of seeded code.

- numpy_cnn: the output-size formulas of convolution, pooling and transposed
  convolution match the shapes the layers really return; the loop and vectorized
  versions compute the same numbers; a transposed convolution is the gradient of
  a convolution with respect to its input.
- yolo: IoU is symmetric, lies in [0, 1], is 1 for identical boxes and 0 for
  disjoint ones (for single boxes and the vectorized forms); non-max suppression
  returns a subset of its input in which no two boxes of one class overlap above
  the threshold.
- nst: Gram matrices are symmetric positive semi-definite.
- scenes: boxes lie inside the image and cover every object pixel of their class.
- Reproducibility: seeded generators and ``config.set_seed``-driven model
  initialisations give the same results twice in fast mode.
"""
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnn_utils import config, localization, nst, scenes, unet, visualize_features, yolo
from cnn_utils import numpy_cnn as nc

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ----------------------------------------------------------------------------- numpy_cnn


@st.composite
def conv_problems(draw):
    """A random convolution: (A_prev, W, b, stride, pad) with the window fitting the padded input."""
    m = draw(st.integers(1, 2))
    f = draw(st.integers(1, 4))
    pad = draw(st.integers(0, 2))
    n_H = draw(st.integers(max(1, f - 2 * pad), 8))
    n_W = draw(st.integers(max(1, f - 2 * pad), 8))
    n_C_prev, n_C = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    return (rng.standard_normal((m, n_H, n_W, n_C_prev)), rng.standard_normal((f, f, n_C_prev, n_C)),
            rng.standard_normal((1, 1, 1, n_C)), stride, pad)


@st.composite
def pool_problems(draw):
    """A random pooling: (A_prev, f, stride, mode); values are distinct so the max is unique."""
    m, n_C = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    f = draw(st.integers(1, 4))
    n_H, n_W = draw(st.integers(f, 9)), draw(st.integers(f, 9))
    stride = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    A_prev = rng.permutation(m * n_H * n_W * n_C).reshape(m, n_H, n_W, n_C) / 10.0
    return A_prev, f, stride, draw(st.sampled_from(nc.POOL_MODES))


@SETTINGS
@given(conv_problems())
def test_conv_output_size_formula_and_loops_equal_vectorized(problem):
    A_prev, W, b, stride, pad = problem
    m, n_H_prev, n_W_prev, _ = A_prev.shape
    f, n_C = W.shape[0], W.shape[3]
    expected = (m, (n_H_prev + 2 * pad - f) // stride + 1, (n_W_prev + 2 * pad - f) // stride + 1, n_C)
    hp = {"stride": stride, "pad": pad}
    Z, cache = nc.conv_forward_vectorized(A_prev, W, b, hp)
    Z_loops, cache_loops = nc.conv_forward(A_prev, W, b, hp)
    assert Z.shape == Z_loops.shape == nc.conv_output_shape(A_prev.shape, W.shape, stride, pad) == expected
    np.testing.assert_allclose(Z, Z_loops, rtol=1e-10, atol=1e-10)
    dZ = np.random.default_rng(1).standard_normal(Z.shape)
    for fast, slow in zip(nc.conv_backward_vectorized(dZ, cache), nc.conv_backward(dZ, cache_loops)):
        assert fast.shape == slow.shape
        np.testing.assert_allclose(fast, slow, rtol=1e-10, atol=1e-10)


@SETTINGS
@given(pool_problems())
def test_pool_output_size_formula_and_loops_equal_vectorized(problem):
    A_prev, f, stride, mode = problem
    m, n_H_prev, n_W_prev, n_C = A_prev.shape
    expected = (m, (n_H_prev - f) // stride + 1, (n_W_prev - f) // stride + 1, n_C)
    hp = {"f": f, "stride": stride}
    A, cache = nc.pool_forward_vectorized(A_prev, hp, mode)
    A_loops, _ = nc.pool_forward(A_prev, hp, mode)
    assert A.shape == A_loops.shape == expected
    np.testing.assert_allclose(A, A_loops, rtol=1e-12)
    dA = np.random.default_rng(2).standard_normal(A.shape)
    dA_prev = nc.pool_backward_vectorized(dA, cache, mode)
    np.testing.assert_allclose(dA_prev, nc.pool_backward(dA, cache, mode), rtol=1e-10, atol=1e-12)
    # The gradient is only redistributed: its total is kept.
    assert dA_prev.sum() == pytest.approx(dA.sum())


@SETTINGS
@given(conv_problems())
def test_transposed_conv_size_formula_and_gradient_of_conv(problem):
    """conv_transpose_forward(dZ, W^T) with output_padding = (n + 2p - f) % stride is dA_prev of conv."""
    A_prev, W, b, stride, pad = problem
    n_H_prev, n_W_prev = A_prev.shape[1:3]
    f = W.shape[0]
    Z, cache = nc.conv_forward_vectorized(A_prev, W, b, {"stride": stride, "pad": pad})
    dZ = np.random.default_rng(3).standard_normal(Z.shape)
    dA_prev, _, _ = nc.conv_backward_vectorized(dZ, cache)
    out_pad_h, out_pad_w = (n_H_prev + 2 * pad - f) % stride, (n_W_prev + 2 * pad - f) % stride
    n_H = nc.conv_transpose_output_size(Z.shape[1], f, stride, pad, out_pad_h)
    n_W = nc.conv_transpose_output_size(Z.shape[2], f, stride, pad, out_pad_w)
    assert (n_H, n_W) == (n_H_prev, n_W_prev)
    # conv_transpose_forward takes one output_padding for both axes: with the larger one, the
    # other axis gets extra rows/columns at its bottom/right end, cropped here.
    out_pad = max(out_pad_h, out_pad_w)
    hp = {"stride": stride, "pad": pad, "output_padding": out_pad}
    T = nc.conv_transpose_forward(dZ, W.transpose(0, 1, 3, 2), np.zeros((1, 1, 1, W.shape[2])), hp)
    assert T.shape[1:3] == (n_H + out_pad - out_pad_h, n_W + out_pad - out_pad_w)
    np.testing.assert_allclose(T[:, :n_H, :n_W], dA_prev, rtol=1e-10, atol=1e-10)


# ----------------------------------------------------------------------------- yolo: IoU and NMS


@st.composite
def corner_boxes(draw, low=0, high=40):
    """An (x1, y1, x2, y2) box with integer corners and positive width and height."""
    x1, y1 = draw(st.integers(low, high - 1)), draw(st.integers(low, high - 1))
    return np.array([x1, y1, draw(st.integers(x1 + 1, high)), draw(st.integers(y1 + 1, high))], float)


@SETTINGS
@given(corner_boxes(), corner_boxes())
def test_iou_symmetric_bounded_one_for_identical(box1, box2):
    value = yolo.iou(box1, box2)
    assert 0.0 <= value <= 1.0
    assert value == pytest.approx(yolo.iou(box2, box1))
    assert yolo.iou(box1, box1) == pytest.approx(1.0)
    assert yolo.iou(box2, box2) == pytest.approx(1.0)


@SETTINGS
@given(corner_boxes(), corner_boxes(), st.integers(0, 5))
def test_iou_zero_for_disjoint_boxes(box1, box2, gap):
    moved = box2.copy()
    moved[[0, 2]] += box1[2] - box2[0] + gap  # box2 shifted to start right of box1 (touching when gap = 0)
    assert yolo.iou(box1, moved) == 0.0
    assert yolo.iou(moved, box1) == 0.0


@SETTINGS
@given(st.lists(corner_boxes(), min_size=1, max_size=6), st.lists(corner_boxes(), min_size=1, max_size=6))
def test_vectorized_ious_match_pairwise_iou(boxes1, boxes2):
    b1, b2 = np.stack(boxes1), np.stack(boxes2)
    pairwise = np.array([[yolo.iou(a, b) for b in b2] for a in b1])
    table = yolo.iou(b1[:, None, :], b2[None, :, :])
    np.testing.assert_allclose(table, pairwise, atol=1e-12)
    np.testing.assert_allclose(yolo.iou(b2[:, None, :], b1[None, :, :]), table.T, atol=1e-12)
    # The training code's IoU of centre/size boxes (TensorFlow) agrees with it.
    xy1, wh1 = (b1[:, :2] + b1[:, 2:]) / 2, b1[:, 2:] - b1[:, :2]
    xy2, wh2 = (b2[:, :2] + b2[:, 2:]) / 2, b2[:, 2:] - b2[:, :2]
    tf_table = yolo._pairwise_iou_xywh(*(tf.constant(v[None], tf.float32) for v in (xy1, wh1, xy2, wh2)))
    np.testing.assert_allclose(tf_table.numpy()[0], pairwise, atol=1e-5)
    # Boxes sharing a centre (iou_wh): symmetric, in [0, 1], 1 on identical sizes.
    same_centre = yolo.iou_wh(wh1, wh2)
    assert same_centre.shape == (len(b1), len(b2))
    assert np.all((same_centre >= 0) & (same_centre <= 1 + 1e-12))
    np.testing.assert_allclose(yolo.iou_wh(wh2, wh1), same_centre.T)
    np.testing.assert_allclose(np.diag(yolo.iou_wh(wh1, wh1)), 1.0)


@st.composite
def detections(draw):
    n = draw(st.integers(1, 12))
    boxes = np.stack([draw(corner_boxes(0, 30)) for _ in range(n)])[:, [1, 0, 3, 2]]  # (y1, x1, y2, x2)
    scores = np.array(draw(st.lists(st.floats(0.125, 1.0, width=32), min_size=n, max_size=n, unique=True)), np.float32)
    classes = np.array(draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)), np.int32)
    return scores, boxes.astype(np.float32), classes


@SETTINGS
@given(detections(), st.integers(1, 12), st.sampled_from([0.3, 0.5, 0.7]))
def test_nms_keeps_a_subset_without_same_class_overlaps(detection, max_boxes, threshold):
    scores, boxes, classes = detection
    kept_scores, kept_boxes, kept_classes = (np.asarray(t) for t in yolo.yolo_non_max_suppression(
        scores, boxes, classes, max_boxes=max_boxes, iou_threshold=threshold))
    k = len(kept_scores)
    assert 1 <= k <= max_boxes
    assert np.all(np.diff(kept_scores) <= 0)
    # Subset: every kept detection is one of the inputs (scores are unique, so they identify it).
    index = [int(np.flatnonzero(scores == s)[0]) for s in kept_scores]
    assert len(set(index)) == k
    np.testing.assert_array_equal(kept_boxes, boxes[index])
    np.testing.assert_array_equal(kept_classes, classes[index])
    # No two kept boxes of one class overlap above the threshold (IoU is the same in (y, x) order).
    for i in range(k):
        for j in range(i + 1, k):
            if kept_classes[i] == kept_classes[j]:
                assert yolo.iou(kept_boxes[i], kept_boxes[j]) <= threshold + 1e-5
    # The best box of each class always survives.
    for c in np.unique(classes):
        if k < max_boxes:
            assert scores[classes == c].max() in kept_scores


# ----------------------------------------------------------------------------- nst and scenes


@SETTINGS
@given(st.integers(1, 6), st.integers(1, 20), st.integers(0, 2**16))
def test_gram_matrix_symmetric_positive_semidefinite(n_C, n_HW, seed):
    A = np.random.default_rng(seed).standard_normal((n_C, n_HW)).astype(np.float32)
    G = nst.gram_matrix(tf.constant(A)).numpy().astype(np.float64)
    assert G.shape == (n_C, n_C)
    np.testing.assert_allclose(G, G.T, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(G, A.astype(np.float64) @ A.T, rtol=1e-4, atol=1e-4)
    assert np.linalg.eigvalsh(G).min() >= -1e-4 * max(1.0, np.abs(G).max())
    assert np.all(np.diag(G) >= 0)


@settings(max_examples=12, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from([32, 64, 96]), st.integers(0, 5))
def test_scene_boxes_lie_in_the_image_and_cover_object_pixels(seed, size, n_objects):
    scene = scenes.make_scene(seed, size=size, n_objects=n_objects)
    boxes, classes, mask = scene["boxes"], scene["classes"], scene["mask"]
    assert scene["image"].shape == (size, size, 3) and mask.shape == (size, size)
    assert boxes.shape == (len(classes), 4) and len(classes) <= n_objects
    assert np.all(boxes >= 0) and np.all(boxes <= size)
    assert np.all(boxes[:, 2] > boxes[:, 0]) and np.all(boxes[:, 3] > boxes[:, 1])
    assert np.all((classes >= 0) & (classes < len(scenes.OBJECT_CLASSES)))
    for c, label in enumerate(scenes.OBJECT_LABELS):
        covered = np.zeros_like(mask, bool)
        for x1, y1, x2, y2 in boxes[classes == c].astype(int):
            covered[y1:y2, x1:x2] = True
        assert not np.any((mask == label) & ~covered)


# ----------------------------------------------------------------------------- reproducibility


def test_seeded_generators_repeat_in_fast_mode(monkeypatch):
    monkeypatch.setenv(config.FAST_ENV, "1")
    first, second = scenes.make_scenes(3, seed=5, size=48), scenes.make_scenes(3, seed=5, size=48)
    np.testing.assert_array_equal(first["images"], second["images"])
    np.testing.assert_array_equal(first["masks"], second["masks"])
    for a, b in zip(first["boxes"] + first["classes"], second["boxes"] + second["classes"]):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first["images"], scenes.make_scenes(3, seed=6, size=48)["images"])
    for generate in (visualize_features.ecg_strips, visualize_features.shape_volumes):
        (x1, y1), (x2, y2) = generate(4, seed=1), generate(4, seed=1)
        np.testing.assert_array_equal(x1, x2)
        np.testing.assert_array_equal(y1, y2)


def _initial_weights(build):
    config.set_seed(7)
    return [w.copy() for w in build().get_weights()]


@pytest.mark.parametrize("build", [
    pytest.param(lambda: localization.localization_model((32, 32, 3), filters=(4, 8)), id="localization_model"),
    pytest.param(lambda: unet.unet_model((16, 16, 3), n_filters=2, n_classes=3), id="unet_model"),
])
def test_set_seed_repeats_model_initialisation(monkeypatch, build):
    monkeypatch.setenv(config.FAST_ENV, "1")
    first, second = _initial_weights(build), _initial_weights(build)
    assert len(first) == len(second)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    config.set_seed(8)
    other = build().get_weights()
    assert any(not np.array_equal(a, b) for a, b in zip(first, other))
