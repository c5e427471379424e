"""Exercise checks: compare a learner's function with the reference in ``cnn_utils``.

A notebook exercise is followed by a check cell such as::

    checks.compare(conv_forward, numpy_cnn.conv_forward, A_prev, W, b, {"stride": 2, "pad": 1})

which calls both functions on the same inputs and prints ``All tests passed``
or raises ``AssertionError`` with a message that says what differs (type,
shape, dtype, values, or a Keras model's layers) and, where it recognises the
pattern, the effect of the mistake: values off by a constant or by one of the
inputs (a missing bias), scaled by a factor, transposed, sign flipped, NaN or
all zero, or a spatial size that points at the stride or padding.

Each exercise of the course also has its own check, named after it, in the
spirit of the course's public tests: ``checks.conv_forward_test(conv_forward)``
runs the learner's function on fixed inputs (several cases: strides, paddings,
modes), compares every result with the reference and prints ``All tests
passed`` once. Models are compared layer by layer as they were when the
learner's function returned them (type, output shape, parameters, settings,
and whether the layer is trainable).
"""
import inspect
import itertools

import numpy as np

from cnn_utils.validation import check_model, check_real

PASSED = "All tests passed"
NOT_IMPLEMENTED = "is not implemented yet"

# Layer settings that change what a layer computes without changing its output shape or parameter count.
LAYER_SETTINGS = ("activation", "kernel_size", "strides", "padding", "pool_size", "rate", "momentum",
                  "epsilon", "trainable")


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


class ModelSummary:
    """What a check compares of a ``keras.Model``, taken at one moment.

    A snapshot, so that a later change to a shared layer (a reference that
    freezes the base the learner's model also holds) cannot hide a difference.
    """

    def __init__(self, model):
        self.layers = [_layer_summary(layer) for layer in model.layers]
        self.count_params = model.count_params()


