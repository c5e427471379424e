"""Exercise checks: compare a learner's function with the reference in ``cnn_utils``.

A notebook exercise is followed by a check cell such as::

    checks.compare(conv_forward, numpy_cnn.conv_forward, A_prev, W, b, {"stride": 2, "pad": 1})

which calls both functions on the same inputs and prints ``All tests passed``
or raises ``AssertionError`` with a message that says what differs (type,
shape, dtype, values, or a Keras model's layers) and, where it recognises the
pattern, the effect of the mistake: values off by a constant or by one of the
inputs (a missing bias), scaled by a factor, transposed, sign flipped, NaN or
all zero, or a spatial size that points at the stride or padding.
"""
import inspect
import itertools

import numpy as np

PASSED = "All tests passed"
NOT_IMPLEMENTED = "is not implemented yet"

# Layer settings that change what a layer computes without changing its output shape or parameter count.
LAYER_SETTINGS = ("activation", "kernel_size", "strides", "padding", "pool_size", "rate")


def _describe(path):
    return "output" + "".join(f"[{p}]" for p in path)


def _layer_summary(layer):
    """(type name, output shape, parameter count, {setting: value}) of a Keras layer."""
    settings = {}
    for key in LAYER_SETTINGS:
        value = getattr(layer, key, None)
        if value is not None:
            settings[key] = getattr(value, "__name__", value)  # activations are functions
    return layer.__class__.__name__, tuple(layer.output.shape), layer.count_params(), settings


def _compare_models(learner, reference, where):
    import keras

    if not isinstance(learner, keras.Model):
        raise AssertionError(f"{where}: expected a keras.Model, got {type(learner).__name__}")
    for i, (got_layer, want_layer) in enumerate(zip(learner.layers, reference.layers)):
        got_type, got_shape, got_params, got_settings = _layer_summary(got_layer)
        want_type, want_shape, want_params, want_settings = _layer_summary(want_layer)
        if (got_type, got_shape) != (want_type, want_shape):
            raise AssertionError(
                f"{where}: layer {i} is {got_type} with output shape {got_shape}, "
                f"expected {want_type} with output shape {want_shape}"
            )
        problems = [
            f"{key} {got_settings.get(key)!r}, expected {want_settings[key]!r}"
            for key in want_settings if got_settings.get(key) != want_settings[key]
        ]
        if got_params != want_params:
            problems.insert(0, f"{got_params:,} parameters, expected {want_params:,}")
        if problems:
            raise AssertionError(f"{where}: layer {i} ({got_type}): " + "; ".join(problems))
    if len(learner.layers) != len(reference.layers):
        raise AssertionError(
            f"{where}: {len(learner.layers)} layers, expected {len(reference.layers)}"
        )
    if learner.count_params() != reference.count_params():
        raise AssertionError(
            f"{where}: {learner.count_params():,} parameters, expected {reference.count_params():,}"
        )


def _numeric_inputs(inputs):
    """The inputs that read as non-empty numeric arrays, as ``{name: float array}``."""
    arrays = {}
    for name, value in (inputs or {}).items():
        try:
            array = np.asarray(value)
        except (ValueError, TypeError):  # ragged lists, objects NumPy cannot read
            continue
        if array.dtype.kind in "fiu" and array.size and np.any(array):
            arrays[name] = array.astype(float)
    return arrays


def _matches_input(diff, inputs, close):
    """A phrase when ``diff`` equals plus or minus one of the inputs (broadcast), else None."""
    for name, value in _numeric_inputs(inputs).items():
        if value.size == 1:
            value = value.reshape(())
        try:
            value = np.broadcast_to(value, diff.shape)
        except ValueError:
            continue
        if close(diff, -value):
            return f"the output is short by exactly the input `{name}` (is `{name}` missing?)"
        if close(diff, value):
            return f"the output is too large by exactly the input `{name}` (is `{name}` added twice?)"
    return None


