"""The threaded pipeline with a fake tracker: frame accounting, dropping, failures, stalls."""
from __future__ import annotations

import json
import threading
import time

import numpy as np
import pytest
from fakes import FakeTracker, count_video_frames, make_video

from livehand.cli.common import output_layout
from livehand.errors import LivehandError
from livehand.pipeline import _CLOSED, _EMPTY, Handoff, Outputs, Pipeline
from livehand.sinks import JsonlWriter, VideoRecorder
from livehand.sources import Source, VideoSource


def _run(tmp_path, frames: int, tracker: FakeTracker, live: bool, **kw):
    src = VideoSource(make_video(tmp_path / "in.mp4", frames))
    with Outputs(video=VideoRecorder(tmp_path / "out.mp4", src.fps, src.size),
                 jsonl=JsonlWriter(tmp_path / "out.jsonl")) as out:
        summary = Pipeline(src, tracker, out, live=live, **kw).run()
    lines = [json.loads(s) for s in (tmp_path / "out.jsonl").read_text().splitlines()]
    return summary, lines


def test_every_frame_accounts_for_every_frame(tmp_path):
    tracker = FakeTracker()
    summary, lines = _run(tmp_path, 40, tracker, live=False)
    assert (summary.captured, summary.processed, summary.dropped) == (40, 40, 0)
    assert [r["frame"] for r in lines] == list(range(40))
    assert lines[3]["t"] == pytest.approx(0.1)
    assert len(lines[0]["hands"]) == 1 and len(lines[0]["hands"][0]["keypoints"]) == 21
    assert count_video_frames(tmp_path / "out.mp4") == 40
    assert summary.stop_reason == "end of input"
    for stage in ("capture", "preprocess", "inference", "decode", "tracking", "draw"):
        assert summary.stages[stage]["p50_ms"] >= 0, stage
    assert summary.latency_ms["p95_ms"] >= summary.latency_ms["p50_ms"] > 0


def test_live_mode_drops_stale_frames_and_keeps_the_books(tmp_path):
    # 30 fps input paced like a camera, a 4x slower tracker: most frames must be dropped.
    tracker = FakeTracker(delay=0.12)
    summary, lines = _run(tmp_path, 30, tracker, live=True)
    assert summary.captured == 30
    assert summary.dropped >= 10
    assert summary.processed + summary.dropped == summary.captured
    assert len(lines) == summary.processed == tracker.frames
    indices = [r["frame"] for r in lines]
    assert indices == sorted(indices) and indices[-1] == 29  # the newest frame is never lost
    # dropped frames are filled in, so the recording keeps real time
    assert count_video_frames(tmp_path / "out.mp4") == 30


def test_worker_exception_stops_everything_as_one_line(tmp_path):
    src = VideoSource(make_video(tmp_path / "in.mp4", 30))
    with pytest.raises(LivehandError) as err, Outputs(jsonl=JsonlWriter(tmp_path / "o.jsonl")) as out:
        Pipeline(src, FakeTracker(fail_at=5), out, live=False).run()
    assert str(err.value) == "inference thread failed: RuntimeError: fake model exploded on two lines"
    assert len((tmp_path / "o.jsonl").read_text().splitlines()) == 4
    assert not [t for t in threading.enumerate() if t.name.startswith("livehand-")]


def test_max_frames_and_layout_17(tmp_path):
    schema, convert = output_layout("hand21", "17")
    summary, lines = _run(tmp_path, 20, FakeTracker(), live=False, max_frames=7, convert=convert,
                          schema=schema)
    assert summary.processed == 7 and summary.stop_reason == "reached 7 frames"
    assert {len(h["keypoints"]) for r in lines for h in r["hands"]} == {17}


class _StallingCamera(Source):
    """Delivers a few frames, then blocks in read() like an unplugged USB camera."""

    name, fps, size, realtime, live_default = "camera 5", 30.0, (32, 24), True, True

    def __init__(self):
        self.release = threading.Event()
        self.closed = False

    def __iter__(self):
        for i in range(3):
            yield i, i / 30, np.zeros((24, 32, 3), np.uint8)
        self.release.wait(30)

    def close(self):
        self.closed = True


def test_camera_stall_ends_the_run_cleanly():
    cam = _StallingCamera()
    t0 = time.perf_counter()
    summary = Pipeline(cam, FakeTracker(), Outputs(), live=True, stall_timeout_s=0.5).run()
    assert time.perf_counter() - t0 < 4
    assert summary.captured == 3 and summary.processed + summary.dropped == 3 and summary.processed >= 1
    assert "camera 5 stopped delivering frames" in summary.stop_reason
    assert not cam.closed  # its thread is still inside read(): releasing it there is unsafe
    cam.release.set()


def test_handoff_latest_replaces_and_bounded_waits():
    stop = threading.Event()
    latest = Handoff(1, latest=True)
    assert latest.put("a", stop) == 0 and latest.put("b", stop) == 1
    assert latest.get(0.01) == "b" and latest.get(0.01) is _EMPTY
    latest.close()
    assert latest.get(0.01) is _CLOSED

    bounded = Handoff(2)
    bounded.put(1, stop), bounded.put(2, stop)
    result = []
    th = threading.Thread(target=lambda: result.append(bounded.put(3, stop)))
    th.start()
    time.sleep(0.2)
    assert th.is_alive()  # back-pressure: no room, so the producer waits
    assert bounded.get(0.01) == 1
    th.join(2)
    assert result == [0] and bounded.drain() == 2
    bounded.put(1, stop), bounded.put(2, stop)
    stop.set()
    assert bounded.put(3, stop) == 1  # stopping: the item is given up, not queued


def test_capture_failure_keeps_its_message_and_what_was_done(tmp_path):
    import cv2

    from livehand.sources import ImageFolderSource

    for i in range(4):
        cv2.imwrite(str(tmp_path / f"{i}.png"), np.full((24, 32, 3), 40 * i, np.uint8))
    src = ImageFolderSource(tmp_path)
    (tmp_path / "2.png").write_bytes(b"corrupt")  # breaks after startup, mid-run
    with pytest.raises(LivehandError, match=r"^cannot read image .*2\.png$"), \
            Outputs(jsonl=JsonlWriter(tmp_path / "o.jsonl")) as out:
        Pipeline(src, FakeTracker(), out, live=False).run()
    assert [json.loads(s)["frame"] for s in (tmp_path / "o.jsonl").read_text().splitlines()] == [0, 1]