def _map_leaves(fn, value):
    """``value`` with ``fn`` applied to everything in it that is not a tuple, list or dict."""
    if isinstance(value, dict):
        return {key: _map_leaves(fn, item) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        items = [_map_leaves(fn, item) for item in value]
        return tuple(items) if isinstance(value, tuple) else items
    return fn(value)


def _snapshot(value):
    """``value`` with every ``keras.Model`` in it (also inside tuples, lists, dicts) replaced by its summary."""
    import keras

    return _map_leaves(lambda item: ModelSummary(item) if isinstance(item, keras.Model) else item, value)


def _compare_models(learner, reference, where):
    if not isinstance(learner, ModelSummary):
        raise AssertionError(f"{where}: expected a keras.Model, got {type(learner).__name__}")
    for i, (got_layer, want_layer) in enumerate(zip(learner.layers, reference.layers)):
        got_type, got_shape, got_params, got_settings = got_layer
        want_type, want_shape, want_params, want_settings = want_layer
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
    if learner.count_params != reference.count_params:
        raise AssertionError(
            f"{where}: {learner.count_params:,} parameters, expected {reference.count_params:,}"
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
    factor = _factor(got, want, close)
    if factor is not None and close(want, want.flat[0]):  # a constant array: a factor is the likelier story
        return f"the values are scaled by a factor {factor:.4g} (a missing or extra normalisation?)"
    if close(diff, diff.flat[0]):
        return f"the values are off by a constant {diff.flat[0]:.4g} (is a bias missing or added twice?)"
    if got.ndim >= 2 and got.shape[-1] < got.size:
        per_channel = diff.reshape(-1, got.shape[-1])
        if close(per_channel, per_channel[0]):
            offsets = np.array2string(per_channel[0], precision=3, threshold=8)
            return (f"the values are off by a constant per channel (last axis): {offsets} "
                    "(is a bias missing or added twice?)")
    if factor is not None:
        return f"the values are scaled by a factor {factor:.4g} (a missing or extra normalisation?)"
    return None


def _factor(got, want, close):
    """The factor ``k`` with ``got == k * want``, or None."""
    nonzero = np.abs(want) > 0
    if not nonzero.any():
        return None
    factor = float(np.median(got[nonzero] / want[nonzero]))
    return factor if close(got, factor * want) else None


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
    if got_arr.dtype != want_arr.dtype and not (got_arr.dtype.kind in "US" and want_arr.dtype.kind in "US"):
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
    check_real("rtol", rtol, 0)
    check_real("atol", atol, 0)
    got, want = _snapshot(got), _snapshot(want)
    where = _describe(path)
    if isinstance(want, ModelSummary):
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


def _copy_arrays(value):
    """``value`` with every NumPy array in it (also inside tuples, lists, dicts) copied; other objects shared."""
    return _map_leaves(lambda item: item.copy() if isinstance(item, np.ndarray) else item, value)


def _compare_call(learner_fn, reference_fn, args, kwargs, rtol, atol):
    """Call both functions on copies of the same arguments; raise ``AssertionError`` if the outputs differ."""
    try:
        got = learner_fn(*_copy_arrays(args), **_copy_arrays(kwargs))
    except NotImplementedError as err:
        message = str(err)
        if NOT_IMPLEMENTED not in message:
            name = getattr(learner_fn, "__name__", "the function")
            message = f"{name} {NOT_IMPLEMENTED}: {message}"
        raise AssertionError(message) from None
    got = _snapshot(got)  # before the reference runs: it may change layers both models share
    want = reference_fn(*_copy_arrays(args), **_copy_arrays(kwargs))
    inputs = _named_arguments(reference_fn, args, kwargs)
    assert_same(got, want, rtol=rtol, atol=atol, inputs=inputs)


def compare(learner_fn, reference_fn, *args, rtol=1e-5, atol=1e-6, **kwargs):
    """Call both functions with the same arguments and assert that their outputs match.

    Prints ``All tests passed`` on success; raises ``AssertionError`` naming the
    first difference otherwise. Arrays passed in are copied for each call, so a
    function that modifies its inputs cannot hide a difference.
    """
    if not callable(learner_fn) or not callable(reference_fn):
        raise TypeError("learner_fn and reference_fn must be callables")
    check_real("rtol", rtol, 0)
    check_real("atol", atol, 0)
    _compare_call(learner_fn, reference_fn, args, kwargs, rtol, atol)
    print(PASSED)


# --- One check per exercise ------------------------------------------------------------------
# Each check takes the learner's function (and, where the notebook has built them, the pretrained
# model or database it needs), runs it on fixed inputs and compares it with the reference.

def _check_cases(target, reference, cases, rtol=1e-5, atol=1e-6):
    """Compare ``target`` with ``reference`` on every ``(label, args, kwargs)`` case; print PASSED once.

    A failing case is named by its label (for example ``stride 2, pad 1:``) before the difference.
    """
    if not callable(target):
        raise TypeError(f"target must be the function to check, got {type(target).__name__}")
    for label, args, kwargs in cases:
        try:
            _compare_call(target, reference, args, kwargs, rtol, atol)
        except AssertionError as err:
            if not label or NOT_IMPLEMENTED in str(err):
                raise
            raise AssertionError(f"{label}: {err}") from None
    print(PASSED)


def _block_model(block, input_shapes, **kwargs):
    """A ``keras.Model`` around one call of a block function, so that its layers can be compared."""
    import keras

    inputs = [keras.Input(shape) for shape in input_shapes]
    return keras.Model(inputs, block(*inputs, **kwargs))


# Week 1: convolution step by step (NumPy)

def zero_pad_test(target):
    """Check ``zero_pad(X, pad)`` on a batch of 4 images and on a non-square one."""
    from cnn_utils import numpy_cnn

    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 3, 3, 2))
    cases = [("pad 3", (x, 3), {}), ("pad 1, non-square", (rng.standard_normal((1, 2, 5, 1)), 1), {}),
             ("pad 0", (x, 0), {})]
    _check_cases(target, numpy_cnn.zero_pad, cases)


