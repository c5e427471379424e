"""Tests for cnn_utils.faces: converted face-api models, detection, encodings, losses."""
import json

import matplotlib.cbook
import numpy as np
import pytest
import skimage.data
import keras
import tensorflow as tf
from hypothesis import given, settings, strategies as st
from PIL import Image

from cnn_utils import faces
from cnn_utils.pretrained import npm_package_dir


@pytest.fixture(scope="module")
def encoder():
    return faces.face_encoder()


@pytest.fixture(scope="module")
def photos():
    hopper = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    return {"astronaut": skimage.data.astronaut(), "hopper": faces.load_image(hopper),
            "cameraman": skimage.data.camera()}


# ---------------------------------------------------------------- weights and architectures
def test_load_tfjs_weights_dequantises_and_checks_length(tmp_path):
    q = np.array([0, 1, 255, 7, 128, 3], dtype=np.uint8)
    f = np.array([1.5, -2.25], dtype=np.float32)
    (tmp_path / "m.bin").write_bytes(q.tobytes() + f.tobytes())
    manifest = [{"paths": ["m.bin"], "weights": [
        {"name": "a", "shape": [2, 3], "dtype": "float32",
         "quantization": {"dtype": "uint8", "scale": 0.5, "min": -1.0}},
        {"name": "b", "shape": [2], "dtype": "float32"}]}]
    (tmp_path / "m-weights_manifest.json").write_text(json.dumps(manifest))
    weights = faces.load_tfjs_weights("m", tmp_path)
    np.testing.assert_allclose(weights["a"], (q * 0.5 - 1.0).reshape(2, 3))
    np.testing.assert_array_equal(weights["b"], f)
    (tmp_path / "m.bin").write_bytes(q.tobytes() + f.tobytes() + b"\0\0\0\0")
    with pytest.raises(ValueError, match="bytes"):
        faces.load_tfjs_weights("m", tmp_path)


def _reference_encoder(x, w):
    """face-api's FaceRecognitionNet.forwardInput written with tf.nn ops, scale layers unfolded."""
    x = (tf.constant(x, tf.float32) - faces.ENCODER_MEAN_RGB) / 255.0

    def conv(x, p, strides, relu, padding="SAME"):
        out = tf.nn.conv2d(x, w[f"{p}/conv/filters"], strides, padding) + w[f"{p}/conv/bias"]
        out = out * w[f"{p}/scale/weights"] + w[f"{p}/scale/biases"]
        return tf.nn.relu(out) if relu else out

    def residual(x, p):
        return tf.nn.relu(conv(conv(x, f"{p}/conv1", 1, True), f"{p}/conv2", 1, False) + x)

    def residual_down(x, p):
        out = conv(conv(x, f"{p}/conv1", 2, True, "VALID"), f"{p}/conv2", 1, False)
        pooled = tf.nn.avg_pool2d(x, 2, 2, "VALID")
        if pooled.shape[1] != out.shape[1]:
            out = tf.pad(out, [[0, 0], [0, 1], [0, 1], [0, 0]])
        if pooled.shape[3] != out.shape[3]:
            pooled = tf.concat([pooled, tf.zeros_like(pooled)], 3)
        return tf.nn.relu(pooled + out)

    out = tf.nn.max_pool2d(conv(x, "conv32_down", 2, True, "VALID"), 3, 2, "VALID")
    for stage in (["conv32_1", "conv32_2", "conv32_3"], ["conv64_down", "conv64_1", "conv64_2", "conv64_3"],
                  ["conv128_down", "conv128_1", "conv128_2"], ["conv256_down", "conv256_1", "conv256_2"],
                  ["conv256_down_out"]):
        for p in stage:
            out = residual_down(out, p) if "down" in p else residual(out, p)
    return tf.matmul(tf.reduce_mean(out, [1, 2]), w["fc"]).numpy()


def _reference_detector(x, w):
    """face-api's TinyYolov2Base.runMobilenet (separable convs) with tf.nn ops."""
    def leaky(t):
        return tf.maximum(t, 0.1 * t)

    x = (tf.constant(x, tf.float32) - faces.DETECTOR_MEAN_RGB) / 255.0
    out = tf.nn.max_pool2d(leaky(tf.nn.conv2d(x, w["conv0/filters"], 1, "VALID") + w["conv0/bias"]), 2, 2, "SAME")
    for i in range(1, 6):
        out = tf.pad(out, [[0, 0], [1, 1], [1, 1], [0, 0]])
        out = tf.nn.separable_conv2d(out, w[f"conv{i}/depthwise_filter"], w[f"conv{i}/pointwise_filter"],
                                     [1, 1, 1, 1], "VALID")
        out = tf.nn.max_pool2d(leaky(out + w[f"conv{i}/bias"]), 2, 2 if i < 5 else 1, "SAME")
    return (tf.nn.conv2d(out, w["conv8/filters"], 1, "VALID") + w["conv8/bias"]).numpy()


