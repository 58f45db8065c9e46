"""Write synthetic hand renders and their labels:

    python -m train.data.synthetic --out data/synthetic --count 10000 --seed 0 [--size 256]
        [--backgrounds DIR] [--workers 2] [--sheet PNG]

DIR/images/NNNNNN.jpg (NNNNNN = image index) and DIR/labels.jsonl in livehand's JSON-lines
format (read it with train.data.records.read_jsonl). Prints images/s at the end.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import cv2

from .background import Backgrounds
from .generator import MODEL_DIR
from .pool import generate
from .sheet import contact_sheet


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m train.data.synthetic", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, required=True, help="output folder (images/ and labels.jsonl)")
    p.add_argument("--count", type=int, required=True, help="number of images")
    p.add_argument("--seed", type=int, default=0, help="image i is a function of (seed, i) only")
    p.add_argument("--size", type=int, default=256, help="square image side in pixels")
    p.add_argument("--backgrounds", type=str, default=None,
                   help="folder of hand-free photos "
                        "(default: scene crops of ../shared/data/real avoiding their hands)")
    p.add_argument("--model-dir", type=str, default=str(MODEL_DIR), help="folder with left.glb and right.glb")
    p.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1), help="rendering processes")
    p.add_argument("--sheet", type=Path, default=None, help="also write a PNG contact sheet of the first 8 images")
    args = p.parse_args(argv)

    if args.backgrounds:
        try:  # check here: a worker failing at start-up only reports a broken pool
            Backgrounds.from_folder(args.backgrounds)
        except ValueError as exc:
            p.error(str(exc))
    (args.out / "images").mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    try:
        with open(args.out / "labels.jsonl", "w") as labels:
            for index, jpeg, hand in generate(args.count, args.seed, args.size, args.backgrounds,
                                              args.model_dir, args.workers):
                name = f"images/{index:06d}.jpg"
                (args.out / name).write_bytes(jpeg)
                labels.write(json.dumps({"image": name, "source": "synthetic", "hands": [hand]}) + "\n")
    except RuntimeError as exc:  # no GL context: one clear line, not a traceback
        print(f"error: {exc}", file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - start
    print(f"{args.count} images ({args.size} px) in {elapsed:.1f} s: {args.count / elapsed:.1f} images/s "
          f"with {args.workers} worker(s), start-up included -> {args.out}")
    if args.sheet:
        args.sheet.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(args.sheet), contact_sheet(args.out), [cv2.IMWRITE_PNG_COMPRESSION, 9])
    return 0


if __name__ == "__main__":
    sys.exit(main())
