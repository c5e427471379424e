"""Tests for cnn_utils.visualize_features: receptive fields, top patches, gradient ascent, generated data."""
import numpy as np
import keras
import pytest
import tensorflow as tf

from cnn_utils import visualize_features as vf


def tiny_vgg():
    """A small random ConvNet laid out like VGG16 (3x3 'same' convs, 2x2 max-pools)."""
    x = inputs = keras.Input((None, None, 3))
    for b in range(1, 4):
        x = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name=f"block{b}_conv1")(x)
        x = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name=f"block{b}_conv2")(x)
        x = keras.layers.MaxPooling2D(name=f"block{b}_pool")(x)
    return keras.Model(inputs, x)


def tiny_mobile(relu=True):
    """A small random network laid out like EfficientNet: stride-2 "same" convs, depthwise convs, a residual."""
    def act(name):
        return keras.layers.ReLU(6.0, name=name) if relu else keras.layers.Activation("linear", name=name)

    inputs = keras.Input((None, None, 3))
    x = keras.layers.Rescaling(1 / 128, offset=-1, name="preprocess")(inputs)
    x = act("stem_relu")(keras.layers.Conv2D(4, 3, strides=2, padding="same", name="stem_conv")(x))
    x = keras.layers.DepthwiseConv2D(5, strides=2, padding="same", name="b1_depthwise")(x)
    shortcut = x = keras.layers.BatchNormalization(name="b1_bn")(x)
    x = act("b2_relu")(keras.layers.DepthwiseConv2D(3, padding="same", name="b2_depthwise")(x))
    x = keras.layers.Conv2D(4, 1, name="b2_project")(x)
    x = keras.layers.Add(name="b2_add")([shortcut, x])
    return keras.Model(inputs, x)


@pytest.fixture(scope="module")
def base():
    keras.utils.set_random_seed(0)
    return tiny_vgg()


def test_receptive_field_of_vgg16_layers():
    vgg = keras.applications.VGG16(weights=None, include_top=False, input_shape=(None, None, 3))
    sizes = {name: vf.receptive_field(vgg, name)[0]
             for name in ("block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3", "block5_conv3")}
    assert sizes == {"block1_conv2": 5, "block2_conv2": 14, "block3_conv3": 40,
                     "block4_conv3": 92, "block5_conv3": 196}
    assert vf.receptive_field(vgg, "block3_conv3")[1:] == (4, 1.5)


def _gradient_support(model, layer, x, i, j):
    """Rows and columns of the input pixels that change the layer's values at (i, j)."""
    features = keras.Model(model.input, model.get_layer(layer).output)
    x = tf.Variable(x)
    with tf.GradientTape() as tape:
        # sum over channels so that a dead ReLU in one channel does not hide the support
        value = tf.reduce_sum(features(x)[0, i, j])
    support = np.argwhere(np.abs(tape.gradient(value, x).numpy()[0]).sum(-1) > 0)
    return support[:, 0], support[:, 1]


@pytest.mark.parametrize("net, layer, shape, i, j", [
    (tiny_vgg, "block2_conv2", (32, 32), 7, 6),
    (tiny_mobile, "b2_add", (48, 64), 5, 7),  # sides multiples of the total stride, 4
    (tiny_mobile, "b1_depthwise", (48, 48), 6, 5),
])
def test_receptive_field_matches_gradient_support(net, layer, shape, i, j):
    """The input pixels that can change a unit are exactly its receptive field, centred where it says."""
    keras.utils.set_random_seed(1)
    model = net()
    size, jump, start = vf.receptive_field(model, layer)
    x = np.random.default_rng(0).uniform(0, 255, size=(1, *shape, 3)).astype(np.float32)
    rows, cols = _gradient_support(model, layer, x, i, j)
    assert rows.max() - rows.min() + 1 == size and cols.max() - cols.min() + 1 == size
    assert (rows.min() + rows.max()) / 2 == start + i * jump
    assert (cols.min() + cols.max()) / 2 == start + j * jump


