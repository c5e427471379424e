import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings, strategies as st

from cnn_utils import localization as loc
from cnn_utils import scenes


def test_encode_target_car_and_background():
    y = loc.encode_target([30, 40, 70, 100], 1, image_size=(200, 100))  # height 200, width 100
    np.testing.assert_allclose(y, [1, 0.5, 0.35, 0.3, 0.4, 0, 1, 0])
    np.testing.assert_array_equal(loc.encode_target(None, 0, 128), np.zeros(8))


@settings(max_examples=40, deadline=None)
@given(st.floats(0, 100), st.floats(0, 100), st.floats(1, 28), st.floats(1, 28), st.integers(0, 2))
def test_decode_inverts_encode(x1, y1, w, h, cls):
    box = np.array([x1, y1, x1 + w, y1 + h], np.float32)
    got, got_cls, p_c = loc.decode_target(loc.encode_target(box, cls, 128), 128)
    np.testing.assert_allclose(got, box, atol=1e-3)
    assert got_cls == cls and p_c == 1
    assert loc.decode_target(loc.encode_target(None, 0, 128), 128)[:2] == (None, None)


def test_decode_boxes_inverts_encode_targets_on_scenes():
    # Centre and size in the target, corners in pixels: a centre/corner or height/width mix-up
    # anywhere on the way shifts or stretches every box, and this fails.
    data = scenes.make_scenes(12, seed=3, size=64, n_objects=1)
    kept = [i for i, b in enumerate(data["boxes"]) if len(b)]
    Y = loc.encode_targets([data["boxes"][i] for i in kept], [data["classes"][i] for i in kept], (64, 64))
    np.testing.assert_allclose(loc.decode_boxes(Y, 64), np.concatenate([data["boxes"][i] for i in kept]), atol=1e-4)
    wide = loc.encode_target([10, 20, 50, 30], 0, image_size=(60, 100))  # 40 wide, 10 high, in a 60 x 100 image
    np.testing.assert_allclose(wide[1:5], [0.3, 25 / 60, 10 / 60, 0.4])
    np.testing.assert_allclose(loc.decode_boxes(wide[None], (60, 100))[0], [10, 20, 50, 30], atol=1e-4)
    np.testing.assert_allclose(loc.decode_target(wide, (60, 100))[0], [10, 20, 50, 30], atol=1e-4)


def test_encode_targets_from_scenes():
    data = scenes.make_scenes(6, seed=1, size=64, n_objects=1)
    Y = loc.encode_targets(data["boxes"], data["classes"], 64)
    assert Y.shape == (6, 8) and (Y[:, 0] == 1).all()
    np.testing.assert_array_equal(Y[:, 5:].argmax(1), np.concatenate(data["classes"]))
    with pytest.raises(ValueError, match=r"boxes\[1\] must hold at most one box"):
        loc.encode_targets([np.zeros((0, 4)), np.zeros((2, 4))], [np.zeros(0, int), np.zeros(2, int)], 64)


def test_empty_single_object_scenes_are_background_examples():
    # At size 64 a few n_objects=1 scenes come out empty (scenes 52, 73, 100 and 119 of these 120).
    data = scenes.make_scenes(120, seed=0, size=64, n_objects=1)
    Y = loc.encode_targets(data["boxes"], data["classes"], 64)
    empty = np.array([len(b) == 0 for b in data["boxes"]])
    assert empty.sum() == 4
    np.testing.assert_array_equal(Y[empty], 0)  # p_c = 0 and nothing else
    assert (Y[~empty, 0] == 1).all()


def test_loss_hand_computed():
    y_true = np.array([[1, .5, .5, .2, .2, 0, 1, 0],
                       [0, .9, .9, .9, .9, 1, 0, 0]], np.float32)
    y_pred = np.array([[.8, .4, .5, .2, .4, .1, .7, .2],
                       [.3, 0, 0, 0, 0, 0, 0, 0]], np.float32)
    # first: .04 + .01 + 0 + 0 + .04 + .01 + .09 + .04 = .23; second: only (.3 - 0)^2 = .09
    np.testing.assert_allclose(np.asarray(loc.localization_loss(y_true, y_pred)), [.23, .09], atol=1e-6)


