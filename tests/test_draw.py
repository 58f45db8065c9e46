"""Drawing: bones in their finger colours, labels, the HUD; nothing else changes."""
from __future__ import annotations

import numpy as np
import pytest

from livehand.draw import HudStats, draw
from livehand.hand import Hand, box_of
from livehand.skeleton import FINGER_COLOURS, HAND17, HAND21, to_hand17


def _open_hand(cx: float = 200, cy: float = 260) -> np.ndarray:
    """float32[21, 3]: wrist at the bottom, five straight fingers fanning upwards."""
    pts = [(cx, cy)]
    for f in range(5):
        ang = np.deg2rad(-60 + 30 * f)
        for j in range(1, 5):
            r = 30 + 25 * j
            pts.append((cx + r * np.sin(ang), cy - r * np.cos(ang)))
    return np.concatenate([np.array(pts), np.ones((21, 1))], 1).astype(np.float32)


def _colour_near(img: np.ndarray, xy: np.ndarray, colour) -> bool:
    x, y = np.round(xy).astype(int)
    patch = img[y - 2:y + 3, x - 2:x + 3].reshape(-1, 3).astype(int)
    return bool((np.abs(patch - np.array(colour)).sum(1) < 30).any())


def test_bones_labels_and_hud():
    kps = _open_hand()
    hand = Hand(kps, 0.93, "left", box_of(kps), 4)
    frame = np.zeros((400, 480, 3), np.uint8)
    out = draw(frame, [hand], HAND21, HudStats(29.7, 33.0, 48.0, 5, 0.8))
    assert out is frame
    # the middle of each finger's second bone carries that finger's colour
    for f, name in enumerate(("thumb", "index", "middle", "ring", "pinky")):
        a, b = 2 + 4 * f, 3 + 4 * f
        assert _colour_near(out, (kps[a, :2] + kps[b, :2]) / 2, FINGER_COLOURS[name]), name
    assert _colour_near(out, kps[8, :2], (255, 255, 255))  # keypoint dot
    x0, y0 = int(hand.box[0]), int(hand.box[1])
    assert out[max(0, y0 - 20):y0, x0:x0 + 60].any()  # label above the box
    assert out[:20, :150].any()  # HUD text top-left
    assert not out[380:, 400:].any()  # far from everything: untouched


def test_hud_lines_and_empty_latency():
    lines = HudStats(12.34, float("nan"), float("nan"), 3, 1.5).lines()
    assert lines == ["FPS 12.3", "latency p50 - / p95 - ms", "dropped 3", "jitter 1.50 px"]


def test_hand17_draws_and_mismatch_raises():
    kps17 = to_hand17(_open_hand())
    frame = np.zeros((400, 480, 3), np.uint8)
    draw(frame, [Hand(kps17, 0.5, "right", box_of(kps17), 0)], HAND17)
    assert _colour_near(frame, (kps17[12, :2] + kps17[7, :2]) / 2, FINGER_COLOURS["thumb"])
    with pytest.raises(ValueError, match="21 keypoints"):
        draw(frame, [Hand(_open_hand(), 0.5, "right", (0, 0, 1, 1), 0)], HAND17)
