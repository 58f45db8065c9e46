"""Keypoint accuracy against labelled hands: matching, found-rate, EPE, NME by size, PCK.

Pure numpy. A labelled hand is scored on its visible keypoints only, with its size taken as the
longer side of the box around those keypoints (the same size for NME and PCK, so both mean the
same thing on every dataset). A hand the prediction missed counts as all its keypoints wrong
for PCK and is left out of EPE/NME (the summary reports how many were missed).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from livehand.matching import box_iou, greedy_match

PCK_THRESHOLDS = (0.05, 0.1, 0.2)
# Size buckets on the labelled box's longer side (px): below half the smallest model input the
# crop is upsampled a lot; above 192 (the largest input size) it is downsampled.
SIZE_BUCKETS = (("small", 0.0, 64.0), ("medium", 64.0, 192.0), ("large", 192.0, np.inf))
# A prediction is that hand only if its mean keypoint distance is within this share of the hand's
# size; further away it is another hand (or none), and the labelled one counts as missed.
MATCH_MAX_COST = 0.5


@dataclass
class HandScore:
    """One labelled hand. size: longer side of its visible-keypoint box (px, >= 1); visible: V,
    its visible keypoint count; errors: float64[V] px distances there, None when it was missed."""

    size: float
    visible: int
    errors: np.ndarray | None

    @property
    def found(self) -> bool:
        return self.errors is not None


def hand_size(keypoints: np.ndarray, visible: np.ndarray) -> float:
    """float[K, >=2], bool[K] -> longer side of the axis-aligned box of the visible points (>= 1 px)."""
    pts = np.asarray(keypoints, np.float64)[np.asarray(visible, bool), :2]
    if len(pts) == 0:
        return 1.0
    return float(max((pts.max(0) - pts.min(0)).max(), 1.0))


def match_cost(pred: Sequence[np.ndarray], labels: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """pred: P arrays float[K, >=2]; labels: L pairs (keypoints float[K, >=2], visible bool[K])
    -> float64[P, L]: mean distance over the label's visible points / the label's size."""
    cost = np.full((len(pred), len(labels)), np.inf)
    for j, (kps, vis) in enumerate(labels):
        vis = np.asarray(vis, bool)
        if not vis.any():
            continue
        size = hand_size(kps, vis)
        for i, p in enumerate(pred):
            cost[i, j] = point_errors(p, kps, vis).mean() / size
    return cost


def point_errors(pred: np.ndarray, keypoints: np.ndarray, visible: np.ndarray) -> np.ndarray:
    """float[K, >=2] prediction, float[K, >=2] label, bool[K] -> float64[V] px distances at the
    V visible points."""
    pred = np.asarray(pred, np.float64)
    if pred.shape[0] != len(visible):
        raise ValueError(f"prediction has {pred.shape[0]} keypoints, the label {len(visible)}")
    return np.linalg.norm(pred[visible, :2] - np.asarray(keypoints, np.float64)[visible, :2], axis=1)


def scored_labels(labels: Sequence[tuple[np.ndarray, np.ndarray]]) -> list[tuple[np.ndarray, np.ndarray]]:
    """The labels that get a HandScore, in order: those with a visible point."""
    return [(k, v) for k, v in labels if np.asarray(v, bool).any()]


def score_image(pred: Sequence[np.ndarray], labels: Sequence[tuple[np.ndarray, np.ndarray]],
                max_cost: float = MATCH_MAX_COST) -> tuple[list[HandScore], int]:
    """Score one image. pred: predicted hands, each float[K, >=2] px; labels: (keypoints
    float[K, >=2] px, visible bool[K]) per labelled hand. Labels without a visible point are
    skipped. Returns (one HandScore per scored label, in label order; unmatched predictions)."""
    labels = scored_labels(labels)
    pairs = greedy_match(match_cost(pred, labels), max_cost) if len(pred) and len(labels) else []
    by_label = {j: i for i, j in pairs}
    scores = []
    for j, (kps, vis) in enumerate(labels):
        vis = np.asarray(vis, bool)
        errors = point_errors(pred[by_label[j]], kps, vis) if j in by_label else None
        scores.append(HandScore(hand_size(kps, vis), int(vis.sum()), errors))
    return scores, len(pred) - len(pairs)


MISS_REASONS = ("no_detection", "not_reported", "keypoints_off")
MISS_IOU = 0.3  # a box overlapping a labelled hand's box this much is "on" that hand (as the tracker matches)


def miss_reason(keypoints: np.ndarray, visible: np.ndarray, reported_boxes: np.ndarray,
                detected_boxes: np.ndarray | None) -> str:
    """Why a labelled hand (float[K, >=2], bool[K]) was missed, given the boxes float[R, 4] of
    the hands reported and (whole images) the detector's boxes float[D, 4] (x0, y0, x1, y1):
    "keypoints_off" when a reported hand sits on it but its keypoints are too far from the label's
    (or went to another label), else "not_reported" when the detector boxed it but no hand came
    of it (the landmark model's presence, or the cut before it), else "no_detection".
    detected_boxes None (crops: no detector) counts every unreported hand as not reported."""
    pts = np.asarray(keypoints, np.float64)[np.asarray(visible, bool), :2]
    box = np.array([[*pts.min(0), *pts.max(0)]])
    if len(reported_boxes) and box_iou(reported_boxes, box).max() >= MISS_IOU:
        return "keypoints_off"
    if detected_boxes is None or (len(detected_boxes) and box_iou(detected_boxes, box).max() >= MISS_IOU):
        return "not_reported"
    return "no_detection"


def score_paired(pred: Sequence[np.ndarray | None], labels: Sequence[tuple[np.ndarray, np.ndarray]]
                 ) -> list[HandScore]:
    """Score predictions already paired with their labels (one crop per labelled hand): pred[j]
    is label j's prediction float[K, >=2], or None where the model said no hand."""
    scores = []
    for p, (kps, vis) in zip(pred, labels, strict=True):
        vis = np.asarray(vis, bool)
        if not vis.any():
            continue
        errors = point_errors(p, kps, vis) if p is not None else None
        scores.append(HandScore(hand_size(kps, vis), int(vis.sum()), errors))
    return scores


def _mean(values: list[float]) -> float | None:
    return float(np.mean(values)) if values else None


def summarize(scores: Sequence[HandScore], extra_hands: int = 0, misses: Sequence[str] = ()) -> dict:
    """Aggregate HandScores -> {hands, found, missed, missed_by, found_rate, extra_hands, epe_px,
    nme, nme_by_size: {bucket: {hands, found, nme}}, pck: {threshold: value}}.
    misses: a miss_reason per missed hand (missed_by counts them; empty: not known).

    epe_px: mean px error over the visible keypoints of found hands; nme: mean of each found
    hand's mean error / its size; pck@t: share of ALL labelled visible keypoints (missed hands'
    included, as wrong) within t * size. None where nothing was there to average."""
    found = [s for s in scores if s.found]
    points = sum(s.visible for s in found)
    total = sum(s.visible for s in scores)
    pck = {}
    for t in PCK_THRESHOLDS:
        hits = sum(int((s.errors < t * s.size).sum()) for s in found)
        pck[str(t)] = hits / total if total else None
    by_size = {}
    for name, lo, hi in SIZE_BUCKETS:
        bucket = [s for s in scores if lo <= s.size < hi]
        bfound = [s for s in bucket if s.found]
        by_size[name] = {"hands": len(bucket), "found": len(bfound),
                         "nme": _mean([float(s.errors.mean() / s.size) for s in bfound])}
    return {
        "hands": len(scores),
        "found": len(found),
        "missed": len(scores) - len(found),
        "missed_by": {r: sum(m == r for m in misses) for r in MISS_REASONS} if misses else None,
        "found_rate": len(found) / len(scores) if scores else None,
        "extra_hands": int(extra_hands),
        "epe_px": float(sum(s.errors.sum() for s in found) / points) if points else None,
        "nme": _mean([float(s.errors.mean() / s.size) for s in found]),
        "nme_by_size": by_size,
        "pck": pck,
    }

