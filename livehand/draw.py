"""Drawing only: skeletons, labels and the HUD onto a BGR frame. No tracking logic here."""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from livehand.hand import Hand
from livehand.skeleton import KeypointSchema

FONT = cv2.FONT_HERSHEY_SIMPLEX
SIDE_COLOURS = {"left": (255, 160, 0), "right": (0, 160, 255)}  # BGR, matches the label box


@dataclass(frozen=True)
class HudStats:
    """What the heads-up display shows. Latencies are capture-to-drawn, in milliseconds."""

    fps: float
    latency_p50_ms: float
    latency_p95_ms: float
    dropped: int
    jitter: float

    def lines(self) -> list[str]:
        def ms(v: float) -> str:
            return "-" if math.isnan(v) else f"{v:.0f}"

        return [f"FPS {self.fps:.1f}",
                f"latency p50 {ms(self.latency_p50_ms)} / p95 {ms(self.latency_p95_ms)} ms",
                f"dropped {self.dropped}",
                f"jitter {self.jitter:.2f} px"]


def draw(frame: np.ndarray, hands: Sequence[Hand], schema: KeypointSchema,
         stats: HudStats | None = None) -> np.ndarray:
    """Draw onto frame (uint8[H, W, 3] BGR, modified in place and returned).

    hands: keypoints float[K, 3] in frame pixels with K == schema.num_keypoints."""
    scale = max(frame.shape[:2]) / 640.0  # line widths and text follow the frame size
    thick = max(1, round(2 * scale))
    radius = max(2, round(3 * scale))
    for hand in hands:
        pts = np.asarray(hand.keypoints, np.float64)
        if len(pts) != schema.num_keypoints:
            raise ValueError(f"hand has {len(pts)} keypoints, schema {schema.name} has {schema.num_keypoints}")
        xy = np.round(pts[:, :2]).astype(np.int32)
        for (a, b), colour in zip(schema.bones, schema.bone_colours):
            cv2.line(frame, tuple(map(int, xy[a])), tuple(map(int, xy[b])), colour, thick, cv2.LINE_AA)
        for p in xy:
            cv2.circle(frame, (int(p[0]), int(p[1])), radius, (255, 255, 255), -1, cv2.LINE_AA)
            cv2.circle(frame, (int(p[0]), int(p[1])), radius, (40, 40, 40), 1, cv2.LINE_AA)
        _label(frame, hand, scale)
    if stats is not None:
        _hud(frame, stats.lines(), scale)
    return frame


def _label(frame: np.ndarray, hand: Hand, scale: float) -> None:
    """'R #3 0.97' in a filled box just above the hand's box (inside the frame)."""
    colour = SIDE_COLOURS.get(hand.side, (200, 200, 200))
    text = f"{hand.side[:1].upper() or '?'} #{hand.id} {hand.score:.2f}"
    font_scale, text_thick = 0.5 * scale, max(1, round(scale))
    (tw, th), base = cv2.getTextSize(text, FONT, font_scale, text_thick)
    x0, y0, x1, y1 = hand.box
    cv2.rectangle(frame, (int(x0), int(y0)), (int(x1), int(y1)), colour, 1, cv2.LINE_AA)
    x = int(min(max(x0, 0), max(frame.shape[1] - tw - 4, 0)))
    y = int(min(max(y0 - 4, th + base + 2), frame.shape[0] - 2))
    cv2.rectangle(frame, (x, y - th - base - 2), (x + tw + 4, y), colour, -1)
    cv2.putText(frame, text, (x + 2, y - base), FONT, font_scale, (0, 0, 0), text_thick, cv2.LINE_AA)


def _hud(frame: np.ndarray, lines: list[str], scale: float) -> None:
    """Text lines top-left on a darkened panel so they stay legible on any background."""
    font_scale, text_thick = 0.55 * scale, max(1, round(scale))
    sizes = [cv2.getTextSize(t, FONT, font_scale, text_thick)[0] for t in lines]
    line_h = max(h for _, h in sizes) + round(8 * scale)
    w = max(w for w, _ in sizes) + round(16 * scale)
    h = line_h * len(lines) + round(8 * scale)
    panel = frame[:h, :w]
    panel[:] = cv2.convertScaleAbs(panel, alpha=0.4)
    for i, text in enumerate(lines):
        y = round(4 * scale) + line_h * (i + 1) - round(4 * scale)
        cv2.putText(frame, text, (round(8 * scale), y), FONT, font_scale, (255, 255, 255), text_thick,
                    cv2.LINE_AA)
