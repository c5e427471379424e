"""Tests for cnn_utils.resnet: shapes, parameter counts, values against NumPy, the identity property."""
import keras
import numpy as np
import pytest
from keras import layers
from keras.initializers import constant

from cnn_utils import resnet

EPS = 1e-3  # Keras BatchNormalization's default epsilon


def block_model(block, input_shape, *args, **kwargs):
    inputs = keras.Input(input_shape)
    return keras.Model(inputs, block(inputs, *args, **kwargs))


def numpy_conv_same(x, kernel, bias, stride=1):
    """Cross-correlation with TensorFlow's 'same' padding for odd kernels, or 'valid' for 1x1."""
    f = kernel.shape[0]
    pad = (f - 1) // 2
    x = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    m, h, w, _ = x.shape
    out_h, out_w = (h - f) // stride + 1, (w - f) // stride + 1
    out = np.zeros((m, out_h, out_w, kernel.shape[-1]))
    for i in range(out_h):
        for j in range(out_w):
            patch = x[:, i * stride:i * stride + f, j * stride:j * stride + f, :]
            out[:, i, j, :] = np.einsum("mhwc,hwck->mk", patch, kernel)
    return out + bias


def numpy_bn_inference(x, bn):
    gamma, beta, mean, var = (np.asarray(v) for v in bn.weights)
    return gamma * (x - mean) / np.sqrt(var + EPS) + beta


def relu(x):
    return np.maximum(x, 0)


def test_resnet50_parameters_and_output():
    model = resnet.ResNet50(input_shape=(64, 64, 3), classes=6)
    assert model.count_params() == 23_600_006
    assert model.output.shape[1:] == (6,)
    assert sum(isinstance(l, layers.Add) for l in model.layers) == 16  # 3 + 4 + 6 + 3 blocks
    with pytest.raises(ValueError, match="input_shape"):
        resnet.ResNet50(input_shape=(32, 32, 3))


def test_identity_block_matches_numpy():
    rng = np.random.default_rng(0)
    model = block_model(resnet.identity_block, (5, 5, 6), 3, [4, 3, 6], training=False)
    for bn in (l for l in model.layers if isinstance(l, layers.BatchNormalization)):
        bn.set_weights([rng.uniform(0.5, 1.5, s.shape) for s in bn.get_weights()])
    x = rng.normal(size=(2, 5, 5, 6)).astype("float32")
    convs = [l for l in model.layers if isinstance(l, layers.Conv2D)]
    bns = [l for l in model.layers if isinstance(l, layers.BatchNormalization)]
    a = x
    for k, (conv, bn) in enumerate(zip(convs, bns)):
        a = numpy_bn_inference(numpy_conv_same(a, *[np.asarray(w) for w in conv.weights]), bn)
        if k < 2:
            a = relu(a)
    expected = relu(a + x)
    np.testing.assert_allclose(model(x, training=False), expected, rtol=1e-4, atol=1e-4)


def test_identity_block_course_values():
    # The course's check: constant(1) kernels on inputs of -1, 1 and 3, inference mode.
    x = np.concatenate([np.full((1, 4, 4, 3), v, "float32") for v in (-1, 1, 3)])
    out = np.asarray(resnet.identity_block(x, f=2, filters=[4, 4, 3], training=False,
                                           initializer=lambda seed=0: constant(value=1)))
    assert out.shape == (3, 4, 4, 3)
    assert np.all(out >= 0)
    assert np.all(out[0] == 0)  # every conv sees -1s: the sum stays negative, ReLU clips it
    # Top-left corner, input v: 1x1 conv sums 3 channels (3v), the 2x2 conv sums 2x2x4 of
    # those (48v), the last 1x1 conv sums 4 channels (192v); each BN divides by sqrt(1 + eps).
    scale = 1 / np.sqrt(1 + EPS)
    np.testing.assert_allclose(out[1, 0, 0], 192 * scale ** 3 + 1, rtol=1e-5)  # 192.71 in the course
    np.testing.assert_allclose(out[2, 0, 0], 576 * scale ** 3 + 3, rtol=1e-5)  # 578.14 in the course


