"""A contact sheet of generated images with their labels drawn, for eyeballing a run.

Bones in livehand's finger colours; filled dots are visible points (v = 2), hollow dots points
hidden behind the hand or an occluder (v = 1); the side is written in the corner.
"""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from livehand.skeleton import HAND21


def contact_sheet(folder: Path, count: int = 8, columns: int = 4, scale: float = 1.5) -> np.ndarray:
    """BGR image of the first `count` images of a generated folder (labels.jsonl + images/)."""
    tiles = []
    with open(folder / "labels.jsonl") as f:
        for line, _ in zip(f, range(count)):
            rec = json.loads(line)
            image = cv2.imread(str(folder / rec["image"]))
            image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
            for hand in rec["hands"]:
                _draw_hand(image, np.asarray(hand["keypoints"], np.float64), scale)
                cv2.putText(image, hand["side"], (6, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 2,
                            cv2.LINE_AA)
            tiles.append(image)
    if not tiles:
        raise ValueError(f"{folder}: no labelled images for a contact sheet")
    blank = np.zeros_like(tiles[0])
    tiles += [blank] * (-len(tiles) % columns)
    return np.vstack([np.hstack(tiles[r:r + columns]) for r in range(0, len(tiles), columns)])


def _draw_hand(image: np.ndarray, kp: np.ndarray, scale: float) -> None:
    # Labels put pixel centres at integers; scaling maps centre c to (c + 0.5) * scale - 0.5.
    xy = np.round((kp[:, :2] + 0.5) * scale - 0.5).astype(int)
    for (a, b), colour in zip(HAND21.bones, HAND21.bone_colours):
        if kp[a, 2] > 0 and kp[b, 2] > 0:
            cv2.line(image, tuple(map(int, xy[a])), tuple(map(int, xy[b])), colour, 1, cv2.LINE_AA)
    for (x, y), v in zip(xy, kp[:, 2]):
        if v > 0:
            cv2.circle(image, (int(x), int(y)), 3, (255, 255, 255), -1 if v == 2 else 1, cv2.LINE_AA)
