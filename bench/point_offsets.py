"""Where each keypoint goes wrong on the ASL clip: livehand's tracked keypoints (smoothing off)
against MediaPipe full's outputs (asl_hand.full.json, one hand per frame), per keypoint, in the
reference hand's upright frame (x across the hand, towards the index side when positive in this
clip; y along it, wrist at +0.5) in % of its hand size.

    python bench/point_offsets.py [--model X.onnx] [--json OUT]

A large median signed offset close to the median distance means a systematic error (the model
puts that point somewhere else every time), not noise.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from livehand.backends.base import load_backend
from livehand.models import DEFAULT_DETECTOR, DEFAULT_LANDMARKS
from livehand.preprocess import box_from_keypoints
from livehand.skeleton import HandKeypoint
from livehand.tracking import HandTracker

VIDEO = Path(__file__).resolve().parents[2] / "shared" / "data" / "video"


def upright_offsets(pred: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """float[21, >=2] prediction and reference in frame px -> float64[21, 2]: pred - ref in the
    reference hand's upright frame (the tracker's own box_from_keypoints), in % of its side."""
    ref = np.asarray(ref, np.float64)[:, :2]
    _, side, angle = box_from_keypoints(ref, 1.0, rotate=True)
    c, s = np.cos(angle), np.sin(angle)
    rot = np.array([[c, s], [-s, c]])
    return (np.asarray(pred, np.float64)[:, :2] - ref) @ rot.T / side * 100


def clip_offsets(tracker: HandTracker, video: Path, reference: list) -> np.ndarray:
    """-> float[F, 21, 2] offsets on the frames where both livehand and the reference have a hand."""
    cap = cv2.VideoCapture(str(video))
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    out, i = [], 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        hands = tracker.process(frame, i / fps)
        if hands and i < len(reference) and len(reference[i]) == 21:
            out.append(upright_offsets(hands[0].keypoints, np.array(reference[i])))
        i += 1
    return np.array(out).reshape(-1, 21, 2)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", type=Path, default=DEFAULT_LANDMARKS)
    p.add_argument("--detector", type=Path, default=DEFAULT_DETECTOR)
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    reference = json.loads((VIDEO / "asl_hand.full.json").read_text())
    tracker = HandTracker(load_backend(args.model), load_backend(args.detector), max_hands=1, smoothing=False)
    off = clip_offsets(tracker, VIDEO / "asl_hand.25fps.mp4", reference)
    dist = np.linalg.norm(off, axis=-1)
    rows = [{"point": HandKeypoint(k).name.lower(), "median_pct": round(float(np.median(dist[:, k])), 1),
             "median_signed_xy_pct": np.round(np.median(off[:, k], axis=0), 1).tolist()} for k in range(21)]
    print(f"{args.model}: {len(off)} frames; median distance {np.median(dist):.2f}% of hand size")
    for r in rows:
        print(f"  {r['point']:<18} {r['median_pct']:5.1f}%   signed x, y {r['median_signed_xy_pct']}")
    if args.json:
        args.json.write_text(json.dumps({"model": str(args.model), "frames": len(off),
                                         "median_pct": round(float(np.median(dist)), 2), "points": rows}, indent=1))


if __name__ == "__main__":
    main()
