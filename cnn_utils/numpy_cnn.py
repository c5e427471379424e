"""Convolution and pooling layers in NumPy, forward and backward (Week 1, part 1).

Shapes are channels-last, as in the course:

- ``A_prev``: activations of the previous layer, ``(m, n_H_prev, n_W_prev, n_C_prev)``
- ``W``: filters, ``(f, f, n_C_prev, n_C)``
- ``b``: biases, ``(1, 1, 1, n_C)``
- ``Z`` / ``A``: outputs, ``(m, n_H, n_W, n_C)`` with
  ``n_H = floor((n_H_prev + 2 * pad - f) / stride) + 1`` (same for widths).

The course's functions (``zero_pad``, ``conv_single_step``, ``conv_forward``,
``pool_forward``, ``conv_backward``, ``create_mask_from_window``,
``distribute_value``, ``pool_backward``) are the code the W1-1 exercises teach:
explicit ``for`` loops over examples, rows, columns and channels, one output
value at a time. The layers check their arguments first, since that is where a
learner's arrays come in.

Each layer also has a vectorized variant that computes the same numbers much
faster (``conv_forward_vectorized``, ``conv_backward_vectorized``,
``pool_forward_vectorized``, ``pool_backward_vectorized``). All windows of the
input are viewed at once with :func:`numpy.lib.stride_tricks.sliding_window_view`
(no copy); ``conv_forward_vectorized`` copies them into the rows of one matrix
(im2col) and multiplies it by the filters, ``pool_forward_vectorized`` reduces
the view directly, and the backward passes loop only over the ``f * f`` offsets
inside a window, each step updating all windows of all examples at once. Both
return the same ``cache``, so either backward pass accepts either forward cache.
:func:`conv_transpose_forward` (Week 3, U-Net) runs a transposed convolution.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cnn_utils.validation import check_image, check_int, check_shape

POOL_MODES = ("max", "average")


# ----------------------------------------------------------------------------- checks at the layers' entry


def _as_4d(name, array):
    """A 4-D array of finite real numbers."""
    array = np.asarray(array)
    if array.ndim != 4:
        raise ValueError(f"{name} must be a 4-D array, got shape {array.shape}")
    return check_image(name, array, ndim=(4,))


def _hparameter(hparameters, key, minimum):
    if not isinstance(hparameters, dict):
        raise TypeError(f"hparameters must be a dict, got {type(hparameters).__name__}")
    if key not in hparameters:
        raise ValueError(f"hparameters must contain {key!r}; it has {sorted(hparameters)}")
    return check_int(f"hparameters[{key!r}]", hparameters[key], minimum)


def _output_size(n, f, stride, pad, name):
    """floor((n + 2 * pad - f) / stride) + 1 for a convolution whose filter size f is W.shape[0]."""
    if f > n + 2 * pad:
        raise ValueError(
            f"W's filter size f={f} (W.shape[0]) is larger than the padded input: {name} is {n} "
            f"(+ 2 * pad = {n + 2 * pad})"
        )
    return (n + 2 * pad - f) // stride + 1


def _check_conv_inputs(A_prev, W, b, hparameters, window=True):
    """Validate the arguments of a convolution (whose filter must fit the padded input when
    ``window``); return A_prev, W and b as arrays."""
    A_prev = _as_4d("A_prev", A_prev)
    W = _as_4d("W", W)
    b = np.asarray(b)
    f, f_w, n_C_prev, n_C = W.shape
    if f != f_w:
        raise ValueError(f"W must hold square filters (f, f, n_C_prev, n_C), got shape {W.shape}")
    if A_prev.shape[3] != n_C_prev:
        raise ValueError(
            f"A_prev has {A_prev.shape[3]} channels but W expects n_C_prev={n_C_prev} "
            f"(A_prev shape {A_prev.shape}, W shape {W.shape})"
        )
    if b.shape != (1, 1, 1, n_C):
        raise ValueError(f"b must have shape (1, 1, 1, {n_C}) to match W, got {b.shape}")
    stride = _hparameter(hparameters, "stride", 1)
    pad = _hparameter(hparameters, "pad", 0)
    if window:
        _output_size(A_prev.shape[1], f, stride, pad, "A_prev height")
        _output_size(A_prev.shape[2], f, stride, pad, "A_prev width")
    return A_prev, W, b


def _check_pool_inputs(A_prev, hparameters, mode):
    """Validate the arguments of a pooling layer; return A_prev as an array."""
    A_prev = _as_4d("A_prev", A_prev)
    if mode not in POOL_MODES:
        raise ValueError(f"mode must be one of {POOL_MODES}, got {mode!r}")
    f = _hparameter(hparameters, "f", 1)
    _hparameter(hparameters, "stride", 1)
    for axis, name in ((1, "A_prev height"), (2, "A_prev width")):
        if f > A_prev.shape[axis]:
            raise ValueError(f"hparameters['f']={f} is larger than the input: {name} is {A_prev.shape[axis]}")
    return A_prev


def _check_grad(name, grad, shape):
    grad = _as_4d(name, grad)
    if grad.shape != tuple(shape):
        raise ValueError(f"{name} must have the forward output's shape {tuple(shape)}, got {grad.shape}")
    return grad


def _check_cache(cache, length):
    if not isinstance(cache, tuple) or len(cache) != length:
        raise ValueError(f"cache must be the {length}-tuple returned by the forward pass")
    return cache


def _check_conv_backward(dZ, cache):
    """Validate a convolution's backward arguments; return dZ and the cache, as arrays."""
    A_prev, W, b = _check_conv_inputs(*_check_cache(cache, 4))
    hparameters = cache[3]
    dZ = _check_grad("dZ", dZ, conv_output_shape(A_prev.shape, W.shape, hparameters["stride"], hparameters["pad"]))
    return dZ, (A_prev, W, b, hparameters)


