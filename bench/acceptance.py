"""The real-footage checks that issue 4 sets, in one run, with the shipped models (or --model/--detector).

- human_hand_video.mp4: fraction of frames with a hand (bar: >= 95%; MediaPipe: 100%)
- sign_language_test.mp4: frames with a hand (bar: >= MediaPipe complexity 1, 22 of 58). This counts
  any reported hand, wherever it is: checked by eye on 2026-12-02, 18 of 56 were on the signing hand
  (docs/benchmarks.md)
- hands.jpg: both hands found, both called left, mean distance to hands_expected.json (bar: 20 px)
- still hand: one real frame repeated with sensor-like pixel noise, tracked with and without
  smoothing: RMS frame-to-frame keypoint motion (bar: smoothed >= 5x lower than raw)
- fast sweep: the same frame sliding sideways 24 px/frame: delay of the smoothed keypoints
  behind the raw ones, in frames (bar: <= 1 on average)

    python bench/acceptance.py [--json bench/results/acceptance.json]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from livehand.backends.base import load_backend
from livehand.models import DEFAULT_DETECTOR, DEFAULT_LANDMARKS
from livehand.tracking import HandTracker

VIDEO = Path(__file__).resolve().parents[2] / "shared" / "data" / "video"


def frames_with_hands(tracker: HandTracker, path: Path) -> tuple[int, int]:
    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    found = n = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        found += bool(tracker.process(frame, n / fps))
        n += 1
    return found, n


def hands_photo(tracker: HandTracker) -> dict:
    expected = json.loads((VIDEO / "hands_expected.json").read_text())
    hands = tracker.process(cv2.imread(str(VIDEO / "hands.jpg")), 0.0)
    refs = [np.asarray(h, np.float32) for h in expected["hands"]]
    dists = []
    for ref in refs:  # each reference hand against the nearest prediction
        if hands:
            dists.append(min(float(np.linalg.norm(h.keypoints[:, :2] - ref, axis=1).mean()) for h in hands))
    return {"found": len(hands), "sides": [h.side for h in hands],
            "mean_px_to_reference": [round(d, 1) for d in dists]}


def real_frame() -> np.ndarray:
    cap = cv2.VideoCapture(str(VIDEO / "human_hand_video.mp4"))
    frame = cap.read()[1]
    cap.release()
    return frame


def tracked_keypoints(lm, det, frames: list[np.ndarray], smoothing: bool) -> np.ndarray:
    """float[T, 21, 2] of the first hand per frame (NaN where none)."""
    tracker = HandTracker(lm, det, max_hands=1, smoothing=smoothing)
    out = np.full((len(frames), 21, 2), np.nan)
    for i, f in enumerate(frames):
        hands = tracker.process(f, i / 30)
        if hands:
            out[i] = hands[0].keypoints[:, :2]
    return out


def still_hand(lm, det, frames: int = 90, noise: float = 6.0) -> dict:
    base = real_frame().astype(np.float32)
    rng = np.random.default_rng(0)
    clip = [np.clip(base + rng.normal(0, noise, base.shape), 0, 255).astype(np.uint8) for _ in range(frames)]
    jitter = {}
    for smoothing in (False, True):
        k = tracked_keypoints(lm, det, clip, smoothing)[10:]  # after the filter has settled
        steps = np.linalg.norm(np.diff(k, axis=0), axis=2)
        jitter["smoothed" if smoothing else "raw"] = float(np.sqrt(np.nanmean(steps ** 2)))
    return {"noise_sigma": noise, "raw_px": round(jitter["raw"], 3), "smoothed_px": round(jitter["smoothed"], 3),
            "ratio": round(jitter["raw"] / max(jitter["smoothed"], 1e-9), 1)}


def sweep_lag(lm, det, frames: int = 40, speed: float = 24.0) -> dict:
    base = real_frame()
    h, w = base.shape[:2]
    clip = [cv2.warpAffine(base, np.float32([[1, 0, speed * (i - frames / 2)], [0, 1, 0]]), (w, h),
                           borderMode=cv2.BORDER_REPLICATE) for i in range(frames)]
    raw = np.nanmean(tracked_keypoints(lm, det, clip, False)[:, :, 0], axis=1)
    smooth = np.nanmean(tracked_keypoints(lm, det, clip, True)[:, :, 0], axis=1)
    t = np.arange(frames, dtype=float)
    ok = ~np.isnan(raw) & ~np.isnan(smooth)
    shifts = np.linspace(0, 4, 81)  # the delay d that best explains smoothed(t) = raw(t - d)
    errs = [np.nanmean(np.abs(smooth[ok][5:] - np.interp(t[ok][5:] - d, t[ok], raw[ok]))) for d in shifts]
    return {"speed_px_per_frame": speed, "lag_frames": round(float(shifts[int(np.argmin(errs))]), 2),
            "frames_tracked": int(ok.sum()), "frames": frames}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", type=Path, default=DEFAULT_LANDMARKS)
    p.add_argument("--detector", type=Path, default=DEFAULT_DETECTOR)
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    lm, det = load_backend(args.model), load_backend(args.detector)
    report = {}
    for clip in ("human_hand_video.mp4", "sign_language_test.mp4"):
        tracker = HandTracker(lm, det, max_hands=2)
        found, n = frames_with_hands(tracker, VIDEO / clip)
        report[clip] = {"frames": n, "frames_with_hand": found, "fraction": round(found / max(n, 1), 3),
                        "detector_fraction": round(tracker.detector_runs / max(tracker.frames, 1), 3)}
    report["hands.jpg"] = hands_photo(HandTracker(lm, det, max_hands=2, static=True))
    report["still_hand"] = still_hand(lm, det)
    report["fast_sweep"] = sweep_lag(lm, det)
    print(json.dumps(report, indent=1))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
