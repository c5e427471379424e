"""Generated street scenes: a small stand-in for the CARLA simulator used by the course.

Each scene is drawn with NumPy from a seed: a sky, buildings with windows, a
road in perspective with lane markings, sidewalks, grass and trees, and the
lecture's three object classes (pedestrians, cars, motorcycles) at scales that
follow the perspective, in random colours, poses and positions, partly hiding
one another, under random lighting with pixel noise.

Every scene comes with a per-pixel label (``SEG_CLASSES``) and a bounding box
and class (``OBJECT_CLASSES``) for every object. A box is the tight box of the
object's *visible* pixels, as ``(x1, y1, x2, y2)`` in pixel-edge coordinates:
columns ``x1 .. x2 - 1`` and rows ``y1 .. y2 - 1`` hold the object. An object
that would be less than half visible, or would show fewer than ``MIN_PIXELS``
pixels, is left out of the scene altogether, so every object pixel in a mask
belongs to a box.

    scene = make_scene(seed=3)             # one 128x128 scene
    data = load_scenes(2000, seed=0)        # many scenes, cached under data/cache/
    one = make_scenes(500, n_objects=1)     # at most one object per scene (localization)
"""
import functools
import numbers

import numpy as np

from . import config
from .validation import check_int

SEG_CLASSES = ["sky", "building", "road", "lane marking", "sidewalk", "vegetation",
               "pedestrian", "car", "motorcycle"]
OBJECT_CLASSES = ["pedestrian", "car", "motorcycle"]
SKY, BUILDING, ROAD, LANE, SIDEWALK, VEGETATION, PEDESTRIAN, CAR, MOTORCYCLE = range(len(SEG_CLASSES))
OBJECT_LABELS = [PEDESTRIAN, CAR, MOTORCYCLE]  # mask label of each object class

# Colours used to display masks (one RGB row per class in SEG_CLASSES).
SEG_COLORS = np.array([
    [135, 190, 235],  # sky
    [110, 90, 80],    # building
    [70, 70, 75],     # road
    [250, 240, 70],   # lane marking
    [200, 160, 200],  # sidewalk
    [60, 160, 60],    # vegetation
    [220, 20, 60],    # pedestrian
    [0, 60, 230],     # car
    [255, 140, 0],    # motorcycle
], dtype=np.uint8)

MIN_VISIBLE = 0.5   # an object less visible than this fraction is left out of the scene
MIN_PIXELS = 12     # ... and so is one with fewer visible pixels than this
VERSION = 1         # part of the cache file name; bump when the drawing changes

# Height of each object class relative to its distance below the horizon, and width / height.
_HEIGHT = {PEDESTRIAN: 0.62, CAR: 0.40, MOTORCYCLE: 0.50}
_ASPECT = {PEDESTRIAN: 0.38, CAR: 2.1, MOTORCYCLE: 1.2}


@functools.lru_cache(maxsize=8)
def _grid(size):
    """Row and column coordinates of pixel centres, each (size, size) float32."""
    centres = np.arange(size, dtype=np.float32) + 0.5
    yy, xx = np.meshgrid(centres, centres, indexing="ij")
    yy.flags.writeable = False
    xx.flags.writeable = False
    return yy, xx


def _colour(rng, base, spread):
    """A random RGB colour in [0, 1] around ``base``, shape (3,)."""
    return np.clip(np.asarray(base, np.float32) + rng.uniform(-spread, spread, 3), 0, 1).astype(np.float32)


def _rect(u, v, u0, v0, u1, v1):
    return (u >= u0) & (u < u1) & (v >= v0) & (v < v1)


def _ellipse(u, v, cu, cv, ru, rv):
    return ((u - cu) / ru) ** 2 + ((v - cv) / rv) ** 2 <= 1


# Object shapes are drawn in unit box coordinates: u across (0 left, 1 right), v down (0 top,
# 1 bottom). ``aspect`` (width / height) turns a radius in v into the same radius in u.

def _pedestrian_parts(u, v, aspect, rng):
    skin = _colour(rng, [0.6, 0.45, 0.35], 0.2)
    shirt = rng.uniform(0.05, 0.95, 3).astype(np.float32)
    trousers = _colour(rng, [0.25, 0.25, 0.3], 0.2)
    stride = rng.uniform(0.0, 0.12)  # how far the legs are apart
    return [
        (_rect(u, v, 0.27 - stride, 0.55, 0.47, 1.0) | _rect(u, v, 0.53, 0.55, 0.73 + stride, 1.0), trousers),
        (_rect(u, v, 0.22, 0.17, 0.78, 0.58), shirt),
        (_rect(u, v, 0.04, 0.19, 0.2, 0.52) | _rect(u, v, 0.8, 0.19, 0.96, 0.52), shirt),
        (_ellipse(u, v, 0.5, 0.09, 0.085 / aspect, 0.085), skin),
    ]


