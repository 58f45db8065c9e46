"""The real-footage checks that issue 4 sets, in one run, with the shipped models (or --model/--detector).

- human_hand_video.mp4: fraction of frames with a hand (bar: >= 95%; MediaPipe: 100%)
- sign_language_test.mp4: frames with a hand (bar: >= MediaPipe complexity 1, 22 of 58)
- hands.jpg: both hands found, both called left, mean distance to hands_expected.json (bar: 20 px)

    python bench/acceptance.py [--json bench/results/acceptance.json]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from livehand.backends.base import load_backend
from livehand.models import DEFAULT_DETECTOR, DEFAULT_LANDMARKS
from livehand.tracking import HandTracker

VIDEO = Path(__file__).resolve().parents[2] / "shared" / "data" / "video"


def frames_with_hands(tracker: HandTracker, path: Path) -> tuple[int, int]:
    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    found = n = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        found += bool(tracker.process(frame, n / fps))
        n += 1
    return found, n


def hands_photo(tracker: HandTracker) -> dict:
    expected = json.loads((VIDEO / "hands_expected.json").read_text())
    hands = tracker.process(cv2.imread(str(VIDEO / "hands.jpg")), 0.0)
    refs = [np.asarray(h, np.float32) for h in expected["hands"]]
    dists = []
    for ref in refs:  # each reference hand against the nearest prediction
        if hands:
            dists.append(min(float(np.linalg.norm(h.keypoints[:, :2] - ref, axis=1).mean()) for h in hands))
    return {"found": len(hands), "sides": [h.side for h in hands],
            "mean_px_to_reference": [round(d, 1) for d in dists]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", type=Path, default=DEFAULT_LANDMARKS)
    p.add_argument("--detector", type=Path, default=DEFAULT_DETECTOR)
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    lm, det = load_backend(args.model), load_backend(args.detector)
    report = {}
    for clip in ("human_hand_video.mp4", "sign_language_test.mp4"):
        tracker = HandTracker(lm, det, max_hands=2)
        found, n = frames_with_hands(tracker, VIDEO / clip)
        report[clip] = {"frames": n, "frames_with_hand": found, "fraction": round(found / max(n, 1), 3),
                        "detector_fraction": round(tracker.detector_runs / max(tracker.frames, 1), 3)}
    report["hands.jpg"] = hands_photo(HandTracker(lm, det, max_hands=2, static=True))
    print(json.dumps(report, indent=1))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
