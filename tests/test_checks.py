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


def test_compare_rejects_bad_tolerances():
    with pytest.raises(ValueError, match="rtol"):
        checks.compare(lambda x: x, lambda x: x, X4, rtol=-1.0)
    with pytest.raises(TypeError, match="atol"):
        checks.assert_same(X4, X4, atol="0.1")


def test_numeric_dtypes_must_match():
    with pytest.raises(AssertionError, match="wrong dtype float32, expected float64"):
        checks.assert_same(X4.astype(np.float32), X4)
    with pytest.raises(AssertionError, match="wrong dtype int64, expected float64"):
        checks.assert_same(np.ones(3, np.int64), np.ones(3))


def test_models_compare_trainable_and_batch_norm_momentum():
    def head(momentum=0.99, trainable=True):
        dense = keras.layers.Dense(2)
        dense.trainable = trainable
        return keras.Sequential([keras.Input((4,)), dense, keras.layers.BatchNormalization(momentum=momentum)])

    checks.assert_same(head(), head())
    with pytest.raises(AssertionError, match=r"layer 1 \(BatchNormalization\): momentum 0.9, expected 0.99"):
        checks.assert_same(head(momentum=0.9), head())
    with pytest.raises(AssertionError, match=r"layer 0 \(Dense\): trainable True, expected False"):
        checks.assert_same(head(), head(trainable=False))


def test_a_model_is_compared_as_the_learner_returned_it():
    """A reference that freezes a layer both models share cannot hide that the learner left it trainable."""
    shared = keras.layers.Dense(2)

    def build(freeze):
        def make():
            shared.trainable = not freeze
            return keras.Sequential([keras.Input((4,)), shared])
        return make

    with pytest.raises(AssertionError, match="trainable True, expected False"):
        checks.compare(build(freeze=False), build(freeze=True))


# --- One check per exercise: the reference passes, a typical mistake is named ---------------------

def _without_bias_conv_forward(A_prev, W, b, hparameters):
    from cnn_utils import numpy_cnn
    Z, cache = numpy_cnn.conv_forward_vectorized(A_prev, W, np.zeros_like(b), hparameters)
    return Z, (A_prev, W, b, hparameters)


def _pool_forward_always_max(A_prev, hparameters, mode="max"):
    from cnn_utils import numpy_cnn
    return numpy_cnn.pool_forward_vectorized(A_prev, hparameters, "max")


def _conv_backward_no_db(dZ, cache):
    from cnn_utils import numpy_cnn
    dA_prev, dW, db = numpy_cnn.conv_backward_vectorized(dZ, cache)
    return dA_prev, dW, np.zeros_like(db)


def _pool_backward_ignores_mode(dA, cache, mode="max"):
    from cnn_utils import numpy_cnn
    return numpy_cnn.pool_backward_vectorized(dA, cache, "max")


def _happy_model_without_batch_norm():
    from cnn_utils import convnets
    model = convnets.happyModel()
    return keras.Sequential([keras.Input((64, 64, 3))] + [l for l in model.layers
                                                           if not isinstance(l, keras.layers.BatchNormalization)])


def _convolutional_model_wrong_pool(input_shape, classes=6):
    inputs = keras.Input(input_shape)
    x = keras.layers.ReLU()(keras.layers.Conv2D(8, 4, padding="same")(inputs))
    x = keras.layers.MaxPool2D(4, strides=4, padding="same")(x)
    x = keras.layers.ReLU()(keras.layers.Conv2D(16, 2, padding="same")(x))
    x = keras.layers.MaxPool2D(4, strides=4, padding="same")(x)
    outputs = keras.layers.Dense(classes, activation="softmax")(keras.layers.Flatten()(x))
    return keras.Model(inputs, outputs)


def _identity_block_no_shortcut(X, f, filters, training=True, initializer=keras.initializers.random_uniform):
    from cnn_utils import resnet
    return keras.layers.Activation("relu")(resnet.identity_block(X, f, filters, training, initializer) * 0 + X)


def _resnet50_one_class_too_many(input_shape=(64, 64, 3), classes=6):
    from cnn_utils import resnet
    return resnet.ResNet50(input_shape, classes + 1)


def _filter_boxes_without_confidence(boxes, box_confidence, box_class_probs, threshold=0.6):
    from cnn_utils import yolo
    return yolo.yolo_filter_boxes(boxes, np.ones_like(box_confidence), box_class_probs, threshold)


def _iou_no_clamp(box1, box2):
    xi1, yi1 = max(box1[0], box2[0]), max(box1[1], box2[1])
    xi2, yi2 = min(box1[2], box2[2]), min(box1[3], box2[3])
    inter = (xi2 - xi1) * (yi2 - yi1)
    area1 = (box1[2] - box1[0]) * (box1[3] - box1[1])
    area2 = (box2[2] - box2[0]) * (box2[3] - box2[1])
    return inter / (area1 + area2 - inter)


