"""Project configuration: fast mode, seeds, data paths, progress bars and atomic file writes.

Paths: ``DATA_DIR`` holds the committed files the code reads (``data/`` of the
checkout, or ``cnn_utils/_data/`` inside an installed wheel). ``ASSET_DIR``
(pretrained weights) and ``CACHE_DIR`` (generated data) live under
:func:`course_home`: ``$CNN_COURSE_HOME`` when set, ``data/`` in a checkout,
else ``~/.cache/cnn-course``.

Fast mode is switched on with the environment variable ``CNN_FAST=1``. It is
what ``make test`` uses: notebooks shrink epochs, dataset sizes, image sizes
and iteration counts through :func:`choose`. Full mode (the default) is what a
learner gets.
"""
import contextlib
import os
import sys
from pathlib import Path

import numpy as np
from tqdm import tqdm

FAST_ENV = "CNN_FAST"

HOME_ENV = "CNN_COURSE_HOME"

PACKAGE_DIR = Path(__file__).resolve().parent
ROOT_DIR = PACKAGE_DIR.parent
# The wheel ships the checkout's committed data/ as the package folder cnn_utils/_data/.
IN_CHECKOUT = not (PACKAGE_DIR / "_data").is_dir()


def course_home(environ=None, in_checkout=IN_CHECKOUT):
    """Folder for prepared assets and generated caches, like Keras' ``~/.keras``.

    ``$CNN_COURSE_HOME`` when set; otherwise ``data/`` of the checkout when the
    package runs from one (the notebooks and ``make``), else ``~/.cache/cnn-course``
    (an installed wheel: nothing is ever written into ``site-packages``).
    """
    environ = os.environ if environ is None else environ
    home = environ.get(HOME_ENV, "").strip()
    if home:
        return Path(home).expanduser().resolve()
    if in_checkout:
        return ROOT_DIR / "data"
    return Path.home() / ".cache" / "cnn-course"


# Shipped, read-only files: paintings, Darknet cfgs, class names, photos (the checkout's data/).
DATA_DIR = ROOT_DIR / "data" if IN_CHECKOUT else PACKAGE_DIR / "_data"
# Written by the code, never committed nor packaged (read once, at import: set CNN_COURSE_HOME before).
HOME_DIR = course_home()
ASSET_DIR = HOME_DIR / "assets"  # pretrained files made by `make assets` / `python -m cnn_utils.pretrained`
CACHE_DIR = HOME_DIR / "cache"  # generated data sets


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

    Arguments:
        seed: integer in 0 .. 2**32 - 1 (NumPy's range).
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an integer, got {type(seed).__name__}")
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must lie in 0 .. 2**32 - 1, got {seed}")
    import keras

    keras.utils.set_random_seed(seed)  # seeds Python's random, NumPy and TensorFlow


def interactive():
    """True when a person watches the output as it comes.

    That is a Jupyter kernel whose front end lets code ask for input (JupyterLab,
    Notebook, VS Code), or a terminal. It is False when a notebook is executed
    without a person (nbconvert, nbclient and nbval send ``allow_stdin=False``:
    ``make run``, ``make refresh``, ``make test``) and when stderr goes to a file or pipe.
    """
    ipython = sys.modules.get("IPython")
    kernel = getattr(ipython.get_ipython(), "kernel", None) if ipython else None
    if kernel is not None:
        return bool(getattr(kernel, "_allow_stdin", True))
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


class _Discard:
    def write(self, text):
        pass

    def flush(self):
        pass


class _FinalLineBar(tqdm):
    """A tqdm bar that draws nothing while it runs and prints its final state as one line when it closes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, file=_Discard(), smoothing=0, **kwargs)

    def close(self):
        if not self.disable:  # tqdm sets disable once closed: print only once
            line = str(self)
            super().close()
            print(line, flush=True)


def progress(iterable=None, desc=None, total=None, **kwargs):
    """A tqdm progress bar for a long loop: live for a person, one stored line otherwise.

    Interactively (see :func:`interactive`) it is a plain ``tqdm`` bar that
    updates in place. When a notebook is executed without a person, nothing is
    drawn while the loop runs and the bar's final state is printed (to stdout)
    as one line when it closes, so the stored output holds that line instead of
    dozens of ``\\r`` fragments::

        style transfer: 100%|##########| 250/250 [01:55<00:00,  2.17step/s, J=1.2e+04]

    Arguments are those of ``tqdm.tqdm``. Use it around an iterable, or as a
    context manager that you ``update()``::

        for image in config.progress(images, desc="features"):
            ...
    """
    bar = tqdm if interactive() else _FinalLineBar
    return bar(iterable, desc=desc, total=total, **kwargs)


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
