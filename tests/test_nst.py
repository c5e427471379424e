"""Tests for cnn_utils.nst: cost functions against their formulas, gradients, and training steps."""
import numpy as np
import keras
import pytest
import tensorflow as tf
from hypothesis import given, settings, strategies as st

from cnn_utils import nst

SMALL_LAYERS = [("block1_conv1", 0.7), ("block2_conv1", 0.3)]
CONTENT = [("block3_conv2", 1)]


def tiny_vgg():
    """A small random ConvNet with VGG16's layer names (no weights needed)."""
    x = inputs = keras.Input((None, None, 3))
    for b in range(1, 4):
        x = keras.layers.Conv2D(4 * b, 3, padding="same", activation="relu", name=f"block{b}_conv1")(x)
        x = keras.layers.Conv2D(4 * b, 3, padding="same", activation="relu", name=f"block{b}_conv2")(x)
        x = keras.layers.MaxPooling2D(name=f"block{b}_pool")(x)
    return keras.Model(inputs, x)


@pytest.fixture(scope="module")
def feature_model():
    keras.utils.set_random_seed(0)
    return nst.get_layer_outputs(tiny_vgg(), SMALL_LAYERS + CONTENT)


def np_content_cost(a_C, a_G):
    _, n_H, n_W, n_C = a_G.shape
    return np.sum((a_C - a_G) ** 2) / (4 * n_H * n_W * n_C)


def np_layer_style_cost(a_S, a_G):
    _, n_H, n_W, n_C = a_G.shape
    # G[k, k'] = sum over i, j of a[i, j, k] a[i, j, k']
    G_S = np.einsum("ijk,ijl->kl", a_S[0], a_S[0])
    G_G = np.einsum("ijk,ijl->kl", a_G[0], a_G[0])
    return np.sum((G_S - G_G) ** 2) / (4 * n_C ** 2 * (n_H * n_W) ** 2)


def random_activations(rng, shape):
    return rng.standard_normal(shape).astype(np.float32)


@settings(max_examples=15, deadline=None)
@given(n_H=st.integers(1, 6), n_W=st.integers(1, 6), n_C=st.integers(1, 5), seed=st.integers(0, 1000))
def test_content_cost_matches_formula(n_H, n_W, n_C, seed):
    rng = np.random.default_rng(seed)
    a_C, a_G = (random_activations(rng, (1, n_H, n_W, n_C)) for _ in range(2))
    extra = random_activations(rng, (1, 3, 3, 2))  # earlier layers are ignored
    got = nst.compute_content_cost([extra, a_C], [extra * 2, a_G])
    np.testing.assert_allclose(got.numpy(), np_content_cost(a_C, a_G), rtol=1e-5)


@settings(max_examples=15, deadline=None)
@given(n_C=st.integers(1, 6), n_HW=st.integers(1, 20), seed=st.integers(0, 1000))
def test_gram_matrix_is_symmetric_psd_and_matches_formula(n_C, n_HW, seed):
    A = random_activations(np.random.default_rng(seed), (n_C, n_HW))
    G = nst.gram_matrix(A).numpy()
    assert G.shape == (n_C, n_C)
    np.testing.assert_allclose(G, A @ A.T, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(G, G.T, rtol=1e-6)
    assert np.linalg.eigvalsh(G.astype(np.float64)).min() >= -1e-4 * max(1.0, np.abs(G).max())


@settings(max_examples=15, deadline=None)
@given(n_H=st.integers(1, 6), n_W=st.integers(1, 6), n_C=st.integers(1, 5), seed=st.integers(0, 1000))
def test_layer_style_cost_matches_formula(n_H, n_W, n_C, seed):
    rng = np.random.default_rng(seed)
    a_S, a_G = (random_activations(rng, (1, n_H, n_W, n_C)) for _ in range(2))
    got = nst.compute_layer_style_cost(a_S, a_G)
    np.testing.assert_allclose(got.numpy(), np_layer_style_cost(a_S, a_G), rtol=1e-4)
    assert nst.compute_layer_style_cost(a_S, a_S).numpy() == pytest.approx(0.0, abs=1e-6)


def test_style_cost_is_weighted_sum_and_ignores_content_layer():
    rng = np.random.default_rng(1)
    shapes = [(1, 8, 8, 4), (1, 4, 4, 8), (1, 2, 2, 12)]
    style = [random_activations(rng, s) for s in shapes]
    generated = [random_activations(rng, s) for s in shapes]
    want = sum(w * np_layer_style_cost(a, b) for (_, w), a, b in zip(SMALL_LAYERS, style, generated))
    got = nst.compute_style_cost(style, generated, SMALL_LAYERS)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5)
    generated[-1] = generated[-1] + 100.0  # the content layer plays no part
    np.testing.assert_allclose(nst.compute_style_cost(style, generated, SMALL_LAYERS).numpy(), want, rtol=1e-5)