def test_face_encoder_matches_an_independent_forward_pass(encoder):
    x = np.random.default_rng(0).uniform(0, 255, (2, 150, 150, 3)).astype("float32")
    want = _reference_encoder(x, faces.load_tfjs_weights("face_recognition_model"))
    got = encoder(x).numpy()
    assert got.shape == (2, 128)
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_face_detector_matches_an_independent_forward_pass():
    x = np.random.default_rng(1).uniform(0, 255, (1, 416, 416, 3)).astype("float32")
    want = _reference_detector(x, faces.load_tfjs_weights("tiny_face_detector_model"))
    got = faces.tiny_face_detector()(x).numpy()
    assert got.shape == (1, 13, 13, 25)
    np.testing.assert_allclose(got, want, atol=1e-4)


# ---------------------------------------------------------------- detection
def _sigmoid(t):
    return 1 / (1 + np.exp(-t))


def _reference_boxes(image, score_threshold=0.5):
    """face-api's extractBoxes decoding in NumPy (no NMS): (y1, x1, y2, x2) pixels and scores."""
    image = faces.load_image(image)
    side = max(image.shape[:2])
    x = faces._resize(faces._pad_to_square(image, centre=False), 416)[None]
    out = faces.tiny_face_detector()(x).numpy()[0].reshape(13, 13, 5, 5)
    rows, cols, anchors = np.nonzero(_sigmoid(out[..., 4]) >= score_threshold)
    t = out[rows, cols, anchors]
    cx, cy = (cols + _sigmoid(t[:, 0])) / 13, (rows + _sigmoid(t[:, 1])) / 13
    w = np.exp(t[:, 2]) * faces.DETECTOR_ANCHORS[anchors, 0] / 13
    h = np.exp(t[:, 3]) * faces.DETECTOR_ANCHORS[anchors, 1] / 13
    boxes = np.stack([cy - h / 2, cx - w / 2, cy + h / 2, cx + w / 2], axis=1) * side
    return boxes, _sigmoid(t[:, 4])


def test_detect_faces_agrees_with_face_api_decoding_on_a_group_photo():
    path = npm_package_dir() / "demo" / "sample5.jpg"  # a group photo shipped with face-api
    boxes, scores = faces.detect_faces(path)
    ref_boxes, ref_scores = _reference_boxes(path)
    assert len(boxes) >= 4 and boxes.shape == (len(scores), 4)
    assert np.all(np.diff(scores) <= 0)
    for box, score in zip(boxes, scores):  # every kept box is one of face-api's boxes
        k = np.argmin(np.abs(ref_scores - score))
        np.testing.assert_allclose(box, np.clip(ref_boxes[k], 0, None), atol=1e-2)
    # NMS leaves no two kept boxes overlapping more than the IoU threshold.
    xy = boxes[:, [1, 0, 3, 2]]
    from cnn_utils.yolo import iou
    overlaps = iou(xy[:, None], xy[None])
    assert np.all(overlaps[np.triu_indices(len(xy), 1)] <= faces.DETECTOR_IOU_THRESHOLD + 1e-6)


def test_detect_faces_finds_the_faces_in_real_portraits(photos):
    boxes, scores = faces.detect_faces(photos["astronaut"])
    assert len(boxes) == 1 and scores[0] > 0.9
    y1, x1, y2, x2 = boxes[0]
    assert 50 < y1 < 100 and 150 < x1 < 180 and 170 < y2 < 210 and 260 < x2 < 300  # Eileen Collins' face
    boxes, _ = faces.detect_faces(photos["hopper"])
    assert len(boxes) == 1
    assert boxes[0, 0] < 300 < boxes[0, 2] and boxes[0, 1] < 260 < boxes[0, 3]  # face centre, 600x512 photo


@pytest.mark.parametrize("name", ["coffee", "rocket", "chelsea", "coins", "hubble_deep_field"])
def test_detect_faces_finds_nothing_in_photos_without_people(name):
    boxes, scores = faces.detect_faces(getattr(skimage.data, name)())
    assert boxes.shape == (0, 4) and scores.shape == (0,)


