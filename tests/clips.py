"""Test clips composed from real footage in ../shared (read-only; tests may read small files there)."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

SHARED_VIDEO = Path(__file__).resolve().parents[2] / "shared" / "data" / "video"


def two_hand_clip(frames: int = 60, size: tuple[int, int] = (960, 540)) -> tuple[list[np.ndarray], list[str]]:
    """Both hands of hands.jpg moving on their own paths over its white background.

    hands.jpg holds two LEFT hands seen from the back; the right half is mirrored so the clip
    shows a left hand (on the image's left) and a right hand (on the image's right). Returns
    (BGR frames, the true side of the hand on the image's left and right)."""
    photo = cv2.imread(str(SHARED_VIDEO / "hands.jpg"))
    h, w = photo.shape[:2]
    left_hand, right_hand = photo[:, : w // 2], photo[:, w // 2:][:, ::-1]
    background = np.median(photo[:10].reshape(-1, 3), axis=0).astype(np.uint8)
    out = []
    for i in range(frames):
        canvas = np.empty((size[1], size[0], 3), np.uint8)
        canvas[:] = background
        phase = 2 * np.pi * i / frames
        for patch, (x, y) in ((left_hand, (60 + 40 * np.sin(phase), 60 + 40 * np.cos(phase))),
                              (right_hand, (size[0] - w // 2 - 60 + 40 * np.sin(phase + 1), 70 + 40 * np.sin(2 * phase)))):
            x, y = int(x), int(y)
            canvas[y:y + h, x:x + patch.shape[1]] = patch
        out.append(canvas)
    return out, ["left", "right"]
