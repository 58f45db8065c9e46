"""Shared fixtures: small random-weight models exported the real way (needs the dev extra)."""
from __future__ import annotations

from pathlib import Path

import pytest


def _export_random(kind: str, size: int, out: Path) -> Path:
    import torch

    from livehand.metadata import ModelMeta
    from train.export import export
    from train.model import HeatmapNet, NetConfig

    torch.manual_seed(0)
    net = HeatmapNet(NetConfig(kind=kind, width=0.35)).eval()
    export(net, ModelMeta(kind=kind, input_size=size, stride=4, name=f"random-{kind}"), out)
    return out


@pytest.fixture(scope="session")
def random_landmark_model(tmp_path_factory) -> Path:
    """An ONNX landmark model (128 px input, 21 heatmaps at stride 4) with random weights."""
    return _export_random("landmarks", 128, tmp_path_factory.mktemp("models") / "landmarks.onnx")


@pytest.fixture(scope="session")
def random_detector_model(tmp_path_factory) -> Path:
    """An ONNX detector model (192 px input, stride 4) with random weights."""
    return _export_random("detector", 192, tmp_path_factory.mktemp("models") / "detector.onnx")
