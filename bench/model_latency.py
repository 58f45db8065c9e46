"""CPU latency of landmark-model variants (input size x width) under ONNX Runtime.

Exports each variant with random weights (latency does not depend on the weights) and times
batches of 1 and 2 crops, interleaving variants round by round so machine noise hits all alike.

    python bench/model_latency.py --sizes 128 160 192 --widths 0.5 1.0 --json bench/results/model_latency.json
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
    p.add_argument("--rounds", type=int, default=30)
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    variants = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            for width in args.widths:
                net = HeatmapNet(NetConfig(width=width)).eval()
                path = Path(tmp) / f"{size}_{width}.onnx"
                export(net, ModelMeta(kind="landmarks", input_size=size, stride=4), path)
                params = sum(q.numel() for q in net.parameters())
                variants[(size, width)] = (OnnxRuntimeBackend(path), params, path.stat().st_size)
        times: dict = {(k, b): [] for k in variants for b in (1, 2)}
        for _ in range(args.rounds):
            for (size, width), (backend, _, _) in variants.items():
                for b in (1, 2):
                    x = np.random.default_rng(0).standard_normal((b, 3, size, size)).astype(np.float32)
                    t = time.perf_counter()
                    backend.infer(x)
                    times[((size, width), b)].append(time.perf_counter() - t)
    rows = []
    for (size, width), (_, params, nbytes) in variants.items():
        b1, b2 = (np.median(times[((size, width), b)][3:]) * 1000 for b in (1, 2))
        rows.append({"input": size, "width": width, "params_M": round(params / 1e6, 3),
                     "onnx_MB": round(nbytes / 1e6, 2), "ms_batch1": round(b1, 2), "ms_batch2": round(b2, 2)})
        print(f"{size:4d}px width {width:4.2f}: {params / 1e6:5.2f} M params, {nbytes / 1e6:5.2f} MB, "
              f"{b1:6.2f} ms (1 crop), {b2:6.2f} ms (2 crops)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"threads": torch.get_num_threads(), "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