def test_loss_box_weight_scales_only_the_box_terms():
    y_true = np.array([[1, .5, .5, .2, .2, 0, 1, 0], [0, .9, .9, .9, .9, 1, 0, 0]], np.float32)
    y_pred = np.array([[.8, .4, .5, .2, .4, .1, .7, .2], [.3, 0, 0, 0, 0, 0, 0, 0]], np.float32)
    # box terms .01 + .04 = .05 count 5 times: .04 + 5 x .05 + (.01 + .09 + .04) = .43; background unchanged
    np.testing.assert_allclose(np.asarray(loc.localization_loss(y_true, y_pred, box_weight=5)), [.43, .09], atol=1e-6)


def test_loss_gradient_matches_formula():
    rng = np.random.default_rng(0)
    y_true = np.concatenate([rng.integers(0, 2, (5, 1)), rng.uniform(size=(5, 7))], 1).astype(np.float32)
    y_pred = tf.Variable(rng.uniform(size=(5, 8)).astype(np.float32))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(loc.localization_loss(y_true, y_pred))
    grad = tape.gradient(loss, y_pred).numpy()
    want = 2 * (y_pred.numpy() - y_true)
    want[:, 1:] *= y_true[:, :1]  # background rows: no gradient except on p_c
    np.testing.assert_allclose(grad, want, rtol=1e-5, atol=1e-6)


def test_localization_model_output():
    model = loc.localization_model((64, 64, 3))
    out = np.asarray(model(np.zeros((2, 64, 64, 3), np.float32)))
    assert out.shape == (2, 8)
    assert ((out[:, :5] >= 0) & (out[:, :5] <= 1)).all()
    np.testing.assert_allclose(out[:, 5:].sum(1), 1, rtol=1e-5)


def test_trained_localizer_predicts_the_same_in_inference_and_training_mode():
    # With batch norm, inference used running averages that lagged behind the training
    # statistics, and every predicted box came out shifted the same way.
    keras.utils.set_random_seed(0)
    data = scenes.make_scenes(64, seed=2, size=32, n_objects=1)
    y = loc.encode_targets(data["boxes"], data["classes"], 32)
    model = loc.localization_model((32, 32, 3), filters=(8, 8))
    model.compile(keras.optimizers.Adam(2e-3), loc.localization_loss)
    model.fit(data["images"], y, epochs=2, batch_size=16, verbose=0)
    x = data["images"][:16].astype(np.float32)
    np.testing.assert_allclose(np.asarray(model(x, training=False)), np.asarray(model(x, training=True)), atol=1e-5)


def test_landmarks_round_trip():
    points = np.array([[30, 40], [70, 40], [50, 60], [50, 80]])
    y = loc.encode_landmarks(points, 100)
    np.testing.assert_allclose(y, [1, .3, .4, .7, .4, .5, .6, .5, .8])
    p, back = loc.decode_landmarks(y, 100)
    assert p == 1 and np.allclose(back, points)
    assert loc.encode_landmarks(points, 100, present=False).tolist() == [0] * 9
    with pytest.raises(ValueError, match="points"):
        loc.encode_landmarks(np.zeros(4), 100)


@pytest.mark.parametrize("size, grid", [(14, 1), (16, 2), (28, 8)])
def test_convolutional_sliding_windows_equal_crop_by_crop(size, grid):
    fc = loc.fc_window_classifier()
    conv = loc.to_convolutional(fc)
    image = np.random.default_rng(size).uniform(size=(size, size, 3)).astype(np.float32)
    dense_out = np.asarray(conv(image[None]))[0]
    assert dense_out.shape == (grid, grid, 4)
    np.testing.assert_allclose(dense_out, loc.sliding_window_predict(fc, image), rtol=1e-4, atol=1e-6)


def test_conv_version_has_same_parameter_count():
    fc = loc.fc_window_classifier()
    assert fc.count_params() == loc.to_convolutional(fc).count_params() == 1216 + 160400 + 160400 + 1604


def test_bad_arguments():
    with pytest.raises(ValueError, match="box"):
        loc.encode_target([5, 5, 2, 9], 0, 64)
    with pytest.raises(ValueError, match="class_id"):
        loc.encode_target([1, 1, 2, 2], 3, 64)
    with pytest.raises(ValueError, match="image_size"):
        loc.encode_target(None, 0, -3)
    with pytest.raises(TypeError, match="fc_model"):
        loc.to_convolutional("model")
    with pytest.raises(ValueError, match="image"):
        loc.sliding_window_predict(loc.fc_window_classifier(), np.zeros((10, 10, 3)))
