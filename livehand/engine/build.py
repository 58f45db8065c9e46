"""ONNX -> TensorRT engine + sidecar, with full TensorRT 10.x/11.x or TensorRT for RTX.

Precision: TensorRT 10 takes --fp16/--int8 as builder flags; TensorRT 11 and RTX are strongly
typed, so --fp16 builds from an FP16 copy of the graph and --int8 from a Q/DQ graph (the one
given, or one calibrated here on a folder of hand crops).
"""
from __future__ import annotations

import hashlib
import platform
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TextIO

from livehand.engine import variants
from livehand.engine.progress import make_progress_monitor
from livehand.engine.sidecar import RTX_CCS, engine_file_name, target_for, write_sidecar
from livehand.engine.trt import TrtFlavour, load_trt, make_logger
from livehand.errors import LivehandError
from livehand.gpu import probe_gpu
from livehand.metadata import METADATA_KEY, ModelMeta

DEFAULT_ENGINE_DIR = Path("engines")
RTX_TIMING_CACHE_NOTE = ("TensorRT-RTX has no build-time timing cache (using one would make the build "
                         "need a GPU); its kernels are compiled on the GPU at first run and kept in "
                         "the runtime cache next to the engine")


@dataclass
class BuildOptions:
    fp16: bool = False
    int8: bool = False
    max_batch: int = 8
    out: Path | None = None
    engines_dir: Path = DEFAULT_ENGINE_DIR
    workspace_mb: int | None = None
    timing_cache: Path | None = None  # None: a per-TensorRT, per-GPU file in engines_dir
    calib_dir: Path | None = None  # hand crops for INT8 calibration of an FP32 model
    calib_limit: int = 256


@dataclass
class BuildResult:
    engine: Path
    sidecar: Path
    seconds: float
    flavour: TrtFlavour
    precision: str
    batch: tuple[int, int, int]  # min, opt, max
    target: dict
    timing_cache: dict
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def read_onnx(path: Path) -> tuple[bytes, ModelMeta]:
    """The model's bytes and its livehand metadata; a missing or non-ONNX file is a LivehandError."""
    if not path.is_file():
        raise LivehandError(f"model file not found: {path}")
    try:
        import onnx
        from google.protobuf.message import DecodeError
    except ImportError:
        raise LivehandError("build-engine needs the onnx package: pip install 'livehand[trt]'") from None
    data = path.read_bytes()
    try:
        model = onnx.load_from_string(data)
    except (DecodeError, ValueError, RuntimeError) as exc:
        raise LivehandError(f"{path} is not an ONNX model ({str(exc).strip() or type(exc).__name__})") from None
    if not model.graph.node:
        raise LivehandError(f"{path} is not an ONNX model (it has no graph)")
    props = {p.key: p.value for p in model.metadata_props}
    if METADATA_KEY not in props:
        raise LivehandError(f"{path}: ONNX model has no livehand metadata (export it with livehand export)")
    return data, ModelMeta.from_json(props[METADATA_KEY], source=str(path))


def _plan_precision(flavour: TrtFlavour, opts: BuildOptions, data: bytes, onnx_path: Path,
                    meta: ModelMeta) -> tuple[bytes, str, list, list[str]]:
    """(model bytes to parse, precision label, builder flags, notes on how precision was set)."""
    trt = flavour.module
    quantised = variants.has_qdq(data)
    int8 = opts.int8 or quantised
    if int8 and not quantised:
        if opts.calib_dir is None:
            raise LivehandError("--int8 needs a Q/DQ-quantised ONNX or --calib DIR with hand crops to "
                                "calibrate this FP32 model on")
        qdq = (opts.out.parent if opts.out else opts.engines_dir) / f"{onnx_path.stem}.int8-qdq.onnx"
        variants.to_int8_qdq(onnx_path, qdq, meta, opts.calib_dir, opts.calib_limit)
        data = qdq.read_bytes()
        notes = [f"INT8: calibrated on {opts.calib_dir} (static Q/DQ, onnxruntime) -> {qdq.name}"]
    else:
        notes = ["INT8: from the Q/DQ nodes in the ONNX"] if int8 else []
    if flavour.strongly_typed:
        if int8 and opts.fp16:
            given = "--int8" if opts.int8 else "a Q/DQ (INT8) model"
            raise LivehandError(f"{flavour.label} takes precision from the ONNX only: {given} cannot be "
                                "combined with --fp16")
        if opts.fp16:
            data = variants.to_fp16(data)
            notes.append("FP16: graph converted to FP16 with FP32 inputs/outputs (strongly typed build)")
        return data, "int8" if int8 else "fp16" if opts.fp16 else "fp32", [], notes
    flags = ([trt.BuilderFlag.INT8] if int8 else []) + ([trt.BuilderFlag.FP16] if opts.fp16 else [])
    if opts.fp16:
        notes.append("FP16: builder flag (TensorRT picks FP16 or FP32 per layer)")
    precision = "int8-fp16" if int8 and opts.fp16 else "int8" if int8 else "fp16" if opts.fp16 else "fp32"
    return data, precision, flags, notes


def _parse(trt, builder, logger, data: bytes, onnx_path: Path):
    network = builder.create_network(0)  # explicit batch is the only mode in TensorRT 10+
    parser = trt.OnnxParser(network, logger)
    if not parser.parse(data, str(onnx_path)):
        errors = [" ".join(str(parser.get_error(i)).split()) for i in range(parser.num_errors)]
        reason = "; ".join(errors) or logger.last_error("no reason given")
        raise LivehandError(f"{onnx_path}: TensorRT's ONNX parser rejected the model: {reason[:500]}")
    return network, parser


