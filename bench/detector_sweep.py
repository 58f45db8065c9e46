"""Detector recall and false detections per image against the centre threshold, on labelled images.

    python bench/detector_sweep.py --labels data/eval/real_heldout.jsonl [--detector X.onnx] [--json OUT]

A labelled hand counts as found when a detection overlaps its keypoint box with IoU >= 0.3 (one
detection per hand). A diagnostic of the detector alone: the tracker's threshold is not tuned on
the held-out sets this reads.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from livehand.backends.base import load_backend
from livehand.detect import box_iou, detect_hands
from livehand.models import DEFAULT_DETECTOR

THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5)


def matched(gt: np.ndarray, boxes: np.ndarray, min_iou: float = 0.3) -> int:
    """float[G, 4] labelled boxes, float[D, 4] detections (best first) -> hands found."""
    if len(gt) == 0 or len(boxes) == 0:
        return 0
    iou = box_iou(gt, boxes)
    used: set[int] = set()
    for g in range(len(gt)):
        for d in np.argsort(-iou[g]):
            if iou[g, d] < min_iou:
                break
            if d not in used:
                used.add(int(d))
                break
    return len(used)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--labels", type=Path, required=True)
    p.add_argument("--detector", type=Path, default=DEFAULT_DETECTOR)
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    det = load_backend(args.detector)
    rows = [json.loads(line) for line in args.labels.read_text().splitlines() if line.strip()]
    found = dict.fromkeys(THRESHOLDS, 0)
    false = dict.fromkeys(THRESHOLDS, 0)
    hands = 0
    for row in rows:
        image = cv2.imread(str(args.labels.parent / row["image"]))
        gt = np.array([[*np.min(k, 0), *np.max(k, 0)]
                       for k in (np.asarray(h["keypoints"], float)[:, :2] for h in row["hands"])]).reshape(-1, 4)
        hands += len(gt)
        boxes, scores = detect_hands(det, image, threshold=min(THRESHOLDS))
        for t in THRESHOLDS:
            keep = boxes[scores >= t]
            hit = matched(gt, keep)
            found[t] += hit
            false[t] += len(keep) - hit
    table = [{"threshold": t, "recall": round(found[t] / hands, 3), "false_per_image": round(false[t] / len(rows), 2)}
             for t in THRESHOLDS]
    print(f"{hands} hands in {len(rows)} images ({args.labels}), detector {args.detector}")
    for r in table:
        print(f"  threshold {r['threshold']:.1f}: recall {r['recall']:.3f}, false detections per image {r['false_per_image']:.2f}")
    if args.json:
        args.json.write_text(json.dumps({"labels": str(args.labels), "detector": str(args.detector), "hands": hands,
                                         "images": len(rows), "sweep": table}, indent=1))


if __name__ == "__main__":
    main()
