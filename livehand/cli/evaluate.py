"""`livehand eval`: accuracy and speed against labelled images, per source and overall.

Whole-image mode runs the tracker in static mode (detector, landmarks, refine) on every image and
matches its hands to the labelled ones. --crops judges the landmark model alone: each labelled
hand is cropped the way the tracker crops a known hand (the square around its keypoints, scaled
by the model's box_scale), with no detector.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Optional

import numpy as np
import typer

from livehand import metrics
from livehand.backends.base import Backend
from livehand.cli import common
from livehand.cli.app import app
from livehand.errors import LivehandError
from livehand.landmarks import Crop, run_landmarks
from livehand.preprocess import box_from_keypoints
from livehand.sinks import check_writable
from livehand.skeleton import HAND17, HAND21, schema_for_layout, to_hand17
from livehand.sources import read_image
from livehand.tracking import TrackerConfig

# image, labels -> (one HandScore per label with visible points, extra hands, a reason per miss)
Predict = Callable[[np.ndarray, list[tuple[np.ndarray, np.ndarray]]], tuple[list[metrics.HandScore], int, list[str]]]


@dataclass
class SetResult:
    """Everything one source (dataset) collects while it is evaluated."""

    images: int = 0
    seconds: float = 0.0
    extra_hands: int = 0
    scores: list[metrics.HandScore] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    def add(self, other: "SetResult") -> None:
        self.images += other.images
        self.seconds += other.seconds
        self.extra_hands += other.extra_hands
        self.scores += other.scores
        self.misses += other.misses

    def summary(self) -> dict:
        ms = 1000 * self.seconds / self.images if self.images else None
        return {"images": self.images, "ms_per_image": ms,
                **metrics.summarize(self.scores, self.extra_hands, self.misses)}


def load_records(labels: Path, images_root: Path | None, sources: str | None, limit: int | None) -> list:
    """Label file -> ImageRecords of the chosen sources, at most `limit` per source."""
    from train.data.labels import load_labels  # numpy-only reader, packaged with livehand

    try:
        records = load_labels(labels, images_root)
    except (OSError, ValueError) as exc:
        raise LivehandError(str(exc)) from None
    if sources:
        wanted = [s.strip() for s in sources.split(",") if s.strip()]
        present = sorted({r.source for r in records})
        unknown = [s for s in wanted if s not in present]
        if unknown:
            raise LivehandError(f"--sources: {', '.join(unknown)} not in {labels} "
                                f"(it has: {', '.join(present)})")
        records = [r for r in records if r.source in wanted]
    if limit is not None:
        taken: dict[str, int] = {}
        kept = []
        for r in records:
            if taken.get(r.source, 0) < limit:
                taken[r.source] = taken.get(r.source, 0) + 1
                kept.append(r)
        records = kept
    if not records:
        raise LivehandError(f"no labelled images in {labels}")
    return records


def layout_converter(model_layout: str, label_k: int) -> Callable[[np.ndarray], np.ndarray]:
    """Predicted keypoints float[K, 3] -> the labels' layout (21 -> 17 when the labels have 17)."""
    model = schema_for_layout(model_layout)
    if model.num_keypoints == label_k:
        return lambda kps: kps
    if model is HAND21 and label_k == HAND17.num_keypoints:
        return to_hand17
    raise LivehandError(f"the labels have {label_k} keypoints per hand; the model's {model.name} "
                        "layout cannot be compared with them")


def image_predictor(tracker, convert) -> Predict:
    def predict(image, labels):
        hands = tracker.process(image, 0.0)
        scores, extra = metrics.score_image([convert(h.keypoints) for h in hands], labels)
        reported = np.array([h.box for h in hands], np.float64).reshape(-1, 4)
        misses = [metrics.miss_reason(k, v, reported, tracker.last_detections)
                  for (k, v), s in zip(metrics.scored_labels(labels), scores) if not s.found]
        return scores, extra, misses
    return predict


def crop_predictor(landmarks: Backend, convert, flip_test: bool = False) -> Predict:
    min_presence = TrackerConfig().min_presence  # below it the tracker would drop the hand

    def predict(image, labels):
        labels = metrics.scored_labels(labels)
        crops = []
        for kps, vis in labels:
            centre, side, _ = box_from_keypoints(kps, landmarks.meta.box_scale, rotate=False, visible=vis)
            crops.append(Crop((float(centre[0]), float(centre[1])), side))
        res = run_landmarks(landmarks, image, crops, flip_test=flip_test)
        preds = [convert(k) if p >= min_presence else None for k, p in zip(res.keypoints, res.presence)]
        scores = metrics.score_paired(preds, labels)
        return scores, 0, ["not_reported"] * sum(not s.found for s in scores)
    return predict


