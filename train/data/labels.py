"""Any label file by its format: livehand JSON lines (.jsonl) or COCO-style hand JSON (.json).

Numpy only (no torch), so `livehand eval` can read labels in a runtime install.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from train.data.coco import read_coco
from train.data.records import ImageRecord, read_jsonl
from train.errors import TrainInputError

LABEL_SUFFIXES = (".jsonl", ".json")


def load_labels(path: str | Path, image_root: str | Path | None = None) -> list[ImageRecord]:
    """.jsonl -> read_jsonl, .json -> read_coco. Raises FileNotFoundError or ValueError (naming
    the file) for a missing file, an unknown suffix or malformed labels."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"label file not found: {path}")
    if path.suffix.lower() == ".jsonl":
        return read_jsonl(path, image_root)
    if path.suffix.lower() == ".json":
        return read_coco(path, image_root)
    raise TrainInputError(f"{path}: unknown label format; use {' or '.join(LABEL_SUFFIXES)}")


def write_jsonl(records: Iterable[ImageRecord], path: str | Path) -> int:
    """Write records as livehand JSON lines, image paths relative to the file's folder (so
    read_jsonl finds them with its default root); keypoints as [x, y, v]. Returns lines written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with open(path, "w") as f:
        for rec in records:
            hands = [{**h.extra, "side": h.side,
                      "keypoints": [[round(float(x), 2), round(float(y), 2), int(v)]
                                    for (x, y), v in zip(h.keypoints, h.visible)]}
                     for h in rec.hands]
            image = os.path.relpath(Path(rec.image).resolve(), path.parent.resolve())
            f.write(json.dumps({**rec.extra, "image": image, "source": rec.source, "hands": hands}) + "\n")
            n += 1
    return n
