"""Markdown rows for docs/model.md's ablation table from bench/ablation.sh's outputs.

    python bench/ablation_table.py real synthetic both size160 size192 width1

Reads bench/results/ablation_ARM.json (held-out crops), train_history_ablation_ARM.json (last
epoch's validation on the training sources' split) and model_latency.json (CPU ms per crop).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
CONFIGS = Path(__file__).resolve().parents[1] / "train" / "configs"


def row(arm: str, latency: dict[tuple[int, float], float]) -> str:
    cfg = json.loads((CONFIGS / f"ablation_{arm}.json").read_text())
    data = "synthetic only" if cfg.get("train_sources") == ["synthetic"] else \
        "real + synthetic" if any("synth" in d for d in cfg["data"]) else "real only"
    held = json.loads((RESULTS / f"ablation_{arm}.json").read_text())["all"]["pck"]
    val = json.loads((RESULTS / f"train_history_ablation_{arm}.json").read_text())[-1]["val"]
    ms = latency.get((cfg["input_size"], cfg["width"]))
    return (f"| {arm} | {data} | {cfg['input_size']} | {cfg['width']} | "
            f"{val['pck@0.1']:.3f} | {held['0.05']:.3f} / {held['0.1']:.3f} / {held['0.2']:.3f} | "
            f"{'-' if ms is None else f'{ms:.1f}'} |")


def main(arms: list[str]) -> None:
    rows = json.loads((RESULTS / "model_latency.json").read_text())["rows"]
    latency = {(r["input"], r["width"]): r["ms_batch1"] for r in rows}
    print("| arm | data | input | width | validation PCK@0.1 | held-out crops PCK@0.05 / 0.1 / 0.2 | CPU ms per crop |")
    print("|---|---|---|---|---|---|---|")
    for arm in arms:
        print(row(arm, latency))


if __name__ == "__main__":
    main(sys.argv[1:] or ["real", "synthetic", "both", "size160", "size192", "width1"])