def conv_single_step_test(target):
    """Check ``conv_single_step(a_slice_prev, W, b)`` on a 4x4x3 slice."""
    from cnn_utils import numpy_cnn

    rng = np.random.default_rng(1)
    a_slice_prev, W = rng.standard_normal((4, 4, 3)), rng.standard_normal((4, 4, 3))
    b = rng.standard_normal((1, 1, 1))
    _check_cases(target, numpy_cnn.conv_single_step, [("", (a_slice_prev, W, b), {})])


def conv_forward_test(target):
    """Check ``conv_forward(A_prev, W, b, hparameters)`` for three strides and paddings."""
    from cnn_utils import numpy_cnn

    rng = np.random.default_rng(1)
    A_prev = rng.standard_normal((2, 5, 7, 4))
    W = rng.standard_normal((3, 3, 4, 8))
    b = rng.standard_normal((1, 1, 1, 8))
    cases = [(f"hparameters {h}", (A, W, b, h), {})
             for A, h in ((A_prev, {"pad": 1, "stride": 2}), (A_prev, {"pad": 0, "stride": 1}),
                          (A_prev[:, :, :5], {"pad": 2, "stride": 3}))]
    _check_cases(target, numpy_cnn.conv_forward, cases)


def pool_forward_test(target):
    """Check ``pool_forward(A_prev, hparameters, mode)`` in both modes for three windows and strides."""
    from cnn_utils import numpy_cnn

    A_prev = np.random.default_rng(1).standard_normal((2, 5, 5, 3))
    cases = [(f"mode {mode!r}, hparameters {h}", (A_prev, h, mode), {})
             for h in ({"stride": 1, "f": 3}, {"stride": 2, "f": 3}, {"stride": 2, "f": 2})
             for mode in ("max", "average")]
    _check_cases(target, numpy_cnn.pool_forward, cases)


def conv_backward_test(target):
    """Check ``conv_backward(dZ, cache)`` after three forward passes with different strides and paddings."""
    from cnn_utils import numpy_cnn

    rng = np.random.default_rng(1)
    A_prev = rng.standard_normal((10, 4, 4, 3))
    W = rng.standard_normal((2, 2, 3, 8))
    b = rng.standard_normal((1, 1, 1, 8))
    cases = []
    for h in ({"pad": 2, "stride": 2}, {"pad": 0, "stride": 1}, {"pad": 1, "stride": 3}):
        Z, cache = numpy_cnn.conv_forward(A_prev, W, b, h)
        cases.append((f"hparameters {h}", (rng.standard_normal(Z.shape), cache), {}))
    _check_cases(target, numpy_cnn.conv_backward, cases)


def create_mask_from_window_test(target):
    """Check ``create_mask_from_window(x)`` on a 2x3 window."""
    from cnn_utils import numpy_cnn

    x = np.random.default_rng(1).standard_normal((2, 3))
    _check_cases(target, numpy_cnn.create_mask_from_window, [("", (x,), {})])


def distribute_value_test(target):
    """Check ``distribute_value(dz, shape)`` for a square and a non-square window."""
    from cnn_utils import numpy_cnn

    _check_cases(target, numpy_cnn.distribute_value, [("shape (2, 2)", (2.0, (2, 2)), {}),
                                                       ("shape (3, 2)", (1.5, (3, 2)), {})])


def pool_backward_test(target):
    """Check ``pool_backward(dA, cache, mode)`` in both modes, with overlapping and separate windows."""
    from cnn_utils import numpy_cnn

    rng = np.random.default_rng(1)
    A_prev = rng.standard_normal((5, 5, 3, 2))
    cases = []
    for h in ({"stride": 1, "f": 2}, {"stride": 2, "f": 2}):
        for mode in ("max", "average"):
            A, cache = numpy_cnn.pool_forward(A_prev, h, mode)
            cases.append((f"mode {mode!r}, hparameters {h}", (rng.standard_normal(A.shape), cache, mode), {}))
    _check_cases(target, numpy_cnn.pool_backward, cases)


