"""The One Euro smoothing trade-off on synthetic keypoint tracks: jitter removed vs lag added.

A real hand pose (MediaPipe keypoints of the ASL clip in ../shared/data/video) is replayed
  * still, with sensor-like noise: jitter = RMS frame-to-frame keypoint motion, raw vs smoothed;
  * in sweeps (rest -> peak 2, 4 ("fast") or 8 hand sizes/s -> rest, minimum-jerk profile) with
    the same noise: lag = the time shift (frames) that best aligns the smoothed track with the
    true one (raw is the control: about 0);
  * in its real recorded motion (325 frames at 25 fps) with the same noise: lag and error.
Noise per frame (default): every keypoint N(0, 1% of hand size) per axis plus a shared
N(0, 0.5%) shift. Each case runs at a small (80 px) and a large (320 px) hand: the filter works
in hand sizes, so both should read the same in hand-relative terms.

    python bench/smoothing.py [--min-cutoff 0.5 --beta 6 --d-cutoff 1] [--noise 0.01] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

import numpy as np

from livehand.smoothing import OneEuroFilter, OneEuroParams, rms_motion
from livehand.tracking import hand_size

CLIP = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "video" / "asl_hand.full.json"
FPS = 30.0


def noisy(truth: np.ndarray, rng: np.random.Generator, rel_point: float) -> np.ndarray:
    """float[T, 21, 2] -> the same plus gaussian noise scaled by hand size: rel_point per point
    and axis, plus half that as one shift shared by all points (crop jitter moves them together)."""
    size = np.array([hand_size(k) for k in truth])[:, None, None]
    return (truth + rng.normal(0, 1, truth.shape) * rel_point * size
            + rng.normal(0, 1, (len(truth), 1, 2)) * rel_point / 2 * size)


def smooth(track: np.ndarray, times: np.ndarray, params: OneEuroParams) -> np.ndarray:
    """float[T, 21, 2] -> filtered, as the tracker does it (scale = this frame's hand size)."""
    f = OneEuroFilter(params)
    return np.stack([f(k, t, hand_size(k)) for k, t in zip(track, times)])


def jitter(track: np.ndarray) -> float:
    """RMS frame-to-frame keypoint motion over the whole track, px/frame."""
    return float(np.sqrt(np.mean([rms_motion(a, b) ** 2 for a, b in zip(track[:-1], track[1:])])))


def lag_frames(est: np.ndarray, truth: np.ndarray, frames: slice, max_lag: float = 6.0) -> float:
    """The delay d (frames, 0.02 steps) minimising |est(t) - truth(t - d)|^2 over `frames`."""
    idx = np.arange(len(truth), dtype=np.float64)

    def shifted(d: float) -> np.ndarray:
        pos = np.clip(idx[frames] - d, 0, len(truth) - 1)
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, len(truth) - 1)
        w = (pos - lo)[:, None, None]
        return truth[lo] * (1 - w) + truth[hi] * w

    delays = np.arange(-1.0, max_lag, 0.02)
    errs = [np.mean((est[frames] - shifted(d)) ** 2) for d in delays]
    return float(delays[int(np.argmin(errs))])


def min_jerk(n: int) -> np.ndarray:
    """float[n] from 0 to 1 with zero velocity and acceleration at both ends."""
    s = np.linspace(0, 1, n)
    return 10 * s ** 3 - 15 * s ** 4 + 6 * s ** 5


def pose_at(pose: np.ndarray, size_px: float) -> np.ndarray:
    """float[21, 2] pose -> the same pose scaled to `size_px` hand size, centred at the origin."""
    return (pose - pose.mean(0)) * size_px / hand_size(pose)


def still_case(pose, size_px, params, rng, noise) -> dict:
    truth = np.repeat(pose_at(pose, size_px)[None] + 400, 300, axis=0)
    raw = noisy(truth, rng, noise)
    out = smooth(raw, np.arange(300) / FPS, params)
    j_raw, j_out = jitter(raw[30:]), jitter(out[30:])  # skip the first second's settling
    return {"jitter_raw_px": j_raw, "jitter_smoothed_px": j_out, "reduction": j_raw / j_out}


