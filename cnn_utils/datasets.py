"""Data set loaders returning the course's tuple ``(X_train, Y_train, X_test, Y_test, classes)``.

* ``load_happy_dataset`` / ``load_signs_dataset`` read the course's original
  ``.h5`` files (``train_happy.h5``/``test_happy.h5``, ``train_signs.h5``/``test_signs.h5``)
  when a user has them and drops them into ``data/``.
* ``load_faces_dataset`` (faces vs non-faces, from scikit-image's ``lfw_subset``) and
  ``load_digits_dataset`` (scikit-learn's handwritten digits) are real data sets that
  ship with packages, resized to the course's 64x64x3.
* ``load_fashion_mnist`` reads the class-balanced Fashion-MNIST subset committed in
  ``data/fashion_mnist.npz`` (made by ``data/make_fashion_mnist_subset.py`` with
  :func:`read_idx` and :func:`fashion_mnist_subset` from the official IDX files).
* ``binary_dataset`` and ``multiclass_dataset`` pick the course files when both are present
  and the shipped data set when neither is, and say which one they used; only one file of
  the pair is an error that names the missing file.

Shapes, as in the course: ``X`` is (m, 64, 64, 3) uint8 in [0, 255]; ``Y`` is (1, m) int;
``classes`` is a 1-D array of class names. Fashion-MNIST keeps its own form,
as Keras gives it: X (m, 28, 28) uint8 and y (m,) int labels.
"""
import gzip
import numbers
from pathlib import Path

import h5py
import numpy as np

from cnn_utils.config import DATA_DIR, atomic_path
from cnn_utils.validation import check_int, check_path, check_seed, check_shape, open_image


def _check_split_args(image_size, test_fraction, seed):
    check_int("image_size", image_size, 1)
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, numbers.Real):
        raise TypeError(f"test_fraction must be a number in (0, 1), got {type(test_fraction).__name__}")
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
    check_seed("seed", seed)


def _read_h5(path, keys):
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} not found. Copy the course's file there, or use the shipped data set "
            f"(binary_dataset() / multiclass_dataset())."
        )
    try:
        with h5py.File(path, "r") as f:
            missing = [k for k in keys if k not in f]
            if missing:
                raise ValueError(
                    f"{path} is not in the course's .h5 layout: missing dataset(s) {missing}; "
                    f"it has {sorted(f.keys())}"
                )
            return {k: np.array(f[k][:]) for k in keys}
    except OSError as err:
        raise ValueError(f"{path} is not a readable HDF5 file ({err})") from err


def load_course_h5(train_path, test_path):
    """Read a course data set stored as a train and a test ``.h5`` file.

    The train file holds ``train_set_x`` (m, H, W, 3) and ``train_set_y`` (m,);
    the test file holds ``test_set_x``, ``test_set_y`` and ``list_classes``.
    Returns ``(X_train, Y_train, X_test, Y_test, classes)`` with ``Y`` reshaped to (1, m).
    """
    train_path = check_path("train_path", train_path)
    test_path = check_path("test_path", test_path)
    train = _read_h5(train_path, ("train_set_x", "train_set_y"))
    test = _read_h5(test_path, ("test_set_x", "test_set_y", "list_classes"))
    for name, x, y in (("train", train["train_set_x"], train["train_set_y"]),
                       ("test", test["test_set_x"], test["test_set_y"])):
        if x.ndim != 4 or y.size != x.shape[0]:
            raise ValueError(
                f"{name} set: expected images (m, H, W, C) and m labels, got x {x.shape} and y {y.shape}"
            )
    if train["train_set_x"].shape[1:] != test["test_set_x"].shape[1:]:
        raise ValueError(
            f"train images {train['train_set_x'].shape[1:]} and test images "
            f"{test['test_set_x'].shape[1:]} must have the same (H, W, C)"
        )
    return (train["train_set_x"], train["train_set_y"].reshape(1, -1),
            test["test_set_x"], test["test_set_y"].reshape(1, -1), test["list_classes"])