def _check_pool_backward(dA, cache, mode):
    """Validate a pooling layer's backward arguments; return dA and the cache, as arrays."""
    A_prev, hparameters = _check_cache(cache, 2)
    A_prev = _check_pool_inputs(A_prev, hparameters, mode)
    dA = _check_grad("dA", dA, _pool_output_shape(A_prev.shape, hparameters["f"], hparameters["stride"]))
    return dA, (A_prev, hparameters)


def conv_output_shape(A_shape, W_shape, stride, pad):
    """Return ``(m, n_H, n_W, n_C)`` of a convolution, using floor((n + 2p - f) / s) + 1.

    Arguments:
        A_shape: (m, n_H_prev, n_W_prev, n_C_prev); W_shape: (f, f, n_C_prev, n_C);
        stride: integer >= 1; pad: integer >= 0.
    """
    m, n_H_prev, n_W_prev, _ = check_shape("A_shape", A_shape, 4)
    f, _, _, n_C = check_shape("W_shape", W_shape, 4)
    stride = check_int("stride", stride, 1)
    pad = check_int("pad", pad, 0)
    n_H = _output_size(n_H_prev, f, stride, pad, "A_prev height")
    n_W = _output_size(n_W_prev, f, stride, pad, "A_prev width")
    return m, n_H, n_W, n_C


def _pool_output_shape(A_shape, f, stride):
    """Return ``(m, n_H, n_W, n_C)`` of a pooling layer (no padding), using floor((n - f) / s) + 1."""
    m, n_H_prev, n_W_prev, n_C = A_shape
    return m, (n_H_prev - f) // stride + 1, (n_W_prev - f) // stride + 1, n_C


# ----------------------------------------------------------------------------- building blocks


def zero_pad(X, pad):
    """Pad the height and width of a batch of images with zeros.

    Arguments:
        X: array of shape (m, n_H, n_W, n_C).
        pad: integer >= 0, the number of zeros added on each side of the height and width.
    Returns:
        X_pad: array of shape (m, n_H + 2 * pad, n_W + 2 * pad, n_C).
    """
    X_pad = np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="constant", constant_values=0)
    return X_pad


