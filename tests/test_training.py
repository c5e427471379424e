import json
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


_MIRRORED_SCRIPT = textwrap.dedent("""
    import json
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras, numpy as np
    from cnn_utils.training import train

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    y = keras.utils.to_categorical((x[:, 0] > 0).astype(int), 2)
    build = lambda: keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model, history = train(build, x, y, epochs=3, batch_size=16, strategy=strategy,
                           optimizer=lambda: keras.optimizers.Adam(0.05), verbose=0)

    def describe(variable):
        # A keras.Variable wraps a tf.Variable; inside a MirroredStrategy scope that is a
        # MirroredVariable holding one copy per replica.
        value = variable.value
        mirrored = isinstance(value, tf.distribute.DistributedValues)
        copies = strategy.experimental_local_results(value) if mirrored else (value,)
        return {"path": variable.path, "mirrored": mirrored,
                "devices": [tf.DeviceSpec.from_string(c.device).device_index for c in copies],
                "in_sync": all(np.array_equal(np.asarray(copies[0]), np.asarray(c)) for c in copies)}

    outside = build()  # the same model built outside the scope, to show the checks can tell
    print(json.dumps({
        "replicas": strategy.num_replicas_in_sync,
        "model_strategy_is_ours": model.distribute_strategy is strategy,
        "model_variables": [describe(v) for v in model.variables],
        "optimizer_variables": [describe(v) for v in model.optimizer.variables],
        "optimizer_steps": int(model.optimizer.iterations.numpy()),
        "outside_strategy_is_ours": outside.distribute_strategy is strategy,
        "outside_mirrored": [describe(v)["mirrored"] for v in outside.variables],
        "loss": history.history["loss"],
    }))
""")


def test_train_under_mirrored_strategy_on_two_cpu_devices():
    # Logical devices must be configured before TensorFlow starts, so this runs in a fresh process.
    result = subprocess.run([sys.executable, "-c", _MIRRORED_SCRIPT], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    facts = json.loads(result.stdout.strip().splitlines()[-1])
    assert facts["replicas"] == 2
    # The model was built inside strategy.scope(): it remembers the strategy and every
    # variable (kernel, bias) is mirrored with one copy on each logical CPU, kept in sync.
    assert facts["model_strategy_is_ours"] is True
    assert [v["path"] for v in facts["model_variables"]] == ["sequential/dense/kernel", "sequential/dense/bias"]
    # The optimizer was created in the scope too: its step counter, learning rate and the
    # Adam slots of both weights are mirrored the same way.
    optimizer_paths = [v["path"] for v in facts["optimizer_variables"]]
    assert len(optimizer_paths) == 6
    assert {"adam/iteration", "adam/learning_rate"} <= set(optimizer_paths)
    for variable in facts["model_variables"] + facts["optimizer_variables"]:
        assert variable["mirrored"] is True, variable
        assert variable["devices"] == [0, 1], variable
        assert variable["in_sync"] is True, variable
    assert facts["optimizer_steps"] == 3 * 64 // 16  # global batches of 16, split over the 2 replicas
    # A model built outside the scope fails each of these checks.
    assert facts["outside_strategy_is_ours"] is False
    assert facts["outside_mirrored"] == [False, False]
    loss = facts["loss"]
    assert len(loss) == 3 and loss[-1] < loss[0]
