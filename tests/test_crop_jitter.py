"""bench/crop_jitter.py: the wobbled crops and the spread measure (pure parts)."""
import numpy as np

from bench.crop_jitter import PERTURBATIONS, ROTATION_DEG, SCALE, SHIFT, spread, wobbled_crops
from livehand.preprocess import box_from_keypoints


def test_spread_is_the_rms_distance_from_the_mean_over_crops():
    pts = np.zeros((4, 3, 2))
    assert spread(pts, np.ones(3, bool)) == 0.0
    pts[:, 0, 0] = [-1, 1, -1, 1]           # one point swings 1 px either side; the others keep still
    pts[:, 2, 1] = [50, -50, 50, -50]       # a hidden point does not count
    visible = np.array([True, True, False])
    assert np.isclose(spread(pts, visible), np.sqrt(0.5))


def test_wobbled_crops_start_with_the_trackers_crop_and_stay_within_the_wobble():
    rng = np.random.default_rng(0)
    kps = rng.uniform(100, 200, (21, 2))
    vis = np.ones(21, bool)
    crops = wobbled_crops(kps, vis, 1.6, rng)
    centre, side, angle = box_from_keypoints(kps, 1.6, visible=vis)
    assert len(crops) == PERTURBATIONS + 1
    assert np.allclose(crops[0].center, centre) and np.isclose(crops[0].side, side) and np.isclose(crops[0].angle, angle)
    for c in crops[1:]:
        assert np.abs(np.subtract(c.center, centre)).max() <= SHIFT * side + 1e-9
        assert abs(np.log(c.side / side)) <= SCALE + 1e-9
        assert abs(np.rad2deg(c.angle - angle)) <= ROTATION_DEG + 1e-9
    assert len({c.center for c in crops}) == len(crops)
