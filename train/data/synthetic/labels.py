"""Exact 21-point labels with COCO-style visibility for a rendered hand.

v = 2: in the image and not hidden; v = 1: in the image but hidden (behind another part of the
hand or arm, or under an occluder); v = 0: outside the image. livehand's reader treats v > 0 as
labelled, so hidden points still train (their positions are exact); v tells them apart.
Self-occlusion uses the render's part buffer rather than a depth comparison: joint centres sit
5-16 mm under the skin, more than the gap to an occluding finger, so depth thresholds misjudge
them. A point counts as hidden when the pixels around it show some other part of the mesh and
none of the parts that meet at its joint.
"""
from __future__ import annotations

import numpy as np

from .handmodel import HandModel
from .render import BACKGROUND_PART
from .scene import FOREARM_PART, Scene

_WINDOW = 2  # render pixels either side of the point (1 output pixel at 2x supersampling)


def allowed_parts(model: HandModel) -> np.ndarray:
    """bool[21, 256]: which part ids may cover each label point - its joint, parent and children (the
    tip labels sit on the distal bone's mesh; the wrist also on the forearm)."""
    table = np.zeros((21, 256), bool)
    for k, j in enumerate(model.keypoint_joints):
        table[k, [j, *np.flatnonzero(model.parents == j)]] = True
        table[k, model.parents[j] if model.parents[j] >= 0 else FOREARM_PART] = True
    return table


def label_hand(scene: Scene, allowed: np.ndarray, part: np.ndarray, supersample: int,
               occluded: np.ndarray | None = None) -> list[list[float]]:
    """[[x, y, v]] * 21 in output pixels (pixel centres at integers). allowed: allowed_parts(model);
    part: the render's part buffer; occluded: bool[S, S] pixels under an occluder."""
    uv = scene.project(scene.keypoints)
    size = scene.size
    inside = ((uv >= -0.5) & (uv <= size - 0.5)).all(1)
    # Each point's window of the part buffer (padded, so windows at the border stay whole).
    padded = np.pad(part, _WINDOW, constant_values=BACKGROUND_PART)
    centre = np.clip(((uv + 0.5) * supersample).astype(int), 0, part.shape[0] - 1)
    offsets = np.arange(2 * _WINDOW + 1)
    windows = padded[centre[:, 1, None, None] + offsets[:, None], centre[:, 0, None, None] + offsets[None, :]]
    own = np.take_along_axis(allowed, windows.reshape(21, -1), 1).any(1)
    hidden = ~own & (windows != BACKGROUND_PART).reshape(21, -1).any(1)
    if occluded is not None:
        pixel = np.clip(np.round(uv).astype(int), 0, size - 1)
        hidden |= occluded[pixel[:, 1], pixel[:, 0]]
    v = np.where(inside, np.where(hidden, 1, 2), 0)
    return [[round(float(x), 2), round(float(y), 2), int(vis)] for (x, y), vis in zip(uv, v)]
