"""Greedy one-to-one assignment, shared by tracking (boxes) and evaluation (keypoints)."""
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