def test_effective_receptive_field_is_within_the_receptive_field():
    keras.utils.set_random_seed(2)
    linear = tiny_mobile(relu=False)
    size = vf.receptive_field(linear, "b2_add")[0]  # 19
    images = np.random.default_rng(0).uniform(0, 255, size=(2, 64, 64, 3))
    # With no ReLU every pixel of the field has some influence: all of it holds the whole gradient.
    assert vf.effective_receptive_field(linear, "b2_add", images, mass=1.0) == size
    half = vf.effective_receptive_field(linear, "b2_add", images, mass=0.5)
    assert 1 <= half < size


def test_image_pool_has_rgb_photos_of_the_asked_size():
    pool = vf.image_pool(max_side=64, names=["camera", "chelsea", "china", "grace_hopper"])
    assert [name for name, _ in pool] == ["camera", "chelsea", "china", "grace_hopper"]
    for _, image in pool:
        assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[-1] == 3
        assert max(image.shape[:2]) == 64 and image.shape[0] % 32 == 0 and image.shape[1] % 32 == 0
    with pytest.raises(ValueError, match="names"):
        vf.image_pool(names=["mona_lisa"])


def test_top_patches_are_the_strongest_and_cropped_at_the_unit(base):
    rng = np.random.default_rng(1)
    images = [(f"noise{n}", rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)) for n in range(3)]
    layer, units = "block2_conv2", [0, 3]
    result = vf.top_patches(base, layer, units, images, k=4, patch_size=14)
    model = keras.Model(base.input, base.get_layer(layer).output)
    best = max(float(model(im[None].astype(np.float32))[0, ..., 0].numpy().max()) for _, im in images)
    for unit in units:
        found = result[unit]
        assert len(found) == 4
        activations = [f["activation"] for f in found]
        assert activations == sorted(activations, reverse=True)
        assert all(f["patch"].shape == (14, 14, 3) and f["patch"].dtype == np.uint8 for f in found)
    assert result[0][0]["activation"] == pytest.approx(best, rel=1e-5)
    # Every patch sits where its activation was measured, and (the receptive field being 14 px, so a
    # patch of 14 px is the crop itself) equals the 14x14 window around its centre, grey off the image.
    size, jump, start = vf.receptive_field(base, layer)
    assert size == 14
    for unit in units:
        for found in result[unit]:
            image = dict(images)[found["image"]]
            r, c = found["center"]
            i, j = (r - start) / jump, (c - start) / jump
            assert i == int(i) and j == int(j)
            unit_map = model(image[None].astype(np.float32))[0, ..., unit].numpy()
            assert unit_map[int(i), int(j)] == pytest.approx(found["activation"], rel=1e-6)
            r0, c0 = int(round(r - 7 + 0.5)), int(round(c - 7 + 0.5))
            grey = np.pad(image, ((14, 14), (14, 14), (0, 0)), constant_values=128)
            np.testing.assert_array_equal(found["patch"], grey[r0 + 14:r0 + 28, c0 + 14:c0 + 28])
    smaller = vf.top_patches(base, layer, [0], images, k=2, patch_size=6, crop_size=6)
    assert [f["activation"] for f in smaller[0]] == [f["activation"] for f in result[0][:2]]
    r, c = smaller[0][0]["center"]
    image = dict(images)[smaller[0][0]["image"]]
    grey = np.pad(image, ((6, 6), (6, 6), (0, 0)), constant_values=128)
    r0, c0 = int(round(r - 3 + 0.5)), int(round(c - 3 + 0.5))
    np.testing.assert_array_equal(smaller[0][0]["patch"], grey[r0 + 6:r0 + 12, c0 + 6:c0 + 12])


def test_mosaic_layout():
    patches = [np.full((4, 5, 3), n, np.uint8) for n in range(9)]
    grid = vf.mosaic(patches, ncols=3, pad=1)
    assert grid.shape == (3 * 5 + 1, 3 * 6 + 1, 3)
    assert grid[1, 1, 0] == 0 and grid[1 + 5, 1 + 6, 0] == 4 and grid[0, 0, 0] == 255


