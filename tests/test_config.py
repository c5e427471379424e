import numpy as np
import pytest

from cnn_utils import config


def test_fast_mode_reads_environment(monkeypatch):
    monkeypatch.setenv("CNN_FAST", "1")
    assert config.fast_mode()
    assert config.choose(full=20, fast=1) == 1
    monkeypatch.setenv("CNN_FAST", "0")
    assert not config.fast_mode()
    assert config.choose(full=20, fast=1) == 20
    monkeypatch.delenv("CNN_FAST")
    assert config.choose(full="full", fast="fast") == "full"


def test_set_seed_repeats_numpy_and_tensorflow():
    import keras

    config.set_seed(3)
    a = np.random.rand(3), keras.random.uniform((3,)).numpy()
    config.set_seed(3)
    b = np.random.rand(3), keras.random.uniform((3,)).numpy()
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_atomic_path_writes_on_success(tmp_path):
    target = tmp_path / "sub" / "file.txt"
    with config.atomic_path(target) as tmp:
        tmp.write_text("done")
        assert not target.exists()
    assert target.read_text() == "done"
    assert list(target.parent.iterdir()) == [target]


def test_atomic_path_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with config.atomic_path(target) as tmp:
            tmp.write_text("half-writ")
            raise RuntimeError("interrupted")
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]