def load_happy_dataset(directory=DATA_DIR):
    """The course's happy-house set: ``train_happy.h5`` and ``test_happy.h5`` in ``directory``."""
    directory = check_path("directory", directory)
    return load_course_h5(directory / "train_happy.h5", directory / "test_happy.h5")


def load_signs_dataset(directory=DATA_DIR):
    """The course's SIGNS set: ``train_signs.h5`` and ``test_signs.h5`` in ``directory``."""
    directory = check_path("directory", directory)
    return load_course_h5(directory / "train_signs.h5", directory / "test_signs.h5")


def _to_rgb_uint8(images, image_size):
    """(m, h, w) floats in [0, 1] -> (m, image_size, image_size, 3) uint8, bilinear resize."""
    import tensorflow as tf

    x = tf.image.resize(images[..., None].astype("float32"), (image_size, image_size))
    x = tf.clip_by_value(tf.round(x * 255.0), 0, 255)
    return np.repeat(np.asarray(x, dtype=np.uint8), 3, axis=-1)


def _split(x, y, test_fraction, seed):
    from sklearn.model_selection import train_test_split

    n_test = int(np.ceil(test_fraction * len(y)))  # as train_test_split rounds
    n_classes = len(np.unique(y))
    if min(n_test, len(y) - n_test) < n_classes:
        raise ValueError(
            f"test_fraction={test_fraction!r} splits {len(y)} images into {len(y) - n_test} for training "
            f"and {n_test} for testing; each part needs at least one image of each of the {n_classes} classes"
        )
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_fraction, random_state=seed, stratify=y)
    return x_train, y_train.reshape(1, -1), x_test, y_test.reshape(1, -1)


def load_faces_dataset(image_size=64, test_fraction=0.25, seed=0):
    """Faces vs non-faces from scikit-image's ``lfw_subset`` (200 grey 25x25 crops).

    Label 1 is a face, 0 is not. Returns ``(X_train, Y_train, X_test, Y_test, classes)``
    with X of shape (m, image_size, image_size, 3) uint8 and a stratified split.
    """
    from skimage.data import lfw_subset

    _check_split_args(image_size, test_fraction, seed)
    images = lfw_subset()  # first 100 are faces, the last 100 are not
    labels = np.array([1] * 100 + [0] * 100)
    x = _to_rgb_uint8(images, image_size)
    return (*_split(x, labels, test_fraction, seed), np.array(["non-face", "face"]))


def load_digits_dataset(image_size=64, test_fraction=0.2, seed=0):
    """Handwritten digits 0-9 from scikit-learn (1,797 images of 8x8, grey levels 0-16).

    Returns ``(X_train, Y_train, X_test, Y_test, classes)`` with X of shape
    (m, image_size, image_size, 3) uint8 and a stratified split.
    """
    from sklearn.datasets import load_digits

    _check_split_args(image_size, test_fraction, seed)
    digits = load_digits()
    x = _to_rgb_uint8(digits.images / 16.0, image_size)
    return (*_split(x, digits.target, test_fraction, seed), np.array([str(d) for d in range(10)]))


FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
FASHION_MNIST_FILE = DATA_DIR / "fashion_mnist.npz"
_FASHION_MNIST_KEYS = ("x_train", "y_train", "x_test", "y_test", "train_index", "test_index")