def _car_parts(u, v, aspect, rng):
    paint = rng.uniform(0.05, 0.95, 3).astype(np.float32)
    glass = _colour(rng, [0.35, 0.45, 0.55], 0.1)
    tyre = np.array([0.08, 0.08, 0.08], np.float32)
    r = 0.2  # wheel radius in v units
    cabin = (v >= 0.0) & (v < 0.42) & (u >= 0.3 - 0.12 * v / 0.42) & (u <= 0.72 + 0.14 * v / 0.42)
    window = (v >= 0.07) & (v < 0.38) & (u >= 0.34 - 0.1 * v / 0.42) & (u <= 0.68 + 0.12 * v / 0.42)
    return [
        (cabin | _rect(u, v, 0.0, 0.4, 1.0, 0.82), paint),
        (window, glass),
        (_rect(u, v, 0.95, 0.47, 1.0, 0.58), np.array([1.0, 0.95, 0.7], np.float32)),  # headlight
        (_ellipse(u, v, 0.22, 1 - r, r / aspect, r) | _ellipse(u, v, 0.78, 1 - r, r / aspect, r), tyre),
    ]


def _motorcycle_parts(u, v, aspect, rng):
    paint = rng.uniform(0.05, 0.95, 3).astype(np.float32)
    jacket = rng.uniform(0.05, 0.6, 3).astype(np.float32)
    helmet = rng.uniform(0.1, 1.0, 3).astype(np.float32)
    tyre = np.array([0.08, 0.08, 0.08], np.float32)
    r = 0.24
    wheels = _ellipse(u, v, 0.2, 1 - r, r / aspect, r) | _ellipse(u, v, 0.8, 1 - r, r / aspect, r)
    hubs = _ellipse(u, v, 0.2, 1 - r, 0.4 * r / aspect, 0.4 * r) | _ellipse(u, v, 0.8, 1 - r, 0.4 * r / aspect, 0.4 * r)
    return [
        (wheels, tyre),
        (hubs, np.array([0.6, 0.6, 0.6], np.float32)),
        (_rect(u, v, 0.2, 0.5, 0.82, 0.72) | _rect(u, v, 0.72, 0.3, 0.8, 0.55), paint),  # body, fork
        (_rect(u, v, 0.36, 0.16, 0.58, 0.55) | _rect(u, v, 0.5, 0.25, 0.76, 0.33), jacket),  # rider, arm
        (_ellipse(u, v, 0.48, 0.09, 0.09 / aspect, 0.09), helmet),
    ]


_PARTS = {PEDESTRIAN: _pedestrian_parts, CAR: _car_parts, MOTORCYCLE: _motorcycle_parts}


def _check_seed(seed):
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        if seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed}")
        return
    if isinstance(seed, tuple) and seed and all(isinstance(s, numbers.Integral) and s >= 0 for s in seed):
        return
    raise TypeError(f"seed must be a non-negative integer or a tuple of them, got {seed!r}")


