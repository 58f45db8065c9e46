"""Detector recall and false detections per image against the centre threshold, on labelled images.

    python bench/detector_sweep.py --labels data/eval/real_heldout.jsonl [--detector X.onnx] [--json OUT]

Labels: livehand JSON lines or COCO-style hand JSON (train.data.labels). A labelled hand counts
as found when a detection overlaps its visible keypoints' box with IoU >= 0.3 (one detection per
hand, matched as the tracker matches detections to tracks). A diagnostic of the detector alone: the tracker's threshold is not tuned on
the held-out sets this reads.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from livehand.backends.base import load_backend
from livehand.detect import detect_hands
from livehand.models import DEFAULT_DETECTOR
from livehand.tracking import match_boxes
from train.data.labels import load_labels

THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5)


def matched(gt: np.ndarray, boxes: np.ndarray, min_iou: float = 0.3) -> int:
    """float[G, 4] labelled boxes, float[D, 4] detections -> hands found."""
    return len(match_boxes(gt, boxes, min_iou))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--labels", type=Path, required=True)
    p.add_argument("--detector", type=Path, default=DEFAULT_DETECTOR)
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    det = load_backend(args.detector)
    records = load_labels(args.labels)
    found = dict.fromkeys(THRESHOLDS, 0)
    false = dict.fromkeys(THRESHOLDS, 0)
    hands = 0
    for rec in records:
        image = cv2.imread(str(rec.image))
        gt = np.array([[*h.keypoints[h.visible].min(0), *h.keypoints[h.visible].max(0)]
                       for h in rec.hands if h.visible.any()]).reshape(-1, 4)
        hands += len(gt)
        boxes, scores = detect_hands(det, image, threshold=min(THRESHOLDS))
        for t in THRESHOLDS:
            keep = boxes[scores >= t]
            hit = matched(gt, keep)
            found[t] += hit
            false[t] += len(keep) - hit
    table = [{"threshold": t, "recall": round(found[t] / hands, 3), "false_per_image": round(false[t] / len(records), 2)}
             for t in THRESHOLDS]
    print(f"{hands} hands in {len(records)} images ({args.labels}), detector {args.detector}")
    for r in table:
        print(f"  threshold {r['threshold']:.1f}: recall {r['recall']:.3f}, false detections per image {r['false_per_image']:.2f}")
    if args.json:
        args.json.write_text(json.dumps({"labels": str(args.labels), "detector": str(args.detector), "hands": hands,
                                         "images": len(records), "sweep": table}, indent=1))


if __name__ == "__main__":
    main()
