"""Where MediaPipe Hands (the teacher of the real labels) puts each keypoint on the synthetic
renders, against the renders' exact labels: the label conventions must agree, or the model learns
two places for one point. Run in MediaPipe's venv, from the repository root:

    PYTHONPATH=. mpvenv/bin/python bench/renders_vs_teacher.py data/synthetic [--count 600] [--json OUT]

Per keypoint, over the render hands MediaPipe found (mean distance under 0.3 of the hand size):
the median offset teacher - render along the hand (wrist -> middle knuckle) and across it
(towards the thumb), and the median distance, all as a share of the hand's size (the longer side
of its keypoint box); and for the wrist, where along the wrist -> middle knuckle segment the
teacher's wrist lies (0 = the render's wrist, 1 = the knuckle: handmodel.WRIST_TOWARD_KNUCKLE).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from livehand.skeleton import HAND21


def hand_frame(k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float[21, 2] -> unit vectors along the hand (wrist -> middle knuckle) and across it (thumbwards)."""
    along = (k[9] - k[0]) / np.linalg.norm(k[9] - k[0])
    across = np.array([-along[1], along[0]])
    return along, across if np.dot(k[5] - k[17], across) >= 0 else -across


def compare(folder: Path, count: int) -> dict:
    import mediapipe as mp

    hands = mp.solutions.hands.Hands(static_image_mode=True, max_num_hands=2, model_complexity=1,
                                     min_detection_confidence=0.5)
    offsets, distances, wrist_t = [], [], []
    lines = (folder / "labels.jsonl").read_text().splitlines()[:count]
    for line in lines:
        rec = json.loads(line)
        image = cv2.imread(str(folder / rec["image"]))
        h, w = image.shape[:2]
        res = hands.process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
        found = [np.array([[p.x * w, p.y * h] for p in lm.landmark]) for lm in (res.multi_hand_landmarks or [])]
        for hand in rec["hands"]:
            k = np.asarray(hand["keypoints"], np.float64)
            if (k[:, 2] <= 0).any() or not found:  # only hands with every point in view
                continue
            k = k[:, :2]
            size = np.ptp(k, axis=0).max()
            teacher = min(found, key=lambda t: np.linalg.norm(t - k, axis=1).mean())
            if np.linalg.norm(teacher - k, axis=1).mean() > 0.3 * size:
                continue
            along, across = hand_frame(k)
            d = (teacher - k) / size
            offsets.append(np.stack([d @ along, d @ across], axis=1))
            distances.append(np.linalg.norm(teacher - k, axis=1) / size)
            seg = k[9] - k[0]
            wrist_t.append(float((teacher[0] - k[0]) @ seg / (seg @ seg)))
    off, dist = np.array(offsets), np.array(distances)
    return {"renders": len(lines), "hands": len(off),
            "wrist_toward_knuckle_median": round(float(np.median(wrist_t)), 3),
            "keypoints": {name: {"along": round(float(np.median(off[:, i, 0])), 3),
                                 "across": round(float(np.median(off[:, i, 1])), 3),
                                 "median_distance": round(float(np.median(dist[:, i])), 3)}
                          for i, name in enumerate(HAND21.names)}}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folder", type=Path, help="renders from python -m train.data.synthetic")
    p.add_argument("--count", type=int, default=600)
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    result = compare(args.folder, args.count)
    print(f"{result['hands']} hands MediaPipe found in {result['renders']} renders; teacher's wrist at "
          f"{result['wrist_toward_knuckle_median']} of the way to the middle knuckle")
    for name, r in result["keypoints"].items():
        print(f"  {name:18s} along {r['along']:+.3f}  across {r['across']:+.3f}  distance {r['median_distance']:.3f}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
