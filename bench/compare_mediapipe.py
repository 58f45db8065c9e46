"""livehand vs MediaPipe Hands on the same decoded frames, in one process, alternating.

MediaPipe pins numpy<2, so it must live in its OWN venv, never the project's (the pyproject
`mediapipe` extra only records the pinned version, mediapipe==0.10.21). Do not pip install
livehand into that venv either: its opencv-python would clash with mediapipe's opencv-contrib;
put the repo on the path instead:

    python3 -m venv /work/mpvenv
    /work/mpvenv/bin/pip install mediapipe==0.10.21 onnxruntime typer
    cd /work/main && PYTHONPATH=. /work/mpvenv/bin/python bench/compare_mediapipe.py \
        --json bench/results/compare_mediapipe.json --picture docs/img/compare.png

Per clip (../shared/data/video, every frame decoded into memory first, so decode is excluded)
three runners see the same frames, one frame at a time in rotating order, each keeping its
own tracking state: livehand (tracking on), MediaPipe Hands legacy `solutions.hands`
complexity 0 and complexity 1 (`static_image_mode=False, max_num_hands=2`). Timed: livehand's
`HandTracker.process()`; MediaPipe's BGR->RGB conversion plus `Hands.process()`. The labelled
mmpose samples are static images: livehand `static=True`, MediaPipe `static_image_mode=True`.
Both share the same cores; livehand's ONNX Runtime uses its own thread setting (printed), the
legacy MediaPipe API exposes none, so the CPU time per frame / wall time per frame of each
runner is printed as the cores it actually used. See docs/benchmarks.md for the figures and
compare_lib.py for the metric definitions.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

try:
    import mediapipe as mp
except ImportError:  # the project venv has no mediapipe on purpose
    sys.exit("mediapipe is not installed here; run this script with the mediapipe venv, see its docstring")

from bench import compare_lib as cl
from livehand import metrics
from livehand.backends.base import Backend
from livehand.cli import common
from livehand.draw import draw
from livehand.hand import Hand, box_of
from livehand.matching import greedy_match
from livehand.models import DEFAULT_DETECTOR, DEFAULT_LANDMARKS
from livehand.skeleton import HAND21
from livehand.tracking import TrackerConfig
from train.data.coco import read_coco

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
CLIPS = ("asl_hand.25fps.mp4", "human_hand_video.mp4", "sign_language_test.mp4")
# mmpose samples -> what their labels are. InterHand2.6M's 2D points are projected 3D annotations.
LABELLED = {"freihand": "human", "onehand10k": "human", "panoptic": "human", "coco_wholebody": "human",
            "interhand2.6m": "human, 3D projected", "rhd": "synthetic render"}
ASL_REFERENCE = "asl_hand.full.json"  # MediaPipe full's outputs for asl_hand.25fps.mp4
LIVEHAND, MP0, MP1 = "livehand", "mediapipe c=0", "mediapipe c=1"
TILE_H, ROW_W = 320, 1200  # picture: tile height and the widest a row may grow


class LivehandRunner:
    def __init__(self, landmarks: Backend, detector: Backend, static: bool, **tuning):
        self.tracker = common.build_tracker(landmarks, detector, max_hands=2, mirror=False,
                                            smoothing=True, static=static, **tuning)

    def process(self, frame_bgr: np.ndarray, t: float) -> list[Hand]:
        return self.tracker.process(frame_bgr, t)


class MediaPipeRunner:
    def __init__(self, complexity: int, static: bool):
        self.hands = mp.solutions.hands.Hands(static_image_mode=static, max_num_hands=2,
                                              model_complexity=complexity)

    def process(self, frame_bgr: np.ndarray, t: float) -> list[Hand]:
        """t is unused: the legacy API keeps its own clock."""
        h, w = frame_bgr.shape[:2]
        res = self.hands.process(cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB))
        out = []
        for i, (lms, cls) in enumerate(zip(res.multi_hand_landmarks or [], res.multi_handedness or [])):
            c = cls.classification[0]
            kp = np.array([[p.x * w, p.y * h, c.score] for p in lms.landmark], np.float32)
            out.append(Hand(kp, float(c.score), cl.side_from_mediapipe(c.label), box_of(kp), i))
        return out

    def close(self) -> None:
        self.hands.close()


Runner = LivehandRunner | MediaPipeRunner


@dataclass
class RunLog:
    """What one runner did on a sequence: hands per frame, wall and CPU seconds per call, and
    (livehand only) its per-stage timings per frame."""

    hands: list[list[Hand]] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    stages: list[dict[str, float]] = field(default_factory=list)


def run_alternating(runners: dict[str, Runner], frames: Sequence[np.ndarray], fps: float
                    ) -> dict[str, RunLog]:
    """Each frame goes through every runner before the next frame; the order rotates per frame
    so no runner always gets the warmer caches. Process CPU time is attributed to the runner
    that is running (only one runs at a time)."""
    names = list(runners)
    logs = {n: RunLog() for n in names}
    for i, frame in enumerate(frames):
        k = i % len(names)
        for name in names[k:] + names[:k]:
            runner = runners[name]
            c0, t0 = time.process_time(), time.perf_counter()
            hands = runner.process(frame, i / fps)
            t1, c1 = time.perf_counter(), time.process_time()
            log = logs[name]
            log.hands.append(hands)
            log.wall.append(t1 - t0)
            log.cpu.append(c1 - c0)
            if isinstance(runner, LivehandRunner):
                log.stages.append(dict(runner.tracker.last_timings))
    return logs


def speed(log: RunLog, warmup: int) -> dict[str, float]:
    s = cl.latency_summary(log.wall[warmup:])
    cpu = float(np.sum(log.cpu[warmup:]))
    s["cpu_ms"] = 1e3 * cpu / max(len(log.cpu[warmup:]), 1)
    s["cores_used"] = cpu / float(np.sum(log.wall[warmup:]))
    return s


def found(log: RunLog) -> dict[str, float]:
    n = np.array([len(h) for h in log.hands])
    return {"found_frac": float((n > 0).mean()), "hands_per_frame": float(n.mean())}


def agreement(ref: RunLog, other: RunLog) -> dict[str, float]:
    """Keypoint distance to the reference runner on frames where both found a hand, over all
    keypoints of all matched hands; % is of the reference's hand size. Side agreement uses
    MediaPipe's label already swapped to the person's own hand."""
    px, pct, same_side, n_ref = [], [], [], 0
    for rh, oh in zip(ref.hands, other.hands):
        n_ref += len(rh)
        for i, j in cl.match_hands([h.keypoints for h in rh], [h.keypoints for h in oh]):
            d = cl.keypoint_distances(rh[i].keypoints, oh[j].keypoints)
            px.append(d)
            pct.append(100.0 * d / cl.hand_size(rh[i].keypoints))
            same_side.append(rh[i].side == oh[j].side)
    if not px:
        return {"matched_hands": 0, "matched_frac_of_ref": 0.0}
    px_a, pct_a = np.concatenate(px), np.concatenate(pct)
    return {"matched_hands": len(px), "matched_frac_of_ref": len(px) / n_ref,
            "mean_px": float(px_a.mean()), "median_px": float(np.median(px_a)),
            "mean_pct": float(pct_a.mean()), "median_pct": float(np.median(pct_a)),
            "side_agree_frac": float(np.mean(same_side))}


def jitter(ref: RunLog, logs: dict[str, RunLog]) -> dict[str, dict[str, float]]:
    """RMS frame-to-frame keypoint motion on still segments (compare_lib.still_steps) of the
    reference's hands. One reference track per side (a person has one left and one right
    hand); each runner's hand is the one matched to the reference hand in that frame."""
    t_len = len(ref.hands)
    sums = {n: [0.0, 0] for n in logs}
    sizes_still = []
    for side in ("left", "right"):
        ref_kp = np.full((t_len, 21, 2), np.nan)
        tracks = {n: np.full((t_len, 21, 2), np.nan) for n in logs}
        for t, rh in enumerate(ref.hands):
            mine = [h for h in rh if h.side == side]
            if len(mine) != 1:  # absent, or both hands labelled the same: no reference here
                continue
            ref_kp[t] = mine[0].keypoints[:, :2]
            for n, log in logs.items():
                pairs = cl.match_hands([mine[0].keypoints], [h.keypoints for h in log.hands[t]])
                if pairs:
                    tracks[n][t] = log.hands[t][pairs[0][1]].keypoints[:, :2]
        sizes = np.array([cl.hand_size(k) for k in ref_kp])
        still = cl.still_steps(ref_kp[:, 0], sizes)
        sizes_still.extend(sizes[still].tolist())
        for n in logs:
            rms, steps = cl.jitter_rms(tracks[n], still)
            if steps:
                sums[n][0] += rms ** 2 * steps
                sums[n][1] += steps
    size = float(np.median(sizes_still)) if sizes_still else float("nan")
    return {n: {"jitter_px": math.sqrt(s / k) if k else float("nan"), "still_steps": k,
                "jitter_pct": 100.0 * math.sqrt(s / k) / size if k else float("nan")}
            for n, (s, k) in sums.items()}


