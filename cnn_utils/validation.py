"""Argument checks shared by every module of ``cnn_utils``.

Each check raises ``TypeError`` when a value has the wrong type and ``ValueError``
when it has the right type but a wrong value, with a message that names the
argument and says what was expected. Each returns the value, normalised.
"""
import numbers
import os
from pathlib import Path

import numpy as np


def check_int(name, value, minimum=None):
    """An integer (not a bool) >= ``minimum``; returned as a Python int."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        expected = "an integer" if minimum is None else f"an integer >= {minimum}"
        raise TypeError(f"{name} must be {expected}, got {type(value).__name__} {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_real(name, value, low=None, high=None):
    """A real number (not a bool, not NaN) in [low, high]; returned as a Python float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    if np.isnan(value) or (low is not None and value < low) or (high is not None and value > high):
        bounds = f"[{'-inf' if low is None else low}, {'inf' if high is None else high}]"
        raise ValueError(f"{name} must be a number in {bounds}, got {value!r}")
    return float(value)


def check_shape(name, shape, rank=None):
    """A tuple or list of ``rank`` positive integers (any non-empty length when ``rank``
    is None); returned as a tuple of ints."""
    expected = (f"a tuple of {rank} positive integers" if rank is not None
                else "a non-empty tuple of positive integers")
    if not isinstance(shape, (tuple, list)) or not all(
            isinstance(d, numbers.Integral) and not isinstance(d, bool) for d in shape):
        raise TypeError(f"{name} must be {expected}, got {type(shape).__name__} {shape!r}")
    if (len(shape) != rank if rank is not None else not shape) or not all(d > 0 for d in shape):
        raise ValueError(f"{name} must be {expected}, got {shape!r}")
    return tuple(int(d) for d in shape)


def check_path(name, value):
    """A ``str`` or ``os.PathLike``; returned as a ``Path``."""
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path (str or os.PathLike), got {type(value).__name__}")
    return Path(value)


def check_seed(name, seed):
    """None or an integer in 0 .. 2**32 - 1 (what NumPy and Keras accept)."""
    if seed is None:
        return None
    seed = check_int(name, seed, 0)
    if seed >= 2**32:
        raise ValueError(f"{name} must be an integer in 0 .. 2**32 - 1, got {seed}")
    return seed


def check_model(name, model):
    """A ``keras.Model``."""
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"{name} must be a keras.Model, got {type(model).__name__}")
    return model


def check_image(name, image, ndim=(2, 3)):
    """An image as a NumPy array of finite real numbers whose rank is in ``ndim``
    ((H, W) is 2, (H, W, C) is 3, a batch (m, H, W, C) is 4); returned as an array.

    Accepts anything ``np.asarray`` reads (arrays, tensors, PIL images) holding
    numbers or booleans (a mask). NaN or infinite values, text and objects are
    refused: an image made of them is not an image.
    """
    if image is None or isinstance(image, (str, bytes, os.PathLike)):
        raise TypeError(f"{name} must be an image array, got {type(image).__name__}")
    array = np.asarray(image)
    if array.dtype.kind not in "buif":
        raise TypeError(f"{name} must hold real numbers, got an array of dtype {array.dtype}")
    if array.ndim not in ndim:
        raise ValueError(f"{name} must be an array with {' or '.join(map(str, ndim))} axes, got shape {array.shape}")
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise ValueError(f"{name} must hold finite values, got {np.isnan(array).sum()} NaN and "
                         f"{np.isinf(array).sum()} infinite values")
    return array


def open_image(name, path, mode="RGB"):
    """Open an image file with Pillow, converted to ``mode``; returned as a loaded ``PIL.Image``.

    A missing file raises ``FileNotFoundError`` and a file that is not an image
    (or is truncated) raises ``ValueError``, both naming the argument.
    """
    from PIL import Image

    path = check_path(name, path)
    if not path.is_file():
        raise FileNotFoundError(f"{name}: no image file at {path}")
    try:
        with Image.open(path) as image:
            return image.convert(mode)
    except (OSError, SyntaxError, ValueError) as error:
        raise ValueError(f"{name} must be an image file (JPEG, PNG, ...), but Pillow cannot read {path}: {error}") \
            from error