# Week 1: ConvNets in Keras

def happyModel_test(target):
    """Check ``happyModel()`` layer by layer."""
    from cnn_utils import convnets

    _check_cases(target, convnets.happyModel, [("", (), {})])


def convolutional_model_test(target):
    """Check ``convolutional_model(input_shape, classes)`` layer by layer, with 6 and 10 classes."""
    from cnn_utils import convnets

    _check_cases(target, convnets.convolutional_model, [("6 classes", ((64, 64, 3),), {}),
                                                         ("10 classes", ((64, 64, 3),), {"classes": 10})])


# Week 2: residual networks

def _ones(seed=0):
    import keras

    return keras.initializers.Constant(1.0)


def identity_block_test(target):
    """Check ``identity_block`` values in training and inference mode, with two window sizes."""
    from cnn_utils import resnet

    X = np.concatenate([np.full((1, 4, 4, 3), v, "float32") for v in (-1, 1, 3)])
    cases = [("f=2, inference mode", (X,), {"f": 2, "filters": [4, 4, 3], "training": False, "initializer": _ones}),
             ("f=2, training mode", (X,), {"f": 2, "filters": [4, 4, 3], "training": True, "initializer": _ones}),
             ("f=3, default initializer", (X,), {"f": 3, "filters": [2, 5, 3], "training": False})]
    _check_cases(target, resnet.identity_block, cases)


def convolutional_block_test(target):
    """Check ``convolutional_block`` values with strides 2 and 1, in training and inference mode."""
    from cnn_utils import resnet

    X = np.random.default_rng(0).normal(size=(3, 4, 4, 6)).astype("float32")
    cases = [("s=2, inference mode", (X,), {"f": 2, "filters": [2, 4, 6], "training": False}),
             ("s=2, training mode", (X,), {"f": 2, "filters": [2, 4, 6], "training": True}),
             ("s=1", (X,), {"f": 3, "filters": [4, 4, 8], "s": 1, "training": False})]
    _check_cases(target, resnet.convolutional_block, cases)


def ResNet50_test(target):
    """Check ``ResNet50(input_shape, classes)`` layer by layer."""
    from cnn_utils import resnet

    _check_cases(target, resnet.ResNet50, [("", ((64, 64, 3), 6), {})])


# Week 2: transfer learning

def data_augmenter_test(target):
    """Check ``data_augmenter()``: the course's layers in order, with their settings, and identity at inference."""
    from cnn_utils import transfer

    images = np.random.default_rng(0).uniform(0, 255, (2, 16, 16, 3)).astype("float32")

    def layers_and_output(make_augmenter):
        def run(images):
            augmenter = make_augmenter()
            settings = [(type(layer).__name__, layer.get_config().get("mode"), layer.get_config().get("factor"))
                        for layer in augmenter.layers]
            return settings, np.asarray(augmenter(images, training=False))
        return run

    _check_cases(layers_and_output(target), layers_and_output(transfer.data_augmenter), [("", (images,), {})])


def transfer_model_test(target, base):
    """Check ``transfer_model(image_shape, data_augmentation, base, num_classes)`` layer by layer.

    ``base`` is the pretrained base the notebook built. It is made trainable
    before the learner's function runs, so a model that forgets to freeze it
    is caught; the reference then leaves it frozen.
    """
    import keras

    from cnn_utils import transfer

    check_model("base", base)
    augmenter = keras.Sequential([keras.layers.RandomFlip("horizontal")], name="data_augmentation")
    base_size = tuple(base.input_shape[1:3])
    image_shape = (64, 64) if None in base_size else base_size  # a base built for one size gets that size

    def build(make_model):
        def run(image_shape, num_classes):
            base.trainable = True
            return make_model(image_shape, augmenter, base, num_classes)
        return run

    _check_cases(build(target), build(transfer.transfer_model), [("", (image_shape, 3), {})])


