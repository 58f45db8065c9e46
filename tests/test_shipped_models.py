"""The shipped models on real footage from ../shared, against issue 4's bars (the figures
themselves come from bench/acceptance.py and bench/two_hands.py, which these tests call)."""
from __future__ import annotations

import pytest

from bench.acceptance import VIDEO, frames_with_hands
from bench.two_hands import track_two_hands
from livehand.backends.base import load_backend
from livehand.models import DEFAULT_DETECTOR, DEFAULT_LANDMARKS
from livehand.tracking import HandTracker

pytestmark = pytest.mark.skipif(not (VIDEO / "hands.jpg").exists(), reason="needs ../shared/data/video")


def test_both_hands_of_the_composed_clip_keep_their_ids_and_never_share_a_side():
    r = track_two_hands(90)
    assert r["both_hands_frames"] >= 0.95 * r["frames"]
    assert r["id_changes"] == 0
    assert r["frames_with_two_same_sides"] == 0
    assert r["detector_fraction"] <= 0.1  # the detector runs on a small fraction of frames


def test_the_office_clip_has_a_hand_in_at_least_95_percent_of_frames():
    tracker = HandTracker(load_backend(DEFAULT_LANDMARKS), load_backend(DEFAULT_DETECTOR), max_hands=2)
    found, frames = frames_with_hands(tracker, VIDEO / "human_hand_video.mp4")
    assert frames > 600 and found >= 0.95 * frames


@pytest.mark.parametrize("tuning", [
    # The default detector passes: the plain one, which scores the second hand (at the photo's top
    # edge) 0.295 (stage-8 detector; stage 7: 0.186), and the zoomed-out margin pass, which scores it 0.38.
    pytest.param({}, id="default"),
    pytest.param({"detect_margins": (0.0,)}, id="plain-pass-only"),
    # Above the plain pass's score only the margin pass finds it.
    pytest.param({"detect_threshold": 0.35}, id="both-passes-at-0.35"),
    pytest.param({"detect_margins": (0.0,), "detect_threshold": 0.35}, id="plain-pass-at-0.35", marks=pytest.mark.xfail(
        strict=True, reason="the plain pass alone misses the second hand (0.295 at the detector)")),
    # --tiles: the detector also sees magnified windows, where the second hand scores above threshold.
    pytest.param({"detect_tiles": True}, id="tiles"),
])
def test_hands_photo_gives_both_left_hands_within_20_px(tuning):
    from bench.acceptance import hands_photo

    tracker = HandTracker(load_backend(DEFAULT_LANDMARKS), load_backend(DEFAULT_DETECTOR), max_hands=2,
                          smoothing=False, static=True, **tuning)
    r = hands_photo(tracker)
    assert r["found"] == 2 and r["sides"] == ["left", "left"]
    assert sum(r["mean_px_to_reference"]) / 2 <= 20
