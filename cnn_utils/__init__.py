"""Layers, models and helpers for the cnn-course notebooks.

One concept per module; import the module you need, for example
``from cnn_utils import numpy_cnn`` or ``from cnn_utils.resnet import ResNet50``.

Importing ``cnn_utils`` imports TensorFlow quietly: the lines its C++ core
writes while it loads and probes for GPUs (absl's "All log messages before
absl::InitializeLog()" notice, oneDNN and CPU-feature notes, and the CUDA
"could not find drivers" / "failed call to cuInit" lines of a machine without a
GPU) are dropped; anything else it writes is passed on. Import ``cnn_utils``
before ``keras`` or ``tensorflow`` for this to work. GPUs are not hidden: a
machine with one uses it. Set ``TF_CPP_MIN_LOG_LEVEL=0`` to see every line.
"""
import os
import re
import sys
import tempfile

# TensorFlow's C++ log level once it has started: warnings and errors only.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"

# What TensorFlow's C++ core writes to file descriptor 2 while it loads, before its
# log level applies: info and warning records of the absl format ("I0000 00:00:... file.cc:31] ...")
# and their continuation lines, absl's own notice, and the CUDA driver error of a machine without a GPU.
STARTUP_NOISE = re.compile(
    r"WARNING: All log messages before absl::InitializeLog\(\)"
    r"|[IW]\d{4} [\d:.]+ +\d+ \S+:\d+\] "
    r"|E\d{4} [\d:.]+ +\d+ \S+:\d+\] .*cuInit"
    r"|To enable the following instructions: ")


def _import_tensorflow_quietly():
    """Import TensorFlow and list its devices with file descriptor 2 captured; pass on what is not noise."""
    if sys.stderr is not None:
        sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no file descriptor 2 (a windowed process): nothing to keep quiet
        import tensorflow  # noqa: F401

        return
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow as tf

            tf.config.list_physical_devices()  # the GPU probe writes the last start-up lines
        finally:
            if sys.stderr is not None:
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            lines = captured.read().decode(errors="replace").splitlines(keepends=True)
            kept = "".join(line for line in lines if not STARTUP_NOISE.match(line))
            if kept and sys.stderr is not None:
                sys.stderr.write(kept)


if "tensorflow" not in sys.modules and os.environ["TF_CPP_MIN_LOG_LEVEL"] != "0":
    _import_tensorflow_quietly()
