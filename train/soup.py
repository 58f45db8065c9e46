"""Average checkpoints of one lineage weight by weight ("model soup"): no runtime cost.

    python -m train.soup OUT.pt A.pt B.pt ...        # training checkpoints: float tensors averaged
    python -m train.soup OUT.onnx A.onnx B.onnx ...  # exported models: float initializers averaged

The inputs must share one architecture (the same tensor names and shapes); the last one gives
everything else (configs, metadata, graph). Integer tensors (BN's step counter) must agree or
are taken from the last. Results on the shipped lineages: docs/model.md, "Weight averaging".
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def average_arrays(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Same-named arrays -> their mean where floating point (in float64, cast back), else the last's."""
    names = set(parts[-1])
    for p in parts:
        if set(p) != names:
            raise ValueError(f"tensor names differ: {sorted(names ^ set(p))[:5]}")
        for k in names:
            if p[k].shape != parts[-1][k].shape:
                raise ValueError(f"{k}: shape {p[k].shape} against {parts[-1][k].shape}")
    out = {}
    for k in names:
        last = parts[-1][k]
        if np.issubdtype(last.dtype, np.floating):
            out[k] = np.mean([p[k].astype(np.float64) for p in parts], axis=0).astype(last.dtype)
        else:
            out[k] = last
    return out


def soup_checkpoints(paths: list[Path], out: Path) -> None:
    import torch

    cks = [torch.load(p, map_location="cpu", weights_only=False) for p in paths]
    avg = average_arrays([{k: v.numpy() for k, v in c["state_dict"].items()} for c in cks])
    ck = dict(cks[-1])
    ck["state_dict"] = {k: torch.from_numpy(np.ascontiguousarray(avg[k])) for k in cks[-1]["state_dict"]}
    ck["soup_of"] = [str(p) for p in paths]
    torch.save(ck, out)


def soup_onnx(paths: list[Path], out: Path) -> None:
    import onnx
    from onnx import numpy_helper

    models = [onnx.load(str(p)) for p in paths]
    avg = average_arrays([{i.name: numpy_helper.to_array(i) for i in m.graph.initializer} for m in models])
    base = models[-1]
    for init in base.graph.initializer:
        init.CopyFrom(numpy_helper.from_array(avg[init.name], init.name))
    onnx.save(base, str(out))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", type=Path)
    p.add_argument("inputs", type=Path, nargs="+")
    args = p.parse_args(argv)
    suffixes = {x.suffix for x in [args.out, *args.inputs]}
    if len(args.inputs) < 2 or len(suffixes) != 1 or suffixes - {".pt", ".onnx"}:
        raise SystemExit("give OUT and two or more inputs, all .pt or all .onnx")
    (soup_onnx if args.out.suffix == ".onnx" else soup_checkpoints)(args.inputs, args.out)
    print(f"wrote {args.out} (mean of {len(args.inputs)})")


if __name__ == "__main__":
    main()
