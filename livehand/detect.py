"""Hand detection: letterbox the whole frame, run the detector, decode CenterNet-style outputs.

The detector sees the frame letterboxed into S x S and outputs, at stride 4, `centers`
(sigmoid probability that a hand box is centred in that cell) and `sizes` (box w, h as a
fraction of S). Decoding is pure numpy; `detect_hands` is the only function touching a backend.
"""
from __future__ import annotations

import time

import cv2
import numpy as np

from livehand.backends.base import Backend
from livehand.decode import heatmap_to_input
from livehand.preprocess import crop_affine, invert_affine, normalize, transform_points, warp_crops

# Picked by `bench/detector_sweep.py --frames data/frames` on the training sources' validation
# rows (never the held-out sets): the threshold at which the whole pipeline (detector, then the
# landmark model's presence check) finds the most hands net of false ones.
DETECT_THRESHOLD = 0.3
MAX_DETECTIONS = 8
NMS_IOU = 0.5


def letterbox_affine(h: int, w: int, size: int) -> np.ndarray:
    """Frame (h x w) -> detector input (size x size) affine, float64[2, 3]: the whole frame,
    centred, scaled so its longer side fits, black bars on the shorter side."""
    return crop_affine(np.array([(w - 1) / 2.0, (h - 1) / 2.0]), float(max(h, w)), 0.0, size)


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """float[N, 4], float[M, 4] boxes (x0, y0, x1, y1) -> IoU float64[N, M]."""
    a, b = np.asarray(a, np.float64).reshape(-1, 4), np.asarray(b, np.float64).reshape(-1, 4)
    lo = np.maximum(a[:, None, :2], b[None, :, :2])
    hi = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=-1)
    area_a = np.prod(np.clip(a[:, 2:] - a[:, :2], 0, None), axis=-1)
    area_b = np.prod(np.clip(b[:, 2:] - b[:, :2], 0, None), axis=-1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


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
    scores = heat[ys, xs]
    keep: list[int] = []
    for i in range(len(boxes)):
        if len(keep) == max_det:
            break
        if not keep or box_iou(boxes[i:i + 1], boxes[keep]).max() <= nms_iou:
            keep.append(i)
    return boxes[keep].astype(np.float32), scores[keep].astype(np.float32)


def detect_hands(backend: Backend, frame_bgr: np.ndarray, timings: dict[str, float] | None = None,
                 threshold: float = DETECT_THRESHOLD, max_det: int = MAX_DETECTIONS
                 ) -> tuple[np.ndarray, np.ndarray]:
    """uint8[H, W, 3] BGR frame -> (boxes float32[N, 4] frame px, scores float32[N]).
    timings (optional) gets preprocess, inference and decode seconds added."""
    meta = backend.meta
    t0 = time.perf_counter()
    affine = letterbox_affine(frame_bgr.shape[0], frame_bgr.shape[1], meta.input_size)
    batch = normalize(warp_crops(frame_bgr, affine[None], meta.input_size), meta.mean, meta.std)
    t1 = time.perf_counter()
    out = backend.infer(batch)
    t2 = time.perf_counter()
    boxes, scores = decode_detections(out["centers"][0], out["sizes"][0], invert_affine(affine),
                                      threshold, max_det, meta.stride)
    t3 = time.perf_counter()
    if timings is not None:
        for name, dt in (("preprocess", t1 - t0), ("inference", t2 - t1), ("decode", t3 - t2)):
            timings[name] = timings.get(name, 0.0) + dt
    return boxes, scores
