"""Tests for cnn_utils.transfer: the course's augmenter and model, fine-tuning, stored features, PCA colour."""
import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnn_utils import transfer

RNG = np.random.default_rng(0)
IMAGES = RNG.integers(0, 256, size=(6, 32, 32, 3)).astype("float32")


def tiny_base(input_shape=(32, 32, 3)):
    """A stand-in for a pretrained base: RGB in [0, 255] -> (m, 4, 4, 8), with batch norm and named layers."""
    inputs = keras.Input(input_shape)
    x = keras.layers.Rescaling(1 / 255, name="preprocess")(inputs)
    x = keras.layers.Conv2D(4, 3, strides=2, padding="same", name="conv1")(x)
    x = keras.layers.BatchNormalization(name="bn1")(x)
    x = keras.layers.Conv2D(6, 3, strides=2, padding="same", name="conv2")(x)
    x = keras.layers.ReLU(name="relu2")(x)
    x = keras.layers.Conv2D(8, 3, strides=2, padding="same", name="conv3")(x)
    base = keras.Model(inputs, x, name="tiny_base")
    bn = base.get_layer("bn1")  # statistics far from a fresh batch's, so that training mode would show
    bn.set_weights([np.ones(4), np.zeros(4), np.full(4, 3.0), np.full(4, 5.0)])
    return base


def n_weights(weights):
    return sum(int(np.prod(w.shape)) for w in weights)


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


def test_pca_shift_clips_to_the_value_range():
    images, alpha = np.full((1, 2, 2, 3), 5.0), np.ones((1, 3))
    clipped = np.asarray(transfer.pca_color_shift(images, alpha, np.full(3, 100.0), np.eye(3), value_range=(0, 1)))
    np.testing.assert_array_equal(clipped, np.ones((1, 2, 2, 3)))


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


@pytest.mark.parametrize("kwargs, error, match", [
    ({"eigenvalues": [1.0, 2.0]}, ValueError, "eigenvalues"),
    ({"eigenvalues": [1.0, -2.0, 0.0]}, ValueError, "eigenvalues"),
    ({"eigenvectors": np.eye(2)}, ValueError, "eigenvectors"),
    ({"stddev": "a"}, TypeError, "stddev"),
    ({"stddev": -0.1}, ValueError, "stddev"),
    ({"value_range": (255, 0)}, ValueError, "value_range"),
    ({"value_range": 255}, TypeError, "value_range"),
    ({"value_range": ("0", "255")}, TypeError, "value_range"),
    ({"seed": "1"}, TypeError, "seed"),
])
def test_pca_layer_checks_its_arguments_when_made(kwargs, error, match):
    args = {"eigenvalues": [3.0, 2.0, 1.0], "eigenvectors": np.eye(3), **kwargs}
    with pytest.raises(error, match=match):
        transfer.PCAColorAugmentation(**args)


def test_data_augmenter_is_the_courses_flip_then_rotation():
    augmenter = transfer.data_augmenter()
    assert isinstance(augmenter, keras.Sequential) and augmenter.name == "data_augmentation"
    flip, rotation = augmenter.layers
    assert isinstance(flip, keras.layers.RandomFlip) and flip.mode == "horizontal"
    assert isinstance(rotation, keras.layers.RandomRotation) and rotation.factor == (-0.2, 0.2)
    np.testing.assert_allclose(np.asarray(augmenter(IMAGES, training=False)), IMAGES)


def test_data_augmenter_draws_new_images_while_training_and_repeats_with_a_seed():
    out = [np.asarray(transfer.data_augmenter(seed=3)(IMAGES, training=True)) for _ in range(2)]
    assert out[0].shape == IMAGES.shape and not np.allclose(out[0], IMAGES)
    np.testing.assert_allclose(out[0], out[1])


def test_data_augmenter_adds_pca_colour_augmentation_as_a_third_layer():
    augmenter = transfer.data_augmenter(pca=transfer.rgb_pca(IMAGES), seed=0)
    assert [type(layer).__name__ for layer in augmenter.layers] == [
        "RandomFlip", "RandomRotation", "PCAColorAugmentation"]
    with pytest.raises(TypeError, match="pca"):
        transfer.data_augmenter(pca=np.eye(3))


def test_transfer_model_is_the_courses_alpaca_model():
    base = tiny_base()
    model = transfer.transfer_model((32, 32), transfer.data_augmenter(), base)
    assert [type(layer).__name__ for layer in model.layers] == [
        "InputLayer", "Sequential", "Functional", "GlobalAveragePooling2D", "Dropout", "Dense"]
    assert model.layers[2] is base and not base.trainable
    assert model.layers[4].rate == 0.2
    dense = model.layers[5]
    assert dense.units == 1 and dense.activation is keras.activations.linear  # one logit, as in the course
    assert n_weights(model.trainable_weights) == 8 * 1 + 1  # only the new dense layer learns


def test_transfer_model_calls_the_base_in_inference_mode():
    """Batch norm inside the base keeps its stored statistics even while the model trains."""
    model = transfer.transfer_model((32, 32), keras.layers.Identity(), tiny_base(), num_classes=4, dropout=0.0)
    assert model.output.shape == (None, 4)
    np.testing.assert_allclose(np.asarray(model(IMAGES, training=True)), np.asarray(model(IMAGES, training=False)),
                               rtol=1e-5, atol=1e-5)


