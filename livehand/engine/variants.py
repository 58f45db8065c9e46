"""Reduced-precision variants of an exported ONNX model, for strongly typed TensorRT.

TensorRT 11 and TensorRT-RTX take every tensor's precision from the ONNX graph, so `--fp16`
needs an FP16 graph and `--int8` a graph with Q/DQ nodes. Both are made from the ONNX file here,
with onnx and onnxruntime only: build-engine runs on a user's GPU machine, which has the [trt]
extra but not torch or the training checkpoint.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from livehand.errors import LivehandError
from livehand.metadata import ModelMeta
from livehand.preprocess import normalize

# Inputs that ONNX requires in float32 whatever the data type: (op type, input index).
_FLOAT32_INPUTS = {("Resize", 1), ("Resize", 2), ("Upsample", 1)}
_FP16_MAX = 65504.0
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


def _onnx():
    try:
        import onnx
    except ImportError:
        raise LivehandError("reduced-precision engines need the onnx package: pip install 'livehand[trt]'") from None
    return onnx


def to_fp16(model_bytes: bytes) -> bytes:
    """FP32 ONNX -> the same graph computing in FP16, with FP32 inputs and outputs kept (a Cast at
    each end), so the runtime and the sidecar's I/O contract do not change."""
    onnx = _onnx()
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load_from_string(model_bytes)
    graph = model.graph
    keep32 = {node.input[i] for node in graph.node for op, i in _FLOAT32_INPUTS
              if node.op_type == op and len(node.input) > i and node.input[i]}
    # Scales reached through Identity nodes must stay FP32 too.
    for node in reversed(graph.node):
        if node.op_type == "Identity" and node.output[0] in keep32:
            keep32.add(node.input[0])

    def half(t: "onnx.TensorProto") -> "onnx.TensorProto":
        arr = np.clip(numpy_helper.to_array(t), -_FP16_MAX, _FP16_MAX).astype(np.float16)
        return numpy_helper.from_array(arr, t.name)

    for i, init in enumerate(graph.initializer):
        if init.data_type == TensorProto.FLOAT and init.name not in keep32:
            graph.initializer[i].CopyFrom(half(init))
    for node in graph.node:
        if node.output and node.output[0] in keep32:
            continue
        for attr in node.attribute:
            if node.op_type in ("Constant", "ConstantOfShape") and attr.name == "value" \
                    and attr.t.data_type == TensorProto.FLOAT:
                attr.t.CopyFrom(half(attr.t))
            elif node.op_type == "Cast" and attr.name == "to" and attr.i == TensorProto.FLOAT:
                attr.i = TensorProto.FLOAT16

    casts_in, casts_out = [], []
    for inp in graph.input:
        if inp.type.tensor_type.elem_type == TensorProto.FLOAT:
            half_name = f"{inp.name}__fp16"
            for node in graph.node:
                node.input[:] = [half_name if n == inp.name else n for n in node.input]
            casts_in.append(helper.make_node("Cast", [inp.name], [half_name], to=TensorProto.FLOAT16))
    for out in graph.output:
        if out.type.tensor_type.elem_type == TensorProto.FLOAT:
            half_name = f"{out.name}__fp16"
            for node in graph.node:
                node.output[:] = [half_name if n == out.name else n for n in node.output]
            casts_out.append(helper.make_node("Cast", [half_name], [out.name], to=TensorProto.FLOAT))
    nodes = casts_in + list(graph.node) + casts_out
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.value_info[:]  # stale FP32 annotations; shape inference redoes them
    try:
        onnx.checker.check_model(model)
        onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    except Exception as exc:  # onnx raises several types; the message is what matters
        raise LivehandError(f"could not convert the model to FP16: {str(exc).strip().splitlines()[0]}") from None
    return model.SerializeToString()


def has_qdq(model_bytes: bytes) -> bool:
    """True when the graph already carries INT8 quantisation (QuantizeLinear/DequantizeLinear)."""
    model = _onnx().load_from_string(model_bytes)
    return any(n.op_type in ("QuantizeLinear", "DequantizeLinear") for n in model.graph.node)


def fit_square(image: np.ndarray, size: int) -> np.ndarray:
    """Letterbox an image into size x size (a square crop is just resized)."""
    h, w = image.shape[:2]
    scale = size / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    out = np.zeros((size, size, 3), np.uint8)
    top, left = (size - nh) // 2, (size - nw) // 2
    out[top:top + nh, left:left + nw] = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA)
    return out


def calibration_images(folder: Path, limit: int) -> list[Path]:
    if not folder.is_dir():
        raise LivehandError(f"calibration folder not found: {folder}")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise LivehandError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in calibration folder {folder}")
    # Spread the pick over the whole folder: neighbouring files are often frames of one clip.
    return [files[i] for i in np.linspace(0, len(files) - 1, min(limit, len(files))).round().astype(int)]


class CropCalibrationReader:
    """onnxruntime.quantization data reader: hand crops (or frames, for the detector) from a
    folder, preprocessed exactly as the runtime does, one batch per call."""

    def __init__(self, folder: Path, meta: ModelMeta, input_name: str, limit: int = 256, batch: int = 8):
        self.files = calibration_images(folder, limit)
        self.meta, self.input_name, self.batch = meta, input_name, batch
        self._batches = self._iter()

    def _iter(self) -> Iterator[dict[str, np.ndarray]]:
        for start in range(0, len(self.files), self.batch):
            images = [cv2.imread(str(p), cv2.IMREAD_COLOR) for p in self.files[start:start + self.batch]]
            crops = [fit_square(im, self.meta.input_size) for im in images if im is not None]
            if crops:
                yield {self.input_name: normalize(np.stack(crops), self.meta.mean, self.meta.std)}

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._batches, None)

    def rewind(self) -> None:
        self._batches = self._iter()


def to_int8_qdq(onnx_path: Path, out: Path, meta: ModelMeta, calib_dir: Path, limit: int = 256) -> Path:
    """Static INT8 quantisation in the Q/DQ format TensorRT reads: symmetric INT8 activations and
    per-channel INT8 weights (TensorRT needs zero points of 0), FP32 biases (TensorRT rejects
    INT32 ones), ranges calibrated on real crops. The livehand metadata is carried over."""
    _onnx()
    import logging
    import tempfile

    import onnxruntime as ort
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    input_name = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"]).get_inputs()[0].name
    reader = CropCalibrationReader(calib_dir, meta, input_name, limit)
    out.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # onnxruntime.quantization advises on the root logger at WARNING
    try:
        with tempfile.TemporaryDirectory() as tmp:
            # Folds the exporter's Identity-of-initializer nodes: a weight or bias reached through
            # one is not seen as a constant and would stay unquantised.
            prepared = Path(tmp) / "prepared.onnx"
            quant_pre_process(str(onnx_path), str(prepared), skip_symbolic_shape=True)
            quantize_static(str(prepared), str(out), reader, quant_format=QuantFormat.QDQ, per_channel=True,
                            activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
                            calibrate_method=CalibrationMethod.MinMax,
                            extra_options={"ActivationSymmetric": True, "WeightSymmetric": True,
                                           "QuantizeBias": False})
    finally:
        root.setLevel(level)
    return out