# (keypoints float[21, 2] px, visible bool[21], side 'left' | 'right' | 'unknown') per labelled hand
Label = tuple[np.ndarray, np.ndarray, str]


def score_labels(labels: Sequence[list[Label]], log: RunLog) -> dict:
    """livehand.metrics' found rate, EPE, NME and PCK (label size = longer side of its visible
    keypoint box; a missed hand counts wrong at every keypoint), plus the share of matched hands
    whose side is right where the label knows it."""
    scores, extra, side_ok, side_n = [], 0, 0, 0
    for lab, hands in zip(labels, log.hands):
        pred, pairs_in = [h.keypoints for h in hands], [(k, v) for k, v, _ in lab]
        s, e = metrics.score_image(pred, pairs_in)
        scores += s
        extra += e
        if pred and lab:
            for i, j in greedy_match(metrics.match_cost(pred, pairs_in), metrics.MATCH_MAX_COST):
                if lab[j][2] in ("left", "right"):
                    side_n += 1
                    side_ok += hands[i].side == lab[j][2]
    return {**metrics.summarize(scores, extra), "side_correct": side_ok / side_n if side_n else None}


def stage_profile(log: RunLog, warmup: int) -> dict[str, float]:
    """Mean ms per frame of each livehand stage (a stage that did not run on a frame counts 0),
    plus whatever of process() the stages do not cover."""
    rows = log.stages[warmup:]
    names = sorted({k for r in rows for k in r})
    prof = {k: 1e3 * float(np.mean([r.get(k, 0.0) for r in rows])) for k in names}
    prof["unaccounted"] = 1e3 * float(np.mean(log.wall[warmup:])) - sum(prof.values())
    return prof


