"""build-engine on CPU: TensorRT for RTX builds engines without a GPU, so CI builds real ones."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from livehand.engine.trt import load_trt
from livehand.errors import LivehandError

try:
    FLAVOUR = load_trt()
except LivehandError as exc:  # the dev extra installs tensorrt-rtx; without it there is nothing to test
    pytest.skip(f"no TensorRT: {exc}", allow_module_level=True)


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """The real entry point in a child process: exit codes, and a crash cannot take pytest down."""
    code = "import sys; from livehand.cli import main; sys.argv[0] = 'livehand'; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def sidecar_of(engine: Path) -> dict:
    return json.loads(engine.with_name(engine.name + ".json").read_text())


@pytest.fixture(scope="module")
def built(random_landmark_model, tmp_path_factory) -> dict[str, Path]:
    """FP32 and FP16 engines of the small landmark model, built once through the CLI."""
    out = tmp_path_factory.mktemp("engines")
    engines = {}
    for precision in ("fp32", "fp16"):
        flags = ["--fp16"] if precision == "fp16" else []
        r = cli("build-engine", str(random_landmark_model), "--engines-dir", str(out), "--max-batch", "3", *flags)
        assert r.returncode == 0, r.stderr
        engines[precision] = Path(r.stdout.split()[1])
        assert FLAVOUR.label in r.stdout  # says which TensorRT built it
    return engines


@pytest.mark.parametrize("precision", ["fp32", "fp16"])
def test_engine_name_says_model_precision_trt_target_batch(built, precision):
    engine = built[precision]
    assert engine.is_file() and engine.stat().st_size > 100_000
    target = sidecar_of(engine)["build"]["target"]
    # Built without a GPU (CI), RTX targets its portable set; with one, this GPU ('rtx4090-sm89').
    assert target["tag"] == ("portable-sm80+" if target["gpu"] is None else target["tag"])
    assert target["gpu"] is not None or FLAVOUR.is_rtx
    assert engine.name == f"landmarks_{precision}_{FLAVOUR.file_tag}_{target['tag']}_b1-3.engine"


@pytest.mark.parametrize("precision", ["fp32", "fp16"])
def test_sidecar_carries_model_meta_and_build(built, random_landmark_model, precision):
    from livehand.backends.onnxruntime import OnnxRuntimeBackend
    from livehand.engine.sidecar import read_sidecar

    doc = sidecar_of(built[precision])
    info = read_sidecar(built[precision])
    assert info.meta == OnnxRuntimeBackend(random_landmark_model).meta  # copied from the ONNX, exactly
    build = doc["build"]
    assert build["precision"] == precision
    assert build["tensorrt"] == {"module": FLAVOUR.module_name, "version": FLAVOUR.version, "label": FLAVOUR.label}
    assert build["batch"] == {"min": 1, "opt": 3, "max": 3}
    assert build["onnx"] == str(random_landmark_model.resolve())
    assert len(build["onnx_sha256"]) == 64 and build["engine_bytes"] == built[precision].stat().st_size
    io = build["io"]
    assert io["inputs"] == [{"name": "input", "shape": [-1, 3, 128, 128], "dtype": "float"}]
    # FP16 engines keep FP32 inputs and outputs: the runtime code path is the same.
    assert [(o["name"], o["shape"], o["dtype"]) for o in io["outputs"]] == [
        ("heatmaps", [-1, 21, 32, 32], "float"), ("presence", [-1], "float"), ("handedness", [-1], "float")]


def test_fp16_engine_is_smaller_than_fp32(built):
    assert built["fp16"].stat().st_size < 0.9 * built["fp32"].stat().st_size


def test_timing_cache_across_builds(random_landmark_model, tmp_path):
    cache = tmp_path / "timing.cache"
    args = ("build-engine", str(random_landmark_model), "--engines-dir", str(tmp_path), "--timing-cache", str(cache))
    first, second = cli(*args), cli(*args, "--out", str(tmp_path / "again.engine"))
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    status = sidecar_of(tmp_path / "again.engine")["build"]["timing_cache"]
    if FLAVOUR.is_rtx:  # RTX has no build-time timing cache: it must say so, not pretend
        assert status["used"] is False and not cache.exists()
        assert "--timing-cache ignored" in second.stdout
    else:
        assert status["read_bytes"] > 0 and status["read_bytes"] == sidecar_of(
            next(tmp_path.glob("landmarks_*.engine")))["build"]["timing_cache"]["written_bytes"]


def test_timing_cache_file_round_trip(tmp_path):
    """The load/save pair full TensorRT uses, on this TensorRT's real builder config."""
    import warnings

    from livehand.engine.build import attach_timing_cache, save_timing_cache
    from livehand.engine.trt import make_logger

    trt = FLAVOUR.module
    path = tmp_path / "sub" / "t.cache"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TensorRT-RTX deprecates the API
        config = trt.Builder(make_logger(trt)).create_builder_config()
        status = attach_timing_cache(config, path)
        assert status["read_bytes"] == 0
        save_timing_cache(config, status)
        assert path.stat().st_size == status["written_bytes"] > 0
        config2 = trt.Builder(make_logger(trt)).create_builder_config()
        assert attach_timing_cache(config2, path)["read_bytes"] == status["written_bytes"]


