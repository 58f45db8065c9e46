"""The eval-set maker's pieces: held-out filtering, video frames with their labels, the photo."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from fakes import make_video

from train.make_eval_sets import hands_photo, real_heldout, video_frames

SHARED_VIDEO = Path(__file__).resolve().parents[2] / "shared" / "data" / "video"


def test_real_heldout_keeps_only_confident_images_of_the_sources(tmp_path):
    kps = [[1.0, 2.0]] * 21
    lines = [
        {"image": "a.jpg", "source": "keep", "hands": [{"side": "left", "side_score": 0.9, "keypoints": kps}]},
        {"image": "b.jpg", "source": "keep", "hands": [{"side": "left", "side_score": 0.9, "keypoints": kps},
                                                       {"side": "right", "side_score": 0.5, "keypoints": kps}]},
        {"image": "c.jpg", "source": "keep", "hands": []},
        {"image": "d.jpg", "source": "train", "hands": [{"side": "left", "side_score": 0.99, "keypoints": kps}]},
    ]
    path = tmp_path / "l.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    records = real_heldout(path, tmp_path / "real", ("keep",), 0.7)
    assert [r.image for r in records] == [tmp_path / "real" / "a.jpg"]


def test_video_frames_writes_every_nth_frame_with_its_keypoints(tmp_path):
    video = make_video(tmp_path / "v.mp4", 6)  # 96 x 64
    per_frame = [[[10.0 + i, 20.0, 0.0]] * 20 + [[500.0, 20.0, 0.0]] for i in range(6)]
    (tmp_path / "k.json").write_text(json.dumps(per_frame))
    records = video_frames(video, tmp_path / "k.json", tmp_path / "out", every=2)
    assert [r.extra["frame"] for r in records] == [0, 2, 4]
    for r in records:
        assert r.image.is_file() and r.source == "asl-clip"
        (h,) = r.hands
        assert h.keypoints[0, 0] == 10.0 + r.extra["frame"]
        assert h.visible[:20].all() and not h.visible[20]  # x = 500 is outside the 96 px frame
    (tmp_path / "k.json").write_text(json.dumps(per_frame[:5]))
    with pytest.raises(ValueError, match="6 frames"):
        video_frames(video, tmp_path / "k.json", tmp_path / "out", every=2)


def test_hands_photo_has_two_left_hands():
    rec = hands_photo(SHARED_VIDEO / "hands_expected.json")
    assert rec.image.is_file() and [h.side for h in rec.hands] == ["left", "left"]
    assert all(h.keypoints.shape == (21, 2) for h in rec.hands)
    assert np.isfinite(np.concatenate([h.keypoints for h in rec.hands])).all()