def test_detect_faces_boxes_follow_the_image_when_it_is_padded(photos):
    image = photos["astronaut"]
    wide = np.zeros((512, 900, 3), np.uint8)
    wide[:, 100:612] = image
    (box,), _ = faces.detect_faces(image)
    (box_wide,), _ = faces.detect_faces(wide)
    # Same face, 100 px to the right; the network sees it smaller, so compare by IoU.
    from cnn_utils.yolo import iou
    shifted = box_wide - [0, 100, 0, 100]
    assert iou(shifted[[1, 0, 3, 2]], box[[1, 0, 3, 2]]) > 0.7


def test_detect_faces_rejects_bad_input():
    with pytest.raises(ValueError, match="score_threshold"):
        faces.detect_faces(np.zeros((32, 32, 3)), score_threshold=1.5)
    with pytest.raises(ValueError, match="image"):
        faces.detect_faces(np.zeros((32, 32, 5)))
    with pytest.raises(TypeError, match="image"):
        faces.detect_faces(42)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_images_with_nan_or_inf_are_refused(bad):
    image = np.full((32, 32, 3), 100.0)
    image[3, 4, 1] = bad
    for function in (faces.load_image, faces.detect_faces, faces.face_chip):
        with pytest.raises(ValueError, match="image"):
            function(image)


def test_a_file_that_is_not_an_image_is_refused(tmp_path):
    path = tmp_path / "face.jpg"
    path.write_text("this is text, not a photo")
    with pytest.raises(ValueError, match="image"):
        faces.detect_faces(path)
    with pytest.raises(FileNotFoundError, match="image"):
        faces.load_image(tmp_path / "missing.jpg")


# ---------------------------------------------------------------- encodings
def test_encoder_distances_small_for_one_face_large_between_people(encoder, photos):
    astronaut = photos["astronaut"]
    views = [astronaut, astronaut[:, ::-1], np.clip(astronaut * 1.25, 0, 255), astronaut[20:, 15:]]
    same = faces.distance_matrix(np.concatenate([faces.img_to_encoding(v, encoder) for v in views]))
    assert same.max() < 0.4
    people = np.concatenate([faces.img_to_encoding(photos[k], encoder) for k in ("astronaut", "hopper", "cameraman")])
    assert people.shape == (3, 128)
    different = faces.distance_matrix(people)[np.triu_indices(3, 1)]
    assert different.min() > faces.THRESHOLD


def test_img_to_encoding_accepts_a_path_and_checks_model(encoder, tmp_path, photos):
    path = tmp_path / "astronaut.jpg"
    Image.fromarray(photos["astronaut"]).save(path, quality=95)
    from_path = faces.img_to_encoding(path, encoder)
    from_array = faces.img_to_encoding(photos["astronaut"], encoder)
    assert from_path.shape == (1, 128) and from_path.dtype == np.float32
    assert np.linalg.norm(from_path - from_array) < 0.1  # only JPEG loss differs
    chip = faces.face_chip(photos["astronaut"])
    assert chip.shape == (150, 150, 3) and chip.dtype == np.float32
    assert chip[:, 0].max() == 0 or chip[0].max() == 0  # a non-square box is padded with zeros
    np.testing.assert_allclose(encoder(chip[None]).numpy(), from_array, atol=1e-5)
    with pytest.raises(TypeError, match="model"):
        faces.img_to_encoding(path, "not a model")
    with pytest.raises(FileNotFoundError, match="no image file"):
        faces.img_to_encoding(tmp_path / "missing.jpg", encoder)


def test_verify_and_who_is_it_on_a_database(encoder, photos, tmp_path):
    astronaut = photos["astronaut"]
    user_dir = tmp_path / "faces"
    (user_dir / "grace").mkdir(parents=True)
    Image.fromarray(photos["hopper"].astype(np.uint8)).save(user_dir / "grace" / "hopper.jpg")
    database = faces.build_database({"eileen": [astronaut, astronaut[:, ::-1]]}, encoder, faces_dir=user_dir)
    assert sorted(database) == ["eileen", "grace"]
    assert all(v.shape == (1, 128) for v in database.values())

    dist, door_open = faces.verify(np.clip(astronaut * 1.2, 0, 255), "eileen", database, encoder)
    assert isinstance(dist, float) and dist < 0.4 and door_open
    dist, door_open = faces.verify(astronaut, "grace", database, encoder)
    assert dist > faces.THRESHOLD and not door_open

    assert faces.who_is_it(astronaut[10:, 10:], database, encoder)[1] == "eileen"
    assert faces.who_is_it(photos["hopper"][:, ::-1], database, encoder)[1] == "grace"
    min_dist, identity = faces.who_is_it(photos["cameraman"], database, encoder)
    assert identity == faces.NOT_IN_DATABASE and min_dist > faces.THRESHOLD
    with pytest.raises(ValueError, match="identity"):
        faces.verify(astronaut, "bob", database, encoder)
    with pytest.raises(ValueError, match="database"):
        faces.who_is_it(astronaut, {}, encoder)


