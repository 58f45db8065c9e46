"""Crop-perturbation consistency for the landmark model.

A tracked hand that holds still is cropped a little differently from frame to frame (the crop
follows last frame's keypoints), and every such wobble of the crop that moves the predicted
keypoints in the hand's own frame is jitter on screen. The heatmap loss only asks each crop for the
label; this asks a slightly shifted, scaled and turned copy of a crop, with fresh sensor noise,
for the same heatmaps carried over by the same warp.

Warps are `affine_grid` thetas in normalised coordinates (align_corners=False): the same theta
moves an input image and its stride-s heatmaps alike, because livehand's pixel-centre convention
(p = (h + 0.5) * s - 0.5) makes both cover the same field of view.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from train.targets import heatmap_loss


def random_similarity(n: int, shift: float, scale: float, rotation: float, size: int,
                      generator: torch.Generator | None = None) -> torch.Tensor:
    """float[n, 2, 3] thetas: view(p) = image(theta @ p) for a uniform shift of up to `shift`
    input px (of `size`), scale by exp(+-scale) and turn of up to `rotation` degrees."""
    u = torch.rand(n, 4, generator=generator) * 2 - 1
    s = torch.exp(u[:, 0] * scale)
    a = u[:, 1] * math.radians(rotation)
    t = u[:, 2:] * shift * 2.0 / size
    cos, sin = s * torch.cos(a), s * torch.sin(a)
    return torch.stack([torch.stack([cos, -sin, t[:, 0]], 1), torch.stack([sin, cos, t[:, 1]], 1)], 1)


def warp(x: torch.Tensor, theta: torch.Tensor, fill: float | torch.Tensor = 0.0) -> torch.Tensor:
    """float[B, C, H, W] warped by theta[B, 2, 3] (bilinear); what comes from outside is `fill`
    (a number, or per channel float[1, C, 1, 1])."""
    grid = F.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)
    return F.grid_sample(x - fill, grid, mode="bilinear", padding_mode="zeros", align_corners=False) + fill


def perturbed_view(images: torch.Tensor, theta: torch.Tensor, noise: float | torch.Tensor,
                   black: float | torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Normalised crops float[B, 3, H, W] -> the same crops warped by theta, what lies outside
    the old crop black (as a crop past the frame edge), plus gaussian noise of std `noise` in
    normalised units (numbers, or per channel float[1, 3, 1, 1], as the model's mean/std)."""
    view = warp(images, theta, fill=black)
    if torch.as_tensor(noise).max() > 0:
        view = view + noise * torch.randn(view.shape, generator=generator).to(view.device)
    return view


def consistency_loss(heat_view: torch.Tensor, heat_crop: torch.Tensor, theta: torch.Tensor,
                     mask: torch.Tensor) -> torch.Tensor:
    """The perturbed view's heatmaps [B, K, h, w] against the original crop's, warped by theta
    and held fixed (the original is the one the labels supervise); mask [B, K] as heatmap_loss."""
    return heatmap_loss(heat_view, warp(heat_crop.detach().float(), theta), mask)
