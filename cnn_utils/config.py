"""Project configuration: fast mode, seeds, data paths and atomic file writes.

Fast mode is switched on with the environment variable ``CNN_FAST=1``. It is
what ``make test`` uses: notebooks shrink epochs, dataset sizes, image sizes
and iteration counts through :func:`choose`. Full mode (the default) is what a
learner gets.
"""
import contextlib
import os
from pathlib import Path

import numpy as np

FAST_ENV = "CNN_FAST"

ROOT_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT_DIR / "data"
ASSET_DIR = DATA_DIR / "assets"  # pretrained files made by `make assets` (not committed)
CACHE_DIR = DATA_DIR / "cache"  # generated data sets (not committed)


def fast_mode():
    """True when the environment variable ``CNN_FAST`` is set to 1/true/yes."""
    return os.environ.get(FAST_ENV, "").strip().lower() in ("1", "true", "yes")


def choose(full, fast):
    """Return ``fast`` in fast mode and ``full`` otherwise.

    Example: ``epochs = choose(full=20, fast=1)``.
    """
    return fast if fast_mode() else full


def set_seed(seed=0):
    """Seed Python, NumPy, TensorFlow and Keras so that runs repeat.

    It also starts TensorFlow's runtime, so that its start-up messages appear
    in the cell that calls this (a notebook's first cell) and not in a later one.

    Arguments:
        seed: integer in 0 .. 2**32 - 1 (NumPy's range).
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an integer, got {type(seed).__name__}")
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must lie in 0 .. 2**32 - 1, got {seed}")
    import keras
    import tensorflow as tf

    tf.config.list_logical_devices()
    keras.utils.set_random_seed(seed)  # seeds Python's random, NumPy and TensorFlow


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; rename it to ``path`` only on success.

    Nothing half-written is left on disk: if the block raises, the temporary
    file is removed and ``path`` keeps its previous content (or stays absent).

        with atomic_path(target) as tmp:
            np.savez(tmp, ...)
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
