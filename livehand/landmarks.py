"""Run the landmark model on crops of a frame: preprocess -> backend -> decode -> frame pixels."""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from livehand.backends.base import Backend
from livehand.decode import decode_heatmaps, heatmap_to_input
from livehand.preprocess import crop_affine, invert_affine, normalize, transform_points, warp_crops
from livehand.skeleton import schema_for_layout


@dataclass(frozen=True)
class Crop:
    """A square crop of the frame: centre (x, y), side in frame pixels, rotation in radians."""

    center: tuple[float, float]
    side: float
    angle: float = 0.0


@dataclass
class LandmarkResult:
    """keypoints: float32[N, K, 3] (x, y, conf) in frame pixels; presence, right: float32[N]
    (probability that the crop holds a hand / that it is a right hand, as seen in the crop)."""

    keypoints: np.ndarray
    presence: np.ndarray
    right: np.ndarray


def merge_flipped(out: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    """Outputs for a batch of 2n crops (n crops, then the same n mirrored) -> outputs for n: the
    mirrored heatmaps flipped back and averaged in (heatmap column j of a mirrored crop is column
    w-1-j of the crop: see decode.input_to_heatmap), presence averaged, and the mirrored crop's
    handedness turned round (a mirrored left hand is a right hand)."""
    return {"heatmaps": (out["heatmaps"][:n] + out["heatmaps"][n:, ..., ::-1]) / 2,
            "presence": (out["presence"][:n] + out["presence"][n:]) / 2,
            "handedness": (out["handedness"][:n] + 1 - out["handedness"][n:]) / 2}


def run_landmarks(backend: Backend, frame_bgr: np.ndarray, crops: list[Crop],
                  timings: dict[str, float] | None = None, flip_test: bool = False) -> LandmarkResult:
    """All crops go through the model in one batch. flip_test: each crop is also run mirrored
    and the two averaged (twice the model work; held-out PCK@0.1 +0.02, see docs/model.md).
    timings (optional) gets preprocess, inference and decode seconds added."""
    meta = backend.meta
    size = meta.input_size
    if not crops:
        k = schema_for_layout(meta.layout).num_keypoints
        z = np.zeros((0,), np.float32)
        return LandmarkResult(np.zeros((0, k, 3), np.float32), z, z)
    t0 = time.perf_counter()
    affines = np.stack([crop_affine(np.asarray(c.center), c.side, c.angle, size) for c in crops])
    batch = normalize(warp_crops(frame_bgr, affines, size), meta.mean, meta.std)
    t1 = time.perf_counter()
    if flip_test:
        out = merge_flipped(backend.infer(np.concatenate([batch, batch[..., ::-1]])), len(crops))
    else:
        out = backend.infer(batch)
    t2 = time.perf_counter()
    xy, conf = decode_heatmaps(out["heatmaps"])
    xy = heatmap_to_input(xy, meta.stride)
    inv = invert_affine(affines)
    kps = np.stack([transform_points(np.concatenate([xy[i], conf[i, :, None]], axis=1), inv[i])
                    for i in range(len(crops))]).astype(np.float32)
    t3 = time.perf_counter()
    if timings is not None:
        for name, dt in (("preprocess", t1 - t0), ("inference", t2 - t1), ("decode", t3 - t2)):
            timings[name] = timings.get(name, 0.0) + dt
    return LandmarkResult(kps, out["presence"].astype(np.float32).reshape(-1),
                          out["handedness"].astype(np.float32).reshape(-1))
