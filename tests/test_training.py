import json
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from cnn_utils import config, training
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


def test_summary_line_reports_last_values_and_best_validation_epoch():
    logs = {"accuracy": [0.5, 0.8, 0.9], "loss": [1.0, 0.5, 0.3],
            "val_accuracy": [0.6, 0.85, 0.8], "val_loss": [0.9, 0.4, 0.45]}
    assert training.summary_line(logs, seconds=12.34, name="cnn") == (
        "cnn: 3 epochs in 12.3 s; loss 0.3, accuracy 0.9; val_loss 0.45, val_accuracy 0.8; "
        "best val_loss 0.4 at epoch 2")
    assert training.summary_line(logs, monitor="val_accuracy").endswith("best val_accuracy 0.85 at epoch 2")
    assert training.summary_line({"loss": [2.0]}) == "1 epoch; loss 2"
    with pytest.raises(TypeError, match="logs must be a keras History"):
        training.summary_line({})


def test_fit_quietly_prints_one_line_per_run(capsys):
    config.set_seed(0)
    x, y = _data()
    model = _tiny_model()
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="categorical_crossentropy", metrics=["accuracy"])
    history = training.fit_quietly(model, x, y, epochs=4, batch_size=16, validation_split=0.25, name="tiny")
    out = capsys.readouterr().out
    assert len(history.epoch_times) == 4 and len(history.history["loss"]) == 4
    assert out.count("\n") == 1 and out.startswith("tiny: 4 epochs in ")
    assert f"loss {history.history['loss'][-1]:.4g}" in out and "best val_loss" in out
    # The callback alone, with train(): one line again.
    train(_tiny_model, x, y, epochs=2, verbose=0, callbacks=[training.OneLineLog("again")])
    assert capsys.readouterr().out.startswith("again: 2 epochs in ")


@pytest.mark.parametrize("successes, n, low, high", [
    # Newcombe (1998), Statistics in Medicine 17:857-872: the worked examples, Wilson score method.
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0, 0.1611),
    (1, 29, 0.0061, 0.1718),
    (29, 29, 0.8830, 1.0),
])
def test_wilson_interval_matches_published_values(successes, n, low, high):
    result = training.wilson_interval(successes, n)
    np.testing.assert_allclose(result, (low, high), atol=1e-4)


def test_wilson_interval_widens_with_confidence_and_formats():
    narrow, wide = training.wilson_interval(45, 50, 0.8), training.wilson_interval(45, 50, 0.99)
    assert wide[0] < narrow[0] < 0.9 < narrow[1] < wide[1]
    assert training.format_rate(np.int64(456), 500) == "0.912 (95 % CI 0.88-0.93, n = 500)"
    for args, error in (((5, 4), ValueError), ((1, 0), ValueError), ((0.5, 10), TypeError),
                        ((1, 10, 1.0), ValueError), ((1, 10, 95), ValueError)):
        with pytest.raises(error):
            training.wilson_interval(*args)
