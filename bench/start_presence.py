"""Pick a landmark model's start presence: how sure it must be before a detection starts a track.

    python bench/start_presence.py --frames data/frames [--model X.onnx] [--json OUT]

In video a new hand is the detector's box, cropped unrotated (tracking.crop_from_box) and run
through the landmark model (with the tracker's flip test); the track starts when the model's
presence reaches `start_presence`. This script makes those first crops on the validation rows of
the whole-frame shards (as bench/detector_sweep.py, so the held-out sets and the test clips never
tune it): every detection the video tracker would consider (video margins, the first
TrackerConfig.candidates x max_hands boxes, at each detector threshold swept) is a hand when it
overlaps a labelled hand with IoU >= 0.3, else not. `pick`: at the video detector threshold, the start presence that
starts the most hands net of non-hands (a false track costs as much as a missed hand, as in the
detector sweep); on a tie the higher one. Never below the tracker's min_presence, at which a track
dies. The table also counts other detector thresholds, as a report: picking the pair from it
(2026-12-05: 0.15 and 0.5 for cycle 21) cost the webcam sign clip most of its frames on
MediaPipe's hand (13 -> 10), because a false start here is one crop, in video a track that lasts
(docs/model.md, "Detector threshold"), so VIDEO_DETECT_THRESHOLD is not picked here.
At that start presence it then picks the video second look (TrackerConfig.start_second_look): a
detection under it also gets the upright crop its keypoints give, and starts a track if that
scores the accept level; same rule (net of non-hands; on a tie the higher floor, 1.0 being off).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from livehand.backends.base import load_backend
from livehand.detect import MARGIN_MIN_SIDE, VIDEO_DETECT_MARGINS, VIDEO_DETECT_THRESHOLD, detect_hands
from livehand.landmarks import run_landmarks
from livehand.matching import box_iou
from livehand.models import DEFAULT_DETECTOR, DEFAULT_LANDMARKS
from livehand.tracking import TrackerConfig, crop_from_box, crop_from_keypoints

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.detector_sweep import validation_frames  # noqa: E402

THRESHOLDS = tuple(round(0.5 + 0.05 * i, 2) for i in range(10))  # 0.5 .. 0.95
DETECT_THRESHOLDS = (0.1, 0.15, 0.2, 0.25, 0.3, 0.35)


def first_crop_presence(landmarks, detector, image: np.ndarray, gt: np.ndarray, max_hands: int = 2,
                        flip_test: bool = TrackerConfig.flip_test, detect_threshold: float = min(DETECT_THRESHOLDS)
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """BGR image, float[G, 4] labelled boxes -> (float32[D] presence on each candidate detection's
    first crop, bool[D] whether it is a labelled hand, float32[D] detector score, float32[D]
    presence on the upright crop the first crop's keypoints give: the second look). The candidates
    are the best TrackerConfig.candidates x max_hands at detect_threshold; those at a higher threshold
    are the ones of them scoring at least that (detections come best first)."""
    boxes, scores = detect_hands(detector, image, threshold=detect_threshold, margins=VIDEO_DETECT_MARGINS,
                                 margin_min_side=MARGIN_MIN_SIDE)
    n = TrackerConfig.candidates * max_hands
    boxes, scores = boxes[:n], scores[:n]
    if not len(boxes):
        return np.zeros(0, np.float32), np.zeros(0, bool), np.zeros(0, np.float32), np.zeros(0, np.float32)
    crops = [crop_from_box(b, landmarks.meta.box_scale, TrackerConfig.min_crop) for b in boxes]
    first = run_landmarks(landmarks, image, crops, flip_test=flip_test)
    upright = [crop_from_keypoints(k, landmarks.meta.box_scale, TrackerConfig.min_crop) for k in first.keypoints]
    second = run_landmarks(landmarks, image, upright, flip_test=flip_test).presence
    is_hand = (box_iou(boxes, gt) >= 0.3).any(axis=1) if len(gt) else np.zeros(len(boxes), bool)
    return first.presence, is_hand, scores, second


LOOK_OFF = (1.0, 1.0)
LOOK_FLOORS = (0.05, 0.1, 0.2, 0.3)
LOOK_ACCEPTS = (0.75, 0.85, 0.9, 0.95)


def second_look_table(presence: np.ndarray, second: np.ndarray, is_hand: np.ndarray, scores: np.ndarray,
                      start: float, detect_threshold: float = VIDEO_DETECT_THRESHOLD) -> list[dict]:
    """At the start presence picked: hands and non-hands that start a track when a detection under
    it gets the upright pass (tracking.start_second_look) and starts on that at the accept level."""
    seen = scores >= detect_threshold
    rows = []
    for floor, accept in [LOOK_OFF] + [(f, a) for f in LOOK_FLOORS for a in LOOK_ACCEPTS]:
        go = seen & ((presence >= start) | ((presence >= floor) & (second >= accept)))
        rows.append({"start_second_look": floor, "start_second_look_accept": accept,
                     "hands_started": int((go & is_hand).sum()), "non_hands_started": int((go & ~is_hand).sum())})
    return rows


def pick_second_look(table: list[dict]) -> dict:
    """Most hands started net of non-hands; on a tie the higher floor (off is 1.0), then accept."""
    best = max(table, key=lambda r: (r["hands_started"] - r["non_hands_started"], r["start_second_look"],
                                     r["start_second_look_accept"]))
    return {k: best[k] for k in ("start_second_look", "start_second_look_accept")}


def sweep_table(presence: np.ndarray, is_hand: np.ndarray, scores: np.ndarray | None = None,
                thresholds=THRESHOLDS, detect_thresholds=(VIDEO_DETECT_THRESHOLD,)) -> list[dict]:
    """float[D] presence, bool[D], float[D] detector scores (None: all pass) -> per detector
    threshold and start presence: hands and non-hands that would start a track."""
    scores = np.ones(len(presence)) if scores is None else scores
    rows = []
    for d in detect_thresholds:
        seen = scores >= d
        for t in thresholds:
            start = seen & (presence >= t)
            rows.append({"detect_threshold": d, "threshold": t, "hands_started": int((start & is_hand).sum()),
                         "non_hands_started": int((start & ~is_hand).sum())})
    return rows


def pick(table: list[dict], detect_threshold: float = VIDEO_DETECT_THRESHOLD) -> float:
    """The start presence with the most hands started net of non-hands at detect_threshold; on a
    tie the higher one."""
    rows = [r for r in table if r["detect_threshold"] == detect_threshold]
    return max(rows, key=lambda r: (r["hands_started"] - r["non_hands_started"], r["threshold"]))["threshold"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--frames", type=Path, required=True, help="whole-frame shards: their validation rows")
    p.add_argument("--model", type=Path, default=DEFAULT_LANDMARKS)
    p.add_argument("--detector", type=Path, default=DEFAULT_DETECTOR)
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    lm, det = load_backend(args.model), load_backend(args.detector)
    found = [first_crop_presence(lm, det, image, gt) for image, gt in validation_frames(args.frames)]
    presence, is_hand, scores, second = (np.concatenate(a) for a in zip(*found))
    table = sweep_table(presence, is_hand, scores, detect_thresholds=DETECT_THRESHOLDS)
    best = pick(table)
    looks = second_look_table(presence, second, is_hand, scores, best)
    look = pick_second_look(looks)
    print(f"{args.model}: {int(is_hand.sum())} detections on hands, {int((~is_hand).sum())} elsewhere "
          f"at detector {min(DETECT_THRESHOLDS)} ({len(found)} validation frames)")
    for r in table:
        print(f"  detector {r['detect_threshold']:.2f}, start presence {r['threshold']:.2f}: "
              f"hands {r['hands_started']}, non-hands {r['non_hands_started']}")
    print(f"pick: start presence {best} (at the video detector threshold {VIDEO_DETECT_THRESHOLD})")
    for r in looks:
        print(f"  second look floor {r['start_second_look']:.2f}, accept {r['start_second_look_accept']:.2f}: "
              f"hands {r['hands_started']}, non-hands {r['non_hands_started']}")
    print(f"pick: second look {look} (1.0: off)")
    if args.json:
        args.json.write_text(json.dumps({"model": str(args.model), "detector": str(args.detector),
                                         "frames": len(found), "detections": len(presence),
                                         "on_hands": int(is_hand.sum()), "sweep": table, "pick": best,
                                         "second_look_sweep": looks, "second_look_pick": look,
                                         "detect_threshold": VIDEO_DETECT_THRESHOLD,
                                         "presence": np.round(presence, 4).tolist(),
                                         "scores": np.round(scores, 4).tolist(),
                                         "second_presence": np.round(second, 4).tolist(),
                                         "is_hand": is_hand.tolist()}, indent=1))


if __name__ == "__main__":
    main()
