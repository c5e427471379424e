"""Tests for cnn_utils.classic: parameter counts, lecture cost numbers, block shapes."""
from fractions import Fraction

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from keras import layers

from cnn_utils import classic


def one_layer_model(input_shape, *stack):
    x = inputs = keras.Input(input_shape)
    for layer in stack:
        x = layer(x)
    return keras.Model(inputs, x)


# ---------------------------------------------------------------- classic networks

def test_lenet5_parameters_and_shapes():
    model = classic.lenet5()
    assert model.count_params() == 61_706
    rows = classic.layer_table(model)
    assert [r["output_shape"] for r in rows] == [
        (28, 28, 6), (14, 14, 6), (10, 10, 16), (5, 5, 16), (400,), (120,), (84,), (10,)]
    assert [r["parameters"] for r in rows] == [156, 0, 2_416, 0, 0, 48_120, 10_164, 850]


def test_alexnet_parameters():
    model = classic.alexnet()
    assert model.count_params() == 62_378_344
    assert model.get_layer("pool5").output.shape[1:] == (6, 6, 256)
    # The fully connected layers hold most of the parameters (the lecture's point).
    rows = classic.layer_table(model)
    dense = sum(r["parameters"] for r in rows if r["type"] == "Dense")
    assert dense / model.count_params() > 0.9


def test_vgg16_matches_keras_applications():
    ours = classic.vgg16()
    reference = keras.applications.VGG16(weights=None)
    assert ours.count_params() == reference.count_params() == 138_357_544
    ref_layers = [l for l in reference.layers if not isinstance(l, layers.InputLayer)]
    assert [(l.name, l.output.shape, l.count_params()) for l in ours.layers] == [
        (l.name, l.output.shape, l.count_params()) for l in ref_layers]


def test_builders_reject_bad_arguments():
    with pytest.raises(ValueError, match="input_shape"):
        classic.lenet5(input_shape=(32, 32))
    with pytest.raises(ValueError, match="classes"):
        classic.alexnet(classes=0)
    with pytest.raises(TypeError, match="model"):
        classic.count_multiplications("vgg16")
    with pytest.raises(ValueError, match="phi"):
        classic.scaled_mobile_network(phi=-1)


# ---------------------------------------------------------------- lecture cost numbers

def test_inception_lecture_costs():
    plain = one_layer_model((28, 28, 192), layers.Conv2D(32, 5, padding="same"))
    assert classic.count_multiplications(plain) == 120_422_400 == 28 * 28 * 32 * 5 * 5 * 192
    bottleneck = one_layer_model((28, 28, 192), layers.Conv2D(16, 1), layers.Conv2D(32, 5, padding="same"))
    rows = classic.count_multiplications(bottleneck, per_layer=True)
    assert [r["multiplications"] for r in rows] == [2_408_448, 10_035_200]
    assert classic.count_multiplications(bottleneck) == 12_443_648


def test_inception_module_shape():
    inputs = keras.Input((28, 28, 192))
    outputs = classic.inception_module(inputs)
    assert outputs.shape[1:] == (28, 28, 64 + 128 + 32 + 32)


def test_mobilenet_lecture_costs():
    normal = one_layer_model((6, 6, 3), layers.Conv2D(5, 3))
    depthwise = one_layer_model((6, 6, 3), layers.DepthwiseConv2D(3))
    pointwise = one_layer_model((4, 4, 3), layers.Conv2D(5, 1))
    separable = one_layer_model((6, 6, 3), layers.SeparableConv2D(5, 3))
    assert classic.count_multiplications(normal) == 2_160
    assert classic.count_multiplications(depthwise) == 432
    assert classic.count_multiplications(pointwise) == 240
    assert classic.count_multiplications(separable) == 672 == 432 + 240
    assert Fraction(672, 2160) == Fraction(1, 5) + Fraction(1, 9)


@settings(max_examples=25, deadline=None)
@given(size=st.integers(3, 12), n_c=st.integers(1, 16), n_c_out=st.integers(1, 32),
       f=st.sampled_from([1, 3, 5]))