# Week 3: localization

def localization_loss_test(target):
    """Check ``localization_loss(y_true, y_pred)`` on examples with and without an object."""
    from cnn_utils import localization

    rng = np.random.default_rng(1)
    y_true = np.concatenate([rng.integers(0, 2, (6, 1)), rng.uniform(size=(6, 7))], axis=1).astype(np.float32)
    y_pred = rng.uniform(size=(6, 8)).astype(np.float32)
    _check_cases(target, localization.localization_loss, [("", (y_true, y_pred), {})])


# Week 3: YOLO

def yolo_filter_boxes_test(target):
    """Check ``yolo_filter_boxes`` on a 19x19x5 output with 80 classes, at two thresholds."""
    from cnn_utils import yolo

    rng = np.random.default_rng(1)
    boxes = rng.normal(4, 4, (19, 19, 5, 4)).astype("float32")
    confidence = rng.uniform(0, 1, (19, 19, 5, 1)).astype("float32")
    probs = rng.dirichlet(np.full(80, 0.05), (19, 19, 5)).astype("float32")
    cases = [("threshold 0.5", (boxes, confidence, probs, 0.5), {}),
             ("default threshold", (boxes, confidence, probs), {})]
    _check_cases(target, yolo.yolo_filter_boxes, cases)


def iou_test(target):
    """Check ``iou(box1, box2)`` on intersecting, separate, corner-touching and edge-touching boxes."""
    from cnn_utils import yolo

    cases = {"intersecting": ((2, 1, 4, 3), (1, 2, 3, 4)),
             "not intersecting": ((1, 2, 3, 4), (5, 6, 7, 8)),
             "touching corners": ((1, 1, 2, 2), (2, 2, 3, 3)),
             "touching edges": ((1, 1, 3, 3), (2, 3, 3, 4)),
             "one inside the other": ((0, 0, 4, 4), (1, 1, 2, 2))}
    _check_cases(target, yolo.iou, [(name, boxes, {}) for name, boxes in cases.items()])


def yolo_non_max_suppression_test(target):
    """Check per-class ``yolo_non_max_suppression`` on 60 overlapping boxes of 3 classes."""
    from cnn_utils import yolo

    rng = np.random.default_rng(2)
    corner = rng.uniform(0, 60, (60, 2))
    boxes = np.concatenate([corner, corner + rng.uniform(10, 40, (60, 2))], axis=1).astype("float32")
    scores = rng.permutation(60).astype("float32") / 60 + 0.01
    classes = rng.integers(0, 3, 60)
    cases = [("max_boxes 10, iou_threshold 0.5", (scores, boxes, classes, 10, 0.5), {}),
             ("max_boxes 20, iou_threshold 0.3", (scores, boxes, classes, 20, 0.3), {})]
    _check_cases(target, yolo.yolo_non_max_suppression, cases)


def yolo_eval_test(target):
    """Check ``yolo_eval`` on a random 19x19x5x85 output decoded with YOLOv2's COCO anchors."""
    from cnn_utils import darknet, yolo
    from cnn_utils.config import DATA_DIR

    anchors, num_classes = darknet.region_params(DATA_DIR / "darknet" / "yolov2.cfg")
    rng = np.random.default_rng(3)
    raw = rng.normal(0, 1, (1, 19, 19, 5, 5 + num_classes)).astype("float32")
    raw[..., 4] += 2.0   # fairly confident boxes
    raw[..., 5:] *= 4.0  # peaked class probabilities
    outputs = yolo.yolo_head(raw, anchors, num_classes)
    cases = [("default arguments", (outputs,), {}),
             ("image 608x608, 5 boxes", (outputs,), {"image_shape": (608, 608), "max_boxes": 5})]
    _check_cases(target, yolo.yolo_eval, cases, rtol=1e-4, atol=1e-3)


