"""Seconds per style-transfer step: cnn_utils.nst's train_step versus a keras.io-style loop.

The reference below follows the structure of the keras.io "Neural style transfer"
example: a feature extractor returning a dict of layer outputs, a
``tf.function`` computing the loss and the gradient, and the optimizer step and
clipping done eagerly outside it. keras.io recomputes the content and style
features at every step (a batch of three images); here the reference computes
them once, as cnn_utils does, so that both do the same work: same VGG16 base,
image size, layers, costs and optimizer.

Both run in the same process, alternating rounds of steps; the median time per
step of each is printed with their ratio (target: cnn_utils / reference <= 1.05).

    python bench/nst.py          # 256x256, as in the notebook's full run
    CNN_FAST=1 python bench/nst.py
"""
import time

import keras
import numpy as np
import tensorflow as tf

from cnn_utils import config, datasets, nst, pretrained

SIZE = config.choose(full=256, fast=64)
ROUNDS = config.choose(full=5, fast=2)
STEPS_PER_ROUND = config.choose(full=4, fast=2)
ALPHA, BETA = 10.0, 40.0


def keras_io_style_step(base, style_targets, content_target, combination_image, optimizer):
    """Build a keras.io-style step: returns a function of no arguments doing one update."""
    layer_names = [name for name, _ in nst.STYLE_LAYERS] + [nst.CONTENT_LAYER[0][0]]
    outputs = {name: base.get_layer(name).output for name in layer_names}
    feature_extractor = keras.Model(inputs=base.inputs, outputs=outputs)

    def gram_matrix(x):
        x = tf.transpose(x, (2, 0, 1))
        features = tf.reshape(x, (tf.shape(x)[0], -1))
        return tf.matmul(features, tf.transpose(features))

    def style_loss(style, combination):
        channels = float(style.shape[-1])
        size = tf.cast(tf.shape(style)[0] * tf.shape(style)[1], tf.float32)
        return tf.reduce_sum(tf.square(gram_matrix(style) - gram_matrix(combination))) / (
            4.0 * channels ** 2 * size ** 2)

    def content_loss(base_features, combination):
        return tf.reduce_sum(tf.square(combination - base_features)) / (4.0 * tf.cast(tf.size(base_features), tf.float32))

    def compute_loss(image):
        features = feature_extractor(keras.applications.vgg16.preprocess_input(image * 255.0))
        loss = ALPHA * content_loss(content_target, features[nst.CONTENT_LAYER[0][0]][0])
        for (name, weight), target in zip(nst.STYLE_LAYERS, style_targets):
            loss += BETA * weight * style_loss(target, features[name][0])
        return loss

    @tf.function
    def compute_loss_and_grads(image):
        with tf.GradientTape() as tape:
            loss = compute_loss(image)
        return loss, tape.gradient(loss, image)

    def step():
        loss, grads = compute_loss_and_grads(combination_image)
        optimizer.apply_gradients([(grads, combination_image)])
        combination_image.assign(tf.clip_by_value(combination_image, 0.0, 1.0))
        return loss

    return step


def time_round(step, n):
    start = time.perf_counter()
    for _ in range(n):
        loss = step()
    float(loss[0] if isinstance(loss, tuple) else loss)  # wait for the last step
    return (time.perf_counter() - start) / n


def main():
    config.set_seed(0)
    base = pretrained.vgg16_base()
    content = nst.load_image(datasets.load_photo("chelsea"), (SIZE, SIZE))
    style = nst.load_image(nst.style_image_path("starry_night"), (SIZE, SIZE))
    model = nst.get_layer_outputs(base, nst.STYLE_LAYERS + nst.CONTENT_LAYER)
    a_C, a_S = model(content), model(style)

    ours_image = nst.initial_generated_image(content)
    train_step = nst.make_train_step(model, a_S, a_C, keras.optimizers.Adam(0.01), alpha=ALPHA, beta=BETA)
    ours = lambda: train_step(ours_image)  # noqa: E731

    ref_image = nst.initial_generated_image(content)
    reference = keras_io_style_step(base, [a[0] for a in a_S[:-1]], a_C[-1][0], ref_image,
                                    keras.optimizers.Adam(0.01))

    # Same first loss: both compute the same cost.
    first_ours, first_ref = float(ours()[0]), float(reference())
    print(f"first-step cost: cnn_utils {first_ours:.6g}, reference {first_ref:.6g} "
          f"(relative difference {abs(first_ours - first_ref) / first_ref:.1e})")
    times = {"cnn_utils": [], "reference": []}
    for _ in range(ROUNDS):
        times["cnn_utils"].append(time_round(ours, STEPS_PER_ROUND))
        times["reference"].append(time_round(reference, STEPS_PER_ROUND))
    ours_s, ref_s = np.median(times["cnn_utils"]), np.median(times["reference"])
    print(f"{SIZE}x{SIZE}, {ROUNDS} rounds of {STEPS_PER_ROUND} steps (median s/step):")
    print(f"  cnn_utils.nst train_step: {ours_s:.3f} s/step")
    print(f"  keras.io-style reference: {ref_s:.3f} s/step")
    print(f"  ratio cnn_utils / reference: {ours_s / ref_s:.3f} (target <= 1.05)")


if __name__ == "__main__":
    main()
