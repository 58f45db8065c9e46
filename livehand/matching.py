"""Box overlap and greedy one-to-one assignment, shared by tracking (boxes) and evaluation (keypoints)."""
from __future__ import annotations

import numpy as np


def greedy_match(cost: np.ndarray, max_cost: float) -> list[tuple[int, int]]:
    """float[P, L] -> (pred, label) pairs, cheapest first, each index used once, cost <= max_cost.
    With a handful of hands per image greedy equals the optimal assignment in practice."""
    pairs: list[tuple[int, int]] = []
    used_p: set[int] = set()
    used_l: set[int] = set()
    for flat in np.argsort(cost, axis=None, kind="stable"):
        i, j = divmod(int(flat), cost.shape[1])
        if cost[i, j] > max_cost:
            break
        if i not in used_p and j not in used_l:
            pairs.append((i, j))
            used_p.add(i)
            used_l.add(j)
    return pairs


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
