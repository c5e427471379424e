"""Tests for cnn_utils.datasets: the course's .h5 layout and the shipped replacements."""
import h5py
import numpy as np
import pytest

from cnn_utils import datasets


def _write_course_files(directory, prefix, m_train=6, m_test=4, size=8, classes=(0, 1),
                        skip=(), x_train_shape=None):
    """Write train_<prefix>.h5 / test_<prefix>.h5 in the course's layout; return the arrays."""
    rng = np.random.default_rng(0)
    x_train = rng.integers(0, 256, x_train_shape or (m_train, size, size, 3), dtype=np.uint8)
    y_train = rng.integers(0, len(classes), m_train)
    x_test = rng.integers(0, 256, (m_test, size, size, 3), dtype=np.uint8)
    y_test = rng.integers(0, len(classes), m_test)
    train = {"train_set_x": x_train, "train_set_y": y_train, "list_classes": np.array(classes)}
    test = {"test_set_x": x_test, "test_set_y": y_test, "list_classes": np.array(classes)}
    for name, content in ((f"train_{prefix}.h5", train), (f"test_{prefix}.h5", test)):
        with h5py.File(directory / name, "w") as f:
            for key, value in content.items():
                if key not in skip:
                    f.create_dataset(key, data=value)
    return x_train, y_train, x_test, y_test, np.array(classes)


@pytest.mark.parametrize("loader, prefix, classes", [
    (datasets.load_happy_dataset, "happy", (0, 1)),
    (datasets.load_signs_dataset, "signs", (0, 1, 2, 3, 4, 5)),
])
def test_loaders_read_course_layout(tmp_path, loader, prefix, classes):
    x_train, y_train, x_test, y_test, cls = _write_course_files(tmp_path, prefix, classes=classes)
    X_train, Y_train, X_test, Y_test, got_classes = loader(tmp_path)
    np.testing.assert_array_equal(X_train, x_train)
    np.testing.assert_array_equal(X_test, x_test)
    assert Y_train.shape == (1, 6) and Y_test.shape == (1, 4)
    np.testing.assert_array_equal(Y_train[0], y_train)
    np.testing.assert_array_equal(Y_test[0], y_test)
    np.testing.assert_array_equal(got_classes, cls)


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="train_happy.h5"):
        datasets.load_happy_dataset(tmp_path)


def test_missing_key_is_reported(tmp_path):
    _write_course_files(tmp_path, "signs", skip=("test_set_y",))
    with pytest.raises(ValueError, match="test_set_y"):
        datasets.load_signs_dataset(tmp_path)


def test_wrong_image_rank_is_reported(tmp_path):
    _write_course_files(tmp_path, "happy", x_train_shape=(6, 8, 8))
    with pytest.raises(ValueError, match=r"train set.*\(m, H, W, C\)"):
        datasets.load_happy_dataset(tmp_path)


def test_label_count_mismatch_is_reported(tmp_path):
    _write_course_files(tmp_path, "happy", x_train_shape=(5, 8, 8, 3))  # 5 images, 6 labels
    with pytest.raises(ValueError, match="train set"):
        datasets.load_happy_dataset(tmp_path)


def test_train_and_test_image_sizes_must_agree(tmp_path):
    _write_course_files(tmp_path, "happy", x_train_shape=(6, 16, 16, 3))
    with pytest.raises(ValueError, match="same"):
        datasets.load_happy_dataset(tmp_path)


def test_file_that_is_not_hdf5_is_reported(tmp_path):
    _write_course_files(tmp_path, "happy")
    (tmp_path / "test_happy.h5").write_bytes(b"not an hdf5 file")
    with pytest.raises(ValueError, match="HDF5"):
        datasets.load_happy_dataset(tmp_path)


