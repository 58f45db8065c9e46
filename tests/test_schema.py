"""The JSON-lines schema documented in the README, pinned down field by field."""
import json

from fakes import FakeTracker, make_video

from livehand.pipeline import Outputs, Pipeline
from livehand.sinks import JsonlWriter
from livehand.sources import VideoSource

HAND_KEYS = {"id", "side", "score", "box", "keypoints"}


def test_frame_lines_follow_the_documented_schema(tmp_path):
    video = make_video(tmp_path / "in.mp4", 5)
    outputs = Outputs(jsonl=JsonlWriter(tmp_path / "o.jsonl"))
    with outputs:
        Pipeline(VideoSource(video), FakeTracker(), outputs, live=False, draw=False).run()
    lines = [json.loads(line) for line in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert len(lines) == 5
    for n, line in enumerate(lines):
        assert set(line) == {"frame", "t", "hands"}
        assert line["frame"] == n and isinstance(line["t"], float)
        for hand in line["hands"]:
            assert set(hand) == HAND_KEYS
            assert isinstance(hand["id"], int) and hand["side"] in ("left", "right")
            assert 0.0 <= hand["score"] <= 1.0
            x0, y0, x1, y1 = hand["box"]
            assert x0 <= x1 and y0 <= y1
            assert len(hand["keypoints"]) == 21
            for x, y, conf in hand["keypoints"]:
                assert x0 - 1e-3 <= x <= x1 + 1e-3 and y0 - 1e-3 <= y <= y1 + 1e-3
                assert isinstance(conf, float)
