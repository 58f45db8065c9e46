"""livehand.metrics on hand-made predictions with known answers."""
from __future__ import annotations

import numpy as np
import pytest

from livehand import metrics


def hand(x0: float = 0.0, y0: float = 0.0, w: float = 100.0, h: float = 60.0) -> np.ndarray:
    """float32[21, 2]: points spread over a w x h box at (x0, y0), longer side exactly max(w, h)."""
    t = np.linspace(0, 1, 21)
    return np.stack([x0 + w * t, y0 + h * (t * 7 % 1)], axis=1).astype(np.float32)


def label(kps: np.ndarray, visible: np.ndarray | None = None):
    return kps, np.ones(len(kps), bool) if visible is None else visible


def test_perfect_prediction():
    kps = hand()
    scores, extra = metrics.score_image([kps], [label(kps)])
    s = metrics.summarize(scores, extra)
    assert s["found_rate"] == 1.0 and s["missed"] == 0 and s["extra_hands"] == 0
    assert s["epe_px"] == 0.0 and s["nme"] == 0.0
    assert all(v == 1.0 for v in s["pck"].values())


def test_known_offsets_give_known_pck_epe_nme():
    kps = hand()  # size 100: PCK thresholds 5, 10, 20 px
    pred = kps.copy()
    pred[::2, 0] += 7.0   # 11 points between 5 and 10 px off
    pred[1::2, 1] += 15.0  # 10 points between 10 and 20 px off
    s = metrics.summarize(metrics.score_image([pred], [label(kps)])[0])
    assert s["pck"] == {"0.05": 0.0, "0.1": pytest.approx(11 / 21), "0.2": 1.0}
    assert s["epe_px"] == pytest.approx((11 * 7 + 10 * 15) / 21)
    assert s["nme"] == pytest.approx((11 * 7 + 10 * 15) / 21 / 100)
    assert s["nme_by_size"]["medium"] == {"hands": 1, "found": 1, "nme": pytest.approx(s["nme"])}


def test_missed_hand_counts_wrong_in_pck_and_is_left_out_of_epe():
    a, b = hand(), hand(x0=500)
    scores, extra = metrics.score_image([a], [label(a), label(b)])
    assert [sc.found for sc in scores] == [True, False]
    s = metrics.summarize(scores, extra)
    assert s["found_rate"] == 0.5 and s["missed"] == 1
    assert all(v == 0.5 for v in s["pck"].values())
    assert s["epe_px"] == 0.0


def test_only_visible_keypoints_count():
    kps = hand()
    vis = np.ones(21, bool)
    vis[[3, 10]] = False
    pred = kps.copy()
    pred[[3, 10]] += 1000.0  # wrong only where nothing is labelled
    s = metrics.summarize(metrics.score_image([pred], [label(kps, vis)])[0])
    assert s["pck"]["0.05"] == 1.0 and s["epe_px"] == 0.0
    # the box (and so the size) comes from visible points only
    assert metrics.hand_size(np.array([[0, 0], [10, 5], [500, 500]]), np.array([True, True, False])) == 10.0


def test_matching_pairs_by_keypoints_and_counts_extra_hands():
    a, b = hand(), hand(x0=300, w=50, h=50)
    far = hand(x0=2000, y0=2000)
    scores, extra = metrics.score_image([far, b + 1.0, a], [label(a), label(b)])
    assert extra == 1
    assert [sc.found for sc in scores] == [True, True]
    assert scores[0].errors.max() == 0.0
    assert np.allclose(scores[1].errors, np.sqrt(2))
    s = metrics.summarize(scores, extra)
    assert s["nme_by_size"]["small"]["hands"] == 1 and s["nme_by_size"]["medium"]["hands"] == 1


def test_a_prediction_beyond_the_match_cost_is_a_miss():
    kps = hand()
    scores, extra = metrics.score_image([kps + 60.0], [label(kps)])  # mean error 0.85 of size 100
    assert not scores[0].found and extra == 1


def test_score_paired_and_unlabelled_hands():
    kps = hand()
    scores = metrics.score_paired([kps, None, kps], [label(kps), label(kps), label(kps, np.zeros(21, bool))])
    assert [sc.found for sc in scores] == [True, False]  # the hand with no visible point is skipped
    s = metrics.summarize(scores)
    assert s["hands"] == 2 and s["pck"]["0.1"] == 0.5


def test_empty_summary_and_keypoint_count_mismatch():
    s = metrics.summarize([])
    assert s["hands"] == 0 and s["found_rate"] is None and s["epe_px"] is None and s["pck"]["0.1"] is None
    with pytest.raises(ValueError, match="17 keypoints"):
        metrics.score_image([hand()[:17]], [label(hand())])


def test_miss_reason_tells_undetected_dropped_and_misplaced_hands():
    from livehand.metrics import miss_reason, summarize

    kps = np.array([[10.0, 10.0], [50.0, 60.0], [30.0, 40.0]])
    vis = np.array([True, True, False])  # the hidden point does not shape the box (10..50, 10..60)
    on_it, elsewhere = np.array([[12.0, 8.0, 52.0, 58.0]]), np.array([[200.0, 200.0, 240.0, 250.0]])
    none = np.zeros((0, 4))
    assert miss_reason(kps, vis, on_it, on_it) == "keypoints_off"        # reported there, points wrong
    assert miss_reason(kps, vis, elsewhere, on_it) == "not_reported"     # boxed, never reported
    assert miss_reason(kps, vis, none, elsewhere) == "no_detection"
    assert miss_reason(kps, vis, none, none) == "no_detection"
    assert miss_reason(kps, vis, none, None) == "not_reported"           # crops: no detector
    s = summarize([], misses=["no_detection", "no_detection", "keypoints_off"])
    assert s["missed_by"] == {"no_detection": 2, "not_reported": 0, "keypoints_off": 1}
    assert summarize([])["missed_by"] is None