def test_binary_and_multiclass_prefer_course_files(tmp_path):
    _write_course_files(tmp_path, "happy")
    _write_course_files(tmp_path, "signs", classes=(0, 1, 2, 3, 4, 5))
    (X_train, *_), source = datasets.binary_dataset(tmp_path)
    assert "happy" in source and X_train.shape == (6, 8, 8, 3)
    (_, _, _, _, classes), source = datasets.multiclass_dataset(tmp_path)
    assert "SIGNS" in source and len(classes) == 6


def test_faces_fallback_is_balanced_and_course_shaped(tmp_path):
    (X_train, Y_train, X_test, Y_test, classes), source = datasets.binary_dataset(tmp_path)
    assert "lfw_subset" in source
    assert X_train.shape == (150, 64, 64, 3) and X_test.shape == (50, 64, 64, 3)
    assert X_train.dtype == np.uint8 and Y_train.shape == (1, 150) and Y_test.shape == (1, 50)
    assert Y_train.sum() == 75 and Y_test.sum() == 25  # stratified: half faces in each part
    np.testing.assert_array_equal(X_train[..., 0], X_train[..., 2])  # grey copied to RGB
    assert list(classes) == ["non-face", "face"]
    # no image appears in both parts
    train_keys = {x.tobytes() for x in X_train}
    assert not any(x.tobytes() in train_keys for x in X_test)


def test_digits_fallback_matches_sklearn(tmp_path):
    from sklearn.datasets import load_digits

    (X_train, Y_train, X_test, Y_test, classes), source = datasets.multiclass_dataset(tmp_path)
    assert "digits" in source
    assert X_train.shape[1:] == (64, 64, 3) and X_train.shape[0] + X_test.shape[0] == 1797
    assert Y_train.shape == (1, X_train.shape[0]) and set(np.unique(Y_test)) == set(range(10))
    assert list(classes) == [str(d) for d in range(10)]
    # each 8x8 pixel becomes an 8x8 block: the block centres keep the original grey levels
    digits = load_digits()
    small = X_train[..., 0][:, 4::8, 4::8].astype(float) / 255 * 16
    errors = [np.abs(digits.images - s).max(axis=(1, 2)).min() for s in small[:20]]
    assert max(errors) < 2.0


def test_image_size_and_fraction_are_validated():
    with pytest.raises(ValueError, match="image_size"):
        datasets.load_digits_dataset(image_size=0)
    with pytest.raises(ValueError, match="test_fraction"):
        datasets.load_faces_dataset(test_fraction=1.5)


def test_convert_to_one_hot():
    one_hot = datasets.convert_to_one_hot(np.array([[1, 0, 2]]), 3)
    np.testing.assert_array_equal(one_hot, [[0, 1, 0], [1, 0, 0], [0, 0, 1]])
    with pytest.raises(ValueError, match="Y"):
        datasets.convert_to_one_hot(np.array([3]), 3)


def test_smallest_test_fraction_matches_train_test_split():
    """0.01 of 200 faces leaves 2 test images (one per class); 0.005 leaves 1, which cannot be stratified."""
    _, _, X_test, Y_test, _ = datasets.load_faces_dataset(image_size=8, test_fraction=0.01)
    assert X_test.shape == (2, 8, 8, 3) and sorted(Y_test[0]) == [0, 1]
    with pytest.raises(ValueError, match="test_fraction=0.005 splits 200 images into 199 for training and 1"):
        datasets.load_faces_dataset(image_size=8, test_fraction=0.005)


def test_convert_to_one_hot_accepts_both_label_layouts():
    expected = datasets.convert_to_one_hot(np.array([[2, 0]]), 3)
    np.testing.assert_array_equal(datasets.convert_to_one_hot(np.array([2, 0]), 3), expected)
    np.testing.assert_array_equal(datasets.convert_to_one_hot(np.array([2, 0], dtype=np.uint8), np.int64(3)),
                                  expected)
    with pytest.raises(ValueError, match=r"Y must have shape \(1, m\) or \(m,\), got \(2, 1\)"):
        datasets.convert_to_one_hot(np.array([[2], [0]]), 3)