def _nms_not_per_class(scores, boxes, classes, max_boxes=10, iou_threshold=0.5):
    import tensorflow as tf
    kept = tf.image.non_max_suppression(boxes, scores, max_boxes, iou_threshold)
    return tf.gather(scores, kept), tf.gather(boxes, kept), tf.gather(classes, kept)


def _yolo_eval_unscaled(yolo_outputs, image_shape=(720, 1280), max_boxes=10, score_threshold=.6, iou_threshold=.5):
    from cnn_utils import yolo
    box_xy, box_wh, box_confidence, box_class_probs = yolo_outputs
    boxes = yolo.yolo_boxes_to_corners(box_xy, box_wh)
    scores, boxes, classes = yolo.yolo_filter_boxes(boxes, box_confidence, box_class_probs, score_threshold)
    return yolo.yolo_non_max_suppression(scores, boxes, classes, max_boxes, iou_threshold)


def _conv_block_without_dropout(inputs=None, n_filters=32, dropout_prob=0, max_pooling=True):
    from cnn_utils import unet
    return unet.conv_block(inputs, n_filters, 0, max_pooling)


def _upsampling_block_stride_1(expansive_input, contractive_input, n_filters=32):
    up = keras.layers.Conv2DTranspose(n_filters, 3, strides=1, padding="same")(expansive_input)
    up = keras.layers.UpSampling2D()(up)
    merge = keras.layers.concatenate([up, contractive_input], axis=3)
    conv = keras.layers.Conv2D(n_filters, 3, activation="relu", padding="same")(merge)
    return keras.layers.Conv2D(n_filters, 3, activation="relu", padding="same")(conv)


def _unet_without_last_conv(input_size=(96, 128, 3), n_filters=32, n_classes=23):
    from cnn_utils import unet
    model = unet.unet_model(input_size, n_filters, n_classes)
    return keras.Model(model.input, model.layers[-2].output)


def _triplet_loss_no_max(y_true, y_pred, alpha=0.2):
    import tensorflow as tf
    anchor, positive, negative = y_pred
    pos = tf.reduce_sum(tf.square(anchor - positive), axis=-1)
    neg = tf.reduce_sum(tf.square(anchor - negative), axis=-1)
    return tf.reduce_sum(pos - neg + alpha)


def _content_cost_unnormalised(content_output, generated_output):
    import tensorflow as tf
    return tf.reduce_sum(tf.square(content_output[-1] - generated_output[-1]))


def _gram_transposed(A):
    import tensorflow as tf
    return tf.matmul(A, A, transpose_a=True)


def _layer_style_cost_without_transpose(a_S, a_G):
    import tensorflow as tf
    from cnn_utils import nst
    _, n_H, n_W, n_C = a_G.shape
    GS = nst.gram_matrix(tf.reshape(a_S, (n_C, n_H * n_W)))
    GG = nst.gram_matrix(tf.reshape(a_G, (n_C, n_H * n_W)))
    return tf.reduce_sum(tf.square(GS - GG)) / (4.0 * n_C**2 * (n_H * n_W)**2)


def _style_cost_with_content_layer(style_image_output, generated_image_output, STYLE_LAYERS):
    from cnn_utils import nst
    J = 0
    for (_, weight), a_S, a_G in zip(STYLE_LAYERS + [("content", 1.0)], style_image_output, generated_image_output):
        J += weight * nst.compute_layer_style_cost(a_S, a_G)
    return J


def _total_cost_swapped(J_content, J_style, alpha=10, beta=40):
    return beta * J_content + alpha * J_style


def _references():
    from cnn_utils import convnets, faces, localization, nst, numpy_cnn, resnet, transfer, unet, yolo
    return {
        "zero_pad": numpy_cnn.zero_pad, "conv_single_step": numpy_cnn.conv_single_step,
        "conv_forward": numpy_cnn.conv_forward, "pool_forward": numpy_cnn.pool_forward,
        "conv_backward": numpy_cnn.conv_backward, "create_mask_from_window": numpy_cnn.create_mask_from_window,
        "distribute_value": numpy_cnn.distribute_value, "pool_backward": numpy_cnn.pool_backward,
        "happyModel": convnets.happyModel, "convolutional_model": convnets.convolutional_model,
        "identity_block": resnet.identity_block, "convolutional_block": resnet.convolutional_block,
        "ResNet50": resnet.ResNet50, "data_augmenter": transfer.data_augmenter,
        "localization_loss": localization.localization_loss, "yolo_filter_boxes": yolo.yolo_filter_boxes,
        "iou": yolo.iou, "yolo_non_max_suppression": yolo.yolo_non_max_suppression, "yolo_eval": yolo.yolo_eval,
        "conv_block": unet.conv_block, "upsampling_block": unet.upsampling_block, "unet_model": unet.unet_model,
        "triplet_loss": faces.triplet_loss, "compute_content_cost": nst.compute_content_cost,
        "gram_matrix": nst.gram_matrix, "compute_layer_style_cost": nst.compute_layer_style_cost,
        "compute_style_cost": nst.compute_style_cost, "total_cost": nst.total_cost,
    }


