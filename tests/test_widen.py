"""train.widen: a wider net started from a narrower one computes the same outputs."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from train.model import HeatmapNet, NetConfig  # noqa: E402
from train.widen import widen  # noqa: E402


def trained_like(net: HeatmapNet) -> HeatmapNet:
    """Random weights and BatchNorm statistics, as a trained net has (not the identity defaults)."""
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, t in net.state_dict().items():
            if t.is_floating_point():
                t.copy_(torch.rand(t.shape, generator=g) + 0.5 if "running_var" in name
                        else torch.randn(t.shape, generator=g) * 0.2)
    return net.eval()


@pytest.mark.parametrize("kind", ["landmarks", "detector"])
def test_widened_net_computes_what_the_narrow_one_did(kind):
    narrow = trained_like(HeatmapNet(NetConfig(kind=kind, width=0.35)))
    wide = widen(narrow, HeatmapNet(NetConfig(kind=kind, width=1.0))).eval()
    assert sum(p.numel() for p in wide.parameters()) > 3 * sum(p.numel() for p in narrow.parameters())
    x = torch.randn(2, 3, 96, 96)
    with torch.no_grad():
        a, b = narrow(x), wide(x)
    for k in a:
        torch.testing.assert_close(b[k], a[k], atol=1e-4, rtol=1e-4)


def test_widened_net_trains_its_new_channels():
    wide = widen(trained_like(HeatmapNet(NetConfig(width=0.35))), HeatmapNet(NetConfig(width=0.5))).train()
    out = wide(torch.randn(2, 3, 64, 64))
    (out["heatmaps"].square().mean() + out["presence_logit"].square().mean()).backward()
    # A weight from a new channel into an old one starts at zero but gets a gradient.
    head = wide.global_head.weight
    assert head[:, -1].abs().max() == 0 and head.grad[:, -1].abs().max() > 0


def test_nets_that_differ_in_more_than_width_are_refused():
    with pytest.raises(ValueError, match="width"):
        widen(HeatmapNet(NetConfig(width=0.35)), HeatmapNet(NetConfig(width=0.5, decoder_channels=(64, 48, 32))))


def test_a_finer_output_stride_keeps_the_trained_layers_and_starts_only_the_new_ones():
    from train.loop import load_matching

    coarse = trained_like(HeatmapNet(NetConfig(width=0.35, out_stride=4)))
    fine = HeatmapNet(NetConfig(width=0.35, out_stride=2))
    fresh = load_matching(fine, coarse.state_dict())
    assert "map_head.weight" in fresh and "decoder.blocks.3.1.0.weight" in fresh
    assert all(k.startswith(("decoder.blocks.3.", "map_head.weight")) for k in fresh)
    for name, t in coarse.state_dict().items():
        if name not in fresh:
            torch.testing.assert_close(fine.state_dict()[name], t)
    fine.eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        a, b = coarse(x), fine(x)
    assert b["heatmaps"].shape[-1] == 2 * a["heatmaps"].shape[-1] == 32
    torch.testing.assert_close(b["presence_logit"], a["presence_logit"])  # the pooled head is untouched


def test_a_fine_residual_net_starts_as_the_coarse_net_upsampled_in_train_and_eval_mode():
    import torch.nn.functional as F

    from train.loop import load_matching

    coarse = trained_like(HeatmapNet(NetConfig(width=0.35, out_stride=4)))
    fine = HeatmapNet(NetConfig(width=0.35, out_stride=2, fine_residual=True))
    fresh = load_matching(fine, coarse.state_dict())
    assert "map_head.weight" not in fresh and "fine_head.weight" in fresh
    x = torch.randn(2, 3, 64, 64)
    for mode in ("eval", "train"):
        getattr(coarse, mode)(), getattr(fine, mode)()
        with torch.no_grad():
            a, b = coarse(x), fine(x)
        up = F.interpolate(a["heatmaps"], scale_factor=2.0, mode="bilinear", align_corners=False)
        assert b["heatmaps"].shape[-1] == 32
        torch.testing.assert_close(b["heatmaps"], up, atol=1e-5, rtol=1e-5)
    # the correction learns: its zero weights get a gradient
    fine.train()(x)["heatmaps"].square().mean().backward()
    assert fine.fine_head.weight.grad.abs().sum() > 0
