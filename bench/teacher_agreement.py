"""How well does the teacher agree with itself? Scores other MediaPipe runs against the held-out labels.

The held-out labels are MediaPipe Hands' (complexity 1, static mode). Labelling the same photos
again another way -- its lite model (complexity 0), or the mirrored photo mapped back -- and
scoring that against the labels, exactly as `livehand eval` scores livehand, tells how much of
the bar is the teacher's own noise, and what a second model of the same family reaches:

    mpvenv/bin/python -m train.pseudolabel ../shared/data/real --out runs/teacher/c0.jsonl \\
        --complexity 0 --sources rf-hands-obb subhih-hands
    mpvenv/bin/python -m train.pseudolabel ../shared/data/real --out runs/teacher/flip.jsonl \\
        --flip --sources rf-hands-obb subhih-hands
    python bench/teacher_agreement.py --labels data/eval/real_heldout.jsonl \\
        --run c0=runs/teacher/c0.jsonl --run flip=runs/teacher/flip.jsonl --json bench/results/teacher_agreement.json
"""
from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from livehand import metrics
from train.data.labels import load_labels


def _key(path: Path | str) -> str:
    """'.../real/subhih-hands/x.jpg' and 'subhih-hands/x.jpg' -> 'subhih-hands/x.jpg'."""
    parts = Path(path).parts
    return "/".join(parts[-2:])


def agreement(labels: Path, run: Path) -> dict:
    """{source: summary} for one pseudolabel run (its hands as predictions) against the labels."""
    predicted = {}
    with open(run) as f:
        for line in f:
            rec = json.loads(line)
            predicted[_key(rec["image"])] = [np.asarray(h["keypoints"], np.float32) for h in rec.get("hands", [])]
    scores, extra = defaultdict(list), defaultdict(int)
    for rec in load_labels(labels):
        pred = predicted.get(_key(rec.image))
        if pred is None:
            raise SystemExit(f"{run}: no entry for {rec.image} (label the same sources)")
        s, e = metrics.score_image(pred, [(h.keypoints, h.visible) for h in rec.hands])
        for name in (rec.source, "all"):
            scores[name] += s
            extra[name] += e
    return {name: metrics.summarize(scores[name], extra[name]) for name in scores}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--labels", type=Path, required=True, help="the held-out labels (livehand JSON lines)")
    p.add_argument("--run", action="append", required=True, help="NAME=FILE: a train.pseudolabel output")
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    report = {"labels": str(args.labels), "runs": {}}
    for item in args.run:
        name, _, path = item.partition("=")
        report["runs"][name] = res = agreement(args.labels, Path(path))
        for source, s in res.items():
            pck = "/".join(f"{s['pck'][str(t)]:.3f}" for t in metrics.PCK_THRESHOLDS)
            print(f"{name:8s} {source:14s} hands {s['hands']:4d} found {s['found_rate']:.1%} "
                  f"PCK@0.05/0.1/0.2 {pck} extra {s['extra_hands']}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
