"""Detector recall and false detections per image against the centre threshold.

    python bench/detector_sweep.py --labels data/eval/real_heldout.jsonl [--detector X.onnx] [--json OUT]
    python bench/detector_sweep.py --frames data/frames [--json OUT]   # the training validation split

--labels: livehand JSON lines or COCO-style hand JSON (train.data.labels), e.g. the held-out set,
to report. --frames: the validation rows of the whole-frame shards (train.loop's split of the
training sources; the eval sources are skipped). That is where DETECT_THRESHOLD and
STATIC_DETECT_THRESHOLD are picked (`pick`: the best recall within a false-detection budget per
mode), so the held-out sets never tune them. A labelled hand counts as found when a detection
overlaps its box with IoU >= 0.3 (one detection per hand, matched as the tracker matches
detections to tracks).
"""
from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from livehand.backends.base import load_backend
from livehand.detect import detect_hands
from livehand.models import DEFAULT_DETECTOR
from livehand.tracking import match_boxes
from train.data.crops import load_shards
from train.data.labels import load_labels
from train.data.splits import EVAL_SOURCES
from train.loop import TrainConfig, validation_mask

THRESHOLDS = (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5)
MAX_FALSE_PER_IMAGE = {"tracking": 0.25, "static": 1.0}  # budgets: see livehand/detect.py


def pick_threshold(table: list[dict], max_false: float) -> float:
    """The threshold with the best recall among those with at most max_false false detections
    per image (the highest such threshold on a tie)."""
    ok = [r for r in table if r["false_per_image"] <= max_false]
    if not ok:
        raise ValueError(f"no threshold keeps false detections at or below {max_false} per image")
    return max(ok, key=lambda r: (r["recall"], r["threshold"]))["threshold"]


def matched(gt: np.ndarray, boxes: np.ndarray, min_iou: float = 0.3) -> int:
    """float[G, 4] labelled boxes, float[D, 4] detections -> hands found."""
    return len(match_boxes(gt, boxes, min_iou))


def labelled_images(labels: Path) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """-> (BGR image, float[G, 4] boxes around each hand's visible keypoints)."""
    for rec in load_labels(labels):
        gt = np.array([[*h.keypoints[h.visible].min(0), *h.keypoints[h.visible].max(0)]
                       for h in rec.hands if h.visible.any()]).reshape(-1, 4)
        yield cv2.imread(str(rec.image)), gt


def validation_frames(folder: Path, fraction: float = TrainConfig.val_fraction) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The validation rows of each training source's frame shard -> (BGR image, float[G, 4] boxes)."""
    for path in sorted(folder.glob("*.npz")):
        if path.stem in EVAL_SOURCES or path.stem.startswith("synthetic"):
            continue
        data = load_shards([path])
        for i in np.flatnonzero(validation_mask(len(data["n_boxes"]), fraction)):
            yield data["images"][i], data["boxes"][i][: int(data["n_boxes"][i])].astype(np.float64)


def sweep(detector: Path, images: Iterator[tuple[np.ndarray, np.ndarray]]) -> dict:
    det = load_backend(detector)
    found, false = dict.fromkeys(THRESHOLDS, 0), dict.fromkeys(THRESHOLDS, 0)
    hands = n_images = 0
    for image, gt in images:
        n_images += 1
        hands += len(gt)
        boxes, scores = detect_hands(det, image, threshold=min(THRESHOLDS))
        for t in THRESHOLDS:
            keep = boxes[scores >= t]
            hit = matched(gt, keep)
            found[t] += hit
            false[t] += len(keep) - hit
    table = [{"threshold": t, "recall": round(found[t] / hands, 3), "false_per_image": round(false[t] / n_images, 2)}
             for t in THRESHOLDS]
    return {"detector": str(detector), "hands": hands, "images": n_images, "sweep": table}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--labels", type=Path)
    src.add_argument("--frames", type=Path, help="whole-frame shards: sweep their validation rows")
    p.add_argument("--detector", type=Path, default=DEFAULT_DETECTOR)
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    images = labelled_images(args.labels) if args.labels else validation_frames(args.frames)
    result = {"data": str(args.labels or f"{args.frames} (validation rows)"), **sweep(args.detector, images)}
    print(f"{result['hands']} hands in {result['images']} images ({result['data']}), detector {args.detector}")
    for r in result["sweep"]:
        print(f"  threshold {r['threshold']:.2f}: recall {r['recall']:.3f}, false detections per image {r['false_per_image']:.2f}")
    result["pick"] = {mode: pick_threshold(result["sweep"], budget) for mode, budget in MAX_FALSE_PER_IMAGE.items()}
    for mode, budget in MAX_FALSE_PER_IMAGE.items():
        print(f"pick for {mode}: {result['pick'][mode]} (best recall with <= {budget} false detections per image)")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