def read_idx(path):
    """Read an IDX file of unsigned bytes (the MNIST format), gzipped or not.

    Header: two zero bytes, the type code 0x08 (unsigned byte), the number of
    dimensions d, then d big-endian 32-bit sizes; the data follow.
    Returns a uint8 array of that shape, e.g. (60000, 28, 28) for images, (60000,) for labels.
    """
    path = check_path("path", path)
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as err:
            raise ValueError(f"path: {path} is not a readable gzip file ({err})") from err
    if len(raw) < 4 or raw[:2] != b"\0\0" or raw[2] != 0x08 or raw[3] == 0:
        raise ValueError(f"path: {path} is not an IDX file of unsigned bytes (header {raw[:4]!r})")
    ndim = raw[3]
    shape = tuple(int(n) for n in np.frombuffer(raw, ">u4", count=ndim, offset=4)) \
        if len(raw) >= 4 + 4 * ndim else None
    if shape is None or len(raw) != 4 + 4 * ndim + int(np.prod(shape)):
        raise ValueError(f"path: {path} is truncated or too long for the sizes in its header {shape}")
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def fashion_mnist_subset(directory, n_train=600, n_test=200, seed=0):
    """A class-balanced random subset of the official Fashion-MNIST files in ``directory``.

    ``directory`` holds ``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``,
    ``t10k-images-idx3-ubyte.gz`` and ``t10k-labels-idx1-ubyte.gz``. Draws ``n_train``
    images per class from the official training set and ``n_test`` per class from
    the official test set, without replacement. Returns a dict of arrays:
    ``x_train`` (10 n_train, 28, 28) uint8, ``y_train`` (10 n_train,) uint8, the
    same for ``test``, and ``train_index`` / ``test_index``, the rows taken from the official files
    (in increasing order).
    """
    directory = check_path("directory", directory)
    n_train = check_int("n_train", n_train, 1)
    n_test = check_int("n_test", n_test, 1)
    check_seed("seed", seed)
    rng = np.random.default_rng(seed)
    subset = {}
    for part, kind, n in (("train", "train", n_train), ("test", "t10k", n_test)):
        images = read_idx(directory / f"{kind}-images-idx3-ubyte.gz")
        labels = read_idx(directory / f"{kind}-labels-idx1-ubyte.gz")
        if images.ndim != 3 or labels.shape != images.shape[:1]:
            raise ValueError(f"directory: {kind} images {images.shape} and labels {labels.shape} do not match")
        counts = np.bincount(labels, minlength=len(FASHION_MNIST_CLASSES))
        if len(counts) != len(FASHION_MNIST_CLASSES) or counts.min() < n:
            raise ValueError(f"n_{part}={n} images per class, but the {kind} files have {counts.tolist()}")
        index = np.sort(np.concatenate([rng.choice(np.flatnonzero(labels == c), n, replace=False)
                                        for c in range(len(FASHION_MNIST_CLASSES))]))
        subset.update({f"x_{part}": images[index], f"y_{part}": labels[index], f"{part}_index": index})
    return subset


def save_fashion_mnist_subset(subset, path=FASHION_MNIST_FILE):
    """Write a subset from :func:`fashion_mnist_subset` as a compressed ``.npz``, atomically."""
    path = check_path("path", path)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, **{key: subset[key] for key in _FASHION_MNIST_KEYS})


def load_fashion_mnist(path=FASHION_MNIST_FILE):
    """The Fashion-MNIST subset shipped in ``data/``: Zalando product photos, 28x28 grey, 10 classes.

    6,000 training images (600 per class, from the official training set) and
    2,000 test images (200 per class, from the official test set).
    Returns ``(x_train, y_train, x_test, y_test, classes)``: x (m, 28, 28) uint8 in
    [0, 255], y (m,) int64 labels in 0..9, ``classes`` the 10 class names.
    """
    path = check_path("path", path)
    if not path.is_file():
        raise FileNotFoundError(f"path: {path} not found; make it with `python data/make_fashion_mnist_subset.py`")
    try:
        with np.load(path) as f:
            arrays = {key: f[key] for key in f.files}
    except (OSError, ValueError) as err:
        raise ValueError(f"path: {path} is not a readable .npz file ({err})") from err
    missing = [key for key in _FASHION_MNIST_KEYS[:4] if key not in arrays]
    if missing:
        raise ValueError(f"path: {path} lacks {missing}; it has {sorted(arrays)}")
    data = []
    for part in ("train", "test"):
        x, y = arrays[f"x_{part}"], arrays[f"y_{part}"]
        if x.dtype != np.uint8 or x.ndim != 3 or x.shape[1:] != (28, 28) or y.shape != x.shape[:1]:
            raise ValueError(f"path: {path} must hold x_{part} (m, 28, 28) uint8 and m labels, "
                             f"got {x.dtype} {x.shape} and {y.shape}")
        if y.size and not (np.issubdtype(y.dtype, np.integer) and 0 <= y.min() and y.max() < 10):
            raise ValueError(f"path: {path}: y_{part} must hold integer labels in 0..9")
        data += [x, y.astype(np.int64)]
    return (*data, np.array(FASHION_MNIST_CLASSES))


