"""train.soup: checkpoints and ONNX models averaged weight by weight."""
from __future__ import annotations

import numpy as np
import pytest

from train.soup import average_arrays, main


def test_floats_are_averaged_and_integers_come_from_the_last():
    a = {"w": np.array([1.0, 2.0], np.float32), "steps": np.array(3)}
    b = {"w": np.array([3.0, 6.0], np.float32), "steps": np.array(7)}
    out = average_arrays([a, b])
    assert out["w"].dtype == np.float32 and np.array_equal(out["w"], [2.0, 4.0])
    assert out["steps"] == 7


def test_different_architectures_are_refused():
    with pytest.raises(ValueError, match="names differ"):
        average_arrays([{"w": np.zeros(2)}, {"v": np.zeros(2)}])
    with pytest.raises(ValueError, match="shape"):
        average_arrays([{"w": np.zeros(2)}, {"w": np.zeros(3)}])


def test_mixed_suffixes_are_refused(tmp_path):
    with pytest.raises(SystemExit, match="all .pt or all .onnx"):
        main([str(tmp_path / "out.onnx"), str(tmp_path / "a.pt"), str(tmp_path / "b.pt")])


def test_onnx_soup_of_two_models_is_the_model_with_mean_weights(tmp_path):
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    from onnx import TensorProto, helper, numpy_helper

    def model(w: np.ndarray, path):
        graph = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "g",
                                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])],
                                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])],
                                  [numpy_helper.from_array(w.astype(np.float32), "w")])
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))

    rng = np.random.default_rng(0)
    wa, wb = rng.normal(size=(2, 2)), rng.normal(size=(2, 2))
    model(wa, tmp_path / "a.onnx")
    model(wb, tmp_path / "b.onnx")
    main([str(tmp_path / "soup.onnx"), str(tmp_path / "a.onnx"), str(tmp_path / "b.onnx")])
    x = rng.normal(size=(1, 2)).astype(np.float32)
    y = ort.InferenceSession(str(tmp_path / "soup.onnx")).run(None, {"x": x})[0]
    np.testing.assert_allclose(y, x @ ((wa + wb) / 2), rtol=1e-5, atol=1e-6)


def test_checkpoint_soup_keeps_the_last_config(tmp_path):
    torch = pytest.importorskip("torch")
    for name, v in (("a", 1.0), ("b", 3.0)):
        torch.save({"state_dict": {"w": torch.full((2,), v)}, "net_config": name}, tmp_path / f"{name}.pt")
    main([str(tmp_path / "s.pt"), str(tmp_path / "a.pt"), str(tmp_path / "b.pt")])
    ck = torch.load(tmp_path / "s.pt", weights_only=False)
    assert ck["net_config"] == "b" and torch.equal(ck["state_dict"]["w"], torch.full((2,), 2.0))