def _background(rng, size):
    """Sky, buildings, road, lane markings, sidewalks, grass and trees.

    The scene is first painted with colour codes (one per surface, one per building
    block), then the codes are turned into colours with a single palette lookup.
    Returns (image (size, size, 3) float32 in [0, 1], mask (size, size) uint8, layout dict).
    """
    yy, xx = _grid(size)
    horizon = rng.uniform(0.34, 0.48) * size
    vx = rng.uniform(0.35, 0.65) * size          # vanishing point column
    k = rng.uniform(1.0, 1.6)                     # road half-width per row below the horizon
    s = rng.uniform(0.3, 0.6) * k                 # sidewalk width per row below the horizon
    d = yy - horizon                              # distance below the horizon (negative above)
    dx = xx - vx
    below = d > 0
    mask = np.full((size, size), SKY, np.uint8)
    paint = np.zeros((size, size), np.uint8)      # colour code of each pixel; 0 is sky
    palette = [np.zeros(3, np.float32)]           # the sky gradient is added at the end

    def fill(where, label, colour):
        mask[where] = label
        paint[where] = len(palette)
        palette.append(colour)

    # Buildings: a row of blocks standing on the horizon, with lit or dark windows.
    n_blocks = rng.integers(3, 9)
    edges = np.sort(rng.uniform(0, size, n_blocks - 1))
    block = np.searchsorted(edges, xx[0])                         # block index of each column
    starts = np.concatenate([[0.0], edges])[block]
    present = rng.uniform(size=n_blocks) < 0.85
    tops = np.where(present, horizon * rng.uniform(0.05, 0.8, n_blocks), size)[block]
    period = rng.uniform(4, 9, (n_blocks, 2))[block]              # window spacing (x, y) per column
    walls = np.clip(rng.uniform(0.25, 0.75, (n_blocks, 1)) * rng.uniform(0.8, 1.2, (n_blocks, 3)), 0, 1)
    building = ~below & (yy >= tops)
    mask[building] = BUILDING
    paint[building] = len(palette) + block[None].repeat(size, 0)[building]
    palette.extend(walls.astype(np.float32))
    windows = (building & (d < -2) & ((xx - starts) % period[:, 0] < 0.5 * period[:, 0])
               & ((yy - tops) % period[:, 1] > 0.45 * period[:, 1]))
    lit = (rng.uniform(size=n_blocks) < 0.5)[block]
    fill(windows & lit, BUILDING, np.array([0.9, 0.85, 0.55], np.float32))
    fill(windows & ~lit, BUILDING, np.array([0.2, 0.25, 0.3], np.float32))

    # Ground: road in perspective, a sidewalk on each side, grass beyond.
    half = k * d
    road = below & (np.abs(dx) <= half)
    sidewalk = below & ~road & (np.abs(dx) <= half + s * d)
    fill(road, ROAD, _colour(rng, [0.38, 0.38, 0.4], 0.08))
    fill(sidewalk, SIDEWALK, _colour(rng, [0.68, 0.64, 0.6], 0.1))
    fill(below & ~road & ~sidewalk, VEGETATION, _colour(rng, [0.3, 0.55, 0.25], 0.1))

    # Lane markings: solid lines near both road edges, dashed lines between lanes.
    width = 0.02 * k * d + 0.35
    n_lanes = rng.integers(2, 4)
    dashes = ((rng.uniform(25, 60) / np.maximum(d, 1e-3) + rng.uniform()) % 1.0) < 0.5
    lines = np.abs(np.abs(dx) - 0.9 * half) < width
    for j in range(1, n_lanes):
        lines |= (np.abs(dx - half * (-0.9 + 1.8 * j / n_lanes)) < width) & dashes
    fill(road & lines & (d > 1.5), LANE, _colour(rng, [0.92, 0.9, 0.75], 0.06))

    # Trees on the grass: a trunk and a round crown.
    for _ in range(rng.integers(0, 4)):
        base = horizon + rng.uniform(0.03, 0.25) * (size - horizon)
        side = rng.choice([-1.0, 1.0])
        cx = vx + side * ((k + s) * (base - horizon) + rng.uniform(2, 0.25 * size))
        r = rng.uniform(0.35, 0.6) * (base - horizon) + 3
        fill(_rect(xx, yy, cx - 0.15 * r, base - 2.2 * r, cx + 0.15 * r, base), VEGETATION,
             _colour(rng, [0.35, 0.25, 0.15], 0.05))
        fill(_ellipse(xx, yy, cx, base - 2.2 * r, r, 1.1 * r), VEGETATION, _colour(rng, [0.2, 0.45, 0.18], 0.1))

    # Colours, a sky lighter towards the horizon, and ground a little darker near the camera.
    image = np.stack(palette)[paint]
    top, low = _colour(rng, [0.3, 0.5, 0.85], 0.12), _colour(rng, [0.75, 0.82, 0.9], 0.08)
    rows = np.clip(yy[:, :1] / horizon, 0, 1)
    image += (paint == 0)[..., None] * (top * (1 - rows) + low * rows)[:, None, :]
    image *= np.clip(1.0 - 0.25 * np.maximum(d[:, :1], 0) / size, 0.7, 1)[..., None]
    return image, mask, dict(horizon=horizon, vx=vx, k=k, s=s)


