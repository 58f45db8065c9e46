"""Scene negatives: what the shipped detector takes for a hand in the training photos.

Among the pipeline's extra hands on the validation frames at a low detector threshold are things
in the room (a coffee maker, things on a desk or the floor) that the landmark model's presence
head passes at 0.95-1.0; random hand-free squares seldom land on them. The candidates are the detector's boxes
at a low threshold whose crop touches no labelled hand. Three steps, so the teacher
can run in its own venv:

    python -m train mine-scenes --labels train/labels/real_mediapipe.jsonl --images ../shared/data/real --out data/scene_candidates
    mpvenv/bin/python -m train.handcheck data/scene_candidates          # MediaPipe: is a hand in the crop?
    python -m train prepare-scenes --candidates data/scene_candidates --out data/crops_scenes

Only training sources, and only photos outside the detector's validation rows (the frames shards'
split, where its threshold is picked), are mined. A candidate in which the teacher finds a hand
(one it missed in the whole photo, such as a hand hanging at the person's side) is dropped, so
real hands do not become negatives. Name the output folder so that it sorts after the other
data folders of a config (data/crops_scenes does): validation rows are drawn per source in that
order, so appended rows leave every earlier row's split as it was.
"""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from livehand.matching import box_iou
from livehand.preprocess import crop_affine, transform_points
from livehand.tracking import crop_from_box
from train.data.crops import save_no_hand_shard
from train.data.frames import frame_hands
from train.data.records import ImageRecord
from train.errors import TrainInputError

CANDIDATES = "candidates.jsonl"
VERDICTS = "verdicts.jsonl"


def scene_boxes(boxes: np.ndarray, hand_boxes: np.ndarray, box_scale: float) -> np.ndarray:
    """float[D, 4] detections, float[H, 4] labelled hands -> bool[D]: detections whose crop (the
    square the tracker cuts, box_scale x the longer side) touches no labelled hand: a crop on a
    forearm that holds half the hand is no clean negative."""
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    hands = np.asarray(hand_boxes, np.float64).reshape(-1, 4)
    if not len(hands):
        return np.ones(len(boxes), bool)
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2
    half = (boxes[:, 2:] - boxes[:, :2]).max(axis=1, keepdims=True) * box_scale / 2
    squares = np.concatenate([centre - half, centre + half], axis=1)
    return ~(box_iou(squares, hands) > 0).any(axis=1)


def frame_rows(records: list[ImageRecord], min_side_score: float = 0.7) -> list[tuple[ImageRecord, int]]:
    """Records -> (record, its row in its source's frame shard), as `prepare-frames` numbers them
    with its default --min-side-score (a photo with no hand `pack_frames` keeps has no row and is
    left out)."""
    seen: dict[str, int] = {}
    out = []
    for rec in records:
        if frame_hands([h for h in rec.hands if h.extra.get("side_score", 1.0) >= min_side_score]):
            out.append((rec, seen.get(rec.source, 0)))
            seen[rec.source] = seen.get(rec.source, 0) + 1
    return out


def context_crop(image: np.ndarray, box: np.ndarray, box_scale: float, min_side: float,
                 context: float = 2.0, size: int = 256) -> np.ndarray:
    """The crop the tracker cuts for a detection (`crop_from_box`), with `context` times its side
    around it, as the hand shards store crops."""
    crop = crop_from_box(box, box_scale, min_side)
    m = crop_affine(crop.center, crop.side * context, crop.angle, size)
    return cv2.warpAffine(image, m, (size, size), borderValue=(0, 0, 0))


def write_candidates(out: Path, items: list[dict], crops: list[np.ndarray]) -> None:
    """items[i] (source, image, box, score) and its context crop -> out/NNNNNN.png + candidates.jsonl."""
    out.mkdir(parents=True, exist_ok=True)
    with open(out / CANDIDATES, "w") as f:
        for i, (item, crop) in enumerate(zip(items, crops)):
            name = f"{i:06d}.png"
            cv2.imwrite(str(out / name), crop)
            f.write(json.dumps({**item, "crop": name}) + "\n")


def pack_scene_crops(folder: Path, out: Path, num_keypoints: int, max_per_source: int = 300,
                     seed: int = 0) -> dict[str, int]:
    """Candidates the teacher found no hand in -> one "no hand" shard per source, in the hand
    shards' schema (present=False). Needs the teacher's verdicts (train.handcheck)."""
    rng = np.random.default_rng(seed)
    by_source: dict[str, list[str]] = {}
    for c in read_false_candidates(folder):
        by_source.setdefault(c["source"], []).append(c["crop"])
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for source, names in sorted(by_source.items()):
        if len(names) > max_per_source:  # one busy room would otherwise be most of them
            names = [names[i] for i in sorted(rng.choice(len(names), max_per_source, replace=False))]
        save_no_hand_shard(out / f"{source}.npz", np.stack([cv2.imread(str(folder / n)) for n in names]),
                           num_keypoints)
        counts[source] = len(names)
    return counts


