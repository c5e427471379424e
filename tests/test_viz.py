import matplotlib

matplotlib.use("Agg")
import numpy as np
import pytest

from cnn_utils import viz


def test_show_images_grid_and_titles():
    fig = viz.show_images(np.zeros((5, 8, 8, 3)), titles=list("abcde"), ncols=3)
    axes = fig.get_axes()
    assert len(axes) == 6  # 2 rows x 3 columns
    assert [ax.get_title() for ax in axes[:5]] == list("abcde")


def test_show_images_rejects_bad_input():
    with pytest.raises(ValueError, match="at least one image"):
        viz.show_images([])
    with pytest.raises(ValueError, match="titles"):
        viz.show_images(np.zeros((2, 4, 4)), titles=["only one"])
    with pytest.raises(ValueError, match=r"images\[1\] must hold finite values, got 1 NaN"):
        viz.show_images([np.zeros((4, 4)), np.array([[0.0, np.nan]])])
    with pytest.raises(TypeError, match=r"images\[0\] must hold real numbers"):
        viz.show_images([np.full((4, 4), "grey")])
    with pytest.raises(ValueError, match="image must hold finite values"):
        viz.draw_boxes(np.full((8, 8, 3), np.inf), [], [], ["a"])
    fig = viz.show_images([np.eye(4, dtype=bool)])  # a mask is an image
    assert len(fig.get_axes()) == 1


def test_plot_history_panels():
    fig = viz.plot_history({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7], "accuracy": [0.5, 0.8]})
    assert len(fig.get_axes()) == 2
    assert len(fig.get_axes()[0].lines) == 2  # train + validation
    with pytest.raises(ValueError, match="none of the metrics"):
        viz.plot_history({"mae": [1.0]})


def test_confusion_matrix_counts():
    fig = viz.plot_confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2], ["a", "b", "c"])
    texts = [t.get_text() for t in fig.get_axes()[0].texts]
    assert texts == ["1", "0", "0", "0", "1", "1", "0", "0", "1"]


def test_draw_boxes_skips_boxes_outside_the_image():
    image = np.zeros((32, 32, 3), dtype=np.uint8)
    inside = np.asarray(viz.draw_boxes(image, [[4, 4, 20, 20]], [0], ["car"]))
    both = np.asarray(viz.draw_boxes(image, [[4, 4, 20, 20], [40, 40, 60, 60]], [0, 0], ["car"]))
    assert inside.any()
    np.testing.assert_array_equal(inside, both)