def test_total_cost():
    assert nst.total_cost(2.0, 3.0) == 10 * 2.0 + 40 * 3.0
    assert nst.total_cost(2.0, 3.0, alpha=1, beta=0.5) == 3.5


def test_cost_gradients_match_hand_derived_formulas():
    """Autodiff gradients of the costs against the derivatives worked out by hand."""
    rng = np.random.default_rng(2)
    n_H, n_W, n_C = 3, 4, 5
    a_C, a_S = (random_activations(rng, (1, n_H, n_W, n_C)) for _ in range(2))
    a_G = tf.Variable(random_activations(rng, (1, n_H, n_W, n_C)))
    alpha, beta = 10.0, 40.0
    with tf.GradientTape() as tape:
        J = nst.total_cost(nst.compute_content_cost([a_C], [a_G]),
                           nst.compute_layer_style_cost(a_S, a_G), alpha, beta)
    grad = tape.gradient(J, a_G).numpy()
    # dJ_content/da_G = -(a_C - a_G) / (2 n_H n_W n_C)
    g_content = -(a_C - a_G.numpy()) / (2 * n_H * n_W * n_C)
    # With A = unrolled a_G (n_C, n_H n_W) and D = G_S - G_G: dJ_style/dA = -D A / (n_C^2 (n_H n_W)^2)
    A_S = a_S.reshape(-1, n_C).T
    A_G = a_G.numpy().reshape(-1, n_C).T
    D = A_S @ A_S.T - A_G @ A_G.T
    g_style = (-D @ A_G / (n_C ** 2 * (n_H * n_W) ** 2)).T.reshape(1, n_H, n_W, n_C)
    np.testing.assert_allclose(grad, alpha * g_content + beta * g_style, rtol=1e-4, atol=1e-6)


def test_total_cost_gradient_through_model_matches_finite_differences(feature_model):
    rng = np.random.default_rng(3)
    content, style, image = (rng.uniform(0.2, 0.8, (1, 8, 8, 3)).astype(np.float32) for _ in range(3))
    a_C, a_S = feature_model(content), feature_model(style)

    def cost(x):
        a_G = feature_model(x)
        return nst.total_cost(nst.compute_content_cost(a_C, a_G),
                              nst.compute_style_cost(a_S, a_G, SMALL_LAYERS))

    x = tf.Variable(image)
    with tf.GradientTape() as tape:
        J = cost(x)
    grad = tape.gradient(J, x).numpy()
    direction = rng.standard_normal(image.shape).astype(np.float32)
    direction /= np.linalg.norm(direction)
    eps = 1e-2
    numeric = (cost(image + eps * direction) - cost(image - eps * direction)).numpy() / (2 * eps)
    np.testing.assert_allclose(numeric, np.sum(grad * direction), rtol=2e-2, atol=1e-3 * abs(float(J)))


def test_get_layer_outputs_preprocesses_and_orders_layers():
    keras.utils.set_random_seed(0)
    vgg = tiny_vgg()
    model = nst.get_layer_outputs(vgg, ["block2_conv1", ("block1_conv2", 0.5)])
    image = np.random.default_rng(4).uniform(size=(1, 8, 8, 3)).astype(np.float32)
    outputs = model(image)
    plain = keras.Model(vgg.input, [vgg.get_layer("block2_conv1").output, vgg.get_layer("block1_conv2").output])
    want = plain(keras.applications.vgg16.preprocess_input(image * 255.0))
    for got, w in zip(outputs, want):
        np.testing.assert_allclose(got, w, rtol=1e-5, atol=1e-4)
    with pytest.raises(ValueError, match="layer_names"):
        nst.get_layer_outputs(vgg, ["block9_conv1"])
    with pytest.raises(TypeError, match="vgg"):
        nst.get_layer_outputs("vgg16", ["block1_conv1"])


def test_train_steps_lower_the_cost_and_keep_pixels_valid(feature_model):
    rng = np.random.default_rng(5)
    content, style = (rng.uniform(size=(1, 16, 16, 3)).astype(np.float32) for _ in range(2))
    a_C, a_S = feature_model(content), feature_model(style)
    train_step = nst.make_train_step(feature_model, a_S, a_C, keras.optimizers.Adam(0.02), SMALL_LAYERS)
    # compiled with tf.function
    assert isinstance(train_step, tf.types.experimental.PolymorphicFunction)
    assert hasattr(train_step, "get_concrete_function")
    generated = nst.initial_generated_image(content, seed=1)
    result = nst.run_style_transfer(train_step, generated, steps=15, keep_every=5)
    # the traces happen at the first step (Adam creates its variables there); later steps reuse the graph
    traces = train_step.experimental_get_tracing_count()
    assert 1 <= traces <= 2
    train_step(generated)
    assert train_step.experimental_get_tracing_count() == traces
    J = result["costs"]["J"]
    assert J.shape == (15,) and J[-1] < 0.7 * J[0]
    np.testing.assert_allclose(J, 10 * result["costs"]["J_content"] + 40 * result["costs"]["J_style"], rtol=1e-5)
    assert [step for step, _ in result["kept"]] == [5, 10, 15]
    assert result["image"].shape == (16, 16, 3)
    assert result["image"].min() >= 0.0 and result["image"].max() <= 1.0


