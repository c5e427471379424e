"""Tests for cnn_utils.transfer (augmentation, transfer model, fine-tuning helpers) and the photo patches."""
import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnn_utils import datasets, pretrained, transfer

RNG = np.random.default_rng(0)
IMAGES = RNG.integers(0, 256, size=(6, 32, 32, 3)).astype("float32")


@pytest.fixture(scope="module")
def base():
    return pretrained.vgg16_base((32, 32, 3), weights_path=pretrained.prepare_vgg16_hed())


def test_rgb_pca_matches_numpy_covariance():
    pixels = RNG.normal(size=(500, 3)) @ np.array([[30.0, 0, 0], [10, 5, 0], [0, 2, 1]])
    values, vectors = transfer.rgb_pca(pixels)
    cov = np.cov(pixels, rowvar=False)
    assert values[0] >= values[1] >= values[2] >= 0
    np.testing.assert_allclose(cov @ vectors, vectors * values, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(vectors.T @ vectors, np.eye(3), atol=1e-5)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.floats(-3, 3), min_size=3, max_size=3))
def test_pca_shift_moves_every_pixel_by_the_same_colour(alpha):
    values, vectors = np.array([900.0, 100.0, 4.0]), np.linalg.qr(RNG.normal(size=(3, 3)))[0]
    images = np.full((1, 4, 4, 3), 128.0)
    shifted = np.asarray(transfer.pca_color_shift(images, np.array([alpha]), values, vectors,
                                                  value_range=(-1e6, 1e6)))
    expected = 128.0 + vectors @ (np.array(alpha) * np.sqrt(values))
    np.testing.assert_allclose(shifted[0, 2, 3], expected, rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(shifted, np.broadcast_to(shifted[:, :1, :1], shifted.shape), atol=1e-4)


def test_pca_layer_is_identity_at_inference_and_shifts_while_training():
    values, vectors = transfer.rgb_pca(IMAGES)
    layer = transfer.PCAColorAugmentation(values, vectors, stddev=0.5, seed=1)
    np.testing.assert_array_equal(np.asarray(layer(IMAGES, training=False)), IMAGES)
    out = np.asarray(layer(IMAGES, training=True))
    assert out.shape == IMAGES.shape and 0 <= out.min() and out.max() <= 255
    assert not np.allclose(out, IMAGES)
    shift = out - IMAGES  # where no pixel was clipped, the shift is one colour per image
    unclipped = (out > 0).all(-1) & (out < 255).all(-1)
    for i in range(len(IMAGES)):
        s = shift[i][unclipped[i]]
        np.testing.assert_allclose(s, np.broadcast_to(s[:1], s.shape), atol=1e-3)


def test_pca_layer_validates_arguments():
    with pytest.raises(ValueError, match="eigenvalues"):
        transfer.PCAColorAugmentation([1.0, 2.0], np.eye(3))
    with pytest.raises(ValueError, match="eigenvectors"):
        transfer.PCAColorAugmentation([3.0, 2.0, 1.0], np.eye(2))
    with pytest.raises(ValueError, match="shape"):
        transfer.rgb_pca(np.zeros((4, 4)))
    values, vectors = [3.0, 2.0, 1.0], np.eye(3)
    with pytest.raises(TypeError, match="eigenvalues"):
        transfer.PCAColorAugmentation(["a", "b", "c"], vectors)
    with pytest.raises(TypeError, match="stddev"):
        transfer.PCAColorAugmentation(values, vectors, stddev="a")
    with pytest.raises(ValueError, match="stddev"):
        transfer.PCAColorAugmentation(values, vectors, stddev=-0.1)
    with pytest.raises(ValueError, match="stddev"):
        transfer.PCAColorAugmentation(values, vectors, stddev=float("inf"))
    # value_range and seed are checked when the layer is made, not at its first call
    with pytest.raises(ValueError, match="value_range"):
        transfer.PCAColorAugmentation(values, vectors, value_range=(255, 0))
    with pytest.raises(ValueError, match="value_range"):
        transfer.PCAColorAugmentation(values, vectors, value_range=(0, 128, 255))
    with pytest.raises(TypeError, match="value_range"):
        transfer.PCAColorAugmentation(values, vectors, value_range=255)
    with pytest.raises(TypeError, match="value_range"):
        transfer.PCAColorAugmentation(values, vectors, value_range=("0", "255"))
    with pytest.raises(TypeError, match="seed"):
        transfer.PCAColorAugmentation(values, vectors, seed="1")
    with pytest.raises(ValueError, match="seed"):
        transfer.PCAColorAugmentation(values, vectors, seed=-1)
    layer = transfer.PCAColorAugmentation(values, vectors, stddev=1, value_range=[0, 1], seed=3)
    assert layer.stddev == 1.0 and layer.value_range == (0.0, 1.0) and layer.seed == 3


def test_pca_color_shift_validates_value_range():
    values, vectors = np.array([3.0, 2.0, 1.0]), np.eye(3)
    images, alpha = np.zeros((1, 2, 2, 3)), np.zeros((1, 3))
    with pytest.raises(TypeError, match="value_range"):
        transfer.pca_color_shift(images, alpha, values, vectors, value_range=5)
    with pytest.raises(ValueError, match="value_range"):
        transfer.pca_color_shift(images, alpha, values, vectors, value_range=(1, 1))
    with pytest.raises(ValueError, match="value_range"):
        transfer.pca_color_shift(images, alpha, values, vectors, value_range=(0, float("nan")))
    clipped = np.asarray(transfer.pca_color_shift(images + 5, alpha, values, vectors, value_range=(0, 1)))
    np.testing.assert_array_equal(clipped, np.ones((1, 2, 2, 3)))


def test_data_augmenter_keeps_shape_and_range_and_is_identity_at_inference():
    augmenter = transfer.data_augmenter(*transfer.rgb_pca(IMAGES), seed=0)
    assert isinstance(augmenter, keras.Sequential)
    names = [layer.__class__.__name__ for layer in augmenter.layers]
    assert names[0] == "RandomFlip" and names[-1] == "PCAColorAugmentation"
    out = np.asarray(augmenter(IMAGES, training=True))
    assert out.shape == IMAGES.shape
    assert out.min() >= 0 and out.max() <= 255 + 1e-3
    assert not np.allclose(out, IMAGES)
    np.testing.assert_allclose(np.asarray(augmenter(IMAGES, training=False)), IMAGES, atol=1e-3)


def test_transfer_model_shapes_and_frozen_base(base):
    augmenter = transfer.data_augmenter(*transfer.rgb_pca(IMAGES))
    model = transfer.transfer_model((32, 32), augmenter, base, num_classes=5)
    assert model.output.shape == (None, 5)
    assert not model.get_layer("vgg16").trainable
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == 2 * 512 + 512 * 5 + 5  # only the new head learns: norm scale/offset, softmax
    probs = np.asarray(model(IMAGES, training=False))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


def test_unfreeze_top_then_freeze_again(base):
    model = transfer.transfer_model((32, 32), keras.layers.Identity(), base, num_classes=3)
    names = transfer.unfreeze_top(model, "block5_conv1")
    assert names == ["block5_conv1", "block5_conv2", "block5_conv3"]
    assert not base.get_layer("block4_conv3").trainable and base.get_layer("block5_conv3").trainable
    head_and_block5 = 3 * (3 * 3 * 512 * 512 + 512) + 2 * 512 + 512 * 3 + 3
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == head_and_block5
    transfer.freeze_base(model)
    assert len(model.trainable_weights) == 4
    with pytest.raises(ValueError, match="first_trainable"):
        transfer.unfreeze_top(model, "block9_conv1")


def test_precomputed_features_feed_the_same_head(base):
    model = transfer.transfer_model((32, 32), keras.layers.Identity(), base, num_classes=4, dropout=0.0)
    features = transfer.precompute_features(base, IMAGES.astype("uint8"))
    assert features.shape == (6, 1, 1, 512)
    head = transfer.head_model(features.shape[1:], num_classes=4, dropout=0.0)
    for name in ("head_norm", "classifier"):
        head.get_layer(name).set_weights(model.get_layer(name).get_weights())
    np.testing.assert_allclose(np.asarray(head(features)), np.asarray(model(IMAGES.astype("uint8"))),
                               rtol=1e-4, atol=1e-6)


def test_scratch_model_and_builders_validate_arguments(base):
    model = transfer.scratch_model((32, 32), keras.layers.Identity(), num_classes=3)
    assert model.output.shape == (None, 3)
    with pytest.raises(ValueError, match="image_shape"):
        transfer.transfer_model((32, 32, 3), keras.layers.Identity(), base)
    with pytest.raises(TypeError, match="base"):
        transfer.transfer_model((32, 32), keras.layers.Identity(), "vgg16")
    with pytest.raises(ValueError, match="num_classes"):
        transfer.head_model((1, 1, 512), num_classes=1)


def test_truncated_base_shares_the_weights(base):
    cut = transfer.truncate_base(base, "block4_pool")
    assert cut.output.shape == (None, 2, 2, 512) and len(cut.weights) == 20
    assert cut.get_layer("block4_conv3") is base.get_layer("block4_conv3")
    with pytest.raises(ValueError, match="last_layer"):
        transfer.truncate_base(base, "block6_pool")


def test_base_activations_shapes(base):
    acts = transfer.base_activations(base, IMAGES[0], ["block1_conv2", "block3_conv3"])
    assert acts["block1_conv2"].shape == (32, 32, 64) and acts["block3_conv3"].shape == (8, 8, 256)
    assert (acts["block1_conv2"] >= 0).all()  # after ReLU


def test_base_activations_and_freeze_base_reject_bad_arguments(base):
    with pytest.raises(TypeError, match="base"):
        transfer.base_activations("vgg16", IMAGES[0], ["block1_conv2"])
    with pytest.raises(ValueError, match="layer_names"):
        transfer.base_activations(base, IMAGES[0], [])
    with pytest.raises(TypeError, match="layer_names"):
        transfer.base_activations(base, IMAGES[0], "block1_conv2")
    with pytest.raises(TypeError, match="layer_names"):
        transfer.base_activations(base, IMAGES[0], 3)
    with pytest.raises(TypeError, match="layer_names"):
        transfer.base_activations(base, IMAGES[0], ["block1_conv2", 3])
    with pytest.raises(ValueError, match="layer_names"):
        transfer.base_activations(base, IMAGES[0], ["block1_conv2", "block9_conv1"])
    with pytest.raises(ValueError, match="image"):
        transfer.base_activations(base, IMAGES[:1], ["block1_conv2"])
    model = transfer.transfer_model((32, 32), keras.layers.Identity(), base, num_classes=3)
    with pytest.raises(TypeError, match="model"):
        transfer.freeze_base("transfer_model")
    with pytest.raises(ValueError, match="base_name"):
        transfer.freeze_base(model, base_name="resnet50")
    assert transfer.freeze_base(model) is base and not base.trainable


def _places(photo, patch):
    """Top-left corners (y, x) of every place where ``patch`` is cut exactly from ``photo``."""
    size = patch.shape[0]
    corners = photo[:photo.shape[0] - size + 1, :photo.shape[1] - size + 1]
    ys, xs = np.nonzero((corners == patch[0, 0]).all(axis=-1))
    return [(int(y), int(x)) for y, x in zip(ys, xs)
            if np.array_equal(photo[y:y + size, x:x + size], patch)]


def _overlap(a, b, size):
    """Whether two size x size squares with top-left corners a and b share any pixel."""
    return abs(a[0] - b[0]) < size and abs(a[1] - b[1]) < size


def test_photo_patches_do_not_overlap_between_train_and_test():
    size = 32
    x_train, y_train, x_test, y_test, classes = datasets.load_photo_patches(size, n_train=5, n_test=3)
    assert x_train.shape == (5 * len(classes), size, size, 3) and x_train.dtype == np.uint8
    assert y_train.shape == (1, 5 * len(classes)) and y_test.shape == (1, 3 * len(classes))
    assert set(y_test.ravel()) == set(range(len(classes)))
    # Find where every patch was cut from its (resized) photo, then check that no test square
    # shares a single pixel with a training square of the same photo, whatever the shift between them.
    for label, name in enumerate(classes):
        photo = datasets._patch_source(name, size)
        train_places = [_places(photo, patch) for patch in x_train[y_train[0] == label]]
        test_places = [_places(photo, patch) for patch in x_test[y_test[0] == label]]
        assert all(train_places) and all(test_places), f"a patch of {name} was not found in the photo"
        for a in sum(train_places, []):
            assert not any(_overlap(a, b, size) for b in sum(test_places, [])), f"{name}: {a} overlaps"
        # the detector itself: a square moved by one pixel from a training square overlaps it
        y, x = train_places[0][0]
        moved = photo[y + 1:y + 1 + size, x + 1:x + 1 + size]
        assert _overlap(train_places[0][0], _places(photo, moved)[0], size)
    with pytest.raises(ValueError, match="photos"):
        datasets.load_photo_patches(32, photos=("astronaut", "mona_lisa"))
