"""Hand detection: letterbox the whole frame, run the detector, decode CenterNet-style outputs.

The detector sees the frame letterboxed into S x S (optionally inside a black margin) and
outputs, at stride 4, `centers` (sigmoid probability that a hand box is centred in that cell)
and `sizes` (box w, h as a fraction of S). Decoding is pure numpy; `detect_hands` is the only
function touching a backend.
"""
from __future__ import annotations

import time

import cv2
import numpy as np

from livehand.backends.base import Backend
from livehand.decode import heatmap_to_input
from livehand.matching import box_iou
from livehand.preprocess import crop_affine, invert_affine, normalize, transform_points, warp_crops

# Picked by `bench/detector_sweep.py --frames data/frames` on the training sources' validation
# rows (never the held-out sets): the threshold at which the whole pipeline (detector, then the
# landmark model's presence check) finds the most hands net of false ones. 0.25 until landmark
# cycle 20 (2026-12-05), with which the sweep picks 0.15 (bench/results/detector_sweep_validation.json).
DETECT_THRESHOLD = 0.15
# Tracking video keeps 0.25, the value the still-image sweep picked up to landmark cycle 19: the
# sweep scores single images, where a false detection costs one false hand; in video it becomes a
# track that lasts. Tried 2026-12-05: 0.15 with cycle 21 (bench/start_presence.py's best pair on
# the validation rows) put livehand on MediaPipe's hand in 10 frames of the webcam sign clip
# instead of 13, a track on the signer's body holding the rest (docs/model.md, "Detector threshold").
VIDEO_DETECT_THRESHOLD = 0.25
# Whole-frame detector passes, one per black margin round the frame (a share of its longer side),
# in one batch. The detector scores a hand that fills much of the frame low (hands.jpg's second
# hand: 0.19 as it is, 0.38 inside a 0.25 margin, i.e. at 1/1.5 the scale), but a margin shrinks
# every hand, so the margin pass keeps only big boxes (MARGIN_MIN_SIDE) and the plain pass the
# rest. Picked by `bench/detector_sweep.py --frames data/frames` at DETECT_THRESHOLD on the same
# validation rows: 92.9% found, 0.056 extra per image -> 95.3%, 0.066 (docs/model.md, "Detector
# margins"). A margin pass that kept every box lost small webcam hands (2026-12-02, not shipped).
DETECT_MARGINS: tuple[float, ...] = (0.0, 0.25)
# Tracking video keeps the plain pass alone: there a false detection becomes a track that lasts
# many frames, and on the webcam sign clip the margin pass doubled the false hands (0.83 -> 1.66
# per frame, boxes on the signer's torso), while a hand once found is followed at any size.
VIDEO_DETECT_MARGINS: tuple[float, ...] = (0.0,)
# A pass with a margin (the frame zoomed out) keeps only boxes whose longer side is at least this
# share of the frame's longer side: it is there for hands too big for the plain pass, and the
# small ones it finds are the plain pass's to find (one scale range per pass, as in SNIP).
# 0 keeps every box, as the margin passes measured first did.
MARGIN_MIN_SIDE = 0.3
MAX_DETECTIONS = 8
NMS_IOU = 0.5


def letterbox_affine(h: int, w: int, size: int, margin: float = 0.0) -> np.ndarray:
    """Frame (h x w) -> detector input (size x size) affine, float64[2, 3]: the whole frame,
    centred, scaled so its longer side plus `margin` of it on each end fits, black bars on the
    shorter side."""
    return crop_affine(np.array([(w - 1) / 2.0, (h - 1) / 2.0]), float(max(h, w)) * (1 + 2 * margin), 0.0, size)


def tile_windows(h: int, w: int, tile: float = 0.6, overlap: float = 0.25) -> np.ndarray:
    """Square windows (cx, cy, side) float64[T, 3] covering an h x w frame, side = tile * max(h, w):
    the detector sees each one magnified 1 / tile, so hands too small for the whole-frame pass
    grow to a size it finds. Along each axis, as few windows as cover it with >= overlap shared."""
    side = tile * max(h, w)

    def centres(extent: int) -> np.ndarray:
        if extent <= side:
            return np.array([(extent - 1) / 2.0])
        n = int(np.ceil((extent - side) / (side * (1 - overlap)))) + 1
        return np.linspace(side / 2 - 0.5, extent - side / 2 - 0.5, n)

    xs, ys = centres(w), centres(h)
    return np.array([(x, y, side) for y in ys for x in xs], np.float64).reshape(-1, 3)


