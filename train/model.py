"""MobileNetV2 encoder -> U-Net decoder -> heads, with one shared forward.

Written here rather than imported from torchvision (which does not import beside the torch
build used here) and trained from scratch (no pretrained download is reachable). Two models
share the pieces:
  * landmarks: hand crop -> one gaussian heatmap per keypoint + presence and handedness logits
  * detector:  whole frame -> hand-centre heatmap + box size maps (CenterNet style)
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

# (expansion t, channels c, repeats n, first stride s): MobileNetV2's table.
_MBV2 = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
         (6, 160, 3, 2), (6, 320, 1, 1))


def _divisible(v: float, d: int = 8) -> int:
    out = max(d, int(v + d / 2) // d * d)
    return out + d if out < 0.9 * v else out


def conv_bn(cin: int, cout: int, k: int = 3, stride: int = 1, groups: int = 1, act: bool = True) -> nn.Sequential:
    layers = [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    if act:
        layers.append(nn.ReLU6(inplace=True))
    return nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expand: int):
        super().__init__()
        hidden = cin * expand
        layers = [conv_bn(cin, hidden, 1)] if expand != 1 else []
        layers += [conv_bn(hidden, hidden, 3, stride, groups=hidden), conv_bn(hidden, cout, 1, act=False)]
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.block(x) if self.residual else self.block(x)


class MobileNetV2Encoder(nn.Module):
    """Returns features at strides 2, 4, 8, 16, 32 (channels in self.channels)."""

    def __init__(self, width: float = 1.0):
        super().__init__()
        cin = _divisible(32 * width)
        self.stem = conv_bn(3, cin, 3, 2)
        stages: list[nn.Sequential] = []
        self.channels: list[int] = []
        blocks: list[nn.Module] = []
        for t, c, n, s in _MBV2:
            cout = _divisible(c * width)
            if s == 2 and blocks:  # a stride-2 block starts a new resolution: close the stage
                stages.append(nn.Sequential(*blocks))
                self.channels.append(cin)
                blocks = []
            for i in range(n):
                blocks.append(InvertedResidual(cin, cout, s if i == 0 else 1, t))
                cin = cout
        stages.append(nn.Sequential(*blocks))
        self.channels.append(cin)
        self.stages = nn.ModuleList(stages)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = self.stem(x)
        feats = []
        for stage in self.stages:
            x = stage(x)
            feats.append(x)
        return feats  # strides 2, 4, 8, 16, 32


class UNetDecoder(nn.Module):
    """Upsample from stride 32, concatenating the encoder skip at each stride, down to out_stride."""

    def __init__(self, enc_channels: list[int], channels: tuple[int, ...], out_stride: int):
        super().__init__()
        n_up = {2: 4, 4: 3, 8: 2}[out_stride]
        skips = enc_channels[:-1][::-1][:n_up]  # strides 16, 8, 4, (2)
        self.blocks = nn.ModuleList()
        cin = enc_channels[-1]
        for skip, cout in zip(skips, channels):
            self.blocks.append(nn.Sequential(
                conv_bn(cin + skip, cin + skip, 3, groups=cin + skip),  # depthwise: cheap on CPU
                conv_bn(cin + skip, cout, 1)))
            cin = cout
        self.out_channels = cin

    def forward(self, feats: list[torch.Tensor]) -> list[torch.Tensor]:
        """-> every block's output, coarsest first (the last is at out_stride)."""
        x = feats[-1]
        skips = feats[:-1][::-1]
        outs = []
        for block, skip in zip(self.blocks, skips):
            x = F.interpolate(x, scale_factor=2.0, mode="nearest")
            x = block(torch.cat([x, skip], dim=1))
            outs.append(x)
        return outs


@dataclass
class NetConfig:
    """What the network looks like; saved with every checkpoint."""

    kind: str = "landmarks"  # or "detector"
    num_keypoints: int = 21
    width: float = 0.5
    out_stride: int = 4
    decoder_channels: tuple[int, ...] = (96, 64, 48, 32)
    # Output at out_stride as the maps of a head one stride coarser, upsampled, plus a correction
    # from the finest block that starts at zero: a net made finer this way starts exactly where
    # the coarser net it is initialised from was, instead of relearning its head from scratch.
    fine_residual: bool = False


class HeatmapNet(nn.Module):
    """Encoder -> decoder -> a 1x1 map head, plus global logits pooled from the bottleneck.

    landmarks: maps = K heatmaps; globals = (presence, handedness[right]).
    detector:  maps = centre heatmap + (w, h) box size as a fraction of the input side."""

    def __init__(self, cfg: NetConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = MobileNetV2Encoder(cfg.width)
        self.decoder = UNetDecoder(self.encoder.channels, cfg.decoder_channels, cfg.out_stride)
        n_maps = cfg.num_keypoints if cfg.kind == "landmarks" else 3
        if cfg.fine_residual:
            coarse_channels = cfg.decoder_channels[len(self.decoder.blocks) - 2]
            self.map_head = nn.Conv2d(coarse_channels, n_maps, 1)  # the coarser net's head, same name
            self.fine_head = nn.Conv2d(self.decoder.out_channels, n_maps, 1)
            nn.init.zeros_(self.fine_head.weight)
            nn.init.zeros_(self.fine_head.bias)
        else:
            self.map_head = nn.Conv2d(self.decoder.out_channels, n_maps, 1)
        self.global_head = nn.Linear(self.encoder.channels[-1], 2) if cfg.kind == "landmarks" else None
        if cfg.kind == "detector":  # CenterNet's prior: start at p(centre) = 0.1, not 0.5
            nn.init.constant_(self.map_head.bias[:1], -2.19)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        feats = self.encoder(x)
        decoded = self.decoder(feats)
        if self.cfg.fine_residual:
            coarse = F.interpolate(self.map_head(decoded[-2]), scale_factor=2.0, mode="bilinear", align_corners=False)
            maps = coarse + self.fine_head(decoded[-1])
        else:
            maps = self.map_head(decoded[-1])
        if self.cfg.kind == "detector":
            return {"center_logits": maps[:, :1], "sizes": maps[:, 1:]}
        logits = self.global_head(feats[-1].mean(dim=(2, 3)))
        return {"heatmaps": maps, "presence_logit": logits[:, 0], "handedness_logit": logits[:, 1]}


class ExportWrapper(nn.Module):
    """What the ONNX file contains: probabilities, not logits, with stable output names."""

    def __init__(self, net: HeatmapNet):
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor):
        out = self.net(x)
        if self.net.cfg.kind == "detector":
            return torch.sigmoid(out["center_logits"]), out["sizes"]
        return out["heatmaps"], torch.sigmoid(out["presence_logit"]), torch.sigmoid(out["handedness_logit"])

    @property
    def output_names(self) -> list[str]:
        return ["centers", "sizes"] if self.net.cfg.kind == "detector" else ["heatmaps", "presence", "handedness"]
