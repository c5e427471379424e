"""Convolution and pooling layers in NumPy, forward and backward (Week 1, part 1).

Shapes are channels-last, as in the course:

- ``A_prev``: activations of the previous layer, ``(m, n_H_prev, n_W_prev, n_C_prev)``
- ``W``: filters, ``(f, f, n_C_prev, n_C)``
- ``b``: biases, ``(1, 1, 1, n_C)``
- ``Z`` / ``A``: outputs, ``(m, n_H, n_W, n_C)`` with
  ``n_H = floor((n_H_prev + 2 * pad - f) / stride) + 1`` (same for widths).

Every layer comes in two implementations that compute the same numbers:

- ``*_loops`` (``conv_forward_loops``, ``conv_backward_loops``, ``pool_forward_loops``,
  ``pool_backward_loops``): the readable version the lesson builds, one output
  value at a time with explicit ``for`` loops over examples, rows, columns and channels.
- the public defaults (``conv_forward``, ``conv_backward``, ``pool_forward``,
  ``pool_backward``): vectorized. All windows of the input are viewed at once
  with :func:`numpy.lib.stride_tricks.sliding_window_view` (no copy).
  ``conv_forward`` copies them into the rows of one matrix (im2col) and
  multiplies it by the filters; ``pool_forward`` reduces the view directly. The
  backward passes loop only over the ``f * f`` offsets inside a window, each
  step updating all windows of all examples at once.

Both return the same ``cache`` so either backward pass accepts either forward cache.
:func:`conv_transpose_forward` (Week 3, U-Net) runs a transposed convolution.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cnn_utils.validation import check_int, check_shape

POOL_MODES = ("max", "average")


# ----------------------------------------------------------------------------- checks


def _as_4d(name, array):
    array = np.asarray(array)
    if array.ndim != 4:
        raise ValueError(f"{name} must be a 4-D array, got shape {array.shape}")
    return array


def _hparameter(hparameters, key, minimum):
    if not isinstance(hparameters, dict):
        raise TypeError(f"hparameters must be a dict, got {type(hparameters).__name__}")
    if key not in hparameters:
        raise ValueError(f"hparameters must contain {key!r}; it has {sorted(hparameters)}")
    return check_int(f"hparameters[{key!r}]", hparameters[key], minimum)


def _check_conv_inputs(A_prev, W, b, hparameters):
    """Validate the arguments of a convolution; return them as arrays plus (stride, pad)."""
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
    return A_prev, W, b, stride, pad


def _output_size(n, f, stride, pad, name):
    """floor((n + 2 * pad - f) / stride) + 1 for a convolution whose filter size f is W.shape[0]."""
    if f > n + 2 * pad:
        raise ValueError(
            f"W's filter size f={f} (W.shape[0]) is larger than the padded input: {name} is {n} "
            f"(+ 2 * pad = {n + 2 * pad})"
        )
    return (n + 2 * pad - f) // stride + 1


def _pool_output_size(n, f, stride, name):
    """floor((n - f) / stride) + 1 for a pooling window of size f = hparameters['f'] (no padding)."""
    if f > n:
        raise ValueError(f"hparameters['f']={f} is larger than the input: {name} is {n}")
    return (n - f) // stride + 1


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


def _check_pool_inputs(A_prev, hparameters, mode):
    A_prev = _as_4d("A_prev", A_prev)
    if mode not in POOL_MODES:
        raise ValueError(f"mode must be one of {POOL_MODES}, got {mode!r}")
    f = _hparameter(hparameters, "f", 1)
    stride = _hparameter(hparameters, "stride", 1)
    m, n_H_prev, n_W_prev, n_C = A_prev.shape
    n_H = _pool_output_size(n_H_prev, f, stride, "A_prev height")
    n_W = _pool_output_size(n_W_prev, f, stride, "A_prev width")
    return A_prev, f, stride, (m, n_H, n_W, n_C)


def _check_grad(name, grad, shape):
    grad = _as_4d(name, grad)
    if grad.shape != tuple(shape):
        raise ValueError(f"{name} must have the forward output's shape {tuple(shape)}, got {grad.shape}")
    return grad


def _check_cache(cache, length):
    if not isinstance(cache, tuple) or len(cache) != length:
        raise ValueError(f"cache must be the {length}-tuple returned by the forward pass")
    return cache


# ----------------------------------------------------------------------------- building blocks


def zero_pad(X, pad):
    """Pad the height and width of a batch of images with zeros.

    Arguments:
        X: array of shape (m, n_H, n_W, n_C).
        pad: integer >= 0, the number of zeros added on each side of the height and width.
    Returns:
        X_pad: array of shape (m, n_H + 2 * pad, n_W + 2 * pad, n_C).
    """
    X = _as_4d("X", X)
    pad = check_int("pad", pad, 0)
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="constant", constant_values=0)


def conv_single_step(a_slice_prev, W, b):
    """Apply one filter to one window: sum(a_slice_prev * W) + b.

    Arguments:
        a_slice_prev: window of the input, shape (f, f, n_C_prev).
        W: one filter, shape (f, f, n_C_prev).
        b: its bias, shape (1, 1, 1).
    Returns:
        Z: a Python float.
    """
    a_slice_prev = np.asarray(a_slice_prev)
    W = np.asarray(W)
    b = np.asarray(b)
    if a_slice_prev.shape != W.shape:
        raise ValueError(f"a_slice_prev must have W's shape {W.shape}, got {a_slice_prev.shape}")
    if b.size != 1:
        raise ValueError(f"b must hold one value (shape (1, 1, 1)), got shape {b.shape}")
    return float(np.sum(a_slice_prev * W)) + float(b.item())


def create_mask_from_window(x):
    """Return a boolean mask, True where ``x`` (shape (f, f)) holds its maximum."""
    x = np.asarray(x)
    if x.size == 0:
        raise ValueError("x must not be empty")
    return x == np.max(x)


def distribute_value(dz, shape):
    """Spread the scalar ``dz`` evenly over an array of ``shape`` (n_H, n_W)."""
    if np.ndim(dz) != 0:
        raise ValueError(f"dz must be a scalar, got shape {np.shape(dz)}")
    n_H, n_W = check_shape("shape", shape, 2)
    return np.full((n_H, n_W), dz / (n_H * n_W))


# ----------------------------------------------------------------------------- loop versions


def conv_forward_loops(A_prev, W, b, hparameters):
    """Convolution forward pass, one output value at a time (the lesson's version).

    Arguments:
        A_prev: (m, n_H_prev, n_W_prev, n_C_prev); W: (f, f, n_C_prev, n_C); b: (1, 1, 1, n_C).
        hparameters: dict with "stride" (>= 1) and "pad" (>= 0).
    Returns:
        Z: (m, n_H, n_W, n_C); cache: (A_prev, W, b, hparameters) for conv_backward.
    """
    A_prev, W, b, stride, pad = _check_conv_inputs(A_prev, W, b, hparameters)
    m, n_H, n_W, n_C = conv_output_shape(A_prev.shape, W.shape, stride, pad)
    f = W.shape[0]
    A_prev_pad = zero_pad(A_prev, pad)
    Z = np.zeros((m, n_H, n_W, n_C))
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
    return Z, (A_prev, W, b, hparameters)


def conv_backward_loops(dZ, cache):
    """Convolution backward pass, one output value at a time (the lesson's version).

    Arguments:
        dZ: gradient of the cost with respect to Z, (m, n_H, n_W, n_C).
        cache: the cache returned by conv_forward or conv_forward_loops.
    Returns:
        dA_prev: (m, n_H_prev, n_W_prev, n_C_prev); dW: (f, f, n_C_prev, n_C); db: (1, 1, 1, n_C).
    """
    A_prev, W, b, hparameters = _check_cache(cache, 4)
    A_prev, W, b, stride, pad = _check_conv_inputs(A_prev, W, b, hparameters)
    m, n_H, n_W, n_C = conv_output_shape(A_prev.shape, W.shape, stride, pad)
    dZ = _check_grad("dZ", dZ, (m, n_H, n_W, n_C))
    f = W.shape[0]
    A_prev_pad = zero_pad(A_prev, pad)
    dA_prev_pad = np.zeros(A_prev_pad.shape)
    dW = np.zeros(W.shape)
    db = np.zeros(b.shape)
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
    n_H_prev, n_W_prev = A_prev.shape[1:3]
    dA_prev = dA_prev_pad[:, pad:pad + n_H_prev, pad:pad + n_W_prev, :]
    return dA_prev, dW, db


def pool_forward_loops(A_prev, hparameters, mode="max"):
    """Pooling forward pass, one output value at a time (the lesson's version).

    Arguments:
        A_prev: (m, n_H_prev, n_W_prev, n_C).
        hparameters: dict with "f" (window size) and "stride"; no padding.
        mode: "max" or "average".
    Returns:
        A: (m, n_H, n_W, n_C) with n_H = floor((n_H_prev - f) / stride) + 1;
        cache: (A_prev, hparameters) for pool_backward.
    """
    A_prev, f, stride, out_shape = _check_pool_inputs(A_prev, hparameters, mode)
    m, n_H, n_W, n_C = out_shape
    reduce = np.max if mode == "max" else np.mean
    A = np.zeros(out_shape)
    for i in range(m):
        for h in range(n_H):
            vert_start = h * stride
            for w in range(n_W):
                horiz_start = w * stride
                for c in range(n_C):
                    a_slice = A_prev[i, vert_start:vert_start + f, horiz_start:horiz_start + f, c]
                    A[i, h, w, c] = reduce(a_slice)
    return A, (A_prev, hparameters)


def pool_backward_loops(dA, cache, mode="max"):
    """Pooling backward pass, one output value at a time (the lesson's version).

    Max pooling sends each gradient to the window's maximum (to every position
    that ties for it); average pooling spreads it evenly over the window.

    Arguments:
        dA: gradient with respect to the pooling output, (m, n_H, n_W, n_C).
        cache: the cache returned by pool_forward or pool_forward_loops.
        mode: "max" or "average", as in the forward pass.
    Returns:
        dA_prev: (m, n_H_prev, n_W_prev, n_C).
    """
    A_prev, hparameters = _check_cache(cache, 2)
    A_prev, f, stride, out_shape = _check_pool_inputs(A_prev, hparameters, mode)
    dA = _check_grad("dA", dA, out_shape)
    m, n_H, n_W, n_C = out_shape
    dA_prev = np.zeros(A_prev.shape)
    for i in range(m):
        for h in range(n_H):
            vert_start = h * stride
            for w in range(n_W):
                horiz_start = w * stride
                for c in range(n_C):
                    window = (i, slice(vert_start, vert_start + f), slice(horiz_start, horiz_start + f), c)
                    if mode == "max":
                        mask = create_mask_from_window(A_prev[window])
                        dA_prev[window] += mask * dA[i, h, w, c]
                    else:
                        dA_prev[window] += distribute_value(dA[i, h, w, c], (f, f))
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


def conv_forward(A_prev, W, b, hparameters):
    """Convolution forward pass, vectorized (default). Same arguments and returns as conv_forward_loops.

    The windows are copied into the rows of one matrix (im2col) and multiplied by
    the filters reshaped to (f * f * n_C_prev, n_C): one matrix product does all
    the work.

    Arguments:
        A_prev: (m, n_H_prev, n_W_prev, n_C_prev); W: (f, f, n_C_prev, n_C); b: (1, 1, 1, n_C).
        hparameters: dict with "stride" (>= 1) and "pad" (>= 0).
    Returns:
        Z: (m, n_H, n_W, n_C); cache: (A_prev, W, b, hparameters) for conv_backward.
    """
    A_prev, W, b, stride, pad = _check_conv_inputs(A_prev, W, b, hparameters)
    m, n_H, n_W, n_C = conv_output_shape(A_prev.shape, W.shape, stride, pad)
    cols = _im2col(zero_pad(A_prev, pad), W.shape[0], stride, n_H, n_W)  # (m * n_H * n_W, f * f * n_C_prev)
    Z = cols @ W.reshape(-1, n_C) + b.reshape(n_C)
    return Z.reshape(m, n_H, n_W, n_C), (A_prev, W, b, hparameters)


def conv_backward(dZ, cache):
    """Convolution backward pass, vectorized (default). Same arguments and returns as conv_backward_loops.

    dW and db are matrix products and sums over the im2col matrix; dA_prev adds
    each window's gradient back in place with a loop over the f * f offsets only
    (col2im), in a channels-first layout so that the additions run over
    contiguous rows.

    Arguments:
        dZ: (m, n_H, n_W, n_C); cache: from conv_forward or conv_forward_loops.
    Returns:
        dA_prev: (m, n_H_prev, n_W_prev, n_C_prev); dW: (f, f, n_C_prev, n_C); db: (1, 1, 1, n_C).
    """
    A_prev, W, b, hparameters = _check_cache(cache, 4)
    A_prev, W, b, stride, pad = _check_conv_inputs(A_prev, W, b, hparameters)
    m, n_H, n_W, n_C = conv_output_shape(A_prev.shape, W.shape, stride, pad)
    dZ = _check_grad("dZ", dZ, (m, n_H, n_W, n_C)).reshape(-1, n_C)
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


def pool_forward(A_prev, hparameters, mode="max"):
    """Pooling forward pass, vectorized (default). Same arguments and returns as pool_forward_loops.

    Arguments:
        A_prev: (m, n_H_prev, n_W_prev, n_C); hparameters: dict with "f" and "stride";
        mode: "max" or "average".
    Returns:
        A: (m, n_H, n_W, n_C); cache: (A_prev, hparameters) for pool_backward.
    """
    A_prev, f, stride, (m, n_H, n_W, n_C) = _check_pool_inputs(A_prev, hparameters, mode)
    windows = _windows(A_prev, f, stride, n_H, n_W)  # (m, n_H, n_W, C, f, f)
    reduce = np.max if mode == "max" else np.mean
    A = reduce(windows, axis=(4, 5)).astype(float)
    return A, (A_prev, hparameters)


def pool_backward(dA, cache, mode="max"):
    """Pooling backward pass, vectorized (default). Same arguments and returns as pool_backward_loops.

    Arguments:
        dA: (m, n_H, n_W, n_C); cache: from pool_forward or pool_forward_loops; mode: as in the forward pass.
    Returns:
        dA_prev: (m, n_H_prev, n_W_prev, n_C).
    """
    A_prev, hparameters = _check_cache(cache, 2)
    A_prev, f, stride, (m, n_H, n_W, n_C) = _check_pool_inputs(A_prev, hparameters, mode)
    dA = _check_grad("dA", dA, (m, n_H, n_W, n_C))
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
    A_prev, W, b, stride, pad = _check_conv_inputs(A_prev, W, b, hparameters)
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
