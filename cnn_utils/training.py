"""Training helpers shared by the notebooks.

``train`` builds, compiles and fits a Keras model, optionally inside a
``tf.distribute.Strategy`` scope (for example ``MirroredStrategy`` over several
GPUs), and records the wall time of every epoch. ``OneLineLog`` and
``fit_quietly`` print one line per training run instead of one per epoch;
``wilson_interval`` and ``format_rate`` report an accuracy measured on a small
test set with its 95 % interval.

Several machines: ``python -m cnn_utils.training --workers host1:port,host2:port
--worker-index i`` trains the course's ConvNet on the shipped Fashion-MNIST subset
under ``tf.distribute.MultiWorkerMirroredStrategy``, one process per machine (see
:func:`main`).
"""
import argparse
import hashlib
import json
import math
import os
import statistics
import time

import keras
import tensorflow as tf

from cnn_utils.validation import check_int, check_model, check_real


class EpochTimer(keras.callbacks.Callback):
    """Record the wall time of each epoch in ``self.times`` (seconds)."""

    def on_train_begin(self, logs=None):
        self.times = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self._start)


def train(build_model, x, y=None, *, validation_data=None, epochs=10, batch_size=32,
          optimizer="adam", loss="categorical_crossentropy", metrics=("accuracy",),
          strategy=None, callbacks=(), verbose=2):
    """Build, compile and fit a model; return ``(model, history)``.

    Arguments:
        build_model: function of no arguments returning an uncompiled ``keras.Model``.
            It is called inside ``strategy.scope()`` so that variables are mirrored.
        x, y: training inputs and targets, as for ``keras.Model.fit`` (``y`` is None
            when ``x`` is a ``tf.data.Dataset``).
        optimizer: an optimizer name, or a function of no arguments returning one
            (an optimizer instance must be created inside the strategy's scope).
        strategy: a ``tf.distribute.Strategy``, or None for the default (one device). Under
            ``MultiWorkerMirroredStrategy``, ``x`` must be a ``tf.data.Dataset`` (sharded
            across the workers) and ``validation_data`` None.

    The returned history has ``history.epoch_times``: seconds per epoch.
    """
    if not callable(build_model) or isinstance(build_model, keras.Model):
        raise TypeError(f"build_model must be a function returning a keras.Model, got {type(build_model).__name__}")
    epochs = check_int("epochs", epochs, 1)
    batch_size = check_int("batch_size", batch_size, 1)
    if isinstance(metrics, str):
        raise TypeError(f"metrics must be a list or tuple of metrics, got the string {metrics!r}; "
                        f"write ({metrics!r},)")
    if x is None:
        raise ValueError("x must hold the training inputs (an array or a tf.data.Dataset), got None")
    if strategy is not None and not isinstance(strategy, tf.distribute.Strategy):
        raise TypeError(f"strategy must be a tf.distribute.Strategy or None, got {type(strategy).__name__}")
    strategy = strategy or tf.distribute.get_strategy()
    with strategy.scope():
        model = build_model()
        if not isinstance(model, keras.Model):
            raise TypeError(f"build_model must return a keras.Model, got {type(model).__name__}")
        opt = optimizer() if callable(optimizer) else optimizer
        model.compile(optimizer=opt, loss=loss, metrics=list(metrics))
    timer = EpochTimer()
    fit_kwargs = {"validation_data": validation_data, "epochs": epochs, "callbacks": [timer, *callbacks],
                  "verbose": verbose}
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        history = _fit_multi_worker(model, strategy, x, y, **fit_kwargs)
    elif isinstance(x, tf.data.Dataset):
        history = model.fit(x, y, **fit_kwargs)
    else:
        history = model.fit(x, y, batch_size=batch_size, **fit_kwargs)
    history.epoch_times = timer.times
    return model, history