# Week 3: U-Net

def conv_block_test(target):
    """Check ``conv_block`` layer by layer: a first block, and a bottom block with dropout and no pooling."""
    from cnn_utils import unet

    def build(block):
        return lambda shape, **kwargs: _block_model(block, [shape], **kwargs)

    cases = [("first block", ((96, 128, 3),), {"n_filters": 32}),
             ("dropout, no pooling", ((12, 16, 256),), {"n_filters": 512, "dropout_prob": 0.3, "max_pooling": False})]
    _check_cases(build(target), build(unet.conv_block), cases)


def upsampling_block_test(target):
    """Check ``upsampling_block`` layer by layer."""
    from cnn_utils import unet

    def build(block):
        return lambda **kwargs: _block_model(block, [(12, 16, 256), (24, 32, 128)], **kwargs)

    _check_cases(build(target), build(unet.upsampling_block), [("", (), {"n_filters": 32})])


def unet_model_test(target):
    """Check ``unet_model(input_size, n_filters, n_classes)`` layer by layer (the course's U-Net)."""
    from cnn_utils import unet

    _check_cases(target, unet.unet_model, [("", ((96, 128, 3), 32, 23), {})])


# Week 4: face recognition

def triplet_loss_test(target):
    """Check ``triplet_loss(y_true, y_pred, alpha)`` with a small and a large margin."""
    from cnn_utils import faces

    rng = np.random.default_rng(1)
    y_pred = tuple(rng.normal(0.0, 0.5, (4, 128)).astype("float32") for _ in range(3))
    cases = [("alpha 0.2", (None, y_pred, 0.2), {}), ("alpha 30", (None, y_pred, 30.0), {})]
    _check_cases(target, faces.triplet_loss, cases)


def _visitors():
    """Fixed photos for the face checks: altered views of two people in the photos, and the cameraman."""
    from cnn_utils import datasets, faces

    astronaut = datasets.load_photo("astronaut").astype("float32")
    hopper = faces.load_image(datasets.load_photo("grace_hopper"))
    return {"brighter astronaut": np.clip(astronaut * 1.2, 0, 255), "mirrored astronaut": astronaut[:, ::-1],
            "cropped Grace Hopper": hopper[30:, 20:], "cameraman": faces.load_image(datasets.load_photo("camera"))}


def verify_test(target, database, model):
    """Check ``verify(image, identity, database, model)`` for fixed photos against every identity in ``database``."""
    from cnn_utils import faces

    if not isinstance(database, dict) or not database:
        raise TypeError("database must be a non-empty dict {name: encoding}")
    visitors = _visitors()
    cases = [(f"{photo} claiming to be {identity}", (visitors[photo], identity, database, model), {})
             for photo in ("brighter astronaut", "cameraman") for identity in sorted(database)]
    _check_cases(target, faces.verify, cases)


def who_is_it_test(target, database, model):
    """Check ``who_is_it(image, database, model)`` for fixed photos of people in and out of the photos."""
    from cnn_utils import faces

    if not isinstance(database, dict) or not database:
        raise TypeError("database must be a non-empty dict {name: encoding}")
    cases = [(photo, (image, database, model), {}) for photo, image in _visitors().items()
             if photo != "brighter astronaut"]
    _check_cases(target, faces.who_is_it, cases)


# Week 4: neural style transfer

