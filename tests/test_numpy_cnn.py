"""Tests for cnn_utils.numpy_cnn: the course's loop layers and their vectorized variants, against each other and TensorFlow."""
import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st

from cnn_utils import numpy_cnn as nc

# (A_prev shape, f, n_C, stride, pad): square and non-square inputs, strides that do not divide evenly.
CONV_CASES = [
    ((2, 5, 5, 3), 3, 4, 1, 0),
    ((10, 5, 7, 4), 3, 8, 2, 1),  # the course's shapes
    ((2, 7, 9, 2), 3, 3, 2, 0),  # (7 - 3) / 2 even, (9 - 3) / 2 even
    ((2, 8, 6, 3), 3, 2, 3, 2),  # 8 + 4 - 3 = 9 (divides), 6 + 4 - 3 = 7 (does not)
    ((1, 6, 11, 1), 2, 5, 3, 1),
    ((3, 4, 4, 2), 4, 2, 1, 3),
    ((2, 9, 5, 3), 5, 2, 2, 2),
    ((1, 3, 3, 2), 1, 3, 2, 0),
]
POOL_CASES = [
    ((2, 4, 4, 3), 2, 2),
    ((2, 5, 7, 2), 3, 2),  # strides that do not divide evenly
    ((1, 9, 6, 4), 2, 3),
    ((3, 6, 6, 1), 3, 1),
    ((2, 5, 5, 2), 5, 1),
]
IMPLEMENTATIONS = [
    pytest.param((nc.conv_forward, nc.conv_backward), id="loops"),
    pytest.param((nc.conv_forward_vectorized, nc.conv_backward_vectorized), id="vectorized"),
]
POOL_IMPLEMENTATIONS = [
    pytest.param((nc.pool_forward_vectorized, nc.pool_backward_vectorized), id="vectorized"),
    pytest.param((nc.pool_forward, nc.pool_backward), id="loops"),
]


def _conv_inputs(a_shape, f, n_C, seed=0):
    rng = np.random.default_rng(seed)
    A_prev = rng.standard_normal(a_shape)
    W = rng.standard_normal((f, f, a_shape[3], n_C))
    b = rng.standard_normal((1, 1, 1, n_C))
    return A_prev, W, b


def _tf_conv(A_prev, W, b, stride, pad):
    """Reference: tf.nn.conv2d on an explicitly zero-padded input with 'VALID' padding."""
    A_pad = tf.pad(A_prev, [[0, 0], [pad, pad], [pad, pad], [0, 0]])
    return tf.nn.conv2d(A_pad, W, strides=stride, padding="VALID") + b


# ----------------------------------------------------------------------------- building blocks


def test_zero_pad_adds_zeros_on_height_and_width_only():
    X = np.random.default_rng(0).standard_normal((4, 3, 3, 2))
    X_pad = nc.zero_pad(X, 2)
    assert X_pad.shape == (4, 7, 7, 2)
    np.testing.assert_array_equal(X_pad[:, 2:-2, 2:-2, :], X)
    assert np.count_nonzero(X_pad) == np.count_nonzero(X)
    np.testing.assert_array_equal(nc.zero_pad(X, 0), X)


def test_conv_single_step_is_sum_of_products_plus_bias():
    rng = np.random.default_rng(1)
    a, W, b = rng.standard_normal((4, 4, 3)), rng.standard_normal((4, 4, 3)), rng.standard_normal((1, 1, 1))
    Z = nc.conv_single_step(a, W, b)
    assert type(Z) is np.float64  # the course's contract: a NumPy float64 scalar
    assert type(nc.conv_single_step(a.astype(np.float32), W.astype(np.float32), b.astype(np.float32))) is np.float64
    assert Z == pytest.approx(float((a * W).sum() + b[0, 0, 0]))


