"""Detector recall and false detections per image against the centre threshold and frame margins.

    python bench/detector_sweep.py --labels data/eval/real_heldout.jsonl [--detector X.onnx] [--json OUT]
    python bench/detector_sweep.py --frames data/frames [--margin-sets 0 0,0.25] [--tiles] [--json OUT]

--labels: livehand JSON lines or COCO-style hand JSON (train.data.labels), e.g. the held-out set,
to report (with the shipped margins unless --margin-sets). --frames: the validation rows of the
whole-frame shards (train.loop's split of the training sources; the eval sources are skipped).
That is where DETECT_THRESHOLD and DETECT_MARGINS are picked (`pick`: the threshold at which the
whole single-image pipeline with the plain pass finds the most hands net of extra hands, then the
passes that do best at that threshold), so the held-out sets never tune them. A margin set is the
whole-frame passes the detector makes, one per black margin (livehand.detect.detect_hands; a
margin pass keeps only big boxes, MARGIN_MIN_SIDE).
A labelled hand counts as found when a detection (or a reported hand's box) overlaps its box
with IoU >= 0.3, one per hand, matched as the tracker matches detections to tracks.
"""
from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from livehand.backends.base import load_backend
from livehand.detect import DETECT_MARGINS, MARGIN_MIN_SIDE, detect_hands
from livehand.models import DEFAULT_DETECTOR, DEFAULT_LANDMARKS
from livehand.tracking import HandTracker, match_boxes
from train.data.crops import load_shards
from train.data.labels import load_labels
from train.data.splits import EVAL_SOURCES
from train.loop import TrainConfig, validation_rows

THRESHOLDS = (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5)
MARGIN_SETS = ((0.0,), (0.0, 0.25))
# hand size bins (longer side of the keypoint box / the image's longer side): webcam hands are
# 0.1-0.3 of the frame, most training photos' hands over 0.45
SIZE_BINS = (0.0, 0.1, 0.2, 0.3, 0.45, 0.6, np.inf)


def net(row: dict) -> int:
    """Hands the whole pipeline found net of extra hands: a face called a hand costs as much as a
    missed hand."""
    return row["pipeline_found"] - row["pipeline_extra"]


def pick(table: list[dict]) -> dict:
    """The shipped setting, chosen in turn: first the threshold, on the plain pass's rows (the most
    hands net of extra hands; on a tie the higher threshold), then the detector passes at that
    threshold (on a tie fewer passes, then smaller margins: hands stay bigger). Picking both at
    once let a margin pass raise the threshold (2026-12-02: plain + margin at 0.4), which loses the
    small hands of webcam photos that these rows hold few of (docs/model.md, "Detector margins")."""
    plain = [r for r in table if r["margins"] == [0.0]] or table
    threshold = max(plain, key=lambda r: (net(r), r["threshold"]))["threshold"]
    return max((r for r in table if r["threshold"] == threshold),
               key=lambda r: (net(r), -len(r["margins"]), -max(r["margins"])))


def margin_set(text: str) -> tuple[float, ...]:
    """'0,0.25' -> (0.0, 0.25)."""
    return tuple(float(v) for v in text.split(","))


def matched(gt: np.ndarray, boxes: np.ndarray, min_iou: float = 0.3) -> int:
    """float[G, 4] labelled boxes, float[D, 4] detections -> hands found."""
    return len(match_boxes(gt, boxes, min_iou))


def found_by_size(gt: np.ndarray, boxes: np.ndarray, image_side: int, min_iou: float = 0.3) -> np.ndarray:
    """float[G, 4] labelled boxes, float[D, 4] detections -> int[len(SIZE_BINS) - 1, 2]: per size
    bin, (hands, hands found)."""
    rel = (gt[:, 2:] - gt[:, :2]).max(1) / image_side
    hit = np.zeros(len(gt), bool)
    hit[[i for i, _ in match_boxes(gt, boxes, min_iou)]] = True
    bins = np.digitize(rel, SIZE_BINS) - 1
    return np.stack([np.bincount(bins, minlength=len(SIZE_BINS) - 1),
                     np.bincount(bins, weights=hit, minlength=len(SIZE_BINS) - 1).astype(int)], 1)


def size_table(counts: np.ndarray) -> dict[str, list[float]]:
    """int[B, 2] (hands, found) per size bin -> {"0.1-0.2": [hands, recall], ...} for bins with hands."""
    return {f"{lo:g}-{hi:g}": [int(n), round(f / n, 3)]
            for lo, hi, (n, f) in zip(SIZE_BINS, SIZE_BINS[1:], counts) if n}


def labelled_images(labels: Path) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """-> (BGR image, float[G, 4] boxes around each hand's visible keypoints)."""
    for rec in load_labels(labels):
        gt = np.array([[*h.keypoints[h.visible].min(0), *h.keypoints[h.visible].max(0)]
                       for h in rec.hands if h.visible.any()]).reshape(-1, 4)
        yield cv2.imread(str(rec.image)), gt


def validation_frames(folder: Path, fraction: float = TrainConfig.val_fraction) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The validation rows of each training source's frame shard -> (BGR image, float[G, 4] boxes)."""
    for path in sorted(folder.glob("*.npz")):  # shard by shard: all frames at once take GBs
        data = load_shards([path])
        rows = validation_rows(np.full(len(data["n_boxes"]), path.stem), EVAL_SOURCES, fraction)
        for i in np.flatnonzero(rows):
            yield data["images"][i], data["boxes"][i][: int(data["n_boxes"][i])].astype(np.float64)