def _fmt(value, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def format_table(rows: dict[str, dict]) -> str:
    """{set name: summary} -> an aligned text table. Found to two decimals: at one, 754 of 794
    hands (94.96%) printed as 95.0%, which reads as a bar met."""
    head = ("set", "images", "hands", "found", "missed: no det/dropped/off", "extra", "EPE px", "NME", "NME s/m/l",
            "PCK.05", "PCK.1", "PCK.2", "ms/img")
    lines = [head]
    for name, s in rows.items():
        sizes = "/".join(_fmt(s["nme_by_size"][b]["nme"], ".3f") for b, _, _ in metrics.SIZE_BUCKETS)
        why = "/".join(str(s["missed_by"][r]) for r in metrics.MISS_REASONS) if s["missed_by"] else str(s["missed"])
        lines.append((name, str(s["images"]), str(s["hands"]), _fmt(s["found_rate"], ".2%"), why,
                      str(s["extra_hands"]),
                      _fmt(s["epe_px"], ".2f"), _fmt(s["nme"], ".3f"), sizes,
                      *(_fmt(s["pck"][str(t)], ".3f") for t in metrics.PCK_THRESHOLDS),
                      _fmt(s["ms_per_image"], ".1f")))
    widths = [max(len(row[i]) for row in lines) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
                     for row in lines)


@app.command("eval")
def evaluate(
    labels: Annotated[Path, typer.Option("--labels", help="labels: livehand JSON lines (.jsonl) or COCO-style hand JSON (.json)")],
    images_root: Annotated[Optional[Path], typer.Option(
        "--images-root", help="folder the label file's image paths are relative to (default: its folder)")] = None,
    crops: Annotated[bool, typer.Option(
        "--crops", help="judge the landmark model alone on crops around the labelled keypoints")] = False,
    model: common.ModelOpt = None,
    detector: common.DetectorOpt = None,
    backend: common.BackendOpt = "auto",
    max_hands: common.MaxHandsOpt = 2,
    json_out: Annotated[Optional[Path], typer.Option("--json", help="also write the report as JSON here")] = None,
    limit: Annotated[Optional[int], typer.Option("--limit", min=1, help="at most N images per source")] = None,
    flip_test: common.FlipTestOpt = TrackerConfig.flip_test,
    tiles: common.TilesOpt = TrackerConfig.detect_tiles,
    sources: Annotated[Optional[str], typer.Option("--sources", help="only these sources, comma-separated")] = None,
) -> None:
    """Found-rate, EPE (px), NME (by hand size), PCK@0.05/0.1/0.2 of the labelled keypoint box's
    longer side, and ms per image, per source and overall. A missed hand counts as all its
    keypoints wrong in PCK and is left out of EPE/NME."""
    records = load_records(labels, images_root, sources, limit)
    if json_out is not None:
        check_writable(json_out)
    landmarks = common.load_landmarks(model, backend)
    label_k = next((len(h.keypoints) for r in records for h in r.hands), HAND21.num_keypoints)
    convert = layout_converter(landmarks.meta.layout, label_k)
    if crops:
        predict = crop_predictor(landmarks, convert, flip_test)
        detector_name = None
    else:
        common.require_hand21(landmarks, model)
        det = common.load_detector(detector, backend)
        detector_name = det.meta.name
        tracker = common.build_tracker(landmarks, det, max_hands=max_hands, mirror=False,
                                       smoothing=False, static=True, flip_test=flip_test, detect_tiles=tiles)
        predict = image_predictor(tracker, convert)

    results: dict[str, SetResult] = {}
    warm = False
    for rec in records:
        image = read_image(rec.image)
        hands = [(h.keypoints, h.visible) for h in rec.hands]
        if any(len(k) != label_k for k, _ in hands):
            raise LivehandError(f"{rec.image}: hands with different keypoint counts in one label file")
        if not warm:  # the first run pays for allocations; keep it out of ms/image
            predict(image, hands)
            warm = True
        t0 = time.perf_counter()
        scores, extra, misses = predict(image, hands)
        res = results.setdefault(rec.source, SetResult())
        res.seconds += time.perf_counter() - t0
        res.images += 1
        res.scores += scores
        res.extra_hands += extra
        res.misses += misses

    overall = SetResult()
    for res in results.values():
        overall.add(res)
    rows = {name: res.summary() for name, res in sorted(results.items())}
    rows["all"] = overall.summary()
    typer.echo(f"{'crops' if crops else 'whole images'}: {landmarks.meta.name} ({landmarks.name})"
               + (f" + {detector_name}" if detector_name else "") + f" on {labels}")
    typer.echo(format_table(rows))
    if json_out is not None:
        report = {"labels": str(labels), "mode": "crops" if crops else "image",
                  "model": landmarks.meta.name, "detector": detector_name, "backend": landmarks.name,
                  "match_max_cost": metrics.MATCH_MAX_COST,
                  "sets": {k: v for k, v in rows.items() if k != "all"}, "all": rows["all"]}
        json_out.write_text(json.dumps(report, indent=1) + "\n")
        typer.echo(f"wrote {json_out}")