def _profile(builder, network, max_batch: int) -> tuple[object, tuple[int, int, int]]:
    """Batch 1..max_batch, tuned for 4 (two hands, each also mirrored by the flip test); an input
    with a fixed batch keeps it."""
    profile = builder.create_optimization_profile()
    batch = (1, min(4, max_batch), max_batch)
    for i in range(network.num_inputs):
        tensor = network.get_input(i)
        shape = tuple(tensor.shape)
        if any(d < 0 for d in shape[1:]):
            raise LivehandError(f"input {tensor.name} has dynamic dimensions {shape} besides the batch; "
                                "export the model with a fixed input size")
        if shape[0] >= 0:
            batch = (shape[0],) * 3
        profile.set_shape(tensor.name, *[(n, *shape[1:]) for n in batch])
    return profile, batch


def attach_timing_cache(config, path: Path) -> dict:
    """Load the cache file (if any) into the builder config; one from another GPU or TensorRT
    version is dropped. Returns the status that goes into the sidecar."""
    data = path.read_bytes() if path.is_file() else b""
    status = {"path": str(path), "read_bytes": len(data)}
    if not config.set_timing_cache(config.create_timing_cache(data), False):
        config.set_timing_cache(config.create_timing_cache(b""), False)
        status.update(read_bytes=0, note="the existing cache did not match this GPU/TensorRT; started afresh")
    return status


def save_timing_cache(config, status: dict) -> None:
    """Write the config's cache (old entries plus this build's) back for the next build."""
    blob = bytes(config.get_timing_cache().serialize())
    path = Path(status["path"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(blob)
    status["written_bytes"] = len(blob)


def _io(network) -> dict:
    def desc(t) -> dict:
        return {"name": t.name, "shape": list(t.shape), "dtype": str(t.dtype).rsplit(".", 1)[-1].lower()}

    return {"inputs": [desc(network.get_input(i)) for i in range(network.num_inputs)],
            "outputs": [desc(network.get_output(i)) for i in range(network.num_outputs)]}


def build_engine(onnx_path: Path, opts: BuildOptions, progress: TextIO | None = sys.stderr) -> BuildResult:
    """Build, write the engine and its sidecar, and say how. progress=None builds silently."""
    data, meta = read_onnx(onnx_path)
    if not 1 <= opts.max_batch <= 64:
        raise LivehandError(f"--max-batch must be 1..64, not {opts.max_batch}")
    flavour = load_trt()
    trt = flavour.module
    gpu, why = probe_gpu()
    if gpu is None and not flavour.is_rtx:
        raise LivehandError(f"{flavour.label} builds engines on the GPU they will run on, and {why}; "
                            "TensorRT for RTX (pip install tensorrt-rtx) can build without one")
    if flavour.is_rtx and gpu is not None and gpu.compute_capability not in RTX_CCS:
        raise LivehandError(f"{flavour.label} does not run on {gpu.name} (compute capability "
                            f"{gpu.compute_capability[0]}.{gpu.compute_capability[1]}; it supports RTX-class "
                            "GPUs: 7.5, 8.x, 12.x); install NVIDIA's full TensorRT for this GPU")
    target = target_for(gpu)
    logger = make_logger(trt)
    builder = trt.Builder(logger)
    config = builder.create_builder_config()

    parse_data, precision, flags, notes = _plan_precision(flavour, opts, data, onnx_path, meta)
    network, _parser = _parse(trt, builder, logger, parse_data, onnx_path)  # the parser must outlive the build
    profile, batch = _profile(builder, network, opts.max_batch)
    config.add_optimization_profile(profile)
    for flag in flags:
        config.set_flag(flag)
    if opts.workspace_mb:
        config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, opts.workspace_mb << 20)
    if flavour.is_rtx and gpu is not None:
        config.num_compute_capabilities = 1  # this machine's GPU only: its fastest kernels
        config.set_compute_capability(trt.ComputeCapability.CURRENT, 0)
    if flavour.is_rtx:
        cache_status = {"used": False, "note": RTX_TIMING_CACHE_NOTE}
        if opts.timing_cache is not None:
            notes.append(f"--timing-cache ignored: {RTX_TIMING_CACHE_NOTE}")
    else:
        cache_path = opts.timing_cache or opts.engines_dir / f"timing_{flavour.file_tag}_{target['tag']}.cache"
        cache_status = attach_timing_cache(config, cache_path)
    if progress is not None and hasattr(trt, "IProgressMonitor"):
        config.progress_monitor = make_progress_monitor(trt, progress)

    engine = opts.out or opts.engines_dir / engine_file_name(onnx_path.stem, precision, flavour, target["tag"], batch)
    engine.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    plan = builder.build_serialized_network(network, config)
    seconds = time.perf_counter() - start
    if plan is None:
        raise LivehandError(f"{flavour.label} could not build an engine from {onnx_path}: "
                            f"{' '.join(logger.last_error('no reason given').split())[:500]}")
    engine.write_bytes(memoryview(plan))
    if not flavour.is_rtx:
        save_timing_cache(config, cache_status)
    build = {
        "onnx": str(onnx_path.resolve()), "onnx_sha256": hashlib.sha256(data).hexdigest(),
        "precision": precision, "precision_notes": notes,
        "tensorrt": {"module": flavour.module_name, "version": flavour.version, "label": flavour.label},
        "target": target, "batch": {"min": batch[0], "opt": batch[1], "max": batch[2]},
        "workspace_mb": opts.workspace_mb, "timing_cache": cache_status, "io": _io(network),
        "build_seconds": round(seconds, 3), "engine_bytes": engine.stat().st_size,
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "host": platform.node(),
    }
    sidecar = write_sidecar(engine, meta, build)
    return BuildResult(engine, sidecar, seconds, flavour, precision, batch, target, cache_status, notes,
                       sorted(set(logger.warnings)))