def _transposition(got, want, close):
    """The axis order that turns ``want`` into ``got`` (other than the identity), or None."""
    if not 2 <= want.ndim <= 4 or got.ndim != want.ndim:
        return None
    for order in itertools.permutations(range(want.ndim)):
        if order == tuple(range(want.ndim)):
            continue
        moved = np.transpose(want, order)
        if moved.shape == got.shape and close(got, moved):
            return order
    return None


def _value_effect(got, want, inputs, close):
    """A short phrase naming a recognisable pattern in two same-shape numeric arrays, or None."""
    got, want = got.astype(float), want.astype(float)
    nans = np.isnan(got) & ~np.isnan(want)
    if nans.any():
        return f"{int(nans.sum())} of {got.size} values are NaN (a division by zero or the log of zero?)"
    if not np.any(got):
        return "all values are zero (is the result computed and stored?)"
    if close(got, -want):
        return "the sign is flipped"
    order = _transposition(got, want, close)
    if order is not None:
        return f"it looks transposed (the expected array with its axes in the order {order})"
    diff = got - want
    matched = _matches_input(diff, inputs, close)
    if matched or got.size == 1:  # one number alone does not tell an offset from a factor
        return matched
    if close(diff, diff.flat[0]):
        return f"the values are off by a constant {diff.flat[0]:.4g} (is a bias missing or added twice?)"
    if got.ndim >= 2 and got.shape[-1] < got.size:
        per_channel = diff.reshape(-1, got.shape[-1])
        if close(per_channel, per_channel[0]):
            offsets = np.array2string(per_channel[0], precision=3, threshold=8)
            return (f"the values are off by a constant per channel (last axis): {offsets} "
                    "(is a bias missing or added twice?)")
    nonzero = np.abs(want) > 0
    if nonzero.any():
        factor = float(np.median(got[nonzero] / want[nonzero]))
        if close(got, factor * want):
            return f"the values are scaled by a factor {factor:.4g} (a missing or extra normalisation?)"
    return None


def _shape_effect(got, want, close):
    """A short phrase explaining a shape mismatch, or None."""
    if got.size == want.size and got.size:
        order = _transposition(got, want, close)
        if order is not None:
            return f"it looks transposed (the expected array with its axes in the order {order})"
        if got.dtype.kind in "fiu" and want.dtype.kind in "fiu" and close(got.ravel(), want.ravel()):
            return "the right values in the wrong shape (a reshape mistake?)"
    if got.ndim != want.ndim:
        return f"{got.ndim} axes instead of {want.ndim} (an axis dropped or added?)"
    differing = [axis for axis in range(want.ndim) if got.shape[axis] != want.shape[axis]]
    if want.ndim == 4 and set(differing) <= {1, 2}:
        return (f"the spatial size (n_H, n_W) is {got.shape[1:3]} instead of {want.shape[1:3]} "
                "(check the stride and padding: n_out = (n + 2 * pad - f) // stride + 1)")
    return ", ".join(f"axis {axis} has length {got.shape[axis]} instead of {want.shape[axis]}"
                     for axis in differing)


def _assert_same_array(got, want, where, rtol, atol, inputs):
    want_arr = np.asarray(want)
    try:
        got_arr = np.asarray(got)
    except Exception as err:  # a tensor-like object numpy cannot read
        raise AssertionError(f"{where}: cannot read as an array ({err})") from err

    def close(a, b):
        return np.allclose(a, b, rtol=rtol, atol=atol)

    if got_arr.shape != want_arr.shape:
        effect = _shape_effect(got_arr, want_arr, close)
        raise AssertionError(f"{where}: wrong shape {got_arr.shape}, expected {want_arr.shape}"
                             + (f": {effect}" if effect else ""))
    if want_arr.dtype.kind != got_arr.dtype.kind and not (
        want_arr.dtype.kind in "fiu" and got_arr.dtype.kind in "fiu"
    ):
        raise AssertionError(f"{where}: wrong dtype {got_arr.dtype}, expected {want_arr.dtype}")
    if want_arr.dtype.kind in "fiu":
        if not np.allclose(got_arr, want_arr, rtol=rtol, atol=atol, equal_nan=True):
            effect = _value_effect(got_arr, want_arr, inputs, close)
            got_f, want_f = got_arr.astype(float), want_arr.astype(float)
            both_nan = np.isnan(got_f) & np.isnan(want_f)
            diff = np.where(both_nan, 0.0, np.nan_to_num(np.abs(got_f - want_f), nan=np.inf, posinf=np.inf))
            worst = tuple(int(i) for i in np.unravel_index(np.argmax(diff), diff.shape))
            raise AssertionError(
                f"{where}: wrong values" + (f": {effect}" if effect else "")
                + f"; largest difference {np.max(diff):.3g} at index {worst} "
                f"(got {got_arr[worst].item()!r}, expected {want_arr[worst].item()!r})"
            )
    elif not np.array_equal(got_arr, want_arr):
        wrong = int(np.sum(got_arr != want_arr)) if got_arr.ndim else 1
        raise AssertionError(f"{where}: wrong values ({wrong} of {max(want_arr.size, 1)} differ)")


