"""Training helpers shared by the notebooks.

``train`` builds, compiles and fits a Keras model, optionally inside a
``tf.distribute.Strategy`` scope (for example ``MirroredStrategy`` over several
GPUs), and records the wall time of every epoch. ``OneLineLog`` and
``fit_quietly`` print one line per training run instead of one per epoch;
``wilson_interval`` and ``format_rate`` report an accuracy measured on a small
test set with its 95 % interval.
"""
import math
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
        strategy: a ``tf.distribute.Strategy``, or None for the default (one device).

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
    fit_kwargs = {} if isinstance(x, tf.data.Dataset) else {"batch_size": batch_size}
    history = model.fit(x, y, validation_data=validation_data, epochs=epochs,
                        callbacks=[timer, *callbacks], verbose=verbose, **fit_kwargs)
    history.epoch_times = timer.times
    return model, history


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
