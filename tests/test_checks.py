import keras
import numpy as np
import pytest

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
