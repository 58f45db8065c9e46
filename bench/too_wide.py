"""How often the landmark model takes a torso-sized crop for a hand, on the validation frames.

    python bench/too_wide.py --frames data/frames [--model X.onnx ...] [--json OUT]

A track that spread over arm and torso, or a detection of a whole upper body, gives the landmark
model a crop several times a hand's size with the hand somewhere inside. Presence must fall
there, or the tracker keeps (or starts) a hand on the torso. For each hand of the validation rows
of the whole-frame shards (bench/detector_sweep.py's rows; never the held-out sets) this cuts one
such crop (train.data.crops.too_wide_box: 3.5-6x the hand's crop, at most the frame, the same
crops for every model) and the hand's own crop, and reports the share of each passing presence
0.5 (a track lives) and each model's start presence (a track starts). Flip test as the tracker.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from livehand.backends.base import load_backend
from livehand.landmarks import Crop, run_landmarks
from livehand.models import DEFAULT_LANDMARKS
from livehand.tracking import TrackerConfig

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.detector_sweep import validation_frames  # noqa: E402
from train.data.crops import too_wide_box  # noqa: E402


def crops_for(frames: Path, box_scale: float, seed: int = 0) -> list[tuple[np.ndarray, Crop, Crop]]:
    """-> (image, the hand's own unrotated crop, a too-wide crop around it) per validation hand."""
    rng = np.random.default_rng(seed)
    out = []
    for image, boxes in validation_frames(frames):
        for b in boxes:
            side = float(max(b[2] - b[0], b[3] - b[1]))
            centre, wide = too_wide_box(b, image.shape[0], box_scale, rng)
            out.append((image, Crop(tuple((b[:2] + b[2:]) / 2), side * box_scale),
                        Crop((float(centre[0]), float(centre[1])), wide)))
    return out


def score(model: Path, lm, crops: list) -> dict:
    start = lm.meta.start_presence or TrackerConfig.min_presence
    presence = {"hand": [], "too_wide": []}
    for image, hand, wide in crops:
        p = run_landmarks(lm, image, [hand, wide], flip_test=TrackerConfig.flip_test).presence
        presence["hand"].append(float(p[0]))
        presence["too_wide"].append(float(p[1]))
    row = {"model": str(model), "start_presence": start, "crops": len(crops)}
    for name, v in presence.items():
        v = np.array(v)
        row[name] = {"pass_min_presence": round(float((v >= TrackerConfig.min_presence).mean()), 4),
                     "pass_start_presence": round(float((v >= start).mean()), 4),
                     "mean_presence": round(float(v.mean()), 4)}
    return row


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--frames", type=Path, required=True, help="whole-frame shards: their validation rows")
    p.add_argument("--model", type=Path, nargs="+", default=[DEFAULT_LANDMARKS])
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    backends = [load_backend(m) for m in args.model]
    crops = crops_for(args.frames, backends[0].meta.box_scale)
    rows = [score(m, lm, crops) for m, lm in zip(args.model, backends)]
    for r in rows:
        print(f"{r['model']} ({r['crops']} hands): hand crops pass {r['hand']['pass_min_presence']:.1%}, "
              f"too-wide crops pass {r['too_wide']['pass_min_presence']:.1%} at {TrackerConfig.min_presence} "
              f"and {r['too_wide']['pass_start_presence']:.1%} at the start presence {r['start_presence']}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
