import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import keras
import numpy as np
import pytest

from cnn_utils import config, training
from cnn_utils.training import fashion_mnist_batches, train, worker_config


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


# --------------------------------------------------------------------------- several machines
ROOT = Path(__file__).resolve().parents[1]


def test_worker_config_is_the_tf_config_of_one_worker():
    assert worker_config("host1:12345,host2:12345", 1) == {
        "cluster": {"worker": ["host1:12345", "host2:12345"]}, "task": {"type": "worker", "index": 1}}
    assert worker_config(["10.0.0.1:2222"], 0)["cluster"]["worker"] == ["10.0.0.1:2222"]


@pytest.mark.parametrize("workers, index, error", [
    ("host1:12345,host2:12345", 2, ValueError),
    ("host1:12345,host2:12345", -1, ValueError),
    ("host1:12345,host2:12345", 1.0, TypeError),
    ("host1,host2", 0, ValueError),
    ("host1:0", 0, ValueError),
    ("host1:70000", 0, ValueError),
    ("host1:12345,host1:12345", 0, ValueError),
    ([], 0, TypeError),
    (["host1:12345", 12346], 0, TypeError),
    (None, 0, TypeError),
])
def test_worker_config_rejects_bad_arguments(workers, index, error):
    with pytest.raises(error):
        worker_config(workers, index)


def test_command_line_reports_bad_options_before_starting(capsys):
    from cnn_utils import training

    with pytest.raises(SystemExit) as exit_info:
        training.main(["--workers", "host1:12345,host2:12345", "--worker-index", "2"])
    assert exit_info.value.code == 2
    assert "index must be below the number of workers (2), got 2" in capsys.readouterr().err


def test_fashion_mnist_batches_are_global_batches_sharded_by_data():
    dataset = fashion_mnist_batches(64, n=200)
    batches = list(dataset)
    assert len(batches) == 3  # 200 // 64, the partial batch dropped
    x, y = batches[0]
    assert x.shape == (64, 28, 28, 1) and x.dtype == "float32" and y.shape == (64,)
    assert 0.0 <= float(np.min(x)) and float(np.max(x)) <= 1.0 and set(np.unique(y)) <= set(range(10))
    policy = dataset.options().experimental_distribute.auto_shard_policy
    assert policy == __import__("tensorflow").data.experimental.AutoShardPolicy.DATA
    # The same seed gives the same order on every machine (each keeps its share of each batch).
    again = list(fashion_mnist_batches(64, n=200))
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(batches, again))


def _readme_commands():
    """The commands of the README's "Scaling past one machine" section, one per machine."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Scaling past one machine", 1)[1].split("\n## ", 1)[0]
    return [line.strip() for line in section.splitlines() if line.startswith("python -m cnn_utils.training")]


def _free_ports(n):
    """``n`` distinct free ports (bound together on every interface, as TensorFlow binds them, then released)."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _run_workers(commands, folder, timeout):
    """Start every command in its own process group; wait for all, stop all on failure or timeout.

    Returns ``[(returncode, stdout, stderr)]``; a worker still running at the deadline is killed
    and reported with return code None.
    """
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"} | {"CNN_FAST": "1"}
    processes, logs = [], []
    try:
        for i, command in enumerate(commands):
            out, err = open(folder / f"worker{i}.out", "w+"), open(folder / f"worker{i}.err", "w+")
            logs.append((out, err))
            processes.append(subprocess.Popen(command, stdout=out, stderr=err, env=env, cwd=folder,
                                              start_new_session=True))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(p.poll() is None for p in processes):
            if any(p.poll() not in (None, 0) for p in processes):
                break  # one worker failed: the others would wait for it until the deadline
            time.sleep(0.5)
    finally:
        for p in processes:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
    results = []
    for p, (out, err) in zip(processes, logs):
        out.seek(0)
        err.seek(0)
        results.append((None if p.returncode == -signal.SIGKILL else p.returncode, out.read(), err.read()))
        out.close()
        err.close()
    return results


