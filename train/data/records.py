"""The label types every data source produces, and the plain JSON-lines label format.

JSON lines, one image per line (keypoints in pixels; v optional: 0 = not labelled/hidden):
    {"image": "path/relative/to/root.jpg", "hands": [{"side": "left", "keypoints": [[x, y, v], ...]}]}
Extra keys (source, scores) are kept in ImageRecord.extra / HandLabel.extra.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from train.errors import TrainInputError

SIDES = ("left", "right", "unknown")


@dataclass
class HandLabel:
    """keypoints: float32[K, 2] pixels of the image; visible: bool[K]; side: the person's own hand."""

    keypoints: np.ndarray
    visible: np.ndarray
    side: str = "unknown"
    extra: dict = field(default_factory=dict)


@dataclass
class ImageRecord:
    """One labelled image: where it is, which dataset it came from, and its hands."""

    image: Path
    source: str
    hands: list[HandLabel]
    extra: dict = field(default_factory=dict)


def hand_from_json(obj: dict, where: str) -> HandLabel:
    pts = np.asarray(obj["keypoints"], np.float32)
    if pts.ndim != 2 or pts.shape[1] not in (2, 3):
        raise TrainInputError(f"{where}: keypoints must be [[x, y] or [x, y, v], ...], got shape {pts.shape}")
    visible = pts[:, 2] > 0 if pts.shape[1] == 3 else np.ones(len(pts), bool)
    side = obj.get("side", "unknown")
    if side not in SIDES:
        raise TrainInputError(f"{where}: side must be one of {SIDES}, got {side!r}")
    extra = {k: v for k, v in obj.items() if k not in ("keypoints", "side")}
    return HandLabel(pts[:, :2].copy(), visible, side, extra)


def read_jsonl(path: str | Path, image_root: str | Path | None = None, source: str | None = None) -> list[ImageRecord]:
    """Read livehand JSON-lines labels; image paths are resolved against image_root (default:
    the label file's folder). A malformed line raises ValueError naming file and line."""
    path = Path(path)
    root = Path(image_root) if image_root is not None else path.parent
    records = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            where = f"{path}:{n}"
            try:
                obj = json.loads(line)
                hands = [hand_from_json(h, where) for h in obj.get("hands", [])]
                extra = {k: v for k, v in obj.items() if k not in ("image", "hands")}
                records.append(ImageRecord(root / obj["image"], source or obj.get("source", path.stem), hands, extra))
            except (KeyError, TypeError, json.JSONDecodeError) as exc:
                raise TrainInputError(f"{where}: malformed label line ({exc})") from None
    return records