def _fit_multi_worker(model, strategy, x, y, *, epochs, callbacks, verbose, validation_data=None):
    """``model.fit`` for ``MultiWorkerMirroredStrategy``: Keras's own ``train_step`` in a plain loop.

    Keras 3's ``fit`` (3.15 included) fails under this strategy: it reduces an (x, y)
    batch and scalar metrics in ways the strategy cannot (Keras issue 20585). So here
    the dataset is distributed as ``fit`` would do it (``experimental_distribute_dataset``
    shards it across workers by its ``auto_shard_policy``), every replica runs
    ``model.train_step`` (its optimizer all-reduces the gradients across workers), and
    each epoch's logs are the model's metrics read across all workers. Callbacks get
    ``on_train_begin`` / ``on_epoch_begin`` / ``on_epoch_end`` / ``on_train_end``.
    """
    if not isinstance(x, tf.data.Dataset) or y is not None:
        raise TypeError(f"x must be a tf.data.Dataset of (x, y) batches and y None under "
                        f"MultiWorkerMirroredStrategy, got x {type(x).__name__} and y {type(y).__name__}")
    if validation_data is not None:
        raise ValueError("validation_data is not supported under MultiWorkerMirroredStrategy; "
                         "evaluate the returned model instead")
    history = keras.callbacks.History()
    callbacks = keras.callbacks.CallbackList([*callbacks, history], add_progbar=verbose != 0, model=model,
                                             epochs=epochs, steps=None, verbose=verbose)
    batches = strategy.experimental_distribute_dataset(x)
    with strategy.scope():
        model._symbolic_build(data_batch=x.element_spec)  # loss, metrics and optimizer variables, mirrored

    @tf.function
    def train_step(batch):
        strategy.run(model.train_step, args=(batch,))

    model.stop_training = False
    callbacks.on_train_begin()
    for epoch in range(epochs):
        model.reset_metrics()
        callbacks.on_epoch_begin(epoch)
        for batch in batches:
            train_step(batch)
        logs = {name: float(value) for name, value in model.get_metrics_result().items()}
        callbacks.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    callbacks.on_train_end(logs)
    return history


def summary_line(logs, seconds=None, name=None, monitor="val_loss"):
    """One line that sums up a training run.

    Arguments:
        logs: a Keras History, or a dict mapping each metric name to its list of per-epoch values.
        seconds: training wall time, printed when given.
        name: a label put in front of the line.
        monitor: the validation metric whose best epoch is reported (the highest for
            accuracy, AUC, IoU, precision and recall, the lowest otherwise); skipped when
            the run has no such metric.
    Returns a string such as
    ``cnn: 20 epochs in 31.4 s; loss 0.105, accuracy 0.966; val_loss 0.231, val_accuracy 0.931; best val_loss 0.219 at epoch 14``.
    """
    logs = logs.history if hasattr(logs, "history") else logs
    if not isinstance(logs, dict) or not logs:
        raise TypeError(f"logs must be a keras History or a non-empty dict of per-epoch lists, got {logs!r}")
    epochs = len(next(iter(logs.values())))
    head = f"{epochs} epoch{'s' if epochs != 1 else ''}" + (f" in {seconds:.1f} s" if seconds is not None else "")
    keys = sorted(logs, key=lambda key: not key.endswith("loss"))  # losses first, then Keras's order
    train = ", ".join(f"{key} {logs[key][-1]:.4g}" for key in keys if not key.startswith("val_"))
    val = ", ".join(f"{key} {logs[key][-1]:.4g}" for key in keys if key.startswith("val_"))
    parts = [head] + [part for part in (train, val) if part]
    if monitor in logs:
        values = logs[monitor]
        higher_is_better = any(word in monitor for word in ("acc", "auc", "iou", "precision", "recall"))
        best = (max if higher_is_better else min)(range(epochs), key=values.__getitem__)
        parts.append(f"best {monitor} {values[best]:.4g} at epoch {best + 1}")
    return (f"{name}: " if name else "") + "; ".join(parts)


