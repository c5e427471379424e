import keras
import numpy as np
import pytest

from cnn_utils import unet


def test_course_parameter_count():
    assert unet.unet_model((96, 128, 3), n_filters=32, n_classes=23).count_params() == 8_640_471


def test_without_skips_differs_only_by_concatenated_channels():
    with_skips = unet.unet_model((32, 48, 3), n_filters=4, n_classes=5)
    without = unet.unet_model((32, 48, 3), n_filters=4, n_classes=5, skip_connections=False)
    assert without.output.shape == with_skips.output.shape == (None, 32, 48, 5)
    assert not any(isinstance(l, keras.layers.Concatenate) for l in without.layers)
    # each skip adds (channels of the skip) x 3 x 3 x n_filters weights to the first conv after it
    extra = sum(c * 9 * c for c in (32, 16, 8, 4))
    assert with_skips.count_params() - without.count_params() == extra


def test_conv_block_shapes():
    inputs = keras.Input((16, 24, 3))
    pooled, skip = unet.conv_block(inputs, n_filters=8)
    assert pooled.shape == (None, 8, 12, 8) and skip.shape == (None, 16, 24, 8)
    same, skip = unet.conv_block(inputs, n_filters=8, dropout_prob=0.2, max_pooling=False)
    assert same is skip and same.shape == (None, 16, 24, 8)


def test_upsampling_block_shape():
    up = unet.upsampling_block(keras.Input((4, 6, 16)), keras.Input((8, 12, 8)), n_filters=8)
    assert up.shape == (None, 8, 12, 8)


def test_segmentation_metrics_hand_computed():
    y_true = np.array([[0, 0, 1, 1], [2, 2, 2, 2]])
    y_pred = np.array([[0, 1, 1, 1], [2, 2, 0, 2]])
    m = unet.segmentation_metrics(y_true, y_pred, n_classes=4)
    assert m["pixel_accuracy"] == 6 / 8
    # class 0: inter 1, union 3; class 1: inter 2, union 3; class 2: inter 3, union 4; class 3 absent
    np.testing.assert_allclose(m["iou"][:3], [1 / 3, 2 / 3, 3 / 4])
    assert np.isnan(m["iou"][3])
    assert m["mean_iou"] == pytest.approx((1 / 3 + 2 / 3 + 3 / 4) / 3)


def test_metrics_agree_with_keras_mean_iou():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 5, (3, 8, 8))
    y_pred = np.where(rng.uniform(size=y_true.shape) < 0.7, y_true, rng.integers(0, 5, y_true.shape))
    metric = keras.metrics.MeanIoU(num_classes=5)
    metric.update_state(y_true, y_pred)
    assert unet.segmentation_metrics(y_true, y_pred, 5)["mean_iou"] == pytest.approx(float(metric.result()), rel=1e-5)


def test_class_weights_inverse_square_root_of_share():
    masks = np.array([[0] * 81 + [1] * 9 + [2] * 10 + [4] * 0])  # shares .81, .09, .10; class 3 absent
    w = unet.class_weights(masks, 4)
    np.testing.assert_allclose(w[1] / w[0], 3, rtol=1e-6)  # sqrt(.81 / .09)
    np.testing.assert_allclose(w[2] / w[0], 0.9 / np.sqrt(0.1), rtol=1e-6)
    assert w[3] == 0
    assert w[masks].mean() == pytest.approx(1)  # the average pixel weighs 1


def test_small_unet_learns_a_toy_segmentation():
    keras.utils.set_random_seed(0)
    x = np.zeros((32, 16, 16, 1), np.float32)
    y = np.zeros((32, 16, 16), np.int32)
    rng = np.random.default_rng(0)
    for i in range(32):
        r, c = rng.integers(0, 10, 2)
        x[i, r:r + 6, c:c + 6] = 1
        y[i, r:r + 6, c:c + 6] = 1
    model = unet.unet_model((16, 16, 1), n_filters=4, n_classes=2)
    model.compile(keras.optimizers.Adam(1e-2), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, epochs=40, batch_size=8, verbose=0)
    m = unet.segmentation_metrics(y, unet.predict_masks(model, x), 2)
    assert m["mean_iou"] > 0.8


def test_bad_arguments():
    with pytest.raises(ValueError, match="divisible by 16"):
        unet.unet_model((100, 128, 3))
    with pytest.raises(ValueError, match="images must hold finite values"):
        unet.predict_masks(unet.unet_model((16, 16, 3), n_filters=2, n_classes=2), np.full((1, 16, 16, 3), np.nan))
    with pytest.raises(ValueError, match="same shape"):
        unet.segmentation_metrics(np.zeros((2, 2), int), np.zeros((2, 3), int), 2)
    with pytest.raises(ValueError, match="y_pred"):
        unet.segmentation_metrics(np.zeros((2, 2), int), np.full((2, 2), 5), 2)
