"""Compositing and camera-like degradations for a rendered hand.

Order follows the physics loosely: hand over background, occluders in front of the hand, then the
camera (defocus or motion blur, exposure/contrast/colour cast, sensor noise); JPEG artefacts come
from writing the file at a random quality.
"""
from __future__ import annotations

import cv2
import numpy as np

_LUMA_BGR = np.array([0.114, 0.587, 0.299])


def composite(hand_rgb: np.ndarray, alpha: np.ndarray, background_bgr: np.ndarray) -> np.ndarray:
    """Float32 BGR image, the hand laid over the background by its anti-aliased coverage."""
    image = background_bgr.astype(np.float32)
    ys, xs = np.nonzero(alpha.any(1))[0], np.nonzero(alpha.any(0))[0]
    if len(ys) == 0:
        return image
    box = np.s_[ys[0]:ys[-1] + 1, xs[0]:xs[-1] + 1]  # blend only where the hand and arm are
    a = alpha[box][..., None]
    image[box] += (hand_rgb[box][..., ::-1].astype(np.float32) - image[box]) * a
    return image


def add_occluders(image: np.ndarray, box: tuple[float, float, float, float], texture: np.ndarray,
                  rng: np.random.Generator) -> np.ndarray:
    """Paint 1-2 random shapes (a stick/pen, a disc, a polygon) over part of the hand's box, filled
    with a flat colour or a patch of another background. Returns the bool coverage mask."""
    size = image.shape[0]
    mask = np.zeros((size, size), np.uint8)
    x0, y0, x1, y1 = box
    scale = max(x1 - x0, y1 - y0)
    for _ in range(int(rng.integers(1, 3))):
        centre = (int(rng.uniform(x0, x1)), int(rng.uniform(y0, y1)))
        shape = np.zeros_like(mask)
        kind = rng.integers(3)
        if kind == 0:
            angle = rng.uniform(0, np.pi)
            half = rng.uniform(0.3, 0.8) * scale * np.array([np.cos(angle), np.sin(angle)])
            end0, end1 = np.asarray(centre) - half, np.asarray(centre) + half
            cv2.line(shape, tuple(int(v) for v in end0), tuple(int(v) for v in end1), 1,
                     max(2, int(rng.uniform(0.04, 0.12) * scale)))
        elif kind == 1:
            axes = (int(rng.uniform(0.08, 0.25) * scale), int(rng.uniform(0.08, 0.25) * scale))
            cv2.ellipse(shape, centre, axes, float(rng.uniform(0, 180)), 0, 360, 1, -1)
        else:
            pts = np.asarray(centre) + rng.normal(0, 0.15 * scale, (int(rng.integers(3, 7)), 2))
            cv2.fillPoly(shape, [cv2.convexHull(pts.astype(np.int32))], 1)
        fill = texture if rng.random() < 0.5 else np.broadcast_to(rng.uniform(0, 255, 3), image.shape)
        image[shape > 0] = fill[shape > 0]
        mask |= shape
    return mask > 0


def camera_effects(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Blur, exposure/contrast, saturation and colour cast, then sensor noise; uint8 BGR out."""
    kind = rng.choice(["none", "gauss", "motion"], p=[0.45, 0.35, 0.2])
    if kind == "gauss":
        image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.4, 1.8))
    elif kind == "motion":
        length = int(rng.integers(3, 10))
        kernel = np.zeros((length, length), np.float32)
        kernel[length // 2] = 1.0 / length
        rot = cv2.getRotationMatrix2D(((length - 1) / 2, (length - 1) / 2), float(rng.uniform(0, 180)), 1.0)
        kernel = cv2.warpAffine(kernel, rot, (length, length))
        image = cv2.filter2D(image, -1, kernel / max(kernel.sum(), 1e-6))
    # Saturation s, contrast c, exposure e and a per-channel cast folded into one 3x4 colour matrix:
    # out = cast * (c * (s * x + (1 - s) * grey - mean) + e * mean), grey = BT.601 luma of x.
    s, c, e = rng.uniform(0.6, 1.3), rng.uniform(0.7, 1.3), rng.uniform(0.65, 1.3)
    cast = rng.uniform(0.9, 1.1, 3)
    mean = float(image.mean())
    matrix = np.zeros((3, 4))
    matrix[:, :3] = (cast * c * (1 - s))[:, None] * _LUMA_BGR[None, :] + np.diag(cast * c * s)
    matrix[:, 3] = cast * mean * (e - c)
    image = cv2.transform(image, matrix.astype(np.float32))
    noise = np.empty_like(image)
    cv2.setRNGSeed(int(rng.integers(2**31)))  # cv2's generator is ~4x faster than numpy's here
    cv2.randn(noise, 0.0, float(rng.uniform(0, 8)))  # sensor noise
    return np.clip(image + noise, 0, 255).astype(np.uint8)
