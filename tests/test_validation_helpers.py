from pathlib import Path

import keras
import numpy as np
import pytest

from cnn_utils import validation as v


def test_check_int():
    assert v.check_int("n", np.int64(3), 1) == 3 and isinstance(v.check_int("n", np.int64(3)), int)
    with pytest.raises(TypeError, match="n must be an integer >= 1"):
        v.check_int("n", 2.0, 1)
    with pytest.raises(TypeError, match="n must be an integer"):
        v.check_int("n", True)
    with pytest.raises(ValueError, match="n must be an integer >= 1, got 0"):
        v.check_int("n", 0, 1)


def test_check_real():
    assert v.check_real("alpha", 1, 0, 2) == 1.0
    with pytest.raises(TypeError, match="alpha must be a real number"):
        v.check_real("alpha", "1")
    for bad in (float("nan"), -0.1, 2.5):
        with pytest.raises(ValueError, match=r"alpha must be a number in \[0, 2\]"):
            v.check_real("alpha", bad, 0, 2)


def test_check_shape_path_seed_model():
    assert v.check_shape("input_shape", [64, 64, np.int32(3)], 3) == (64, 64, 3)
    for bad in (64, (64, 64, True), (64.0, 64, 3), "64x64x3"):
        with pytest.raises(TypeError, match="input_shape must be a tuple of 3 positive integers"):
            v.check_shape("input_shape", bad, 3)
    for bad in ((64, 64), (64, 64, 0), (64, 64, 3, 1)):
        with pytest.raises(ValueError, match="input_shape must be a tuple of 3 positive integers"):
            v.check_shape("input_shape", bad, 3)
    assert v.check_shape("filters", [8, np.int64(16)]) == (8, 16)
    with pytest.raises(ValueError, match="filters must be a non-empty tuple of positive integers"):
        v.check_shape("filters", ())
    with pytest.raises(TypeError, match="filters must be a non-empty tuple of positive integers"):
        v.check_shape("filters", (8, 1.5))
    assert v.check_path("cfg_path", "a/b.cfg") == Path("a/b.cfg")
    with pytest.raises(TypeError, match="cfg_path must be a path"):
        v.check_path("cfg_path", 3)
    assert v.check_seed("seed", None) is None and v.check_seed("seed", 7) == 7
    with pytest.raises(ValueError, match="seed must be an integer in 0 .. 2\\*\\*32 - 1"):
        v.check_seed("seed", 2**32)
    with pytest.raises(TypeError, match="seed must be an integer"):
        v.check_seed("seed", "7")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    assert v.check_model("model", model) is model
    with pytest.raises(TypeError, match="model must be a keras.Model, got str"):
        v.check_model("model", "vgg")


def test_check_image_refuses_what_is_not_an_image():
    image = np.zeros((4, 5, 3), dtype=np.float32)
    assert np.array_equal(v.check_image("image", image), image)
    assert v.check_image("images", np.zeros((2, 4, 4, 3), np.uint8), ndim=(4,)).shape == (2, 4, 4, 3)
    for bad, count in ((np.full((4, 4), np.nan), "16 NaN"), (np.array([[0.5, np.inf]]), "1 infinite")):
        with pytest.raises(ValueError, match=f"image must hold finite values, got .*{count}"):
            v.check_image("image", bad)
    with pytest.raises(ValueError, match=r"image must be an array with 2 or 3 axes, got shape \(4,\)"):
        v.check_image("image", np.zeros(4))
    assert v.check_image("mask", np.ones((2, 2), bool)).dtype == bool
    for bad in ("photo.jpg", None, np.array([["a"]]), np.array([[None]])):
        with pytest.raises(TypeError, match="image must"):
            v.check_image("image", bad)


def test_open_image_names_the_argument(tmp_path):
    from PIL import Image

    good = tmp_path / "good.png"
    Image.fromarray(np.full((3, 4), 7, np.uint8)).save(good)
    image = v.open_image("path", good)
    assert image.size == (4, 3) and image.mode == "RGB" and np.asarray(image)[0, 0].tolist() == [7, 7, 7]
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    with pytest.raises(ValueError, match="path must be an image file .*notes.txt"):
        v.open_image("path", text)
    truncated = tmp_path / "cut.jpg"
    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(tmp_path / "full.jpg")
    truncated.write_bytes((tmp_path / "full.jpg").read_bytes()[:200])
    with pytest.raises(ValueError, match="path must be an image file"):
        v.open_image("path", truncated)
    with pytest.raises(FileNotFoundError, match="path: no image file at"):
        v.open_image("path", tmp_path / "missing.png")
