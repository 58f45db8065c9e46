"""TensorRT engines on a real NVIDIA GPU against ONNX Runtime on the same crops, and latency.

Skipped without a GPU, TensorRT or CUDA Python bindings (CI runs `pytest -m "not gpu"`).
Run on a GPU machine with `pytest -m gpu -s` to see the figures."""
from __future__ import annotations

import time

import numpy as np
import pytest

from livehand.errors import LivehandError
from livehand.gpu import probe_gpu


def _why_skip() -> str | None:
    import importlib.util

    from livehand.engine.sidecar import RTX_CCS
    from livehand.engine.trt import load_trt

    gpu, why = probe_gpu()
    if gpu is None:
        return why
    try:
        flavour = load_trt()
    except LivehandError as exc:
        return str(exc)
    if flavour.is_rtx and gpu.compute_capability not in RTX_CCS:
        return f"{flavour.label} does not run on {gpu.name} ({gpu.sm})"
    if not any(importlib.util.find_spec(m) for m in ("cuda", "pycuda")):
        return "no CUDA Python bindings (cuda-python or pycuda)"
    return None


SKIP = _why_skip()
pytestmark = [pytest.mark.gpu, pytest.mark.skipif(SKIP is not None, reason=str(SKIP))]

# FP32 engines should match ONNX Runtime to float noise; FP16 to a few thousandths of the peak.
HEATMAP_TOL = {"fp32": 1e-3, "fp16": 2e-2}
KEYPOINT_TOL_PX = {"fp32": 0.05, "fp16": 0.5}  # input pixels, on peaks that are well defined


@pytest.fixture(scope="module")
def engines(random_landmark_model, tmp_path_factory) -> dict:
    from livehand.engine.build import BuildOptions, build_engine

    folder = tmp_path_factory.mktemp("gpu_engines")
    return {p: build_engine(random_landmark_model, BuildOptions(fp16=p == "fp16", engines_dir=folder),
                            progress=None).engine for p in ("fp32", "fp16")}


def _crops(n: int, size: int) -> np.ndarray:
    """Smooth, image-like crops (blurred noise), normalised as the runtime does."""
    import cv2

    from livehand.preprocess import normalize

    rng = np.random.default_rng(7)
    imgs = [cv2.GaussianBlur(rng.integers(0, 255, (size, size, 3), dtype=np.uint8), (0, 0), 3) for _ in range(n)]
    return normalize(np.stack(imgs), (127.5,) * 3, (127.5,) * 3)


@pytest.mark.parametrize("precision", ["fp32", "fp16"])
def test_engine_matches_onnxruntime(engines, random_landmark_model, precision):
    from livehand.backends.onnxruntime import OnnxRuntimeBackend
    from livehand.backends.tensorrt import TensorRTBackend
    from livehand.decode import decode_heatmaps, heatmap_to_input

    trt_backend = TensorRTBackend(engines[precision])
    ort_backend = OnnxRuntimeBackend(random_landmark_model)
    crops = _crops(5, 128)  # 5 > max batch 4: also exercises chunking
    got, ref = trt_backend.infer(crops), ort_backend.infer(crops)
    assert got.keys() == ref.keys()
    heat_diff = float(np.abs(got["heatmaps"] - ref["heatmaps"]).max())
    peak = float(np.abs(ref["heatmaps"]).max())
    kp_got = heatmap_to_input(decode_heatmaps(got["heatmaps"])[0], 4)
    kp_ref = heatmap_to_input(decode_heatmaps(ref["heatmaps"])[0], 4)
    kp_diff = np.linalg.norm(kp_got - kp_ref, axis=-1)
    print(f"\n{trt_backend.name}: max |heatmap diff| {heat_diff:.2e} (peak {peak:.2f}), keypoint diff "
          f"median {np.median(kp_diff):.3f} px, max {kp_diff.max():.3f} px, presence diff "
          f"{np.abs(got['presence'] - ref['presence']).max():.2e}")
    trt_backend.close()
    assert heat_diff <= HEATMAP_TOL[precision] * max(1.0, peak)
    # Random weights give flat heatmaps where argmax can flip; the median is the stable figure.
    assert np.median(kp_diff) <= KEYPOINT_TOL_PX[precision]


@pytest.mark.parametrize("precision", ["fp32", "fp16"])
def test_latency_batch_1_and_2(engines, precision):
    from livehand.backends.tensorrt import TensorRTBackend

    backend = TensorRTBackend(engines[precision])
    report = {}
    for batch in (1, 2):
        x = _crops(batch, 128)
        for _ in range(20):
            backend.infer(x)
        times = []
        for _ in range(200):
            start = time.perf_counter()
            backend.infer(x)
            times.append(time.perf_counter() - start)
        report[batch] = (np.median(times) * 1e3, np.percentile(times, 95) * 1e3)
    print(f"\n{backend.name}: " + ", ".join(f"batch {b}: p50 {p50:.3f} ms, p95 {p95:.3f} ms"
                                            for b, (p50, p95) in report.items()))
    backend.close()
    assert all(p50 < 50 for p50, _ in report.values())  # a GPU engine this small is far below a frame