def test_database_entries_are_checked(encoder, photos):
    image = photos["astronaut"]
    good = np.zeros((1, 128), np.float32)
    with pytest.raises(TypeError, match=r"database\['eileen'\]"):
        faces.who_is_it(image, {"eileen": "encoding"}, encoder)
    with pytest.raises(TypeError, match=r"database\['eileen'\]"):
        faces.verify(image, "eileen", {"eileen": np.array([["a"] * 128])}, encoder)
    with pytest.raises(ValueError, match=r"database\['eileen'\]"):
        faces.who_is_it(image, {"eileen": np.zeros((2, 128), np.float32)}, encoder)
    with pytest.raises(ValueError, match=r"database\['grace'\]"):
        faces.who_is_it(image, {"eileen": good, "grace": np.zeros((1, 64), np.float32)}, encoder)
    with pytest.raises(ValueError, match="database holds encodings of size d = 64"):
        faces.verify(image, "eileen", {"eileen": np.zeros((1, 64), np.float32)}, encoder)
    # a (d,) encoding and a tensor are accepted and give the same distance as (1, d)
    want = faces.who_is_it(image, {"eileen": good}, encoder)
    assert faces.who_is_it(image, {"eileen": good[0]}, encoder) == pytest.approx(want)
    assert faces.verify(image, "eileen", {"eileen": tf.constant(good)}, encoder)[0] == pytest.approx(want[0])


def test_pad_channels_appends_zero_channels_and_checks_extra():
    x = np.ones((2, 3, 3, 4), np.float32)
    out = faces.PadChannels(2)(x).numpy()
    assert out.shape == (2, 3, 3, 6)
    np.testing.assert_array_equal(out[..., :4], x)
    assert np.all(out[..., 4:] == 0)
    with pytest.raises(TypeError, match="extra"):
        faces.PadChannels(2.0)
    with pytest.raises(ValueError, match="extra"):
        faces.PadChannels(-1)


# ---------------------------------------------------------------- losses
@pytest.mark.parametrize("y_pred, alpha, want", [
    (([1., 1.], [1., 1.], [1., 1.]), 5, 5.0),   # all equal: only the margin remains
    (([1., 1.], [1., 1.], [0., 0.]), 3, 1.0),   # 0 - 2 + 3
    (([1., 1.], [0., 0.], [1., 1.]), 0, 2.0),   # 2 - 0 + 0
    (([0., 0.], [0., 0.], [0., 0.]), -2, 0.0),  # max(-2, 0)
])
def test_triplet_loss_on_hand_computed_cases(y_pred, alpha, want):
    assert float(faces.triplet_loss(None, y_pred, alpha)) == pytest.approx(want)


def test_triplet_loss_lecture_example_and_batch_sum():
    # The lecture: d(A, P) = 0.5, alpha = 0.2; d(A, N) = 0.51 -> 0.19, d(A, N) = 0.7 -> 0.
    a = np.zeros((2, 2), np.float32)
    p = np.array([[np.sqrt(0.5), 0], [np.sqrt(0.5), 0]], np.float32)
    n = np.array([[0, np.sqrt(0.51)], [0, np.sqrt(0.7)]], np.float32)
    assert float(faces.triplet_loss(None, (a, p, n), 0.2)) == pytest.approx(0.19, abs=1e-6)
    assert float(faces.triplet_loss(None, (a[1:], p[1:], n[1:]), 0.2)) == pytest.approx(0.0, abs=1e-6)
    # a stacked (3, m, d) array is a sequence of three (m, d) arrays
    assert float(faces.triplet_loss(None, np.stack([a, p, n]), 0.2)) == pytest.approx(0.19, abs=1e-6)