_LINE = re.compile(r"worker (\d) of (\d+): (\d+) steps of (\d+) examples \((\d+) per replica\); "
                   r"loss by epoch ([\d. ]+); accuracy ([\d.]+); [\d.]+ s; weights sha256 ([0-9a-f]{64})")


def test_readme_commands_train_on_two_workers_with_identical_weights(tmp_path):
    commands = _readme_commands()
    assert len(commands) == 2 and all("host1:12345,host2:12345" in c for c in commands), commands
    for attempt in range(2):  # a port taken between _free_ports and the workers' start: try new ones once
        ports = _free_ports(2)
        local = [shlex.split(c.replace("host1:12345", f"127.0.0.1:{ports[0]}")
                                .replace("host2:12345", f"127.0.0.1:{ports[1]}")) for c in commands]
        local = [[sys.executable, *c[1:]] for c in local]  # `python` is this venv's interpreter
        results = _run_workers(local, tmp_path, timeout=480)
        if attempt == 0 and any("Could not start gRPC server" in err for _, _, err in results):
            continue
        break
    for i, (code, out, err) in enumerate(results):
        assert code == 0, f"worker {i} (return code {code}):\n{out[-2000:]}\n{err[-4000:]}"
    lines = [_LINE.search(out) for _, out, _ in results]
    assert all(lines), [out for _, out, _ in results]
    facts = [m.groups() for m in lines]
    assert [f[:2] for f in facts] == [("0", "2"), ("1", "2")]
    # Fast mode: 3 epochs over 1,024 images in global batches of 64, each worker taking 32 of each.
    assert all(f[2:5] == ("48", "64", "32") for f in facts)
    losses = [[float(v) for v in f[5].split()] for f in facts]
    assert len(losses[0]) == 3 and losses[0][-1] < 0.8 * losses[0][0]
    assert losses[0] == losses[1]  # the logged metrics are read across both workers
    assert facts[0][7] == facts[1][7]  # identical weights on both workers


_ONE_WORKER_SCRIPT = textwrap.dedent("""
    import json
    import tensorflow as tf
    strategy = tf.distribute.MultiWorkerMirroredStrategy()  # no TF_CONFIG: one local worker
    import keras, numpy as np
    from cnn_utils.training import train

    x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    build = lambda: keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    errors = {}
    for name, args, kwargs in [("arrays", (x, y), {}),
                               ("validation", (tf.data.Dataset.from_tensor_slices((x, y)).batch(16),),
                                {"validation_data": (x, y)})]:
        try:
            train(build, *args, strategy=strategy, epochs=1, verbose=0, **kwargs)
        except (TypeError, ValueError) as err:
            errors[name] = [type(err).__name__, str(err)]
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    model, history = train(build, data, strategy=strategy, epochs=4, loss="sparse_categorical_crossentropy",
                           optimizer=lambda: keras.optimizers.Adam(0.05), verbose=0)
    print(json.dumps({"errors": errors, "loss": history.history["loss"], "epoch_times": history.epoch_times,
                      "steps": int(model.optimizer.iterations.numpy())}))
""")


def test_train_under_multi_worker_strategy_on_one_worker_checks_its_inputs():
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    result = subprocess.run([sys.executable, "-c", _ONE_WORKER_SCRIPT], capture_output=True, text=True,
                            timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    facts = json.loads(result.stdout.strip().splitlines()[-1])
    assert facts["errors"]["arrays"][0] == "TypeError" and "tf.data.Dataset" in facts["errors"]["arrays"][1]
    assert facts["errors"]["validation"][0] == "ValueError" and "validation_data" in facts["errors"]["validation"][1]
    assert facts["steps"] == 4 * 64 // 16 and len(facts["epoch_times"]) == 4
    assert len(facts["loss"]) == 4 and facts["loss"][-1] < facts["loss"][0]