def sweep(detector: Path, landmarks: Path, images: Iterator[tuple[np.ndarray, np.ndarray]],
          tiles: bool = False, margin_sets: tuple[tuple[float, ...], ...] = (DETECT_MARGINS,),
          margin_min_side: float = MARGIN_MIN_SIDE, flip_test: bool = False) -> dict:
    """Per margin set and threshold: the detector alone (recall, false detections per image) and the
    whole single-image pipeline (hands found and extra hands after the landmark model's presence
    check)."""
    det, lm = load_backend(detector), load_backend(landmarks)
    grid = [(m, t) for m in margin_sets for t in THRESHOLDS]
    trackers = {(m, t): HandTracker(lm, det, max_hands=2, static=True, detect_threshold=t, detect_margins=m,
                                    detect_margin_min_side=margin_min_side, detect_tiles=tiles,
                                    detect_flip_test=flip_test) for m, t in grid}
    counts = {k: dict.fromkeys(("found", "false", "pipeline_found", "pipeline_extra"), 0) for k in grid}
    by_size = {k: np.zeros((len(SIZE_BINS) - 1, 2), int) for k in grid}
    hands = n_images = 0
    for image, gt in images:
        n_images += 1
        hands += len(gt)
        detections = {m: detect_hands(det, image, threshold=min(THRESHOLDS), tiles=tiles, margins=m,
                                   margin_min_side=margin_min_side, flip_test=flip_test)
                      for m in margin_sets}
        for (m, t), c in counts.items():
            boxes, scores = detections[m]
            keep = boxes[scores >= t]
            hit = matched(gt, keep)
            c["found"] += hit
            c["false"] += len(keep) - hit
            by_size[m, t] += found_by_size(gt, keep, max(image.shape[:2]))
            out = trackers[m, t].process(image, 0.0)
            hit = matched(gt, np.array([h.box for h in out]).reshape(-1, 4))
            c["pipeline_found"] += hit
            c["pipeline_extra"] += len(out) - hit
    table = [{"margins": list(m), "threshold": t, "recall": round(c["found"] / hands, 3),
              "false_per_image": round(c["false"] / n_images, 2),
              **{k: c[k] for k in ("pipeline_found", "pipeline_extra")},
              "recall_by_size": size_table(by_size[m, t])} for (m, t), c in counts.items()]
    return {"detector": str(detector), "landmarks": str(landmarks), "tiles": tiles, "flip_test": flip_test,
            "margin_min_side": margin_min_side, "hands": hands,
            "images": n_images, "sweep": table}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--labels", type=Path)
    src.add_argument("--frames", type=Path, help="whole-frame shards: sweep their validation rows")
    p.add_argument("--detector", type=Path, default=DEFAULT_DETECTOR)
    p.add_argument("--model", type=Path, default=DEFAULT_LANDMARKS, help="landmark model for the pipeline columns")
    p.add_argument("--tiles", action="store_true", help="detector also on overlapping windows (detect_hands tiles)")
    p.add_argument("--margin-sets", type=margin_set, nargs="+",
                   help="detector passes to sweep, each a comma-separated list of frame margins (default: "
                        f"{' '.join(','.join(map(str, m)) for m in MARGIN_SETS)} with --frames, the shipped "
                        f"{','.join(map(str, DETECT_MARGINS))} with --labels)")
    p.add_argument("--margin-min-side", type=float, default=MARGIN_MIN_SIDE,
                   help="smallest box a margin pass keeps, as a share of the frame's longer side")
    p.add_argument("--flip-test", action=argparse.BooleanOptionalAction, default=False,
                   help="detector also on the mirrored image, outputs averaged (detect_hands flip_test)")
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    images = labelled_images(args.labels) if args.labels else validation_frames(args.frames)
    margin_sets = tuple(args.margin_sets or (MARGIN_SETS if args.frames else (DETECT_MARGINS,)))
    result = {"data": str(args.labels or f"{args.frames} (validation rows)"),
              **sweep(args.detector, args.model, images, args.tiles, margin_sets, args.margin_min_side,
                       args.flip_test)}
    print(f"{result['hands']} hands in {result['images']} images ({result['data']}), detector {args.detector}")
    n = result["hands"]
    for r in result["sweep"]:
        print(f"  margins {','.join(map(str, r['margins']))} threshold {r['threshold']:.2f}: "
              f"detector recall {r['recall']:.3f}, "
              f"false {r['false_per_image']:.2f}/image; pipeline found {r['pipeline_found'] / n:.3f}, "
              f"extra {r['pipeline_extra'] / result['images']:.3f}/image")
    best = pick(result["sweep"])
    print("detector recall by hand size (of the image's longer side) at the pick: " + ", ".join(
        f"{k} {r} ({n})" for k, (n, r) in best["recall_by_size"].items()))
    result["pick"] = {"margins": best["margins"], "threshold": best["threshold"]}
    print(f"pick: margins {best['margins']}, threshold {best['threshold']} (threshold on the plain pass, then the passes)")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