def test_separable_cost_ratio(size, n_c, n_c_out, f):
    normal = one_layer_model((size, size, n_c), layers.Conv2D(n_c_out, f, padding="same"))
    separable = one_layer_model((size, size, n_c), layers.SeparableConv2D(n_c_out, f, padding="same"))
    ratio = Fraction(classic.count_multiplications(separable), classic.count_multiplications(normal))
    assert ratio == Fraction(1, n_c_out) + Fraction(1, f * f)
    assert classic.count_multiplications(normal) == size * size * n_c_out * f * f * n_c


def test_depthwise_separable_block_equals_separable_conv_cost():
    inputs = keras.Input((16, 16, 8))
    block = keras.Model(inputs, classic.depthwise_separable_block(inputs, 24))
    separable = one_layer_model((16, 16, 8), layers.SeparableConv2D(24, 3, padding="same"))
    assert block.output.shape[1:] == (16, 16, 24)
    assert classic.count_multiplications(block) == classic.count_multiplications(separable)
    strided = classic.depthwise_separable_block(keras.Input((16, 16, 8)), 24, strides=2)
    assert strided.shape[1:] == (8, 8, 24)


def test_conv_transpose_costs_as_much_as_the_conv_it_inverts():
    up = one_layer_model((7, 7, 6), layers.Conv2DTranspose(4, 3, strides=2))
    down = one_layer_model(up.output.shape[1:], layers.Conv2D(6, 3, strides=2))
    assert down.output.shape[1:] == (7, 7, 6)
    assert classic.count_multiplications(up) == classic.count_multiplications(down) == 7 * 7 * 6 * 9 * 4


def test_dense_on_feature_map_counts_every_position():
    model = one_layer_model((4, 5, 3), layers.Dense(7))
    assert classic.count_multiplications(model) == 4 * 5 * 3 * 7


def test_nested_models_are_opened():
    inner = one_layer_model((6, 6, 3), layers.Conv2D(5, 3))
    outer = one_layer_model((6, 6, 3), inner, layers.Flatten(), layers.Dense(2))
    assert classic.count_multiplications(outer) == 2_160 + 80 * 2


# ---------------------------------------------------------------- MobileNetV2 and EfficientNet

def test_mobilenet_v2_block_residual_and_identity():
    inputs = keras.Input((8, 8, 16))
    same = keras.Model(inputs, classic.mobilenet_v2_block(inputs, 16, expansion=6))
    assert same.output.shape[1:] == (8, 8, 16)
    assert any(isinstance(l, layers.Add) for l in same.layers)
    # expansion 16 -> 96, depthwise 3x3, projection 96 -> 16: 1x1 costs dominate.
    assert classic.count_multiplications(same) == 64 * (16 * 96 + 96 * 9 + 96 * 16)
    # With the projection's BN scale set to zero the block computes the identity.
    same.get_layer("project_bn").gamma.assign(np.zeros(16, "float32"))
    x = np.random.default_rng(0).normal(size=(2, 8, 8, 16)).astype("float32")
    np.testing.assert_allclose(same(x, training=False), x, atol=1e-6)

    strided = classic.mobilenet_v2_block(keras.Input((8, 8, 16)), 24, strides=2)
    assert strided.shape[1:] == (4, 4, 24)


def test_compound_scaling():
    depth, width, resolution = classic.compound_scaling(1)
    assert depth * width ** 2 * resolution ** 2 == pytest.approx(1.92, abs=0.01)
    assert classic.compound_scaling(0) == (1.0, 1.0, 1.0)
    costs = [classic.count_multiplications(classic.scaled_mobile_network(phi, base_depth=2))
             for phi in range(3)]
    ratios = np.array(costs[1:]) / np.array(costs[:-1])
    assert np.all((ratios > 1.3) & (ratios < 3.0))


def test_format_table_has_total():
    text = classic.format_table(classic.layer_table(classic.lenet5()))
    assert text.splitlines()[-1].split()[-2:] == ["61,706", "416,520"]
