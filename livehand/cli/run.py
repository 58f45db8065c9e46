"""`livehand run`: live hand tracking from a camera, a video or an image folder."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from livehand.cli import common
from livehand.cli.app import app
from livehand.smoothing import OneEuroParams
from livehand.tracking import TrackerConfig
from livehand.errors import LivehandError
from livehand.pipeline import Outputs, Pipeline, Summary
from livehand.sinks import JsonlWriter, VideoRecorder, Window, check_writable, display_available
from livehand.sources import CameraSource, ImageFolderSource, Source, VideoSource


def check_one_source(camera: int | None, video: Path | None, images: Path | None) -> None:
    given = [name for name, v in (("--camera", camera), ("--video", video), ("--images", images))
             if v is not None]
    if len(given) > 1:
        raise LivehandError(f"give one source, not {' and '.join(given)}")


def open_source(camera: int | None, video: Path | None, images: Path | None) -> Source:
    """The named source; the camera (0) when none is named."""
    check_one_source(camera, video, images)
    if video is not None:
        return VideoSource(video)
    if images is not None:
        return ImageFolderSource(images)
    return CameraSource(0 if camera is None else camera)


def check_outputs(record: Path | None, jsonl: Path | None, inputs: list[Path]) -> None:
    """Before anything slow: outputs writable, distinct, and not overwriting the input."""
    outs = [p for p in (record, jsonl) if p is not None]
    if record is not None and jsonl is not None and record.resolve() == jsonl.resolve():
        raise LivehandError(f"--record and --jsonl are the same file: {record}")
    for out in outs:
        if any(out.resolve() == i.resolve() for i in inputs):
            raise LivehandError(f"{out} is the input; choose another output file")
        check_writable(out)


def summary_text(s: Summary) -> str:
    lat = s.latency_ms
    text = (f"processed {s.processed} of {s.captured} frames in {s.wall_s:.1f} s ({s.fps:.1f} fps), "
            f"dropped {s.dropped}; stopped: {s.stop_reason}")
    if s.processed:
        text += f"; latency p50 {lat['p50_ms']:.0f} ms, p95 {lat['p95_ms']:.0f} ms"
    return text


@app.command()
def run(
    camera: Annotated[Optional[int], typer.Option("--camera", help="camera index (default: 0 when no other source)")] = None,
    video: Annotated[Optional[Path], typer.Option("--video", help="video file")] = None,
    images: Annotated[Optional[Path], typer.Option("--images", help="folder of images, in name order (30 fps)")] = None,
    record: Annotated[Optional[Path], typer.Option("--record", help="write the drawn frames to this MP4")] = None,
    jsonl: Annotated[Optional[Path], typer.Option("--jsonl", help="write one JSON line per frame")] = None,
    no_display: Annotated[bool, typer.Option("--no-display", help="no window, even when a display exists")] = False,
    model: common.ModelOpt = None,
    detector: common.DetectorOpt = None,
    backend: common.BackendOpt = "auto",
    max_hands: common.MaxHandsOpt = 2,
    layout: common.LayoutOpt = None,
    mirror: Annotated[bool, typer.Option("--mirror", help="selfie view: flip frames horizontally")] = False,
    no_smoothing: Annotated[bool, typer.Option("--no-smoothing", help="raw per-frame keypoints")] = False,
    min_cutoff: common.MinCutoffOpt = OneEuroParams.min_cutoff,
    beta: common.BetaOpt = OneEuroParams.beta,
    flip_test: common.FlipTestOpt = TrackerConfig.flip_test,
    tiles: common.TilesOpt = TrackerConfig.detect_tiles,
    build_engine: common.BuildEngineOpt = False,
    every_frame: Annotated[Optional[bool], typer.Option(
        "--every-frame/--live", help="process every frame, or only the newest (drop stale ones) "
        "(default: --live for cameras, --every-frame for files)")] = None,
) -> None:
    """Track hands and draw them live; optionally record an MP4 and stream JSON lines.

    Ends at the end of the input, on q / Esc in the window, on Ctrl-C, or when the camera stops
    delivering frames; the MP4 and JSON lines are complete up to the last processed frame."""
    check_one_source(camera, video, images)
    check_outputs(record, jsonl, [p for p in (video,) if p is not None])
    use_window = not no_display and display_available()
    if not no_display and not use_window:
        if record is None and jsonl is None:
            raise LivehandError("no display to show a window on; save results with --record/--jsonl "
                                "(and pass --no-display)")
        print("livehand: no display found, running without a window", file=sys.stderr)
    landmarks = common.load_landmarks(model, backend, build_engine)
    common.require_hand21(landmarks, model)
    schema, convert = common.output_layout(landmarks.meta.layout, layout)
    det = common.load_detector(detector, backend, build_engine)
    source = open_source(camera, video, images)
    live = source.live_default if every_frame is None else not every_frame
    outputs = Outputs()
    try:
        tracker = common.build_tracker(landmarks, det, max_hands=max_hands, mirror=mirror,
                                       smoothing=not no_smoothing, static=False,
                                       min_cutoff=min_cutoff, beta=beta, flip_test=flip_test, detect_tiles=tiles)
        if record is not None:
            outputs.video = VideoRecorder(record, source.fps, source.size)
        if jsonl is not None:
            outputs.jsonl = JsonlWriter(jsonl)
        if use_window:
            outputs.window = Window(f"livehand - {source.name}")
    except BaseException:
        outputs.close()
        source.close()
        raise
    with outputs:
        pipeline = Pipeline(source, tracker, outputs, live=live, mirror=mirror, convert=convert,
                            schema=schema, draw=use_window or record is not None)
        summary = pipeline.run()
    typer.echo(summary_text(summary))
    if outputs.video is not None:
        typer.echo(f"wrote {record} ({outputs.video.frames} frames)")
    if outputs.jsonl is not None:
        typer.echo(f"wrote {jsonl} ({outputs.jsonl.lines} lines)")
