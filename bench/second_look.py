"""Pick how many detections a still image checks, and its second look.

    python bench/second_look.py --frames data/frames [--json OUT]

First the candidate count (TrackerConfig.candidates): the best candidates x max_hands
detections go through the landmark model (in video: x the free hand slots, the same setting),
whose presence then tells hands from the rest. Too few, and false detections scoring above a real hand push it out before the model sees it (held-out
photos, 2026-12-06: 16 of the 40 hands missed had a detection, most of them ranked fifth or lower
among the detector's boxes, where the model scored their crops 0.96-1.0). `pick_candidates`: the
most hands found net of extra hands; on a tie the fewest candidates (less landmark work). Swept
with the shipped second look; then the second look is swept at the picked count.

On a still image each detection's unrotated box crop goes through the landmark model; a hand
seen at an odd angle can score under min_presence there and near 1 on the upright crop its own
keypoints give (on the validation rows, 8 of the 10 hands the detector found and the pipeline
lost). A detection scoring at least `second_look` gets that upright pass too, and counts as a
hand when it then scores `second_look_accept`. This sweeps the pair on the validation rows of the
whole-frame shards (as bench/detector_sweep.py, with the shipped detector settings; the held-out
sets never tune it). `pick`: the most hands found net of extra hands; on a tie the higher floor,
then the higher accept level (fewer extra passes, fewer non-hands). "Off" (floor 1.0) competes
too, so it wins whenever the second look adds nothing net.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from livehand.backends.base import load_backend
from livehand.models import DEFAULT_DETECTOR, DEFAULT_LANDMARKS
from livehand.tracking import HandTracker

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.detector_sweep import matched, validation_frames  # noqa: E402

CANDIDATES = (2, 3, 4, 6)
FLOORS = (0.05, 0.1, 0.2, 0.3)
ACCEPTS = (0.5, 0.75, 0.85, 0.9, 0.95)
OFF = (1.0, 1.0)


def pick(table: list[dict]) -> dict:
    """The row with the most hands net of extra hands; on a tie the higher floor, then accept."""
    return max(table, key=lambda r: (r["found"] - r["extra"], r["second_look"], r["second_look_accept"]))


def pick_candidates(table: list[dict]) -> int:
    """The candidate count with the most hands net of extra hands; on a tie the fewest."""
    return max(table, key=lambda r: (r["found"] - r["extra"], -r["candidates"]))["candidates"]


def count_hands(trackers: dict, frames: Path) -> tuple[dict, int, int]:
    """Each tracker over the validation rows -> ({key: [found, extra]}, hands, images)."""
    counts = {k: [0, 0] for k in trackers}
    hands = images = 0
    for image, gt in validation_frames(frames):
        hands, images = hands + len(gt), images + 1
        for k, tracker in trackers.items():
            out = tracker.process(image, 0.0)
            hit = matched(gt, np.array([h.box for h in out]).reshape(-1, 4))
            counts[k][0] += hit
            counts[k][1] += len(out) - hit
    return counts, hands, images


def sweep(detector: Path, landmarks: Path, frames: Path) -> dict:
    det, lm = load_backend(detector), load_backend(landmarks)
    still = lambda **kw: HandTracker(lm, det, max_hands=2, static=True, **kw)  # noqa: E731
    counts, hands, images = count_hands({n: still(candidates=n) for n in CANDIDATES}, frames)
    candidates = [{"candidates": n, "found": c[0], "extra": c[1]} for n, c in counts.items()]
    n = pick_candidates(candidates)
    grid = [OFF] + [(f, a) for f in FLOORS for a in ACCEPTS]
    counts, _, _ = count_hands({k: still(candidates=n, second_look=k[0], second_look_accept=k[1])
                                for k in grid}, frames)
    table = [{"second_look": f, "second_look_accept": a, "found": c[0], "extra": c[1]}
             for (f, a), c in counts.items()]
    return {"data": f"{frames} (validation rows)", "detector": str(detector), "landmarks": str(landmarks),
            "hands": hands, "images": images, "candidates_sweep": candidates, "sweep": table,
            "pick": {"candidates": n, **{k: v for k, v in pick(table).items() if k.startswith("second")}}}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--frames", type=Path, required=True, help="whole-frame shards: their validation rows")
    p.add_argument("--detector", type=Path, default=DEFAULT_DETECTOR)
    p.add_argument("--model", type=Path, default=DEFAULT_LANDMARKS)
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    result = sweep(args.detector, args.model, args.frames)
    print(f"{result['hands']} hands in {result['images']} images ({result['data']})")
    for r in result["candidates_sweep"]:
        print(f"  {r['candidates']} candidates per hand: found {r['found']}, extra {r['extra']}, "
              f"net {r['found'] - r['extra']}")
    for r in result["sweep"]:
        name = "off" if (r["second_look"], r["second_look_accept"]) == OFF else \
            f"floor {r['second_look']:.2f}, accept {r['second_look_accept']:.2f}"
        print(f"  {name:<24} found {r['found']}, extra {r['extra']}, net {r['found'] - r['extra']}")
    print(f"pick: {result['pick']}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
