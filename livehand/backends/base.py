"""The one small interface every runtime implements, and the loader that picks one.

A backend owns a compiled model and its metadata; `infer` takes a normalised float32 batch
[B, 3, S, S] and returns the model's named outputs as numpy arrays with batch size B.
"""
from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from livehand.errors import LivehandError
from livehand.metadata import ModelMeta

BACKEND_CHOICES = ("auto", "onnxruntime", "tensorrt")
ENGINE_SUFFIXES = (".engine", ".plan", ".trt")


class Backend(Protocol):
    meta: ModelMeta
    name: str  # e.g. "onnxruntime 1.20 (CPUExecutionProvider)"

    def infer(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        """float32[B, 3, S, S] -> {output name: array with leading dim B}."""
        ...


def load_backend(model: str | Path, backend: str = "auto") -> Backend:
    """Open `model` with the runtime named by `backend`, or by its file suffix when 'auto'."""
    path = Path(model)
    if backend not in BACKEND_CHOICES:
        raise LivehandError(f"unknown backend {backend!r}; choose one of {', '.join(BACKEND_CHOICES)}")
    if not path.is_file():
        raise LivehandError(f"model file not found: {path}")
    if backend == "auto":
        backend = "tensorrt" if path.suffix.lower() in ENGINE_SUFFIXES else "onnxruntime"
    if backend == "tensorrt":
        from livehand.backends.tensorrt import TensorRTBackend

        return TensorRTBackend(path)
    from livehand.backends.onnxruntime import OnnxRuntimeBackend

    return OnnxRuntimeBackend(path)