def test_convolutional_block_shapes_and_parameters():
    model = block_model(resnet.convolutional_block, (15, 15, 8), 3, [4, 5, 12], s=2)
    assert model.output.shape[1:] == (8, 8, 12)
    convs = (8 * 4 + 4) + (3 * 3 * 4 * 5 + 5) + (5 * 12 + 12) + (8 * 12 + 12)
    batch_norms = 4 * (4 + 5 + 12 + 12)
    assert model.count_params() == convs + batch_norms
    with pytest.raises(ValueError, match="F3"):
        resnet.identity_block(keras.Input((8, 8, 3)), 3, [4, 4, 8])


@pytest.mark.parametrize("training", [False, True])
def test_zeroed_last_layer_gives_identity(training):
    # a[l+2] = g(W a[l+1] + b + a[l]) = g(a[l]) = a[l] when W = 0, b = 0 (and BN beta = 0).
    model = block_model(resnet.identity_block, (6, 6, 8), 3, [4, 4, 8], training=training)
    last_conv = [l for l in model.layers if isinstance(l, layers.Conv2D)][-1]
    last_bn = [l for l in model.layers if isinstance(l, layers.BatchNormalization)][-1]
    last_conv.kernel.assign(np.zeros(last_conv.kernel.shape, "float32"))
    last_conv.bias.assign(np.zeros(last_conv.bias.shape, "float32"))
    last_bn.beta.assign(np.zeros(last_bn.beta.shape, "float32"))
    a = np.random.default_rng(1).normal(size=(3, 6, 6, 8)).astype("float32")
    np.testing.assert_array_equal(model(relu(a), training=training), relu(a))  # a[l] >= 0: identity
    np.testing.assert_array_equal(model(a, training=training), relu(a))        # g(a[l]) in general


def test_residual_network_plain_and_residual_differ_only_by_skips():
    plain = resnet.residual_network((16, 16, 3), 10, blocks=4, filters=8, residual=False)
    residual = resnet.residual_network((16, 16, 3), 10, blocks=4, filters=8, residual=True)
    assert plain.count_params() == residual.count_params()
    weight_layers = [l for l in residual.layers if isinstance(l, (layers.Conv2D, layers.Dense))]
    assert len(weight_layers) == 2 * 4 + 2
    assert sum(isinstance(l, layers.Add) for l in residual.layers) == 4
    assert not any(isinstance(l, layers.Add) for l in plain.layers)
    assert residual.output.shape[1:] == (10,)
    with pytest.raises(TypeError, match="residual"):
        resnet.residual_network((16, 16, 3), 10, residual="yes")


def test_resnet50_smallest_input_is_37():
    assert resnet.ResNet50((37, 37, 3), 6).output.shape[1:] == (6,)
    with pytest.raises(ValueError, match=">= 37"):
        resnet.ResNet50((36, 36, 3), 6)


def test_recompute_batchnorm_statistics_sets_the_exact_mean_and_variance():
    model = resnet.residual_network((8, 8, 3), 4, blocks=1, filters=4)
    x = np.random.default_rng(0).normal(2.0, 3.0, (16, 8, 8, 3)).astype("float32")
    first_bn = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)][0]
    before = [w.copy() for w in model.get_weights()]
    resnet.recompute_batchnorm_statistics(model, x)
    z = model.layers[1](x).numpy()  # the first conv's output feeds the first batch norm
    np.testing.assert_allclose(first_bn.moving_mean.numpy(), z.mean(axis=(0, 1, 2)), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(first_bn.moving_variance.numpy(), z.var(axis=(0, 1, 2)), rtol=1e-3, atol=1e-5)
    assert first_bn.momentum == 0.99  # restored
    trainable = {id(w) for w in model.trainable_weights}
    for w, old in zip(model.weights, before):
        if id(w) in trainable:
            np.testing.assert_array_equal(w.numpy(), old)  # only the moving statistics change
    # inference now normalises with the data's own statistics: same output as a training-mode pass
    np.testing.assert_allclose(model(x, training=False), model(x, training=True), rtol=1e-3, atol=1e-4)
    with pytest.raises(TypeError, match="model"):
        resnet.recompute_batchnorm_statistics("model", x)
