"""Model pieces: shapes, gradients, targets, masked loss, ONNX export parity."""
import numpy as np
import torch

from livehand.metadata import ModelMeta
from train.export import export
from train.model import HeatmapNet, NetConfig
from train.targets import gaussian_heatmaps, heatmap_loss, masked_bce


def test_landmark_forward_backward_shapes_and_finite():
    net = HeatmapNet(NetConfig(width=0.35))
    x = torch.randn(2, 3, 96, 96)
    out = net(x)
    assert out["heatmaps"].shape == (2, 21, 24, 24)
    assert out["presence_logit"].shape == (2,) and out["handedness_logit"].shape == (2,)
    loss = sum(v.pow(2).mean() for v in out.values())
    loss.backward()
    grads = [p.grad for p in net.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)


def test_detector_and_other_keypoint_counts():
    det = HeatmapNet(NetConfig(kind="detector", width=0.35, out_stride=4))
    out = det(torch.randn(1, 3, 64, 64))
    assert out["center_logits"].shape == (1, 1, 16, 16) and out["sizes"].shape == (1, 2, 16, 16)
    face = HeatmapNet(NetConfig(num_keypoints=5, width=0.35, out_stride=2))
    assert face(torch.randn(1, 3, 64, 64))["heatmaps"].shape == (1, 5, 32, 32)


def test_gaussian_targets_peak_at_the_keypoint_and_masked_maps_are_empty():
    pts = np.array([[40.0, 20.0], [100.0, 64.0], [5.0, 5.0]])
    maps = gaussian_heatmaps(pts, np.array([True, True, False]), 128, 4, 1.5)
    assert maps.shape == (3, 32, 32)
    for k in (0, 1):
        y, x = np.unravel_index(maps[k].argmax(), maps[k].shape)
        assert abs(x * 4 + 1.5 - pts[k, 0]) <= 2 and abs(y * 4 + 1.5 - pts[k, 1]) <= 2
        assert maps[k].max() > 0.8
    assert maps[2].max() == 0.0


def test_masked_keypoints_do_not_contribute_to_the_loss():
    target = torch.zeros(1, 3, 8, 8)
    pred = torch.zeros(1, 3, 8, 8, requires_grad=True)
    mask = torch.tensor([[1.0, 1.0, 0.0]])
    with torch.no_grad():
        pred[0, 2] = 5.0  # wildly wrong, but masked
    assert heatmap_loss(pred, target, mask).item() == 0.0
    heatmap_loss(pred, target, mask).backward()
    assert pred.grad[0, 2].abs().sum() == 0
    logits = torch.tensor([10.0, -10.0])
    assert masked_bce(logits, torch.tensor([0.0, 1.0]), torch.tensor([0.0, 0.0])).item() == 0.0
    assert masked_bce(logits, torch.tensor([0.0, 1.0]), torch.tensor([1.0, 0.0])).item() > 5


def test_onnx_export_matches_pytorch(tmp_path):
    torch.manual_seed(0)
    net = HeatmapNet(NetConfig(width=0.35)).eval()
    diff = export(net, ModelMeta(kind="landmarks", input_size=96, stride=4), tmp_path / "m.onnx")
    assert diff < 1e-4


def test_export_cli_writes_fp32_fp16_and_int8_variants_with_metadata(tmp_path):
    import cv2

    from livehand.backends.onnxruntime import OnnxRuntimeBackend
    from train.export import save_checkpoint
    from fakes import cli as run_cli

    torch.manual_seed(0)
    net = HeatmapNet(NetConfig(width=0.35)).eval()
    save_checkpoint(tmp_path / "c.pt", net, ModelMeta(kind="landmarks", input_size=64, stride=4, name="t"))
    calib = tmp_path / "calib"
    calib.mkdir()
    rng = np.random.default_rng(0)
    for i in range(4):
        cv2.imwrite(str(calib / f"{i}.jpg"), rng.integers(0, 255, (64, 64, 3), dtype=np.uint8))
    res = run_cli("export", str(tmp_path / "c.pt"), "--out", str(tmp_path / "m.onnx"), "--fp16",
                  "--int8-calib", str(calib), "--start-presence", "0.6")
    assert res.returncode == 0, res.stderr
    x = rng.standard_normal((2, 3, 64, 64)).astype(np.float32)
    ref = OnnxRuntimeBackend(tmp_path / "m.onnx").infer(x)["heatmaps"]
    for variant, tol in (("m_fp16.onnx", 0.05), ("m_int8.onnx", None)):
        backend = OnnxRuntimeBackend(tmp_path / variant)
        assert backend.meta.input_size == 64 and backend.meta.name == "t" and backend.meta.start_presence == 0.6
        got = backend.infer(x)["heatmaps"]
        assert got.shape == ref.shape and np.isfinite(got).all()
        if tol is not None:
            assert np.abs(got - ref).max() < tol
    assert OnnxRuntimeBackend(tmp_path / "m.onnx").meta.start_presence == 0.6
    res = run_cli("export", str(tmp_path / "c.pt"), "--out", str(tmp_path / "plain.onnx"))
    assert res.returncode == 0 and OnnxRuntimeBackend(tmp_path / "plain.onnx").meta.start_presence == 0.75
    bad = run_cli("export", str(tmp_path / "c.pt"), "--out", str(tmp_path / "x.onnx"), "--start-presence", "1.5")
    assert bad.returncode == 2 and "start-presence" in bad.stderr and "Traceback" not in bad.stderr
    bad = run_cli("export", str(tmp_path / "missing.pt"), "--out", str(tmp_path / "x.onnx"))
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "checkpoint not found" in bad.stderr
    for wrong in (tmp_path / "m.onnx", calib / "0.jpg"):  # an ONNX model or an image given as the checkpoint
        bad = run_cli("export", str(wrong), "--out", str(tmp_path / "x.onnx"))
        assert bad.returncode == 2 and bad.stderr.count("\n") == 1, bad.stderr
        assert "not a livehand training checkpoint" in bad.stderr and wrong.name in bad.stderr