def _place_object(rng, size, cls, layout):
    """Choose where an object stands and how big it is; returns its nominal box (x0, y0, x1, y1)."""
    horizon, vx, k, s = layout["horizon"], layout["vx"], layout["k"], layout["s"]
    d = rng.uniform(0.22, 1.0) * (size - horizon)        # ground row, as distance below the horizon
    h = _HEIGHT[cls] * d * rng.uniform(0.85, 1.15)
    w = _ASPECT[cls] * h * rng.uniform(0.9, 1.1)
    if w > 0.9 * size:
        h, w = h * 0.9 * size / w, 0.9 * size
    if cls == PEDESTRIAN and rng.uniform() < 0.75:       # usually on a sidewalk
        side = rng.choice([-1.0, 1.0])
        lo, hi = sorted([vx + side * k * d, vx + side * (k + s) * d])
    else:                                                # on the road
        lo, hi = vx - k * d, vx + k * d
    lo, hi = max(lo, w / 2), min(hi, size - w / 2)
    if lo > hi:
        lo, hi = w / 2, size - w / 2
    cx, bottom = rng.uniform(lo, hi), horizon + d
    return cx - w / 2, bottom - h, cx + w / 2, bottom


def _render(rng, size, n_objects):
    image, mask, layout = _background(rng, size)
    yy, xx = _grid(size)

    objects = []
    for _ in range(n_objects):
        cls = OBJECT_LABELS[rng.integers(len(OBJECT_LABELS))]
        x0, y0, x1, y1 = _place_object(rng, size, cls, layout)
        r0, r1 = int(max(np.floor(y0), 0)), int(min(np.ceil(y1), size))
        c0, c1 = int(max(np.floor(x0), 0)), int(min(np.ceil(x1), size))
        u = (xx[r0:r1, c0:c1] - x0) / (x1 - x0)
        v = (yy[r0:r1, c0:c1] - y0) / (y1 - y0)
        if rng.uniform() < 0.5:
            u = 1 - u  # face left or right
        parts = _PARTS[cls](u, v, (x1 - x0) / (y1 - y0), rng)
        shape = np.logical_or.reduce([p for p, _ in parts])
        objects.append(dict(cls=cls, crop=(slice(r0, r1), slice(c0, c1)), parts=parts, shape=shape,
                            bottom=y1, centre=(x0 + x1) / 2, width=x1 - x0))

    # Occlusion: nearer objects (lower in the image) hide farther ones. Leave out objects
    # that would be mostly hidden, and record the visible pixels of the others.
    occupied = np.zeros((size, size), bool)
    kept = []
    for obj in sorted(objects, key=lambda o: -o["bottom"]):
        visible = obj["shape"] & ~occupied[obj["crop"]]
        if visible.sum() < max(MIN_PIXELS, MIN_VISIBLE * obj["shape"].sum()):
            continue
        occupied[obj["crop"]] |= obj["shape"]
        obj["visible"] = visible
        kept.append(obj)

    # Shadows on the ground, then objects from far to near.
    light = np.ones((size, size), np.float32)
    for obj in kept:
        rx, ry = 0.55 * obj["width"], 0.04 * obj["width"] + 1
        rows = slice(int(max(obj["bottom"] - ry, 0)), int(min(obj["bottom"] + ry + 1, size)))
        cols = slice(int(max(obj["centre"] - rx, 0)), int(min(obj["centre"] + rx + 1, size)))
        shadow = _ellipse(xx[rows, cols], yy[rows, cols], obj["centre"], obj["bottom"], rx, ry)
        light[rows, cols][shadow & (mask[rows, cols] >= ROAD)] = 0.55
    boxes, classes = [], []
    for obj in reversed(kept):
        region, labels = image[obj["crop"]], mask[obj["crop"]]
        for part, colour in obj["parts"]:
            region[part] = colour
        labels[obj["shape"]] = obj["cls"]
        rows, cols = np.nonzero(obj["visible"])
        r0, c0 = obj["crop"][0].start, obj["crop"][1].start
        boxes.append([c0 + cols.min(), r0 + rows.min(), c0 + cols.max() + 1, r0 + rows.max() + 1])
        classes.append(OBJECT_LABELS.index(obj["cls"]))

    # Lighting (overall level, colour cast, a horizontal gradient) and sensor noise.
    light *= 1 + rng.uniform(-0.3, 0.3) * (xx / size - 0.5)
    image *= light[..., None] * (rng.uniform(0.6, 1.2) * (1 + rng.uniform(-0.08, 0.08, 3))).astype(np.float32)
    image += rng.uniform(0.005, 0.04) * rng.standard_normal(image.shape, dtype=np.float32)
    image = (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)
    return dict(image=image, mask=mask,
                boxes=np.array(boxes, np.float32).reshape(-1, 4),
                classes=np.array(classes, np.int32))


