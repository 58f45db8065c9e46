"""`livehand bench`: the full pipeline on a video as fast as it goes, with per-stage timings."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Optional

import typer

from livehand.cli import common
from livehand.cli.app import app
from livehand.smoothing import OneEuroParams
from livehand.tracking import TrackerConfig
from livehand.pipeline import Outputs, Pipeline, Summary
from livehand.sources import VideoSource


def bench_report(s: Summary, source: VideoSource, landmarks, detector, live: bool = False) -> dict:
    """The bench result as plain JSON-able data (NaN -> None)."""
    def num(v: float) -> float | None:
        return None if math.isnan(v) else round(v, 3)

    return {
        "video": source.name, "width": source.size[0], "height": source.size[1],
        "live": live, "frames": s.processed, "dropped": s.dropped, "fps": round(s.fps, 2), "wall_s": round(s.wall_s, 3),
        "stages_ms": {k: {q: num(v) for q, v in d.items()} for k, d in s.stages.items()},
        "latency_ms": {q: num(v) for q, v in s.latency_ms.items()},
        "detector_fraction": round(s.detector_fraction, 4), "jitter_px": round(s.jitter, 3),
        "backend": landmarks.name, "model": landmarks.meta.name,
        "detector_backend": detector.name, "detector": detector.meta.name,
    }


def format_report(r: dict) -> str:
    def ms(v: float | None) -> str:
        return "-" if v is None else f"{v:.2f}"

    lines = [f"video     {r['video']} ({r['width']}x{r['height']})",
             f"frames    {r['frames']} in {r['wall_s']:.2f} s: {r['fps']:.1f} fps end to end"
             + (f" (live: paced at the file's frame rate, newest frame only; {r['dropped']} dropped)" if r["live"] else ""),
             f"{'stage':<10}{'p50 ms':>9}{'p95 ms':>9}"]
    for stage, d in (*r["stages_ms"].items(), ("latency", r["latency_ms"])):
        lines.append(f"{stage:<10}{ms(d['p50_ms']):>9}{ms(d['p95_ms']):>9}")
    lines += [f"detector  ran on {100 * r['detector_fraction']:.1f}% of frames",
              f"jitter    {r['jitter_px']:.2f} px/frame",
              f"backend   {r['backend']}",
              f"model     {r['model']} (detector {r['detector']}, {r['detector_backend']})"]
    return "\n".join(lines)


@app.command()
def bench(
    video: Annotated[Path, typer.Option("--video", help="video file to process")],
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    max_frames: Annotated[Optional[int], typer.Option("--max-frames", min=1, help="stop after N frames")] = None,
    model: common.ModelOpt = None,
    detector: common.DetectorOpt = None,
    backend: common.BackendOpt = "auto",
    max_hands: common.MaxHandsOpt = 2,
    no_smoothing: Annotated[bool, typer.Option("--no-smoothing", help="measure raw keypoints")] = False,
    min_cutoff: common.MinCutoffOpt = OneEuroParams.min_cutoff,
    beta: common.BetaOpt = OneEuroParams.beta,
    flip_test: common.FlipTestOpt = TrackerConfig.flip_test,
    tiles: common.TilesOpt = TrackerConfig.detect_tiles,
    build_engine: common.BuildEngineOpt = False,
    live: Annotated[bool, typer.Option("--live", help="play the file at its own frame rate as a camera "
                                       "delivers it, newest frame only: latency as a live user gets it "
                                       "(default: every frame as fast as possible, for throughput)")] = False,
) -> None:
    """Every frame, no display, drawing included: FPS, per-stage p50/p95, detector-run fraction,
    jitter, backend and model. --live: the latency a webcam user sees, capture to drawn frame."""
    landmarks = common.load_landmarks(model, backend, build_engine)
    common.require_hand21(landmarks, model)
    det = common.load_detector(detector, backend, build_engine)
    tracker = common.build_tracker(landmarks, det, max_hands=max_hands, mirror=False,
                                   smoothing=not no_smoothing, static=False, min_cutoff=min_cutoff, beta=beta,
                                   flip_test=flip_test, detect_tiles=tiles)
    source = VideoSource(video)
    summary = Pipeline(source, tracker, Outputs(), live=live, draw=True, max_frames=max_frames).run()
    report = bench_report(summary, source, landmarks, det, live)
    typer.echo(json.dumps(report) if as_json else format_report(report))
