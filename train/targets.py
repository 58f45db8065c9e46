"""Training targets and losses: gaussian heatmaps with masks, and the masked loss."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from livehand.decode import input_to_heatmap


def gaussian_heatmaps(points: np.ndarray, mask: np.ndarray, size: int, stride: int, sigma: float) -> np.ndarray:
    """float[K, 2] input-pixel points + bool[K] -> float32[K, h, h], h = size // stride.

    Each map is a unit-peak gaussian (sigma in heatmap pixels) centred on the point's sub-pixel
    heatmap position; masked points get an all-zero map (and are also masked out of the loss)."""
    h = size // stride
    centers = input_to_heatmap(points.astype(np.float32), stride)
    grid = np.arange(h, dtype=np.float32)
    gx = np.exp(-((grid[None, :] - centers[:, :1]) ** 2) / (2 * sigma ** 2))  # [K, h]
    gy = np.exp(-((grid[None, :] - centers[:, 1:]) ** 2) / (2 * sigma ** 2))
    maps = gy[:, :, None] * gx[:, None, :]
    maps[~mask] = 0.0
    return maps.astype(np.float32)


def heatmap_loss(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, fg_weight: float = 10.0) -> torch.Tensor:
    """Foreground-weighted MSE. pred, target: [B, K, h, w]; mask: [B, K] (1 = supervise).

    Pixels near a keypoint weigh (1 + fg_weight * target) so the small peak is not drowned by
    the background; masked keypoints contribute nothing (not a peak at (0, 0))."""
    weight = 1.0 + fg_weight * target
    per_kp = (weight * (pred.float() - target) ** 2).mean(dim=(2, 3))  # [B, K]
    return (per_kp * mask).sum() / mask.sum().clamp(min=1.0) * 100.0


def masked_bce(logits: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy over entries where mask is 1."""
    loss = F.binary_cross_entropy_with_logits(logits.float(), target, reduction="none")
    return (loss * mask).sum() / mask.sum().clamp(min=1.0)
