"""Training helpers shared by the notebooks.

``train`` builds, compiles and fits a Keras model, optionally inside a
``tf.distribute.Strategy`` scope (for example ``MirroredStrategy`` over several
GPUs), and records the wall time of every epoch.
"""
import time

import keras
import tensorflow as tf

from cnn_utils.validation import check_int


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