class OneLineLog(keras.callbacks.Callback):
    """Print :func:`summary_line` once, when training ends.

    Use it with ``verbose=0`` in place of Keras's per-epoch log, so that a
    notebook stores one line per run::

        model.fit(x, y, epochs=20, validation_data=(x_val, y_val), verbose=0,
                  callbacks=[training.OneLineLog("cnn")])
        # with train(): train(build, x, y, verbose=0, callbacks=[training.OneLineLog("cnn")])
    """

    def __init__(self, name=None, monitor="val_loss"):
        super().__init__()
        self.name = name
        self.monitor = monitor

    def on_train_begin(self, logs=None):
        self.logs = {}
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            self.logs.setdefault(key, []).append(float(value))

    def on_train_end(self, logs=None):
        if self.logs:
            print(summary_line(self.logs, time.perf_counter() - self._start, self.name, self.monitor))


def fit_quietly(model, x=None, y=None, *, name=None, monitor="val_loss", callbacks=(), **fit_kwargs):
    """``model.fit`` that prints one summary line instead of a log per epoch; returns the History.

    Arguments are those of ``keras.Model.fit`` (``verbose`` is set to 0), plus
    ``name`` and ``monitor`` for :class:`OneLineLog`. Like :func:`train`, the
    returned history has ``history.epoch_times``: seconds per epoch.
    """
    check_model("model", model)
    timer = EpochTimer()
    history = model.fit(x, y, verbose=0, callbacks=[timer, *callbacks, OneLineLog(name, monitor)], **fit_kwargs)
    history.epoch_times = timer.times
    return history


def wilson_interval(successes, n, confidence=0.95):
    """Wilson score interval for a proportion measured as ``successes`` out of ``n`` trials.

    With p = successes / n and z the normal quantile of (1 + confidence) / 2:

        centre = (p + z^2 / 2n) / (1 + z^2 / n)
        half   = z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / 4n^2)

    Unlike p +- z sqrt(p (1 - p) / n), it stays inside [0, 1] and does not
    collapse to a point at 0 or n successes, so it suits small test sets.
    Returns ``(low, high)``.
    """
    successes = check_int("successes", successes, 0)
    n = check_int("n", n, 1)
    if successes > n:
        raise ValueError(f"successes must be at most n = {n}, got {successes}")
    confidence = check_real("confidence", confidence, 0, 1)
    if confidence in (0.0, 1.0):
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    z = statistics.NormalDist().inv_cdf(0.5 + confidence / 2)
    p = successes / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return max(0.0, centre - half), min(1.0, centre + half)


def format_rate(successes, n, confidence=0.95):
    """A measured rate with its Wilson interval, e.g. ``"0.912 (95 % CI 0.88-0.93, n = 500)"`` for 456 of 500."""
    low, high = wilson_interval(successes, n, confidence)
    return f"{successes / n:.3f} ({100 * confidence:g} % CI {low:.2f}-{high:.2f}, n = {n})"


# --------------------------------------------------------------------------- several machines
def worker_config(workers, index):
    """The ``TF_CONFIG`` of one worker of a multi-worker cluster, as a dict.

    Arguments:
        workers: the cluster, ``"host:port"`` of every worker, in the same order on every
            machine (a list, or one comma-separated string); worker 0 is the chief.
        index: this worker's position in ``workers``.
    Returns ``{"cluster": {"worker": [...]}, "task": {"type": "worker", "index": index}}``.
    """
    if isinstance(workers, str):
        workers = workers.split(",")
    if not isinstance(workers, (list, tuple)) or not workers:
        raise TypeError(f"workers must be a non-empty list of 'host:port' strings, got {workers!r}")
    for address in workers:
        if not isinstance(address, str):
            raise TypeError(f"workers must hold 'host:port' strings, got {address!r}")
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"workers must hold 'host:port' addresses (port 1..65535), got {address!r}")
    if len(set(workers)) != len(workers):
        raise ValueError(f"workers must not repeat an address, got {list(workers)}")
    index = check_int("index", index, 0)
    if index >= len(workers):
        raise ValueError(f"index must be below the number of workers ({len(workers)}), got {index}")
    return {"cluster": {"worker": list(workers)}, "task": {"type": "worker", "index": index}}


