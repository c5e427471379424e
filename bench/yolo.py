"""Benchmark: the course's yolo_eval, its per-class NMS, and two faster ways to do the same.

Three pipelines decode the same YOLO output into boxes with per-class NMS:

* ``yolo_eval``: the course's steps with the notebook's NMS (a loop over the classes present,
  one ``tf.image.non_max_suppression`` call per class);
* the same steps with ``yolo_non_max_suppression_offset`` (the classes shifted apart in the
  plane, one NMS call);
* ``tf.image.combined_non_max_suppression`` (per-class NMS in one op), the reference.

Two outputs: a random (1, 19, 19, 5, 85) YOLOv2 output in which all 80 classes pass the score
threshold (the loop's worst case), and the real YOLOv3-tiny output on the London street photo
(a handful of classes, as in a photo). The script checks that the pipelines agree and prints
the time ratios. The loop is the code the notebook's exercise teaches and pays one eager NMS
call per class; the shifted-box variant is the fast one (target: at most 1.5x the reference).
"""
import timeit

import numpy as np
import tensorflow as tf

from cnn_utils import datasets, yolo

ANCHORS = np.array([[0.57273, 0.677385], [1.87446, 2.06253], [3.33843, 5.47434],
                    [7.88282, 3.52778], [9.77052, 9.16828]], dtype="float32")


def combined_nms_eval(yolo_outputs, image_shape, max_boxes, score_threshold, iou_threshold):
    """Reference pipeline: every class score of every box goes to combined_non_max_suppression."""
    box_xy, box_wh, box_confidence, box_class_probs = yolo_outputs
    boxes = yolo.scale_boxes(yolo.yolo_boxes_to_corners(box_xy, box_wh), image_shape)
    num_classes = box_class_probs.shape[-1]
    result = tf.image.combined_non_max_suppression(
        tf.reshape(boxes, [1, -1, 1, 4]), tf.reshape(box_confidence * box_class_probs, [1, -1, num_classes]),
        max_output_size_per_class=max_boxes, max_total_size=max_boxes, iou_threshold=iou_threshold,
        score_threshold=score_threshold, clip_boxes=False)
    k = int(result.valid_detections[0])
    return result.nmsed_scores[0, :k], result.nmsed_boxes[0, :k], tf.cast(result.nmsed_classes[0, :k], "int64")


def offset_nms_eval(yolo_outputs, image_shape, max_boxes, score_threshold, iou_threshold):
    """yolo_eval's steps with the shifted-box per-class NMS."""
    box_xy, box_wh, box_confidence, box_class_probs = yolo_outputs
    boxes = yolo.yolo_boxes_to_corners(box_xy, box_wh)
    scores, boxes, classes = yolo.yolo_filter_boxes(boxes, box_confidence, box_class_probs, score_threshold)
    boxes = yolo.scale_boxes(boxes, image_shape)
    return yolo.yolo_non_max_suppression_offset(scores, boxes, classes, max_boxes, iou_threshold)


def best_time(fn, repeats=20):
    fn()  # warm-up
    return min(timeit.repeat(fn, number=1, repeat=repeats))


def random_yolov2_output():
    rng = np.random.default_rng(0)
    feats = rng.normal(size=(1, 19, 19, 5, 85)).astype("float32")
    feats[..., 4] += 2.0          # fairly confident boxes
    feats[..., 5:] *= 4.0         # peaked class probabilities: hundreds of boxes pass 0.6
    return yolo.yolo_head(feats, ANCHORS, 80)


def photo_yolov3_tiny_output():
    boxed, frame, _ = yolo.letterbox(datasets.load_photo("london_bus") / 255.0)
    heads = yolo.yolov3_tiny_heads(yolo.yolov3_tiny()(boxed[None], training=False))
    return yolo.concat_heads(heads), frame


def compare(title, outputs, image_shape, max_boxes, score_threshold, iou_threshold):
    args = (image_shape, max_boxes, score_threshold, iou_threshold)
    ours = yolo.yolo_eval(outputs, *args)
    for name, a, b in zip(("scores", "boxes", "classes"), ours, offset_nms_eval(outputs, *args)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-3, err_msg=name)
    for name, a, b in zip(("scores", "boxes", "classes"), ours, combined_nms_eval(outputs, *args)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-3, err_msg=name)
    best = tf.reduce_max(outputs[2] * outputs[3], -1)
    passing = int(tf.reduce_sum(tf.cast(best >= score_threshold, "int32")))
    present = len(np.unique(tf.argmax(outputs[2] * outputs[3], -1).numpy()[best.numpy() >= score_threshold]))
    print(f"{title}: {passing} boxes of {present} classes pass {score_threshold}, {len(ours[0])} kept after NMS; "
          "the three pipelines agree")
    t_ours = best_time(lambda: yolo.yolo_eval(outputs, *args))
    t_offset = best_time(lambda: offset_nms_eval(outputs, *args))
    t_ref = best_time(lambda: combined_nms_eval(outputs, *args))
    print(f"  yolo_eval, NMS class by class (eager):    {t_ours * 1e3:7.2f} ms")
    print(f"  yolo_eval steps, shifted-box NMS (eager): {t_offset * 1e3:7.2f} ms")
    print(f"  combined_non_max_suppression (eager):     {t_ref * 1e3:7.2f} ms")
    return t_ours / t_ref, t_offset / t_ref


def main():
    worst = compare("random 19x19x5x85 YOLOv2 output", random_yolov2_output(), (720, 1280), 10, 0.6, 0.5)
    outputs, frame = photo_yolov3_tiny_output()
    photo = compare("YOLOv3-tiny on london_bus", outputs, frame, 100, 0.3, 0.45)
    print(f"ratio shifted-box NMS / combined: {photo[1]:.2f}x on the photo, {worst[1]:.2f}x with all 80 classes "
          f"present (target <= 1.5x); yolo_eval's loop over classes / combined: {photo[0]:.2f}x and {worst[0]:.2f}x")


if __name__ == "__main__":
    main()
