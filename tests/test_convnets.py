"""Tests for cnn_utils.convnets: the course's Sequential and Functional models."""
import keras
import numpy as np
import pytest

from cnn_utils import checks, config, convnets


def _summary(model):
    """(class name, output shape, parameters) per layer, as the course's summary check lists them."""
    return [(l.__class__.__name__, tuple(l.output.shape), l.count_params()) for l in model.layers]


def test_happy_model_matches_course_summary():
    model = convnets.happyModel()
    assert isinstance(model, keras.Sequential)
    assert _summary(model) == [
        ("ZeroPadding2D", (None, 70, 70, 3), 0),
        ("Conv2D", (None, 64, 64, 32), 4736),
        ("BatchNormalization", (None, 64, 64, 32), 128),
        ("ReLU", (None, 64, 64, 32), 0),
        ("MaxPooling2D", (None, 32, 32, 32), 0),
        ("Flatten", (None, 32768), 0),
        ("Dense", (None, 1), 32769),
    ]
    assert model.count_params() == 37_633
    non_trainable = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    assert non_trainable == 64  # batch-norm moving mean and variance
    conv, bn = model.layers[1], model.layers[2]
    assert conv.kernel_size == (7, 7) and conv.strides == (1, 1) and conv.padding == "valid"
    assert bn.axis in (3, -1) or list(bn.axis) == [3]
    assert model.layers[-1].activation is keras.activations.sigmoid


def test_convolutional_model_matches_course_summary():
    model = convnets.convolutional_model((64, 64, 3))
    assert not isinstance(model, keras.Sequential)
    assert _summary(model) == [
        ("InputLayer", (None, 64, 64, 3), 0),
        ("Conv2D", (None, 64, 64, 8), 392),
        ("ReLU", (None, 64, 64, 8), 0),
        ("MaxPooling2D", (None, 8, 8, 8), 0),
        ("Conv2D", (None, 8, 8, 16), 528),
        ("ReLU", (None, 8, 8, 16), 0),
        ("MaxPooling2D", (None, 2, 2, 16), 0),
        ("Flatten", (None, 64), 0),
        ("Dense", (None, 6), 390),
    ]
    assert model.count_params() == 1_310
    pools = [l for l in model.layers if isinstance(l, keras.layers.MaxPooling2D)]
    assert [(p.pool_size, p.strides, p.padding) for p in pools] == [
        ((8, 8), (8, 8), "same"), ((4, 4), (4, 4), "same")]
    assert model.layers[-1].activation is keras.activations.softmax


def test_convolutional_model_classes_and_other_shapes():
    model = convnets.convolutional_model([64, 64, 3], classes=10)
    assert model.output.shape == (None, 10)
    assert model.count_params() == 392 + 528 + 64 * 10 + 10
    # 'same' pooling rounds up: 30 -> ceil(30/8)=4 -> ceil(4/4)=1; grey input has 1 channel.
    small = convnets.convolutional_model((30, 20, 1), classes=3)
    assert small.layers[3].output.shape == (None, 4, 3, 8)
    assert small.layers[6].output.shape == (None, 1, 1, 16)
    assert small.count_params() == (4 * 4 * 1 * 8 + 8) + 528 + (16 * 3 + 3)


def test_models_predict_probabilities():
    config.set_seed(0)
    x = np.random.default_rng(0).random((5, 64, 64, 3)).astype("float32")
    p_happy = convnets.happyModel().predict(x, verbose=0)
    assert p_happy.shape == (5, 1) and np.all((p_happy > 0) & (p_happy < 1))
    p = convnets.convolutional_model((64, 64, 3), classes=10).predict(x, verbose=0)
    assert p.shape == (5, 10)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)