def fashion_mnist_batches(batch_size, n=None, seed=0):
    """The shipped Fashion-MNIST training subset as a ``tf.data.Dataset`` of global batches.

    Elements: x (batch_size, 28, 28, 1) float32 in [0, 1] and y (batch_size,) int64 in 0..9;
    the first ``n`` images (all 6,000 when None), shuffled with ``seed`` every epoch, last
    partial batch dropped. Under a multi-worker strategy Keras shards it across workers
    (``AutoShardPolicy.DATA``): every worker reads the same order and keeps its share of
    each global batch, so the same seed must be used on every machine.
    """
    from cnn_utils.datasets import load_fashion_mnist

    batch_size = check_int("batch_size", batch_size, 1)
    x, y = load_fashion_mnist()[:2]
    n = len(y) if n is None else check_int("n", n, batch_size)
    if n > len(y):
        raise ValueError(f"n must be at most the {len(y)} training images, got {n}")
    x = (x[:n, :, :, None] / 255.0).astype("float32")
    dataset = (tf.data.Dataset.from_tensor_slices((x, y[:n]))
               .shuffle(n, seed=seed, reshuffle_each_iteration=True)
               .batch(batch_size, drop_remainder=True))
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def weights_digest(model):
    """SHA-256 of a model's weights (float32 bytes, in order): equal digests mean equal weights."""
    check_model("model", model)
    digest = hashlib.sha256()
    for weight in model.get_weights():
        digest.update(weight.astype("float32").tobytes())
    return digest.hexdigest()


def main(argv=None):
    """Train the course's ConvNet on Fashion-MNIST with one worker process per machine.

        python -m cnn_utils.training --workers host1:12345,host2:12345 --worker-index 0   # on host1
        python -m cnn_utils.training --workers host1:12345,host2:12345 --worker-index 1   # on host2

    Each process sets its ``TF_CONFIG`` (:func:`worker_config`) and runs :func:`train`
    under ``MultiWorkerMirroredStrategy``; training starts when every worker has
    joined. Prints one line per worker: loss by epoch, time, and the weights' SHA-256,
    the same on every machine since gradients are all-reduced at each step.
    """
    from cnn_utils.config import choose, set_seed
    from cnn_utils.convnets import convolutional_model

    parser = argparse.ArgumentParser(prog="python -m cnn_utils.training",
                                     description="Train on several machines with MultiWorkerMirroredStrategy.")
    parser.add_argument("--workers", required=True,
                        help="host:port of every worker, comma-separated, the same on every machine")
    parser.add_argument("--worker-index", type=int, required=True, help="this machine's position in --workers")
    parser.add_argument("--epochs", type=int, default=choose(full=10, fast=3))
    parser.add_argument("--batch-size", type=int, default=64, help="global batch, split over the workers")
    args = parser.parse_args(argv)
    try:
        tf_config = worker_config(args.workers, args.worker_index)
    except (TypeError, ValueError) as err:
        parser.error(str(err))
    os.environ["TF_CONFIG"] = json.dumps(tf_config)
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    set_seed(0)
    data = fashion_mnist_batches(args.batch_size, n=choose(full=None, fast=1024))
    model, history = train(lambda: convolutional_model((28, 28, 1), classes=10), data, epochs=args.epochs,
                           optimizer=lambda: keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                           strategy=strategy, verbose=0)
    workers = len(tf_config["cluster"]["worker"])
    losses = " ".join(f"{value:.4f}" for value in history.history["loss"])
    print(f"worker {args.worker_index} of {workers}: {int(model.optimizer.iterations.numpy())} steps of "
          f"{args.batch_size} examples ({args.batch_size // strategy.num_replicas_in_sync} per replica); "
          f"loss by epoch {losses}; accuracy {history.history['accuracy'][-1]:.3f}; "
          f"{sum(history.epoch_times):.1f} s; weights sha256 {weights_digest(model)}", flush=True)


if __name__ == "__main__":
    main()
