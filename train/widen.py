"""Start a wider network from a trained narrower one, computing the same function (Net2Net-style).

Every encoder layer of a width-w2 HeatmapNet has at least the channels of the width-w1 one
(w2 > w1), and the decoder's own channels do not depend on the width. The wide net keeps its
random initialisation, the narrow weights are copied into the old channels, and every weight
from a new channel into an old one is zeroed: the old channels then compute exactly what they
did, and the new ones are extra capacity that training switches on (the zeroed weights still get
gradients, since the new channels' activations are not zero).

The one place where old channels are not a prefix is the first decoder block, whose input is the
concatenation [stride-32 features, stride-16 skip]: both parts grow, so the skip's old channels
move up by the growth of the first part.
"""
from __future__ import annotations

import numpy as np
import torch

from train.errors import TrainInputError
from train.model import HeatmapNet


def _old_indices(name: str, dim: int, n_old: int, narrow: HeatmapNet, wide: HeatmapNet) -> np.ndarray:
    """Where the narrow net's channels 0..n_old-1 sit in the wide tensor along `dim` (0 out, 1 in)."""
    concat_input = name.startswith("decoder.blocks.0.0.") or (name.startswith("decoder.blocks.0.1.") and dim == 1)
    if not concat_input:
        return np.arange(n_old)
    a_old, a_new = narrow.encoder.channels[-1], wide.encoder.channels[-1]
    return np.concatenate([np.arange(a_old), a_new + np.arange(n_old - a_old)])


def widen(narrow: HeatmapNet, wide: HeatmapNet) -> HeatmapNet:
    """Copy `narrow`'s weights, buffers included, into `wide` (same kind, keypoints, stride and
    decoder, wider encoder) so that wide(x) == narrow(x) in eval mode. Returns `wide`."""
    if (narrow.cfg.kind, narrow.cfg.num_keypoints, narrow.cfg.out_stride, tuple(narrow.cfg.decoder_channels)) != (
            wide.cfg.kind, wide.cfg.num_keypoints, wide.cfg.out_stride, tuple(wide.cfg.decoder_channels)):
        raise TrainInputError("widen: the two nets differ in more than the encoder's width")
    small, big = narrow.state_dict(), wide.state_dict()
    with torch.no_grad():
        for name, old in small.items():
            new = big[name]
            if old.dim() == 0:  # BatchNorm's num_batches_tracked
                new.copy_(old)
                continue
            depthwise = old.dim() == 4 and old.shape[1] == 1 and new.shape[1] == 1
            out_idx = torch.as_tensor(_old_indices(name, 0, old.shape[0], narrow, wide))
            if old.dim() == 1 or depthwise:
                new[out_idx] = old
                continue
            in_idx = torch.as_tensor(_old_indices(name, 1, old.shape[1], narrow, wide))
            rows = new[out_idx]
            rows.zero_()                    # new inputs feed old outputs nothing ...
            rows[:, in_idx] = old           # ... old inputs feed them what they did
            new[out_idx] = rows
    wide.load_state_dict(big)
    return wide
