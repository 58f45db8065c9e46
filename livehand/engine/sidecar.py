"""The JSON sidecar next to every engine: the model's metadata and how the engine was built.

An engine file alone says nothing a user can read; the sidecar lets `livehand run` preprocess
correctly (ModelMeta, copied from the ONNX) and refuse, in one line, an engine that cannot run
here (another TensorRT, another GPU) before TensorRT is ever asked to load it.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from livehand.engine.trt import TrtFlavour
from livehand.errors import LivehandError
from livehand.gpu import GpuInfo
from livehand.metadata import ModelMeta

SIDECAR_FORMAT = 1
# Compute capabilities a TensorRT-RTX engine built without a GPU runs on (its default targets:
# Ampere, Ada, Blackwell RTX). Not Turing (needs a dedicated build) and not Hopper.
RTX_PORTABLE_CCS = ((8, 0), (8, 6), (8, 7), (8, 9), (12, 0), (12, 1))
RTX_CCS = ((7, 5), *RTX_PORTABLE_CCS)  # every GPU TensorRT-RTX runs on (Turing with its own build)
PORTABLE_TAG = "portable-sm80+"
_REQUIRED = (("tensorrt", "module"), ("tensorrt", "version"), ("tensorrt", "label"), ("batch", "max"),
             ("target", "compute_capability"))


def sidecar_path(engine: Path) -> Path:
    """'x.engine' -> 'x.engine.json' (the full name, so x.engine and x.plan never share one)."""
    return engine.with_name(engine.name + ".json")


def engine_file_name(model: str, precision: str, flavour: TrtFlavour, target_tag: str,
                     batch: tuple[int, int, int]) -> str:
    """'hand_landmarks_fp16_trt-rtx-1.7.1_portable-sm80+_b1-8.engine': every fact that decides
    whether an engine can run, and how, is in its name."""
    stem = re.sub(r"[^A-Za-z0-9.+-]+", "_", model).strip("_") or "model"
    return f"{stem}_{precision}_{flavour.file_tag}_{target_tag}_b{batch[0]}-{batch[2]}.engine"


def target_for(gpu: GpuInfo | None) -> dict:
    """The GPU an engine is built for: this machine's, or (RTX without a GPU) the portable set."""
    if gpu is None:
        return {"tag": PORTABLE_TAG, "gpu": None, "compute_capability": None,
                "portable_ccs": [f"{a}.{b}" for a, b in RTX_PORTABLE_CCS]}
    cc = gpu.compute_capability
    return {"tag": f"{gpu.slug}-{gpu.sm}", "gpu": gpu.name, "compute_capability": f"{cc[0]}.{cc[1]}"}


@dataclass(frozen=True)
class EngineInfo:
    """A parsed sidecar: meta for preprocessing, build for compatibility and reports."""

    path: Path
    meta: ModelMeta
    build: dict

    @property
    def trt_module(self) -> str:
        return self.build["tensorrt"]["module"]

    @property
    def max_batch(self) -> int:
        return int(self.build["batch"]["max"])

    def rebuild_hint(self) -> str:
        return f"rebuild with: livehand build-engine {self.build.get('onnx', 'MODEL.onnx')}"


def write_sidecar(engine: Path, meta: ModelMeta, build: dict) -> Path:
    path = sidecar_path(engine)
    doc = {"livehand_engine": SIDECAR_FORMAT, "engine": engine.name, "meta": json.loads(meta.to_json()),
           "build": build}
    path.write_text(json.dumps(doc, indent=2) + "\n")
    return path


def read_sidecar(engine: Path) -> EngineInfo:
    path = sidecar_path(engine)
    if not path.is_file():
        raise LivehandError(f"{engine}: its sidecar {path.name} is missing, so the model's preprocessing "
                            "is unknown; rebuild with livehand build-engine MODEL.onnx")
    try:
        doc = json.loads(path.read_text())
        build = doc["build"]
        missing = [f"{s}.{k}" for s, k in _REQUIRED if k not in build.get(s, {})]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise LivehandError(f"{path}: not a livehand engine sidecar ({type(exc).__name__}: {exc})") from None
    if missing:
        raise LivehandError(f"{path}: not a livehand engine sidecar (no {', '.join(missing)})")
    meta = ModelMeta.from_json(json.dumps(doc.get("meta")), source=str(path))
    return EngineInfo(engine, meta, build)


def version_problem(info: EngineInfo, flavour: TrtFlavour) -> str | None:
    """Why this TensorRT cannot load the engine (engines are tied to the exact version), or None."""
    trt = info.build["tensorrt"]
    if trt["module"] != flavour.module_name or trt["version"] != flavour.version:
        return f"it was built with {trt['label']}, this machine has {flavour.label}"
    return None


def gpu_problem(info: EngineInfo, gpu: GpuInfo) -> str | None:
    """Why the engine cannot run on this GPU, or None when it can."""
    cc = info.build["target"]["compute_capability"]
    here = f"{gpu.compute_capability[0]}.{gpu.compute_capability[1]}"
    if cc is None and gpu.compute_capability not in RTX_PORTABLE_CCS:
        return (f"it was built for the portable TensorRT-RTX targets (compute capability "
                f"{', '.join(info.build['target']['portable_ccs'])}), this GPU is {gpu.name} ({here})")
    if cc is not None and cc != here:
        return f"it was built for {info.build['target']['gpu']} ({cc}), this GPU is {gpu.name} ({here})"
    return None
