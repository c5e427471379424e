"""Tests for cnn_utils.visualize_features: receptive fields, top patches, gradient ascent, generated data."""
import numpy as np
import keras
import pytest

from cnn_utils import visualize_features as vf


def tiny_vgg():
    """A small random ConvNet laid out like VGG16 (3x3 'same' convs, 2x2 max-pools)."""
    x = inputs = keras.Input((None, None, 3))
    for b in range(1, 4):
        x = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name=f"block{b}_conv1")(x)
        x = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name=f"block{b}_conv2")(x)
        x = keras.layers.MaxPooling2D(name=f"block{b}_pool")(x)
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


def test_receptive_field_matches_gradient_support(base):
    """The input pixels that can change a unit are exactly its receptive field."""
    import tensorflow as tf

    layer = "block2_conv2"
    size, jump, start = vf.receptive_field(base, layer)
    model = keras.Model(base.input, base.get_layer(layer).output)
    x = tf.Variable(np.random.default_rng(0).uniform(size=(1, 32, 32, 3)).astype(np.float32))
    i, j = 7, 6
    with tf.GradientTape() as tape:
        # sum over channels so that a dead ReLU in one channel does not hide the support
        value = tf.reduce_sum(model(x)[0, i, j])
    support = np.argwhere(np.abs(tape.gradient(value, x).numpy()[0]).sum(-1) > 0)
    rows, cols = support[:, 0], support[:, 1]
    assert rows.max() - rows.min() + 1 == size and cols.max() - cols.min() + 1 == size
    assert (rows.min() + rows.max()) / 2 == start + i * jump
    assert (cols.min() + cols.max()) / 2 == start + j * jump


def test_image_pool_has_rgb_photos_of_the_asked_size():
    pool = vf.image_pool(max_side=64, names=["camera", "chelsea", "china", "grace_hopper"])
    assert [name for name, _ in pool] == ["camera", "chelsea", "china", "grace_hopper"]
    for _, image in pool:
        assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[-1] == 3
        assert max(image.shape[:2]) == 64
    with pytest.raises(ValueError, match="names"):
        vf.image_pool(names=["mona_lisa"])


def test_top_patches_are_the_strongest_and_cropped_at_the_unit(base):
    rng = np.random.default_rng(1)
    images = [(f"noise{n}", rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)) for n in range(3)]
    layer, units = "block2_conv2", [0, 3]
    result = vf.top_patches(base, layer, units, images, k=4, patch_size=14)
    model = keras.Model(base.input, base.get_layer(layer).output)
    best = max(float(model(vf._preprocess(im))[0, ..., 0].numpy().max()) for _, im in images)
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
            unit_map = model(vf._preprocess(image))[0, ..., unit].numpy()
            assert unit_map[int(i), int(j)] == pytest.approx(found["activation"], rel=1e-6)
            r0, c0 = int(round(r - 7 + 0.5)), int(round(c - 7 + 0.5))
            grey = np.pad(image, ((14, 14), (14, 14), (0, 0)), constant_values=128)
            np.testing.assert_array_equal(found["patch"], grey[r0 + 14:r0 + 28, c0 + 14:c0 + 28])
    with pytest.raises(ValueError, match="units"):
        vf.top_patches(base, layer, [99], images)
    with pytest.raises(TypeError, match="layer_name"):
        vf.top_patches(base, 3, units, images)
    with pytest.raises(ValueError, match="layer_name"):
        vf.top_patches(base, "block9_conv1", units, images)


def test_mosaic_layout():
    patches = [np.full((4, 5, 3), n, np.uint8) for n in range(9)]
    grid = vf.mosaic(patches, ncols=3, pad=1)
    assert grid.shape == (3 * 5 + 1, 3 * 6 + 1, 3)
    assert grid[1, 1, 0] == 0 and grid[1 + 5, 1 + 6, 0] == 4 and grid[0, 0, 0] == 255


def test_maximize_unit_raises_the_activation(base):
    import tensorflow as tf
    from cnn_utils import nst

    model = nst.get_layer_outputs(base, ["block2_conv2"])
    grey = np.full((1, 32, 32, 3), 0.5, np.float32)
    unit = int(np.argmax(tf.reduce_mean(model(grey), axis=(0, 1, 2))))  # a unit alive on grey
    image = vf.maximize_unit(base, "block2_conv2", unit, size=32, steps=15, learning_rate=0.05)
    assert image.shape == (32, 32, 3) and image.min() >= 0 and image.max() <= 1
    before = float(tf.reduce_mean(model(grey)[..., unit]))
    after = float(tf.reduce_mean(model(image[None])[..., unit]))
    assert after > 1.5 * before + 1e-3
    with pytest.raises(ValueError, match="Conv2D"):
        vf.maximize_unit(base, "block1_pool", 0)
    with pytest.raises(TypeError, match="layer_name"):
        vf.maximize_unit(base, None, 0)
    with pytest.raises(TypeError, match="layer_name"):
        vf.receptive_field(base, ["block1_conv1"])


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
