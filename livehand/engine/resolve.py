"""`--backend auto|tensorrt` for an ONNX model: use a TensorRT engine built from exactly this ONNX
for this GPU when one exists in the engine folder, build one on request, else ONNX Runtime."""
from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable
from pathlib import Path

from livehand.backends.base import BACKEND_CHOICES, ENGINE_SUFFIXES
from livehand.engine.build import DEFAULT_ENGINE_DIR, BuildOptions, build_engine
from livehand.engine.sidecar import EngineInfo, gpu_problem, read_sidecar, version_problem
from livehand.engine.trt import TrtFlavour, load_trt
from livehand.errors import LivehandError
from livehand.gpu import GpuInfo, probe_gpu

# Preferred first: FP16 is the GPU's sweet spot; INT8 only when it is all there is.
_PRECISION_RANK = {"fp16": 0, "fp32": 1, "int8-fp16": 2, "int8": 3}


def _stderr(message: str) -> None:
    print(f"livehand: {message}", file=sys.stderr)


def find_engine(onnx_path: Path, flavour: TrtFlavour, gpu: GpuInfo,
                engines_dir: Path = DEFAULT_ENGINE_DIR) -> Path | None:
    """The best engine in engines_dir whose sidecar says it was built from this very ONNX (same
    SHA-256) and can run with this TensorRT on this GPU; None when there is none."""
    digest = hashlib.sha256(onnx_path.read_bytes()).hexdigest()
    found: list[EngineInfo] = []
    for sidecar in engines_dir.glob("*.json") if engines_dir.is_dir() else ():
        engine = sidecar.with_name(sidecar.name.removesuffix(".json"))
        if engine.suffix.lower() not in ENGINE_SUFFIXES or not engine.is_file():
            continue
        try:
            info = read_sidecar(engine)
        except LivehandError:
            continue  # a foreign or damaged sidecar is simply not a candidate
        if (info.build.get("onnx_sha256") == digest and version_problem(info, flavour) is None
                and gpu_problem(info, gpu) is None):
            found.append(info)
    found.sort(key=lambda i: (_PRECISION_RANK.get(i.build.get("precision"), 9),
                              i.build["target"]["compute_capability"] is None,  # this-GPU builds first
                              -i.path.stat().st_mtime))
    return found[0].path if found else None


def resolve_model(onnx_path: Path, backend: str = "auto", build: bool = False,
                  engines_dir: Path = DEFAULT_ENGINE_DIR,
                  notify: Callable[[str], None] = _stderr) -> Path:
    """The model file to load for `--model onnx_path --backend backend [--build-engine]`.

    onnxruntime, or a path that already is an engine: returned as given. auto: an engine for
    this GPU if one exists (or is built, with build=True), else the ONNX. tensorrt: an engine or
    a LivehandError saying why there is none. Never loads TensorRT without a usable GPU."""
    path = Path(onnx_path)
    if backend not in BACKEND_CHOICES:
        raise LivehandError(f"unknown backend {backend!r}; choose one of {', '.join(BACKEND_CHOICES)}")
    if backend == "onnxruntime" or path.suffix.lower() in ENGINE_SUFFIXES or not path.is_file():
        return path  # the loader reports a missing file with its own message
    required = backend == "tensorrt" or build
    gpu, why = probe_gpu()
    if gpu is None:
        if required:
            raise LivehandError(f"TensorRT needs an NVIDIA GPU: {why}; use --backend onnxruntime")
        return path
    try:
        flavour = load_trt()
    except LivehandError:
        if required:
            raise
        return path
    engine = find_engine(path, flavour, gpu, engines_dir)
    if engine is not None:
        return engine
    if build:
        notify(f"building a TensorRT engine for {path.name} on {gpu.name} (once; kept in {engines_dir}/)")
        return build_engine(path, BuildOptions(fp16=True, engines_dir=engines_dir)).engine
    hint = f"build one with: livehand build-engine {path} (or add --build-engine)"
    if backend == "tensorrt":
        raise LivehandError(f"no TensorRT engine for {path.name} on {gpu.name} in {engines_dir}/; {hint}")
    notify(f"{gpu.name} and {flavour.label} are here but no engine for {path.name}: using ONNX Runtime; {hint}")
    return path
