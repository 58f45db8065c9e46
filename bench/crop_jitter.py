"""How much the landmark model's keypoints move when the crop wobbles, on the validation rows.

    python bench/crop_jitter.py --config train/configs/landmarks_steady.json \\
        --models livehand/models/hand_landmarks.onnx runs/landmarks_steady/hand_landmarks.onnx [--json OUT]

A still hand in video is cropped a little differently from frame to frame (the crop follows
last frame's keypoints; the sensor adds noise), and whatever that moves the keypoints by is
jitter on screen. For each hand of a config's validation rows (train.loop's split: never the
held-out sets) this cuts the tracker's crop around the labelled keypoints and PERTURBATIONS more,
each shifted by up to 4/128 of its side, scaled by up to 5% and turned by up to 5 degrees (within
`TrackerConfig.crop_hold`'s 6%, what a held-still track's crop does), each frame with its own
sensor noise (std 3 grey levels). The spread is the RMS distance of each keypoint from its mean
over those crops, in % of the hand's size; the same crops and noise for every model. Flip test
as the tracker.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from livehand.backends.base import load_backend
from livehand.landmarks import Crop, run_landmarks
from livehand.metrics import hand_size, point_errors
from livehand.preprocess import box_from_keypoints
from livehand.tracking import TrackerConfig

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from train.loop import TrainConfig, _split  # noqa: E402

PERTURBATIONS = 6
SHIFT, SCALE, ROTATION_DEG, NOISE = 4 / 128, 0.05, 5.0, 3.0


def wobbled_crops(keypoints: np.ndarray, visible: np.ndarray, box_scale: float, rng: np.random.Generator
                  ) -> list[Crop]:
    """The crop around keypoints float[K, 2] (visible bool[K]) and PERTURBATIONS wobbled copies."""
    centre, side, angle = box_from_keypoints(keypoints, box_scale, visible=visible)
    crops = [Crop((float(centre[0]), float(centre[1])), side, angle)]
    for _ in range(PERTURBATIONS):
        u = rng.uniform(-1, 1, 4)
        c = centre + u[:2] * SHIFT * side
        crops.append(Crop((float(c[0]), float(c[1])), side * float(np.exp(u[2] * SCALE)),
                          angle + float(np.deg2rad(u[3] * ROTATION_DEG))))
    return crops


def spread(points: np.ndarray, visible: np.ndarray) -> float:
    """float[C, K, 2] keypoints of one hand from C crops -> RMS distance of the visible points
    from their mean over the crops, px."""
    p = points[:, visible]
    return float(np.sqrt(((p - p.mean(axis=0)) ** 2).sum(-1).mean()))


def rows(config: Path) -> dict:
    """The config's validation rows that hold a hand with at least 5 visible points."""
    cfg = TrainConfig(**json.loads(config.read_text()))
    _, val = _split(cfg)
    keep = val["present"] & (val["visible"].sum(1) >= 5)
    return {k: v[keep] for k, v in val.items()}


def score(model: Path, val: dict, seed: int = 0) -> dict:
    lm = load_backend(model)
    rng = np.random.default_rng(seed)
    per_source: dict[str, list[float]] = {}
    spreads, pck = [], []
    for image, kps, vis, source in zip(val["images"], val["keypoints"], val["visible"], val["source"]):
        crops = wobbled_crops(kps[:, :2], vis, lm.meta.box_scale, rng)
        noise = rng.normal(0, NOISE, (len(crops),) + image.shape)
        pts = []
        for crop, n in zip(crops, noise):  # each crop from its own noisy frame, as in video
            frame = np.clip(image + n, 0, 255).astype(np.uint8)
            pts.append(run_landmarks(lm, frame, [crop], flip_test=TrackerConfig.flip_test).keypoints[0, :, :2])
        pts = np.stack(pts)
        size = hand_size(kps, vis)
        s = 100 * spread(pts, vis) / size
        spreads.append(s)
        per_source.setdefault(str(source), []).append(s)
        pck.append(float((point_errors(pts[0], kps[:, :2], vis) / size < 0.1).mean()))
    return {"model": str(model), "hands": len(spreads),
            "spread_pct_mean": round(float(np.mean(spreads)), 4),
            "spread_pct_median": round(float(np.median(spreads)), 4),
            "spread_pct_by_source": {k: round(float(np.mean(v)), 4) for k, v in sorted(per_source.items())},
            "pck@0.1_unperturbed": round(float(np.mean(pck)), 4)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True, help="training config whose validation rows to use")
    parser.add_argument("--models", nargs="+", type=Path, required=True)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    val = rows(args.config)
    results = []
    for model in args.models:
        results.append(score(model, val))
        r = results[-1]
        print(f"{model}: {r['hands']} hands, keypoint spread {r['spread_pct_mean']:.3f}% of hand size "
              f"(median {r['spread_pct_median']:.3f}%), PCK@0.1 unperturbed {r['pck@0.1_unperturbed']:.4f}", flush=True)
    if args.json:
        args.json.write_text(json.dumps({"config": str(args.config), "perturbations": PERTURBATIONS,
                                         "shift": SHIFT, "scale": SCALE, "rotation_deg": ROTATION_DEG,
                                         "noise": NOISE, "results": results}, indent=1))


if __name__ == "__main__":
    main()