def test_unfreeze_from_a_named_layer():
    base = tiny_base()
    model = transfer.transfer_model((32, 32), keras.layers.Identity(), base, num_classes=3)
    assert transfer.unfreeze_from(base, "relu2") == ["conv3"]
    assert transfer.unfreeze_from(base, "conv2") == ["conv2", "conv3"]
    assert base.get_layer("conv2").trainable and not base.get_layer("conv1").trainable
    assert not base.get_layer("bn1").trainable
    head = 8 * 3 + 3
    assert n_weights(model.trainable_weights) == head + (3 * 3 * 4 * 6 + 6) + (3 * 3 * 6 * 8 + 8)
    with pytest.raises(ValueError, match="layer_name must name a layer of tiny_base, got 'conv9'"):
        transfer.unfreeze_from(base, "conv9")


def test_fine_tuning_changes_only_the_unfrozen_layers():
    base = tiny_base()
    model = transfer.transfer_model((32, 32), keras.layers.Identity(), base, num_classes=3)
    transfer.unfreeze_from(base, "conv2")
    before = {layer.name: [w.copy() for w in layer.get_weights()] for layer in base.layers}
    model.compile(optimizer=keras.optimizers.SGD(0.1),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(IMAGES, np.arange(6) % 3, epochs=2, verbose=0)
    for layer in base.layers:
        changed = any(not np.array_equal(a, b) for a, b in zip(before[layer.name], layer.get_weights()))
        assert changed == (layer.name in ("conv2", "conv3")), layer.name


def test_precomputed_features_feed_the_same_head():
    base = tiny_base()
    model = transfer.transfer_model((32, 32), keras.layers.Identity(), base, num_classes=4)
    features = transfer.precompute_features(base, IMAGES.astype("uint8"))
    assert features.shape == (6, 4, 4, 8)
    head = transfer.head_model(features.shape[1:], num_classes=4)
    head.get_layer("classifier").set_weights(model.get_layer("classifier").get_weights())
    np.testing.assert_allclose(np.asarray(head(features)), np.asarray(model(IMAGES.astype("uint8"))),
                               rtol=1e-4, atol=1e-5)


def test_scratch_model_shapes_and_learns():
    keras.utils.set_random_seed(0)
    model = transfer.scratch_model((32, 32), keras.layers.Identity(), num_classes=2, filters=(4, 8))
    assert model.output.shape == (None, 2)
    assert [type(layer).__name__ for layer in model.layers[-3:]] == ["GlobalAveragePooling2D", "Dropout", "Dense"]
    # bright vs dark images: a few steps suffice
    x = np.concatenate([np.full((8, 32, 32, 3), 200.0), np.full((8, 32, 32, 3), 30.0)]) + RNG.normal(0, 5, (16, 32, 32, 3))
    y = np.repeat([0, 1], 8)
    model.compile(optimizer=keras.optimizers.Adam(1e-2),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    model.fit(x, y, epochs=10, batch_size=4, verbose=0)
    assert model.evaluate(x, y, verbose=0)[1] == 1.0


def test_split_base_shares_weights_and_composes_to_the_base():
    base = tiny_base()
    bottom, top = transfer.split_base(base, "conv2")
    assert bottom.output.shape == (None, 16, 16, 4) and top.output.shape == base.output.shape
    assert top.get_layer("conv2") is base.get_layer("conv2")
    np.testing.assert_allclose(np.asarray(top(bottom(IMAGES))), np.asarray(base(IMAGES)), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="layer_name"):
        transfer.split_base(base, "conv9")


def test_fine_tuning_on_stored_activations_matches_fine_tuning_the_whole_model():
    """Same weights, same batches, no dropout: one SGD step gives the same new weights either way."""
    y = np.arange(6) % 3
    results = []
    for stored in (False, True):
        keras.utils.set_random_seed(0)
        base = tiny_base()
        transfer.unfreeze_from(base, "conv2")
        if stored:
            bottom, top = transfer.split_base(base, "conv2")
            x = transfer.precompute_features(bottom, IMAGES)
            model = transfer.head_model(x.shape[1:], num_classes=3, dropout=0.0, top=top)
        else:
            x = IMAGES
            model = transfer.transfer_model((32, 32), keras.layers.Identity(), base, num_classes=3, dropout=0.0)
            transfer.unfreeze_from(base, "conv2")
        model.get_layer("classifier").set_weights([np.full((8, 3), 0.1) * np.arange(3), np.zeros(3)])
        model.compile(optimizer=keras.optimizers.SGD(0.1),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        initial = base.get_layer("conv2").get_weights()[0].copy()
        model.fit(x, y, epochs=1, batch_size=6, shuffle=False, verbose=0)
        assert not np.allclose(base.get_layer("conv2").get_weights()[0], initial)  # it did train
        results.append([w.copy() for w in base.get_layer("conv2").get_weights()] + [np.asarray(model(x))])
    for got, want in zip(results[1], results[0]):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_transfer_model_defaults_to_the_frozen_imagenet_base():
    model = transfer.transfer_model((64, 64), transfer.data_augmenter())
    base = model.layers[2]
    assert base.name == "efficientnet_lite0" and not base.trainable and base.output.shape == (None, 2, 2, 1280)
    assert model.output.shape == (None, 1)
    assert transfer.unfreeze_from(base, "block7a_expand") == [
        "block7a_expand", "block7a_expand_bn", "block7a_depthwise", "block7a_depthwise_bn",
        "block7a_project", "block7a_project_bn", "top_conv", "top_bn"]
    assert not base.get_layer("block6d_project").trainable
