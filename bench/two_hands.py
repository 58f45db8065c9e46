"""Track the composed two-hand clip (tests/clips.py) and report what issue 4 asks about it:
frames with both hands, id changes, detector-run fraction, frames with two lefts/rights, and
tracking FPS with two hands in view (frames already in memory: detection, landmarks, tracking,
smoothing; no decode, no drawing).

    python bench/two_hands.py [--frames 90] [--model X.onnx] [--detector Y.onnx]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from clips import two_hand_clip  # noqa: E402

from livehand.backends.base import load_backend  # noqa: E402
from livehand.models import DEFAULT_DETECTOR, DEFAULT_LANDMARKS  # noqa: E402
from livehand.tracking import HandTracker  # noqa: E402


def track_two_hands(frames: int = 90, landmarks: Path = DEFAULT_LANDMARKS, detector: Path = DEFAULT_DETECTOR) -> dict:
    clip, truth = two_hand_clip(frames)
    tracker = HandTracker(load_backend(landmarks), load_backend(detector), max_hands=2)
    both, same_side, correct_side, pairs, seconds = 0, 0, 0, [], 0.0
    for i, frame in enumerate(clip):
        start = time.perf_counter()
        hands = tracker.process(frame, i / 30)
        seconds += time.perf_counter() - start
        hands = sorted(hands, key=lambda h: (h.box[0] + h.box[2]) / 2)
        sides = [h.side for h in hands]
        same_side += len(sides) != len(set(sides))
        if len(hands) == 2:
            both += 1
            pairs.append((hands[0].id, hands[1].id))
            correct_side += sides == truth
    id_changes = sum(a != b for a, b in zip(pairs, pairs[1:]))
    return {"frames": frames, "both_hands_frames": both, "id_changes": id_changes,
            "most_common_ids": Counter(pairs).most_common(1)[0] if pairs else None,
            "detector_fraction": round(tracker.detector_runs / tracker.frames, 3),
            "frames_with_two_same_sides": same_side, "frames_with_correct_sides": correct_side,
            "tracking_fps": round(frames / seconds, 1)}


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--frames", type=int, default=90)
    p.add_argument("--model", type=Path, default=DEFAULT_LANDMARKS)
    p.add_argument("--detector", type=Path, default=DEFAULT_DETECTOR)
    args = p.parse_args()
    print(json.dumps(track_two_hands(args.frames, args.model, args.detector), indent=1))
