"""`livehand doctor`: what this machine offers livehand, and whether the GPU path really works."""
from __future__ import annotations

import platform
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Optional

import numpy as np
import typer

from livehand.cli.app import app
from livehand.errors import LivehandError


def _line(label: str, value: str) -> None:
    typer.echo(f"{label + ':':<15} {value}")


def _gpu_report():
    from livehand.gpu import driver_version, probe_gpu

    gpu, why = probe_gpu()
    if gpu is None:
        _line("GPU", f"none: {why}")
        return None
    cc = gpu.compute_capability
    _line("GPU", f"{gpu.name}, compute capability {cc[0]}.{cc[1]}, {gpu.memory_mb} MB")
    _line("driver", f"{driver_version() or 'version unknown (no NVML)'}, supports CUDA up to "
                    f"{gpu.driver_cuda[0]}.{gpu.driver_cuda[1]}")
    return gpu


def _cuda_bindings_report() -> None:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for package in ("cuda-python", "pycuda"):
        try:
            found.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            continue
    _line("CUDA Python", ", ".join(found) or "none (pip install cuda-python, needed to run engines)")


def _trt_report():
    from livehand.engine.trt import load_trt

    try:
        flavour = load_trt()
    except LivehandError as exc:
        _line("TensorRT", str(exc))
        return None
    kind = ("strongly typed, builds without a GPU, runs on RTX-class GPUs" if flavour.is_rtx else
            "strongly typed" if flavour.strongly_typed else "FP16/INT8 builder flags")
    _line("TensorRT", f"{flavour.label} ({kind})")
    return flavour


def _opencv_report() -> None:
    import cv2

    info = cv2.getBuildInformation()
    section = info[info.find("Video I/O:"):].splitlines()[1:]
    io = []
    for row in section:
        if not row.strip():
            break
        if row.startswith("    ") and not row.startswith("     "):  # top-level entries only
            name, _, value = row.strip().partition(":")
            io.append(f"{name} {value.strip().split(' ')[0]}")
    cams = sorted({cv2.videoio_registry.getBackendName(b) for b in cv2.videoio_registry.getCameraBackends()})
    _line("OpenCV", f"{cv2.__version__}; video I/O: {', '.join(io)}; camera backends: {', '.join(cams)}")


def _camera_report(count: int) -> None:
    import cv2

    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)  # a missing index is not news
    found = []
    try:
        for index in range(count):
            cap = cv2.VideoCapture(index)
            ok, frame = cap.read() if cap.isOpened() else (False, None)
            if ok:
                found.append(f"{index} ({frame.shape[1]}x{frame.shape[0]}, {cap.getBackendName()})")
            cap.release()
    finally:
        cv2.utils.logging.setLogLevel(level)
    _line("cameras", ", ".join(found) if found else f"none of indices 0-{count - 1} delivered a frame")


def engine_check(model: Path, gpu_present: bool) -> bool:
    """Build an FP32 engine from `model` in a temporary folder; with a GPU, run it beside ONNX
    Runtime on the same random batch of two. True when nothing disagrees."""
    from livehand.backends.onnxruntime import OnnxRuntimeBackend
    from livehand.engine.build import BuildOptions, build_engine

    with tempfile.TemporaryDirectory() as tmp:
        result = build_engine(model, BuildOptions(engines_dir=Path(tmp)), progress=None)
        _line("engine build", f"{model.name} -> {result.precision} engine, {result.engine.stat().st_size / 1e6:.1f} MB "
                              f"in {result.seconds:.1f} s")
        if not gpu_present:
            _line("engine run", "skipped: running an engine needs an NVIDIA GPU")
            return True
        from livehand.backends.tensorrt import TensorRTBackend

        trt_backend = TensorRTBackend(result.engine)
        ort_backend = OnnxRuntimeBackend(model)
        size = ort_backend.meta.input_size
        batch = np.random.default_rng(0).uniform(-1, 1, (2, 3, size, size)).astype(np.float32)
        got, ref = trt_backend.infer(batch), ort_backend.infer(batch)
        diffs = {name: float(np.abs(got[name] - ref[name]).max()) for name in ref}
        trt_backend.close()
    worst = max(diffs.values())
    _line("engine run", f"{trt_backend.name}: max |TensorRT - ONNX Runtime| "
                        + ", ".join(f"{k} {v:.1e}" for k, v in diffs.items()) + (" ok" if worst < 1e-2 else " TOO LARGE"))
    return worst < 1e-2


@app.command()
def doctor(
    model: Annotated[Optional[Path], typer.Option(
        "--model", help="ONNX model for the engine check (default: the shipped landmark model)")] = None,
    cameras: Annotated[int, typer.Option("--cameras", min=0, max=16, help="camera indices to try")] = 4,
) -> None:
    """Print what this machine has (GPU, driver, CUDA, TensorRT, ONNX Runtime, OpenCV, cameras);
    with TensorRT present, build a small engine and, with a GPU, check it against ONNX Runtime."""
    import onnxruntime as ort

    from livehand import __version__
    from livehand.models import DEFAULT_LANDMARKS

    _line("livehand", f"{__version__}, Python {platform.python_version()}, {platform.platform()}")
    gpu = _gpu_report()
    _cuda_bindings_report()
    flavour = _trt_report()
    _line("ONNX Runtime", f"{ort.__version__}; providers: {', '.join(ort.get_available_providers())}")
    _opencv_report()
    if cameras:
        _camera_report(cameras)
    model = model or DEFAULT_LANDMARKS
    if flavour is None:
        return
    if not model.is_file():
        _line("engine check", f"skipped: no model at {model} (pass --model X.onnx)")
        return
    try:
        ok = engine_check(model, gpu is not None)
    except LivehandError as exc:
        _line("engine check", f"FAILED: {exc}")
        ok = False
    if not ok:
        sys.exit(1)
