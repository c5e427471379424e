"""Benchmark: NumPy convolution (cnn_utils.numpy_cnn) against TensorFlow, in one run.

Prints, for each shape, the median time of ``conv_forward_vectorized`` and
``conv_backward_vectorized`` divided by the median time of ``tf.nn.conv2d`` and of its
autodiff gradient (input and filter gradients). The loop version is timed on
the small course shape only, for contrast. Target: vectorized within 3x of
TensorFlow.

NumPy's BLAS runs on one thread here (``OPENBLAS_NUM_THREADS=1`` unless already
set): its multi-threaded tall-and-skinny matrix products slow down several
times on a busy 2-core machine, while one thread stays steady. TensorFlow keeps
its default thread pool, so the comparison does not favour NumPy.

    .venv/bin/python bench/conv.py
"""
import os
import timeit

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # must be set before NumPy is imported

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from cnn_utils import numpy_cnn  # noqa: E402

TARGET = 3.0
CASES = [
    # name, A_prev shape, (f, n_C), stride, pad, time the loop version too
    ("course", (10, 5, 7, 4), (3, 8), 2, 1, True),
    ("larger batch", (64, 64, 64, 3), (3, 16), 1, 1, False),
]


def median_time(fn, repeat):
    """Median wall time of ``fn()`` in seconds over ``repeat`` runs, after one warm-up call."""
    fn()
    return float(np.median(timeit.repeat(fn, number=1, repeat=repeat)))


def tensorflow_functions(A_prev, W, b, stride, pad):
    """Return (forward, backward) callables that run tf.nn.conv2d and its gradient as compiled graphs."""
    A_t, W_t, b_t = (tf.constant(x, tf.float64) for x in (A_prev, W, b))
    paddings = [[0, 0], [pad, pad], [pad, pad], [0, 0]]

    @tf.function
    def forward(A, W, b):
        return tf.nn.conv2d(tf.pad(A, paddings), W, strides=stride, padding="VALID") + b

    @tf.function
    def backward(A, W, b, dZ):
        with tf.GradientTape() as tape:
            tape.watch([A, W, b])
            loss = tf.reduce_sum(forward(A, W, b) * dZ)
        return tape.gradient(loss, [A, W, b])

    dZ = tf.ones_like(forward(A_t, W_t, b_t))
    return (lambda: forward(A_t, W_t, b_t).numpy()), (lambda: [g.numpy() for g in backward(A_t, W_t, b_t, dZ)])


def main():
    rng = np.random.default_rng(0)
    print(f"NumPy {np.__version__} (OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}), "
          f"TensorFlow {tf.__version__}; float64; median wall times")
    print(f"{'shape':>14} {'pass':>8} {'numpy (ms)':>11} {'TF (ms)':>9} {'ratio':>7}   loops (ms)")
    worst = 0.0
    for name, a_shape, (f, n_C), stride, pad, with_loops in CASES:
        A_prev = rng.standard_normal(a_shape)
        W = rng.standard_normal((f, f, a_shape[3], n_C))
        b = rng.standard_normal((1, 1, 1, n_C))
        hparameters = {"stride": stride, "pad": pad}
        Z, cache = numpy_cnn.conv_forward_vectorized(A_prev, W, b, hparameters)
        dZ = np.ones(Z.shape)
        tf_forward, tf_backward = tensorflow_functions(A_prev, W, b, stride, pad)
        repeat = 20 if with_loops else 7
        timings = {
            "forward": (lambda: numpy_cnn.conv_forward_vectorized(A_prev, W, b, hparameters), tf_forward,
                        lambda: numpy_cnn.conv_forward(A_prev, W, b, hparameters)),
            "backward": (lambda: numpy_cnn.conv_backward_vectorized(dZ, cache), tf_backward,
                         lambda: numpy_cnn.conv_backward(dZ, cache)),
        }
        print(f"{name}: A_prev {a_shape}, W {W.shape}, stride {stride}, pad {pad} -> Z {Z.shape}")
        for pass_name, (ours, theirs, loops) in timings.items():
            t_ours, t_tf = median_time(ours, repeat), median_time(theirs, repeat)
            ratio = t_ours / t_tf
            worst = max(worst, ratio)
            loop_text = f"{1e3 * median_time(loops, 3):9.1f}" if with_loops else "        -"
            print(f"{'':>14} {pass_name:>8} {1e3 * t_ours:11.2f} {1e3 * t_tf:9.2f} {ratio:6.2f}x   {loop_text}")
    verdict = "met" if worst <= TARGET else "NOT met"
    print(f"Target (vectorized within {TARGET:g}x of TensorFlow): {verdict}; worst ratio {worst:.2f}x")


if __name__ == "__main__":
    main()
