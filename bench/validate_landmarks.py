"""Score landmark checkpoints on one config's validation rows, split into two groups of sources.

A run that adds a shard (e.g. `recovered`) also adds validation rows, so its training history's
overall figures are not comparable with an older run's. This scores any checkpoints on the same
rows, with training's own `validate`: once on the rows of every source but the named ones (the
older runs' validation set, the same figures their histories give) and once on the named ones.

    python bench/validate_landmarks.py --config train/configs/landmarks_recovered.json --apart recovered \\
        --checkpoints train/checkpoints/landmarks_no_renders4.pt runs/landmarks_recovered/last.pt
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from train.export import load_checkpoint  # noqa: E402
from train.loop import TrainConfig, _meta, _split, make_dataset, take_rows, validate  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--apart", nargs="+", required=True, help="sources scored on their own")
    parser.add_argument("--checkpoints", nargs="+", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    cfg = TrainConfig(**json.loads(args.config.read_text()))
    cfg.val_samples = 10 ** 9  # every validation row, in a fixed order
    _, val = _split(cfg)
    apart = np.isin(val["source"], args.apart)
    groups = {"others": take_rows(val, ~apart), "apart": take_rows(val, apart)}
    meta = _meta(cfg)
    datasets = {name: make_dataset(cfg, meta, rows, None) for name, rows in groups.items()}
    results = {}
    for path in args.checkpoints:
        net, _, _ = load_checkpoint(path)
        results[str(path)] = {name: validate(cfg, net, ds, torch.device("cpu")) for name, ds in datasets.items()}
        r = results[str(path)]
        print(f"{path}: others PCK@0.1 {r['others']['pck@0.1']:.4f}, source mean {r['others']['pck@0.1 source mean']:.4f}, "
              f"PCK@0.05 {r['others']['pck@0.05']:.4f}; {'+'.join(args.apart)} PCK@0.1 {r['apart']['pck@0.1']:.4f}, "
              f"PCK@0.05 {r['apart']['pck@0.05']:.4f}", flush=True)
    if args.out:
        args.out.write_text(json.dumps({"config": str(args.config), "apart": args.apart, "results": results}, indent=1))


if __name__ == "__main__":
    main()
