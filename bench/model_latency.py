"""CPU latency of landmark-model variants (input size x width) under ONNX Runtime.

Exports each variant with random weights (latency does not depend on the weights) and times
batches of 1 and 2 crops, interleaving variants round by round so machine noise hits all alike.

    python bench/model_latency.py --sizes 128 160 192 --widths 0.5 1.0 --json bench/results/model_latency.json
    python bench/model_latency.py --models lm.onnx lm_fp16.onnx lm_int8.onnx --json bench/results/model_latency_variants.json
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from livehand.backends.onnxruntime import OnnxRuntimeBackend
from livehand.metadata import ModelMeta
from train.export import export
from train.model import HeatmapNet, NetConfig


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[128, 160, 192])
    p.add_argument("--widths", type=float, nargs="+", default=[0.5, 1.0])
    p.add_argument("--models", type=Path, nargs="+",
                   help="time these ONNX files (e.g. FP32/FP16/INT8 exports) instead of random-weight variants")
    p.add_argument("--rounds", type=int, default=30)
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    variants = {}  # name -> (backend, input size, row fields)
    with tempfile.TemporaryDirectory() as tmp:
        for path in args.models or []:
            backend = OnnxRuntimeBackend(path)
            variants[path.name] = (backend, backend.meta.input_size,
                                   {"model": path.name, "onnx_MB": round(path.stat().st_size / 1e6, 2)})
        for size in [] if args.models else args.sizes:
            for width in args.widths:
                net = HeatmapNet(NetConfig(width=width)).eval()
                path = Path(tmp) / f"{size}_{width}.onnx"
                export(net, ModelMeta(kind="landmarks", input_size=size, stride=4), path)
                params = sum(q.numel() for q in net.parameters())
                variants[f"{size}px width {width:4.2f}"] = (OnnxRuntimeBackend(path), size, {
                    "input": size, "width": width, "params_M": round(params / 1e6, 3),
                    "onnx_MB": round(path.stat().st_size / 1e6, 2)})
        times: dict = {(k, b): [] for k in variants for b in (1, 2)}
        for _ in range(args.rounds):
            for name, (backend, size, _) in variants.items():
                for b in (1, 2):
                    x = np.random.default_rng(0).standard_normal((b, 3, size, size)).astype(np.float32)
                    t = time.perf_counter()
                    backend.infer(x)
                    times[(name, b)].append(time.perf_counter() - t)
    rows = []
    for name, (_, _, fields) in variants.items():
        b1, b2 = (np.median(times[(name, b)][3:]) * 1000 for b in (1, 2))
        rows.append({**fields, "ms_batch1": round(b1, 2), "ms_batch2": round(b2, 2)})
        print(f"{name}: {fields['onnx_MB']:5.2f} MB, {b1:6.2f} ms (1 crop), {b2:6.2f} ms (2 crops)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"threads": torch.get_num_threads(), "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