def _course_pair_present(directory, name, train_file, test_file):
    """True when both files of a course pair are in ``directory``, False when neither is.

    Only one of the two is an error (FileNotFoundError naming the missing file): using the
    shipped data set instead would silently ignore the file the user put there.
    """
    present = {file: (directory / file).is_file() for file in (train_file, test_file)}
    if all(present.values()):
        return True
    if any(present.values()):
        found, missing = (train_file, test_file) if present[train_file] else (test_file, train_file)
        raise FileNotFoundError(
            f"directory {directory} has {found} but not {missing}: the course's {name} set needs both. "
            f"Copy {missing} there too, or remove {found} to use the shipped data set instead."
        )
    return False


def binary_dataset(directory=DATA_DIR):
    """The course's happy-house files when present in ``directory``, else faces vs non-faces.

    Returns ``(data, source)`` where ``data`` is the course tuple and ``source`` says which.
    Raises FileNotFoundError when only one of ``train_happy.h5`` and ``test_happy.h5`` is there.
    """
    directory = check_path("directory", directory)
    if _course_pair_present(directory, "happy-house", "train_happy.h5", "test_happy.h5"):
        return load_happy_dataset(directory), f"the course's happy-house files in {directory}"
    return load_faces_dataset(), "faces vs non-faces from scikit-image's lfw_subset (real photos)"


def multiclass_dataset(directory=DATA_DIR):
    """The course's SIGNS files when present in ``directory``, else scikit-learn's digits.

    Returns ``(data, source)`` where ``data`` is the course tuple and ``source`` says which.
    Raises FileNotFoundError when only one of ``train_signs.h5`` and ``test_signs.h5`` is there.
    """
    directory = check_path("directory", directory)
    if _course_pair_present(directory, "SIGNS", "train_signs.h5", "test_signs.h5"):
        return load_signs_dataset(directory), f"the course's SIGNS files in {directory}"
    return load_digits_dataset(), "handwritten digits 0-9 from scikit-learn (real scans)"


def convert_to_one_hot(Y, C):
    """Course helper: labels (1, m) or (m,) ints in [0, C) -> one-hot (C, m)."""
    if isinstance(C, bool) or not isinstance(C, (int, np.integer)):
        raise TypeError(f"C must be an integer number of classes, got {type(C).__name__}")
    if C < 1:
        raise ValueError(f"C must be a positive number of classes, got {C}")
    Y = np.asarray(Y)
    if not np.issubdtype(Y.dtype, np.integer):
        raise TypeError(f"Y must hold integer labels, got dtype {Y.dtype}")
    if not (Y.ndim == 1 or (Y.ndim == 2 and Y.shape[0] == 1)):
        raise ValueError(f"Y must have shape (1, m) or (m,), got {Y.shape}")
    Y = Y.reshape(-1)
    if Y.size and (Y.min() < 0 or Y.max() >= C):
        raise ValueError(f"Y must hold integer labels in [0, {C}), got values in [{Y.min()}, {Y.max()}]")
    return np.eye(C)[Y].T


# Photos that ship inside installed packages: skimage.data, scikit-learn's sample images
# (china, flower) and matplotlib's sample data (grace_hopper).
SHIPPED_PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "immunohistochemistry", "hubble_deep_field",
                  "retina", "motorcycle", "colorwheel", "camera", "coins", "brick", "grass", "gravel",
                  "text", "page", "moon", "clock", "china", "flower", "grace_hopper")