def one_line_error(r: subprocess.CompletedProcess) -> str:
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("livehand: error: "), r.stderr
    return lines[0]


def test_missing_file(tmp_path):
    assert "model file not found" in one_line_error(cli("build-engine", str(tmp_path / "nope.onnx")))


def test_not_an_onnx_file(tmp_path):
    bad = tmp_path / "notes.onnx"
    bad.write_text("this is not a model\n")
    assert "is not an ONNX model" in one_line_error(cli("build-engine", str(bad)))


def test_parser_rejection_carries_the_parsers_reason(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    from livehand.metadata import METADATA_KEY, ModelMeta

    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3, 8, 8])
    y = helper.make_tensor_value_info("out", TensorProto.FLOAT, None)
    node = helper.make_node("Mystery", ["input"], ["out"], domain="com.example")
    model = helper.make_model(helper.make_graph([node], "g", [x], [y]),
                              opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)])
    prop = model.metadata_props.add()
    prop.key, prop.value = METADATA_KEY, ModelMeta(kind="landmarks", input_size=8, stride=4).to_json()
    onnx.save(model, tmp_path / "odd.onnx")
    line = one_line_error(cli("build-engine", str(tmp_path / "odd.onnx"), "--engines-dir", str(tmp_path)))
    assert "ONNX parser rejected" in line and "Mystery" in line  # the parser's own words
    assert not list(tmp_path.glob("*.engine"))


def test_int8_without_qdq_or_crops_is_explained(random_landmark_model, tmp_path):
    line = one_line_error(cli("build-engine", str(random_landmark_model), "--int8", "--engines-dir", str(tmp_path)))
    assert "--calib" in line


def test_engine_without_gpu_is_one_clear_line(built):
    """CUDA_VISIBLE_DEVICES hides any GPU, so this checks the probe even on a GPU machine: without
    it, TensorRT would be asked to deserialise and the process would die."""
    code = ("import sys\nfrom livehand.errors import LivehandError\nfrom livehand.backends.base import load_backend\n"
            "try:\n    load_backend(sys.argv[1])\nexcept LivehandError as e:\n"
            "    print(f'livehand: error: {e}', file=sys.stderr); sys.exit(2)")
    r = subprocess.run([sys.executable, "-c", code, str(built["fp32"])], capture_output=True, text=True,
                       timeout=120, env={**os.environ, "CUDA_VISIBLE_DEVICES": ""})
    line = one_line_error(r)
    assert "needs an NVIDIA GPU" in line and built["fp32"].name in line


def test_engine_from_another_tensorrt_says_rebuild(built, tmp_path):
    from livehand.backends.tensorrt import TensorRTBackend

    engine = tmp_path / built["fp32"].name
    engine.write_bytes(built["fp32"].read_bytes())
    doc = sidecar_of(built["fp32"])
    doc["build"]["tensorrt"].update(version="0.9.0", label="TensorRT 0.9.0")
    engine.with_name(engine.name + ".json").write_text(json.dumps(doc))
    with pytest.raises(LivehandError, match="built with TensorRT 0.9.0, this machine has .*rebuild with: "
                                            "livehand build-engine .*landmarks.onnx"):
        TensorRTBackend(engine)