def _brute_force_semi_hard(labels, emb, alpha):
    d = ((emb[:, None] - emb[None]) ** 2).sum(-1)
    losses = []
    for a in range(len(labels)):
        negatives = [n for n in range(len(labels)) if labels[n] != labels[a]]
        if not negatives:
            continue
        for p in range(len(labels)):
            if p == a or labels[p] != labels[a]:
                continue
            farther = [d[a, n] for n in negatives if d[a, n] > d[a, p]]
            d_an = min(farther) if farther else max(d[a, n] for n in negatives)
            losses.append(max(d[a, p] - d_an + alpha, 0.0))
    return np.mean(losses) if losses else 0.0


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), m=st.integers(2, 12), classes=st.integers(1, 4))
def test_semi_hard_triplet_loss_matches_brute_force(seed, m, classes):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, m)
    emb = rng.normal(size=(m, 3)).astype(np.float32)
    got = float(faces.semi_hard_triplet_loss(labels, emb, 0.2))
    assert got == pytest.approx(_brute_force_semi_hard(labels, emb, 0.2), rel=1e-4, abs=1e-5)


def test_semi_hard_triplet_loss_gradient_pulls_positives_together():
    labels = np.array([0, 0, 1, 1])
    emb = tf.Variable(np.array([[0, 0], [1, 0], [0.2, 0.5], [3, 3]], np.float32))
    with tf.GradientTape() as tape:
        loss = faces.semi_hard_triplet_loss(labels, emb, 0.2)
    grad = tape.gradient(loss, emb).numpy()
    assert np.all(np.isfinite(grad)) and float(loss) > 0
    # One gradient-descent step lowers the loss.
    emb.assign_sub(0.05 * grad)
    assert float(faces.semi_hard_triplet_loss(labels, emb, 0.2)) < float(loss)


# ---------------------------------------------------------------- learning helpers
def test_siamese_classifier_with_nonpositive_weights_and_its_similarity():
    encoder = faces.embedding_network((8, 8, 1), 4, normalize=False)
    siamese = faces.siamese_classifier(encoder, nonpositive_weights=True)
    rng = np.random.default_rng(0)
    x_i, x_j = rng.uniform(size=(2, 6, 8, 8, 1)).astype(np.float32)
    siamese.get_layer("logistic").set_weights([np.array([[1.0], [0.5], [0.0], [2.0]], np.float32), np.array([0.3])])
    e_i, e_j = encoder.predict(x_i, verbose=0), encoder.predict(x_j, verbose=0)
    logit = -np.abs(e_i - e_j) @ np.array([1.0, 0.5, 0.0, 2.0]) + 0.3  # w = -(layer weights) <= 0
    np.testing.assert_allclose(siamese.predict([x_i, x_j], verbose=0)[:, 0], 1 / (1 + np.exp(-logit)), rtol=1e-4)
    similarity = faces.siamese_similarity(siamese)
    np.testing.assert_allclose(np.diag(similarity(e_i, e_j)), logit, rtol=1e-4)
    assert similarity(e_i, e_j).shape == (6, 6)
    # the constraint holds after a training step that would push a weight positive
    siamese.compile(optimizer=keras.optimizers.SGD(10.0), loss="binary_crossentropy")
    siamese.fit([x_i, x_j], np.ones(6), epochs=1, verbose=0)
    assert np.all(siamese.get_layer("logistic").get_weights()[0] >= 0)


def test_siamese_classifier_shares_the_encoder():
    encoder = faces.embedding_network((8, 8, 1), 16)
    siamese = faces.siamese_classifier(encoder)
    x = np.random.default_rng(0).uniform(size=(5, 8, 8, 1)).astype(np.float32)
    p = siamese.predict([x, x], verbose=0)
    assert p.shape == (5, 1)
    w, b = siamese.get_layer("logistic").get_weights()
    np.testing.assert_allclose(p, np.full((5, 1), 1 / (1 + np.exp(-b[0]))), rtol=1e-5)  # |f(x) - f(x)| = 0
    assert siamese.count_params() == encoder.count_params() + 16 + 1
    np.testing.assert_allclose(np.linalg.norm(encoder.predict(x, verbose=0), axis=1), 1, rtol=1e-5)