def inside_window(boxes: np.ndarray, window: np.ndarray, h: int, w: int, margin: float = 0.02) -> np.ndarray:
    """bool[N]: boxes (frame px) that stay clear of the window's edges, except edges on the frame's
    own border: a box touching an inner edge may be a hand cut in two, seen whole elsewhere."""
    cx, cy, side = window
    pad = margin * side
    x0, y0, x1, y1 = cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2
    ok = np.ones(len(boxes), bool)
    for inner, cut in ((x0 > pad, boxes[:, 0] <= x0 + pad), (y0 > pad, boxes[:, 1] <= y0 + pad),
                       (x1 < w - 1 - pad, boxes[:, 2] >= x1 - pad), (y1 < h - 1 - pad, boxes[:, 3] >= y1 - pad)):
        if inner:
            ok &= ~cut
    return ok


def _peak_offsets(heat: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sub-cell peak position from a parabola through each peak and its two neighbours per axis:
    without it a box centre is quantised to the stride (4 input px, ~25 px in a 1280 frame)."""
    p = np.pad(heat, 1, mode="edge")
    py, px = ys + 1, xs + 1

    def vertex(lo: np.ndarray, mid: np.ndarray, hi: np.ndarray) -> np.ndarray:
        curv = lo - 2 * mid + hi
        return np.where(curv < 0, 0.5 * (lo - hi) / np.where(curv < 0, curv, -1.0), 0.0).clip(-0.5, 0.5)

    return (vertex(p[py, px - 1], p[py, px], p[py, px + 1]),
            vertex(p[py - 1, px], p[py, px], p[py + 1, px]))


def decode_detections(centers: np.ndarray, sizes: np.ndarray, affine_inv: np.ndarray,
                      threshold: float = DETECT_THRESHOLD, max_det: int = MAX_DETECTIONS,
                      stride: int = 4, nms_iou: float = NMS_IOU) -> tuple[np.ndarray, np.ndarray]:
    """One image's detector outputs -> (boxes float32[N, 4] as (x0, y0, x1, y1) frame px,
    scores float32[N]), best first, N <= max_det.

    centers: float[1, h, w] (or [h, w]) centre probabilities; sizes: float[2, h, w] box (w, h)
    as a fraction of the input side S = h * stride; affine_inv: float[2, 3] input -> frame.
    Peaks are local maxima over 3x3 (CenterNet's max-pool NMS) at or above threshold; boxes that
    still overlap a better one by more than nms_iou (two peaks on one big hand) are dropped."""
    heat = np.asarray(centers, np.float32).reshape(centers.shape[-2:])
    h, w = heat.shape
    side = h * stride
    pooled = cv2.dilate(heat, np.ones((3, 3), np.uint8))
    ys, xs = np.nonzero((heat >= pooled) & (heat >= threshold))
    order = np.argsort(-heat[ys, xs], kind="stable")
    ys, xs = ys[order], xs[order]
    dx, dy = _peak_offsets(heat, ys, xs)
    centre = heatmap_to_input(np.stack([xs + dx, ys + dy], axis=1), stride)
    wh = np.clip(np.asarray(sizes, np.float32)[:, ys, xs].T, 0, None) * side
    corners = np.stack([centre - wh / 2, centre + wh / 2], axis=1)  # [N, 2 corners, 2]
    boxes = transform_points(corners.astype(np.float64), np.asarray(affine_inv, np.float64)).reshape(-1, 4)
    return merge_detections(boxes, heat[ys, xs], max_det, nms_iou)


def average_mirrored(maps: np.ndarray, n: int) -> np.ndarray:
    """float[2n, C, h, w] outputs for n inputs then the same inputs mirrored left-right -> float[n, C, h, w]:
    each mirrored map flipped back and averaged in (CenterNet's flip test). Column j of a mirrored
    map is column w-1-j of the original: with cell centres at (j + 0.5) * stride - 0.5 both mean
    the same input pixel, and a box's width and height do not change under a mirror."""
    maps = np.asarray(maps, np.float32)
    return 0.5 * (maps[:n] + maps[n:, ..., ::-1])


def detect_hands(backend: Backend, frame_bgr: np.ndarray, timings: dict[str, float] | None = None,
                 threshold: float = DETECT_THRESHOLD, max_det: int = MAX_DETECTIONS, tiles: bool = False,
                 margins: tuple[float, ...] = DETECT_MARGINS, margin_min_side: float = MARGIN_MIN_SIDE,
                 flip_test: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """uint8[H, W, 3] BGR frame -> (boxes float32[N, 4] frame px, scores float32[N]).

    margins: one whole-frame pass per margin (black border, a share of the frame's longer side,
    `letterbox_affine`); a pass with a margin keeps boxes at least margin_min_side of the frame's
    longer side. tiles: also run the detector on overlapping windows (`tile_windows`),
    for small hands; detections cut by a window's inner edge are dropped. All passes go in one
    batch, and their detections are merged by score with the same NMS. flip_test: every pass also
    runs mirrored, and its outputs are averaged in (`average_mirrored`; 2x detector work; off by
    default: on the validation rows it finds fewer hands net of false ones, docs/model.md).
    timings (optional) gets preprocess, inference and decode seconds added."""
    meta = backend.meta
    t0 = time.perf_counter()
    h, w = frame_bgr.shape[:2]
    affines = [letterbox_affine(h, w, meta.input_size, m) for m in margins]
    windows = tile_windows(h, w) if tiles else np.zeros((0, 3))
    affines += [crop_affine(win[:2], win[2], 0.0, meta.input_size) for win in windows]
    batch = normalize(warp_crops(frame_bgr, np.stack(affines), meta.input_size), meta.mean, meta.std)
    t1 = time.perf_counter()
    if flip_test:
        out = backend.infer(np.ascontiguousarray(np.concatenate([batch, batch[..., ::-1]])))
        out = {k: average_mirrored(v, len(batch)) for k, v in out.items()}
    else:
        out = backend.infer(batch)
    t2 = time.perf_counter()
    found = [decode_detections(out["centers"][i], out["sizes"][i], invert_affine(m), threshold, max_det, meta.stride)
             for i, m in enumerate(affines)]
    for i, m in enumerate(margins):
        if m > 0:
            big = (found[i][0][:, 2:] - found[i][0][:, :2]).max(1, initial=0) >= margin_min_side * max(h, w)
            found[i] = (found[i][0][big], found[i][1][big])
    for i, win in enumerate(windows, start=len(margins)):
        keep = inside_window(found[i][0], win, h, w)
        found[i] = (found[i][0][keep], found[i][1][keep])
    if len(found) > 1:
        boxes, scores = merge_detections(np.concatenate([b for b, _ in found]),
                                         np.concatenate([s for _, s in found]), max_det)
    else:
        boxes, scores = found[0]
    t3 = time.perf_counter()
    if timings is not None:
        for name, dt in (("preprocess", t1 - t0), ("inference", t2 - t1), ("decode", t3 - t2)):
            timings[name] = timings.get(name, 0.0) + dt
    return boxes, scores


def merge_detections(boxes: np.ndarray, scores: np.ndarray, max_det: int = MAX_DETECTIONS,
                     nms_iou: float = NMS_IOU) -> tuple[np.ndarray, np.ndarray]:
    """Detections from several passes, float[N, 4] + float[N] -> best first, overlaps > nms_iou dropped."""
    order = np.argsort(-scores, kind="stable")
    keep: list[int] = []
    for i in order:
        if len(keep) == max_det:
            break
        if not keep or box_iou(boxes[i:i + 1], boxes[keep]).max() <= nms_iou:
            keep.append(int(i))
    return boxes[keep].astype(np.float32).reshape(-1, 4), scores[keep].astype(np.float32)