def assert_same(got, want, path=(), rtol=1e-5, atol=1e-6, inputs=None):
    """Assert that ``got`` matches ``want`` recursively (tuples, lists, dicts, arrays, models).

    ``inputs`` (``{name: value}``, optional) are the arguments both outputs were
    computed from; a difference equal to one of them is reported by name.
    Raises ``AssertionError`` naming the first difference and, where it is
    recognised, its effect.
    """
    import keras

    where = _describe(path)
    if isinstance(want, keras.Model):
        _compare_models(got, want, where)
        return
    if isinstance(want, dict):
        if not isinstance(got, dict):
            raise AssertionError(f"{where}: expected a dict, got {type(got).__name__}")
        missing = sorted(set(want) - set(got))
        if missing:
            raise AssertionError(f"{where}: missing keys {missing}")
        for key in want:
            assert_same(got[key], want[key], path + (repr(key),), rtol, atol, inputs)
        return
    if isinstance(want, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            raise AssertionError(f"{where}: expected a {type(want).__name__}, got {type(got).__name__}")
        if len(got) != len(want):
            raise AssertionError(f"{where}: expected {len(want)} items, got {len(got)}")
        for i, (g, w) in enumerate(zip(got, want)):
            assert_same(g, w, path + (i,), rtol, atol, inputs)
        return
    if isinstance(want, str) or want is None or isinstance(want, bool):
        if got != want:
            raise AssertionError(f"{where}: expected {want!r}, got {got!r}")
        return
    _assert_same_array(got, want, where, rtol, atol, inputs)


def _named_arguments(fn, args, kwargs):
    """``{parameter name: value}`` for a call ``fn(*args, **kwargs)``; positions when names are unknown."""
    try:
        return dict(inspect.signature(fn).bind(*args, **kwargs).arguments)
    except (TypeError, ValueError):  # no signature, or one that does not take these arguments
        named = {f"argument {i + 1}": arg for i, arg in enumerate(args)}
        named.update(kwargs)
        return named


def compare(learner_fn, reference_fn, *args, rtol=1e-5, atol=1e-6, **kwargs):
    """Call both functions with the same arguments and assert that their outputs match.

    Prints ``All tests passed`` on success; raises ``AssertionError`` naming the
    first difference otherwise. Arrays passed in are copied for each call, so a
    function that modifies its inputs cannot hide a difference.
    """
    import copy

    if not callable(learner_fn) or not callable(reference_fn):
        raise TypeError("learner_fn and reference_fn must be callables")
    try:
        got = learner_fn(*copy.deepcopy(args), **copy.deepcopy(kwargs))
    except NotImplementedError as err:
        message = str(err)
        if NOT_IMPLEMENTED not in message:
            name = getattr(learner_fn, "__name__", "the function")
            message = f"{name} {NOT_IMPLEMENTED}: {message}"
        raise AssertionError(message) from None
    want = reference_fn(*copy.deepcopy(args), **copy.deepcopy(kwargs))
    inputs = _named_arguments(reference_fn, args, kwargs)
    assert_same(got, want, rtol=rtol, atol=atol, inputs=inputs)
    print(PASSED)