# (exercise, a typical mistake, what the check says about it)
MISTAKES = [
    ("zero_pad", lambda X, pad: np.pad(X, ((pad, pad), (pad, pad), (pad, pad), (0, 0))),
     r"^pad 3: output: wrong shape \(10, 9, 9, 2\), expected \(4, 9, 9, 2\)"),
    ("conv_single_step", lambda a, W, b: float(np.sum(a * W)), r"short by exactly the input `b`"),
    ("conv_forward", _without_bias_conv_forward, r"^hparameters \{'pad': 1, 'stride': 2\}: output\[0\]: .*short by exactly the input `b`"),
    ("pool_forward", _pool_forward_always_max, r"^mode 'average', hparameters \{'stride': 1, 'f': 3\}: output\[0\]: wrong values"),
    ("conv_backward", _conv_backward_no_db, r"output\[2\]: wrong values: all values are zero"),
    ("create_mask_from_window", lambda x: x == np.min(x), r"wrong values \(2 of 6 differ\)"),
    ("distribute_value", lambda dz, shape: np.full(shape, dz), r"scaled by a factor 4"),
    ("pool_backward", _pool_backward_ignores_mode, r"^mode 'average'"),
    ("happyModel", _happy_model_without_batch_norm, r"layer 2 is ReLU .*expected BatchNormalization"),
    ("convolutional_model", _convolutional_model_wrong_pool, r"^6 classes: output: layer 3 is MaxPooling2D with output shape \(None, 16, 16, 8\), expected MaxPooling2D with output shape \(None, 8, 8, 8\)"),
    ("identity_block", _identity_block_no_shortcut, r"^f=2, inference mode: output: wrong values"),
    ("convolutional_block", lambda X, f, filters, s=2, training=True, initializer=None: X[:, ::s, ::s],
     r"^s=2, inference mode: output: wrong values"),
    ("ResNet50", _resnet50_one_class_too_many,
     r"^output: layer 176 is Dense with output shape \(None, 7\), expected Dense with output shape \(None, 6\)$"),
    ("data_augmenter", lambda: keras.Sequential([keras.layers.RandomFlip("horizontal")]),
     r"output\[0\]: expected 2 items, got 1"),
    ("localization_loss", lambda y_true, y_pred: ((np.asarray(y_pred) - y_true) ** 2).sum(axis=1),
     r"output: wrong values"),
    ("yolo_filter_boxes", _filter_boxes_without_confidence,
     r"^threshold 0.5: output\[0\]: wrong shape"),
    ("iou", _iou_no_clamp, r"^not intersecting: output: wrong values"),
    ("yolo_non_max_suppression", _nms_not_per_class, r"^max_boxes 10, iou_threshold 0.5: output\[0\]"),
    ("yolo_eval", _yolo_eval_unscaled, r"^default arguments: output\[1\]: wrong values"),
    ("conv_block", _conv_block_without_dropout, r"^dropout, no pooling: output: .*expected"),
    ("upsampling_block", _upsampling_block_stride_1, r"^output: layer 1 is Conv2DTranspose with output shape \(None, 12, 16, 32\), expected Conv2DTranspose with output shape \(None, 24, 32, 32\)$"),
    ("unet_model", _unet_without_last_conv, r"output: layer .*expected|layers, expected"),
    ("triplet_loss", _triplet_loss_no_max, r"^alpha 0.2: output: wrong values"),
    ("compute_content_cost", _content_cost_unnormalised, r"^4x4x3: output: wrong values; largest difference 72.4 at index \(\) \(got 72.79"),
    ("gram_matrix", _gram_transposed, r"^2x3: output: wrong shape \(3, 3\), expected \(2, 2\)"),
    ("compute_layer_style_cost", _layer_style_cost_without_transpose, r"^4x4x3: output: wrong values"),
    ("compute_style_cost", _style_cost_with_content_layer, r"^weights 0.7, 0.3: output: wrong values"),
    ("total_cost", _total_cost_swapped, r"^default alpha and beta: output: wrong values"),
]


@pytest.mark.parametrize("name", [name for name, _, _ in MISTAKES])
def test_exercise_check_passes_the_reference(name, capsys):
    getattr(checks, f"{name}_test")(_references()[name])
    assert capsys.readouterr().out.endswith(checks.PASSED + "\n")


