"""Crop-perturbation consistency: warps of crops and of their heatmaps agree, and the loss."""
import json

import numpy as np
import torch

from livehand.decode import decode_heatmaps, heatmap_to_input
from train.consistency import consistency_loss, perturbed_view, random_similarity, warp
from train.targets import gaussian_heatmaps


def test_no_perturbation_is_the_identity():
    theta = random_similarity(3, shift=0.0, scale=0.0, rotation=0.0, size=64)
    x = torch.randn(3, 3, 64, 64)
    assert torch.allclose(perturbed_view(x, theta, noise=0.0, black=-1.0), x, atol=1e-5)


def test_random_similarity_stays_within_its_limits():
    theta = random_similarity(500, shift=4.0, scale=0.05, rotation=5.0, size=128, generator=torch.Generator().manual_seed(0))
    linear = theta[:, :, :2]
    scale = torch.sqrt(torch.det(linear))
    assert (scale.log().abs() <= 0.05 + 1e-6).all()
    angle = torch.rad2deg(torch.atan2(linear[:, 1, 0], linear[:, 0, 0]))
    assert (angle.abs() <= 5.0 + 1e-4).all() and angle.abs().max() > 4.0
    assert (theta[:, :, 2].abs() <= 4.0 * 2 / 128 + 1e-6).all()


def test_a_point_and_its_heatmap_move_together():
    """The claim the loss rests on: one theta warps a crop and its stride-4 maps alike."""
    size, stride = 128, 4
    rng = np.random.default_rng(1)
    points = rng.uniform(30, 98, (5, 2))
    image = torch.zeros(5, 1, size, size)
    yy, xx = np.mgrid[:size, :size]
    for i, (x, y) in enumerate(points):
        image[i, 0] = torch.from_numpy(np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * 3.0 ** 2))).float()
    heat = torch.from_numpy(np.stack([gaussian_heatmaps(p[None], np.array([True]), size, stride, 1.5)
                                      for p in points]))
    theta = random_similarity(5, shift=6.0, scale=0.1, rotation=10.0, size=size, generator=torch.Generator().manual_seed(2))
    moved_image = warp(image, theta).numpy()[:, 0]
    moved_heat, _ = decode_heatmaps(warp(heat, theta).numpy())
    from_heat = heatmap_to_input(moved_heat[:, 0], stride)
    w = moved_image / moved_image.sum(axis=(1, 2), keepdims=True)
    from_image = np.stack([(w * xx).sum(axis=(1, 2)), (w * yy).sum(axis=(1, 2))], 1)
    moved = np.abs(from_image - points).max()
    assert moved > 2.0  # the warp did move the points
    assert np.abs(from_heat - from_image).max() < 0.6


def test_consistency_loss_is_zero_for_consistent_maps_and_trains_only_the_view():
    theta = random_similarity(2, shift=4.0, scale=0.05, rotation=5.0, size=128, generator=torch.Generator().manual_seed(3))
    crop = torch.rand(2, 21, 32, 32, requires_grad=True)
    mask = torch.ones(2, 21)
    agree = warp(crop.detach(), theta).requires_grad_(True)
    assert consistency_loss(agree, crop, theta, mask).item() < 1e-8
    other = torch.rand(2, 21, 32, 32, requires_grad=True)
    loss = consistency_loss(other, crop, theta, mask)
    assert loss.item() > 1.0
    loss.backward()
    assert crop.grad is None and other.grad.abs().sum() > 0
    mask[:, 5:] = 0  # masked keypoints do not count
    only_some = consistency_loss(other, crop, theta, mask)
    other2 = other.detach().clone()
    other2[:, 5:] = 123.0
    assert torch.isclose(consistency_loss(other2, crop, theta, mask), only_some)


def test_training_with_consistency_uses_it(tmp_path, monkeypatch):
    import train.loop
    from tests.test_train_smoke import _write_dataset
    from train.data.crops import pack_hand_crops
    from train.data.records import read_jsonl
    from train.loop import TrainConfig, fit

    calls = []

    def spy(heat_view, heat_crop, theta, mask):
        calls.append((len(heat_view), len(heat_crop), heat_crop.requires_grad))
        return consistency_loss(heat_view, heat_crop, theta, mask)

    monkeypatch.setattr(train.loop, "consistency_loss", spy)

    _write_dataset(tmp_path, n=40)
    pack_hand_crops(read_jsonl(tmp_path / "labels.jsonl"), tmp_path / "shards", box_scale=1.6, neg_fraction=0.2)
    cfg = TrainConfig(data=[str(tmp_path / "shards")], eval_sources=["b"], input_size=64, width=0.35,
                      epochs=1, samples_per_epoch=32, batch_size=16, warmup_steps=2, threads=1,
                      val_samples=8, out=str(tmp_path / "run"), consistency_weight=1.0)
    fit(cfg)
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    assert np.isfinite(history[0]["loss"])
    assert calls == [(8, 8, True)] * 2  # every step, half of each batch of 16, through the net


def test_what_comes_from_outside_the_crop_is_each_channels_black():
    x = torch.zeros(1, 3, 16, 16)
    black = torch.tensor([-1.0, -2.0, -3.0]).view(1, 3, 1, 1)
    theta = torch.tensor([[[1.0, 0.0, 1.5], [0.0, 1.0, 0.0]]])  # looks 12 px to the right: the right part is outside
    view = perturbed_view(x, theta, noise=0.0, black=black)
    assert torch.allclose(view[0, :, :, -1], black.view(3, 1).expand(3, 16))
    assert torch.allclose(view[0, :, :, 0], torch.zeros(3, 16))