def test_engine_without_sidecar_is_refused(built, tmp_path):
    from livehand.backends.tensorrt import TensorRTBackend

    engine = tmp_path / "lonely.engine"
    engine.write_bytes(built["fp32"].read_bytes())
    with pytest.raises(LivehandError, match="sidecar lonely.engine.json is missing"):
        TensorRTBackend(engine)


@pytest.mark.parametrize("fixture", ["random_landmark_model", "random_detector_model"])
def test_fp16_variant_matches_fp32_in_onnxruntime(fixture, request):
    """The FP16 graph that strongly typed TensorRT builds from computes the same model."""
    import onnx
    import onnxruntime as ort

    from livehand.engine.variants import to_fp16

    path = request.getfixturevalue(fixture)
    half = to_fp16(path.read_bytes())
    graph = onnx.load_from_string(half).graph
    dtypes = {i.data_type for i in graph.initializer}
    assert onnx.TensorProto.FLOAT16 in dtypes and onnx.TensorProto.FLOAT not in dtypes
    assert all(t.type.tensor_type.elem_type == onnx.TensorProto.FLOAT for t in [*graph.input, *graph.output])
    size = 128 if "landmark" in fixture else 192
    x = np.random.default_rng(0).uniform(-1, 1, (2, 3, size, size)).astype(np.float32)
    ref = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"input": x})
    got = ort.InferenceSession(half, providers=["CPUExecutionProvider"]).run(None, {"input": x})
    for r, g in zip(ref, got):
        assert g.dtype == np.float32 and g.shape == r.shape
        assert np.abs(g - r).max() <= 2e-3 * max(1.0, np.abs(r).max())


def test_int8_from_calibration_crops(random_landmark_model, tmp_path):
    """--int8 --calib: a Q/DQ model calibrated on crops (generated here; the lead supplies real
    ones), kept beside the engine, and an INT8 engine built from it."""
    import cv2
    import onnxruntime as ort

    from livehand.engine.variants import has_qdq

    crops = tmp_path / "crops"
    crops.mkdir()
    rng = np.random.default_rng(0)
    for i in range(5):  # odd sizes and a non-square one: the reader letterboxes to the input size
        cv2.imwrite(str(crops / f"crop{i}.png"), rng.integers(0, 255, (120 + 7 * i, 128, 3), dtype=np.uint8))
    (crops / "readme.txt").write_text("not an image")
    r = cli("build-engine", str(random_landmark_model), "--int8", "--calib", str(crops), "--engines-dir", str(tmp_path))
    assert r.returncode == 0, r.stderr
    engine = Path(r.stdout.split()[1])
    assert "_int8_" in engine.name and sidecar_of(engine)["build"]["precision"] == "int8"
    qdq = tmp_path / "landmarks.int8-qdq.onnx"
    assert has_qdq(qdq.read_bytes()) and not has_qdq(random_landmark_model.read_bytes())
    session = ort.InferenceSession(str(qdq), providers=["CPUExecutionProvider"])
    assert "livehand" in session.get_modelmeta().custom_metadata_map
    heatmaps = session.run(None, {"input": np.zeros((2, 3, 128, 128), np.float32)})[0]
    assert heatmaps.shape == (2, 21, 32, 32)


def test_calibration_reader_preprocesses_like_the_runtime(tmp_path):
    import cv2

    from livehand.engine.variants import CropCalibrationReader
    from livehand.metadata import ModelMeta

    img = np.full((64, 64, 3), (0, 128, 255), np.uint8)  # BGR
    for i in range(3):
        cv2.imwrite(str(tmp_path / f"{i}.png"), img)
    meta = ModelMeta(kind="landmarks", input_size=32, stride=4)
    reader = CropCalibrationReader(tmp_path, meta, "input", batch=2)
    batches = [reader.get_next(), reader.get_next(), reader.get_next()]
    assert [b["input"].shape for b in batches[:2]] == [(2, 3, 32, 32), (1, 3, 32, 32)] and batches[2] is None
    rgb = batches[0]["input"][0, :, 0, 0]
    assert np.allclose(rgb, [(255 - 127.5) / 127.5, (128 - 127.5) / 127.5, -1.0])  # RGB order, normalised
    reader.rewind()
    assert reader.get_next()["input"].shape == (2, 3, 32, 32)
