import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnn_utils import checks


def reference(x, scale=2.0):
    return x * scale, {"sum": float(np.sum(x))}


def test_compare_passes_and_prints(capsys):
    checks.compare(lambda x, scale=2.0: (x * scale, {"sum": float(x.sum())}), reference, np.ones((2, 3)))
    assert checks.PASSED in capsys.readouterr().out


@pytest.mark.parametrize("learner, message", [
    (lambda x, scale=2.0: (x[:1] * scale, {"sum": float(x.sum())}), "wrong shape"),
    (lambda x, scale=2.0: (x * scale + 1, {"sum": float(x.sum())}), "wrong values"),
    (lambda x, scale=2.0: ((x * scale).astype(str), {"sum": float(x.sum())}), "wrong dtype"),
    (lambda x, scale=2.0: (x * scale,), "expected 2 items"),
    (lambda x, scale=2.0: (x * scale, {}), "missing keys"),
])
def test_compare_names_the_difference(learner, message):
    with pytest.raises(AssertionError, match=message):
        checks.compare(learner, reference, np.ones((2, 3)))


def test_compare_does_not_let_learner_mutate_inputs():
    def mutating(x, scale=2.0):
        x *= 0
        return reference(x, scale)

    with pytest.raises(AssertionError, match="wrong values"):
        checks.compare(mutating, reference, np.ones((2, 3)))


def _model(units):
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(units), keras.layers.ReLU()])


def test_models_compared_layer_by_layer():
    checks.assert_same(_model(3), _model(3))
    with pytest.raises(AssertionError, match="layer 0 is Dense"):
        checks.assert_same(_model(5), _model(3))
    longer = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.ReLU(), keras.layers.Dense(1)])
    with pytest.raises(AssertionError, match="3 layers, expected 2"):
        checks.assert_same(longer, _model(3))


# --- Messages that name the effect of a mistake -------------------------------------------------

RNG = np.random.default_rng(0)
X4 = RNG.standard_normal((2, 3, 4, 5))
B4 = RNG.standard_normal((1, 1, 1, 5))


def _message(got, want, inputs=None):
    with pytest.raises(AssertionError) as info:
        checks.assert_same(got, want, inputs=inputs)
    return str(info.value)


@pytest.mark.parametrize("got, effect", [
    (X4 + 0.25, "off by a constant 0.25 (is a bias missing or added twice?)"),
    (X4 + np.arange(5.0), "off by a constant per channel (last axis): [0. 1. 2. 3. 4.]"),
    (X4 * 0.5, "scaled by a factor 0.5"),
    (-X4, "sign is flipped"),
    (np.zeros_like(X4), "all values are zero"),
    (np.where(X4 > 1, np.nan, X4), "values are NaN"),
    (np.transpose(X4, (0, 2, 1, 3)), "looks transposed (the expected array with its axes in the order (0, 2, 1, 3))"),
    (X4.reshape(2, 4, 3, 5), "the right values in the wrong shape"),
    (X4[:, :2, :3], "the spatial size (n_H, n_W) is (2, 3) instead of (3, 4) (check the stride and padding"),
    (X4[..., :4], "axis 3 has length 4 instead of 5"),
    (X4[0], "3 axes instead of 4"),
])
def test_value_and_shape_messages_name_the_effect(got, effect):
    message = _message(got, X4)
    assert effect in message
    assert message.startswith("output: wrong")


def test_square_matrix_transposed():
    m = RNG.standard_normal((3, 3))
    assert "looks transposed" in _message(m.T, m)


def test_a_random_difference_gets_no_invented_effect():
    message = _message(X4 + RNG.standard_normal(X4.shape), X4)
    assert message.startswith("output: wrong values; largest difference")


def test_difference_equal_to_an_input_is_named():
    def with_bias(x, b):
        return x + b

    with pytest.raises(AssertionError, match=r"output: wrong values: the output is short by exactly the input `b` \(is `b` missing\?\)"):
        checks.compare(lambda x, b: x, with_bias, X4, B4)
    with pytest.raises(AssertionError, match=r"too large by exactly the input `b` \(is `b` added twice\?\)"):
        checks.compare(lambda x, b: x + 2 * b, with_bias, X4, B4)
    # A scalar output (one convolution step) with a (1, 1, 1) bias left out.
    b = np.full((1, 1, 1), 0.7)
    with pytest.raises(AssertionError, match="short by exactly the input `b`"):
        checks.compare(lambda a, w, b: float(np.sum(a * w)), lambda a, w, b: float(np.sum(a * w) + b.item()),
                       X4[0], X4[0], b)


def test_a_scalar_without_a_matching_input_reports_the_numbers_only():
    message = _message(3.5, 3.0)
    assert message == "output: wrong values; largest difference 0.5 at index () (got 3.5, expected 3.0)"


def test_effects_inside_nested_outputs_name_the_path():
    message = _message((X4, {"b": X4 * 2}), (X4, {"b": X4}))
    assert message.startswith("output[1]['b']: wrong values: the values are scaled by a factor 2")


def test_boolean_arrays_count_wrong_entries():
    mask = X4 > 0
    assert "wrong values (1 of 120 differ)" in _message(np.logical_xor(mask, np.eye(1, 120, dtype=bool).reshape(X4.shape)), mask)


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4).filter(lambda s: np.prod(s) > 1),
       offset=st.floats(0.01, 100.0), seed=st.integers(0, 2**16))
def test_property_constant_offset_is_recognised_and_equal_arrays_pass(shape, offset, seed):
    want = np.random.default_rng(seed).standard_normal(shape)
    checks.assert_same(want.copy(), want)
    assert f"off by a constant {offset:.4g}" in _message(want + offset, want)


def test_not_implemented_is_reported_once(capsys):
    def zero_pad(x):
        raise NotImplementedError("write your code")

    with pytest.raises(AssertionError, match=r"^zero_pad is not implemented yet: write your code$"):
        checks.compare(zero_pad, lambda x: x, X4)

    def placeholder(x):  # the placeholder of a student notebook already names the exercise
        raise NotImplementedError(f"zero_pad {checks.NOT_IMPLEMENTED}: write your code")

    with pytest.raises(AssertionError, match=r"^zero_pad is not implemented yet: write your code$"):
        checks.compare(placeholder, lambda x: x, X4)
    assert capsys.readouterr().out == ""


def test_compare_rejects_non_callables():
    with pytest.raises(TypeError, match="learner_fn"):
        checks.compare(X4, lambda x: x)


def test_models_report_parameter_counts_and_settings_per_layer():
    def conv(kernel_size=3, **kwargs):
        return keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, kernel_size, **kwargs),
                                 keras.layers.Dense(2)])

    checks.assert_same(conv(), conv())
    with pytest.raises(AssertionError, match=r"^output: layer 0 \(Conv2D\): 108 parameters, expected 112$"):
        checks.assert_same(conv(use_bias=False), conv())
    with pytest.raises(AssertionError, match=r"^output: layer 0 \(Conv2D\): activation 'relu', expected 'linear'$"):
        checks.assert_same(conv(activation="relu"), conv())
    with pytest.raises(AssertionError, match=r"layer 0 \(Conv2D\): padding 'same', expected 'valid'$"):
        checks.assert_same(conv(1, padding="same"), conv(1))


def test_worst_index_is_plain_integers():
    want = np.zeros((2, 3))
    got = want.copy()
    got[1, 2] = 5.0
    assert _message(got, want).endswith("largest difference 5 at index (1, 2) (got 5.0, expected 0.0)")
