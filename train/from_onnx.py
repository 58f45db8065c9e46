"""An exported ONNX model -> PyTorch weights, so training can go on from a model whose checkpoint is gone.

The exporter folds every BatchNorm into the convolution before it (W' = W*g/s, b' = beta - g*m/s).
Unfolding is not unique; the one chosen here is exact in eval mode and close in train mode:
conv.weight = W', and the BatchNorm takes the mean m_c and variance v_c of that convolution's
output on real training batches as running statistics, with g = sqrt(v_c + eps) and
beta = b' + m_c. In eval mode the BatchNorm is then x + b' exactly; in train mode batch statistics
near (m_c, v_c) keep it near that, so fine-tuning starts from the exported model's function.
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import onnx
import torch
from onnx import numpy_helper
from torch import nn

from train.errors import TrainInputError
from train.model import HeatmapNet


def _conv_bn_pairs(net: HeatmapNet) -> list[tuple[nn.Conv2d, nn.BatchNorm2d]]:
    """(conv, batchnorm) of every conv_bn block, in forward order (= registration order here)."""
    return [(m[0], m[1]) for m in net.modules()
            if isinstance(m, nn.Sequential) and len(m) >= 2
            and isinstance(m[0], nn.Conv2d) and isinstance(m[1], nn.BatchNorm2d)]


def load_onnx_weights(net: HeatmapNet, onnx_path: str | Path) -> None:
    """Copy the folded weights into net: BatchNorms become (running 0/1, g 1, beta b'): exact in eval mode."""
    model = onnx.load(str(onnx_path))
    inits = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in model.graph.initializer}
    state = net.state_dict()
    named = {k: v for k, v in inits.items() if k.startswith("net.") and k[4:] in state}
    folded = [n for n in model.graph.node if n.op_type == "Conv" and not n.input[1].startswith("net.")]
    pairs = _conv_bn_pairs(net)
    if len(folded) != len(pairs):
        raise TrainInputError(f"{onnx_path}: {len(folded)} folded convolutions, the network has {len(pairs)}")
    with torch.no_grad():
        for node, (conv, bn) in zip(folded, pairs):
            w, b = inits[node.input[1]], inits[node.input[2]]
            if w.shape != conv.weight.shape:
                raise TrainInputError(f"{onnx_path}: {node.output[0]} has weight {tuple(w.shape)}, "
                                 f"the network expects {tuple(conv.weight.shape)}")
            conv.weight.copy_(w)
            bn.running_mean.zero_()
            bn.running_var.fill_(1.0 - bn.eps)
            bn.weight.fill_(1.0)
            bn.bias.copy_(b)
        for k, v in named.items():
            if state[k[4:]].shape != v.shape:
                raise TrainInputError(f"{onnx_path}: {k} has shape {tuple(v.shape)}, expected {tuple(state[k[4:]].shape)}")
            state[k[4:]].copy_(v)
    missing = {k for k in state if not k.endswith(("running_mean", "running_var", "num_batches_tracked"))
               and not any(k.startswith(p) for p in ("encoder.", "decoder."))} - {k[4:] for k in named}
    if missing:
        raise TrainInputError(f"{onnx_path}: no weights for {sorted(missing)}")


@torch.no_grad()
def calibrate_batchnorms(net: HeatmapNet, batches: Iterable[torch.Tensor]) -> int:
    """Move each BatchNorm's statistics onto the real activations, keeping the eval-mode function.

    Only right after `load_onnx_weights` (each BatchNorm the identity plus b'). batches: float
    tensors (N, 3, S, S), normalised as in training. Returns images seen."""
    pairs = _conv_bn_pairs(net)
    sums = [torch.zeros(bn.num_features, dtype=torch.float64) for _, bn in pairs]
    sq = [torch.zeros_like(s) for s in sums]
    counts = [0] * len(pairs)

    def hook(i):
        def record(_module, inputs):
            x = inputs[0].double()
            sums[i].add_(x.sum(dim=(0, 2, 3)))
            sq[i].add_((x * x).sum(dim=(0, 2, 3)))
            counts[i] += x.shape[0] * x.shape[2] * x.shape[3]
        return record

    was_training = net.training
    net.eval()
    handles = [bn.register_forward_pre_hook(hook(i)) for i, (_, bn) in enumerate(pairs)]
    images = 0
    try:
        for x in batches:
            net(x)
            images += x.shape[0]
    finally:
        for h in handles:
            h.remove()
    if not images:
        raise TrainInputError("no calibration batches")
    for i, (_, bn) in enumerate(pairs):
        mean = sums[i] / counts[i]
        var = (sq[i] / counts[i] - mean * mean).clamp(min=0)
        bn.bias.add_(mean.float())        # beta = b' + m
        bn.weight.copy_(torch.sqrt(var + bn.eps).float())
        bn.running_mean.copy_(mean.float())
        bn.running_var.copy_(var.float())
    net.train(was_training)
    return images


def net_from_onnx(net: HeatmapNet, onnx_path: str | Path, batches: Iterable[torch.Tensor]) -> tuple[int, float]:
    """Load and calibrate; returns (calibration images, max abs difference to ONNX Runtime, as
    `train.export.parity` measures it)."""
    from train.export import parity

    load_onnx_weights(net, onnx_path)
    batches = list(batches)
    seen = calibrate_batchnorms(net, batches)
    return seen, parity(net, onnx_path, input_size=batches[0].shape[-1])
