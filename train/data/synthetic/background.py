"""Backgrounds: random crops of real photos, plus plain, gradient, smooth-noise and clutter fills.

Every photo in ../shared/data/real shows hands, and an unlabelled real hand behind a labelled
synthetic one would teach the model to ignore hands. So by default only the two sources with
much room around the hand are used (hagrid, drone-gestures; in sign-digits, rps-cv and
rf-hand-gesture the hand fills most of the frame), never a held-out source (`EVAL_SOURCES`: their
rooms and people are what evaluation calls unseen), only photos where MediaPipe
found a hand (train/labels/real_mediapipe.jsonl; elsewhere the hand's place is unknown), and a
crop is accepted only if it stays clear of those hands (boxes grown by 40%). If two photos give
no clear crop, a synthetic fill is used instead (under a tenth of the photo draws). A second hand
MediaPipe missed can still slip through. A user folder (--backgrounds) is taken as hand-free and
used whole.
"""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from train.data.splits import EVAL_SOURCES

REPO = Path(__file__).resolve().parents[3]
REAL = REPO.parent / "shared" / "data" / "real"
REAL_LABELS = REPO / "train" / "labels" / "real_mediapipe.jsonl"
SCENE_SOURCES = ("hagrid", "drone-gestures")
_IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
_PHOTO_SHARE = 0.75
_TRIES = 12


def _hand_boxes(labels: Path) -> dict[str, list[tuple[float, float, float, float]]]:
    """Image path (relative to the real/ folder) -> hand boxes x0, y0, x1, y1, grown by 40%."""
    boxes: dict[str, list] = {}
    with open(labels) as f:
        for line in f:
            rec = json.loads(line)
            for hand in rec.get("hands", []):
                pts = np.asarray(hand["keypoints"], np.float64)[:, :2]
                lo, hi = pts.min(0), pts.max(0)
                grow = 0.2 * (hi - lo).max()
                boxes.setdefault(rec["image"], []).append((*(lo - grow), *(hi + grow)))
    return boxes


class Backgrounds:
    """Draws size x size BGR backgrounds; photos are read on demand (a decode costs 1-5 ms)."""

    def __init__(self, photos: list[Path], hand_boxes: dict[str, list] | None = None, root: Path | None = None):
        self.photos = photos
        self.hand_boxes = hand_boxes or {}
        self.root = root

    @classmethod
    def default(cls) -> "Backgrounds":
        """Scene photos from ../shared/data/real with their hands avoided; synthetic fills only if the
        photos or their MediaPipe labels are absent."""
        if not REAL.is_dir():
            return cls([])
        if not REAL_LABELS.is_file():
            return cls([])
        boxes = _hand_boxes(REAL_LABELS)
        # Every photo shows a hand: where MediaPipe found none, its place is unknown, so skip it.
        photos = sorted(p for s in SCENE_SOURCES if s not in EVAL_SOURCES for p in (REAL / s).glob("*.jpg")
                        if p.relative_to(REAL).as_posix() in boxes)
        return cls(photos, boxes, REAL)

    @classmethod
    def from_folder(cls, folder: str | Path) -> "Backgrounds":
        photos = sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in _IMAGE_SUFFIXES)
        if not photos:
            raise ValueError(f"{folder}: no images for backgrounds")
        return cls(photos)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        if self.photos and rng.random() < _PHOTO_SHARE:
            for _ in range(2):
                crop = self._photo_crop(rng, size)
                if crop is not None:
                    return crop
        return synthetic_fill(rng, size)

    def _photo_crop(self, rng: np.random.Generator, size: int) -> np.ndarray | None:
        path = self.photos[rng.integers(len(self.photos))]
        image = cv2.imread(str(path))
        if image is None:
            raise ValueError(f"{path}: unreadable background image")
        h, w = image.shape[:2]
        key = path.relative_to(self.root).as_posix() if self.root else ""
        boxes = np.asarray(self.hand_boxes.get(key, []), np.float64).reshape(-1, 4)
        for _ in range(_TRIES):
            side = rng.uniform(0.2, 0.8) * min(h, w)
            x0, y0 = rng.uniform(0, w - side), rng.uniform(0, h - side)
            ix = np.clip(np.minimum(boxes[:, 2], x0 + side) - np.maximum(boxes[:, 0], x0), 0, None)
            iy = np.clip(np.minimum(boxes[:, 3], y0 + side) - np.maximum(boxes[:, 1], y0), 0, None)
            if (ix * iy).sum() < 0.02 * side * side:
                m = np.array([[size / side, 0, -x0 * size / side], [0, size / side, -y0 * size / side]])
                crop = cv2.warpAffine(image, m, (size, size), flags=cv2.INTER_LINEAR,
                                      borderMode=cv2.BORDER_REFLECT)
                return crop[:, ::-1].copy() if rng.random() < 0.5 else crop
        return None


def synthetic_fill(rng: np.random.Generator, size: int) -> np.ndarray:
    """Plain colour, a two-colour gradient, smooth colour noise, or clutter (shapes on a gradient)."""
    kind = rng.choice(["plain", "gradient", "noise", "clutter"], p=[0.15, 0.25, 0.3, 0.3])
    c0, c1 = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
    if kind == "plain":
        return np.broadcast_to(c0, (size, size, 3)).astype(np.uint8)
    if kind == "noise":
        cells = int(rng.integers(2, 12))
        # Colours scattered around one random colour: varied but not a rainbow.
        small = (c0 + rng.normal(0, rng.uniform(10, 60), (cells, cells, 3))).astype(np.float32)
        return cv2.resize(small, (size, size), interpolation=cv2.INTER_CUBIC).clip(0, 255).astype(np.uint8)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = np.linspace(-0.5, 0.5, size, dtype=np.float32)
    t = np.clip(0.5 + ramp[None, :] * np.cos(angle) + ramp[:, None] * np.sin(angle), 0, 1)[..., None]
    image = (c0.astype(np.float32) + t * (c1 - c0).astype(np.float32)).astype(np.uint8)
    if kind == "clutter":
        for _ in range(int(rng.integers(3, 15))):
            colour = tuple(int(c) for c in rng.uniform(0, 255, 3))
            a, b = rng.uniform(-0.2, 1.2, 2) * size, rng.uniform(0.05, 0.5, 2) * size
            if rng.random() < 0.5:
                cv2.rectangle(image, (int(a[0]), int(a[1])), (int(a[0] + b[0]), int(a[1] + b[1])), colour, -1)
            else:
                cv2.ellipse(image, (int(a[0]), int(a[1])), (int(b[0] / 2), int(b[1] / 2)),
                            float(rng.uniform(0, 180)), 0, 360, colour, -1)
    return image