@pytest.mark.parametrize("name, mistake, message", MISTAKES, ids=[name for name, _, _ in MISTAKES])
def test_exercise_check_names_a_typical_mistake(name, mistake, message, capsys):
    with pytest.raises(AssertionError, match=message):
        getattr(checks, f"{name}_test")(mistake)
    assert checks.PASSED not in capsys.readouterr().out


def test_exercise_check_reports_a_missing_implementation_by_name():
    def conv_forward(A_prev, W, b, hparameters):
        raise NotImplementedError(f"conv_forward {checks.NOT_IMPLEMENTED}: write your code")

    with pytest.raises(AssertionError, match=r"^conv_forward is not implemented yet: write your code$"):
        checks.conv_forward_test(conv_forward)
    with pytest.raises(TypeError, match="target"):
        checks.conv_forward_test("conv_forward")


def test_every_exercise_check_has_a_mistake_test():
    """Each ``<exercise>_test`` in checks is covered here (those needing assets in the tests below)."""
    names = {name[:-len("_test")] for name in dir(checks) if name.endswith("_test")}
    covered = {name for name, _, _ in MISTAKES} | {"transfer_model", "verify", "who_is_it", "train_step"}
    assert names == covered


# --- Checks that need the pretrained models -------------------------------------------------------

@pytest.fixture(scope="module")
def vgg():
    from cnn_utils import pretrained
    return pretrained.vgg16_base()


def test_transfer_model_check_catches_an_unfrozen_base(vgg, capsys):
    from cnn_utils import transfer
    base = vgg
    checks.transfer_model_test(transfer.transfer_model, base)
    assert capsys.readouterr().out == checks.PASSED + "\n"

    def unfrozen(image_shape, data_augmentation, base, num_classes=1, dropout=0.2):
        model = transfer.transfer_model(image_shape, data_augmentation, base, num_classes, dropout)
        base.trainable = True
        return model

    with pytest.raises(AssertionError, match=r"^output: layer 2 \(Functional\): trainable True, expected False$"):
        checks.transfer_model_test(unfrozen, base)


@pytest.fixture(scope="module")
def face_model_and_database():
    from cnn_utils import datasets, faces
    encoder = faces.face_encoder()
    people = {"Eileen Collins": datasets.load_photo("astronaut"),
              "Grace Hopper": faces.load_image(datasets.load_photo("grace_hopper"))}
    return encoder, faces.build_database(people, encoder)


def test_verify_and_who_is_it_checks(face_model_and_database, capsys):
    from cnn_utils import faces
    encoder, database = face_model_and_database
    checks.verify_test(faces.verify, database, encoder)
    checks.who_is_it_test(faces.who_is_it, database, encoder)
    assert capsys.readouterr().out == (checks.PASSED + "\n") * 2

    def door_always_open(image, identity, database, model, threshold=faces.THRESHOLD):
        return faces.verify(image, identity, database, model, threshold)[0], True

    with pytest.raises(AssertionError, match=r"^brighter astronaut claiming to be Grace Hopper: output\[1\]: expected False, got True"):
        checks.verify_test(door_always_open, database, encoder)

    def no_threshold(image, database, model, threshold=faces.THRESHOLD):
        return faces.who_is_it(image, database, model, threshold=10.0)

    with pytest.raises(AssertionError, match=r"^cameraman: output\[1\]: expected 'not in the database'"):
        checks.who_is_it_test(no_threshold, database, encoder)
    with pytest.raises(TypeError, match="database"):
        checks.verify_test(faces.verify, {}, encoder)


def test_train_step_check(vgg, capsys):
    import tensorflow as tf
    from cnn_utils import nst
    feature_model = nst.get_layer_outputs(vgg, nst.STYLE_LAYERS + nst.CONTENT_LAYER)
    checks.train_step_test(nst.make_train_step, feature_model)
    assert capsys.readouterr().out == checks.PASSED + "\n"

    def no_clipping(feature_model, a_S, a_C, optimizer, STYLE_LAYERS=nst.STYLE_LAYERS, alpha=10, beta=40):
        @tf.function
        def train_step(generated_image):
            with tf.GradientTape() as tape:
                a_G = feature_model(generated_image)
                J_style = nst.compute_style_cost(a_S, a_G, STYLE_LAYERS)
                J_content = nst.compute_content_cost(a_C, a_G)
                J = nst.total_cost(J_content, J_style, alpha=alpha, beta=beta)
            optimizer.apply_gradients([(tape.gradient(J, generated_image), generated_image)])
            return J, J_content, J_style
        return train_step

    with pytest.raises(AssertionError, match=r"output\[1\]: wrong values"):
        checks.train_step_test(no_clipping, feature_model)


def test_transfer_model_check_needs_a_model_as_base():
    from cnn_utils import transfer
    with pytest.raises(TypeError, match="base"):
        checks.transfer_model_test(transfer.transfer_model, "vgg16")