def sweep_case(pose, size_px, params, rng, noise, speed: float) -> dict:
    """Rest 1 s, sweep at a peak of `speed` hand sizes/s along x, rest 1 s."""
    n_move = int(FPS * 1.0)
    dist = speed * size_px * n_move / FPS / 1.875  # min-jerk peak speed = 1.875 x mean speed
    x = np.concatenate([np.zeros(30), min_jerk(n_move) * dist, np.full(30, dist)])
    truth = pose_at(pose, size_px)[None] + 100 + np.stack([x, np.zeros_like(x)], 1)[:, None]
    raw = noisy(truth, rng, noise)
    out = smooth(raw, np.arange(len(x)) / FPS, params)
    moving = slice(30, 30 + n_move)
    return {"peak_px_per_frame": float(np.abs(np.diff(x)).max()),
            "lag_raw_frames": lag_frames(raw, truth, moving),
            "lag_smoothed_frames": lag_frames(out, truth, moving),
            "jitter_at_rest_after_px": jitter(out[30 + n_move + 10:])}


def clip_case(clip, size_px, params, rng, noise) -> dict:
    """The recorded 25 fps motion, rescaled so the mean hand size is size_px. The recording has
    MediaPipe's own jitter, which the filter removes too and the error counts: `clean` is the
    error of smoothing the recording without added noise (the floor)."""
    scale = size_px / np.mean([hand_size(k) for k in clip])
    truth = clip * scale
    times = np.arange(len(truth)) / 25.0
    raw = noisy(truth, rng, noise)
    out = smooth(raw, times, params)
    err = lambda a: float(np.sqrt(np.mean(np.sum((a - truth) ** 2, axis=-1))))  # noqa: E731
    return {"rms_error_raw_px": err(raw), "rms_error_smoothed_px": err(out),
            "rms_error_clean_px": err(smooth(truth, times, params)),
            "lag_smoothed_frames": lag_frames(out, truth, slice(10, None))}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = OneEuroParams()
    p.add_argument("--min-cutoff", type=float, default=default.min_cutoff)
    p.add_argument("--beta", type=float, default=default.beta)
    p.add_argument("--d-cutoff", type=float, default=default.d_cutoff)
    p.add_argument("--noise", type=float, default=0.01, help="per-point noise, fraction of hand size")
    p.add_argument("--speeds", type=float, nargs="+", default=[2.0, 4.0, 8.0],
                   help="sweep peak speeds, hand sizes/s (4 = the 'fast' target case)")
    p.add_argument("--clip", type=Path, default=CLIP)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    params = OneEuroParams(args.min_cutoff, args.beta, args.d_cutoff)
    clip = np.array(json.loads(args.clip.read_text()), np.float64)[..., :2]
    pose = clip[0]
    print(f"One Euro {asdict(params)}; noise {args.noise:.1%} of hand size per point "
          f"+ {args.noise / 2:.1%} shared; sweeps at {FPS:.0f} fps, clip at 25 fps")
    results = {}
    for size_px in (80.0, 320.0):
        rng = np.random.default_rng(args.seed)
        r = results[f"{size_px:.0f}px"] = {
            "still": still_case(pose, size_px, params, rng, args.noise),
            "sweeps": {f"{v:g}": sweep_case(pose, size_px, params, rng, args.noise, v) for v in args.speeds},
            "clip": clip_case(clip, size_px, params, rng, args.noise)}
        s, c = r["still"], r["clip"]
        print(f"\nhand {size_px:.0f} px")
        print(f"  still hand jitter  : raw {s['jitter_raw_px']:.2f} -> smoothed "
              f"{s['jitter_smoothed_px']:.3f} "
              f"px/frame ({s['reduction']:.1f}x lower)")
        for v, w in r["sweeps"].items():
            print(f"  sweep {v:>3} sizes/s  : lag {w['lag_smoothed_frames']:.2f} frames (raw "
                  f"{w['lag_raw_frames']:+.2f}), peak {w['peak_px_per_frame']:.0f} px/frame")
        print(f"  ASL clip (real motion): RMS error raw {c['rms_error_raw_px']:.2f} -> smoothed "
              f"{c['rms_error_smoothed_px']:.2f} px (no-noise floor {c['rms_error_clean_px']:.2f}), "
              f"lag {c['lag_smoothed_frames']:.2f} frames")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"params": asdict(params), "noise": args.noise, "results": results},
                                        indent=2))


if __name__ == "__main__":
    main()
