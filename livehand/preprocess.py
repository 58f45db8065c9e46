"""Crop geometry and preprocessing: pure numpy/OpenCV, no I/O.

A crop is (centre, side, angle): a square of `side` frame pixels centred on `centre`, rotated by
`angle` radians so that the hand's wrist->middle-knuckle direction points up in the crop. The
same functions cut training crops and tracking crops, so the model always sees what it learnt on.
"""
from __future__ import annotations

import cv2
import numpy as np

from livehand.skeleton import HandKeypoint


def crop_affine(center: np.ndarray, side: float, angle: float, size: int) -> np.ndarray:
    """Frame -> crop affine, float64[2, 3]. The crop is size x size pixels; pixel centres are at
    integer coordinates. angle = 0 is an upright, unrotated crop."""
    c, s = np.cos(angle), np.sin(angle)
    scale = size / side
    rot = scale * np.array([[c, s], [-s, c]])
    t = (size - 1) / 2.0 - rot @ np.asarray(center, np.float64)
    return np.hstack([rot, t[:, None]])


def invert_affine(m: np.ndarray) -> np.ndarray:
    """float[..., 2, 3] -> its inverse, float64[..., 2, 3]."""
    a = np.asarray(m, np.float64)[..., :2]
    inv = np.linalg.inv(a)
    t = -np.einsum("...ij,...j->...i", inv, np.asarray(m, np.float64)[..., 2])
    return np.concatenate([inv, t[..., None]], axis=-1)


def transform_points(points: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Apply float[2, 3] to float[..., N, >=2] points; extra channels (conf) pass through."""
    xy = points[..., :2] @ m[:, :2].T + m[:, 2]
    return np.concatenate([xy, points[..., 2:]], axis=-1).astype(points.dtype, copy=False)


def hand_angle(keypoints: np.ndarray) -> float:
    """Rotation (radians) that turns the wrist->middle-MCP direction to point up."""
    d = keypoints[HandKeypoint.MIDDLE_MCP, :2] - keypoints[HandKeypoint.WRIST, :2]
    return float(np.arctan2(d[0], -d[1]))


def box_from_keypoints(keypoints: np.ndarray, box_scale: float, rotate: bool = True,
                       visible: np.ndarray | None = None) -> tuple[np.ndarray, float, float]:
    """float[21, >=2] keypoints -> (centre float64[2], side, angle): the square crop around them.

    The box is fitted in the hand's own upright frame (when rotate) and enlarged by box_scale.
    visible: optional bool[21]; hidden points do not shape the box (the angle still needs
    the wrist and middle MCP)."""
    pts = np.asarray(keypoints, np.float64)[:, :2]
    angle = hand_angle(pts) if rotate else 0.0
    use = pts if visible is None else pts[np.asarray(visible, bool)]
    c, s = np.cos(angle), np.sin(angle)
    rot = np.array([[c, s], [-s, c]])
    local = use @ rot.T
    lo, hi = local.min(axis=0), local.max(axis=0)
    center = ((lo + hi) / 2) @ rot  # rot is orthonormal: its transpose undoes it
    side = float(max(hi - lo) * box_scale)
    return center, max(side, 1.0), angle


def warp_crops(image: np.ndarray, affines: np.ndarray, size: int) -> np.ndarray:
    """uint8[H, W, 3] + float[N, 2, 3] -> uint8[N, size, size, 3] (black outside the frame)."""
    out = np.empty((len(affines), size, size, 3), np.uint8)
    for i, m in enumerate(affines):
        cv2.warpAffine(image, m, (size, size), dst=out[i], flags=cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
    return out


def normalize(crops_bgr: np.ndarray, mean: tuple, std: tuple) -> np.ndarray:
    """uint8[N, S, S, 3] BGR -> float32[N, 3, S, S] RGB, (x - mean) / std per channel."""
    rgb = crops_bgr[..., ::-1].astype(np.float32)
    rgb -= np.asarray(mean, np.float32)
    rgb *= 1.0 / np.asarray(std, np.float32)
    return np.ascontiguousarray(rgb.transpose(0, 3, 1, 2))