def decode_clip(path: Path, max_frames: int | None) -> tuple[list[np.ndarray], float]:
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise SystemExit(f"cannot open {path}")
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    frames = []
    while max_frames is None or len(frames) < max_frames:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    return frames, fps


def tiles_for(frames: Sequence[np.ndarray], logs: dict[str, RunLog]) -> np.ndarray | None:
    """One picture row: evenly spaced frames where MediaPipe c=1 found a hand, each as
    livehand | MediaPipe c=1, as many pairs as fit in ROW_W."""
    h, w = frames[0].shape[:2]
    tile_w = round(w * TILE_H / h)
    pairs = max(1, ROW_W // (2 * tile_w))
    with_hand = [i for i, hs in enumerate(logs[MP1].hands) if hs]
    if not with_hand:
        return None
    n = len(with_hand)
    picks = [with_hand[min(int((k + 0.5) * n / pairs), n - 1)] for k in range(pairs)]
    row = []
    for i in picks:
        for name, caption in ((LIVEHAND, "livehand"), (MP1, "MediaPipe c=1")):
            img = draw(frames[i].copy(), logs[name].hands[i], HAND21)
            img = cv2.resize(img, (tile_w, TILE_H), interpolation=cv2.INTER_AREA)
            cv2.rectangle(img, (0, 0), (8 * len(caption) + 16, 22), (0, 0, 0), -1)
            cv2.putText(img, caption, (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
            row.append(img)
        row.append(np.full((TILE_H, 8, 3), 255, np.uint8))  # white gap between pairs
    return np.concatenate(row[:-1], axis=1)


def compose(rows: list[np.ndarray]) -> np.ndarray:
    width = max(r.shape[1] for r in rows)
    padded = [np.pad(r, ((0, 4), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
    return np.concatenate(padded, axis=0)


def tuning(args: argparse.Namespace) -> dict:
    """The livehand options under comparison (TrackerConfig fields); None: the shipped default."""
    return {k: v for k, v in (("flip_test", args.flip_test), ("detect_tiles", args.tiles)) if v is not None}


def run_clip(path: Path, args: argparse.Namespace, landmarks: Backend, detector: Backend
             ) -> tuple[dict, np.ndarray | None]:
    frames, fps = decode_clip(path, args.max_frames)
    runners = {LIVEHAND: LivehandRunner(landmarks, detector, static=False, **tuning(args)),
               MP0: MediaPipeRunner(0, static=False), MP1: MediaPipeRunner(1, static=False)}
    logs = run_alternating(runners, frames, fps)
    for r in runners.values():
        if isinstance(r, MediaPipeRunner):
            r.close()
    ref_sizes = [cl.hand_size(h.keypoints) for hs in logs[MP1].hands for h in hs]
    res = {"frames": len(frames), "size": [frames[0].shape[1], frames[0].shape[0]], "fps_source": fps,
           "mp1_median_hand_px": float(np.median(ref_sizes)) if ref_sizes else float("nan"),
           "runners": {n: {**speed(log, args.warmup), **found(log)} for n, log in logs.items()}}
    mp1_fps = res["runners"][MP1]["fps"]
    for n in logs:
        res["runners"][n]["fps_vs_mp1"] = res["runners"][n]["fps"] / mp1_fps
    for n in (LIVEHAND, MP0):
        res["runners"][n]["vs_mp1"] = agreement(logs[MP1], logs[n])
    refs = [[h.keypoints for h in a + b] for a, b in zip(logs[MP0].hands, logs[MP1].hands)]
    for n, log in logs.items():
        on = cl.frames_on_reference([[h.keypoints for h in hs] for hs in log.hands], refs)
        res["runners"][n].update(on_mp_hand_frames=len(on), on_mp_hand=on)
    for n, j in jitter(logs[MP1], logs).items():
        res["runners"][n].update(j)
    tracker = runners[LIVEHAND].tracker
    res["livehand_profile_ms"] = stage_profile(logs[LIVEHAND], args.warmup)
    res["livehand_detector_frac"] = tracker.detector_runs / max(tracker.frames, 1)
    if path.name == "asl_hand.25fps.mp4" and (path.parent / ASL_REFERENCE).is_file():
        ref = json.loads((path.parent / ASL_REFERENCE).read_text())
        labels = [[(np.asarray(r, np.float64)[:, :2], np.ones(21, bool), "unknown")]
                  for r in ref[:len(frames)]]
        res["pck_vs_mediapipe_full_reference"] = {n: score_labels(labels, log) for n, log in logs.items()}
    row = tiles_for(frames, logs) if args.picture else None
    return res, row


def run_labelled(name: str, args: argparse.Namespace, landmarks: Backend, detector: Backend) -> dict:
    folder = args.labelled_dir / name
    candidates = (folder / f"test_{name}_data.json", folder / f"test_{name}.json")  # InterHand: *_data
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        raise SystemExit(f"no test_{name}[_data].json in {folder}")
    records = [r for r in read_coco(path) if r.hands]
    images = [cv2.imread(str(r.image)) for r in records]
    runners = {LIVEHAND: LivehandRunner(landmarks, detector, static=True, **tuning(args)),
               MP0: MediaPipeRunner(0, static=True), MP1: MediaPipeRunner(1, static=True)}
    logs = run_alternating(runners, images, 1.0)
    for r in runners.values():
        if isinstance(r, MediaPipeRunner):
            r.close()
    labels = [[(h.keypoints, h.visible, h.side) for h in r.hands] for r in records]
    return {"images": len(images), "labels": LABELLED.get(name, "?"),
            "runners": {n: score_labels(labels, log) for n, log in logs.items()}}


def pct(v: float | None) -> float:
    return float("nan") if v is None else 100.0 * v


def pck_cells(p: dict) -> list:
    return [p["hands"], pct(p["found_rate"]), *(pct(p["pck"][str(t)]) for t in metrics.PCK_THRESHOLDS),
            pct(p["side_correct"])]


def report(res: dict) -> str:
    """The plain-text tables printed at the end."""
    m = res["machine"]
    out = [f"machine: {m['cpu']}, {m['cores']} cores; load average before/after "
           f"{res['load_before']} / {res['load_after']}",
           f"models: livehand {res['models']['landmarks']} + {res['models']['detector']}",
           f"threads: livehand {res['threads']['livehand']}; MediaPipe: {res['threads']['mediapipe']}", ""]
    speed_rows, acc_rows, pck_rows, prof_rows = [], [], [], []
    for clip, c in res["clips"].items():
        for n, r in c["runners"].items():
            speed_rows.append([clip, n, c["frames"], r["fps"], f"{r['fps_vs_mp1']:.2f}", r["p50_ms"],
                               r["p95_ms"], r["cpu_ms"], f"{r['cores_used']:.2f}"])
            a = r.get("vs_mp1", {})
            acc_rows.append([clip, n, pct(r["found_frac"]), f"{r['hands_per_frame']:.2f}",
                             a.get("median_px"), a.get("median_pct"), a.get("mean_pct"),
                             pct(a.get("side_agree_frac")), r["jitter_px"], r["still_steps"],
                             r["on_mp_hand_frames"]])
        for n, p in c.get("pck_vs_mediapipe_full_reference", {}).items():
            pck_rows.append([f"{clip} *", n, *pck_cells(p)])
        prof = c["livehand_profile_ms"]
        prof_rows.append([clip, *(f"{k} {v:.1f}" for k, v in prof.items()),
                          f"detector on {100 * c['livehand_detector_frac']:.0f}% of frames"])
    for s, d in res["labelled"].items():
        for n, p in d["runners"].items():
            pck_rows.append([f"{s} ({d['labels']})", n, *pck_cells(p)])
    out += ["Speed (decode excluded; FPS = frames / time in process(); ratio = FPS / MediaPipe c=1 FPS)",
            cl.format_table(["clip", "runner", "frames", "FPS", "ratio", "p50 ms", "p95 ms", "CPU ms/f",
                             "cores"], speed_rows), "",
            "Detection and agreement with MediaPipe c=1 (distances on frames where both found the hand; "
            "% of MediaPipe's hand size; jitter = RMS frame-to-frame px on still segments; on MP = frames "
            "with a hand centred on a hand MediaPipe c=0 or c=1 found)",
            cl.format_table(["clip", "runner", "found %", "hands/f", "med px", "med %", "mean %", "side %",
                             "jitter px", "still steps", "on MP"], acc_rows), ""]
    if pck_rows:
        out += ["PCK (normaliser: longer side of the reference hand's keypoint box; "
                "missed hands count as misses)",
                cl.format_table(["set", "runner", "hands", "found %", "PCK@.05", "PCK@.1", "PCK@.2",
                                 "side ok %"], pck_rows)]
        if any(r[0].endswith("*") for r in pck_rows):
            out.append(f"* reference = {ASL_REFERENCE}, MediaPipe full's own outputs, not human labels")
        out.append("")
    out += ["livehand per-stage profile (mean ms per frame)"]
    out += ["  ".join(map(str, r)) for r in prof_rows]
    return "\n".join(out)


def jsonable(x):
    if isinstance(x, float):
        return None if math.isnan(x) or math.isinf(x) else round(x, 4)
    if isinstance(x, dict):
        return {k: jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    return x


def model_id(path: Path, name: str) -> str:
    """Name, file and content hash, so a figure can be traced to the exact model it measured."""
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]
    return f"{name} ({Path(path).name}, sha256 {digest})"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--clips", nargs="*", default=list(CLIPS), help="clip file names in --video-dir")
    p.add_argument("--sets", nargs="*", default=list(LABELLED),
                   help="mmpose sample sets (--sets alone: none)")
    p.add_argument("--max-frames", type=int, default=None, help="cap frames per clip")
    p.add_argument("--warmup", type=int, default=5, help="frames per clip left out of the timings")
    p.add_argument("--model", type=Path, default=None, help="livehand landmark model (default: shipped)")
    p.add_argument("--detector", type=Path, default=None, help="livehand detector model (default: shipped)")
    p.add_argument("--flip-test", action=argparse.BooleanOptionalAction, default=None,
                   help="livehand --flip-test / --no-flip-test (default: livehand's default)")
    p.add_argument("--tiles", action=argparse.BooleanOptionalAction, default=None,
                   help="livehand --tiles / --no-tiles (default: livehand's default)")
    p.add_argument("--video-dir", type=Path, default=DATA / "video")
    p.add_argument("--labelled-dir", type=Path, default=DATA / "labelled" / "mmpose")
    p.add_argument("--json", type=Path, default=None, help="write every figure here")
    p.add_argument("--picture", type=Path, default=None, help="write the side-by-side picture here")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    landmarks = common.load_landmarks(args.model, "onnxruntime")
    common.require_hand21(landmarks, args.model)
    detector = common.load_detector(args.detector, "onnxruntime")
    res = {"machine": cl.machine_info(), "load_before": [round(v, 2) for v in os.getloadavg()],
           "threads": {"livehand": f"landmarks {landmarks.name}; detector {detector.name}",
                       "mediapipe": f"mediapipe {mp.__version__} legacy solutions.hands, TFLite CPU; "
                                    "no thread setting in this API (see 'cores' = CPU time / wall time)"},
           "models": {"landmarks": model_id(args.model or DEFAULT_LANDMARKS, landmarks.meta.name),
                      "detector": model_id(args.detector or DEFAULT_DETECTOR, detector.meta.name)},
           "livehand_options": {"flip_test": TrackerConfig.flip_test, "detect_tiles": TrackerConfig.detect_tiles,
                                **tuning(args)},
           "warmup_frames": args.warmup, "clips": {}, "labelled": {}}
    rows = []
    for clip in args.clips:
        print(f"running {clip} ...", file=sys.stderr)
        res["clips"][clip], row = run_clip(args.video_dir / clip, args, landmarks, detector)
        if row is not None:
            rows.append(row)
    for name in args.sets:
        print(f"running {name} ...", file=sys.stderr)
        res["labelled"][name] = run_labelled(name, args, landmarks, detector)
    res["load_after"] = [round(v, 2) for v in os.getloadavg()]
    print(report(res))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(jsonable(res), indent=1) + "\n")
    if args.picture and rows:
        args.picture.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(args.picture), compose(rows), [cv2.IMWRITE_PNG_COMPRESSION, 9])  # README-sized


if __name__ == "__main__":
    main()
