"""Run the shipped detector at another input size without retraining (it is fully convolutional).

Writes a copy of the detector ONNX whose input is S x S and whose box sizes are rescaled by
trained_size / S (the network predicts sizes as a share of the input it was trained on: a hand of
w input px comes out as w / trained_size). Used to ask whether a finer view of the frame finds
more small hands (docs/model.md, "The detector at a larger input"):

    python bench/detector_input_size.py --size 256 --out /tmp/hand_detector_256.onnx
    python bench/detector_sweep.py --frames data/frames --margin-sets 0 0,0.25 --detector /tmp/hand_detector_256.onnx
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper

from livehand.models import DEFAULT_DETECTOR


def _meta(model: onnx.ModelProto) -> onnx.StringStringEntryProto:
    return next(p for p in model.metadata_props if p.key == "livehand")


def with_input_size(model: onnx.ModelProto, size: int) -> onnx.ModelProto:
    """The model (changed in place) declared for an S x S input and S / stride maps, nothing else."""
    stride = json.loads(_meta(model).value)["stride"]
    dims = model.graph.input[0].type.tensor_type.shape.dim
    dims[2].dim_value = dims[3].dim_value = size
    for out in model.graph.output:
        d = out.type.tensor_type.shape.dim
        d[2].dim_value = d[3].dim_value = size // stride
    del model.graph.value_info[:]
    return model


def resized(model: onnx.ModelProto, size: int) -> onnx.ModelProto:
    """The model (changed in place) at an S x S input, its box sizes rescaled to that input and
    its metadata saying so."""
    meta = _meta(model)
    info = json.loads(meta.value)
    with_input_size(model, size)
    for node in model.graph.node:
        node.output[:] = ["sizes_at_trained_scale" if o == "sizes" else o for o in node.output]
    model.graph.initializer.append(numpy_helper.from_array(np.array(info["input_size"] / size, np.float32), "size_rescale"))
    model.graph.node.append(helper.make_node("Mul", ["sizes_at_trained_scale", "size_rescale"], ["sizes"]))
    meta.value = json.dumps({**info, "input_size": size})
    onnx.checker.check_model(model)
    return model


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--detector", type=Path, default=DEFAULT_DETECTOR)
    p.add_argument("--size", type=int, required=True)
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args()
    onnx.save(resized(onnx.load(str(args.detector)), args.size), str(args.out))
    print(f"wrote {args.out} ({args.size} x {args.size})")


if __name__ == "__main__":
    main()
