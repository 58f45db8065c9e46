"""bench/point_offsets.py: offsets in the reference hand's upright frame, whatever its turn."""
from __future__ import annotations

import numpy as np
import pytest

from bench.point_offsets import upright_offsets
from livehand.preprocess import box_from_keypoints
from test_tracking import make_hand


@pytest.mark.parametrize("angle", [0.0, 70.0, -150.0])
def test_a_shift_across_the_hand_reads_the_same_at_any_turn(angle):
    ref = make_hand((300.0, 250.0), 200.0, angle)
    _, side, turn = box_from_keypoints(ref, 1.0, rotate=True)
    across = np.array([np.cos(turn), np.sin(turn)])  # the upright frame's x axis, in frame px
    pred = ref.copy()
    pred[4, :2] += 0.2 * side * across  # the thumb tip a fifth of the hand to one side
    off = upright_offsets(pred, ref)
    np.testing.assert_allclose(off[4], [20.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(np.delete(off, 4, axis=0), 0.0, atol=1e-9)
