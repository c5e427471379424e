"""Exercise checks: compare a learner's function with the reference in ``cnn_utils``.

A notebook exercise is followed by a check cell such as::

    checks.compare(conv_forward, numpy_cnn.conv_forward, A_prev, W, b, {"stride": 2, "pad": 1})

which calls both functions on the same inputs and prints ``All tests passed``
or raises ``AssertionError`` with a message that says what differs (type,
shape, dtype, values, or a Keras model's layers).
"""
import numpy as np

PASSED = "All tests passed"


def _describe(path):
    return "output" + "".join(f"[{p}]" for p in path)


def _compare_models(learner, reference, where):
    import keras

    if not isinstance(learner, keras.Model):
        raise AssertionError(f"{where}: expected a keras.Model, got {type(learner).__name__}")
    learner_layers = [(l.__class__.__name__, l.output.shape) for l in learner.layers]
    reference_layers = [(l.__class__.__name__, l.output.shape) for l in reference.layers]
    for i, (got, want) in enumerate(zip(learner_layers, reference_layers)):
        if got != want:
            raise AssertionError(
                f"{where}: layer {i} is {got[0]} with output shape {got[1]}, "
                f"expected {want[0]} with output shape {want[1]}"
            )
    if len(learner_layers) != len(reference_layers):
        raise AssertionError(
            f"{where}: {len(learner_layers)} layers, expected {len(reference_layers)}"
        )
    if learner.count_params() != reference.count_params():
        raise AssertionError(
            f"{where}: {learner.count_params():,} parameters, expected {reference.count_params():,}"
        )


def assert_same(got, want, path=(), rtol=1e-5, atol=1e-6):
    """Assert that ``got`` matches ``want`` recursively (tuples, lists, dicts, arrays, models)."""
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
            assert_same(got[key], want[key], path + (repr(key),), rtol, atol)
        return
    if isinstance(want, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            raise AssertionError(f"{where}: expected a {type(want).__name__}, got {type(got).__name__}")
        if len(got) != len(want):
            raise AssertionError(f"{where}: expected {len(want)} items, got {len(got)}")
        for i, (g, w) in enumerate(zip(got, want)):
            assert_same(g, w, path + (i,), rtol, atol)
        return
    if isinstance(want, str) or want is None or isinstance(want, bool):
        if got != want:
            raise AssertionError(f"{where}: expected {want!r}, got {got!r}")
        return
    want_arr = np.asarray(want)
    try:
        got_arr = np.asarray(got)
    except Exception as err:  # a tensor-like object numpy cannot read
        raise AssertionError(f"{where}: cannot read as an array ({err})") from err
    if got_arr.shape != want_arr.shape:
        raise AssertionError(f"{where}: wrong shape {got_arr.shape}, expected {want_arr.shape}")
    if want_arr.dtype.kind != got_arr.dtype.kind and not (
        want_arr.dtype.kind in "fiu" and got_arr.dtype.kind in "fiu"
    ):
        raise AssertionError(f"{where}: wrong dtype {got_arr.dtype}, expected {want_arr.dtype}")
    if want_arr.dtype.kind in "fiuc":
        if not np.allclose(got_arr, want_arr, rtol=rtol, atol=atol, equal_nan=True):
            diff = np.abs(got_arr.astype(float) - want_arr.astype(float))
            worst = np.unravel_index(np.nanargmax(diff), diff.shape) if diff.ndim else ()
            raise AssertionError(
                f"{where}: wrong values; largest difference {np.nanmax(diff):.3g} at index {worst} "
                f"(got {got_arr[worst]!r}, expected {want_arr[worst]!r})"
            )
    elif not np.array_equal(got_arr, want_arr):
        raise AssertionError(f"{where}: wrong values")


def compare(learner_fn, reference_fn, *args, rtol=1e-5, atol=1e-6, **kwargs):
    """Call both functions with the same arguments and assert that their outputs match.

    Prints ``All tests passed`` on success; raises ``AssertionError`` naming the
    first difference otherwise. Arrays passed in are copied for each call, so a
    function that modifies its inputs cannot hide a difference.
    """
    import copy

    try:
        got = learner_fn(*copy.deepcopy(args), **copy.deepcopy(kwargs))
    except NotImplementedError as err:
        name = getattr(learner_fn, "__name__", "the function")
        raise AssertionError(f"{name} is not implemented yet: {err}") from None
    want = reference_fn(*copy.deepcopy(args), **copy.deepcopy(kwargs))
    assert_same(got, want, rtol=rtol, atol=atol)
    print(PASSED)