def mine_scenes(records: list[ImageRecord], detector, out: Path, threshold: float, box_scale: float,
                min_side: float, val_fraction: float, eval_sources: tuple[str, ...]) -> dict[str, int]:
    """Run the detector (a livehand Backend) over the training rows' photos and write every
    detection at `threshold` or above that touches no labelled hand as a candidate. Returns
    candidates per source."""
    from livehand.detect import detect_hands
    from train.loop import validation_mask

    rows = [(rec, i) for rec, i in frame_rows(records) if rec.source not in eval_sources]
    sizes = {s: sum(r.source == s for r, _ in rows) for s in {r.source for r, _ in rows}}
    val = {s: validation_mask(n, val_fraction) for s, n in sizes.items()}
    items, crops, counts = [], [], {}
    for rec, i in rows:
        if val[rec.source][i]:
            continue
        image = cv2.imread(str(rec.image))
        if image is None:
            raise TrainInputError(f"{rec.image}: unreadable image")
        boxes, scores = detect_hands(detector, image, threshold=threshold)
        hands = np.array([[*h.keypoints[h.visible].min(0), *h.keypoints[h.visible].max(0)]
                          for h in rec.hands if h.visible.any()]).reshape(-1, 4)
        keep = scene_boxes(boxes, hands, box_scale)  # every teacher hand, however unsure of its side
        for box, score in zip(boxes[keep], scores[keep]):
            items.append({"source": rec.source, "image": str(rec.image), "box": [round(float(v), 1) for v in box],
                          "score": round(float(score), 3)})
            crops.append(context_crop(image, box, box_scale, min_side))
            counts[rec.source] = counts.get(rec.source, 0) + 1
    write_candidates(out, items, crops)
    return counts


def read_false_candidates(folder: Path) -> list[dict]:
    """The candidates (mine-scenes) the teacher found no hand in (train.handcheck's verdicts)."""
    verdict_path = folder / VERDICTS
    if not verdict_path.is_file():
        raise TrainInputError(f"{verdict_path}: missing; run mpvenv/bin/python -m train.handcheck {folder} first")
    hand = {}
    for n, line in enumerate(verdict_path.read_text().splitlines(), 1):
        try:
            v = json.loads(line)
            hand[v["crop"]] = bool(v["hand"])
        except (ValueError, KeyError, TypeError) as exc:
            raise TrainInputError(f"{verdict_path}:{n}: malformed verdict line ({exc})") from None
    out = []
    for line in (folder / CANDIDATES).read_text().splitlines():
        c = json.loads(line)
        if c["crop"] not in hand:
            raise TrainInputError(f"{verdict_path}: no verdict for {c['crop']}; run train.handcheck again")
        if not hand[c["crop"]]:
            out.append(c)
    return out


def mark_false_boxes(records: list[ImageRecord], candidates: Path, frames: Path, out: Path,
                     max_boxes: int = 8) -> dict[str, int]:
    """Each frame shard of `frames` -> the same shard in `out` plus false_boxes float32[N, max_boxes, 4]
    (letterbox px, as the hand boxes) and n_false int8[N]: where the mining detector fired on no
    hand in that frame (candidates the teacher found no hand in). Returns boxes marked per source."""
    rows = {str(rec.image): (rec.source, i) for rec, i in frame_rows(records)}
    by_frame: dict[tuple[str, int], list] = {}
    for c in read_false_candidates(candidates):
        if c["image"] not in rows:
            raise TrainInputError(f"{c['image']}: a candidate whose photo has no frame row; mine with the same labels")
        by_frame.setdefault(rows[c["image"]], []).append((c["image"], c["box"]))
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for shard in sorted(frames.glob("*.npz")):
        data = dict(np.load(shard))
        n, size = len(data["images"]), data["images"].shape[1]
        false_boxes = np.zeros((n, max_boxes, 4), np.float32)
        n_false = np.zeros(n, np.int8)
        for (source, row), items in by_frame.items():
            if source != shard.stem:
                continue
            h, w = cv2.imread(items[0][0]).shape[:2]
            m = crop_affine(((w - 1) / 2, (h - 1) / 2), max(h, w), 0.0, size)  # pack_frames' letterbox
            corners = np.array([b for _, b in items[:max_boxes]], np.float64).reshape(-1, 2)
            boxes = transform_points(corners, m).reshape(-1, 4)
            false_boxes[row, :len(boxes)] = boxes
            n_false[row] = len(boxes)
            counts[source] = counts.get(source, 0) + len(boxes)
        np.savez(out / shard.name, **data, false_boxes=false_boxes, n_false=n_false)
    return counts