def make_scene(seed, size=128, max_objects=4, n_objects=None):
    """Draw one street scene.

    Arguments:
        seed: non-negative integer, or tuple of them; the same seed gives the same scene.
        size: side of the square image in pixels (at least 32).
        max_objects: the number of objects tried is uniform in 0..max_objects.
        n_objects: if given, exactly this many objects are tried instead. An object is
            left out when less than half of it would be visible (hidden by nearer objects)
            or when it would show fewer than ``MIN_PIXELS`` pixels (a distant object in a
            small image), so a scene may hold fewer objects than were tried. This holds for
            ``n_objects=1`` too: the scene then comes out empty (no box, and no object pixels
            in the mask). That happens to about 4% of the scenes at size 64 and to a few in
            a thousand at size 96.
    Returns a dict with
        image: (size, size, 3) uint8 RGB,
        mask: (size, size) uint8, indices into SEG_CLASSES,
        boxes: (n, 4) float32, (x1, y1, x2, y2) pixel edges of each object's visible part,
        classes: (n,) int32, indices into OBJECT_CLASSES.
    """
    _check_seed(seed)
    check_int("size", size, 32)
    check_int("max_objects", max_objects, 0)
    if n_objects is not None:
        check_int("n_objects", n_objects, 0)
    rng = np.random.default_rng(seed)
    count = int(rng.integers(0, max_objects + 1)) if n_objects is None else n_objects
    return _render(rng, size, count)


def make_scenes(n, seed=0, size=128, max_objects=4, n_objects=None):
    """Draw ``n`` scenes; scene ``i`` is ``make_scene((seed, i), size, max_objects, n_objects)``.

    Returns a dict with images (n, size, size, 3) uint8, masks (n, size, size) uint8,
    boxes (a list of n float32 arrays (k_i, 4)) and classes (a list of n int32 arrays (k_i,)).
    """
    check_int("n", n, 1)
    check_int("seed", seed, 0)
    scenes = [make_scene((seed, i), size, max_objects, n_objects) for i in range(n)]
    return dict(images=np.stack([s["image"] for s in scenes]),
                masks=np.stack([s["mask"] for s in scenes]),
                boxes=[s["boxes"] for s in scenes],
                classes=[s["classes"] for s in scenes])


def load_scenes(n, seed=0, size=128, max_objects=4, n_objects=None):
    """Like :func:`make_scenes`, but cached as an ``.npz`` file under ``config.CACHE_DIR``."""
    check_int("n", n, 1)
    check_int("seed", seed, 0)
    check_int("size", size, 32)
    check_int("max_objects", max_objects, 0)
    if n_objects is not None:
        check_int("n_objects", n_objects, 0)
    objects = "" if n_objects is None else f"_obj{n_objects}"
    path = config.CACHE_DIR / f"scenes_v{VERSION}_n{n}_seed{seed}_size{size}_max{max_objects}{objects}.npz"
    if not path.exists():
        data = make_scenes(n, seed, size, max_objects, n_objects)
        with config.atomic_path(path) as tmp, open(tmp, "wb") as f:
            np.savez_compressed(f, images=data["images"], masks=data["masks"],
                                boxes=np.concatenate(data["boxes"]),
                                classes=np.concatenate(data["classes"]),
                                counts=np.array([len(c) for c in data["classes"]]))
    with np.load(path) as f:
        splits = np.cumsum(f["counts"])[:-1]
        return dict(images=f["images"], masks=f["masks"],
                    boxes=np.split(f["boxes"], splits), classes=np.split(f["classes"], splits))


def colorize_mask(mask):
    """Colour a mask of SEG_CLASSES indices for display: (..., H, W) uint8 -> (..., H, W, 3) uint8."""
    mask = np.asarray(mask)
    if mask.dtype.kind not in "iu":
        raise TypeError(f"mask must hold integer class indices, got dtype {mask.dtype}")
    if mask.size and (mask.min() < 0 or mask.max() >= len(SEG_CLASSES)):
        raise ValueError(f"mask values must lie in 0..{len(SEG_CLASSES) - 1}")
    return SEG_COLORS[mask]
