import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from cnn_utils import config
from cnn_utils.training import train


def _tiny_model():
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])


def _data(n=64):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = keras.utils.to_categorical((x[:, 0] > 0).astype(int), 2)
    return x, y


def test_train_learns_and_times_epochs():
    config.set_seed(0)
    x, y = _data()
    model, history = train(_tiny_model, x, y, epochs=15, batch_size=16,
                           optimizer=lambda: keras.optimizers.Adam(0.05), verbose=0)
    assert len(history.epoch_times) == 15
    assert all(t > 0 for t in history.epoch_times)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.8


@pytest.mark.parametrize("kwargs, error", [
    ({"build_model": "model"}, TypeError),
    ({"epochs": 0}, ValueError),
    ({"strategy": "mirrored"}, TypeError),
    ({"build_model": lambda: "not a model"}, TypeError),
])
def test_train_rejects_bad_arguments(kwargs, error):
    x, y = _data(8)
    args = {"build_model": _tiny_model, "epochs": 1, "verbose": 0, **kwargs}
    with pytest.raises(error):
        train(args.pop("build_model"), x, y, **args)


def test_train_under_mirrored_strategy_on_two_cpu_devices():
    # Logical devices must be configured before TensorFlow starts, so this runs in a fresh process.
    script = textwrap.dedent("""
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        import keras, numpy as np
        from cnn_utils.training import train
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
        x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
        y = keras.utils.to_categorical((x[:, 0] > 0).astype(int), 2)
        build = lambda: keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
        model, history = train(build, x, y, epochs=3, batch_size=16, strategy=strategy, verbose=0)
        print("replicas", strategy.num_replicas_in_sync)
        print("loss", history.history["loss"][-1] < history.history["loss"][0])
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "replicas 2" in result.stdout
    assert "loss True" in result.stdout
