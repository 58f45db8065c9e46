"""ONNX Runtime backend (the CPU path), tuned for a live pipeline that shares the machine."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnxruntime as ort

from livehand.errors import LivehandError
from livehand.metadata import METADATA_KEY, ModelMeta


class OnnxRuntimeBackend:
    def __init__(self, path: Path, threads: int | None = None):
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.intra_op_num_threads = threads or os.cpu_count() or 1
        opts.inter_op_num_threads = 1
        # Spinning threads would steal the core the capture and drawing threads need.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises several types for a bad file
            reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            raise LivehandError(f"{path}: not a valid ONNX model ({reason[:200]})") from None
        custom = self.session.get_modelmeta().custom_metadata_map
        if METADATA_KEY not in custom:
            raise LivehandError(f"{path}: ONNX model has no livehand metadata (export it with livehand export)")
        self.meta = ModelMeta.from_json(custom[METADATA_KEY], source=str(path))
        self.input_name = self.session.get_inputs()[0].name
        self.output_names = [o.name for o in self.session.get_outputs()]
        self.name = f"onnxruntime {ort.__version__} (CPU, {opts.intra_op_num_threads} threads)"

    def infer(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        outputs = self.session.run(self.output_names, {self.input_name: batch})
        return dict(zip(self.output_names, outputs))