def test_initial_generated_image_is_noisy_content_in_range():
    content = np.full((1, 10, 12, 3), 0.5, np.float32)
    image = nst.initial_generated_image(content, noise=0.25, seed=0).numpy()
    assert image.shape == content.shape
    assert np.abs(image - content).max() <= 0.25 + 1e-6 and image.std() > 0.05
    np.testing.assert_array_equal(image, nst.initial_generated_image(content, noise=0.25, seed=0).numpy())


def test_load_image_and_style_images():
    for name in ("starry_night", "the_scream"):
        image = nst.load_image(nst.style_image_path(name), (32, 48))
        assert image.shape == (1, 32, 48, 3) and image.dtype == np.float32
        assert 0.0 <= image.min() and image.max() <= 1.0 and image.std() > 0.05
    array = np.random.default_rng(6).integers(0, 256, (40, 30, 3), dtype=np.uint8)
    assert nst.load_image(array, (20, 20)).shape == (1, 20, 20, 3)
    with pytest.raises(ValueError, match="name"):
        nst.style_image_path("mona_lisa")
    with pytest.raises(ValueError, match="size"):
        nst.load_image(array, (0, 20))


def test_content_cost_takes_what_the_course_passes():
    # The course's own test: a tensor whose first axis lists the layer outputs.
    tf.random.set_seed(1)
    a_C = tf.random.normal([1, 1, 4, 4, 3], mean=1, stddev=4)
    a_G = tf.random.normal([1, 1, 4, 4, 3], mean=1, stddev=4)
    J_content = nst.compute_content_cost(a_C, a_G)
    assert isinstance(J_content, tf.Tensor) and J_content.shape == ()
    np.testing.assert_allclose(J_content.numpy(), 7.0568767, rtol=1e-6)
    # A list of layer outputs gives the same, as does a tuple of arrays.
    np.testing.assert_allclose(nst.compute_content_cost([a_C[0]], [a_G[0]]).numpy(), 7.0568767, rtol=1e-6)
    np.testing.assert_allclose(nst.compute_content_cost((a_C.numpy()[0],), (a_G.numpy()[0],)).numpy(),
                               7.0568767, rtol=1e-6)


def test_every_cost_is_a_scalar_tensor():
    rng = np.random.default_rng(7)
    shapes = [(1, 4, 4, 3), (1, 2, 2, 5), (1, 2, 2, 6)]
    S, G = ([random_activations(rng, s) for s in shapes] for _ in range(2))
    costs = {"content": nst.compute_content_cost(S, G),
             "layer style": nst.compute_layer_style_cost(S[0], G[0]),
             "style": nst.compute_style_cost(S, G, SMALL_LAYERS),
             "total of numbers": nst.total_cost(0.2, 0.8),
             "total of tensors": nst.total_cost(tf.constant(0.2), tf.constant(0.8))}
    for name, cost in costs.items():
        assert isinstance(cost, tf.Tensor) and cost.shape == (), name
    assert float(costs["total of numbers"]) == pytest.approx(34.0)
    assert float(nst.total_cost(0.3, 0.5, alpha=5, beta=50)) == pytest.approx(26.5)
    assert nst.gram_matrix(tf.ones((2, 3))).shape == (2, 2)


def test_entry_points_refuse_bad_data(tmp_path):
    a = np.zeros((1, 2, 2, 3), np.float32)
    with pytest.raises(ValueError, match="steps"):
        nst.run_style_transfer(lambda g: (0, 0, 0), tf.Variable(a), steps=0)
    with pytest.raises(ValueError, match="keep_every"):
        nst.run_style_transfer(lambda g: (0, 0, 0), tf.Variable(a), steps=2, keep_every=0)
    with pytest.raises(ValueError, match="content_image must hold finite values"):
        nst.initial_generated_image(np.full((1, 4, 4, 3), np.nan))
    with pytest.raises(ValueError, match="path_or_array must hold finite values"):
        nst.load_image(np.full((8, 8, 3), np.inf), (4, 4))
    text = tmp_path / "style.jpg"
    text.write_text("not a painting")
    with pytest.raises(ValueError, match="path_or_array must be an image file"):
        nst.load_image(text, (4, 4))
