"""GANerated Hands in its release layout -> ImageRecords (one left hand per 256x256 crop).

    GANeratedHands_Release/data/{noObject,withObject}/NNNN/FFFF_color_composed.png
                                                         FFFF_joint2D.txt      42 floats, crop px
                                                         FFFF_joint_pos.txt    63 floats, normalised
                                                         FFFF_crop_params.txt  crop_u, crop_v, scale

Every image shows the person's LEFT hand; training mirrors crops to make right hands.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from train.data.records import HandLabel, ImageRecord
from train.errors import TrainInputError

SUBSETS = ("noObject", "withObject")

# joint2D index -> livehand HAND21 index. The release README lists wrist, then each finger
# (thumb..pinky) from its root to its tip, which is HAND21's order, so the mapping is the identity.
# That order is checked on the data, not trusted: joint_pos.txt is normalised so that the middle
# MCP sits at the origin with |wrist - middle MCP| = 1, so in HAND21 order joint 9 must be the
# origin and joint 0 at distance 1 (`check_joint_order`, run on the first frame of each folder).
# A tip->root listing would put the middle MCP at index 12 and fail the check.
GANERATED_TO_HAND21 = tuple(range(21))
_MIDDLE_MCP, _WRIST = 9, 0


def read_floats(path: Path, count: int) -> np.ndarray:
    """A one-line file of `count` comma- (or space-) separated numbers -> float64[count];
    anything else is a ValueError naming the file."""
    try:
        text = path.read_text()
    except UnicodeDecodeError as exc:
        raise TrainInputError(f"{path}: not a text file of numbers ({exc})") from None
    parts = [p for p in text.replace(",", " ").split() if p]
    try:
        values = np.array([float(p) for p in parts], np.float64)
    except ValueError as exc:
        raise TrainInputError(f"{path}: not a list of numbers ({exc})") from None
    if len(values) != count or not np.isfinite(values).all():
        raise TrainInputError(f"{path}: expected {count} finite numbers, got {len(values)}")
    return values


def read_joint2d(path: Path) -> np.ndarray:
    """FFFF_joint2D.txt -> float32[21, 2] crop pixels in HAND21 order."""
    return read_floats(path, 42).reshape(21, 2)[list(GANERATED_TO_HAND21)].astype(np.float32)


def check_joint_order(joint_pos: Path) -> None:
    """Raise ValueError unless FFFF_joint_pos.txt has the middle MCP at the origin and the wrist
    at distance 1 under GANERATED_TO_HAND21 (see the comment there)."""
    pts = read_floats(joint_pos, 63).reshape(21, 3)[list(GANERATED_TO_HAND21)]
    if np.linalg.norm(pts[_MIDDLE_MCP]) > 1e-3 or abs(np.linalg.norm(pts[_WRIST]) - 1) > 1e-2:
        origin = int(np.argmin(np.linalg.norm(pts, axis=1)))
        raise TrainInputError(f"{joint_pos}: the middle MCP (origin) is joint {origin}, not {_MIDDLE_MCP}: "
                         "the joint order is not the one GANERATED_TO_HAND21 assumes")


def release_data_dir(root: str | Path) -> Path:
    """Accept the release folder, its data/ folder, or a parent of the release folder."""
    root = Path(root)
    for cand in (root, root / "data", root / "GANeratedHands_Release" / "data"):
        if any((cand / s).is_dir() for s in SUBSETS):
            return cand
    raise FileNotFoundError(f"{root}: no GANerated Hands data ({'/'.join(SUBSETS)} folders) found")


def iter_ganerated(root: str | Path, subsets: tuple[str, ...] = SUBSETS, limit: int | None = None,
                   source: str = "ganerated") -> Iterator[ImageRecord]:
    """Yield one ImageRecord per frame (folders and frames in name order), at most `limit`.

    keypoints are in pixels of the 256x256 composed image; all 21 are visible=True because
    GANerated labels every joint, occluded or outside the image (crop cutting masks what falls
    outside its crop). extra: subset, crop_params
    (crop_u, crop_v, scale) when the file exists. A malformed label file raises ValueError."""
    data = release_data_dir(root)
    count = 0
    for subset in subsets:
        sub = data / subset
        if not sub.is_dir():
            continue
        for folder in sorted(p for p in sub.iterdir() if p.is_dir()):
            checked = False
            for joint_file in sorted(folder.glob("*_joint2D.txt")):
                if limit is not None and count >= limit:
                    return
                frame = joint_file.name[: -len("_joint2D.txt")]
                if not checked and (folder / f"{frame}_joint_pos.txt").is_file():
                    check_joint_order(folder / f"{frame}_joint_pos.txt")
                    checked = True
                kps = read_joint2d(joint_file)
                extra: dict = {"subset": subset}
                params = folder / f"{frame}_crop_params.txt"
                if params.is_file():
                    extra["crop_params"] = tuple(float(v) for v in read_floats(params, 3))
                yield ImageRecord(folder / f"{frame}_color_composed.png", source,
                                  [HandLabel(kps, np.ones(21, bool), "left")], extra)
                count += 1
