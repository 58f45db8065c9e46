import numpy as np
import pytest

from livehand.decode import decode_heatmaps, heatmap_to_input, input_to_heatmap
from train.targets import gaussian_heatmaps


def _gaussian(h, w, cx, cy, sigma):
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    return np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * sigma ** 2))


@pytest.mark.parametrize("sigma", [1.0, 1.5, 2.5])
def test_dark_subpixel_error_below_a_tenth_of_a_pixel(sigma):
    rng = np.random.default_rng(1)
    centres = rng.uniform(4, 28, size=(3, 21, 2))
    maps = np.stack([np.stack([_gaussian(32, 32, cx, cy, sigma) for cx, cy in hand]) for hand in centres])
    xy, conf = decode_heatmaps(maps.astype(np.float32))
    assert xy.shape == (3, 21, 2) and conf.shape == (3, 21)
    assert np.abs(xy - centres).max() < 0.1
    # plain argmax would be off by up to half a pixel: the refinement is doing the work
    assert np.abs(np.round(centres) - centres).max() > 0.3


def test_decode_handles_flat_and_edge_maps():
    maps = np.zeros((1, 2, 16, 16), np.float32)
    maps[0, 1] = _gaussian(16, 16, 0.0, 15.0, 1.5)
    xy, conf = decode_heatmaps(maps)
    assert np.isfinite(xy).all()
    assert conf[0, 0] == 0.0
    assert np.abs(xy[0, 1] - [0.0, 15.0]).max() < 1.0


def test_coordinate_convention_round_trips_and_matches_targets():
    pts = np.array([[30.3, 77.9], [64.0, 100.0]])
    assert np.allclose(heatmap_to_input(input_to_heatmap(pts, 4), 4), pts)
    maps = gaussian_heatmaps(pts, np.ones(2, bool), 128, 4, 1.5)
    xy, _ = decode_heatmaps(maps[None])
    assert np.abs(heatmap_to_input(xy[0], 4) - pts).max() < 0.25
