"""Benchmark: the course's yolo_eval versus a pipeline on tf.image.combined_non_max_suppression.

Both decode the same (1, 19, 19, 5, 85) YOLOv2 output (80 COCO classes) into at most 10
boxes with per-class NMS; the script checks that they agree and prints the time ratio
(target: yolo_eval at most 1.5x the reference).
"""
import time

import numpy as np
import tensorflow as tf

from cnn_utils import yolo

ANCHORS = np.array([[0.57273, 0.677385], [1.87446, 2.06253], [3.33843, 5.47434],
                    [7.88282, 3.52778], [9.77052, 9.16828]], dtype="float32")
IMAGE_SHAPE = (720, 1280)
MAX_BOXES, SCORE_THRESHOLD, IOU_THRESHOLD = 10, 0.6, 0.5


def combined_nms_eval(yolo_outputs, image_shape=IMAGE_SHAPE, max_boxes=MAX_BOXES,
                      score_threshold=SCORE_THRESHOLD, iou_threshold=IOU_THRESHOLD):
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


def best_time(fn, repeats=30):
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    rng = np.random.default_rng(0)
    feats = rng.normal(size=(1, 19, 19, 5, 85)).astype("float32")
    feats[..., 4] += 2.0          # fairly confident boxes
    feats[..., 5:] *= 4.0         # peaked class probabilities: about a hundred boxes pass 0.6
    outputs = yolo.yolo_head(feats, ANCHORS, 80)

    ours = yolo.yolo_eval(outputs, IMAGE_SHAPE, MAX_BOXES, SCORE_THRESHOLD, IOU_THRESHOLD)
    ref = combined_nms_eval(outputs)
    for name, a, b in zip(("scores", "boxes", "classes"), ours, ref):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-3, err_msg=name)
    passing = int(tf.reduce_sum(tf.cast(tf.reduce_max(outputs[2] * outputs[3], -1) >= SCORE_THRESHOLD, "int32")))
    print(f"19x19x5x85 output: {passing} boxes pass the score threshold, {len(ours[0])} kept after NMS; "
          "both pipelines agree")

    t_ours = best_time(lambda: yolo.yolo_eval(outputs, IMAGE_SHAPE, MAX_BOXES, SCORE_THRESHOLD, IOU_THRESHOLD))
    t_ref = best_time(lambda: combined_nms_eval(outputs))
    print(f"yolo_eval (eager):                          {t_ours * 1e3:7.2f} ms")
    print(f"combined_non_max_suppression (eager):       {t_ref * 1e3:7.2f} ms")
    print(f"ratio yolo_eval / combined: {t_ours / t_ref:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
