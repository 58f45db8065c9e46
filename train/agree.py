"""Keep the hands two teacher runs agree on: labels for the photos the plain teacher found no hand in.

MediaPipe's palm detector misses hands that fill the photo or run off its edge: 639 of the
training sources' photos got no hand, most of them big palm-on signs with folded fingers (the
poses livehand does worst on). `python -m train.pseudolabel --pad 0.5` finds hands in most of
them, with and without `--flip`; a hand is kept when the two runs put it in the same place
(median keypoint distance under `max_dist` of its size) with the same side, as their mean.
Keypoints beyond the photo's edge are the teacher's guess at what it cannot see: kept as
[x, y, 0] (not visible), so no loss is drawn at them.

    python -m train.agree /tmp/pad.jsonl /tmp/pad_flip.jsonl --source recovered --out train/labels/recovered_pad.jsonl
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from livehand.metrics import hand_size, point_errors


def agreed_hands(first: list[dict], second: list[dict], width: int, height: int,
                 max_dist: float = 0.1) -> list[dict]:
    """Hands of `first` that a hand of `second` matches (same side, median distance under max_dist
    of the hand's size), each the mean of the pair, keypoints [x, y, v] with v = 0 outside the
    width x height photo. A hand of `second` matches at most one of `first`."""
    taken: set[int] = set()
    out = []
    for hand in first:
        a = np.asarray(hand["keypoints"], np.float64)[:, :2]
        every = np.ones(len(a), bool)
        best, best_d = None, max_dist
        for j, other in enumerate(second):
            d = float(np.median(point_errors(a, np.asarray(other["keypoints"]), every))) / hand_size(a, every)
            if j not in taken and other["side"] == hand["side"] and d < best_d:
                best, best_d = j, d
        if best is None:
            continue
        taken.add(best)
        mean = (a + np.asarray(second[best]["keypoints"], np.float64)[:, :2]) / 2
        inside = (mean[:, 0] >= 0) & (mean[:, 0] <= width - 1) & (mean[:, 1] >= 0) & (mean[:, 1] <= height - 1)
        out.append({"side": hand["side"],
                    "side_score": min(hand.get("side_score", 1.0), second[best].get("side_score", 1.0)),
                    "keypoints": [[round(x, 2), round(y, 2), int(v)] for (x, y), v in zip(mean.tolist(), inside)],
                    "agreement": round(best_d, 4)})
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first", type=Path, help="teacher run (JSON lines)")
    parser.add_argument("second", type=Path, help="second teacher run over the same photos (e.g. --flip)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--source", default=None, help="write rows under this source name (a shard of their own)")
    parser.add_argument("--max-dist", type=float, default=0.1)
    args = parser.parse_args(argv)
    second = {r["image"]: r for r in map(json.loads, args.second.read_text().splitlines()) if r.get("hands")}
    kept = images = 0
    with open(args.out, "w") as out:
        for row in map(json.loads, args.first.read_text().splitlines()):
            if not row.get("hands") or row["image"] not in second:
                continue
            hands = agreed_hands(row["hands"], second[row["image"]]["hands"], row["width"], row["height"], args.max_dist)
            if hands:
                rec = {**row, "hands": hands}
                if args.source:
                    rec.update(source=args.source, teacher_source=row["source"])
                out.write(json.dumps(rec) + "\n")
                kept += len(hands)
                images += 1
    print(f"{kept} agreed hands in {images} photos -> {args.out}")


if __name__ == "__main__":
    main()