# Street and people photos committed in data/photos/ (sources and licences in data/SOURCES.md).
DATA_PHOTOS = {"dog": "dog.jpg",  # Darknet's test photo: a dog, a bicycle and a pickup
               "london_bus": "pexels_double_decker_bus.jpg",  # a London street: a bus, cars, a taxi
               "campus": "Background_Subtraction_Tutorial_frame.jpg",  # a campus road: people, a van
               "person_horse": "person.jpg"}  # Darknet's: a person, a horse and a dog


def load_photo(name):
    """One of ``SHIPPED_PHOTOS`` (from the package that ships it) or ``DATA_PHOTOS``
    (``data/photos/``) as an (H, W, 3) uint8 RGB array.

    Grey photos are repeated over the three channels.
    """
    names = SHIPPED_PHOTOS + tuple(DATA_PHOTOS)
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, one of {names}, got {type(name).__name__}")
    if name not in names:
        raise ValueError(f"name must be one of {names}, got {name!r}")
    if name in DATA_PHOTOS:
        return np.asarray(open_image("name", DATA_DIR / "photos" / DATA_PHOTOS[name]))
    if name in ("china", "flower"):
        from sklearn.datasets import load_sample_image

        return load_sample_image(f"{name}.jpg")
    if name == "grace_hopper":
        import matplotlib.cbook
        from PIL import Image

        with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as f:
            return np.asarray(Image.open(f).convert("RGB"))
    from skimage import data

    image = data.stereo_motorcycle()[0] if name == "motorcycle" else getattr(data, name)()
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=-1)
    return np.asarray(image[..., :3], dtype=np.uint8)


IMAGE_FOLDER_SUFFIXES = (".bmp", ".gif", ".jpeg", ".jpg", ".png")  # what image_dataset_from_directory reads


def load_image_folder(directory, image_size=(160, 160), validation_fraction=0.2, seed=42):
    """Images in one sub-folder per class (the course's alpaca layout), read with Keras.

    ``directory/<class name>/*.jpg`` is split by ``keras.utils.image_dataset_from_directory``
    (``validation_split=validation_fraction``, same ``seed`` for both subsets, as in the course).
    ``image_size`` is (height, width), two positive integers; ``validation_fraction`` a number in (0, 1).
    Returns the course tuple ``(X_train, Y_train, X_test, Y_test, classes)`` with X
    (m, *image_size, 3) uint8 and Y (1, m) int labels in the order of ``classes``.
    """
    import keras

    directory = check_path("directory", directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"directory: {directory} is not a folder of class sub-folders")
    check_seed("seed", seed)
    image_size = check_shape("image_size", image_size, 2)
    for path in sorted(directory.glob("*/*")):
        if path.suffix.lower() in IMAGE_FOLDER_SUFFIXES:  # the files Keras reads: each must be an image
            open_image(f"directory's file {path.relative_to(directory)}", path)
    if isinstance(validation_fraction, bool) or not isinstance(validation_fraction, numbers.Real):
        raise TypeError(f"validation_fraction must be a number in (0, 1), "
                        f"got {type(validation_fraction).__name__} {validation_fraction!r}")
    if not 0 < validation_fraction < 1:
        raise ValueError(f"validation_fraction must be in (0, 1), got {validation_fraction!r}")
    splits = []
    for subset in ("training", "validation"):
        ds = keras.utils.image_dataset_from_directory(
            directory, image_size=image_size, batch_size=None, shuffle=True, seed=seed,
            validation_split=validation_fraction, subset=subset, verbose=False)
        classes = np.array(ds.class_names)
        x, y = zip(*[(image.numpy(), label.numpy()) for image, label in ds])
        splits += [np.clip(np.round(np.stack(x)), 0, 255).astype(np.uint8), np.array(y).reshape(1, -1)]
    return (*splits, classes)

