import os
import re
import subprocess
import sys
import textwrap

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


class _Kernel:
    def __init__(self, allow_stdin):
        self._allow_stdin = allow_stdin


def _fake_ipython(monkeypatch, allow_stdin):
    # A Jupyter kernel as IPython shows it: get_ipython().kernel, with the request's allow_stdin.
    import types

    shell = types.SimpleNamespace(kernel=_Kernel(allow_stdin))
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: shell))


def test_interactive_follows_the_kernel_request(monkeypatch):
    _fake_ipython(monkeypatch, allow_stdin=True)  # JupyterLab, Notebook, VS Code
    assert config.interactive()
    _fake_ipython(monkeypatch, allow_stdin=False)  # nbconvert, nbclient, nbval
    assert not config.interactive()


def test_progress_stores_one_final_line_when_not_interactive(monkeypatch, capsys):
    _fake_ipython(monkeypatch, allow_stdin=False)
    bar = config.progress(range(50), desc="steps", unit="step")
    total = 0
    for i in bar:
        total += i
        bar.set_postfix(J=1.5)
    assert total == sum(range(50))
    bar.close()  # a second close prints nothing more
    with config.progress(total=4, desc="blocks") as blocks:
        blocks.update(4)
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert len(lines) == 2 and "\r" not in out
    assert re.fullmatch(r"steps: 100%\|#+\| 50/50 \[.*step/s, J=1\.5\]", lines[0]), lines[0]
    assert lines[1].startswith("blocks: 100%|") and "4/4" in lines[1]


def test_progress_is_a_live_tqdm_bar_when_interactive(monkeypatch, capsys):
    _fake_ipython(monkeypatch, allow_stdin=True)
    for _ in config.progress(range(3), desc="live", mininterval=0):
        pass
    out, err = capsys.readouterr()
    assert out == "" and err.count("\r") >= 2 and "live: 100%" in err


# TensorFlow's start-up lines (TF 2.21 on a machine without a GPU), and lines that must pass.
_NOISE = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1795458568.058757    1100 port.cc:153] oneDNN custom operations are on.",
    "I0000 00:00:1795458568.059555    1100 cudart_stub.cc:31] Could not find cuda drivers on your machine.",
    "W0000 00:00:1795458568.059555    1100 gpu_device.cc:2344] Cannot dlopen some GPU libraries.",
    "E0000 00:00:1796153249.918501   31533 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error",
    "To enable the following instructions: AVX2 AVX512F FMA, in other operations, rebuild TensorFlow",
]
_KEPT = [
    "E0000 00:00:1796153249.918501   31533 bfc_allocator.cc:52] Allocator ran out of memory",
    "Traceback (most recent call last):",
    "UserWarning: something worth reading",
]


def test_startup_filter_drops_noise_and_keeps_errors():
    import cnn_utils

    assert all(cnn_utils.STARTUP_NOISE.match(line) for line in _NOISE)
    assert not any(cnn_utils.STARTUP_NOISE.match(line) for line in _KEPT)


_QUIET_SCRIPT = textwrap.dedent("""
    import cnn_utils
    import tensorflow as tf
    # Devices are probed but not started: logical devices can still be configured (as for GPUs).
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    print(len(tf.config.list_logical_devices("CPU")), float(tf.reduce_sum(tf.ones(3))))
""")


def test_importing_cnn_utils_keeps_tensorflow_start_up_quiet():
    env = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run([sys.executable, "-c", _QUIET_SCRIPT], capture_output=True, text=True,
                            timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["2", "3.0"]
    assert result.stderr == ""


def test_course_home_prefers_the_environment_then_the_checkout_then_the_user_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    explicit = {"CNN_COURSE_HOME": str(tmp_path / "mine")}
    assert config.course_home(explicit, in_checkout=True) == tmp_path / "mine"
    assert config.course_home(explicit, in_checkout=False) == tmp_path / "mine"
    assert config.course_home({"CNN_COURSE_HOME": "~/x"}, in_checkout=False) == tmp_path / "user" / "x"
    for unset in ({}, {"CNN_COURSE_HOME": ""}, {"CNN_COURSE_HOME": "  "}):
        assert config.course_home(unset, in_checkout=True) == config.ROOT_DIR / "data"
        assert config.course_home(unset, in_checkout=False) == tmp_path / "user" / ".cache" / "cnn-course"


def test_checkout_reads_and_writes_data_folder():
    # Run from this checkout (tests/ sits beside cnn_utils/): shipped files come from data/,
    # and prepared assets and caches go under the course home (data/ unless CNN_COURSE_HOME is set).
    assert config.IN_CHECKOUT
    assert config.DATA_DIR == config.ROOT_DIR / "data"
    assert (config.DATA_DIR / "styles" / "starry_night.jpg").is_file()
    assert config.HOME_DIR == config.course_home()
    assert (config.ASSET_DIR, config.CACHE_DIR) == (config.HOME_DIR / "assets", config.HOME_DIR / "cache")
