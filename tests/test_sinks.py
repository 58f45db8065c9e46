"""Sinks: MP4 playable after close, JSON lines on disk as soon as written, early path checks."""
from __future__ import annotations

import json

import numpy as np
import pytest
from fakes import count_video_frames

from livehand.errors import LivehandError
from livehand.sinks import JsonlWriter, VideoRecorder, check_writable


def test_recorder_close_makes_a_playable_file(tmp_path):
    rec = VideoRecorder(tmp_path / "o.mp4", 30.0, (64, 48))
    rec.write(np.zeros((48, 64, 3), np.uint8))
    rec.write(np.zeros((100, 80, 3), np.uint8), repeat=3)  # other size: resized, not rejected
    assert count_video_frames(tmp_path / "o.mp4") == 0  # not finalised yet
    rec.close()  # `rec` is still alive: only close() can have finalised the file
    assert rec.frames == 4 and count_video_frames(tmp_path / "o.mp4") == 4


def test_jsonl_lines_are_on_disk_before_close(tmp_path):
    out = JsonlWriter(tmp_path / "o.jsonl")
    out.write({"frame": 0, "hands": []})
    assert json.loads((tmp_path / "o.jsonl").read_text()) == {"frame": 0, "hands": []}
    out.close()


def test_check_writable(tmp_path):
    check_writable(tmp_path / "new.mp4")
    assert not (tmp_path / "new.mp4").exists()  # the check leaves nothing behind
    with pytest.raises(LivehandError, match="folder .* does not exist"):
        check_writable(tmp_path / "no" / "o.mp4")
    with pytest.raises(LivehandError, match="it is a folder"):
        check_writable(tmp_path)
    with pytest.raises(LivehandError, match="cannot write /proc/x/out.mp4"):
        VideoRecorder(tmp_path.parent / "/proc/x/out.mp4", 30.0, (8, 8))
