"""Plots and drawing shared by the notebooks (matplotlib and Pillow)."""
import matplotlib.pyplot as plt
import numpy as np

from cnn_utils.validation import check_image, check_int


def show_images(images, titles=None, ncols=8, size=1.6, cmap=None, suptitle=None):
    """Show a grid of images.

    Arguments:
        images: sequence or array of images, each (H, W), (H, W, 1) or (H, W, 3);
            floats are expected in [0, 1], integers in [0, 255].
        titles: optional sequence of strings, one per image.
    Returns the matplotlib Figure.
    """
    images = [check_image(f"images[{i}]", image) for i, image in enumerate(images)]
    if not images:
        raise ValueError("images must contain at least one image")
    for i, image in enumerate(images):
        if image.ndim == 3 and image.shape[-1] not in (1, 3, 4):
            raise ValueError(f"images[{i}] must have shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), "
                             f"got {image.shape}")
    ncols = check_int("ncols", ncols, 1)
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"titles must have one entry per image ({len(images)}), got {len(titles)}")
    ncols = min(ncols, len(images))
    nrows = int(np.ceil(len(images) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for i, image in enumerate(images):
        if image.ndim == 3 and image.shape[-1] == 1:
            image = image[..., 0]
        ax = axes.flat[i]
        ax.imshow(image, cmap=cmap if cmap is not None else ("gray" if image.ndim == 2 else None))
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize=8)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def plot_history(history, metrics=("loss", "accuracy"), title=None):
    """Plot training (and validation, when present) curves of a Keras History, one panel per metric."""
    if not hasattr(history, "history") and not isinstance(history, dict):
        raise TypeError(f"history must be a keras History or a dict of lists, got {type(history).__name__}")
    logs = history.history if hasattr(history, "history") else dict(history)
    if isinstance(metrics, str):
        raise TypeError(f"metrics must be a list or tuple of names, got the string {metrics!r}")
    metrics = [m for m in metrics if m in logs]
    if not metrics:
        raise ValueError(f"history has none of the metrics asked for; it has {sorted(logs)}")
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 3.2), squeeze=False)
    for ax, metric in zip(axes.flat, metrics):
        epochs = np.arange(1, len(logs[metric]) + 1)
        ax.plot(epochs, logs[metric], "o-", label="train")
        if f"val_{metric}" in logs:
            ax.plot(epochs, logs[f"val_{metric}"], "o-", label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_confusion_matrix(y_true, y_pred, class_names, title="Confusion matrix (held-out set)"):
    """Plot a confusion matrix with counts in the cells; rows are true classes."""
    from sklearn.metrics import confusion_matrix

    y_true, y_pred = np.asarray(y_true).reshape(-1), np.asarray(y_pred).reshape(-1)
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true and y_pred must have the same length, got {len(y_true)} and {len(y_pred)}")
    if len(class_names) < 1:
        raise ValueError("class_names must name at least one class")
    for name, labels in (("y_true", y_true), ("y_pred", y_pred)):
        if labels.dtype.kind not in "biuf" or (labels.size and (
                np.any(labels != np.round(labels)) or labels.min() < 0 or labels.max() >= len(class_names))):
            raise ValueError(f"{name} must hold integer class indices in 0..{len(class_names) - 1}")
    cm = confusion_matrix(y_true, y_pred, labels=np.arange(len(class_names)))
    fig, ax = plt.subplots(figsize=(0.5 * len(class_names) + 2.5, 0.5 * len(class_names) + 2))
    ax.imshow(cm, cmap="Blues")
    for (i, j), count in np.ndenumerate(cm):
        ax.text(j, i, str(count), ha="center", va="center",
                color="white" if count > cm.max() / 2 else "black", fontsize=8)
    ax.set_xticks(range(len(class_names)), class_names, rotation=45, ha="right")
    ax.set_yticks(range(len(class_names)), class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def draw_boxes(image, boxes, classes, class_names, scores=None, colors=None, width=2, font_size=None):
    """Draw labelled boxes on a copy of an image (the course's ``draw_boxes``).

    Arguments:
        image: a PIL image, or an (H, W, 3) array (uint8, or floats in [0, 1]).
        boxes: (n, 4) boxes ``(y1, x1, y2, x2)`` in pixels (YOLO's ``yolo_eval`` output).
        classes: (n,) integer class indices into ``class_names``.
        scores: optional (n,) scores printed after the class name.
        colors: optional list of RGB tuples, one per class; a fixed palette otherwise.
        font_size: label height in pixels; None for 1/25 of the image's shorter side (at least 10).
    Each label sits just above its box, or inside it at the top when the box touches the
    image's top edge. Returns a new PIL image; the input is not modified.
    """
    from PIL import Image, ImageDraw, ImageFont

    if isinstance(image, Image.Image):
        image = image.convert("RGB")
    else:
        array = check_image("image", image, ndim=(3,))
        if array.shape[-1] != 3:
            raise ValueError(f"image must be a PIL image or an (H, W, 3) array, got shape {array.shape}")
        if array.dtype.kind == "f":
            array = np.clip(np.round(array * 255.0), 0, 255)
        image = Image.fromarray(array.astype(np.uint8))
    boxes = np.asarray(boxes, dtype=float)
    if boxes.ndim > 2 or (boxes.size and boxes.shape[-1] != 4):
        raise ValueError(f"boxes must have shape (n, 4) as (y1, x1, y2, x2), got {boxes.shape}")
    boxes = boxes.reshape(-1, 4)
    classes = np.asarray(classes).reshape(-1).astype(int)
    if len(classes) != len(boxes):
        raise ValueError(f"classes must have one entry per box ({len(boxes)}), got {len(classes)}")
    if scores is not None and len(np.asarray(scores).reshape(-1)) != len(boxes):
        raise ValueError(f"scores must have one entry per box ({len(boxes)})")
    if len(classes) and (classes.min() < 0 or classes.max() >= len(class_names)):
        raise ValueError(f"classes must index class_names (0..{len(class_names) - 1}), got {classes}")
    if colors is None:
        palette = plt.get_cmap("tab10").colors
        colors = [tuple(int(255 * c) for c in palette[i % len(palette)]) for i in range(len(class_names))]
    if font_size is not None:
        check_int("font_size", font_size, 1)
    font = ImageFont.load_default(size=font_size or max(10, round(min(image.size) / 25)))
    draw = ImageDraw.Draw(image)
    for i, ((y1, x1, y2, x2), c) in enumerate(zip(boxes, classes)):
        top, left = max(0, round(y1)), max(0, round(x1))
        bottom, right = min(image.height - 1, round(y2)), min(image.width - 1, round(x2))
        if right < left or bottom < top:  # the box lies entirely outside the image
            continue
        label = class_names[c] if scores is None else f"{class_names[c]} {float(np.asarray(scores).reshape(-1)[i]):.2f}"
        draw.rectangle([left, top, right, bottom], outline=colors[c], width=width)
        tx1, ty1, tx2, ty2 = draw.textbbox((0, 0), label, font=font)
        text_h = ty2 - ty1 + 2
        text_w = tx2 - tx1 + 3
        text_y = top - text_h if top - text_h >= 0 else top + 1
        text_x = max(0, min(left, image.width - text_w))
        draw.rectangle([text_x, text_y, text_x + text_w, text_y + text_h], fill=colors[c])
        draw.text((text_x + 1, text_y - ty1 + 1), label, fill=(0, 0, 0), font=font)
    return image