def test_gradient_ascent_climbs_and_blur_keeps_the_mean():
    image, scores = vf.gradient_ascent(lambda x: tf.reduce_mean(x), 16, steps=30, learning_rate=0.05)
    assert image.shape == (16, 16, 3) and scores.shape == (30,)
    assert np.all(image == 1.0) and scores[-1] == pytest.approx(255.0) and scores[0] < 140
    impulse = np.zeros((1, 9, 9, 3), np.float32)
    impulse[0, 4, 4] = 1.0
    blurred = vf._blur(tf.constant(impulse), 1.0).numpy()
    assert blurred.shape == impulse.shape and blurred.sum() == pytest.approx(3.0, rel=1e-5)
    assert blurred[0, 4, 4, 0] == blurred.max() and blurred[0, 4, 3, 0] == pytest.approx(blurred[0, 3, 4, 0])
    flat = np.full((1, 9, 9, 3), 0.3, np.float32)
    np.testing.assert_allclose(vf._blur(tf.constant(flat), 1.0).numpy(), flat, atol=1e-6)


def test_maximize_unit_raises_the_activation():
    keras.utils.set_random_seed(3)
    model = tiny_mobile()
    features = keras.Model(model.input, model.get_layer("b2_add").output)
    grey = np.full((1, 64, 64, 3), 127.5, np.float32)
    for unit in range(4):
        image = vf.maximize_unit(model, "b2_add", unit, size=64, steps=20, learning_rate=0.05)
        assert image.shape == (64, 64, 3) and image.min() >= 0 and image.max() <= 1
        before = float(tf.reduce_mean(features(grey)[..., unit]))
        after = float(tf.reduce_mean(features(image[None] * 255)[..., unit]))
        assert after > before + 0.1, unit
    with pytest.raises(TypeError, match="layer_name"):
        vf.maximize_unit(model, None, 0)
    with pytest.raises(TypeError, match="layer_name"):
        vf.receptive_field(model, ["b2_add"])


def test_maximize_class_raises_the_logit():
    keras.utils.set_random_seed(4)
    classifier = keras.Sequential([keras.Input((24, 24, 3)), keras.layers.Rescaling(1 / 255),
                                   keras.layers.Conv2D(4, 3, activation="relu"),
                                   keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(3)])
    image, logits = vf.maximize_class(classifier, 2, steps=20, learning_rate=0.05, blur_every=4)
    assert image.shape == (24, 24, 3) and logits.shape == (20,)
    final = float(classifier(image[None] * 255)[0, 2])
    assert final > logits[0] + 0.05 and logits[-1] > logits[0]


def test_ecg_strips_shapes_labels_and_difference():
    X, y = vf.ecg_strips(200, seconds=3.0, rate=100, seed=0)
    assert X.shape == (200, 300, 1) and X.dtype == np.float32 and y.shape == (200,)
    assert 0.35 < y.mean() < 0.65
    # a premature beat brings an inverted T wave: abnormal strips dip lower
    low = X[..., 0].min(axis=1)
    assert low[y == 1].mean() < low[y == 0].mean() - 0.05
    np.testing.assert_array_equal(X, vf.ecg_strips(200, seed=0)[0])
    with pytest.raises(ValueError, match="m must be an integer >= 1"):
        vf.ecg_strips(0)


def test_shape_volumes_shapes_and_classes():
    X, y = vf.shape_volumes(60, size=14, seed=0)
    assert X.shape == (60, 14, 14, 14, 1) and X.dtype == np.float32
    assert set(y) == {0, 1, 2}
    # rods fill fewer voxels than balls and cubes of the same radius range
    filled = (X[..., 0] > 0.4).mean(axis=(1, 2, 3))
    assert filled[y == 2].mean() < filled[y == 0].mean()
    with pytest.raises(ValueError, match="size"):
        vf.shape_volumes(3, size=4)