def test_mask_and_distribute_value():
    np.testing.assert_array_equal(
        nc.create_mask_from_window(np.array([[1, 3], [4, 2]])), [[False, False], [True, False]]
    )
    np.testing.assert_array_equal(nc.distribute_value(2.0, (2, 2)), np.full((2, 2), 0.5))
    assert nc.distribute_value(3.0, (3, 2)).sum() == pytest.approx(3.0)


# ----------------------------------------------------------------------------- convolution


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@pytest.mark.parametrize("a_shape, f, n_C, stride, pad", CONV_CASES)
def test_conv_matches_tensorflow_and_autodiff(impl, a_shape, f, n_C, stride, pad):
    forward, backward = impl
    A_prev, W, b = _conv_inputs(a_shape, f, n_C)
    hparameters = {"stride": stride, "pad": pad}
    Z, cache = forward(A_prev, W, b, hparameters)
    n_H = (a_shape[1] + 2 * pad - f) // stride + 1
    n_W = (a_shape[2] + 2 * pad - f) // stride + 1
    assert Z.shape == (a_shape[0], n_H, n_W, n_C)

    dZ = np.random.default_rng(2).standard_normal(Z.shape)
    A_t, W_t, b_t = (tf.Variable(x) for x in (A_prev, W, b))
    with tf.GradientTape() as tape:
        Z_t = _tf_conv(A_t, W_t, b_t, stride, pad)
        loss = tf.reduce_sum(Z_t * dZ)
    want = tape.gradient(loss, [A_t, W_t, b_t])
    np.testing.assert_allclose(Z, Z_t.numpy(), rtol=1e-9, atol=1e-9)

    dA_prev, dW, db = backward(dZ, cache)
    assert dA_prev.shape == A_prev.shape and dW.shape == W.shape and db.shape == b.shape
    for got, expected in zip((dA_prev, dW, db), want):
        np.testing.assert_allclose(got, expected.numpy(), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("a_shape, f, n_C, stride, pad", CONV_CASES[:4])
def test_loop_and_vectorized_caches_are_interchangeable(a_shape, f, n_C, stride, pad):
    A_prev, W, b = _conv_inputs(a_shape, f, n_C, seed=3)
    hparameters = {"stride": stride, "pad": pad}
    Z, cache_vec = nc.conv_forward_vectorized(A_prev, W, b, hparameters)
    Z_loops, cache_loops = nc.conv_forward(A_prev, W, b, hparameters)
    np.testing.assert_allclose(Z, Z_loops, rtol=1e-12, atol=1e-12)
    dZ = np.random.default_rng(4).standard_normal(Z.shape)
    for got, want in zip(nc.conv_backward_vectorized(dZ, cache_loops), nc.conv_backward(dZ, cache_vec)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_conv_gradient_matches_finite_differences():
    A_prev, W, b = _conv_inputs((1, 4, 5, 2), 3, 2, seed=5)
    hparameters = {"stride": 2, "pad": 1}
    Z, cache = nc.conv_forward_vectorized(A_prev, W, b, hparameters)
    dZ = np.random.default_rng(6).standard_normal(Z.shape)
    _, dW, _ = nc.conv_backward_vectorized(dZ, cache)
    eps = 1e-6
    for index in [(0, 0, 0, 0), (1, 2, 1, 1), (2, 1, 0, 1)]:
        W_plus, W_minus = W.copy(), W.copy()
        W_plus[index] += eps
        W_minus[index] -= eps
        numeric = (np.sum(nc.conv_forward_vectorized(A_prev, W_plus, b, hparameters)[0] * dZ)
                   - np.sum(nc.conv_forward_vectorized(A_prev, W_minus, b, hparameters)[0] * dZ)) / (2 * eps)
        assert dW[index] == pytest.approx(numeric, rel=1e-5, abs=1e-7)


@settings(max_examples=40, deadline=None)
@given(
    n_H=st.integers(1, 12), n_W=st.integers(1, 12), f=st.integers(1, 5),
    stride=st.integers(1, 4), pad=st.integers(0, 3),
)
def test_output_size_formula(n_H, n_W, f, stride, pad):
    if f > min(n_H, n_W) + 2 * pad:
        with pytest.raises(ValueError, match="larger than the padded input"):
            nc.conv_forward_vectorized(np.ones((1, n_H, n_W, 1)), np.ones((f, f, 1, 2)), np.zeros((1, 1, 1, 2)),
                            {"stride": stride, "pad": pad})
        return
    A_prev, W, b = _conv_inputs((1, n_H, n_W, 2), f, 2, seed=n_H * 13 + n_W)
    hparameters = {"stride": stride, "pad": pad}
    Z, _ = nc.conv_forward_vectorized(A_prev, W, b, hparameters)
    assert Z.shape == (1, (n_H + 2 * pad - f) // stride + 1, (n_W + 2 * pad - f) // stride + 1, 2)
    np.testing.assert_allclose(Z, nc.conv_forward(A_prev, W, b, hparameters)[0], atol=1e-12)
    if pad == 0 and f <= min(n_H, n_W):
        A = np.ones((1, n_H, n_W, 3))
        P, _ = nc.pool_forward_vectorized(A, {"f": f, "stride": stride}, mode="average")
        assert P.shape == (1, (n_H - f) // stride + 1, (n_W - f) // stride + 1, 3)


def test_same_padding_keeps_size_for_odd_filters():
    for f in (1, 3, 5, 7):
        A_prev, W, b = _conv_inputs((1, 9, 6, 2), f, 3)
        Z, _ = nc.conv_forward_vectorized(A_prev, W, b, {"stride": 1, "pad": (f - 1) // 2})
        assert Z.shape == (1, 9, 6, 3)


# ----------------------------------------------------------------------------- pooling


@pytest.mark.parametrize("impl", POOL_IMPLEMENTATIONS)
@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize("a_shape, f, stride", POOL_CASES)
def test_pool_matches_tensorflow_and_autodiff(impl, mode, a_shape, f, stride):
    forward, backward = impl
    A_prev = np.random.default_rng(7).standard_normal(a_shape)  # continuous values: no ties
    hparameters = {"f": f, "stride": stride}
    A, cache = forward(A_prev, hparameters, mode=mode)
    tf_pool = tf.nn.max_pool2d if mode == "max" else tf.nn.avg_pool2d
    A_t = tf.Variable(A_prev)
    dA = np.random.default_rng(8).standard_normal(A.shape)
    with tf.GradientTape() as tape:
        out = tf_pool(A_t, ksize=f, strides=stride, padding="VALID")
        loss = tf.reduce_sum(out * dA)
    np.testing.assert_allclose(A, out.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(backward(dA, cache, mode=mode), tape.gradient(loss, A_t).numpy(),
                               rtol=1e-9, atol=1e-12)


def test_pool_loops_equal_vectorized_with_ties():
    A_prev = np.random.default_rng(9).integers(0, 3, size=(2, 6, 5, 3)).astype(float)
    for mode in ("max", "average"):
        hparameters = {"f": 3, "stride": 2}
        A, cache = nc.pool_forward_vectorized(A_prev, hparameters, mode)
        np.testing.assert_array_equal(A, nc.pool_forward(A_prev, hparameters, mode)[0])
        dA = np.random.default_rng(10).standard_normal(A.shape)
        np.testing.assert_allclose(nc.pool_backward_vectorized(dA, cache, mode), nc.pool_backward(dA, cache, mode),
                                   atol=1e-12)


def test_lecture_pooling_examples():
    x = np.array([[1, 3, 2, 1], [2, 9, 1, 1], [1, 3, 2, 3], [5, 6, 1, 2]], float).reshape(1, 4, 4, 1)
    A, _ = nc.pool_forward_vectorized(x, {"f": 2, "stride": 2}, mode="max")
    np.testing.assert_array_equal(A[0, :, :, 0], [[9, 2], [6, 3]])
    x[0, 2, 1, 0] = 4  # the average-pooling slide has a 4 here
    A, _ = nc.pool_forward_vectorized(x, {"f": 2, "stride": 2}, mode="average")
    np.testing.assert_array_equal(A[0, :, :, 0], [[3.75, 1.25], [4, 2]])


def test_lecture_vertical_edge_example():
    image = np.array([[3, 0, 1, 2, 7, 4], [1, 5, 8, 9, 3, 1], [2, 7, 2, 5, 1, 3],
                      [0, 1, 3, 1, 7, 8], [4, 2, 1, 6, 2, 8], [2, 4, 5, 2, 3, 9]], float)
    vertical = np.array([[1, 0, -1]] * 3, float)
    Z, _ = nc.conv_forward_vectorized(image.reshape(1, 6, 6, 1), vertical.reshape(3, 3, 1, 1), np.zeros((1, 1, 1, 1)),
                           {"stride": 1, "pad": 0})
    np.testing.assert_array_equal(Z[0, :, :, 0], [[-5, -4, 0, 8], [-10, -2, 2, 3], [0, -2, -4, -7],
                                                  [-3, -2, -3, -16]])


# ----------------------------------------------------------------------------- transposed convolution


def test_conv_transpose_lecture_example():
    A_prev = np.array([[2, 1], [3, 2]], float).reshape(1, 2, 2, 1)
    W = np.array([[1, 2, 1], [2, 0, 1], [0, 2, 1]], float).reshape(3, 3, 1, 1)
    Z = nc.conv_transpose_forward(A_prev, W, np.zeros((1, 1, 1, 1)), {"stride": 2, "pad": 1, "output_padding": 1})
    np.testing.assert_array_equal(Z[0, :, :, 0], [[0, 4, 0, 1], [10, 7, 6, 3], [0, 7, 0, 2], [6, 3, 4, 2]])


# (f, stride, keras padding, keras output_padding, our pad, our output_padding) where conventions coincide
KERAS_TRANSPOSE_CASES = [
    (3, 1, "valid", None, 0, 0),
    (3, 2, "valid", None, 0, 0),
    (2, 3, "valid", None, 0, 1),  # Keras "valid" with f < stride keeps stride - f extra rows
    (3, 2, "valid", 1, 0, 1),
    (3, 1, "same", None, 1, 0),
    (4, 2, "same", None, 1, 0),  # f - stride even: Keras crops both sides equally
]


@pytest.mark.parametrize("f, stride, padding, keras_op, pad, output_padding", KERAS_TRANSPOSE_CASES)
def test_conv_transpose_matches_keras(f, stride, padding, keras_op, pad, output_padding):
    A_prev = np.random.default_rng(11).standard_normal((2, 4, 5, 3)).astype("float32")
    layer = keras.layers.Conv2DTranspose(2, f, strides=stride, padding=padding, output_padding=keras_op,
                                         bias_initializer="random_normal")
    want = np.asarray(layer(A_prev))
    kernel, bias = layer.get_weights()
    W = kernel.transpose(0, 1, 3, 2)  # Keras (f, f, n_C, n_C_prev) -> ours (f, f, n_C_prev, n_C)
    got = nc.conv_transpose_forward(A_prev, W, bias.reshape(1, 1, 1, 2),
                                    {"stride": stride, "pad": pad, "output_padding": output_padding})
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("a_shape, f, n_C, stride, pad", CONV_CASES)
def test_conv_transpose_is_the_input_gradient_of_conv(a_shape, f, n_C, stride, pad):
    A_prev, W, b = _conv_inputs(a_shape, f, n_C, seed=12)
    Z, cache = nc.conv_forward_vectorized(A_prev, W, b, {"stride": stride, "pad": pad})
    dZ = np.random.default_rng(13).standard_normal(Z.shape)
    dA_prev, _, _ = nc.conv_backward_vectorized(dZ, cache)
    output_padding = (a_shape[1] + 2 * pad - f) % stride
    if output_padding != (a_shape[2] + 2 * pad - f) % stride:
        pytest.skip("height and width would need different output_padding")
    got = nc.conv_transpose_forward(dZ, W.transpose(0, 1, 3, 2), np.zeros((1, 1, 1, a_shape[3])),
                                    {"stride": stride, "pad": pad, "output_padding": output_padding})
    np.testing.assert_allclose(got, dA_prev, rtol=1e-10, atol=1e-10)


# ----------------------------------------------------------------------------- bad input


def _ok():
    return _conv_inputs((2, 5, 5, 3), 3, 4)


@pytest.mark.parametrize("make_args, error, match", [
    (lambda A, W, b: (A[0], W, b, {"stride": 1, "pad": 0}), ValueError, "A_prev must be a 4-D array"),
    (lambda A, W, b: (A, W[..., 0], b, {"stride": 1, "pad": 0}), ValueError, "W must be a 4-D array"),
    (lambda A, W, b: (A[..., :2], W, b, {"stride": 1, "pad": 0}), ValueError, "A_prev has 2 channels"),
    (lambda A, W, b: (A, W, b.reshape(4), {"stride": 1, "pad": 0}), ValueError, r"b must have shape \(1, 1, 1, 4\)"),
    (lambda A, W, b: (A, W[:2], b, {"stride": 1, "pad": 0}), ValueError, "square filters"),
    (lambda A, W, b: (A, W, b, {"stride": 0, "pad": 0}), ValueError, r"hparameters\['stride'\] must be an integer >= 1"),
    (lambda A, W, b: (A, W, b, {"stride": 1.5, "pad": 0}), TypeError, r"hparameters\['stride'\] must be an integer >= 1"),
    (lambda A, W, b: (A, W, b, {"stride": 1, "pad": -1}), ValueError, r"hparameters\['pad'\] must be an integer >= 0"),
    (lambda A, W, b: (A, W, b, {"stride": 1}), ValueError, "hparameters must contain 'pad'"),
    (lambda A, W, b: (A[:, :2, :2], W, b, {"stride": 1, "pad": 0}), ValueError,
     r"W's filter size f=3 \(W.shape\[0\]\) is larger than the padded input"),
])
@pytest.mark.parametrize("forward", [nc.conv_forward_vectorized, nc.conv_forward, nc.conv_transpose_forward])
def test_conv_bad_input(forward, make_args, error, match):
    args = make_args(*_ok())
    if forward is nc.conv_transpose_forward and "larger than the padded input" in match:
        return  # a transposed convolution has no window over its input
    with pytest.raises(error, match=match):
        forward(*args)


def test_conv_transpose_bad_output_padding():
    A, W, b = _ok()
    with pytest.raises(ValueError, match="output_padding"):
        nc.conv_transpose_forward(A, W, b, {"stride": 2, "pad": 0, "output_padding": 2})


def test_backward_bad_gradient_shape():
    A, W, b = _ok()
    _, cache = nc.conv_forward_vectorized(A, W, b, {"stride": 1, "pad": 0})
    for backward in (nc.conv_backward_vectorized, nc.conv_backward):
        with pytest.raises(ValueError, match="dZ must have the forward output's shape"):
            backward(np.zeros((2, 4, 4, 4)), cache)
    _, cache = nc.pool_forward_vectorized(A, {"f": 2, "stride": 2})
    for backward in (nc.pool_backward_vectorized, nc.pool_backward):
        with pytest.raises(ValueError, match="dA must have the forward output's shape"):
            backward(np.zeros((2, 3, 3, 3)), cache)


@pytest.mark.parametrize("forward", [nc.pool_forward_vectorized, nc.pool_forward])
def test_pool_bad_input(forward):
    A = np.ones((2, 4, 4, 3))
    with pytest.raises(ValueError, match="mode must be one of"):
        forward(A, {"f": 2, "stride": 2}, mode="min")
    with pytest.raises(ValueError, match="A_prev must be a 4-D array"):
        forward(A[0], {"f": 2, "stride": 2})
    with pytest.raises(ValueError, match=r"hparameters\['stride'\] must be an integer >= 1"):
        forward(A, {"f": 2, "stride": 0})
    with pytest.raises(ValueError, match=r"hparameters\['f'\]=5 is larger than the input: A_prev height is 4"):
        forward(A, {"f": 5, "stride": 1})
    with pytest.raises(ValueError, match="hparameters must contain 'f'"):
        forward(A, {"stride": 1})
    with pytest.raises(ValueError, match="mode must be one of"):
        nc.pool_backward_vectorized(np.ones((2, 2, 2, 3)), (A, {"f": 2, "stride": 2}), mode="mean")


@pytest.mark.parametrize("layer, make_args", [
    (nc.conv_forward, lambda A: (A, np.ones((3, 3, 3, 2)), np.zeros((1, 1, 1, 2)), {"stride": 1, "pad": 1})),
    (nc.conv_forward_vectorized, lambda A: (A, np.ones((3, 3, 3, 2)), np.zeros((1, 1, 1, 2)),
                                            {"stride": 1, "pad": 1})),
    (nc.pool_forward, lambda A: (A, {"f": 2, "stride": 2})),
    (nc.pool_forward_vectorized, lambda A: (A, {"f": 2, "stride": 2})),
])
def test_layers_refuse_images_that_are_not_images(layer, make_args):
    A = np.zeros((1, 4, 4, 3))
    A[0, 1, 2, 0] = np.nan
    with pytest.raises(ValueError, match="A_prev must hold finite values, got 1 NaN"):
        layer(*make_args(A))
    with pytest.raises(TypeError, match="A_prev must hold real numbers"):
        layer(*make_args(np.full((1, 4, 4, 3), "x")))


@pytest.mark.parametrize("forward", [nc.conv_forward_vectorized, nc.conv_forward])
def test_conv_window_too_large_names_the_filter_size(forward):
    """A 5x5 filter does not fit a 3x6 input, nor a 2x6 one padded by 1; it fits the 3x6 one padded by 1."""
    A, W, b = np.ones((1, 3, 6, 2)), np.ones((5, 5, 2, 1)), np.zeros((1, 1, 1, 1))
    with pytest.raises(ValueError) as info:
        forward(A, W, b, {"stride": 1, "pad": 0})
    assert str(info.value) == ("W's filter size f=5 (W.shape[0]) is larger than the padded input: "
                               "A_prev height is 3 (+ 2 * pad = 3)")
    with pytest.raises(ValueError, match=r"f=5 .* A_prev height is 2 \(\+ 2 \* pad = 4\)"):
        forward(A[:, :2], W, b, {"stride": 1, "pad": 1})
    Z, _ = forward(A, W, b, {"stride": 1, "pad": 1})  # padded to 5x8: the filter just fits
    assert Z.shape == (1, 1, 4, 1)


@pytest.mark.parametrize("forward", [nc.pool_forward_vectorized, nc.pool_forward])
def test_pool_window_too_large_names_hparameters_f_and_not_pad(forward):
    A = np.ones((1, 6, 3, 2))
    with pytest.raises(ValueError) as info:
        forward(A, {"f": 4, "stride": 1})
    message = str(info.value)
    assert message == "hparameters['f']=4 is larger than the input: A_prev width is 3"
    assert "pad" not in message
    A_out, _ = forward(A, {"f": 3, "stride": 1})
    assert A_out.shape == (1, 4, 1, 2)
    for backward in (nc.pool_backward_vectorized, nc.pool_backward):
        with pytest.raises(ValueError, match=r"hparameters\['f'\]=4 is larger than the input"):
            backward(np.ones((1, 3, 1, 2)), (A, {"f": 4, "stride": 1}))
