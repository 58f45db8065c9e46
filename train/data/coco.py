"""COCO-style hand keypoint JSON as mmpose uses it -> ImageRecords.

Three shapes of the format are read (samples in ../shared/data/labelled/mmpose):
- hand datasets (FreiHAND, OneHand10K, CMU panoptic, RHD): `images[]` + one `annotations[]` entry
  per hand with `keypoints` K x (x, y, v), flat or nested; K comes from the data.
- COCO-WholeBody: person annotations carrying `lefthand_kpts` / `righthand_kpts` (21 x 3 each).
- InterHand2.6M: `<name>_data.json` with `joint_valid` per annotation, plus `<name>_camera.json` and
  `<name>_joint_3d.json` beside it; 2D keypoints are the 3D joints projected into the camera.
v > 0 marks a labelled keypoint (COCO-WholeBody's machine-made hands carry fractional v < 1; they
count as labelled, as in mmpose).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from train.data.records import HandLabel, ImageRecord
from train.errors import TrainInputError

# Source index for each HAND21 index where a dataset lists fingers tip->root. Verified by drawing
# the mmpose samples: in rhd/00111.png joint 1 lies on the thumb tip and joint 4 near its base; in
# InterHand2.6M (its skeleton.txt: thumb4..thumb1, index4.., wrist last) the projected joint 0
# lands on the thumb tip and joint 20 on the wrist.
RHD_TO_HAND21 = (0, 4, 3, 2, 1, 8, 7, 6, 5, 12, 11, 10, 9, 16, 15, 14, 13, 20, 19, 18, 17)
INTERHAND_TO_HAND21 = (20, 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12, 19, 18, 17, 16)
# InterHand2.6M lists the right hand's 21 joints, then the left's.
INTERHAND_BLOCKS = (("right", 0), ("left", 21))


def load_json(path: Path):
    try:
        with open(path) as f:
            return json.load(f)
    except json.JSONDecodeError as exc:
        raise TrainInputError(f"{path}: not valid JSON ({exc})") from None


def read_coco(path: str | Path, image_root: str | Path | None = None, source: str | None = None
              ) -> list[ImageRecord]:
    """Every image in the file (those without hands too), hands in HAND21 order where the dataset's
    order is known to differ. image_root: where file_name is resolved (default: the JSON's folder);
    source: the records' dataset name (default: the file's stem). Malformed input -> ValueError
    naming the file."""
    path = Path(path)
    data = load_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("images"), list) \
            or not isinstance(data.get("annotations"), list):
        raise TrainInputError(f"{path}: not COCO-style labels (needs 'images' and 'annotations' lists)")
    root = Path(image_root) if image_root is not None else path.parent
    try:
        images = {img["id"]: img for img in data["images"]}
        anns = data["annotations"]
        if anns and "joint_valid" in anns[0] and "keypoints" not in anns[0]:
            hands = _interhand(path, images, anns)
        elif anns and ("lefthand_kpts" in anns[0] or "righthand_kpts" in anns[0]):
            hands = _wholebody(anns)
        else:
            rhd = str(data.get("info", {}).get("description", "")).lower().startswith("rhd")
            hands = _hand_annotations(images, anns, RHD_TO_HAND21 if rhd else None)
        return [ImageRecord(root / img["file_name"], source or path.stem, hands.get(i, []),
                            {"width": img.get("width"), "height": img.get("height")})
                for i, img in images.items()]
    except (KeyError, TypeError, IndexError) as exc:
        raise TrainInputError(f"{path}: malformed COCO hand labels ({type(exc).__name__}: {exc})") from None
    except ValueError as exc:
        raise TrainInputError(f"{path}: {exc}") from None


def _points(raw, where: str) -> np.ndarray:
    pts = np.asarray(raw, np.float32).reshape(-1)
    if pts.size == 0 or pts.size % 3:
        raise TrainInputError(f"{where}: keypoints must be K x (x, y, v), got {pts.size} numbers")
    return pts.reshape(-1, 3)


def _side_from_name(file_name: str) -> str:
    """CMU panoptic names its crops ..._l.jpg / ..._r.jpg."""
    stem = Path(file_name).stem.lower()
    return "left" if stem.endswith("_l") else "right" if stem.endswith("_r") else "unknown"


def _hand_annotations(images: dict, anns: list, order: tuple[int, ...] | None) -> dict[int, list[HandLabel]]:
    out: dict[int, list[HandLabel]] = {}
    for ann in anns:
        pts = _points(ann["keypoints"], f"annotation {ann.get('id')}")
        if order is not None:
            if len(pts) != len(order):
                raise TrainInputError(f"annotation {ann.get('id')}: {len(pts)} keypoints, this dataset has {len(order)}")
            pts = pts[list(order)]
        side = ann.get("hand_type")
        if side not in ("left", "right"):
            side = _side_from_name(images[ann["image_id"]]["file_name"])
        out.setdefault(ann["image_id"], []).append(HandLabel(pts[:, :2].copy(), pts[:, 2] > 0, side))
    return out


def _wholebody(anns: list) -> dict[int, list[HandLabel]]:
    out: dict[int, list[HandLabel]] = {}
    for ann in anns:
        for side in ("left", "right"):
            raw = ann.get(f"{side}hand_kpts")
            if raw is None or not ann.get(f"{side}hand_valid", True):
                continue
            pts = _points(raw, f"annotation {ann.get('id')} {side}hand_kpts")
            if (pts[:, 2] > 0).any():
                out.setdefault(ann["image_id"], []).append(HandLabel(pts[:, :2].copy(), pts[:, 2] > 0, side))
    return out


def _interhand(path: Path, images: dict, anns: list) -> dict[int, list[HandLabel]]:
    if not path.name.endswith("_data.json"):
        raise TrainInputError("InterHand2.6M labels must be named <name>_data.json")
    stem = path.name[: -len("_data.json")]
    cameras = load_json(path.with_name(f"{stem}_camera.json"))
    joints = load_json(path.with_name(f"{stem}_joint_3d.json"))
    out: dict[int, list[HandLabel]] = {}
    for ann in anns:
        img = images[ann["image_id"]]
        cap, cam, frame = str(img["capture"]), str(img["camera"]), str(img["frame_idx"])
        c = cameras[cap]
        rot, pos = np.asarray(c["camrot"][cam], np.float64), np.asarray(c["campos"][cam], np.float64)
        focal, centre = np.asarray(c["focal"][cam], np.float64), np.asarray(c["princpt"][cam], np.float64)
        world = np.asarray(joints[cap][frame]["world_coord"], np.float64).reshape(42, 3)
        valid = np.asarray(ann["joint_valid"], np.float64).reshape(42) > 0
        xyz = (world - pos) @ rot.T
        valid &= xyz[:, 2] > 1e-6  # behind the camera: no projection
        uv = xyz[:, :2] / np.where(valid, xyz[:, 2], 1.0)[:, None] * focal + centre
        for side, first in INTERHAND_BLOCKS:
            idx = first + np.asarray(INTERHAND_TO_HAND21)
            if valid[idx].any():
                out.setdefault(ann["image_id"], []).append(
                    HandLabel(uv[idx].astype(np.float32), valid[idx], side))
    return out