def _write_image_folder(root, counts):
    from PIL import Image

    rng = np.random.default_rng(0)
    for name, (n, colour) in counts.items():
        (root / name).mkdir(parents=True)
        for i in range(n):
            pixels = np.clip(rng.normal(colour, 10, size=(20, 30, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i}.jpg")


def test_load_image_folder_reads_the_alpaca_layout(tmp_path):
    _write_image_folder(tmp_path / "alpaca", {"alpaca": (10, 200), "not alpaca": (10, 40)})
    x_train, y_train, x_test, y_test, classes = datasets.load_image_folder(
        tmp_path / "alpaca", image_size=(16, 16), validation_fraction=0.2)
    assert list(classes) == ["alpaca", "not alpaca"]
    assert x_train.shape == (16, 16, 16, 3) and x_test.shape == (4, 16, 16, 3)
    assert x_train.dtype == np.uint8 and y_train.shape == (1, 16) and y_test.shape == (1, 4)
    # Each label matches its images' colour: bright for alpaca (0), dark for not alpaca (1).
    for x, y in ((x_train, y_train), (x_test, y_test)):
        assert np.all((x.reshape(len(x), -1).mean(axis=1) > 120) == (y.ravel() == 0))


def test_load_image_folder_rejects_bad_input(tmp_path):
    with pytest.raises(FileNotFoundError, match="directory"):
        datasets.load_image_folder(tmp_path / "missing")
    with pytest.raises(TypeError, match="directory"):
        datasets.load_image_folder(3)
    with pytest.raises(ValueError, match="validation_fraction"):
        datasets.load_image_folder(tmp_path, validation_fraction=1.5)


def test_load_image_folder_names_a_file_that_is_not_an_image(tmp_path):
    _write_image_folder(tmp_path, {"alpaca": (3, 200), "not alpaca": (3, 40)})
    (tmp_path / "alpaca" / "notes.jpg").write_text("not a photo")
    (tmp_path / "alpaca" / "README.txt").write_text("Keras does not read this one")
    with pytest.raises(ValueError, match=r"directory's file alpaca/notes.jpg must be an image file"):
        datasets.load_image_folder(tmp_path, image_size=(16, 16))
    (tmp_path / "alpaca" / "notes.jpg").unlink()
    assert len(datasets.load_image_folder(tmp_path, image_size=(16, 16))[4]) == 2


@pytest.mark.parametrize("loader, prefix, name", [
    (datasets.binary_dataset, "happy", "happy-house"),
    (datasets.multiclass_dataset, "signs", "SIGNS"),
])
@pytest.mark.parametrize("present", ["train", "test"])
def test_only_one_course_file_is_an_error_naming_the_missing_one(tmp_path, loader, prefix, name, present):
    _write_course_files(tmp_path, prefix)
    missing = "test" if present == "train" else "train"
    (tmp_path / f"{missing}_{prefix}.h5").unlink()
    with pytest.raises(FileNotFoundError) as info:
        loader(tmp_path)
    message = str(info.value)
    assert f"has {present}_{prefix}.h5 but not {missing}_{prefix}.h5" in message
    assert f"course's {name} set needs both" in message
    assert f"Copy {missing}_{prefix}.h5 there too, or remove {present}_{prefix}.h5" in message


@pytest.mark.parametrize("bad, error, match", [
    ("0.2", TypeError, "validation_fraction must be a number in \\(0, 1\\), got str '0.2'"),
    (True, TypeError, "validation_fraction must be a number"),
    (None, TypeError, "validation_fraction must be a number"),
    (0, ValueError, "validation_fraction must be in \\(0, 1\\), got 0"),
    (float("nan"), ValueError, "validation_fraction must be in \\(0, 1\\), got nan"),
])
def test_load_image_folder_validates_validation_fraction(tmp_path, bad, error, match):
    with pytest.raises(error, match=match):
        datasets.load_image_folder(tmp_path, validation_fraction=bad)


@pytest.mark.parametrize("bad, error", [
    (160, TypeError),           # a single int, not (height, width)
    ("160", TypeError),
    ((160.0, 160), TypeError),
    ((160, 160, 3), ValueError),
    ((0, 160), ValueError),
    ((160, -1), ValueError),
])
def test_load_image_folder_validates_image_size(tmp_path, bad, error):
    with pytest.raises(error, match="image_size must be a tuple of 2 positive integers"):
        datasets.load_image_folder(tmp_path, image_size=bad)


def test_load_image_folder_accepts_a_list_image_size(tmp_path):
    _write_image_folder(tmp_path / "alpaca", {"alpaca": (4, 200), "not alpaca": (4, 40)})
    x_train, _, x_test, _, _ = datasets.load_image_folder(tmp_path / "alpaca", image_size=[12, 10],
                                                          validation_fraction=0.25)
    assert x_train.shape == (6, 12, 10, 3) and x_test.shape == (2, 12, 10, 3)


def _write_idx(path, array, compress=True):
    """Write ``array`` (uint8) in the IDX format, gzipped when ``compress``."""
    import gzip
    import struct

    raw = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()
    path.write_bytes(gzip.compress(raw) if compress else raw)


def _write_fashion_files(directory, n_train=30, n_test=20):
    """Four small IDX files laid out like the official ones; labels cycle through the 10 classes,
    and every pixel of image i equals its row index i mod 256 (so rows can be traced)."""
    arrays = {}
    for kind, n in (("train", n_train), ("t10k", n_test)):
        labels = (np.arange(n) % 10).astype(np.uint8)
        images = np.broadcast_to((np.arange(n) % 256).astype(np.uint8)[:, None, None], (n, 28, 28)).copy()
        _write_idx(directory / f"{kind}-images-idx3-ubyte.gz", images)
        _write_idx(directory / f"{kind}-labels-idx1-ubyte.gz", labels)
        arrays[kind] = images, labels
    return arrays


@pytest.mark.parametrize("compress", [True, False])
def test_read_idx_round_trips(tmp_path, compress):
    array = np.arange(2 * 3 * 5, dtype=np.uint8).reshape(2, 3, 5)
    _write_idx(tmp_path / "a.idx", array, compress)
    np.testing.assert_array_equal(datasets.read_idx(tmp_path / "a.idx"), array)


@pytest.mark.parametrize("content, match", [
    (bytes([0, 0, 0x0D, 1, 0, 0, 0, 1]) + bytes(4), "not an IDX file of unsigned bytes"),  # float32 type code
    (b"hello", "not an IDX file"),
    (bytes([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3]) + bytes(5), "truncated"),
    (bytes([0, 0, 8, 1, 0, 0, 0, 2]) + bytes(3), "too long"),
    (bytes([0, 0, 8, 3, 0, 0]), "truncated"),
])
def test_read_idx_rejects_bad_files(tmp_path, content, match):
    (tmp_path / "bad.idx").write_bytes(content)
    with pytest.raises(ValueError, match=match):
        datasets.read_idx(tmp_path / "bad.idx")


def test_read_idx_rejects_a_broken_gzip(tmp_path):
    _write_idx(tmp_path / "a.gz", np.zeros((4, 4), np.uint8))
    (tmp_path / "a.gz").write_bytes((tmp_path / "a.gz").read_bytes()[:-6])
    with pytest.raises(ValueError, match="gzip"):
        datasets.read_idx(tmp_path / "a.gz")


def test_fashion_mnist_subset_is_class_balanced_and_traceable(tmp_path):
    arrays = _write_fashion_files(tmp_path)
    subset = datasets.fashion_mnist_subset(tmp_path, n_train=3, n_test=2, seed=1)
    for part, kind, n in (("train", "train", 3), ("test", "t10k", 2)):
        x, y, index = subset[f"x_{part}"], subset[f"y_{part}"], subset[f"{part}_index"]
        assert x.shape == (10 * n, 28, 28) and x.dtype == np.uint8
        assert np.bincount(y, minlength=10).tolist() == [n] * 10
        assert np.all(np.diff(index) > 0)  # distinct rows, in increasing order
        np.testing.assert_array_equal(x, arrays[kind][0][index])
        np.testing.assert_array_equal(y, arrays[kind][1][index])
    again = datasets.fashion_mnist_subset(tmp_path, n_train=3, n_test=2, seed=1)
    np.testing.assert_array_equal(again["train_index"], subset["train_index"])
    with pytest.raises(ValueError, match="n_test=3 images per class"):
        datasets.fashion_mnist_subset(tmp_path, n_train=3, n_test=3)


def test_fashion_mnist_subset_round_trips_through_the_loader(tmp_path):
    _write_fashion_files(tmp_path)
    subset = datasets.fashion_mnist_subset(tmp_path, n_train=2, n_test=1)
    datasets.save_fashion_mnist_subset(subset, tmp_path / "fm.npz")
    x_train, y_train, x_test, y_test, classes = datasets.load_fashion_mnist(tmp_path / "fm.npz")
    np.testing.assert_array_equal(x_train, subset["x_train"])
    np.testing.assert_array_equal(y_test, subset["y_test"])
    assert y_train.dtype == np.int64 and len(classes) == 10
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left


def test_shipped_fashion_mnist_subset():
    x_train, y_train, x_test, y_test, classes = datasets.load_fashion_mnist()
    assert x_train.shape == (6000, 28, 28) and x_test.shape == (2000, 28, 28) and x_train.dtype == np.uint8
    assert np.bincount(y_train).tolist() == [600] * 10 and np.bincount(y_test).tolist() == [200] * 10
    assert classes[0] == "T-shirt/top" and classes[9] == "Ankle boot"
    # Real photos, not blanks: every image has dark background and bright product pixels.
    assert x_train.min(axis=(1, 2)).max() < 40 and x_train.max(axis=(1, 2)).min() > 60
    # Trousers (1) are taller than wide; bags (8) fill more of the frame than sandals (5).
    mean = {c: x_train[y_train == c].mean(axis=0) for c in (1, 5, 8)}
    assert (mean[1] > 60).sum(axis=0).max() > (mean[1] > 60).sum(axis=1).max()
    assert mean[8].mean() > mean[5].mean()
    # No image is in both parts.
    train_keys = {x.tobytes() for x in x_train}
    assert sum(x.tobytes() in train_keys for x in x_test) == 0


@pytest.mark.parametrize("edit, match", [
    (lambda a: a.pop("y_test"), "lacks \\['y_test'\\]"),
    (lambda a: a.update(x_train=a["x_train"][:, :20]), "x_train \\(m, 28, 28\\) uint8"),
    (lambda a: a.update(x_test=a["x_test"].astype(np.float32)), "x_test \\(m, 28, 28\\) uint8"),
    (lambda a: a.update(y_train=a["y_train"][:-1]), "x_train"),
    (lambda a: a.update(y_test=a["y_test"] + 10), "labels in 0..9"),
])
def test_load_fashion_mnist_rejects_bad_files(tmp_path, edit, match):
    _write_fashion_files(tmp_path)
    arrays = datasets.fashion_mnist_subset(tmp_path, n_train=2, n_test=1)
    edit(arrays)
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ValueError, match=match):
        datasets.load_fashion_mnist(tmp_path / "bad.npz")


def test_load_fashion_mnist_missing_or_garbled_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="make_fashion_mnist_subset.py"):
        datasets.load_fashion_mnist(tmp_path / "missing.npz")
    (tmp_path / "garbled.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a readable .npz"):
        datasets.load_fashion_mnist(tmp_path / "garbled.npz")
