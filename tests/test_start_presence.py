"""bench/start_presence.py: the first-crop presence of each detection and the per-model pick."""
from __future__ import annotations

import numpy as np
import pytest

from bench.start_presence import first_crop_presence, pick, sweep_table
from test_tracking import RIGHT, FakeDetector, FakeLandmarks, make_hand, render


def test_each_detection_gets_its_first_crop_presence_and_whether_it_is_a_labelled_hand():
    whole, occluded = make_hand((200.0, 240.0), 120.0), make_hand((470.0, 240.0), 120.0)[:14]
    frame = render([(whole, RIGHT), (occluded, RIGHT - 60)])
    labelled = np.array([[*whole.min(0), *whole.max(0)]])  # only the whole hand is labelled
    presence, is_hand, scores, second = first_crop_presence(FakeLandmarks(), FakeDetector(), frame, labelled,
                                                            flip_test=False)
    order = np.argsort(-presence)
    np.testing.assert_allclose(presence[order], [1.0, 14 / 21], atol=1e-6)  # the fake: share of dots seen
    assert is_hand[order].tolist() == [True, False] and len(scores) == 2
    # The upright crop from the first crop's keypoints still sees every dot of the whole hand.
    assert second.shape == (2,) and second[order][0] == pytest.approx(1.0, abs=1e-6)
    presence, is_hand, _, _ = first_crop_presence(FakeLandmarks(), FakeDetector(), frame, np.zeros((0, 4)),
                                            flip_test=False)
    assert len(presence) == 2 and not is_hand.any()


def test_pick_starts_the_most_hands_net_of_non_hands_and_prefers_the_higher_on_a_tie():
    presence = np.array([0.97, 0.9, 0.72, 0.58, 0.66, 0.62, 0.55])
    is_hand = np.array([True, True, True, True, False, False, False])
    table = sweep_table(presence, is_hand, thresholds=(0.5, 0.6, 0.7, 0.8))
    assert [(r["hands_started"], r["non_hands_started"]) for r in table] == [(4, 3), (3, 2), (3, 0), (2, 0)]
    assert pick(table) == 0.7
    assert pick(sweep_table(presence[:2], is_hand[:2], thresholds=(0.5, 0.6))) == 0.6  # tie: the higher


def test_starts_are_counted_per_detector_threshold_and_picked_at_the_given_one():
    """Three hands only a low detector threshold lets in (presence 0.6) make 0.5 the better start
    presence there; at the higher detector threshold the two non-hands at 0.6 make it 0.7."""
    presence = np.array([0.95, 0.6, 0.6, 0.6, 0.6, 0.6])
    is_hand = np.array([True, True, True, True, False, False])
    scores = np.array([0.8, 0.12, 0.12, 0.12, 0.5, 0.5])
    table = sweep_table(presence, is_hand, scores, thresholds=(0.5, 0.7), detect_thresholds=(0.1, 0.25))
    assert {(r["detect_threshold"], r["threshold"]): (r["hands_started"], r["non_hands_started"]) for r in table} == {
        (0.1, 0.5): (4, 2), (0.1, 0.7): (1, 0), (0.25, 0.5): (1, 2), (0.25, 0.7): (1, 0)}
    assert pick(table, 0.1) == 0.5 and pick(table, 0.25) == 0.7
