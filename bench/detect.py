"""Benchmark: our Keras YOLOv3-tiny against OpenCV's Darknet reader, same photos, same weights.

Both read data/darknet/yolov3-tiny.cfg and the weights that ``make assets`` fetches. Each photo
is letterboxed once (``yolo.letterbox``) and both detectors get that same 416 x 416 input:

* ours: the Keras model built by ``darknet.load_darknet``, forward pass and ``yolo_head`` per
  head compiled with ``tf.function``, then the course's ``yolo_eval`` (score threshold 0.3,
  per-class NMS 0.45), as ``yolo.detect_objects`` runs it;
* OpenCV: ``cv2.dnn.readNetFromDarknet``, forward pass, the same threshold on its rows
  (objectness x class score) and per-class NMS with ``cv2.dnn.NMSBoxesBatched``.

It prints the time ratio, ours over OpenCV (target <= 1.2x), and the agreement: the share of
OpenCV's detections with score >= 0.5 that ours finds with the same class and IoU >= 0.9 (target:
all). OpenCV (``opencv-python-headless>=4.8,<5``: OpenCV 5 dropped the Darknet reader) is
needed for this benchmark only; ``make bench`` installs it into the virtual environment.
"""
import timeit

import cv2
import numpy as np

from cnn_utils import datasets, pretrained, yolo

PHOTOS = ("dog", "london_bus", "campus", "person_horse")
SCORE_THRESHOLD, IOU_THRESHOLD, MAX_BOXES = 0.3, 0.45, 100


def opencv_detect(net, boxed, frame):
    """OpenCV's forward pass and the usual post-processing -> boxes (n, 4) y1 x1 y2 x2 pixels of frame, scores, classes."""
    net.setInput(boxed.transpose(2, 0, 1)[None])
    rows = np.concatenate(net.forward(net.getUnconnectedOutLayersNames()))  # (N, 85): x y w h, obj, obj * class
    classes = rows[:, 5:].argmax(axis=1)
    scores = rows[np.arange(len(rows)), 5 + classes]
    keep = scores >= SCORE_THRESHOLD
    rows, classes, scores = rows[keep], classes[keep], scores[keep]
    frame_h, frame_w = frame
    x, y, w, h = rows[:, 0] * frame_w, rows[:, 1] * frame_h, rows[:, 2] * frame_w, rows[:, 3] * frame_h
    boxes = np.stack([y - h / 2, x - w / 2, y + h / 2, x + w / 2], axis=1)
    kept = np.asarray(cv2.dnn.NMSBoxesBatched(np.stack([x - w / 2, y - h / 2, w, h], 1).tolist(), scores.tolist(),
                                              classes.tolist(), SCORE_THRESHOLD, IOU_THRESHOLD), int).reshape(-1)
    kept = kept[np.argsort(-scores[kept], kind="stable")][:MAX_BOXES]
    return boxes[kept], scores[kept], classes[kept]


def ours_detect(boxed, frame):
    """Ours, as detect_objects runs it after letterboxing."""
    heads = yolo.compiled_yolov3_tiny()(boxed[None])
    scores, boxes, classes = yolo.yolo_eval(heads, frame, MAX_BOXES, SCORE_THRESHOLD, IOU_THRESHOLD)
    return boxes.numpy(), scores.numpy(), classes.numpy()


def best_time(fn, repeats=20):
    fn()  # warm-up
    return min(timeit.repeat(fn, number=1, repeat=repeats))


def main():
    net = cv2.dnn.readNetFromDarknet(str(yolo.YOLOV3_TINY_CFG), str(pretrained.asset_file("yolov3-tiny")))
    names = yolo.read_classes(yolo.COCO_NAMES)
    matched = total = 0
    t_ours = t_cv = 0.0
    for name in PHOTOS:
        boxed, frame, _ = yolo.letterbox(datasets.load_photo(name) / 255.0)
        ref_boxes, ref_scores, ref_classes = opencv_detect(net, boxed, frame)
        boxes, scores, classes = ours_detect(boxed, frame)
        found = []
        for box, score, c in zip(ref_boxes, ref_scores, ref_classes):
            if score < 0.5:
                continue
            same = classes == c
            best = yolo.iou(box[[1, 0, 3, 2]], boxes[same][:, [1, 0, 3, 2]]).max() if same.any() else 0.0
            total += 1
            matched += best >= 0.9
            found.append(f"{names[c]} {score:.2f} (IoU {best:.3f})")
        t_o = best_time(lambda: ours_detect(boxed, frame))
        t_c = best_time(lambda: opencv_detect(net, boxed, frame))
        t_ours, t_cv = t_ours + t_o, t_cv + t_c
        print(f"{name:13s} ours {t_o * 1e3:6.1f} ms, OpenCV {t_c * 1e3:6.1f} ms; OpenCV >= 0.5: {', '.join(found)}")
    print(f"time ratio ours / OpenCV: {t_ours / t_cv:.2f}x (target <= 1.2x); agreement: {matched} of {total} "
          f"OpenCV detections with score >= 0.5 matched (same class, IoU >= 0.9; target: all)")


if __name__ == "__main__":
    main()
