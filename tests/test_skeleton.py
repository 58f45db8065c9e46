import numpy as np
import pytest

from livehand.skeleton import (HAND17, HAND17_FROM_21, HAND21, HAND_CONNECTIONS, HandKeypoint,
                               schema_for_layout, to_hand17)


def test_hand21_order_and_bones():
    assert HAND21.num_keypoints == 21 and HandKeypoint.PINKY_TIP == 20
    assert len(HAND_CONNECTIONS) == 23 and len(HAND21.bone_colours) == len(HAND21.bones)
    assert all(0 <= a < 21 and 0 <= b < 21 for a, b in HAND_CONNECTIONS)
    assert (0, HandKeypoint.THUMB_CMC) in HAND_CONNECTIONS


def test_21_to_17_mapping_picks_the_right_points():
    kps = np.arange(21 * 3, dtype=np.float32).reshape(21, 3)
    out = to_hand17(kps)
    assert out.shape == (17, 3)
    names = HAND17.names
    assert np.allclose(out[names.index("wrist")], kps[0])
    assert np.allclose(out[names.index("palm_centre")], kps[[0, 5, 9, 13, 17]].mean(0))
    assert np.allclose(out[names.index("thumb_tip")], kps[4])
    assert np.allclose(out[names.index("pinky_tip")], kps[20])
    assert np.allclose(out[names.index("thumb_first_knuckle")], kps[3])  # thumb IP
    assert np.allclose(out[names.index("index_first_knuckle")], kps[6])  # index PIP
    assert np.allclose(out[names.index("thumb_base_knuckle")], kps[2])   # thumb MCP
    assert np.allclose(out[names.index("ring_base_knuckle")], kps[13])
    assert np.allclose(HAND17_FROM_21.sum(1), 1.0)


def test_batched_mapping_and_layout_lookup():
    assert to_hand17(np.zeros((4, 21, 2))).shape == (4, 17, 2)
    assert schema_for_layout(17) is HAND17 and schema_for_layout("hand21") is HAND21
    with pytest.raises(ValueError, match="unknown keypoint layout"):
        schema_for_layout(42)
