"""Checkpoint -> ONNX with livehand metadata, checked against PyTorch with ONNX Runtime."""
from __future__ import annotations

import io
import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import onnx
import torch

from livehand.errors import LivehandError
from livehand.metadata import METADATA_KEY, ModelMeta
from train.model import ExportWrapper, HeatmapNet, NetConfig


def load_checkpoint(path: str | Path) -> tuple[HeatmapNet, ModelMeta, dict]:
    """A training checkpoint -> (net in eval mode, its ModelMeta, the raw checkpoint dict).
    A file that is not one (an ONNX model, a truncated download) raises LivehandError naming it."""
    try:
        ckpt = torch.load(str(path), map_location="cpu", weights_only=False)
    except Exception as exc:  # torch raises pickle, zip and value errors by what the bytes are
        raise LivehandError(f"not a livehand training checkpoint (.pt): {path} ({type(exc).__name__})") from None
    if not isinstance(ckpt, dict) or not {"net_config", "meta", "state_dict"} <= ckpt.keys():
        raise LivehandError(f"not a livehand training checkpoint (.pt): {path} (no net_config/meta/state_dict)")
    cfg = NetConfig(**{**ckpt["net_config"], "decoder_channels": tuple(ckpt["net_config"]["decoder_channels"])})
    net = HeatmapNet(cfg)
    net.load_state_dict(ckpt["state_dict"])
    net.eval()
    meta = ModelMeta.from_json(json.dumps(ckpt["meta"]), source=str(path))
    return net, meta, ckpt


def save_checkpoint(path: str | Path, net: HeatmapNet, meta: ModelMeta, **extra) -> None:
    torch.save({"net_config": asdict(net.cfg), "meta": asdict(meta), "state_dict": net.state_dict(), **extra},
               str(path))


def to_onnx_bytes(net: HeatmapNet, input_size: int, opset: int = 17) -> bytes:
    """Trace the export wrapper with a dynamic batch axis."""
    wrapper = ExportWrapper(net).eval()
    dummy = torch.zeros(1, 3, input_size, input_size)
    buf = io.BytesIO()
    names = wrapper.output_names
    torch.onnx.export(wrapper, (dummy,), buf, input_names=["input"], output_names=names,
                      dynamic_axes={"input": {0: "batch"}, **{n: {0: "batch"} for n in names}},
                      opset_version=opset, dynamo=False)
    return buf.getvalue()


def attach_metadata(model: onnx.ModelProto, meta: ModelMeta) -> onnx.ModelProto:
    del model.metadata_props[:]
    prop = model.metadata_props.add()
    prop.key, prop.value = METADATA_KEY, meta.to_json()
    return model


def export(net: HeatmapNet, meta: ModelMeta, out: str | Path) -> float:
    """Write the ONNX model and return the max abs difference ONNX Runtime vs PyTorch."""
    model = onnx.load_from_string(to_onnx_bytes(net, meta.input_size))
    onnx.checker.check_model(model)
    attach_metadata(model, meta)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(out))
    return parity(net, out, meta.input_size)


def parity(net: HeatmapNet, onnx_path: str | Path, input_size: int, batch: int = 2, seed: int = 0) -> float:
    """Max abs difference over all outputs between ONNX Runtime and PyTorch on random input."""
    from livehand.backends.onnxruntime import OnnxRuntimeBackend

    x = np.random.default_rng(seed).standard_normal((batch, 3, input_size, input_size)).astype(np.float32)
    with torch.no_grad():
        ref = ExportWrapper(net.eval())(torch.from_numpy(x))
    got = OnnxRuntimeBackend(Path(onnx_path)).infer(x)
    return max(float(np.abs(r.numpy() - g).max()) for r, g in zip(ref, got.values()))