def compute_content_cost_test(target):
    """Check ``compute_content_cost`` on random activations, and of an image with itself."""
    from cnn_utils import nst

    rng = np.random.default_rng(1)
    a_C = [rng.standard_normal((1, 4, 4, 3)).astype(np.float32)]
    a_G = [rng.standard_normal((1, 4, 4, 3)).astype(np.float32)]
    non_square = [rng.standard_normal((1, 3, 5, 2)).astype(np.float32) for _ in range(2)]
    cases = [("4x4x3", (a_C, a_G), {}), ("same image", (a_C, a_C), {}),
             ("3x5x2, content layer last", ([a_G[0], non_square[0]], [a_C[0], non_square[1]]), {})]
    _check_cases(target, nst.compute_content_cost, cases)


def gram_matrix_test(target):
    """Check ``gram_matrix(A)`` on a 2x3 and a random 3x8 matrix."""
    from cnn_utils import nst

    small = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, -1.0]], np.float32)
    random = np.random.default_rng(2).standard_normal((3, 8)).astype(np.float32)
    _check_cases(target, nst.gram_matrix, [("2x3", (small,), {}), ("3x8", (random,), {})])


def compute_layer_style_cost_test(target):
    """Check ``compute_layer_style_cost(a_S, a_G)`` on a square and a non-square layer."""
    from cnn_utils import nst

    rng = np.random.default_rng(3)
    square = [rng.standard_normal((1, 4, 4, 3)).astype(np.float32) for _ in range(2)]
    non_square = [rng.standard_normal((1, 2, 5, 4)).astype(np.float32) for _ in range(2)]
    _check_cases(target, nst.compute_layer_style_cost, [("4x4x3", tuple(square), {}),
                                                        ("2x5x4", tuple(non_square), {})])


def compute_style_cost_test(target):
    """Check ``compute_style_cost`` with two weighted style layers followed by the content layer."""
    from cnn_utils import nst

    rng = np.random.default_rng(4)
    shapes = [(1, 8, 8, 4), (1, 4, 4, 8), (1, 2, 2, 8)]  # two style layers, then the content layer
    S_out = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    G_out = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    cases = [("weights 0.7, 0.3", (S_out, G_out, [("block1_conv1", 0.7), ("block2_conv1", 0.3)]), {}),
             ("weights 0.2, 0.8", (S_out, G_out, [("block1_conv1", 0.2), ("block2_conv1", 0.8)]), {})]
    _check_cases(target, nst.compute_style_cost, cases)


def total_cost_test(target):
    """Check ``total_cost(J_content, J_style, alpha, beta)`` with the default and other weights."""
    import tensorflow as tf

    from cnn_utils import nst

    # The costs arrive as scalar tensors, as in train_step.
    J_content, J_style = tf.constant(3.0), tf.constant(2.0)
    cases = [("default alpha and beta", (J_content, J_style), {}),
             ("alpha 5, beta 1", (tf.constant(0.7), tf.constant(0.1)), {"alpha": 5, "beta": 1})]
    _check_cases(target, nst.total_cost, cases)


def train_step_test(target, feature_model):
    """Check the ``train_step`` that ``target`` (your ``make_train_step``) builds: two steps on 32x32 images.

    ``feature_model`` maps a (1, H, W, 3) image to the list of style-layer
    outputs followed by the content-layer output (``vgg_model_outputs``).
    Both the costs of each step and the generated image after them are compared.
    """
    import keras
    import tensorflow as tf

    from cnn_utils import datasets, nst

    content = nst.load_image(datasets.load_photo("chelsea"), (32, 32))
    style = nst.load_image(nst.style_image_path("starry_night"), (32, 32))
    a_C, a_S = feature_model(content), feature_model(style)

    def two_steps(make_train_step):
        def run(start):
            generated = tf.Variable(start)
            step = make_train_step(feature_model, a_S, a_C, keras.optimizers.Adam(0.02))
            costs = [np.array([float(c) for c in step(generated)]) for _ in range(2)]
            return costs, generated.numpy()
        return run

    start = nst.initial_generated_image(content, seed=0).numpy()
    _check_cases(two_steps(target), two_steps(nst.make_train_step), [("", (start,), {})], rtol=1e-3, atol=1e-4)