def conv_single_step(a_slice_prev, W, b):
    """Apply one filter to one window: sum(a_slice_prev * W) + b.

    Arguments:
        a_slice_prev: window of the input, shape (f, f, n_C_prev).
        W: one filter, shape (f, f, n_C_prev).
        b: its bias, shape (1, 1, 1).
    Returns:
        Z: a NumPy float64 scalar.
    """
    s = np.multiply(a_slice_prev, W)
    Z = np.sum(s)
    Z = Z + np.float64(b.item())
    return Z


def create_mask_from_window(x):
    """Return a boolean mask, True where ``x`` (shape (f, f)) holds its maximum."""
    mask = x == np.max(x)
    return mask


def distribute_value(dz, shape):
    """Spread the scalar ``dz`` evenly over an array of ``shape`` (n_H, n_W)."""
    (n_H, n_W) = shape
    average = dz / (n_H * n_W)
    a = np.ones(shape) * average
    return a


# ----------------------------------------------------------------------------- the course's layers


def conv_forward(A_prev, W, b, hparameters):
    """Convolution forward pass, one output value at a time (the W1-1 exercise).

    Arguments:
        A_prev: (m, n_H_prev, n_W_prev, n_C_prev); W: (f, f, n_C_prev, n_C); b: (1, 1, 1, n_C).
        hparameters: dict with "stride" (>= 1) and "pad" (>= 0).
    Returns:
        Z: (m, n_H, n_W, n_C); cache: (A_prev, W, b, hparameters) for conv_backward.
    """
    A_prev, W, b = _check_conv_inputs(A_prev, W, b, hparameters)
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    n_H = (n_H_prev + 2 * pad - f) // stride + 1
    n_W = (n_W_prev + 2 * pad - f) // stride + 1
    Z = np.zeros((m, n_H, n_W, n_C))
    A_prev_pad = zero_pad(A_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                a_slice_prev = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                for c in range(n_C):
                    Z[i, h, w, c] = conv_single_step(a_slice_prev, W[:, :, :, c], b[:, :, :, c])
    cache = (A_prev, W, b, hparameters)
    return Z, cache


def pool_forward(A_prev, hparameters, mode="max"):
    """Pooling forward pass, one output value at a time (the W1-1 exercise).

    Arguments:
        A_prev: (m, n_H_prev, n_W_prev, n_C).
        hparameters: dict with "f" (window size) and "stride"; no padding.
        mode: "max" or "average".
    Returns:
        A: (m, n_H, n_W, n_C) with n_H = floor((n_H_prev - f) / stride) + 1;
        cache: (A_prev, hparameters) for pool_backward.
    """
    A_prev = _check_pool_inputs(A_prev, hparameters, mode)
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    f = hparameters["f"]
    stride = hparameters["stride"]
    n_H = (n_H_prev - f) // stride + 1
    n_W = (n_W_prev - f) // stride + 1
    n_C = n_C_prev
    A = np.zeros((m, n_H, n_W, n_C))
    for i in range(m):
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                for c in range(n_C):
                    a_prev_slice = A_prev[i, vert_start:vert_end, horiz_start:horiz_end, c]
                    if mode == "max":
                        A[i, h, w, c] = np.max(a_prev_slice)
                    elif mode == "average":
                        A[i, h, w, c] = np.mean(a_prev_slice)
    cache = (A_prev, hparameters)
    return A, cache


def conv_backward(dZ, cache):
    """Convolution backward pass, one output value at a time (the W1-1 exercise).

    Arguments:
        dZ: gradient of the cost with respect to Z, (m, n_H, n_W, n_C).
        cache: the cache returned by conv_forward or conv_forward_vectorized.
    Returns:
        dA_prev: (m, n_H_prev, n_W_prev, n_C_prev); dW: (f, f, n_C_prev, n_C); db: (1, 1, 1, n_C).
    """
    dZ, cache = _check_conv_backward(dZ, cache)
    (A_prev, W, b, hparameters) = cache
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    (m, n_H, n_W, n_C) = dZ.shape
    dA_prev = np.zeros(A_prev.shape)
    dW = np.zeros(W.shape)
    db = np.zeros(b.shape)
    A_prev_pad = zero_pad(A_prev, pad)
    dA_prev_pad = zero_pad(dA_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        da_prev_pad = dA_prev_pad[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                a_slice = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                for c in range(n_C):
                    da_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :] += W[:, :, :, c] * dZ[i, h, w, c]
                    dW[:, :, :, c] += a_slice * dZ[i, h, w, c]
                    db[:, :, :, c] += dZ[i, h, w, c]
    dA_prev = dA_prev_pad[:, pad:pad + n_H_prev, pad:pad + n_W_prev, :]
    return dA_prev, dW, db


def pool_backward(dA, cache, mode="max"):
    """Pooling backward pass, one output value at a time (the W1-1 exercise).

    Max pooling sends each gradient to the window's maximum (to every position
    that ties for it); average pooling spreads it evenly over the window.

    Arguments:
        dA: gradient with respect to the pooling output, (m, n_H, n_W, n_C).
        cache: the cache returned by pool_forward or pool_forward_vectorized.
        mode: "max" or "average", as in the forward pass.
    Returns:
        dA_prev: (m, n_H_prev, n_W_prev, n_C).
    """
    dA, cache = _check_pool_backward(dA, cache, mode)
    (A_prev, hparameters) = cache
    stride = hparameters["stride"]
    f = hparameters["f"]
    m, n_H, n_W, n_C = dA.shape
    dA_prev = np.zeros(A_prev.shape)
    for i in range(m):
        a_prev = A_prev[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                for c in range(n_C):
                    if mode == "max":
                        a_prev_slice = a_prev[vert_start:vert_end, horiz_start:horiz_end, c]
                        mask = create_mask_from_window(a_prev_slice)
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += mask * dA[i, h, w, c]
                    elif mode == "average":
                        da = dA[i, h, w, c]
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += distribute_value(da, (f, f))
    return dA_prev


# ----------------------------------------------------------------------------- vectorized versions


def _windows(A, f, stride, n_H, n_W):
    """View every f x f window of A (m, H, W, C) as an array (m, n_H, n_W, C, f, f), without copying."""
    windows = sliding_window_view(A, (f, f), axis=(1, 2))
    return windows[:, ::stride, ::stride][:, :n_H, :n_W]


def _im2col(A_pad, f, stride, n_H, n_W):
    """Copy every window of A_pad (m, H, W, C) into one row: returns (m * n_H * n_W, f * f * C).

    Each row lists its window in W's (f, f, C) order, so ``cols @ W.reshape(-1, n_C)`` is the convolution.
    """
    windows = _windows(A_pad, f, stride, n_H, n_W).transpose(0, 1, 2, 4, 5, 3)  # (m, n_H, n_W, f, f, C)
    return np.ascontiguousarray(windows).reshape(-1, f * f * A_pad.shape[3])


def _offset_slice(start, stride, count):
    """Positions start, start + stride, ..., of the count windows: where offset ``start`` of each lands."""
    return slice(start, start + stride * (count - 1) + 1, stride)


def conv_forward_vectorized(A_prev, W, b, hparameters):
    """Convolution forward pass, vectorized. Same arguments and returns as conv_forward.

    The windows are copied into the rows of one matrix (im2col) and multiplied by
    the filters reshaped to (f * f * n_C_prev, n_C): one matrix product does all
    the work.

    Arguments:
        A_prev: (m, n_H_prev, n_W_prev, n_C_prev); W: (f, f, n_C_prev, n_C); b: (1, 1, 1, n_C).
        hparameters: dict with "stride" (>= 1) and "pad" (>= 0).
    Returns:
        Z: (m, n_H, n_W, n_C); cache: (A_prev, W, b, hparameters) for conv_backward.
    """
    A_prev, W, b = _check_conv_inputs(A_prev, W, b, hparameters)
    stride, pad = hparameters["stride"], hparameters["pad"]
    m, n_H, n_W, n_C = conv_output_shape(A_prev.shape, W.shape, stride, pad)
    cols = _im2col(zero_pad(A_prev, pad), W.shape[0], stride, n_H, n_W)  # (m * n_H * n_W, f * f * n_C_prev)
    Z = cols @ W.reshape(-1, n_C) + b.reshape(n_C)
    return Z.reshape(m, n_H, n_W, n_C), (A_prev, W, b, hparameters)


def conv_backward_vectorized(dZ, cache):
    """Convolution backward pass, vectorized. Same arguments and returns as conv_backward.

    dW and db are matrix products and sums over the im2col matrix; dA_prev adds
    each window's gradient back in place with a loop over the f * f offsets only
    (col2im), in a channels-first layout so that the additions run over
    contiguous rows.

    Arguments:
        dZ: (m, n_H, n_W, n_C); cache: from conv_forward or conv_forward_vectorized.
    Returns:
        dA_prev: (m, n_H_prev, n_W_prev, n_C_prev); dW: (f, f, n_C_prev, n_C); db: (1, 1, 1, n_C).
    """
    dZ, (A_prev, W, b, hparameters) = _check_conv_backward(dZ, cache)
    stride, pad = hparameters["stride"], hparameters["pad"]
    m, n_H, n_W, n_C = dZ.shape
    dZ = dZ.reshape(-1, n_C)
    f, _, n_C_prev, _ = W.shape
    A_prev_pad = zero_pad(A_prev, pad)
    cols = _im2col(A_prev_pad, f, stride, n_H, n_W)  # (m * n_H * n_W, f * f * n_C_prev)
    dW = (cols.T @ dZ).reshape(W.shape)
    db = dZ.sum(axis=0).reshape(1, 1, 1, n_C)
    # gradient of every window, channels first: (f, f, n_C_prev, m, n_H, n_W)
    dcols = (W.reshape(-1, n_C) @ dZ.T).reshape(f, f, n_C_prev, m, n_H, n_W)
    dA_prev_pad = np.zeros((n_C_prev,) + A_prev_pad.shape[:3])  # (n_C_prev, m, n_H_prev + 2p, n_W_prev + 2p)
    for i in range(f):
        for j in range(f):
            dA_prev_pad[:, :, _offset_slice(i, stride, n_H), _offset_slice(j, stride, n_W)] += dcols[i, j]
    n_H_prev, n_W_prev = A_prev.shape[1:3]
    dA_prev = dA_prev_pad[:, :, pad:pad + n_H_prev, pad:pad + n_W_prev].transpose(1, 2, 3, 0)
    return np.ascontiguousarray(dA_prev), dW, db


def pool_forward_vectorized(A_prev, hparameters, mode="max"):
    """Pooling forward pass, vectorized. Same arguments and returns as pool_forward.

    Arguments:
        A_prev: (m, n_H_prev, n_W_prev, n_C); hparameters: dict with "f" and "stride";
        mode: "max" or "average".
    Returns:
        A: (m, n_H, n_W, n_C); cache: (A_prev, hparameters) for pool_backward.
    """
    A_prev = _check_pool_inputs(A_prev, hparameters, mode)
    f, stride = hparameters["f"], hparameters["stride"]
    m, n_H, n_W, n_C = _pool_output_shape(A_prev.shape, f, stride)
    windows = _windows(A_prev, f, stride, n_H, n_W)  # (m, n_H, n_W, C, f, f)
    reduce = np.max if mode == "max" else np.mean
    A = reduce(windows, axis=(4, 5)).astype(float)
    return A, (A_prev, hparameters)


def pool_backward_vectorized(dA, cache, mode="max"):
    """Pooling backward pass, vectorized. Same arguments and returns as pool_backward.

    Arguments:
        dA: (m, n_H, n_W, n_C); cache: from pool_forward or pool_forward_vectorized; mode: as in the forward pass.
    Returns:
        dA_prev: (m, n_H_prev, n_W_prev, n_C).
    """
    dA, (A_prev, hparameters) = _check_pool_backward(dA, cache, mode)
    f, stride = hparameters["f"], hparameters["stride"]
    m, n_H, n_W, n_C = dA.shape
    if mode == "max":
        windows = _windows(A_prev, f, stride, n_H, n_W)  # (m, n_H, n_W, C, f, f)
        mask = windows == windows.max(axis=(4, 5), keepdims=True)
        share = mask * dA[..., None, None]
    else:
        share = np.broadcast_to((dA / (f * f))[..., None, None], dA.shape + (f, f))
    dA_prev = np.zeros(A_prev.shape)
    for i in range(f):
        for j in range(f):
            dA_prev[:, _offset_slice(i, stride, n_H), _offset_slice(j, stride, n_W), :] += share[..., i, j]
    return dA_prev


# ----------------------------------------------------------------------------- transposed convolution


def conv_transpose_output_size(n, f, stride, pad, output_padding):
    """Output length of a transposed convolution: (n - 1) * stride + f - 2 * pad + output_padding."""
    for name, value, minimum in (("n", n, 1), ("f", f, 1), ("stride", stride, 1), ("pad", pad, 0),
                                 ("output_padding", output_padding, 0)):
        check_int(name, value, minimum)
    return (n - 1) * stride + f - 2 * pad + output_padding


def conv_transpose_forward(A_prev, W, b, hparameters):
    """Transposed convolution forward pass (the upsampling layer of U-Net, Week 3).

    Each input value multiplies the whole filter, and the product is added into
    the output at the value's position times ``stride``; overlapping products
    add up. ``pad`` then crops ``pad`` rows/columns from every border of that
    full result, and ``output_padding`` (0 <= output_padding < stride) keeps that
    many extra rows/columns at the bottom and right. This is the convention of
    the lecture's example and of PyTorch's ``ConvTranspose2d``; it is the
    gradient of ``conv_forward`` with respect to its input.

    Arguments:
        A_prev: (m, n_H_prev, n_W_prev, n_C_prev).
        W: (f, f, n_C_prev, n_C), input channels on axis 2 as in conv_forward.
            Keras's Conv2DTranspose stores its kernel as (f, f, n_C, n_C_prev):
            use ``W.transpose(0, 1, 3, 2)`` to move between the two.
        b: (1, 1, 1, n_C).
        hparameters: dict with "stride" (>= 1), "pad" (>= 0) and optional "output_padding" (default 0).
    Returns:
        Z: (m, n_H, n_W, n_C) with n_H = (n_H_prev - 1) * stride + f - 2 * pad + output_padding.
    """
    A_prev, W, b = _check_conv_inputs(A_prev, W, b, hparameters, window=False)
    stride, pad = hparameters["stride"], hparameters["pad"]
    output_padding = _hparameter({"output_padding": 0, **hparameters}, "output_padding", 0)
    if output_padding >= stride:
        raise ValueError(
            f"hparameters['output_padding'] must be smaller than the stride ({stride}), got {output_padding}"
        )
    m, n_H_prev, n_W_prev, _ = A_prev.shape
    f, _, _, n_C = W.shape
    n_H = conv_transpose_output_size(n_H_prev, f, stride, pad, output_padding)
    n_W = conv_transpose_output_size(n_W_prev, f, stride, pad, output_padding)
    if n_H < 1 or n_W < 1:
        raise ValueError(f"hparameters['pad']={pad} crops the whole output (output would be {n_H}x{n_W})")
    full = np.zeros((m, (n_H_prev - 1) * stride + f + output_padding, (n_W_prev - 1) * stride + f + output_padding, n_C))
    for h in range(n_H_prev):
        for w in range(n_W_prev):
            # every example's input vector at (h, w) times every filter: (m, f, f, n_C)
            patch = np.tensordot(A_prev[:, h, w, :], W, axes=([1], [2]))
            full[:, h * stride:h * stride + f, w * stride:w * stride + f, :] += patch
    return full[:, pad:pad + n_H, pad:pad + n_W, :] + b.reshape(n_C)
