"""Pure helpers for bench/compare_mediapipe.py: hand matching, distances, still-segment jitter,
latency summaries and the text table (PCK against labels comes from livehand.metrics).

Kept free of mediapipe (livehand's pure numpy helpers only) so CI's venv can test them. Keypoints here
are plain arrays float[21, >=2] in frame pixels; a missing hand is None or a row of NaN.
"""
from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from livehand.matching import greedy_match


def hand_size(kp: np.ndarray) -> float:
    """Longer side of the box around the keypoints (NaN rows ignored)."""
    xy = np.asarray(kp, np.float64)[:, :2]
    xy = xy[~np.isnan(xy).any(axis=1)]
    if len(xy) == 0:
        return float("nan")
    return float((xy.max(axis=0) - xy.min(axis=0)).max())


def box_centre(kp: np.ndarray) -> np.ndarray:
    """Centre of the box around the keypoints, float[2]."""
    xy = np.asarray(kp, np.float64)[:, :2]
    xy = xy[~np.isnan(xy).any(axis=1)]
    return (xy.min(axis=0) + xy.max(axis=0)) / 2.0


def match_hands(ref: Sequence[np.ndarray], other: Sequence[np.ndarray],
                gate: float = 1.0) -> list[tuple[int, int]]:
    """Pairs (i_ref, j_other), greedily nearest box centre first. A pair is kept only when the
    centres are closer than `gate` x the reference hand's size, so a hand found elsewhere in the
    frame never counts as agreement."""
    if not ref or not other:
        return []
    dist = np.array([[float(np.linalg.norm(box_centre(r) - box_centre(o))) for o in other] for r in ref])
    size = np.array([hand_size(r) for r in ref])
    with np.errstate(invalid="ignore"):
        cost = np.where(dist < gate * size[:, None], dist, np.inf)  # outside the gate: never paired
    return sorted(greedy_match(cost, float(np.finfo(np.float64).max)))


def keypoint_distances(ref: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Euclidean distance per keypoint, float[K] (NaN where the reference point is NaN)."""
    a = np.asarray(ref, np.float64)[:, :2]
    b = np.asarray(pred, np.float64)[:, :2]
    return np.linalg.norm(a - b, axis=1)


def still_steps(wrist: np.ndarray, sizes: np.ndarray, frac: float = 0.01, smooth: int = 5,
                min_run: int = 3) -> np.ndarray:
    """bool[T]: step t (frame t-1 -> t) lies in a still segment.

    wrist: float[T, 2] of the reference (NaN where it found no hand); sizes: float[T]. The wrist
    track is smoothed with a centred `smooth`-frame mean first, so the reference's own frame
    noise does not decide which frames count as still; a step is still when the smoothed wrist
    moves less than `frac` x hand size, and only runs of at least `min_run` such steps count."""
    w = np.asarray(wrist, np.float64)
    n = len(w)
    half = smooth // 2
    sm = np.full_like(w, np.nan)
    for t in range(half, n - half):
        win = w[t - half:t + half + 1]
        if not np.isnan(win).any():
            sm[t] = win.mean(axis=0)
    step = np.full(n, np.inf)
    step[1:] = np.linalg.norm(sm[1:] - sm[:-1], axis=1)
    size = np.asarray(sizes, np.float64)
    still = np.zeros(n, bool)
    with np.errstate(invalid="ignore"):
        still[1:] = step[1:] < frac * size[1:]
    # Drop runs shorter than min_run.
    out = np.zeros(n, bool)
    t = 0
    while t < n:
        if not still[t]:
            t += 1
            continue
        end = t
        while end < n and still[end]:
            end += 1
        if end - t >= min_run:
            out[t:end] = True
        t = end
    return out


def jitter_rms(track: np.ndarray, still: np.ndarray) -> tuple[float, int]:
    """RMS frame-to-frame keypoint motion (px) over still steps where the runner has the hand in
    both frames; returns (rms, steps used). track: float[T, K, 2] with NaN for no hand."""
    tr = np.asarray(track, np.float64)
    motion = tr[1:] - tr[:-1]  # [T-1, K, 2]
    ok = np.asarray(still, bool)[1:] & ~np.isnan(motion).any(axis=(1, 2))
    if not ok.any():
        return float("nan"), 0
    sq = (motion[ok] ** 2).sum(axis=2)  # squared displacement per keypoint
    return float(np.sqrt(sq.mean())), int(ok.sum())


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    """FPS (frames / total seconds in process()) and latency percentiles in ms."""
    s = np.asarray(seconds, np.float64)
    if len(s) == 0:
        return {"fps": float("nan"), "p50_ms": float("nan"), "p95_ms": float("nan"), "mean_ms": float("nan")}
    return {"fps": float(len(s) / s.sum()),
            "p50_ms": float(np.percentile(s, 50) * 1e3),
            "p95_ms": float(np.percentile(s, 95) * 1e3),
            "mean_ms": float(s.mean() * 1e3)}


def side_from_mediapipe(label: str) -> str:
    """MediaPipe labels hands as if the image were a mirrored selfie: its 'Left' is the
    person's right hand. Returns livehand's convention (the person's own hand)."""
    return {"left": "right", "right": "left"}[label.lower()]


def machine_info() -> dict[str, object]:
    """CPU model, usable cores and the thread settings in the environment."""
    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": model,
            "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
            "python": platform.python_version(),
            "env": {k: os.environ.get(k, "") for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}}


def fmt(v: object, digits: int = 1) -> str:
    """A table cell: NaN/None as '-', floats rounded."""
    if v is None:
        return "-"
    if isinstance(v, float):
        return "-" if np.isnan(v) else f"{v:.{digits}f}"
    return str(v)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Plain-text table, columns padded to their widest cell, first column left-aligned."""
    cells = [[str(h) for h in headers]] + [[fmt(c) for c in r] for r in rows]
    if any(len(r) != len(headers) for r in cells):
        raise ValueError("every row needs one cell per header")
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(r: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def frames_on_reference(hands: Sequence[Sequence[np.ndarray]], refs: Sequence[Sequence[np.ndarray]],
                        grow: float = 1.2, max_scale: float = 1.5) -> list[int]:
    """Per frame, a runner's hands and the reference hands (float[K, >=2] keypoints each) ->
    the frames where some hand is on some reference hand: its box centre inside the reference's
    box grown by `grow` about its centre, and its size (hand_size) within a factor max_scale of
    the reference's, so a torso-sized box around a hand does not count. A lower bound on the
    frames with a hand on a real hand (MediaPipe as the reference), where the eye would otherwise judge."""
    frames = []
    for f, (mine, theirs) in enumerate(zip(hands, refs)):
        for k, r in ((k, r) for k in mine for r in theirs):
            lo, hi = r[:, :2].min(0), r[:, :2].max(0)
            centred = np.all(np.abs(box_centre(k) - (lo + hi) / 2) <= grow * (hi - lo) / 2)
            if centred and 1 / max_scale <= hand_size(k) / hand_size(r) <= max_scale:
                frames.append(f)
                break
    return frames
