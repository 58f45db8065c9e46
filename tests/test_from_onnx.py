"""Exported ONNX -> PyTorch weights (train/from_onnx.py): exact in eval mode, close in train mode."""
import pytest
import torch

from livehand.metadata import ModelMeta
from train.export import export
from train.from_onnx import calibrate_batchnorms, load_onnx_weights, net_from_onnx
from train.model import HeatmapNet, NetConfig

CFG = NetConfig("landmarks", 21, 0.35, 4, (32, 24, 16))


def _exported(tmp_path, seed: int = 0) -> tuple[HeatmapNet, str]:
    """A net with non-trivial BatchNorm statistics (so folding changes the weights), exported."""
    torch.manual_seed(seed)
    net = HeatmapNet(CFG)
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    path = tmp_path / "m.onnx"
    export(net.eval(), ModelMeta(kind="landmarks", input_size=64, stride=4), path)
    return net, str(path)


def _outputs(net: HeatmapNet, x: torch.Tensor) -> list[torch.Tensor]:
    with torch.no_grad():
        out = net(x)
    return [out["heatmaps"], out["presence_logit"], out["handedness_logit"]]


def test_recovered_weights_reproduce_the_original_net_in_eval_mode(tmp_path):
    original, path = _exported(tmp_path)
    x = torch.randn(3, 3, 64, 64)
    recovered = HeatmapNet(CFG)
    load_onnx_weights(recovered, path)
    for a, b in zip(_outputs(original.eval(), x), _outputs(recovered.eval(), x)):
        assert torch.allclose(a, b, atol=1e-4), float((a - b).abs().max())
    calibrate_batchnorms(recovered, [torch.randn(4, 3, 64, 64)])  # re-parametrising keeps the function
    for a, b in zip(_outputs(original.eval(), x), _outputs(recovered.eval(), x)):
        assert torch.allclose(a, b, atol=1e-4), float((a - b).abs().max())


def test_calibrated_batchnorms_make_train_mode_match_eval_mode_on_the_calibration_batch(tmp_path):
    _, path = _exported(tmp_path)
    batch = torch.randn(8, 3, 64, 64)
    net = HeatmapNet(CFG)
    seen, diff = net_from_onnx(net, path, [batch])
    assert seen == 8 and diff < 1e-4
    eval_out = _outputs(net.eval(), batch)
    train_out = _outputs(net.train(), batch)  # batch statistics = the calibration statistics
    for a, b in zip(eval_out, train_out):
        assert torch.allclose(a, b, atol=1e-3, rtol=1e-3), float((a - b).abs().max())
    # without calibration, train mode normalises each layer afresh and the output changes a lot
    plain = HeatmapNet(CFG)
    load_onnx_weights(plain, path)
    assert (_outputs(plain.train(), batch)[0] - eval_out[0]).abs().max() > 0.1


def test_an_onnx_file_of_another_architecture_is_refused(tmp_path):
    _, path = _exported(tmp_path)
    with pytest.raises(ValueError, match="m.onnx"):
        load_onnx_weights(HeatmapNet(NetConfig("landmarks", 21, 0.5, 4, (32, 24, 16))), path)


def test_a_narrower_onnx_init_is_widened_into_the_configured_net(tmp_path):
    from train.loop import TrainConfig, _load_init

    original, path = _exported(tmp_path)
    cfg = TrainConfig(width=0.5, init=path, init_width=CFG.width, decoder_channels=list(CFG.decoder_channels),
                      batch_size=4, input_size=64)
    wide = HeatmapNet(NetConfig("landmarks", 21, 0.5, 4, CFG.decoder_channels))
    g = torch.Generator().manual_seed(1)
    train_ds = [(torch.randn(3, 64, 64, generator=g),) for _ in range(8)]
    _load_init(cfg, wide, train_ds, 21, torch.device("cpu"))
    assert sum(p.numel() for p in wide.parameters()) > sum(p.numel() for p in original.parameters())
    x = torch.randn(2, 3, 64, 64)
    for a, b in zip(_outputs(original.eval(), x), _outputs(wide.eval(), x)):
        assert torch.allclose(a, b, atol=1e-3), float((a - b).abs().max())
