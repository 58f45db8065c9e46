"""What run, predict and bench share: model options, model loading, output layout, the tracker."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Optional

import numpy as np
import typer

from livehand.backends.base import BACKEND_CHOICES, Backend, load_backend
from livehand.errors import LivehandError
from livehand.hand import Hand
from livehand.models import DEFAULT_DETECTOR, DEFAULT_LANDMARKS, model_path
from livehand.pipeline import Tracker
from livehand.skeleton import HAND17, HAND21, KeypointSchema, schema_for_layout, to_hand17

ModelOpt = Annotated[Optional[Path], typer.Option(
    "--model", help="landmark model: .onnx, or a TensorRT engine (.engine/.plan) (default: shipped)")]
DetectorOpt = Annotated[Optional[Path], typer.Option(
    "--detector", help="hand detector model (.onnx or engine) (default: shipped)")]
BackendOpt = Annotated[str, typer.Option(
    "--backend", help=f"runtime: {' | '.join(BACKEND_CHOICES)} (auto picks by file suffix)")]
MaxHandsOpt = Annotated[int, typer.Option("--max-hands", min=1, max=16, help="most hands to track")]
LayoutOpt = Annotated[Optional[str], typer.Option(
    "--layout", help="keypoints in the output: 21 or 17 (default: the model's own)")]
BuildEngineOpt = Annotated[bool, typer.Option(
    "--build-engine", help="with an NVIDIA GPU and TensorRT: build an engine for the ONNX model if none exists")]
MinCutoffOpt = Annotated[float, typer.Option(
    "--min-cutoff", min=0.001, help="One Euro: cutoff (Hz) of a still hand; lower = steadier, more lag")]
FlipTestOpt = Annotated[bool, typer.Option(
    "--flip-test/--no-flip-test", help="also run each hand crop mirrored and average: steadier, more "
    "accurate keypoints for twice the landmark-model time")]
TilesOpt = Annotated[bool, typer.Option(
    "--tiles/--no-tiles", help="detector also on overlapping windows of the frame (magnified): finds "
    "smaller, farther hands for 2-5x the detector time")]
BetaOpt = Annotated[float, typer.Option(
    "--beta", min=0.0, help="One Euro: how fast the cutoff rises with speed (per hand size/s); higher = less lag")]


def _resolve(path: Path, backend: str, build_engine: bool) -> Path:
    """An ONNX path -> the TensorRT engine to use instead, when --backend auto/tensorrt finds or
    builds one for this GPU (livehand.engine.resolve); otherwise the path itself."""
    if backend == "onnxruntime":
        return path
    from livehand.engine.resolve import resolve_model

    return resolve_model(path, backend, build=build_engine)


def load_landmarks(path: Path | None, backend: str, build_engine: bool = False) -> Backend:
    """The landmark model; a detector passed by mistake or an unknown layout is a clear error."""
    model = load_backend(_resolve(model_path(path, DEFAULT_LANDMARKS, "--model"), backend, build_engine), backend)
    if model.meta.kind != "landmarks":
        raise LivehandError(f"{path or DEFAULT_LANDMARKS} is a {model.meta.kind} model; --model needs a "
                            "landmark model")
    try:
        schema_for_layout(model.meta.layout)
    except ValueError as exc:
        raise LivehandError(f"{path or DEFAULT_LANDMARKS}: {exc}") from None
    return model


def load_detector(path: Path | None, backend: str, build_engine: bool = False) -> Backend:
    # --backend tensorrt is about the landmark engine; the detector uses an engine when one exists.
    if backend == "tensorrt":
        backend = "auto"
    path = _resolve(model_path(path, DEFAULT_DETECTOR, "--detector"), backend, build_engine)
    model = load_backend(path, backend)
    if model.meta.kind != "detector":
        raise LivehandError(f"{path} is a {model.meta.kind} model; --detector needs a detector model")
    return model


def require_hand21(landmarks: Backend, path: Path | None) -> None:
    """The tracker crops by the wrist and knuckles, so it needs the 21-point layout."""
    if schema_for_layout(landmarks.meta.layout) is not HAND21:
        raise LivehandError(f"{path or DEFAULT_LANDMARKS} has the {landmarks.meta.layout} layout; "
                            "hand tracking needs a hand21 landmark model")


def output_layout(model_layout: str, requested: str | None
                  ) -> tuple[KeypointSchema, Callable[[list[Hand]], list[Hand]] | None]:
    """(schema of the output hands, converter from the model's hands or None for as-is)."""
    source = schema_for_layout(model_layout)
    try:
        target = source if requested is None else schema_for_layout(requested)
    except ValueError as exc:
        raise LivehandError(f"--layout: {exc}") from None
    if target is source:
        return source, None
    if source is HAND21 and target is HAND17:
        return HAND17, _hands_to_17
    raise LivehandError(f"--layout {requested}: the model's {source.name} keypoints cannot be "
                        f"converted to {target.name}")


def _hands_to_17(hands: list[Hand]) -> list[Hand]:
    return [replace(h, keypoints=to_hand17(h.keypoints).astype(np.float32)) for h in hands]


def build_tracker(landmarks: Backend, detector: Backend, *, max_hands: int, mirror: bool,
                  smoothing: bool, static: bool, **tuning: float) -> Tracker:
    """The one place that constructs the tracker (tests swap in a fake here). tuning: One Euro
    (min_cutoff, beta, d_cutoff) or TrackerConfig fields."""
    from livehand.tracking import HandTracker

    return HandTracker(landmarks, detector, max_hands=max_hands, mirror=mirror,
                       smoothing=smoothing, static=static, **tuning)
