"""Landmark PCK@0.1 on hagrid's validation rows by gesture (the image names carry it), per checkpoint.

    python bench/hagrid_gestures.py CHECKPOINT.pt [...] [--json OUT]

The validation split is train.loop's (fixed blocks of rows); a packed crop is matched to its
label hand by its keypoints' shape (crops are scaled and shifted, never turned, at packing time).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from livehand.decode import decode_heatmaps, heatmap_to_input  # noqa: E402
from livehand.metrics import hand_size, point_errors  # noqa: E402
from train.data.crops import HandCropDataset, load_shards  # noqa: E402
from train.data.records import read_jsonl  # noqa: E402
from train.export import load_checkpoint  # noqa: E402
from train.loop import TrainConfig, validation_rows  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DEFAULTS = TrainConfig()  # the split and targets fit uses


def _shape(points: np.ndarray) -> np.ndarray:
    """float[K, >=2] -> centred, unit-norm float[K, 2] (invariant to the crop's scale and shift)."""
    k = np.asarray(points, np.float64)[:, :2]
    k = k - k.mean(0)
    return k / np.linalg.norm(k)


def hagrid_validation(shard: Path, labels: Path, images: Path) -> tuple[dict, np.ndarray]:
    """-> (the validation rows with a hand, as a shard dict; str[N] gesture of each)."""
    data = load_shards([shard])
    val = validation_rows(np.array(["hagrid"] * len(data["side"])), DEFAULTS.eval_sources, DEFAULTS.val_fraction)
    val &= data["present"]
    hands = [(r.image.name.split("_")[1], _shape(h.keypoints)) for r in read_jsonl(labels, images)
             if r.source == "hagrid" for h in r.hands]
    shapes, names = np.stack([s for _, s in hands]), np.array([g for g, _ in hands])
    gestures = []
    for row in np.flatnonzero(val):
        d = np.linalg.norm((shapes - _shape(data["keypoints"][row])[None]).reshape(len(shapes), -1), axis=1)
        gestures.append(names[d.argmin()])
    return {k: v[val] for k, v in data.items()}, np.array(gestures)


def pck_per_hand(checkpoint: Path, data: dict) -> np.ndarray:
    """float[N] share of visible keypoints within 0.1 of the hand box's longer side (validation crops)."""
    net, meta, _ = load_checkpoint(checkpoint)
    ds = HandCropDataset(data, meta.input_size, meta.stride, DEFAULTS.sigma, meta.box_scale, meta.mean, meta.std,
                         None, seed=0)
    out = []
    with torch.no_grad():
        for i in range(len(ds)):
            x, _, mask, _, _, _, gt = ds[i]
            xy, _ = decode_heatmaps(net(x[None])["heatmaps"].numpy())
            visible = mask.numpy() > 0
            err = point_errors(heatmap_to_input(xy, meta.stride)[0], gt.numpy(), visible) / hand_size(gt.numpy(), visible)
            out.append(float((err < 0.1).mean()))
    return np.array(out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("checkpoints", type=Path, nargs="+")
    p.add_argument("--shard", type=Path, default=REPO / "data" / "crops" / "hagrid.npz")
    p.add_argument("--labels", type=Path, default=REPO / "train" / "labels" / "real_mediapipe.jsonl")
    p.add_argument("--images", type=Path, default=REPO.parent / "shared" / "data" / "real")
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    torch.set_num_threads(1)
    data, gestures = hagrid_validation(args.shard, args.labels, args.images)
    report = {}
    for ckpt in args.checkpoints:
        pck = pck_per_hand(ckpt, data)
        row = {g: round(float(pck[gestures == g].mean()), 3) for g in sorted(set(gestures))}
        row["mute"], row["not mute"] = round(float(pck[gestures == "mute"].mean()), 3), round(float(pck[gestures != "mute"].mean()), 3)
        row["all"] = round(float(pck.mean()), 3)
        report[ckpt.stem] = row
        print(f"{ckpt.stem}: mute {row['mute']} ({(gestures == 'mute').sum()} hands), others {row['not mute']} "
              f"({(gestures != 'mute').sum()}), all {row['all']}")
    if args.json:
        args.json.write_text(json.dumps({"hands_per_gesture": {g: int((gestures == g).sum()) for g in sorted(set(gestures))},
                                         "pck@0.1": report}, indent=1))


if __name__ == "__main__":
    main()
