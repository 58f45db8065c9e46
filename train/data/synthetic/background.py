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

A share of the photo crops is centred on a face (MediaPipe face boxes,
train/labels/faces_mediapipe.jsonl) at 1.2-2.5x its size, so the rendered hand lands in front of
it: on the validation rows the worst hagrid hands were fingers held to the lips ("shh"), where the
model drew the hand onto the nose and mouth; webcam frames put hands by faces all the time.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from train.data.splits import EVAL_SOURCES

REPO = Path(__file__).resolve().parents[3]
REAL = REPO.parent / "shared" / "data" / "real"
REAL_LABELS = REPO / "train" / "labels" / "real_mediapipe.jsonl"
FACE_LABELS = REPO / "train" / "labels" / "faces_mediapipe.jsonl"
SCENE_SOURCES = ("hagrid", "drone-gestures")
_IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
_PHOTO_SHARE = 0.75
FACE_SHARE = 0.4  # of photo crops, when the photos have face boxes
_TRIES = 12


def _boxes_by_image(labels: Path, boxes_of: Callable[[dict], list]) -> dict[str, list[tuple[float, ...]]]:
    """JSON-lines labels -> image path (relative to the real/ folder) -> boxes_of(line), where it has any."""
    boxes: dict[str, list] = {}
    with open(labels) as f:
        for line in f:
            rec = json.loads(line)
            if found := boxes_of(rec):
                boxes.setdefault(rec["image"], []).extend(found)
    return boxes


def _grown_hand_boxes(rec: dict) -> list[tuple[float, ...]]:
    """A label line's hands as boxes x0, y0, x1, y1 around their keypoints, grown by 40%."""
    out = []
    for hand in rec.get("hands", []):
        pts = np.asarray(hand["keypoints"], np.float64)[:, :2]
        lo, hi = pts.min(0), pts.max(0)
        grow = 0.2 * (hi - lo).max()
        out.append((*(lo - grow), *(hi + grow)))
    return out


def _face_boxes(rec: dict) -> list[tuple[float, ...]]:
    """A face-label line's face boxes x0, y0, x1, y1."""
    return [tuple(face["box"]) for face in rec.get("faces", [])]


class Backgrounds:
    """Draws size x size BGR backgrounds; photos are read on demand (a decode costs 1-5 ms)."""

    def __init__(self, photos: list[Path], hand_boxes: dict[str, list] | None = None, root: Path | None = None,
                 face_boxes: dict[str, list] | None = None):
        self.photos = photos
        self.hand_boxes = hand_boxes or {}
        self.root = root
        self.face_boxes = face_boxes or {}
        # by source, drawn source first: drone-gestures has 2.4x hagrid's face photos, of a few people
        self.face_photos: dict[str, list[Path]] = {}
        for p in photos:
            if root and p.relative_to(root).as_posix() in self.face_boxes:
                self.face_photos.setdefault(p.relative_to(root).parts[0], []).append(p)

    @classmethod
    def default(cls) -> "Backgrounds":
        """Scene photos from ../shared/data/real with their hands avoided; synthetic fills only if the
        photos or their MediaPipe labels are absent."""
        if not REAL.is_dir():
            return cls([])
        if not REAL_LABELS.is_file():
            return cls([])
        boxes = _boxes_by_image(REAL_LABELS, _grown_hand_boxes)
        # Every photo shows a hand: where MediaPipe found none, its place is unknown, so skip it.
        photos = sorted(p for s in SCENE_SOURCES if s not in EVAL_SOURCES for p in (REAL / s).glob("*.jpg")
                        if p.relative_to(REAL).as_posix() in boxes)
        faces = _boxes_by_image(FACE_LABELS, _face_boxes) if FACE_LABELS.is_file() else {}
        return cls(photos, boxes, REAL, faces)

    @classmethod
    def from_folder(cls, folder: str | Path) -> "Backgrounds":
        photos = sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in _IMAGE_SUFFIXES)
        if not photos:
            raise ValueError(f"{folder}: no images for backgrounds")
        return cls(photos)

    def sample(self, rng: np.random.Generator, size: int, faces: bool = True) -> np.ndarray:
        """faces=False: never a face-centred crop (e.g. for occluders)."""
        if self.photos and rng.random() < _PHOTO_SHARE:
            on_face = faces and bool(self.face_photos) and rng.random() < FACE_SHARE
            for _ in range(2):
                crop = self._photo_crop(rng, size, on_face)
                if crop is not None:
                    return crop
        return synthetic_fill(rng, size)

    def _photo_crop(self, rng: np.random.Generator, size: int, on_face: bool = False) -> np.ndarray | None:
        pool = self.face_photos[sorted(self.face_photos)[rng.integers(len(self.face_photos))]] if on_face else self.photos
        path = pool[rng.integers(len(pool))]
        image = cv2.imread(str(path))
        if image is None:
            raise ValueError(f"{path}: unreadable background image")
        h, w = image.shape[:2]
        key = path.relative_to(self.root).as_posix() if self.root else ""
        boxes = np.asarray(self.hand_boxes.get(key, []), np.float64).reshape(-1, 4)
        faces = np.asarray(self.face_boxes.get(key, []), np.float64).reshape(-1, 4)
        for _ in range(_TRIES):
            if on_face:  # the face near the middle, filling 40-80% of the crop
                fx0, fy0, fx1, fy1 = faces[rng.integers(len(faces))]
                face = max(fx1 - fx0, fy1 - fy0)
                side = min(rng.uniform(1.2, 2.5) * face, min(h, w))
                cx, cy = (np.array([fx0 + fx1, fy0 + fy1]) / 2 + rng.uniform(-0.25, 0.25, 2) * face)
                x0, y0 = np.clip(cx - side / 2, 0, w - side), np.clip(cy - side / 2, 0, h - side)
            else:
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
