"""resolve_model (--backend auto|tensorrt [--build-engine]) and doctor, on CPU.

The GPU probe is the one boundary replaced here: a described GPU (RTX 4090, H100) or none. The
engines are real ones that TensorRT-RTX built on this machine."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from livehand.engine.trt import load_trt
from livehand.errors import LivehandError
from livehand.gpu import GpuInfo

try:
    FLAVOUR = load_trt()
except LivehandError as exc:
    pytest.skip(f"no TensorRT: {exc}", allow_module_level=True)
if not FLAVOUR.is_rtx:
    pytest.skip("these engines are built without a GPU, which only TensorRT-RTX does", allow_module_level=True)

RTX4090 = GpuInfo(0, "NVIDIA GeForce RTX 4090", (8, 9), 24564, (13, 0))
H100 = GpuInfo(0, "NVIDIA H100 80GB HBM3", (9, 0), 81559, (13, 0))


@pytest.fixture(scope="module")
def engines(random_landmark_model, tmp_path_factory) -> tuple[Path, dict[str, Path]]:
    from livehand.engine.build import BuildOptions, build_engine

    folder = tmp_path_factory.mktemp("engines")
    built = {p: build_engine(random_landmark_model, BuildOptions(fp16=p == "fp16", engines_dir=folder),
                             progress=None).engine for p in ("fp32", "fp16")}
    return folder, built


@pytest.fixture
def gpu(monkeypatch):
    """Set the GPU resolve_model sees: gpu(RTX4090), gpu(None)."""
    def use(info: GpuInfo | None) -> None:
        monkeypatch.setattr("livehand.engine.resolve.probe_gpu", lambda: (info, "" if info else "no GPU here"))
    return use


def test_prefers_the_fp16_engine_built_from_this_onnx(engines, random_landmark_model, gpu):
    from livehand.engine.resolve import resolve_model

    folder, built = engines
    gpu(RTX4090)
    assert resolve_model(random_landmark_model, "auto", engines_dir=folder) == built["fp16"]
    assert resolve_model(random_landmark_model, "tensorrt", engines_dir=folder) == built["fp16"]
    assert resolve_model(random_landmark_model, "onnxruntime", engines_dir=folder) == random_landmark_model
    assert resolve_model(built["fp32"], "auto", engines_dir=folder) == built["fp32"]  # an engine is itself


def test_engine_of_another_onnx_or_gpu_is_not_used(engines, random_landmark_model, random_detector_model, gpu,
                                                  tmp_path):
    from livehand.engine.resolve import resolve_model

    folder, _ = engines
    notes: list[str] = []
    gpu(RTX4090)
    assert resolve_model(random_detector_model, "auto", engines_dir=folder, notify=notes.append) == random_detector_model
    assert "no engine for detector.onnx" in notes[0] and "livehand build-engine" in notes[0]
    with pytest.raises(LivehandError, match="no TensorRT engine for detector.onnx on NVIDIA GeForce RTX 4090"):
        resolve_model(random_detector_model, "tensorrt", engines_dir=folder)
    # Same file name, other bytes: the SHA-256 in the sidecar tells them apart.
    other = tmp_path / random_landmark_model.name
    shutil.copy(random_detector_model, other)
    assert resolve_model(other, "auto", engines_dir=folder, notify=notes.append) == other
    gpu(H100)  # portable RTX engines do not run on Hopper
    assert resolve_model(random_landmark_model, "auto", engines_dir=folder, notify=notes.append) == random_landmark_model


def test_without_a_gpu(engines, random_landmark_model, gpu):
    from livehand.engine.resolve import resolve_model

    folder, _ = engines
    gpu(None)
    assert resolve_model(random_landmark_model, "auto", engines_dir=folder) == random_landmark_model
    for kwargs in ({"backend": "tensorrt"}, {"backend": "auto", "build": True}):
        with pytest.raises(LivehandError, match="TensorRT needs an NVIDIA GPU: no GPU here"):
            resolve_model(random_landmark_model, engines_dir=folder, **kwargs)


def test_build_on_request(random_detector_model, gpu, tmp_path):
    from livehand.engine.resolve import resolve_model
    from livehand.engine.sidecar import read_sidecar

    gpu(RTX4090)
    notes: list[str] = []
    engine = resolve_model(random_detector_model, "auto", build=True, engines_dir=tmp_path, notify=notes.append)
    assert engine.parent == tmp_path and read_sidecar(engine).build["precision"] == "fp16"
    assert read_sidecar(engine).meta.kind == "detector"
    assert "building a TensorRT engine for detector.onnx" in notes[0]
    assert resolve_model(random_detector_model, "auto", build=True, engines_dir=tmp_path) == engine  # once


def test_doctor_reports_and_builds(random_landmark_model, capsys, monkeypatch):
    import sys

    from livehand.cli import main

    monkeypatch.setattr(sys, "argv", ["livehand", "doctor", "--model", str(random_landmark_model), "--cameras", "1"])
    main()  # returns: a failed check would exit non-zero
    out = capsys.readouterr().out
    for label in ("GPU:", "TensorRT:", "ONNX Runtime:", "OpenCV:", "cameras:", "engine build:"):
        assert label in out
    assert FLAVOUR.label in out and "landmarks.onnx -> fp32 engine" in out
