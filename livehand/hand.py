"""The result type every stage after decoding passes along, and its JSON form."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Hand:
    """One hand in frame pixels. keypoints: float32[K, 3] as (x, y, conf); box: (x0, y0, x1, y1);
    side: 'left' | 'right' (the person's own hand); score: presence probability."""

    keypoints: np.ndarray
    score: float
    side: str
    box: tuple[float, float, float, float]
    id: int = -1

    def to_json(self) -> dict:
        return {
            "id": int(self.id),
            "side": self.side,
            "score": round(float(self.score), 4),
            "box": [round(float(v), 2) for v in self.box],
            "keypoints": [[round(float(x), 2), round(float(y), 2), round(float(c), 4)]
                          for x, y, c in self.keypoints],
        }


def box_of(points: np.ndarray) -> tuple[float, float, float, float]:
    """float[K, >=2] -> (x0, y0, x1, y1) around the points."""
    x0, y0 = points[:, :2].min(axis=0)
    x1, y1 = points[:, :2].max(axis=0)
    return float(x0), float(y0), float(x1), float(y1)
