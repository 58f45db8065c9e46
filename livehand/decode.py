"""Heatmaps -> keypoints: argmax with DARK sub-pixel refinement. Pure numpy.

Coordinate convention (shared with training targets): input pixel p and heatmap pixel h are
related by p = (h + 0.5) * stride - 0.5, i.e. pixel centres line up.
"""
from __future__ import annotations

import cv2
import numpy as np


def input_to_heatmap(points: np.ndarray, stride: int) -> np.ndarray:
    """Input-pixel coordinates -> heatmap-pixel coordinates (same shape)."""
    return (points + 0.5) / stride - 0.5


def heatmap_to_input(points: np.ndarray, stride: int) -> np.ndarray:
    """Heatmap-pixel coordinates -> input-pixel coordinates (same shape)."""
    return (points + 0.5) * stride - 0.5


def decode_heatmaps(heatmaps: np.ndarray, blur_sigma: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """float[B, K, h, w] -> (xy float32[B, K, 2] in heatmap pixels, conf float32[B, K]).

    DARK (Zhang et al. 2020): blur the map so its peak is gaussian, take the log, and make one
    Newton step from the argmax: offset = -H^-1 grad. conf is the raw peak value."""
    b, k, h, w = heatmaps.shape
    maps = heatmaps.reshape(b * k, h, w).astype(np.float32)
    flat_idx = maps.reshape(b * k, -1).argmax(axis=1)
    conf = maps.reshape(b * k, -1)[np.arange(b * k), flat_idx]
    ys, xs = np.divmod(flat_idx, w)

    if blur_sigma > 0:
        ksize = int(2 * round(3 * blur_sigma) + 1)
        maps = np.stack([cv2.GaussianBlur(m, (ksize, ksize), blur_sigma) for m in maps])
    logm = np.log(np.maximum(maps, 1e-10))
    padded = np.pad(logm, ((0, 0), (1, 1), (1, 1)), mode="edge")
    n = np.arange(b * k)
    px, py = xs + 1, ys + 1

    def at(dy: int, dx: int) -> np.ndarray:
        return padded[n, py + dy, px + dx]

    c0 = at(0, 0)
    dx = 0.5 * (at(0, 1) - at(0, -1))
    dy = 0.5 * (at(1, 0) - at(-1, 0))
    dxx = at(0, 1) - 2 * c0 + at(0, -1)
    dyy = at(1, 0) - 2 * c0 + at(-1, 0)
    dxy = 0.25 * (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1))
    det = dxx * dyy - dxy * dxy
    ok = (det > 1e-12) & (dxx < 0) & (dyy < 0)  # only a true maximum gets a Newton step
    safe = np.where(ok, det, 1.0)
    off_x = np.where(ok, -(dyy * dx - dxy * dy) / safe, 0.0)
    off_y = np.where(ok, -(dxx * dy - dxy * dx) / safe, 0.0)
    xy = np.stack([xs + np.clip(off_x, -1, 1), ys + np.clip(off_y, -1, 1)], axis=-1)
    return xy.reshape(b, k, 2).astype(np.float32), conf.reshape(b, k).astype(np.float32)
