"""Handedness accuracy of a landmark model by source and by view (palm or back of the hand).

Left/right from 2D keypoints alone is ambiguous: a left hand seen from the back has the same
outline as a right hand seen from the palm. So the model must read the view (nails, knuckles,
palm lines), and a model that learnt only the outline gets back views wrong. This splits the
accuracy by view to show which it did. Each hand is tried as it is and mirrored (the other
side, same view). Rows: the training validation split (data/crops, train.loop's split), the
held-out eval sources, and the renders (which the model trained on).

    python bench/handedness.py [--model X.onnx] [--no-flip-test] [--json bench/results/handedness.json]
"""
from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from livehand.backends.base import load_backend
from livehand.landmarks import run_landmarks
from livehand.models import DEFAULT_LANDMARKS
from livehand.tracking import TrackerConfig, crop_from_keypoints
from train.data.crops import load_shards
from train.data.splits import EVAL_SOURCES
from train.loop import TrainConfig, validation_rows


def view(keypoints: np.ndarray, right: bool) -> str:
    """float[21, >=2] image px (y down) and the hand's side -> 'palm' or 'back' (facing the camera).

    The turn from wrist->index MCP to wrist->pinky MCP: a right palm (thumb on the image's right
    when the fingers point up) turns one way, a right back and a left palm the other."""
    k = np.asarray(keypoints, np.float64)
    a, b = k[5, :2] - k[0, :2], k[17, :2] - k[0, :2]
    cross = a[0] * b[1] - a[1] * b[0]
    return "back" if (cross > 0) == bool(right) else "palm"


def accuracy(model: Path, crops: Path, renders: Path, render_limit: int = 600, flip_test: bool = False) -> dict:
    backend = load_backend(model)
    paths = sorted(crops.glob("*.npz")) + sorted(renders.glob("*.npz"))
    data = load_shards(paths)
    source = np.array([p.stem for p in paths])[data["source_index"]]
    val = validation_rows(source, EVAL_SOURCES, TrainConfig.val_fraction)
    groups = {"validation": np.flatnonzero(val), "held-out": np.flatnonzero(np.isin(source, EVAL_SOURCES)),
              "renders": np.flatnonzero(source == "synthetic")[:render_limit]}
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    box_scale = backend.meta.box_scale
    for group, rows in groups.items():
        for i in rows:
            if not data["present"][i] or data["side"][i] not in (0, 1):
                continue
            for mirror in (False, True):
                image, kps = data["images"][i], data["keypoints"][i].astype(np.float64)
                if mirror:
                    image, kps = image[:, ::-1].copy(), kps.copy()
                    kps[:, 0] = image.shape[1] - 1 - kps[:, 0]
                right = bool(data["side"][i]) != mirror
                res = run_landmarks(backend, image, [crop_from_keypoints(kps, box_scale, 24)], flip_test=flip_test)
                ok = int((res.right[0] > 0.5) == right)
                names = [f"{group}/{view(kps, right)}"] + ([f"{group}:{source[i]}/{view(kps, right)}"]
                                                           if group == "validation" else [])
                for name in names:
                    counts[name][0] += ok
                    counts[name][1] += 1
    return {k: {"hands": n, "accuracy": round(ok / n, 3)} for k, (ok, n) in sorted(counts.items())}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", type=Path, default=DEFAULT_LANDMARKS)
    p.add_argument("--crops", type=Path, default=Path("data/crops"))
    p.add_argument("--renders", type=Path, default=Path("data/crops_synth"))
    p.add_argument("--flip-test", action=argparse.BooleanOptionalAction, default=TrackerConfig.flip_test,
                   help="as livehand --flip-test (default: livehand's default)")
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    table = accuracy(args.model, args.crops, args.renders, flip_test=args.flip_test)
    for name, row in table.items():
        print(f"{name:40s} {row['hands']:5d} hands  {row['accuracy']:.3f}")
    if args.json:
        args.json.write_text(json.dumps({"model": str(args.model), "flip_test": args.flip_test, "by_view": table}, indent=1))


if __name__ == "__main__":
    main()