def test_make_pairs_and_one_shot_accuracy():
    labels = np.repeat(np.arange(4), 5)
    i, j, same = faces.make_pairs(labels, 40, seed=0)
    np.testing.assert_array_equal(same, (labels[i] == labels[j]).astype(np.float32))
    assert same.mean() == 0.5 and np.all(i != j)
    perfect = np.eye(4)[labels] * 10
    assert faces.one_shot_accuracy(perfect, labels) == 1.0
    noise = np.random.default_rng(0).normal(size=(20, 8))
    assert faces.one_shot_accuracy(noise, labels, n_trials=50) < 0.6
    with pytest.raises(ValueError, match="embeddings"):
        faces.one_shot_accuracy(noise[:3], labels)
    with pytest.raises(TypeError, match="seed"):
        faces.make_pairs(labels, 10, seed=0.5)
    with pytest.raises(ValueError, match="seed"):
        faces.make_pairs(labels, 10, seed=-1)
    with pytest.raises(TypeError, match="seed"):
        faces.one_shot_accuracy(perfect, labels, seed="0")
    with pytest.raises(ValueError, match="seed"):
        faces.one_shot_accuracy(perfect, labels, seed=2**32)
    # the seed decides the pairs; None is accepted
    np.testing.assert_array_equal(faces.make_pairs(labels, 40, seed=0)[0], i)
    assert len(faces.make_pairs(labels, 6, seed=None)[0]) == 6


def test_train_triplet_encoder_separates_two_easy_classes():
    from cnn_utils import config

    rng = np.random.default_rng(0)
    x = rng.uniform(0, 0.2, (64, 8, 8, 1)).astype("float32")
    y = np.repeat([0, 1], 32)
    x[y == 1, :, :4] += 0.8  # class 1: bright left half
    config.set_seed(0)
    encoder, history = faces.train_triplet_encoder(x, y, epochs=5, embedding_dim=8, batch_size=32)
    assert encoder.output_shape == (None, 8) and len(history.history["loss"]) == 5
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert faces.one_shot_accuracy(encoder.predict(x, verbose=0), y, n_trials=10) == 1.0
    with pytest.raises(ValueError, match="y must"):
        faces.train_triplet_encoder(x, y[:10], epochs=1)
    with pytest.raises(ValueError, match="x must"):
        faces.train_triplet_encoder(x[..., 0], y, epochs=1)


def test_train_triplet_encoder_stops_on_validation_and_keeps_the_best_epoch():
    from cnn_utils import config

    rng = np.random.default_rng(0)
    x = rng.uniform(0, 0.2, (64, 8, 8, 1)).astype("float32")
    y = np.repeat([0, 1], 32)
    x[y == 1, :, :4] += 0.8
    x_val = rng.uniform(0, 0.2, (40, 8, 8, 1)).astype("float32")
    y_val = np.repeat([0, 1], 20)
    x_val[y_val == 1, :, :4] += 0.8
    config.set_seed(0)
    encoder, history = faces.train_triplet_encoder(x, y, epochs=30, embedding_dim=8, batch_size=32,
                                                   validation_data=(x_val, y_val), patience=2)
    values = history.history["val_one_shot_accuracy"]
    best = int(np.argmax(values))
    assert len(values) == len(history.history["loss"]) == best + 3 < 30  # stopped 2 epochs after the best
    # the encoder holds the best epoch's weights: the same draws give the best epoch's accuracy
    assert faces.one_shot_accuracy(encoder.predict(x_val, verbose=0), y_val, n_trials=20) == pytest.approx(values[best])
    with pytest.raises(ValueError, match="y must"):
        faces.OneShotEarlyStopping(x_val, y_val[:5])
    with pytest.raises(ValueError, match="patience"):
        faces.OneShotEarlyStopping(x_val, y_val, patience=0)


def test_one_shot_early_stopping_restores_weights_of_a_siamese_network():
    from cnn_utils import config

    config.set_seed(0)
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, (40, 8, 8, 1)).astype("float32")
    y = np.repeat([0, 1], 20)
    encoder = faces.embedding_network((8, 8, 1), 4, normalize=False)
    siamese = faces.siamese_classifier(encoder)
    siamese.compile(optimizer=keras.optimizers.SGD(0.5), loss="binary_crossentropy")
    stop = faces.OneShotEarlyStopping(x, y, encoder=encoder, siamese=siamese, patience=1)
    i, j, same = faces.make_pairs(y, 64, seed=0)
    siamese.fit([x[i], x[j]], rng.permutation(same), epochs=4, verbose=0, callbacks=[stop])  # noise labels
    assert 1 <= stop.best_epoch <= len(stop.values) <= 4
    accuracy = faces.one_shot_accuracy(encoder.predict(x, verbose=0), y, n_trials=20,
                                       similarity=faces.siamese_similarity(siamese))
    assert accuracy == pytest.approx(max(stop.values))