def test_convolutional_model_learns_a_separable_task():
    """A few epochs on bright-left vs bright-right images must fit well above chance."""
    config.set_seed(0)
    rng = np.random.default_rng(0)
    x = rng.random((64, 32, 32, 1)).astype("float32") * 0.2
    y = rng.integers(0, 2, 64)
    x[y == 0, :, :16] += 0.8
    x[y == 1, :, 16:] += 0.8
    model = convnets.convolutional_model((32, 32, 1), classes=2)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, epochs=15, batch_size=16, verbose=0)
    assert model.evaluate(x, y, verbose=0)[1] >= 0.9


@pytest.mark.parametrize("bad, error", [((64, 64), ValueError), ((64, 64, 0), ValueError), ("64x64x3", TypeError),
                                        ((64.0, 64, 3), TypeError), (None, TypeError)])
def test_convolutional_model_rejects_bad_input_shape(bad, error):
    with pytest.raises(error, match="input_shape"):
        convnets.convolutional_model(bad)


@pytest.mark.parametrize("bad, error", [(1, ValueError), (0, ValueError), (2.5, TypeError), (True, TypeError)])
def test_convolutional_model_rejects_bad_classes(bad, error):
    with pytest.raises(error, match="classes"):
        convnets.convolutional_model((64, 64, 3), classes=bad)


def test_checks_compare_accepts_reference_and_catches_wrong_layers(capsys):
    checks.compare(convnets.happyModel, convnets.happyModel)
    assert checks.PASSED in capsys.readouterr().out

    def no_batchnorm():
        return keras.Sequential([keras.Input((64, 64, 3)), keras.layers.ZeroPadding2D(3),
                                 keras.layers.Conv2D(32, 7), keras.layers.ReLU(),
                                 keras.layers.MaxPool2D(), keras.layers.Flatten(),
                                 keras.layers.Dense(1, activation="sigmoid")])

    with pytest.raises(AssertionError, match="layer 2"):
        checks.compare(no_batchnorm, convnets.happyModel)

    def wrong_kernel(input_shape, classes=6):  # same shapes, different parameter count
        x = inp = keras.Input(input_shape)
        x = keras.layers.Conv2D(8, 3, padding="same")(x)
        x = keras.layers.ReLU()(x)
        x = keras.layers.MaxPool2D(8, 8, padding="same")(x)
        x = keras.layers.Conv2D(16, 2, padding="same")(x)
        x = keras.layers.ReLU()(x)
        x = keras.layers.MaxPool2D(4, 4, padding="same")(x)
        x = keras.layers.Flatten()(x)
        return keras.Model(inp, keras.layers.Dense(classes, activation="softmax")(x))

    with pytest.raises(AssertionError, match="parameters"):
        checks.compare(wrong_kernel, convnets.convolutional_model, (64, 64, 3))


def test_layer_table_reproduces_lecture_network():
    """The lectures' 32x32x3 network: 608, 3216, 48120, 10164 and 850 parameters."""
    model = keras.Sequential([
        keras.Input((32, 32, 3)),
        keras.layers.Conv2D(8, 5, activation="relu"),
        keras.layers.MaxPool2D(2),
        keras.layers.Conv2D(16, 5, activation="relu"),
        keras.layers.MaxPool2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(120, activation="relu"),
        keras.layers.Dense(84, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    rows = convnets.layer_table(model)
    assert [(shape, size, params) for _, shape, size, params in rows] == [
        ((32, 32, 3), 3072, 0), ((28, 28, 8), 6272, 608), ((14, 14, 8), 1568, 0),
        ((10, 10, 16), 1600, 3216), ((5, 5, 16), 400, 0), ((400,), 400, 0),
        ((120,), 120, 48120), ((84,), 84, 10164), ((10,), 10, 850)]
    assert sum(r[3] for r in rows) == model.count_params()


def test_layer_table_rejects_non_models():
    with pytest.raises(TypeError, match="model"):
        convnets.layer_table("not a model")
    with pytest.raises(ValueError, match="built"):
        convnets.layer_table(keras.Sequential([keras.layers.Dense(2)]))
